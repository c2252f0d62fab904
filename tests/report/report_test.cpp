// The report's sections on a generated study: every section present and drawn, escaping,
// no external resources, estimates marked, missing data said, files written.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "greentune/core/error.hpp"
#include "greentune/core/number_format.hpp"
#include "report_fixture.hpp"

using namespace greentune;
using namespace greentune::report;

namespace {

std::size_t count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto pos = text.find(what); pos != std::string::npos; pos = text.find(what, pos + what.size())) ++n;
  return n;
}

const Section& find_section(const std::vector<Section>& sections, const std::string& id) {
  for (const auto& s : sections)
    if (s.id == id) return s;
  throw std::runtime_error("no section " + id);
}

std::string read_file(const std::filesystem::path& p) {
  std::ifstream f(p);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

struct TempDir {
  std::filesystem::path path;
  TempDir() {
    char tmpl[] = "/tmp/greentune-report-XXXXXX";
    path = mkdtemp(tmpl);
  }
  ~TempDir() { std::filesystem::remove_all(path); }
};

}  // namespace

TEST(Report, EverySectionIsPresentAndDrawn) {
  const auto input = fixture::make_input();
  const auto sections = build_sections(input);
  std::vector<std::string> ids;
  for (const auto& s : sections) ids.push_back(s.id);
  EXPECT_EQ(ids, (std::vector<std::string>{"overview", "environment", "correlations", "tradeoffs", "per-mutant",
                                           "power", "parallel", "greener", "comparisons", "method"}));
  // Correlations: one heatmap per scenario.
  EXPECT_EQ(count(find_section(sections, "correlations").html, "<svg"), 2u);
  // Trade-off grids: one per scenario x hyperparameter x energy metric in the analysis.
  EXPECT_EQ(count(find_section(sections, "tradeoffs").html, "<svg"), input.analysis.tradeoffs.size());
  EXPECT_GE(input.analysis.tradeoffs.size(), 9u);
  // Box plots: energy and performance for 2 models x 2 scenarios x 3 hyperparameters.
  const auto& box = find_section(sections, "per-mutant").html;
  EXPECT_EQ(count(box, "<svg"), 24u);
  EXPECT_EQ(count(box, "(orig)</text>"), 24u);  // the original is labelled in every chart
  // Power over time: at most max_power_runs runs, one chart per group and domain.
  const auto& power = find_section(sections, "power").html;
  EXPECT_GE(count(power, "<svg"), 4u);
  EXPECT_EQ(count(power, "<polyline"), find_section(sections, "power").tables.at(0).table.rows.size());
  EXPECT_LE(find_section(sections, "power").tables.at(0).table.rows.size(), 2 * input.max_power_runs);
  // Parallel vs single: a dumbbell chart per energy metric and both tables.
  const auto& par = find_section(sections, "parallel");
  EXPECT_GE(count(par.html, "<svg"), 1u);
  EXPECT_EQ(par.tables.size(), 2u);
  // Greener list: a table when the analysis found some.
  const auto& greener = find_section(sections, "greener");
  ASSERT_FALSE(input.analysis.greener.empty());
  ASSERT_EQ(greener.tables.size(), 1u);
  EXPECT_EQ(greener.tables[0].table.rows.size(), input.analysis.greener.size());
  EXPECT_EQ(count(greener.html, "class=\"notice\""), 0u);
}

TEST(Report, PageIsSelfContained) {
  const std::string html = render_html(fixture::make_input());
  for (const char* bad : {"http://", "https://", "ftp://", "file:", "<script", "<link", "<img", "<iframe",
                          "<object", "<embed", "@import", "url(", "src=", "href=\"/", "xlink:href"})
    EXPECT_EQ(html.find(bad), std::string::npos) << bad;
  // Every internal link points at a section on the page.
  for (auto pos = html.find("href=\"#"); pos != std::string::npos; pos = html.find("href=\"#", pos + 1)) {
    auto end = html.find('"', pos + 7);
    std::string id = html.substr(pos + 7, end - pos - 7);
    EXPECT_NE(html.find("id=\"" + id + "\""), std::string::npos) << id;
  }
  EXPECT_EQ(count(html, "<svg"), count(html, "</svg>"));
  EXPECT_EQ(count(html, "<section"), count(html, "</section>"));
}

TEST(Report, UserTextIsEscapedEverywhere) {
  auto input = fixture::make_input();
  for (auto& r : input.runs)
    if (r.model == "resnet20") r.model = "evil<b onclick=\"x\">&model";
  input.environment["kernel"] = "</dd><script>alert(1)</script>";
  input.analysis = fixture::make_analysis(input.runs);
  const std::string html = render_html(input);
  EXPECT_EQ(html.find("<b onclick"), std::string::npos);
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_NE(html.find("evil&lt;b onclick=&quot;x&quot;&gt;&amp;model"), std::string::npos);
  EXPECT_NE(html.find("&lt;/dd&gt;&lt;script&gt;"), std::string::npos);
  EXPECT_NE(html.find("<title>Test study &lt;report&gt; &amp; &quot;friends&quot;</title>"), std::string::npos);
}

TEST(Report, EstimatesAreMarked) {
  const auto input = fixture::make_input();
  const auto sections = build_sections(input);
  // The overview says how many values are estimates and that they were left out.
  EXPECT_NE(find_section(sections, "overview").html.find("come from an estimate"), std::string::npos);
  // Meter sources: the estimated DRAM rows are flagged.
  const auto& env = find_section(sections, "environment");
  EXPECT_NE(env.html.find("<td class=\"est\">estimated</td>"), std::string::npos);
  EXPECT_NE(env.html.find("badge est"), std::string::npos);  // "estimate (dram)" in the meters line
  // resnet20's DRAM is estimated. The box plots draw the analysis's totals: with the
  // estimates left out (the default) that is the measured package alone, not labelled...
  const auto& box = find_section(sections, "per-mutant").html;
  EXPECT_EQ(box.find("energy, estimated (J)"), std::string::npos);
  // ...and analysed with the estimates, the axis and caption say so.
  auto with = fixture::make_input();
  analysis::AnalysisOptions o;
  o.include_estimated = true;
  o.bootstrap_resamples = 50;
  with.analysis = analysis::analyze(with.runs, o);
  const std::string box_est = find_section(build_sections(with), "per-mutant").html;
  EXPECT_NE(box_est.find("energy, estimated (J)"), std::string::npos);
  EXPECT_NE(box_est.find("estimated, not measured"), std::string::npos);
  // mnist_cnn is fully measured: its energy charts are not labelled as estimates.
  EXPECT_NE(box_est.find("mnist_cnn (single): total energy by epochs</title>"), std::string::npos);
}

TEST(Report, CsvInputSaysWhatIsNotAvailable) {
  const auto sections = build_sections(fixture::make_input(/*from_database=*/false));
  EXPECT_NE(find_section(sections, "environment").html.find("not available for a runs CSV input"), std::string::npos);
  EXPECT_NE(find_section(sections, "power").html.find("not available for a runs CSV input"), std::string::npos);
  // Meter sources still come from the CSV's *_source columns.
  EXPECT_NE(find_section(sections, "environment").html.find("nvml-energy"), std::string::npos);
}

TEST(Report, EmptyInputSaysSoInEverySection) {
  ReportInput input;
  input.source = "empty.csv";
  const auto sections = build_sections(input);
  for (const auto& s : sections) {
    if (s.id == "method") continue;
    EXPECT_NE(s.html.find("class=\"notice\""), std::string::npos) << s.id;
    EXPECT_EQ(s.html.find("<svg"), std::string::npos) << s.id;
  }
  EXPECT_NO_THROW(render_html(input));
}

TEST(Report, WritesHtmlMarkdownAndExactCsv) {
  TempDir dir;
  const auto input = fixture::make_input();
  const auto files = write_report(input, (dir.path / "out").string());
  EXPECT_EQ(files.html_path, (dir.path / "out" / "report.html").string());
  EXPECT_EQ(read_file(files.html_path), render_html(input));
  const std::string md = read_file(files.markdown_path);
  EXPECT_NE(md.find("## Correlations between hyperparameters and energy (RQ1)"), std::string::npos);
  EXPECT_NE(md.find("| model | scenario | co-runner | hyperparameter | metric | n |"), std::string::npos);
  std::set<std::string> stems;
  for (const auto& p : files.csv_paths) stems.insert(std::filesystem::path(p).stem().string());
  for (const char* s : {"correlations", "strength_summary", "tradeoffs", "comparisons", "greener",
                        "parallel_correlations", "parallel_energy", "configurations", "power_series",
                        "environment", "meter_sources", "runs_summary"})
    EXPECT_TRUE(stems.count(s)) << s;
  // The CSV holds exact values: the first correlation's rho reads back bit for bit.
  std::ifstream csv(dir.path / "out" / "correlations.csv");
  std::string header, first;
  std::getline(csv, header);
  std::getline(csv, first);
  EXPECT_EQ(header, "model,scenario,co-runner,hyperparameter,metric,n,Spearman rho,p,Pearson r,p,strength,values");
  std::vector<std::string> cells;
  std::stringstream ss(first);
  for (std::string c; std::getline(ss, c, ',');) cells.push_back(c);
  ASSERT_GE(cells.size(), 7u);
  const auto& c0 = input.analysis.correlations.front();
  EXPECT_EQ(cells[0], c0.model);
  auto rho = parse_double(cells[6]);
  ASSERT_TRUE(rho);
  EXPECT_EQ(*rho, c0.spearman_rho);
}

TEST(Report, UnwritableOutputIsAnIoError) {
  TempDir dir;
  std::ofstream(dir.path / "file") << "x";
  try {
    write_report(fixture::make_input(), (dir.path / "file").string());
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::io);
    EXPECT_NE(std::string(e.what()).find("file"), std::string::npos);
  }
}

TEST(Report, MissingEnergyChartsExplainLeftOutEstimates) {
  // On a machine without meters every energy value is an estimate; the default analysis
  // leaves them out, so there are no energy grids: the page must say why.
  ReportInput input;
  input.source = "vm.db";
  input.runs = fixture::make_runs();
  input.analysis.estimated_values = 42;
  const auto sections = build_sections(input);
  for (const char* id : {"correlations", "tradeoffs", "greener"}) {
    const auto& html = find_section(sections, id).html;
    EXPECT_NE(html.find("42 energy value(s) are estimates and were left out"), std::string::npos) << id;
    EXPECT_NE(html.find("--include-estimated"), std::string::npos) << id;
  }
  input.analysis.options.include_estimated = true;  // then the hint would be wrong
  EXPECT_EQ(find_section(build_sections(input), "tradeoffs").html.find("were left out"), std::string::npos);
}

TEST(Report, LargeStudiesAreCappedOnThePageNotInTheFiles) {
  auto input = fixture::make_input();
  input.max_box_groups = 1;
  input.max_heatmap_rows = 2;
  const auto sections = build_sections(input);
  const auto& box = find_section(sections, "per-mutant");
  EXPECT_EQ(count(box.html, "<svg"), 6u);  // one group: 3 hyperparameters x (energy, performance)
  EXPECT_NE(box.html.find("Box plots are drawn for the first 1 model/scenario groups; 3 more"), std::string::npos);
  EXPECT_EQ(box.tables.at(0).table.rows.size(), 4u * 3u * 4u);  // every configuration stays in the CSV
  const auto& cor = find_section(sections, "correlations").html;
  EXPECT_NE(cor.find("The heatmap shows the first 2 rows; 4 more"), std::string::npos);
  // Long HTML tables show their first rows and say where the rest is.
  Table t{"big", {"i"}, {}};
  for (int i = 0; i < 10; ++i) t.rows.push_back({std::to_string(i)});
  const std::string html = table_html(t, 3);
  EXPECT_EQ(count(html, "<tr>"), 4u);  // header + 3
  EXPECT_NE(html.find("Showing the first 3 of 10 rows"), std::string::npos);
  EXPECT_EQ(count(table_csv(t), "\n"), 11u);
}

// The report in a real browser (headless Chromium): it renders (the screenshot is not
// blank, the charts are drawn in colour), the browser parsed every chart and section we
// wrote, and the page logs nothing to the console. Negative tests show each check can fail.
#include <gtest/gtest.h>

#include <fstream>

#include "browser.hpp"
#include "greentune/report/document.hpp"
#include "report_fixture.hpp"

using namespace greentune;
using namespace greentune::report;
using namespace greentune::report::fixture;

namespace {

std::size_t count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto pos = text.find(what); pos != std::string::npos; pos = text.find(what, pos + what.size())) ++n;
  return n;
}

class ReportBrowser : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!chromium_path()) GTEST_SKIP() << "chromium is not installed (scripts/install-deps.sh installs it)";
    char tmpl[] = "/tmp/greentune-browser-XXXXXX";
    dir_ = mkdtemp(tmpl);
  }
  void TearDown() override {
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }
  std::filesystem::path write(const std::string& name, const std::string& html) {
    auto p = dir_ / name;
    std::ofstream(p) << html;
    return p;
  }
  std::filesystem::path dir_;
};

std::string joined(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& l : lines) out += l + "\n";
  return out;
}

}  // namespace

TEST_F(ReportBrowser, FullReportParsesWithoutConsoleMessages) {
  const auto input = make_input();
  const auto files = write_report(input, (dir_ / "out").string());
  const std::string html = render_html(input);
  auto r = run_chromium(files.html_path, "--dump-dom", dir_ / "profile");
  ASSERT_TRUE(r.process.ok()) << r.process.describe() << "\n" << r.process.stderr_text;
  EXPECT_TRUE(r.console.empty()) << joined(r.console);
  // The browser built every chart and section we wrote (broken markup would lose some).
  EXPECT_GT(count(html, "<svg"), 50u);
  EXPECT_EQ(count(r.dom, "<svg"), count(html, "<svg"));
  EXPECT_EQ(count(r.dom, "<section"), count(html, "<section"));
  EXPECT_EQ(count(r.dom, "<figure"), count(html, "<figure"));
  EXPECT_EQ(count(r.dom, "<table"), count(html, "<table"));
}

TEST_F(ReportBrowser, ScreenshotIsNotBlank) {
  const auto files = write_report(make_input(), (dir_ / "out").string());
  auto png = dir_ / "page.png";
  auto r = run_chromium(files.html_path, "--screenshot=" + png.string(), dir_ / "profile");
  ASSERT_TRUE(r.process.ok()) << r.process.describe() << "\n" << r.process.stderr_text;
  EXPECT_TRUE(r.console.empty()) << joined(r.console);
  auto s = png_stats(png);
  EXPECT_EQ(s.width, 1000);
  EXPECT_EQ(s.height, 1400);
  EXPECT_TRUE(looks_rendered(s)) << "non-background " << s.non_background_fraction << ", dark "
                                 << s.dark_fraction << ", colours " << s.distinct_colors;
}

TEST_F(ReportBrowser, ChartsAreDrawnInColour) {
  // A page with only the correlation heatmaps and trade-off grids: if the SVG did not
  // render, the screenshot would hold only grey text.
  const auto input = make_input();
  const auto sections = build_sections(input);
  HtmlPage page("charts");
  for (const auto& s : sections)
    if (s.id == "correlations" || s.id == "tradeoffs") page.add_section(s.id, s.heading, s.html);
  auto html = write("charts.html", page.str());
  auto png = dir_ / "charts.png";
  auto r = run_chromium(html, "--screenshot=" + png.string(), dir_ / "profile", "1100,1500");
  ASSERT_TRUE(r.process.ok()) << r.process.describe();
  EXPECT_TRUE(r.console.empty()) << joined(r.console);
  auto s = png_stats(png);
  EXPECT_TRUE(looks_rendered(s));
  EXPECT_GT(s.saturated_fraction, 0.02) << "heatmap and grid colours missing";
}

TEST_F(ReportBrowser, NegativeBrokenScriptIsReported) {
  // The console check must be able to fail: a page with a broken script and a blocked
  // external image logs errors.
  auto page = write("broken.html",
                    "<!DOCTYPE html><html><head><meta http-equiv=\"Content-Security-Policy\" "
                    "content=\"default-src 'none'; script-src 'unsafe-inline'\"></head><body><h1>x</h1>"
                    "<script>undefined_function_of_the_report();</script>"
                    "<img src=\"http://192.0.2.1/logo.png\"></body></html>");
  auto r = run_chromium(page, "--dump-dom", dir_ / "profile");
  ASSERT_TRUE(r.process.ok()) << r.process.describe();
  ASSERT_GE(r.console.size(), 2u) << r.process.stderr_text;
  std::string all = joined(r.console);
  EXPECT_NE(all.find("undefined_function_of_the_report is not defined"), std::string::npos) << all;
  EXPECT_NE(all.find("Content Security Policy"), std::string::npos) << all;
}

TEST_F(ReportBrowser, NegativeBlankPageIsDetected) {
  // The not-blank check must be able to fail: an empty page and a page with one word.
  auto blank = write("blank.html", "<!DOCTYPE html><html><body></body></html>");
  auto png = dir_ / "blank.png";
  ASSERT_TRUE(run_chromium(blank, "--screenshot=" + png.string(), dir_ / "profile").process.ok());
  auto s = png_stats(png);
  EXPECT_FALSE(looks_rendered(s));
  EXPECT_EQ(s.non_background_fraction, 0.0);
  auto word = write("word.html", "<!DOCTYPE html><html><body><p>hello</p></body></html>");
  ASSERT_TRUE(run_chromium(word, "--screenshot=" + png.string(), dir_ / "profile").process.ok());
  EXPECT_FALSE(looks_rendered(png_stats(png)));
}

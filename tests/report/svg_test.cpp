// SVG toolkit: escaping, numbers, scales, box statistics and the charts' content.
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "greentune/report/svg.hpp"

namespace svg = greentune::report::svg;

namespace {
std::size_t count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto pos = text.find(what); pos != std::string::npos; pos = text.find(what, pos + what.size())) ++n;
  return n;
}
}  // namespace

TEST(ReportSvg, EscapesMarkupAndQuotes) {
  EXPECT_EQ(svg::escape("a<b>&\"c'"), "a&lt;b&gt;&amp;&quot;c&#39;");
  EXPECT_EQ(svg::escape(std::string("x\x01y", 3)), "x y");  // control characters are not XML
  EXPECT_EQ(svg::escape("plain"), "plain");
}

TEST(ReportSvg, CoordinatesAndValues) {
  EXPECT_EQ(svg::coord(12.5), "12.5");
  EXPECT_EQ(svg::coord(3.0), "3");
  EXPECT_EQ(svg::coord(-0.001), "0");
  EXPECT_EQ(svg::coord(NAN), "0");
  EXPECT_EQ(svg::format_value(0.012345), "0.0123");
  EXPECT_EQ(svg::format_value(1234.6), "1235");
  EXPECT_EQ(svg::format_value(2.5), "2.5");
  EXPECT_EQ(svg::format_value(0), "0");
  EXPECT_EQ(svg::format_value(NAN), "n/a");
  EXPECT_EQ(svg::format_value(1.5e7), "1.5e+07");
}

TEST(ReportSvg, LinearScaleMapsAndTicks) {
  auto s = svg::Scale::linear(0, 10, 100, 200);
  EXPECT_DOUBLE_EQ(s(0), 100);
  EXPECT_DOUBLE_EQ(s(5), 150);
  EXPECT_DOUBLE_EQ(s(10), 200);
  auto ticks = s.ticks(5);
  ASSERT_EQ(ticks.size(), 6u);  // 0 2 4 6 8 10
  EXPECT_DOUBLE_EQ(ticks[1], 2);
  // Inverted ranges (y axes) work the same way.
  auto y = svg::Scale::linear(0, 1, 300, 0);
  EXPECT_DOUBLE_EQ(y(1), 0);
  EXPECT_DOUBLE_EQ(y(0.25), 225);
}

TEST(ReportSvg, TickLabelsAreDistinctForNarrowRanges) {
  auto s = svg::Scale::linear(0.9871, 0.9932, 0, 100);
  auto ticks = s.ticks(5);
  auto labels = s.tick_labels(ticks);
  ASSERT_GE(labels.size(), 3u);
  for (std::size_t i = 1; i < labels.size(); ++i) EXPECT_NE(labels[i], labels[i - 1]) << labels[i];
  EXPECT_EQ(labels[0], "0.988");
}

TEST(ReportSvg, LogScaleUsesDecades) {
  auto s = svg::Scale::log(1e-4, 1, 0, 400);
  EXPECT_DOUBLE_EQ(s(1e-4), 0);
  EXPECT_DOUBLE_EQ(s(1e-2), 200);
  EXPECT_DOUBLE_EQ(s(1), 400);
  auto ticks = s.ticks(5);
  ASSERT_EQ(ticks.size(), 5u);
  EXPECT_DOUBLE_EQ(ticks[2], 1e-2);
  // A domain that includes 0 cannot be logarithmic: falls back to linear.
  EXPECT_EQ(svg::Scale::log(0, 10, 0, 1).kind(), svg::Scale::Kind::linear);
  EXPECT_EQ(svg::Scale::fit({0.001, 0.01, 1.0}, 0, 100, true).kind(), svg::Scale::Kind::log);
  EXPECT_EQ(svg::Scale::fit({1, 2, 3}, 0, 100, true).kind(), svg::Scale::Kind::linear);
}

TEST(ReportSvg, DegenerateDomainIsWidened) {
  auto s = svg::Scale::fit({5, 5, 5}, 0, 100);
  EXPECT_LT(s.domain_min(), 5);
  EXPECT_GT(s.domain_max(), 5);
  EXPECT_TRUE(std::isfinite(s(5)));
}

TEST(ReportSvg, DivergingColoursRunBlueWhiteRed) {
  auto neg = svg::diverging(-1), mid = svg::diverging(0), pos = svg::diverging(1);
  EXPECT_GT(neg.b, neg.r);
  EXPECT_GT(pos.r, pos.b);
  EXPECT_GT(mid.r, 240);
  EXPECT_GT(mid.b, 240);
  EXPECT_EQ(svg::diverging(5).hex(), pos.hex());  // clamped
  EXPECT_EQ((svg::Rgb{255, 0, 16}.hex()), "#ff0010");
  EXPECT_EQ(svg::text_on(neg), "#ffffff");
  EXPECT_EQ(svg::text_on(mid), "#1a1a1a");
}

TEST(ReportSvg, BoxStatsOnHandWorkedExample) {
  // Sorted: 1 2 3 4 5 6 7 8 100. q1 at position 2 = 3, median 5, q3 at position 6 = 7,
  // IQR 4: upper fence 13, so 100 is an outlier and the upper whisker ends at 8.
  auto b = svg::box_stats({5, 1, 100, 3, 2, 8, 4, 7, 6, NAN});
  EXPECT_EQ(b.n, 9u);
  EXPECT_DOUBLE_EQ(b.q1, 3);
  EXPECT_DOUBLE_EQ(b.median, 5);
  EXPECT_DOUBLE_EQ(b.q3, 7);
  EXPECT_DOUBLE_EQ(b.low_whisker, 1);
  EXPECT_DOUBLE_EQ(b.high_whisker, 8);
  ASSERT_EQ(b.outliers.size(), 1u);
  EXPECT_DOUBLE_EQ(b.outliers[0], 100);
  // Even count: interpolated quartiles (numpy: 1.75, 2.5, 3.25 for 1 2 3 4).
  auto e = svg::box_stats({4, 3, 2, 1});
  EXPECT_DOUBLE_EQ(e.q1, 1.75);
  EXPECT_DOUBLE_EQ(e.median, 2.5);
  EXPECT_DOUBLE_EQ(e.q3, 3.25);
  EXPECT_EQ(svg::box_stats({}).n, 0u);
}

TEST(ReportSvg, CanvasIsAccessibleAndEscaped) {
  svg::Canvas c(100, 50, "Energy <by> \"lr\"", "a description");
  c.text(10, 10, "x < y & z");
  c.rect(0, 0, 10, 10, "#fff", {}, "tip <b>");
  std::string out = c.str();
  EXPECT_NE(out.find("role=\"img\""), std::string::npos);
  EXPECT_NE(out.find("aria-label=\"Energy &lt;by&gt; &quot;lr&quot;. a description\""), std::string::npos);
  EXPECT_NE(out.find("<title>Energy &lt;by&gt; &quot;lr&quot;</title>"), std::string::npos);
  EXPECT_NE(out.find(">x &lt; y &amp; z</text>"), std::string::npos);
  EXPECT_NE(out.find("<title>tip &lt;b&gt;</title>"), std::string::npos);
  EXPECT_EQ(out.find("<b>"), std::string::npos);
  EXPECT_EQ(out.find("id="), std::string::npos);  // no ids: charts never clash on one page
}

TEST(ReportSvg, HeatmapDrawsEveryCellAndMissingOnes) {
  svg::HeatmapData d;
  d.title = "rho";
  d.row_labels = {"mnist_cnn \u00b7 lr", "resnet20 \u00b7 epochs"};
  d.column_labels = {"cpu_package_j", "performance"};
  d.values = {{0.5, std::nullopt}, {-0.9, 1.0}};
  d.marks = {{"*", ""}, {"", "\u2020"}};
  std::string out = svg::heatmap(d);
  EXPECT_EQ(count(out, "<svg"), 1u);
  EXPECT_NE(out.find(">0.50*</text>"), std::string::npos);
  EXPECT_NE(out.find(">-0.90</text>"), std::string::npos);
  EXPECT_NE(out.find(">1.00\u2020</text>"), std::string::npos);
  EXPECT_NE(out.find(">n/a</text>"), std::string::npos);
  EXPECT_NE(out.find(svg::diverging(-0.9).hex()), std::string::npos);
  EXPECT_NE(out.find(">resnet20 \u00b7 epochs</text>"), std::string::npos);
}

TEST(ReportSvg, BoxPlotHighlightsTheOriginal) {
  svg::BoxPlotData d;
  d.title = "energy by lr";
  d.groups = {{"0.1", {1, 2, 3}, false}, {"1 (orig)", {2, 3, 4, 5}, true}, {"10", {}, false}};
  std::string out = svg::box_plot(d);
  EXPECT_NE(out.find(svg::kHighlight), std::string::npos);
  EXPECT_NE(out.find("font-weight=\"700\">1 (orig)</text>"), std::string::npos);
  EXPECT_EQ(count(out, "<circle"), 7u);  // every run is a dot
  EXPECT_NE(out.find(">n/a</text>"), std::string::npos);  // the group without values
  // No values at all: a message instead of an empty frame.
  svg::BoxPlotData empty;
  empty.title = "nothing";
  empty.groups = {{"a", {}, false}};
  EXPECT_NE(svg::box_plot(empty).find("no measured values"), std::string::npos);
}

TEST(ReportSvg, TradeoffGridShowsCountsAndTotal) {
  svg::TradeoffGridData d;
  d.title = "single \u00b7 lr \u00b7 cpu_package_j";
  d.energy_label = "cpu_package_j";
  d.counts[0][1] = 4;  // energy win, performance tie
  d.counts[2][2] = 7;
  std::string out = svg::tradeoff_grid(d);
  EXPECT_EQ(count(out, "<rect"), 10u);  // nine cells and the green frame
  EXPECT_NE(out.find(">4</text>"), std::string::npos);
  EXPECT_NE(out.find(">7</text>"), std::string::npos);
  EXPECT_NE(out.find("11 mutant comparisons"), std::string::npos);
  EXPECT_NE(out.find("cpu_package_j win / performance tie: 4 mutant(s)"), std::string::npos);
}

TEST(ReportSvg, LineChartAndDumbbell) {
  svg::LineChartData l;
  l.title = "power";
  l.series = {{"original", {{0, 10}, {1, 12}, {2, 11}}, true, false}, {"lr=0.1 (estimated)", {{0, 5}, {2, 6}}, false, true}};
  std::string out = svg::line_chart(l);
  EXPECT_EQ(count(out, "<polyline"), 2u);
  EXPECT_NE(out.find("stroke-dasharray"), std::string::npos);  // the estimate is dashed
  EXPECT_NE(svg::line_chart({}).find("no samples"), std::string::npos);

  svg::DumbbellData d;
  d.title = "rho";
  d.a_label = "single";
  d.b_label = "parallel";
  d.rows = {{"m \u00b7 lr", 0.2, -0.5, true}, {"m \u00b7 epochs", 0.9, std::nullopt, false}};
  out = svg::dumbbell(d);
  EXPECT_EQ(count(out, "<circle"), 5u);  // two legend dots, three values
  EXPECT_NE(out.find("#fff4d6"), std::string::npos);  // the changed row is highlighted
}

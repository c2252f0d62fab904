#pragma once
// A small SVG toolkit for the report: scales (linear and log), axes, and the handful of
// charts the study needs. Every chart is returned as one inline <svg> element: no ids, no
// external references, no scripts, so any number of them can share a page that works
// offline. Each chart carries an accessible name (role="img", aria-label, <title>) and
// <title> tooltips on its marks.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace greentune::report::svg {

// Escapes text for use in XML/HTML text and attribute values (& < > " ').
std::string escape(std::string_view text);

// Compact number for coordinates: at most two decimals, no trailing zeros ("12.5", "-3").
std::string coord(double value);

// Human-readable number with about `digits` significant digits ("0.0123", "1.23e+06").
std::string format_value(double value, int digits = 3);

// Maps a data domain onto a pixel range, linearly or logarithmically.
class Scale {
 public:
  enum class Kind { linear, log };
  Scale() = default;
  Scale(Kind kind, double domain_min, double domain_max, double range_from, double range_to);
  static Scale linear(double domain_min, double domain_max, double range_from, double range_to);
  static Scale log(double domain_min, double domain_max, double range_from, double range_to);
  // Domain from data with a little padding; log when requested and every value > 0.
  static Scale fit(const std::vector<double>& values, double range_from, double range_to,
                   bool prefer_log = false, bool include_zero = false);

  double operator()(double value) const;
  std::vector<double> ticks(int target_count = 5) const;  // "nice" tick positions
  std::string tick_label(double value) const;
  // Labels for a run of ticks, with as many decimals as their spacing needs.
  std::vector<std::string> tick_labels(const std::vector<double>& ticks) const;
  Kind kind() const { return kind_; }
  double domain_min() const { return d0_; }
  double domain_max() const { return d1_; }

 private:
  Kind kind_ = Kind::linear;
  double d0_ = 0, d1_ = 1, r0_ = 0, r1_ = 1;
};

// RGB colour helpers.
struct Rgb {
  int r = 0, g = 0, b = 0;
  std::string hex() const;
};
Rgb mix(Rgb a, Rgb b, double t);
// Diverging blue-white-red scale for t in [-1, 1] (blue negative, red positive).
Rgb diverging(double t);
// Sequential white -> colour scale for t in [0, 1].
Rgb sequential(double t, Rgb high = {49, 130, 189});
// Text colour (dark or light) readable on the given background.
std::string text_on(Rgb background);
// A palette of distinguishable series colours (Okabe-Ito, colour-blind safe).
std::string series_color(std::size_t index);
inline constexpr const char* kHighlight = "#d55e00";  // the original configuration

// Accumulates SVG elements; str() wraps them into one accessible <svg>.
class Canvas {
 public:
  Canvas(double width_px, double height_px, std::string title, std::string description = {});
  void rect(double x, double y, double w, double h, std::string_view fill,
            std::string_view extra = {}, std::string_view tooltip = {});
  void line(double x1, double y1, double x2, double y2, std::string_view stroke,
            double width = 1, std::string_view extra = {});
  void circle(double cx, double cy, double r, std::string_view fill,
              std::string_view extra = {}, std::string_view tooltip = {});
  void polyline(const std::vector<std::pair<double, double>>& points, std::string_view stroke,
                double width = 1.5, std::string_view extra = {}, std::string_view tooltip = {});
  // anchor: start|middle|end; rotate in degrees around (x, y).
  void text(double x, double y, std::string_view content, std::string_view anchor = "start",
            double size_px = 12, std::string_view extra = {}, double rotate = 0);
  void raw(std::string_view element);
  double width() const { return width_; }
  double height() const { return height_; }
  std::string str() const;

 private:
  double width_, height_;
  std::string title_, description_, body_;
};

// Draws a left (y) axis at x = plot_left and a bottom (x) axis at y = plot_bottom, with
// grid lines across the plot area.
void y_axis(Canvas& c, const Scale& y, double plot_left, double plot_right,
            std::string_view label, int ticks = 5);
void x_axis(Canvas& c, const Scale& x, double plot_bottom, double plot_top,
            std::string_view label, int ticks = 6);

// ---- charts ----

struct HeatmapData {
  std::string title;
  std::vector<std::string> row_labels;
  std::vector<std::string> column_labels;
  // values[row][column] in [-1, 1]; nullopt = not available (drawn hatched grey).
  std::vector<std::vector<std::optional<double>>> values;
  // Optional per-cell tooltip text (same shape as values); empty = value only.
  std::vector<std::vector<std::string>> tooltips;
  // Optional per-cell marker appended to the number (e.g. "*" for significant).
  std::vector<std::vector<std::string>> marks;
  std::string legend_label = "rho";
};
std::string heatmap(const HeatmapData& data);

struct BoxGroup {
  std::string label;
  std::vector<double> values;
  bool highlight = false;  // the original configuration
};
// Tukey box statistics: quartiles by linear interpolation between order statistics (as
// numpy's default), whiskers at the furthest values within 1.5 IQR of the box.
struct BoxStats {
  std::size_t n = 0;
  double q1 = 0, median = 0, q3 = 0;
  double low_whisker = 0, high_whisker = 0;
  std::vector<double> outliers;
};
BoxStats box_stats(std::vector<double> values);  // non-finite values are ignored

struct BoxPlotData {
  std::string title;
  std::string x_label;
  std::string y_label;
  std::vector<BoxGroup> groups;
  bool log_scale = false;  // used only when every value is > 0
};
// Tukey box plots (quartiles by linear interpolation, whiskers to the furthest point
// within 1.5 IQR) with every run drawn as a dot over its box.
std::string box_plot(const BoxPlotData& data);

struct Series {
  std::string label;
  std::vector<std::pair<double, double>> points;  // (x, y)
  bool highlight = false;
  bool dashed = false;  // e.g. estimated values
};
struct LineChartData {
  std::string title;
  std::string x_label;
  std::string y_label;
  std::vector<Series> series;
  bool y_from_zero = true;
};
std::string line_chart(const LineChartData& data);

// The paper's 3x3 trade-off grid: rows are the energy outcome of a mutant against the
// original (win = significantly less energy, tie, loss), columns the performance outcome.
struct TradeoffGridData {
  std::string title;
  std::string energy_label = "energy";
  int counts[3][3] = {{0, 0, 0}, {0, 0, 0}, {0, 0, 0}};  // [energy][performance]: win, tie, loss
};
std::string tradeoff_grid(const TradeoffGridData& data);

// Dumbbell chart: one row per item, two values side by side (e.g. rho alone vs in parallel).
struct DumbbellRow {
  std::string label;
  std::optional<double> a;
  std::optional<double> b;
  bool emphasised = false;  // e.g. changed sign or strength bin
};
struct DumbbellData {
  std::string title;
  std::string a_label;
  std::string b_label;
  std::string x_label;
  double x_min = -1, x_max = 1;
  std::vector<DumbbellRow> rows;
};
std::string dumbbell(const DumbbellData& data);

// Forest plot: one row per item, a point estimate with its interval (e.g. energy saving %
// with a bootstrap confidence interval), and a reference line at 0.
struct IntervalRow {
  std::string label;
  double estimate = 0, low = 0, high = 0;
  bool marked = false;  // drawn hollow (e.g. computed from estimated energy)
};
struct IntervalChartData {
  std::string title;
  std::string x_label;
  std::vector<IntervalRow> rows;
};
std::string interval_chart(const IntervalChartData& data);

}  // namespace greentune::report::svg

// The report's charts, built on the Canvas and Scale primitives.
#include <algorithm>
#include <cmath>
#include <numeric>

#include <fmt/format.h>

#include "greentune/report/svg.hpp"

namespace greentune::report::svg {
namespace {

constexpr double kCharW = 6.6;  // rough width of one character at 12 px

double text_width(std::string_view s, double size_px = 12) {
  return static_cast<double>(s.size()) * kCharW * size_px / 12.0;
}

std::string shorten(const std::string& s, std::size_t max_chars) {
  if (s.size() <= max_chars) return s;
  return s.substr(0, max_chars - 1) + "\u2026";
}

double quantile_sorted(const std::vector<double>& v, double q) {
  if (v.empty()) return NAN;
  double pos = q * static_cast<double>(v.size() - 1);
  auto lo = static_cast<std::size_t>(std::floor(pos));
  auto hi = std::min(lo + 1, v.size() - 1);
  return v[lo] + (v[hi] - v[lo]) * (pos - static_cast<double>(lo));
}

}  // namespace

BoxStats box_stats(std::vector<double> v) {
  v.erase(std::remove_if(v.begin(), v.end(), [](double x) { return !std::isfinite(x); }), v.end());
  BoxStats b;
  b.n = v.size();
  if (v.empty()) return b;
  std::sort(v.begin(), v.end());
  b.q1 = quantile_sorted(v, 0.25);
  b.median = quantile_sorted(v, 0.5);
  b.q3 = quantile_sorted(v, 0.75);
  double iqr = b.q3 - b.q1;
  b.low_whisker = b.q1;
  b.high_whisker = b.q3;
  for (double x : v) {
    if (x >= b.q1 - 1.5 * iqr) b.low_whisker = std::min(b.low_whisker, x);
    if (x <= b.q3 + 1.5 * iqr) b.high_whisker = std::max(b.high_whisker, x);
  }
  for (double x : v)
    if (x < b.low_whisker || x > b.high_whisker) b.outliers.push_back(x);
  return b;
}

namespace {

// Message drawn instead of an empty chart.
std::string empty_chart(const std::string& title, const std::string& message) {
  Canvas c(420, 60, title, message);
  c.rect(0.5, 0.5, 419, 59, "#fafafa", "stroke=\"#ccc\" stroke-dasharray=\"4 3\"");
  c.text(210, 35, message, "middle", 13, "fill=\"#666\"");
  return c.str();
}

}  // namespace

// ---- heatmap ----

std::string heatmap(const HeatmapData& d) {
  if (d.row_labels.empty() || d.column_labels.empty()) return empty_chart(d.title, "no data to draw");
  double label_w = 0;
  for (const auto& r : d.row_labels) label_w = std::max(label_w, text_width(shorten(r, 48)));
  double cell_w = 64;
  for (const auto& c : d.column_labels) cell_w = std::max(cell_w, text_width(c, 11) + 12);
  const double cell_h = 24, left = label_w + 16, top = 34;
  const double grid_w = cell_w * static_cast<double>(d.column_labels.size());
  const double grid_h = cell_h * static_cast<double>(d.row_labels.size());
  const double width = std::max(left + grid_w + 16, 360.0);
  const double height = top + grid_h + 62;
  Canvas c(width, height, d.title,
           "Heatmap; colour runs from blue (-1) through white (0) to red (+1); grey = not available");

  for (std::size_t j = 0; j < d.column_labels.size(); ++j)
    c.text(left + (static_cast<double>(j) + 0.5) * cell_w, top - 10, d.column_labels[j], "middle", 11,
           "fill=\"#222\" font-weight=\"600\"");
  for (std::size_t i = 0; i < d.row_labels.size(); ++i) {
    double y = top + static_cast<double>(i) * cell_h;
    c.text(left - 8, y + cell_h / 2 + 4, shorten(d.row_labels[i], 48), "end", 12, "fill=\"#222\"");
    for (std::size_t j = 0; j < d.column_labels.size(); ++j) {
      double x = left + static_cast<double>(j) * cell_w;
      std::optional<double> v;
      if (i < d.values.size() && j < d.values[i].size()) v = d.values[i][j];
      std::string tip = d.row_labels[i] + " / " + d.column_labels[j] + ": ";
      if (i < d.tooltips.size() && j < d.tooltips[i].size() && !d.tooltips[i][j].empty())
        tip += d.tooltips[i][j];
      else
        tip += v ? format_value(*v) : "not available";
      if (!v || !std::isfinite(*v)) {
        c.rect(x + 1, y + 1, cell_w - 2, cell_h - 2, "#ececec", "stroke=\"#d4d4d4\"", tip);
        c.text(x + cell_w / 2, y + cell_h / 2 + 4, "n/a", "middle", 10, "fill=\"#888\"");
        continue;
      }
      Rgb bg = diverging(*v);
      c.rect(x + 1, y + 1, cell_w - 2, cell_h - 2, bg.hex(), {}, tip);
      std::string label = fmt::format("{:.2f}", *v);
      if (i < d.marks.size() && j < d.marks[i].size()) label += d.marks[i][j];
      c.text(x + cell_w / 2, y + cell_h / 2 + 4, label, "middle", 11,
             "fill=\"" + text_on(bg) + "\" pointer-events=\"none\"");
    }
  }
  // Legend: discrete steps from -1 to 1 (no gradient ids, so charts never clash).
  const int steps = 20;
  const double lw = 220, lx = left, ly = top + grid_h + 18, sw = lw / steps;
  for (int k = 0; k < steps; ++k) {
    double t = -1 + (k + 0.5) * 2.0 / steps;
    c.rect(lx + k * sw, ly, sw + 0.5, 10, diverging(t).hex());
  }
  c.rect(lx, ly, lw, 10, "none", "stroke=\"#999\"");
  for (double t : {-1.0, -0.5, 0.0, 0.5, 1.0}) {
    double x = lx + (t + 1) / 2 * lw;
    c.line(x, ly + 10, x, ly + 14, "#777", 1);
    c.text(x, ly + 26, format_value(t, 2), "middle", 10, "fill=\"#333\"");
  }
  c.text(lx + lw + 10, ly + 9, d.legend_label, "start", 11, "fill=\"#333\"");
  return c.str();
}

// ---- box plot ----

std::string box_plot(const BoxPlotData& d) {
  std::vector<double> all;
  for (const auto& g : d.groups) all.insert(all.end(), g.values.begin(), g.values.end());
  all.erase(std::remove_if(all.begin(), all.end(), [](double v) { return !std::isfinite(v); }), all.end());
  if (d.groups.empty() || all.empty()) return empty_chart(d.title, "no measured values");

  std::size_t longest = 0;
  for (const auto& g : d.groups) longest = std::max(longest, std::min<std::size_t>(g.label.size(), 22));
  const double natural = text_width(std::string(longest, 'x'), 11) + 12;
  const bool rotate = natural > 84;
  const double band = rotate ? 52.0 : std::max(60.0, natural);
  const double left = 70, top = 14, plot_h = 220;
  const double label_h = rotate ? 14 + longest * 5.2 : 22;
  const double bottom_margin = label_h + (d.x_label.empty() ? 6 : 26);
  const double width = std::max(left + band * static_cast<double>(d.groups.size()) + 20, 320.0);
  const double height = top + plot_h + bottom_margin;
  Canvas c(width, height, d.title, "Box plots per configuration; dots are individual runs");

  bool use_log = d.log_scale && *std::min_element(all.begin(), all.end()) > 0;
  Scale y = Scale::fit(all, top + plot_h, top, use_log, false);
  y_axis(c, y, left, width - 10, d.y_label);
  c.line(left, top + plot_h, width - 10, top + plot_h, "#555", 1);
  if (!d.x_label.empty())
    c.text((left + width - 10) / 2, top + plot_h + label_h + 18, d.x_label, "middle", 12, "fill=\"#222\"");

  for (std::size_t gi = 0; gi < d.groups.size(); ++gi) {
    const auto& g = d.groups[gi];
    double cx = left + (static_cast<double>(gi) + 0.5) * band;
    std::string label = shorten(g.label, 22);
    std::string weight = g.highlight ? " font-weight=\"700\"" : "";
    std::string fill = g.highlight ? kHighlight : "#222";
    if (rotate) {
      c.text(cx + 3, top + plot_h + 12, label, "end", 11, "fill=\"" + fill + "\"" + weight, -40);
    } else {
      c.text(cx, top + plot_h + 16, label, "middle", 11, "fill=\"" + fill + "\"" + weight);
    }
    std::vector<double> v;
    for (double x : g.values)
      if (std::isfinite(x)) v.push_back(x);
    if (v.empty()) {
      c.text(cx, top + plot_h - 8, "n/a", "middle", 10, "fill=\"#888\"");
      continue;
    }
    std::sort(v.begin(), v.end());
    const BoxStats st = box_stats(v);
    const double q1 = st.q1, med = st.median, q3 = st.q3, lo_w = st.low_whisker, hi_w = st.high_whisker;
    std::string stroke = g.highlight ? kHighlight : "#3a5f8a";
    std::string box_fill = g.highlight ? "#fbe3d3" : "#dbe7f3";
    double bw = std::min(band * 0.55, 36.0);
    std::string tip = fmt::format("{}: n={}, median {}, quartiles {} to {}, range {} to {}", g.label,
                                  v.size(), format_value(med), format_value(q1), format_value(q3),
                                  format_value(v.front()), format_value(v.back()));
    c.line(cx, y(lo_w), cx, y(q1), stroke, 1.2);
    c.line(cx, y(q3), cx, y(hi_w), stroke, 1.2);
    c.line(cx - bw / 4, y(lo_w), cx + bw / 4, y(lo_w), stroke, 1.2);
    c.line(cx - bw / 4, y(hi_w), cx + bw / 4, y(hi_w), stroke, 1.2);
    double by = y(q3), bh = y(q1) - y(q3);
    c.rect(cx - bw / 2, by, bw, std::max(bh, 1.0), box_fill,
           "stroke=\"" + stroke + "\" stroke-width=\"" + std::string(g.highlight ? "2" : "1.2") + "\"", tip);
    c.line(cx - bw / 2, y(med), cx + bw / 2, y(med), stroke, 2.2);
    // Every run as a dot, spread deterministically so equal values stay visible.
    for (std::size_t k = 0; k < v.size(); ++k) {
      double off = v.size() == 1 ? 0 : (static_cast<double>(k % 5) - 2.0) * bw / 10;
      bool outlier = v[k] < lo_w || v[k] > hi_w;
      c.circle(cx + off, y(v[k]), outlier ? 3 : 2.3, outlier ? "#b00" : "#222",
               "fill-opacity=\"0.75\"", g.label + ": " + format_value(v[k], 6));
    }
  }
  return c.str();
}

// ---- line chart ----

std::string line_chart(const LineChartData& d) {
  std::vector<double> xs, ys;
  for (const auto& s : d.series)
    for (const auto& [x, y] : s.points) {
      if (!std::isfinite(x) || !std::isfinite(y)) continue;
      xs.push_back(x);
      ys.push_back(y);
    }
  if (xs.empty()) return empty_chart(d.title, "no samples");
  const double left = 70, top = 14, plot_w = 430, plot_h = 200;
  const double legend_rows = std::ceil(static_cast<double>(d.series.size()) / 2.0);
  const double width = left + plot_w + 20, height = top + plot_h + 50 + legend_rows * 18;
  Canvas c(width, height, d.title, "Line chart, one line per run");
  Scale x = Scale::fit(xs, left, left + plot_w, false, true);
  Scale y = Scale::fit(ys, top + plot_h, top, false, d.y_from_zero);
  y_axis(c, y, left, left + plot_w, d.y_label);
  x_axis(c, x, top + plot_h, top, d.x_label);
  for (std::size_t si = 0; si < d.series.size(); ++si) {
    const auto& s = d.series[si];
    std::vector<std::pair<double, double>> pts;
    for (const auto& [px, py] : s.points)
      if (std::isfinite(px) && std::isfinite(py)) pts.emplace_back(x(px), y(py));
    std::string colour = s.highlight ? kHighlight : series_color(si);
    std::string extra = s.dashed ? "stroke-dasharray=\"5 3\"" : "";
    if (pts.size() == 1) {
      c.circle(pts[0].first, pts[0].second, 3, colour, {}, s.label);
    } else {
      c.polyline(pts, colour, s.highlight ? 2.2 : 1.5, extra, s.label);
    }
    double lx = left + static_cast<double>(si % 2) * (plot_w / 2);
    double ly = top + plot_h + 52 + std::floor(static_cast<double>(si) / 2) * 18;
    c.line(lx, ly - 4, lx + 18, ly - 4, colour, 2.5, extra);
    c.text(lx + 24, ly, shorten(s.label, 30), "start", 11,
           s.highlight ? "fill=\"#222\" font-weight=\"700\"" : "fill=\"#222\"");
  }
  return c.str();
}

// ---- trade-off grid ----

std::string tradeoff_grid(const TradeoffGridData& d) {
  static const char* kOutcome[] = {"win", "tie", "loss"};
  const double cell = 50, left = 92, top = 48;
  const double width = left + 3 * cell + 14, height = top + 3 * cell + 30;
  int total = 0, max_count = 0;
  for (auto& row : d.counts)
    for (int v : row) {
      total += v;
      max_count = std::max(max_count, v);
    }
  Canvas c(width, height, d.title,
           fmt::format("Trade-off grid, {} mutants: rows are the {} outcome, columns the performance "
                       "outcome (win, tie, loss against the original)",
                       total, d.energy_label));
  c.text(left + 1.5 * cell, 14, "performance", "middle", 11, "fill=\"#333\" font-weight=\"600\"");
  for (int j = 0; j < 3; ++j)
    c.text(left + (j + 0.5) * cell, top - 8, kOutcome[j], "middle", 11, "fill=\"#333\"");
  c.text(12, top + 1.5 * cell, shorten(d.energy_label, 20), "middle", 11,
         "fill=\"#333\" font-weight=\"600\"", -90);
  for (int i = 0; i < 3; ++i) {
    c.text(left - 8, top + (i + 0.5) * cell + 4, kOutcome[i], "end", 11, "fill=\"#333\"");
    for (int j = 0; j < 3; ++j) {
      int n = d.counts[i][j];
      double t = max_count == 0 ? 0 : 0.15 + 0.85 * static_cast<double>(n) / max_count;
      Rgb bg = n == 0 ? Rgb{250, 250, 250} : sequential(t);
      double x = left + j * cell, y = top + i * cell;
      std::string tip = fmt::format("{} {} / performance {}: {} mutant(s)", d.energy_label, kOutcome[i],
                                    kOutcome[j], n);
      c.rect(x, y, cell, cell, bg.hex(), "stroke=\"#bbb\"", tip);
      c.text(x + cell / 2, y + cell / 2 + 6, std::to_string(n), "middle", 17,
             "fill=\"" + (n == 0 ? std::string("#aaa") : text_on(bg)) + "\" font-weight=\"600\" pointer-events=\"none\"");
    }
  }
  // Greener without performance loss: energy win x performance win or tie.
  c.rect(left + 1.5, top + 1.5, 2 * cell - 3, cell - 3, "none",
         "stroke=\"#1a9850\" stroke-width=\"3\" pointer-events=\"none\"");
  c.text(left + 1.5 * cell, top + 3 * cell + 20, fmt::format("{} mutant comparisons", total), "middle", 10,
         "fill=\"#555\"");
  return c.str();
}

// ---- dumbbell ----

std::string dumbbell(const DumbbellData& d) {
  if (d.rows.empty()) return empty_chart(d.title, "no data to draw");
  double label_w = 0;
  for (const auto& r : d.rows) label_w = std::max(label_w, text_width(shorten(r.label, 50)));
  const double left = label_w + 20, top = 36, row_h = 20, plot_w = 360;
  const double width = left + plot_w + 30;
  const double height = top + row_h * static_cast<double>(d.rows.size()) + 44;
  Canvas c(width, height, d.title,
           fmt::format("Dumbbell chart: hollow circle = {}, filled circle = {}", d.a_label, d.b_label));
  Scale x = Scale::linear(d.x_min, d.x_max, left, left + plot_w);
  double bottom = top + row_h * static_cast<double>(d.rows.size());
  x_axis(c, x, bottom, top - 6, d.x_label, 4);
  if (d.x_min < 0 && d.x_max > 0) c.line(x(0), top - 6, x(0), bottom, "#999", 1, "stroke-dasharray=\"3 3\"");
  // legend
  c.circle(left, 14, 5, "#fff", "stroke=\"#0072b2\" stroke-width=\"2\"");
  c.text(left + 10, 18, d.a_label, "start", 11, "fill=\"#222\"");
  double bx = left + 20 + text_width(d.a_label, 11) + 20;
  c.circle(bx, 14, 5, kHighlight);
  c.text(bx + 10, 18, d.b_label, "start", 11, "fill=\"#222\"");
  for (std::size_t i = 0; i < d.rows.size(); ++i) {
    const auto& r = d.rows[i];
    double cy = top + (static_cast<double>(i) + 0.5) * row_h;
    if (r.emphasised) c.rect(0, cy - row_h / 2, width, row_h, "#fff4d6");
    c.text(left - 10, cy + 4, shorten(r.label, 50), "end", 12,
           r.emphasised ? "fill=\"#222\" font-weight=\"700\"" : "fill=\"#222\"");
    auto clampx = [&](double v) { return x(std::max(d.x_min, std::min(d.x_max, v))); };
    if (r.a && r.b) c.line(clampx(*r.a), cy, clampx(*r.b), cy, "#999", 2);
    if (r.a)
      c.circle(clampx(*r.a), cy, 5, "#fff", "stroke=\"#0072b2\" stroke-width=\"2\"",
               r.label + " " + d.a_label + ": " + format_value(*r.a));
    if (r.b) c.circle(clampx(*r.b), cy, 5, kHighlight, {}, r.label + " " + d.b_label + ": " + format_value(*r.b));
  }
  return c.str();
}

// ---- interval (forest) chart ----

std::string interval_chart(const IntervalChartData& d) {
  if (d.rows.empty()) return empty_chart(d.title, "no data to draw");
  double label_w = 0;
  std::vector<double> xs{0.0};
  for (const auto& r : d.rows) {
    label_w = std::max(label_w, text_width(shorten(r.label, 56)));
    for (double v : {r.estimate, r.low, r.high})
      if (std::isfinite(v)) xs.push_back(v);
  }
  const double left = label_w + 20, top = 12, row_h = 20, plot_w = 380;
  const double width = left + plot_w + 30;
  const double bottom = top + row_h * static_cast<double>(d.rows.size());
  const double height = bottom + 44;
  Canvas c(width, height, d.title, "Point estimates with their confidence intervals; the dashed line is 0");
  Scale x = Scale::fit(xs, left, left + plot_w, false, true);
  x_axis(c, x, bottom, top, d.x_label, 5);
  c.line(x(0), top, x(0), bottom, "#777", 1, "stroke-dasharray=\"3 3\"");
  for (std::size_t i = 0; i < d.rows.size(); ++i) {
    const auto& r = d.rows[i];
    double cy = top + (static_cast<double>(i) + 0.5) * row_h;
    c.text(left - 10, cy + 4, shorten(r.label, 56), "end", 12, "fill=\"#222\"");
    std::string tip = fmt::format("{}: {} [{}, {}]", r.label, format_value(r.estimate), format_value(r.low),
                                  format_value(r.high));
    if (std::isfinite(r.low) && std::isfinite(r.high)) {
      c.line(x(r.low), cy, x(r.high), cy, "#1a9850", 2);
      c.line(x(r.low), cy - 4, x(r.low), cy + 4, "#1a9850", 2);
      c.line(x(r.high), cy - 4, x(r.high), cy + 4, "#1a9850", 2);
    }
    if (r.marked) {
      c.rect(x(r.estimate) - 4, cy - 4, 8, 8, "#fff", "stroke=\"#1a9850\" stroke-width=\"2\"", tip);
    } else {
      c.rect(x(r.estimate) - 4, cy - 4, 8, 8, "#1a9850", {}, tip);
    }
  }
  return c.str();
}

}  // namespace greentune::report::svg

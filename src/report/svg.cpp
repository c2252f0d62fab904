// SVG primitives: escaping, number formatting, scales, colours, canvas and axes.
#include "greentune/report/svg.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include <fmt/format.h>

namespace greentune::report::svg {

std::string escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char ch : text) {
    switch (ch) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default:
        // Control characters other than tab/newline are not allowed in XML 1.0.
        if (static_cast<unsigned char>(ch) < 0x20 && ch != '\t' && ch != '\n' && ch != '\r') {
          out += ' ';
        } else {
          out += ch;
        }
    }
  }
  return out;
}

std::string coord(double value) {
  if (!std::isfinite(value)) return "0";
  std::string s = fmt::format("{:.2f}", value);
  while (!s.empty() && s.back() == '0') s.pop_back();
  if (!s.empty() && s.back() == '.') s.pop_back();
  if (s == "-0") s = "0";
  return s;
}

std::string format_value(double value, int digits) {
  if (std::isnan(value)) return "n/a";
  if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
  if (value == 0) return "0";
  double mag = std::fabs(value);
  if (mag >= 1e6 || mag < 1e-3) return fmt::format("{:.{}g}", value, digits);
  // Fixed notation with `digits` significant digits, trailing zeros trimmed.
  int decimals = std::max(0, digits - 1 - static_cast<int>(std::floor(std::log10(mag))));
  std::string s = fmt::format("{:.{}f}", value, decimals);
  if (s.find('.') != std::string::npos) {
    while (s.back() == '0') s.pop_back();
    if (s.back() == '.') s.pop_back();
  }
  return s;
}

// ---- Scale ----

Scale::Scale(Kind kind, double domain_min, double domain_max, double range_from, double range_to)
    : kind_(kind), d0_(domain_min), d1_(domain_max), r0_(range_from), r1_(range_to) {
  if (kind_ == Kind::log && (d0_ <= 0 || d1_ <= 0)) kind_ = Kind::linear;
  if (!(d1_ > d0_)) {  // degenerate domain: widen around the value
    double pad = d0_ == 0 ? 1 : std::fabs(d0_) * 0.1;
    if (kind_ == Kind::log) {
      d0_ /= 2;
      d1_ = d0_ * 4;
    } else {
      d0_ -= pad;
      d1_ = d0_ + 2 * pad;
    }
  }
}

Scale Scale::linear(double a, double b, double r0, double r1) { return Scale(Kind::linear, a, b, r0, r1); }
Scale Scale::log(double a, double b, double r0, double r1) { return Scale(Kind::log, a, b, r0, r1); }

Scale Scale::fit(const std::vector<double>& values, double r0, double r1, bool prefer_log,
                 bool include_zero) {
  double lo = INFINITY, hi = -INFINITY;
  for (double v : values) {
    if (!std::isfinite(v)) continue;
    lo = std::min(lo, v);
    hi = std::max(hi, v);
  }
  if (!std::isfinite(lo)) return Scale(Kind::linear, 0, 1, r0, r1);
  if (prefer_log && lo > 0 && hi / lo > 20) {
    return Scale(Kind::log, std::pow(10, std::floor(std::log10(lo))),
                 std::pow(10, std::ceil(std::log10(hi))), r0, r1);
  }
  if (include_zero) {
    lo = std::min(lo, 0.0);
    hi = std::max(hi, 0.0);
  }
  double span = hi - lo;
  if (span <= 0) span = lo == 0 ? 1 : std::fabs(lo) * 0.2;
  double pad = span * 0.06;
  double a = (include_zero && lo == 0) ? 0 : lo - pad;
  double b = (include_zero && hi == 0) ? 0 : hi + pad;
  if (lo >= 0 && a < 0) a = 0;  // never pad a non-negative quantity below zero
  return Scale(Kind::linear, a, b, r0, r1);
}

double Scale::operator()(double v) const {
  double t;
  if (kind_ == Kind::log) {
    if (v <= 0) v = d0_;
    t = (std::log10(v) - std::log10(d0_)) / (std::log10(d1_) - std::log10(d0_));
  } else {
    t = (v - d0_) / (d1_ - d0_);
  }
  return r0_ + t * (r1_ - r0_);
}

static double nice_step(double span, int target) {
  double raw = span / std::max(1, target);
  double p = std::pow(10, std::floor(std::log10(raw)));
  double f = raw / p;
  double nice = f < 1.5 ? 1 : f < 3 ? 2 : f < 7 ? 5 : 10;
  return nice * p;
}

std::vector<double> Scale::ticks(int target) const {
  std::vector<double> out;
  if (kind_ == Kind::log) {
    int e0 = static_cast<int>(std::ceil(std::log10(d0_) - 1e-9));
    int e1 = static_cast<int>(std::floor(std::log10(d1_) + 1e-9));
    int stride = std::max(1, (e1 - e0 + 1) / std::max(1, target));
    for (int e = e0; e <= e1; e += stride) out.push_back(std::pow(10.0, e));
    if (out.size() < 2) {  // short log range: add 2x and 5x ticks
      out.clear();
      for (int e = e0 - 1; e <= e1; ++e)
        for (double m : {1.0, 2.0, 5.0}) {
          double v = m * std::pow(10.0, e);
          if (v >= d0_ * (1 - 1e-9) && v <= d1_ * (1 + 1e-9)) out.push_back(v);
        }
    }
    return out;
  }
  double step = nice_step(d1_ - d0_, target);
  double first = std::ceil(d0_ / step - 1e-9) * step;
  for (double v = first; v <= d1_ + step * 1e-9; v += step) {
    out.push_back(std::fabs(v) < step * 1e-9 ? 0.0 : v);
    if (out.size() > 50) break;
  }
  return out;
}

std::string Scale::tick_label(double v) const { return format_value(v, 3); }

std::vector<std::string> Scale::tick_labels(const std::vector<double>& ticks) const {
  std::vector<std::string> out;
  if (kind_ == Kind::log || ticks.size() < 2) {
    for (double t : ticks) out.push_back(format_value(t, 3));
    return out;
  }
  double step = std::fabs(ticks[1] - ticks[0]);
  double big = std::max(std::fabs(ticks.front()), std::fabs(ticks.back()));
  if (big >= 1e6 || big < 1e-3) {
    int digits = std::max(2, static_cast<int>(std::ceil(std::log10(big / step))) + 1);
    for (double t : ticks) out.push_back(format_value(t, digits));
    return out;
  }
  int decimals = std::max(0, -static_cast<int>(std::floor(std::log10(step) + 1e-9)));
  for (double t : ticks) out.push_back(fmt::format("{:.{}f}", t == 0 ? 0.0 : t, decimals));
  return out;
}

// ---- colours ----

std::string Rgb::hex() const {
  auto clamp = [](int x) { return std::max(0, std::min(255, x)); };
  return fmt::format("#{:02x}{:02x}{:02x}", clamp(r), clamp(g), clamp(b));
}

Rgb mix(Rgb a, Rgb b, double t) {
  t = std::max(0.0, std::min(1.0, t));
  auto lerp = [t](int x, int y) { return static_cast<int>(std::lround(x + (y - x) * t)); };
  return {lerp(a.r, b.r), lerp(a.g, b.g), lerp(a.b, b.b)};
}

Rgb diverging(double t) {
  // ColorBrewer-like RdBu end points, white in the middle.
  const Rgb blue{33, 102, 172}, white{247, 247, 247}, red{178, 24, 43};
  if (!std::isfinite(t)) return {220, 220, 220};
  t = std::max(-1.0, std::min(1.0, t));
  return t < 0 ? mix(white, blue, -t) : mix(white, red, t);
}

Rgb sequential(double t, Rgb high) { return mix(Rgb{250, 250, 250}, high, t); }

std::string text_on(Rgb bg) {
  double lum = 0.2126 * bg.r + 0.7152 * bg.g + 0.0722 * bg.b;
  return lum < 140 ? "#ffffff" : "#1a1a1a";
}

std::string series_color(std::size_t i) {
  static const char* palette[] = {"#0072b2", "#009e73", "#cc79a7", "#e69f00",
                                  "#56b4e9", "#7a5195", "#999999", "#f0e442"};
  return palette[i % (sizeof(palette) / sizeof(palette[0]))];
}

// ---- Canvas ----

Canvas::Canvas(double w, double h, std::string title, std::string description)
    : width_(w), height_(h), title_(std::move(title)), description_(std::move(description)) {}

static void append_tooltip(std::string& out, std::string_view tag, std::string_view tooltip) {
  if (tooltip.empty()) {
    out += "/>";
  } else {
    out += "><title>";
    out += escape(tooltip);
    out += "</title></";
    out += tag;
    out += ">";
  }
}

void Canvas::rect(double x, double y, double w, double h, std::string_view fill,
                  std::string_view extra, std::string_view tooltip) {
  body_ += fmt::format("<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{}\"", coord(x),
                       coord(y), coord(std::max(0.0, w)), coord(std::max(0.0, h)), escape(fill));
  if (!extra.empty()) body_ += " " + std::string(extra);
  append_tooltip(body_, "rect", tooltip);
  body_ += "\n";
}

void Canvas::line(double x1, double y1, double x2, double y2, std::string_view stroke, double width,
                  std::string_view extra) {
  body_ += fmt::format("<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"{}\" stroke-width=\"{}\"",
                       coord(x1), coord(y1), coord(x2), coord(y2), escape(stroke), coord(width));
  if (!extra.empty()) body_ += " " + std::string(extra);
  body_ += "/>\n";
}

void Canvas::circle(double cx, double cy, double r, std::string_view fill, std::string_view extra,
                    std::string_view tooltip) {
  body_ += fmt::format("<circle cx=\"{}\" cy=\"{}\" r=\"{}\" fill=\"{}\"", coord(cx), coord(cy),
                       coord(r), escape(fill));
  if (!extra.empty()) body_ += " " + std::string(extra);
  append_tooltip(body_, "circle", tooltip);
  body_ += "\n";
}

void Canvas::polyline(const std::vector<std::pair<double, double>>& pts, std::string_view stroke,
                      double width, std::string_view extra, std::string_view tooltip) {
  if (pts.empty()) return;
  std::string p;
  for (const auto& [x, y] : pts) {
    if (!p.empty()) p += ' ';
    p += coord(x) + "," + coord(y);
  }
  body_ += fmt::format("<polyline points=\"{}\" fill=\"none\" stroke=\"{}\" stroke-width=\"{}\" "
                       "stroke-linejoin=\"round\"",
                       p, escape(stroke), coord(width));
  if (!extra.empty()) body_ += " " + std::string(extra);
  append_tooltip(body_, "polyline", tooltip);
  body_ += "\n";
}

void Canvas::text(double x, double y, std::string_view content, std::string_view anchor,
                  double size_px, std::string_view extra, double rotate) {
  body_ += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"{}\" font-size=\"{}\"", coord(x),
                       coord(y), escape(anchor), coord(size_px));
  if (rotate != 0) body_ += fmt::format(" transform=\"rotate({} {} {})\"", coord(rotate), coord(x), coord(y));
  if (!extra.empty()) body_ += " " + std::string(extra);
  body_ += ">" + escape(content) + "</text>\n";
}

void Canvas::raw(std::string_view element) { body_ += element; }

std::string Canvas::str() const {
  std::string label = description_.empty() ? title_ : title_ + ". " + description_;
  std::string out = fmt::format(
      "<svg class=\"chart\" width=\"{}\" height=\"{}\" "
      "viewBox=\"0 0 {} {}\" role=\"img\" aria-label=\"{}\" font-family=\"system-ui, sans-serif\">\n"
      "<title>{}</title>\n",
      coord(width_), coord(height_), coord(width_), coord(height_), escape(label), escape(title_));
  if (!description_.empty()) out += "<desc>" + escape(description_) + "</desc>\n";
  out += body_;
  out += "</svg>\n";
  return out;
}

// ---- axes ----

void y_axis(Canvas& c, const Scale& y, double left, double right, std::string_view label, int n) {
  double top = std::min(y(y.domain_min()), y(y.domain_max()));
  double bottom = std::max(y(y.domain_min()), y(y.domain_max()));
  auto ticks = y.ticks(n);
  auto labels = y.tick_labels(ticks);
  for (std::size_t k = 0; k < ticks.size(); ++k) {
    double py = y(ticks[k]);
    if (py < top - 0.5 || py > bottom + 0.5) continue;
    c.line(left, py, right, py, "#e3e3e3", 1);
    c.line(left - 4, py, left, py, "#555", 1);
    c.text(left - 7, py + 4, labels[k], "end", 11, "fill=\"#333\"");
  }
  c.line(left, top, left, bottom, "#555", 1);
  if (!label.empty())
    c.text(14, (top + bottom) / 2, label, "middle", 12, "fill=\"#222\"", -90);
}

void x_axis(Canvas& c, const Scale& x, double bottom, double top, std::string_view label, int n) {
  double left = std::min(x(x.domain_min()), x(x.domain_max()));
  double right = std::max(x(x.domain_min()), x(x.domain_max()));
  auto ticks = x.ticks(n);
  auto labels = x.tick_labels(ticks);
  for (std::size_t k = 0; k < ticks.size(); ++k) {
    double px = x(ticks[k]);
    if (px < left - 0.5 || px > right + 0.5) continue;
    c.line(px, top, px, bottom, "#efefef", 1);
    c.line(px, bottom, px, bottom + 4, "#555", 1);
    c.text(px, bottom + 16, labels[k], "middle", 11, "fill=\"#333\"");
  }
  c.line(left, bottom, right, bottom, "#555", 1);
  if (!label.empty()) c.text((left + right) / 2, bottom + 34, label, "middle", 12, "fill=\"#222\"");
}

}  // namespace greentune::report::svg

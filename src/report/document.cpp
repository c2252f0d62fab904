// Tables in three formats and the HTML page skeleton.
#include "greentune/report/document.hpp"

#include <cctype>

#include "greentune/report/svg.hpp"
#include "greentune/store/csv.hpp"

namespace greentune::report {

std::string html_escape(std::string_view text) { return svg::escape(text); }

std::string slug(std::string_view text) {
  std::string out;
  for (char ch : text) {
    auto c = static_cast<unsigned char>(ch);
    if (std::isalnum(c)) {
      out += static_cast<char>(std::tolower(c));
    } else if (!out.empty() && out.back() != '-') {
      out += '-';
    }
  }
  while (!out.empty() && out.back() == '-') out.pop_back();
  return out.empty() ? "section" : out;
}

std::string table_html(const Table& t, std::size_t max_rows) {
  std::string out = "<div class=\"table-wrap\"><table>\n";
  if (!t.caption.empty()) out += "<caption>" + html_escape(t.caption) + "</caption>\n";
  out += "<thead><tr>";
  for (const auto& c : t.columns) out += "<th scope=\"col\">" + html_escape(c) + "</th>";
  out += "</tr></thead>\n<tbody>\n";
  std::size_t shown = 0;
  for (const auto& row : t.rows) {
    if (shown++ == max_rows) break;
    out += "<tr>";
    for (const auto& cell : row) {
      out += cell.css_class.empty() ? "<td>" : "<td class=\"" + html_escape(cell.css_class) + "\">";
      out += html_escape(cell.text) + "</td>";
    }
    out += "</tr>\n";
  }
  out += "</tbody></table></div>\n";
  if (t.rows.size() > max_rows)
    out += notice("Showing the first " + std::to_string(max_rows) + " of " + std::to_string(t.rows.size()) +
                  " rows; every row is in this table's CSV file next to the page (see report.md).");
  return out;
}

static std::string md_cell(std::string_view s) {
  std::string out;
  for (char ch : s) {
    if (ch == '|') {
      out += "\\|";
    } else if (ch == '\n' || ch == '\r') {
      out += ' ';
    } else {
      out += ch;
    }
  }
  return out;
}

std::string table_markdown(const Table& t) {
  std::string out;
  if (!t.caption.empty()) out += "**" + md_cell(t.caption) + "**\n\n";
  out += "|";
  for (const auto& c : t.columns) out += " " + md_cell(c) + " |";
  out += "\n|";
  for (std::size_t i = 0; i < t.columns.size(); ++i) out += " --- |";
  out += "\n";
  for (const auto& row : t.rows) {
    out += "|";
    for (const auto& cell : row) out += " " + md_cell(cell.text) + " |";
    out += "\n";
  }
  return out;
}

std::string csv_field(std::string_view s) { return store::csv_field(s); }

std::string table_csv(const Table& t) {
  std::string out;
  for (std::size_t i = 0; i < t.columns.size(); ++i) out += (i ? "," : "") + csv_field(t.columns[i]);
  out += "\n";
  for (const auto& row : t.rows) {
    for (std::size_t i = 0; i < row.size(); ++i)
      out += (i ? "," : "") + csv_field(row[i].raw.empty() ? row[i].text : row[i].raw);
    out += "\n";
  }
  return out;
}

std::string paragraph(std::string_view text, std::string_view css_class) {
  if (css_class.empty()) return "<p>" + html_escape(text) + "</p>\n";
  return "<p class=\"" + html_escape(css_class) + "\">" + html_escape(text) + "</p>\n";
}

std::string notice(std::string_view text) {
  return "<p class=\"notice\" role=\"note\">" + html_escape(text) + "</p>\n";
}

std::string figure(std::string_view svg_html, std::string_view caption) {
  std::string out = "<figure>\n";
  out += svg_html;
  if (!caption.empty()) out += "<figcaption>" + html_escape(caption) + "</figcaption>\n";
  out += "</figure>\n";
  return out;
}

HtmlPage::HtmlPage(std::string title, std::string subtitle)
    : title_(std::move(title)), subtitle_(std::move(subtitle)) {}

void HtmlPage::add_section(std::string id, std::string heading, std::string body_html) {
  sections_.push_back({slug(id), std::move(heading), std::move(body_html)});
}

namespace {
constexpr const char* kCss = R"css(
:root { --ink:#1f2328; --muted:#59636e; --line:#d8dee4; --accent:#0a5c8a; --paper:#ffffff;
        --win:#d9f2e3; --loss:#fbe0e0; --tie:#f3f4f6; --est:#fff4d6; }
* { box-sizing: border-box; }
html { background:#f6f7f9; }
body { margin:0 auto; max-width:1180px; padding:28px 36px 60px; background:var(--paper); color:var(--ink);
       font:15px/1.5 system-ui, -apple-system, "Segoe UI", "DejaVu Sans", sans-serif; }
header.page { border-bottom:3px solid var(--accent); margin-bottom:18px; padding-bottom:10px; }
header.page h1 { margin:0 0 4px; font-size:28px; color:var(--accent); }
header.page p { margin:0; color:var(--muted); }
nav.toc { background:#f3f6f9; border:1px solid var(--line); border-radius:6px; padding:10px 18px; margin:16px 0 26px; }
nav.toc h2 { font-size:14px; text-transform:uppercase; letter-spacing:.06em; color:var(--muted); margin:4px 0 6px; border:0; padding:0; }
nav.toc ol { margin:0; padding-left:22px; columns:2; column-gap:36px; }
nav.toc a { color:var(--accent); text-decoration:none; }
nav.toc a:hover { text-decoration:underline; }
section { margin:0 0 34px; }
h2 { font-size:21px; border-bottom:1px solid var(--line); padding-bottom:4px; margin:30px 0 12px; }
h3 { font-size:16px; margin:20px 0 8px; }
p { margin:6px 0 10px; max-width:92ch; }
p.lead { color:var(--muted); }
p.notice { background:#f6f8fa; border-left:4px solid #9aa5b1; padding:8px 12px; color:#3d4752; }
p.estimate-note, .est-note { background:var(--est); border-left:4px solid #d4a017; padding:8px 12px; }
.table-wrap { overflow-x:auto; margin:8px 0 16px; }
table { border-collapse:collapse; font-size:13px; font-variant-numeric:tabular-nums; }
caption { text-align:left; font-weight:600; padding:4px 0 6px; color:var(--ink); }
th, td { border:1px solid var(--line); padding:4px 9px; text-align:left; vertical-align:top; }
th { background:#eef2f6; font-weight:600; }
tbody tr:nth-child(even) td { background:#fafbfc; }
td.num { text-align:right; white-space:nowrap; }
td.win { background:var(--win) !important; }
td.loss { background:var(--loss) !important; }
td.tie { color:var(--muted); }
td.est { background:var(--est) !important; }
td.strong-pos { background:#f6c9c4 !important; } td.strong-neg { background:#c6daf0 !important; }
td.changed { background:#fff0c2 !important; font-weight:600; }
figure { margin:10px 0 18px; }
figcaption { color:var(--muted); font-size:13px; margin-top:4px; max-width:92ch; }
svg.chart { max-width:100%; height:auto; display:block; background:#fff; }
svg.chart text { font-family: system-ui, "DejaVu Sans", sans-serif; }
.grid-row { display:flex; flex-wrap:wrap; gap:14px 22px; align-items:flex-start; }
.grid-row figure { margin:4px 0; }
.grid-row figcaption { max-width:260px; }
.charts { display:flex; flex-wrap:wrap; gap:10px 26px; }
dl.env { display:grid; grid-template-columns:max-content 1fr; gap:3px 18px; margin:8px 0 14px; }
dl.env dt { font-weight:600; color:var(--muted); }
dl.env dd { margin:0; }
.badge { display:inline-block; font-size:11px; padding:0 6px; border-radius:9px; background:#eee; color:#333; margin-left:4px; }
.badge.est { background:#f7d774; color:#4a3b00; }
footer { margin-top:40px; color:var(--muted); font-size:12px; border-top:1px solid var(--line); padding-top:8px; }
@media print {
  html, body { background:#fff; }
  body { max-width:none; padding:0; font-size:11pt; }
  nav.toc { columns:1; break-after:page; }
  section { break-inside:auto; }
  figure, table, .grid-row figure { break-inside:avoid; }
  h2, h3 { break-after:avoid; }
  a { color:inherit; text-decoration:none; }
}
)css";
}  // namespace

std::string HtmlPage::str() const {
  std::string out =
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
      "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\">\n"
      "<title>" +
      html_escape(title_) + "</title>\n<style>" + kCss + "</style>\n</head>\n<body>\n";
  out += "<header class=\"page\"><h1>" + html_escape(title_) + "</h1>";
  if (!subtitle_.empty()) out += "<p>" + html_escape(subtitle_) + "</p>";
  out += "</header>\n";
  out += "<nav class=\"toc\" aria-label=\"Contents\"><h2>Contents</h2><ol>\n";
  for (const auto& s : sections_)
    out += "<li><a href=\"#" + s.id + "\">" + html_escape(s.heading) + "</a></li>\n";
  out += "</ol></nav>\n<main>\n";
  for (const auto& s : sections_) {
    out += "<section id=\"" + s.id + "\" aria-labelledby=\"" + s.id + "-h\">\n<h2 id=\"" + s.id + "-h\">" +
           html_escape(s.heading) + "</h2>\n";
    out += s.body_html;
    out += "</section>\n";
  }
  out += "</main>\n<footer>Generated by greentune. This page is self-contained: it loads no scripts, "
         "fonts or images from anywhere.</footer>\n</body>\n</html>\n";
  return out;
}

}  // namespace greentune::report

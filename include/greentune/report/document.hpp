#pragma once
// Report documents: tables rendered as HTML, Markdown or CSV, and an HTML page assembled
// from sections (inline CSS, table of contents, print-friendly, no scripts).
#include <string>
#include <string_view>
#include <vector>

namespace greentune::report {

// One table cell: `text` is shown (HTML, Markdown); `raw` is written to CSV (exact numbers)
// and defaults to `text` when empty; `css_class` styles the HTML cell (win, loss, tie, est,
// num, ...).
struct Cell {
  std::string text;
  std::string raw;
  std::string css_class;
  Cell() = default;
  Cell(std::string t) : text(std::move(t)) {}  // NOLINT: implicit on purpose
  Cell(const char* t) : text(t) {}              // NOLINT
  Cell(std::string t, std::string r, std::string cls = {})
      : text(std::move(t)), raw(std::move(r)), css_class(std::move(cls)) {}
};

struct Table {
  std::string caption;
  std::vector<std::string> columns;
  std::vector<std::vector<Cell>> rows;
};

std::string html_escape(std::string_view text);
// At most max_rows rows are written (large studies); a note then says where the rest is.
inline constexpr std::size_t kMaxHtmlRows = 500;
std::string table_html(const Table& table, std::size_t max_rows = kMaxHtmlRows);
std::string table_markdown(const Table& table);
std::string table_csv(const Table& table);  // RFC 4180: quoted when needed, CRLF-free (\n)
std::string csv_field(std::string_view text);

// HTML snippets (arguments are plain text, escaped here, unless named *_html).
std::string paragraph(std::string_view text, std::string_view css_class = {});
std::string notice(std::string_view text);  // "not available" style box
std::string figure(std::string_view svg_html, std::string_view caption);

class HtmlPage {
 public:
  explicit HtmlPage(std::string title, std::string subtitle = {});
  // body_html is trusted HTML (built from escaped pieces); id must be a simple slug.
  void add_section(std::string id, std::string heading, std::string body_html);
  std::string str() const;
  std::size_t section_count() const { return sections_.size(); }

 private:
  struct Section {
    std::string id, heading, body_html;
  };
  std::string title_, subtitle_;
  std::vector<Section> sections_;
};

// Slug usable as an HTML id: lowercase letters, digits and '-'.
std::string slug(std::string_view text);

}  // namespace greentune::report

#pragma once
// CSV (RFC 4180) as greentune writes and reads it: the runs interchange file and the
// report's table files use the same quoting.
#include <string>
#include <string_view>
#include <vector>

namespace greentune::store {

// Whether a field must be quoted: it holds a comma, a quote or a line break, or starts or
// ends with a blank (kept verbatim only inside quotes).
bool csv_needs_quotes(std::string_view field);
// The field as written: verbatim, or in double quotes with inner quotes doubled.
std::string csv_field(std::string_view field);
// Appends csv_field(field) to `out`.
void append_csv_field(std::string& out, std::string_view field);

// Splits CSV records out of a text buffer (quoted fields may hold commas, doubled quotes
// and line breaks; a UTF-8 byte order mark is skipped; blank lines are skipped). Tracks the
// line each record starts on; malformed quoting throws input_error "NAME:LINE: ...".
class CsvReader {
 public:
  // first_line: the line number `text` starts on (a part of a larger file); a byte order
  // mark is skipped only at line 1.
  CsvReader(std::string_view text, const std::string& name, long long first_line = 1);
  // Next record into `fields` (reusing their storage); false at the end of the text.
  bool next(std::vector<std::string>& fields, long long& line);
  // Offset of the next unread byte in the text.
  std::size_t position() const { return pos_; }

 private:
  std::string_view text_;
  std::string name_;
  std::size_t pos_ = 0;
  long long line_ = 1;
};

}  // namespace greentune::store

#include "greentune/store/csv.hpp"

#include <cstring>

#include "greentune/core/error.hpp"

namespace greentune::store {

bool csv_needs_quotes(std::string_view s) {
  return s.find_first_of(",\"\n\r") != std::string_view::npos || (!s.empty() && (s.front() == ' ' || s.back() == ' '));
}

void append_csv_field(std::string& out, std::string_view s) {
  if (!csv_needs_quotes(s)) {
    out.append(s);
    return;
  }
  out.push_back('"');
  for (char c : s) {
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  out.push_back('"');
}

std::string csv_field(std::string_view s) {
  std::string out;
  append_csv_field(out, s);
  return out;
}

CsvReader::CsvReader(std::string_view text, const std::string& name, long long first_line)
    : text_(text), name_(name), line_(first_line) {
  if (first_line == 1 && text_.size() >= 3 && static_cast<unsigned char>(text_[0]) == 0xEF &&
      static_cast<unsigned char>(text_[1]) == 0xBB && static_cast<unsigned char>(text_[2]) == 0xBF)
    pos_ = 3;  // UTF-8 byte order mark
}

bool CsvReader::next(std::vector<std::string>& fields, long long& line) {
  const char* data = text_.data();
  const std::size_t size = text_.size();
  while (pos_ < size && (data[pos_] == '\n' || data[pos_] == '\r')) {
    if (data[pos_] == '\n') ++line_;
    ++pos_;
  }
  if (pos_ >= size) return false;
  line = line_;
  std::size_t count = 0;
  for (;;) {
    if (count == fields.size()) fields.emplace_back();
    std::string& field = fields[count++];
    field.clear();
    if (pos_ < size && data[pos_] == '"') {
      ++pos_;
      for (;;) {
        if (pos_ >= size) throw input_error(name_ + ":" + std::to_string(line) + ": unterminated quoted field");
        char c = data[pos_++];
        if (c == '"') {
          if (pos_ < size && data[pos_] == '"') {
            field.push_back('"');
            ++pos_;
          } else {
            break;
          }
        } else {
          if (c == '\n') ++line_;
          field.push_back(c);
        }
      }
      if (pos_ < size && data[pos_] != ',' && data[pos_] != '\n' && data[pos_] != '\r')
        throw input_error(name_ + ":" + std::to_string(line) + ": field " + std::to_string(count) +
                          ": text after a closing quote");
    } else {
      std::size_t start = pos_;
      while (pos_ < size && data[pos_] != ',' && data[pos_] != '\n' && data[pos_] != '\r') ++pos_;
      field.assign(data + start, pos_ - start);
    }
    if (pos_ < size && data[pos_] == ',') {
      ++pos_;
      continue;
    }
    if (pos_ < size && data[pos_] == '\r') ++pos_;
    if (pos_ < size && data[pos_] == '\n') {
      ++pos_;
      ++line_;
    }
    break;
  }
  fields.resize(count);
  return true;
}

}  // namespace greentune::store

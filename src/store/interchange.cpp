#include "greentune/store/interchange.hpp"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <iterator>
#include <map>
#include <optional>
#include <ostream>
#include <set>
#include <sstream>

#include "greentune/core/error.hpp"
#include "greentune/core/number_format.hpp"

namespace greentune::store {
namespace {

enum class Column {
  model, scenario, corunner, op, repetition, hp, cpu_package_j, dram_j, gpu_j, duration_s,
  performance, performance_metric, higher_is_better, status, node, extra
};

const std::map<std::string, Column, std::less<>>& fixed_columns() {
  static const std::map<std::string, Column, std::less<>> columns = {
      {"model", Column::model},
      {"scenario", Column::scenario},
      {"corunner", Column::corunner},
      {"operator", Column::op},
      {"repetition", Column::repetition},
      {"cpu_package_j", Column::cpu_package_j},
      {"dram_j", Column::dram_j},
      {"gpu_j", Column::gpu_j},
      {"duration_s", Column::duration_s},
      {"performance", Column::performance},
      {"performance_metric", Column::performance_metric},
      {"higher_is_better", Column::higher_is_better},
      {"status", Column::status},
      {"node", Column::node},
  };
  return columns;
}

// Splits CSV records out of a text buffer (RFC 4180: quoted fields may hold commas,
// quotes doubled, and newlines). Tracks the line each record starts on.
class CsvReader {
 public:
  CsvReader(std::string_view text, const std::string& name) : text_(text), name_(name) {
    if (text_.size() >= 3 && static_cast<unsigned char>(text_[0]) == 0xEF &&
        static_cast<unsigned char>(text_[1]) == 0xBB && static_cast<unsigned char>(text_[2]) == 0xBF)
      pos_ = 3;  // UTF-8 byte order mark
  }

  // Next record into `fields` (reusing its storage); false at the end of the text.
  // Blank lines are skipped.
  bool next(std::vector<std::string>& fields, long long& line) {
    while (pos_ < text_.size() && (text_[pos_] == '\n' || text_[pos_] == '\r')) {
      if (text_[pos_] == '\n') ++line_;
      ++pos_;
    }
    if (pos_ >= text_.size()) return false;
    line = line_;
    std::size_t count = 0;
    for (;;) {
      if (count == fields.size()) fields.emplace_back();
      std::string& field = fields[count++];
      field.clear();
      if (pos_ < text_.size() && text_[pos_] == '"') {
        ++pos_;
        for (;;) {
          if (pos_ >= text_.size())
            throw input_error(name_ + ":" + std::to_string(line) + ": unterminated quoted field");
          char c = text_[pos_++];
          if (c == '"') {
            if (pos_ < text_.size() && text_[pos_] == '"') {
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
        if (pos_ < text_.size() && text_[pos_] != ',' && text_[pos_] != '\n' && text_[pos_] != '\r')
          throw input_error(name_ + ":" + std::to_string(line) + ": field " + std::to_string(count) +
                            ": text after a closing quote");
      } else {
        std::size_t start = pos_;
        while (pos_ < text_.size() && text_[pos_] != ',' && text_[pos_] != '\n' && text_[pos_] != '\r') ++pos_;
        field.assign(text_.data() + start, pos_ - start);
      }
      if (pos_ < text_.size() && text_[pos_] == ',') {
        ++pos_;
        continue;
      }
      // end of record
      if (pos_ < text_.size() && text_[pos_] == '\r') ++pos_;
      if (pos_ < text_.size() && text_[pos_] == '\n') {
        ++pos_;
        ++line_;
      }
      break;
    }
    fields.resize(count);
    return true;
  }

 private:
  std::string_view text_;
  const std::string& name_;
  std::size_t pos_ = 0;
  long long line_ = 1;
};

std::string where(const std::string& name, long long line, const std::string& column) {
  return name + ":" + std::to_string(line) + ": column '" + column + "'";
}

std::optional<double> number_cell(const std::string& cell, const std::string& name, long long line,
                                  const std::string& column) {
  if (cell.empty()) return std::nullopt;
  auto v = parse_double(cell);
  if (!v) {
    bool blank = std::all_of(cell.begin(), cell.end(), [](char c) { return c == ' ' || c == '\t'; });
    if (blank) return std::nullopt;
    throw input_error(where(name, line, column) + ": '" + cell + "' is not a number");
  }
  return v;
}

// higher_is_better: 1/0 or true/false (any case); empty = not given.
std::optional<bool> direction_cell(const std::string& cell, const std::string& name, long long line) {
  std::string v;
  for (char c : cell)
    if (c != ' ' && c != '\t') v += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (v.empty()) return std::nullopt;
  if (v == "1" || v == "true") return true;
  if (v == "0" || v == "false") return false;
  throw input_error(where(name, line, "higher_is_better") + ": '" + cell + "' is not 1, 0, true or false");
}

// The performance metric of one model as the rows of a runs file give it: every row that
// names a direction (or a metric name) must agree with the first one that did.
struct ModelMetric {
  std::optional<bool> higher_is_better;
  long long direction_line = 0;
  std::string metric;
  long long metric_line = 0;
};

bool needs_quotes(const std::string& s) {
  return s.find_first_of(",\"\n\r") != std::string::npos || (!s.empty() && (s.front() == ' ' || s.back() == ' '));
}

void write_field(std::ostream& out, const std::string& s) {
  if (!needs_quotes(s)) {
    out << s;
    return;
  }
  out << '"';
  for (char c : s) {
    if (c == '"') out << '"';
    out << c;
  }
  out << '"';
}

void write_number(std::ostream& out, const std::optional<double>& v) {
  if (v) out << format_exact(*v);
}

}  // namespace

const std::vector<std::string>& required_run_columns() {
  static const std::vector<std::string> columns = {"model",         "scenario", "corunner", "operator",
                                                   "repetition",    "cpu_package_j", "dram_j", "gpu_j",
                                                   "duration_s",    "performance"};
  return columns;
}

RunsTable read_runs_table(std::string_view text, const std::string& name) {
  CsvReader reader(text, name);
  std::vector<std::string> header;
  long long line = 1;
  if (!reader.next(header, line)) throw input_error(name + ":1: empty runs file (a header line is required)");

  std::vector<Column> kinds(header.size(), Column::extra);
  std::vector<std::string> names(header.size());
  std::set<std::string> seen;
  for (std::size_t i = 0; i < header.size(); ++i) {
    std::string h = header[i];
    while (!h.empty() && (h.back() == ' ' || h.back() == '\t')) h.pop_back();
    while (!h.empty() && (h.front() == ' ' || h.front() == '\t')) h.erase(h.begin());
    if (h.empty()) throw input_error(where(name, line, std::to_string(i + 1)) + ": empty column name in the header");
    if (!seen.insert(h).second) throw input_error(where(name, line, h) + ": duplicate column in the header");
    auto it = fixed_columns().find(h);
    if (it != fixed_columns().end()) {
      kinds[i] = it->second;
      names[i] = h;
    } else if (h.rfind("hp.", 0) == 0) {
      if (h.size() == 3) throw input_error(where(name, line, h) + ": hyperparameter column without a name");
      kinds[i] = Column::hp;
      names[i] = h.substr(3);
    } else {
      names[i] = h;
    }
  }
  for (const auto& required : required_run_columns()) {
    if (!seen.count(required))
      throw input_error(name + ":" + std::to_string(line) + ": missing required column '" + required +
                        "' in the header");
  }

  const bool has_direction = seen.count("higher_is_better") > 0;
  const bool has_metric_name = seen.count("performance_metric") > 0;
  std::map<std::string, ModelMetric, std::less<>> model_metrics;
  // Rows of one model usually come together: remember the last one looked up.
  ModelMetric* last_metric = nullptr;
  std::string last_model;
  auto metric_of = [&](const std::string& model) -> ModelMetric& {
    if (!last_metric || model != last_model) {
      last_metric = &model_metrics[model];
      last_model = model;
    }
    return *last_metric;
  };

  RunsTable table;
  const auto rows = static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n')) + 1;
  table.runs.reserve(rows);
  table.lines.reserve(rows);
  std::vector<std::string> fields;
  while (reader.next(fields, line)) {
    if (fields.size() != header.size())
      throw input_error(name + ":" + std::to_string(line) + ": " + std::to_string(fields.size()) +
                        " fields, the header has " + std::to_string(header.size()));
    RunRecord run;
    run.status.clear();
    bool has_status = false;
    std::optional<bool> direction;
    for (std::size_t i = 0; i < fields.size(); ++i) {
      std::string& cell = fields[i];
      switch (kinds[i]) {
        case Column::model: run.model = cell; break;
        case Column::scenario: run.scenario = cell; break;
        case Column::corunner: run.corunner = cell; break;
        case Column::op: run.op = cell; break;
        case Column::repetition: {
          if (cell.empty()) {
            run.repetition = 0;
            break;
          }
          auto v = parse_integer(cell);
          if (!v) throw input_error(where(name, line, names[i]) + ": '" + cell + "' is not an integer");
          run.repetition = *v;
          break;
        }
        case Column::hp: {
          auto v = number_cell(cell, name, line, header[i]);
          if (v) run.hp.emplace(names[i], *v);
          break;
        }
        case Column::cpu_package_j: run.cpu_package_j = number_cell(cell, name, line, names[i]); break;
        case Column::dram_j: run.dram_j = number_cell(cell, name, line, names[i]); break;
        case Column::gpu_j: run.gpu_j = number_cell(cell, name, line, names[i]); break;
        case Column::duration_s: run.duration_s = number_cell(cell, name, line, names[i]); break;
        case Column::performance: run.performance = number_cell(cell, name, line, names[i]); break;
        case Column::performance_metric: run.performance_metric = cell; break;
        case Column::higher_is_better: direction = direction_cell(cell, name, line); break;
        case Column::status:
          run.status = cell;
          has_status = true;
          break;
        case Column::node: run.node = cell; break;
        case Column::extra:
          if (!cell.empty()) run.extra.emplace(names[i], std::move(cell));
          break;
      }
    }
    if (!has_status || run.status.empty()) run.status = "succeeded";
    if (run.model.empty()) throw input_error(where(name, line, "model") + ": empty model name");
    if (run.scenario != "single" && run.scenario != "parallel")
      throw input_error(where(name, line, "scenario") + ": '" + run.scenario + "' is not 'single' or 'parallel'");
    if (run.op.empty()) throw input_error(where(name, line, "operator") + ": empty operator (use 'original')");
    if (run.op != "original" && !run.hp.count(run.op))
      throw input_error(where(name, line, "hp." + run.op) + ": a run of operator '" + run.op +
                        "' needs its value in column 'hp." + run.op + "'");
    if (has_direction || has_metric_name) {
      ModelMetric& m = metric_of(run.model);
      if (direction) {
        if (!m.higher_is_better) {
          m.higher_is_better = direction;
          m.direction_line = line;
        } else if (*m.higher_is_better != *direction) {
          throw input_error(where(name, line, "higher_is_better") + ": model '" + run.model + "' is " +
                            (*direction ? "higher" : "lower") + "-is-better here but " +
                            (*m.higher_is_better ? "higher" : "lower") + "-is-better on line " +
                            std::to_string(m.direction_line) + " (one direction per model)");
        }
      }
      if (!run.performance_metric.empty()) {
        if (m.metric.empty()) {
          m.metric = run.performance_metric;
          m.metric_line = line;
        } else if (m.metric != run.performance_metric) {
          throw input_error(where(name, line, "performance_metric") + ": model '" + run.model + "' measures '" +
                            run.performance_metric + "' here but '" + m.metric + "' on line " +
                            std::to_string(m.metric_line) + " (one metric per model)");
        }
      }
    }
    table.runs.push_back(std::move(run));
    table.lines.push_back(line);
  }
  // A row without a direction (or metric name) takes its model's; a model that gives none
  // is higher-is-better (the documented default, and what files without the column mean).
  if (has_direction || has_metric_name) {
    for (RunRecord& run : table.runs) {
      const ModelMetric& m = metric_of(run.model);
      run.higher_is_better = m.higher_is_better.value_or(true);
      if (run.performance_metric.empty()) run.performance_metric = m.metric;
    }
  }
  return table;
}

RunsTable read_runs_table_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw io_error("cannot open runs file '" + path + "'");
  std::string text;
  in.seekg(0, std::ios::end);
  auto size = in.tellg();
  if (size > 0) {
    text.resize(static_cast<std::size_t>(size));
    in.seekg(0, std::ios::beg);
    in.read(text.data(), size);
  }
  if (!in && !in.eof()) throw io_error("cannot read runs file '" + path + "'");
  return read_runs_table(text, path);
}

std::vector<RunRecord> read_runs_csv(const std::string& path) { return read_runs_table_file(path).runs; }

std::vector<RunRecord> read_runs_csv(std::istream& in, const std::string& name) {
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return read_runs_table(text, name).runs;
}

void write_runs_csv(std::ostream& out, const std::vector<RunRecord>& runs) {
  std::set<std::string> hp_names, extra_names;
  for (const auto& run : runs) {
    for (const auto& [k, v] : run.hp) hp_names.insert(k);
    for (const auto& [k, v] : run.extra) extra_names.insert(k);
  }
  // An extra column must not shadow a fixed or hp column when read back.
  for (auto it = extra_names.begin(); it != extra_names.end();) {
    if (fixed_columns().count(*it) || it->rfind("hp.", 0) == 0)
      it = extra_names.erase(it);
    else
      ++it;
  }
  out << "model,scenario,corunner,operator,repetition";
  for (const auto& h : hp_names) {
    out << ',';
    write_field(out, "hp." + h);
  }
  out << ",cpu_package_j,dram_j,gpu_j,duration_s,performance,performance_metric,higher_is_better,status,node";
  for (const auto& e : extra_names) {
    out << ',';
    write_field(out, e);
  }
  out << '\n';
  for (const auto& run : runs) {
    write_field(out, run.model);
    out << ',';
    write_field(out, run.scenario);
    out << ',';
    write_field(out, run.corunner);
    out << ',';
    write_field(out, run.op);
    out << ',' << run.repetition;
    for (const auto& h : hp_names) {
      out << ',';
      auto it = run.hp.find(h);
      if (it != run.hp.end()) out << format_exact(it->second);
    }
    out << ',';
    write_number(out, run.cpu_package_j);
    out << ',';
    write_number(out, run.dram_j);
    out << ',';
    write_number(out, run.gpu_j);
    out << ',';
    write_number(out, run.duration_s);
    out << ',';
    write_number(out, run.performance);
    out << ',';
    write_field(out, run.performance_metric);
    out << (run.higher_is_better ? ",1," : ",0,");
    write_field(out, run.status);
    out << ',';
    write_field(out, run.node);
    for (const auto& e : extra_names) {
      out << ',';
      auto it = run.extra.find(e);
      if (it != run.extra.end()) write_field(out, it->second);
    }
    out << '\n';
  }
}

}  // namespace greentune::store

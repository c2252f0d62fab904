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
#include <thread>
#include <exception>

#include "greentune/core/error.hpp"
#include "greentune/core/number_format.hpp"
#include "greentune/store/csv.hpp"

namespace greentune::store {
namespace {

enum class Column {
  model, scenario, corunner, op, repetition, hp, cpu_package_j, dram_j, gpu_j, duration_s,
  performance, performance_metric, higher_is_better, status, node, cpu_package_source, dram_source,
  gpu_source, extra
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
      {"cpu_package_source", Column::cpu_package_source},
      {"dram_source", Column::dram_source},
      {"gpu_source", Column::gpu_source},
  };
  return columns;
}

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

void write_field(std::ostream& out, std::string_view s) {
  if (!csv_needs_quotes(s))
    out << s;
  else
    out << csv_field(s);
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

namespace {

// What the header says about each column.
struct Header {
  std::vector<std::string> header;  // as written
  std::vector<Column> kinds;
  std::vector<std::string> names;   // hp columns without "hp."
  bool has_direction = false, has_metric_name = false;
};

Header read_header(CsvReader& reader, const std::string& name) {
  Header hd;
  long long line = 1;
  if (!reader.next(hd.header, line)) throw input_error(name + ":1: empty runs file (a header line is required)");
  const auto& header = hd.header;
  hd.kinds.assign(header.size(), Column::extra);
  hd.names.resize(header.size());
  std::set<std::string> seen;
  for (std::size_t i = 0; i < header.size(); ++i) {
    std::string h = header[i];
    while (!h.empty() && (h.back() == ' ' || h.back() == '\t')) h.pop_back();
    while (!h.empty() && (h.front() == ' ' || h.front() == '\t')) h.erase(h.begin());
    if (h.empty()) throw input_error(where(name, line, std::to_string(i + 1)) + ": empty column name in the header");
    if (!seen.insert(h).second) throw input_error(where(name, line, h) + ": duplicate column in the header");
    auto it = fixed_columns().find(h);
    if (it != fixed_columns().end()) {
      hd.kinds[i] = it->second;
      hd.names[i] = h;
    } else if (h.rfind("hp.", 0) == 0) {
      if (h.size() == 3) throw input_error(where(name, line, h) + ": hyperparameter column without a name");
      hd.kinds[i] = Column::hp;
      hd.names[i] = h.substr(3);
    } else {
      hd.names[i] = h;
    }
  }
  for (const auto& required : required_run_columns()) {
    if (!seen.count(required))
      throw input_error(name + ":" + std::to_string(line) + ": missing required column '" + required +
                        "' in the header");
  }
  hd.has_direction = seen.count("higher_is_better") > 0;
  hd.has_metric_name = seen.count("performance_metric") > 0;
  return hd;
}

// The rows of one part of the file. A bad row stops the part: `error` holds its exception,
// and `runs`/`lines` the rows before it (the checks across rows still see them, in order).
struct Part {
  std::vector<RunRecord> runs;
  std::vector<long long> lines;
  std::vector<std::optional<bool>> directions;  // per row: its higher_is_better cell
  std::exception_ptr error;
};

void read_rows(std::string_view text, long long first_line, const std::string& name, const Header& hd,
               std::size_t expected_rows, Part& part) {
  try {
    CsvReader reader(text, name, first_line);
    part.runs.reserve(expected_rows);
    part.lines.reserve(expected_rows);
    if (hd.has_direction) part.directions.reserve(expected_rows);
    std::vector<std::string> fields;
    long long line = first_line;
    while (reader.next(fields, line)) {
      if (fields.size() != hd.header.size())
        throw input_error(name + ":" + std::to_string(line) + ": " + std::to_string(fields.size()) +
                          " fields, the header has " + std::to_string(hd.header.size()));
      RunRecord run;
      std::optional<bool> direction;
      for (std::size_t i = 0; i < fields.size(); ++i) {
        std::string& cell = fields[i];
        const std::string& column = hd.names[i];
        switch (hd.kinds[i]) {
          case Column::model: run.model = cell; break;
          case Column::scenario: run.scenario = scenario_from(cell, where(name, line, "scenario")); break;
          case Column::corunner: run.corunner = cell; break;
          case Column::op: run.op = cell; break;
          case Column::repetition: {
            if (cell.empty()) {
              run.repetition = 0;
              break;
            }
            auto v = parse_integer(cell);
            if (!v) throw input_error(where(name, line, column) + ": '" + cell + "' is not an integer");
            run.repetition = *v;
            break;
          }
          case Column::hp: {
            auto v = number_cell(cell, name, line, hd.header[i]);
            if (v) run.hp.emplace_hint(run.hp.end(), column, *v);
            break;
          }
          case Column::cpu_package_j:
            run.reading(EnergyDomain::cpu_package).joules = number_cell(cell, name, line, column);
            break;
          case Column::dram_j: run.reading(EnergyDomain::dram).joules = number_cell(cell, name, line, column); break;
          case Column::gpu_j: run.reading(EnergyDomain::gpu).joules = number_cell(cell, name, line, column); break;
          case Column::cpu_package_source:
            run.reading(EnergyDomain::cpu_package).source = energy_source_from(cell, where(name, line, column));
            break;
          case Column::dram_source:
            run.reading(EnergyDomain::dram).source = energy_source_from(cell, where(name, line, column));
            break;
          case Column::gpu_source:
            run.reading(EnergyDomain::gpu).source = energy_source_from(cell, where(name, line, column));
            break;
          case Column::duration_s: run.duration_s = number_cell(cell, name, line, column); break;
          case Column::performance: run.performance = number_cell(cell, name, line, column); break;
          case Column::performance_metric: run.performance_metric = cell; break;
          case Column::higher_is_better: direction = direction_cell(cell, name, line); break;
          case Column::status:
            // empty: succeeded (files without statuses hold finished runs)
            if (!cell.empty()) run.status = run_status_from(cell, where(name, line, "status"));
            break;
          case Column::node: run.node = cell; break;
          case Column::extra:
            if (!cell.empty()) run.extra.emplace(column, std::move(cell));
            break;
        }
      }
      if (run.model.empty()) throw input_error(where(name, line, "model") + ": empty model name");
      if (run.op.empty()) throw input_error(where(name, line, "operator") + ": empty operator (use 'original')");
      if (run.op != "original" && !run.hp.count(run.op))
        throw input_error(where(name, line, "hp." + run.op) + ": a run of operator '" + run.op +
                          "' needs its value in column 'hp." + run.op + "'");
      part.runs.push_back(std::move(run));
      part.lines.push_back(line);
      if (hd.has_direction) part.directions.push_back(direction);
    }
  } catch (...) {
    part.error = std::current_exception();
  }
}

// Splits the body into about `parts` pieces at line ends. Only for text without quotes: a
// quoted field may hold a line break, and then only reading from the start finds the rows.
std::vector<std::pair<std::string_view, long long>> split_rows(std::string_view body, long long first_line,
                                                               std::size_t parts) {
  std::vector<std::pair<std::string_view, long long>> out;
  std::size_t start = 0;
  long long line = first_line;
  for (std::size_t k = 1; k <= parts && start < body.size(); ++k) {
    std::size_t end = k == parts ? body.size() : body.size() / parts * k;
    if (end < start) end = start;
    if (end < body.size()) {
      const auto nl = body.find('\n', end);
      end = nl == std::string_view::npos ? body.size() : nl + 1;
    }
    const std::string_view piece = body.substr(start, end - start);
    out.emplace_back(piece, line);
    line += static_cast<long long>(std::count(piece.begin(), piece.end(), '\n'));
    start = end;
  }
  return out;
}

}  // namespace

RunsTable read_runs_table(std::string_view text, const std::string& name) {
  CsvReader header_reader(text, name);
  const Header hd = read_header(header_reader, name);
  const std::string_view body = text.substr(header_reader.position());
  long long body_line = 1 + static_cast<long long>(std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(
                                                                               header_reader.position()), '\n'));
  // Rows are parsed in parallel parts for large files without quotes; the checks across
  // rows then run over all rows in file order, so errors are those of a reading from the top.
  std::size_t threads = 1;
  if (body.size() > (4u << 20) && body.find('"') == std::string_view::npos)
    threads = std::min<std::size_t>(std::max(1u, std::thread::hardware_concurrency()), 16);
  const auto pieces = split_rows(body, body_line, threads);
  std::vector<Part> parts(pieces.size());
  const auto rows_of = [](std::string_view piece) {
    return static_cast<std::size_t>(std::count(piece.begin(), piece.end(), '\n')) + 1;
  };
  if (parts.size() <= 1) {
    if (!pieces.empty()) read_rows(pieces[0].first, pieces[0].second, name, hd, rows_of(pieces[0].first), parts[0]);
  } else {
    std::vector<std::thread> pool;
    for (std::size_t k = 0; k < pieces.size(); ++k)
      pool.emplace_back([&, k] { read_rows(pieces[k].first, pieces[k].second, name, hd, rows_of(pieces[k].first), parts[k]); });
    for (auto& t : pool) t.join();
  }

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
  std::size_t total = 0;
  for (const auto& p : parts) total += p.runs.size();
  RunsTable table;
  table.runs.reserve(total);
  table.lines.reserve(total);
  for (Part& part : parts) {
    if (hd.has_direction || hd.has_metric_name) {
      for (std::size_t r = 0; r < part.runs.size(); ++r) {
        const RunRecord& run = part.runs[r];
        const long long line = part.lines[r];
        ModelMetric& m = metric_of(run.model);
        const std::optional<bool> direction = hd.has_direction ? part.directions[r] : std::nullopt;
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
    }
    if (part.error) std::rethrow_exception(part.error);
    std::move(part.runs.begin(), part.runs.end(), std::back_inserter(table.runs));
    table.lines.insert(table.lines.end(), part.lines.begin(), part.lines.end());
    part = Part();
  }
  // A row without a direction (or metric name) takes its model's; a model that gives none
  // is higher-is-better (the documented default, and what files without the column mean).
  if (hd.has_direction || hd.has_metric_name) {
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

std::vector<std::string> extra_columns(const std::vector<RunRecord>& runs) {
  std::set<std::string> names;
  std::array<bool, kEnergyDomainCount> sources{};
  for (const auto& run : runs) {
    for (const auto& [k, v] : run.extra) names.insert(k);
    for (auto d : kEnergyDomains) sources[index(d)] = sources[index(d)] || run.reading(d).source != EnergySource::unknown;
  }
  // An extra column must not shadow a fixed or hp column when read back.
  for (auto it = names.begin(); it != names.end();) {
    if (fixed_columns().count(*it) || it->rfind("hp.", 0) == 0)
      it = names.erase(it);
    else
      ++it;
  }
  for (auto d : kEnergyDomains)
    if (sources[index(d)]) names.insert(source_column(d));
  return {names.begin(), names.end()};
}

std::string_view extra_cell(const RunRecord& run, const std::string& column) {
  for (auto d : kEnergyDomains)
    if (column == source_column(d)) return to_string(run.reading(d).source);
  auto it = run.extra.find(column);
  return it == run.extra.end() ? std::string_view() : std::string_view(it->second);
}

void write_runs_csv(std::ostream& out, const std::vector<RunRecord>& runs) {
  std::set<std::string> hp_names;
  for (const auto& run : runs)
    for (const auto& [k, v] : run.hp) hp_names.insert(k);
  const std::vector<std::string> extra_names = extra_columns(runs);
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
    out << ',' << to_string(run.scenario) << ',';
    write_field(out, run.corunner);
    out << ',';
    write_field(out, run.op);
    out << ',' << run.repetition;
    for (const auto& h : hp_names) {
      out << ',';
      auto it = run.hp.find(h);
      if (it != run.hp.end()) out << format_exact(it->second);
    }
    for (auto d : kEnergyDomains) {
      out << ',';
      write_number(out, run.reading(d).joules);
    }
    out << ',';
    write_number(out, run.duration_s);
    out << ',';
    write_number(out, run.performance);
    out << ',';
    write_field(out, run.performance_metric);
    out << (run.higher_is_better ? ",1," : ",0,") << to_string(run.status) << ',';
    write_field(out, run.node);
    for (const auto& e : extra_names) {
      out << ',';
      write_field(out, extra_cell(run, e));
    }
    out << '\n';
  }
}

}  // namespace greentune::store

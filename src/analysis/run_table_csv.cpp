// A runs CSV read straight into a RunTable, in parallel parts: cells are views into the
// file's text, numbers go through parse_double (std::from_chars), repeated text is interned
// once per part. It reads the common case only: a file with a quote or a carriage return,
// and any cell the store's reader (store/interchange.cpp) would reject, makes it return
// false, and the store's reader then reads the file and gives its one-line error. For every
// file it accepts it gives the values the store's reader gives (tests/analysis/run_table_test.cpp).
#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstring>
#include <map>
#include <optional>
#include <set>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include "greentune/analysis/run_table.hpp"
#include "greentune/core/number_format.hpp"
#include "greentune/store/interchange.hpp"
#include "text_ids.hpp"

namespace greentune::analysis {

bool read_table_csv(std::string_view text, RunTable& table, std::vector<long long>& lines);

namespace {

using detail::TextIds;

enum class Kind {
  model, scenario, corunner, op, repetition, hp, energy, source, duration_s, performance, performance_metric,
  higher_is_better, status, node, extra
};

struct Column {
  Kind kind = Kind::extra;
  std::size_t index = 0;  // hp: its column; energy, source: its domain
};

struct Header {
  std::vector<Column> columns;
  std::vector<std::string> hp_names;
  bool has_direction = false, has_metric_name = false;
};

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// The header as store's read_header classifies it; nullopt when that reader would reject it.
std::optional<Header> read_header(std::string_view line) {
  static const std::map<std::string_view, Column> fixed = {
      {"model", {Kind::model, 0}},
      {"scenario", {Kind::scenario, 0}},
      {"corunner", {Kind::corunner, 0}},
      {"operator", {Kind::op, 0}},
      {"repetition", {Kind::repetition, 0}},
      {"cpu_package_j", {Kind::energy, index(EnergyDomain::cpu_package)}},
      {"dram_j", {Kind::energy, index(EnergyDomain::dram)}},
      {"gpu_j", {Kind::energy, index(EnergyDomain::gpu)}},
      {"duration_s", {Kind::duration_s, 0}},
      {"performance", {Kind::performance, 0}},
      {"performance_metric", {Kind::performance_metric, 0}},
      {"higher_is_better", {Kind::higher_is_better, 0}},
      {"status", {Kind::status, 0}},
      {"node", {Kind::node, 0}},
      {"cpu_package_source", {Kind::source, index(EnergyDomain::cpu_package)}},
      {"dram_source", {Kind::source, index(EnergyDomain::dram)}},
      {"gpu_source", {Kind::source, index(EnergyDomain::gpu)}},
  };
  Header hd;
  std::set<std::string_view> seen;
  std::size_t start = 0;
  for (;;) {
    const std::size_t comma = line.find(',', start);
    const std::string_view name = trim(line.substr(start, comma == std::string_view::npos ? line.npos : comma - start));
    if (name.empty() || !seen.insert(name).second) return std::nullopt;
    auto it = fixed.find(name);
    if (it != fixed.end()) {
      hd.columns.push_back(it->second);
    } else if (name.substr(0, 3) == "hp.") {
      if (name.size() == 3) return std::nullopt;
      hd.columns.push_back({Kind::hp, hd.hp_names.size()});
      hd.hp_names.emplace_back(name.substr(3));
    } else {
      hd.columns.push_back({Kind::extra, 0});
    }
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  for (const auto& required : store::required_run_columns())
    if (!seen.count(required)) return std::nullopt;
  hd.has_direction = seen.count("higher_is_better") > 0;
  hd.has_metric_name = seen.count("performance_metric") > 0;
  return hd;
}

// A number cell as the store reads it: empty or blank is "not measured".
enum class Number { absent, value, bad };
Number number(std::string_view cell, double& out) {
  if (cell.empty()) return Number::absent;
  if (auto v = parse_double(cell)) {
    out = *v;
    return Number::value;
  }
  return std::all_of(cell.begin(), cell.end(), [](char c) { return c == ' ' || c == '\t'; }) ? Number::absent
                                                                                            : Number::bad;
}

// higher_is_better: -1 empty, 0, 1, or 2 for text the store rejects.
int direction(std::string_view cell) {
  std::string v;
  for (char c : cell)
    if (c != ' ' && c != '\t') v += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (v.empty()) return -1;
  if (v == "1" || v == "true") return 1;
  if (v == "0" || v == "false") return 0;
  return 2;
}

// 0x80 in each byte of the 8-byte word w that equals c, 0 in the others (exact: a byte b is c
// exactly when the high bit of ~(((x & 0x7f) + 0x7f) | x | 0x7f) is set, x = b ^ c).
inline std::uint64_t bytes_equal(std::uint64_t w, unsigned char c) {
  constexpr std::uint64_t kOnes = 0x0101010101010101ULL, kLow7 = 0x7f7f7f7f7f7f7f7fULL;
  const std::uint64_t x = w ^ (kOnes * c);
  return ~(((x & kLow7) + kLow7) | x | kLow7);
}

// The first ',' or '\n' in [q, end), or end; 8 bytes at a time.
inline const char* next_separator(const char* q, const char* end) {
  for (; end - q >= 8; q += 8) {
    std::uint64_t w;
    std::memcpy(&w, q, 8);
    const std::uint64_t m = bytes_equal(w, ',') | bytes_equal(w, '\n');
    if (m) return q + (__builtin_ctzll(m) >> 3);
  }
  while (q < end && *q != ',' && *q != '\n') ++q;
  return q;
}

// One part of the body, read into its own table (its own text ids).
struct Part {
  RunTable table;
  std::vector<long long> lines;     // counted from the part's first line (0)
  std::vector<std::int8_t> directions;  // per run: -1 none, 0, 1
  long long line_count = 0;         // line ends in the part
  bool ok = true;
};

class PartReader {
 public:
  PartReader(const Header& hd, Part& part) : hd_(hd), part_(part), ids_(part.table.text) {
    part_.table.hp_names = hd.hp_names;
  }

  void read(std::string_view body) {
    const std::size_t nf = hd_.columns.size();
    std::vector<std::string_view> cells(nf);
    const char* p = body.data();
    const char* const end = p + body.size();
    long long line = 0;
    while (p < end) {
      if (*p == '\n') {
        ++line, ++p;
        continue;
      }
      std::size_t count = 0;
      const char* f = p;
      for (;;) {
        const char* q = next_separator(f, end);
        if (count < nf) cells[count] = std::string_view(f, static_cast<std::size_t>(q - f));
        ++count;
        if (q < end && *q == ',') {
          f = q + 1;
          continue;
        }
        p = q < end ? q + 1 : q;
        break;
      }
      if (count != nf || !row(cells)) {
        part_.ok = false;
        return;
      }
      part_.lines.push_back(line);
      if (p[-1] == '\n') ++line;
    }
    part_.line_count = line;
  }

 private:
  // Text ids with a one-entry memory per column (runs of one model come together).
  struct Last {
    std::string_view text;
    std::uint32_t id = 0;
    bool set = false;
  };
  std::uint32_t id(std::string_view s, Last& last) {
    if (last.set && last.text == s) return last.id;
    last.text = s;
    last.id = ids_.id(s);
    last.set = true;
    return last.id;
  }

  bool row(const std::vector<std::string_view>& cells) {
    RunTable& t = part_.table;
    const std::size_t w = t.hp_names.size();
    const std::size_t base = t.hp.size();
    t.hp.resize(base + w, 0.0);
    t.hp_present.resize(base + w, 0);
    std::uint32_t model = RunTable::kEmpty, corunner = RunTable::kEmpty, op = RunTable::kOriginal;
    std::uint32_t metric = RunTable::kEmpty, node = RunTable::kEmpty;
    Scenario scenario = Scenario::single;
    RunStatus status = RunStatus::succeeded;
    RunMeasures m;
    int dir = -1;
    for (std::size_t i = 0; i < cells.size(); ++i) {
      const std::string_view cell = cells[i];
      const Column& c = hd_.columns[i];
      double v = 0;
      switch (c.kind) {
        case Kind::model: model = id(cell, last_[0]); break;
        case Kind::scenario: {
          auto s = parse_scenario(cell);
          if (!s) return false;
          scenario = *s;
          break;
        }
        case Kind::corunner: corunner = id(cell, last_[1]); break;
        case Kind::op: op = id(cell, last_[2]); break;
        case Kind::repetition:
          if (!cell.empty() && !parse_integer(cell)) return false;
          break;
        case Kind::hp: {
          const Number n = number(cell, v);
          if (n == Number::bad) return false;
          if (n == Number::value) t.hp[base + c.index] = v, t.hp_present[base + c.index] = 1;
          break;
        }
        case Kind::energy:
        case Kind::duration_s:
        case Kind::performance: {
          const std::size_t k = c.kind == Kind::energy        ? c.index
                                : c.kind == Kind::duration_s ? RunMeasures::kDuration
                                                              : RunMeasures::kPerformance;
          const Number n = number(cell, v);
          if (n == Number::bad) return false;
          // A later column of the same name cannot exist (the header has no duplicates).
          if (n == Number::value) m.value[k] = v, m.present |= static_cast<std::uint8_t>(1u << k);
          break;
        }
        case Kind::source: {
          auto s = parse_energy_source(cell);
          if (!s) return false;
          if (is_estimated(*s)) m.estimated |= static_cast<std::uint8_t>(1u << c.index);
          break;
        }
        case Kind::performance_metric: metric = id(cell, last_[3]); break;
        case Kind::higher_is_better:
          dir = direction(cell);
          if (dir == 2) return false;
          break;
        case Kind::status:
          if (!cell.empty()) {
            auto s = parse_run_status(cell);
            if (!s) return false;
            status = *s;
          }
          break;
        case Kind::node: node = id(cell, last_[4]); break;
        case Kind::extra: break;
      }
    }
    if (model == RunTable::kEmpty || op == RunTable::kEmpty) return false;
    if (op != RunTable::kOriginal) {
      // The mutated hyperparameter needs its value.
      if (op >= op_column_.size()) op_column_.resize(t.text.size() + 1, kUnknown);
      if (op_column_[op] == kUnknown) op_column_[op] = t.hp_column(t.text[op]);
      const std::size_t col = op_column_[op];
      if (col >= w || !t.hp_present[base + col]) return false;
    }
    t.model.push_back(model), t.corunner.push_back(corunner), t.op.push_back(op);
    t.performance_metric.push_back(metric), t.node.push_back(node);
    t.scenario.push_back(scenario), t.status.push_back(status);
    t.higher_is_better.push_back(1);
    t.measures.push_back(m);
    if (hd_.has_direction) part_.directions.push_back(static_cast<std::int8_t>(dir));
    return true;
  }

  static constexpr std::size_t kUnknown = static_cast<std::size_t>(-1);
  const Header& hd_;
  Part& part_;
  TextIds ids_;
  Last last_[5];
  std::vector<std::size_t> op_column_;
};

// Whether `text` has a quote or a carriage return (two memchr scans: find_first_of would call
// memchr once per byte).
bool has_quote_or_cr(std::string_view text) {
  return text.find('"') != std::string_view::npos || text.find('\r') != std::string_view::npos;
}

// One pass over a part of the body: its line ends counted, and whether it has a quote or a
// carriage return, 8 bytes at a time.
struct PartScan {
  std::size_t line_ends = 0;
  bool quote_or_cr = false;
};
PartScan scan_part(std::string_view text) {
  PartScan out;
  const char* p = text.data();
  const std::size_t n = text.size();
  std::size_t i = 0;
  std::uint64_t special = 0;
  for (; i + 8 <= n; i += 8) {
    std::uint64_t w;
    std::memcpy(&w, p + i, 8);
    out.line_ends += static_cast<std::size_t>(__builtin_popcountll(bytes_equal(w, '\n')));
    special |= bytes_equal(w, '"') | bytes_equal(w, '\r');
  }
  for (; i < n; ++i) {
    out.line_ends += p[i] == '\n';
    special |= p[i] == '"' || p[i] == '\r';
  }
  out.quote_or_cr = special != 0;
  return out;
}

}  // namespace

bool read_table_csv(std::string_view text, RunTable& table, std::vector<long long>& lines) {
  std::size_t pos = 0;
  if (text.size() >= 3 && static_cast<unsigned char>(text[0]) == 0xEF && static_cast<unsigned char>(text[1]) == 0xBB &&
      static_cast<unsigned char>(text[2]) == 0xBF)
    pos = 3;  // UTF-8 byte order mark
  long long line = 1;
  while (pos < text.size() && text[pos] == '\n') ++pos, ++line;
  if (pos >= text.size()) return false;  // no header
  const std::size_t header_end = std::min(text.find('\n', pos), text.size());
  // A quote or carriage return anywhere: the store's reader reads the file (the body's
  // parts are checked by their threads).
  if (has_quote_or_cr(text.substr(0, header_end))) return false;
  const auto hd = read_header(text.substr(pos, header_end - pos));
  if (!hd) return false;
  const long long first_line = line + (header_end < text.size() ? 1 : 0);
  const std::string_view body = text.substr(std::min(header_end + 1, text.size()));

  // Parts at line ends, read in parallel for large files.
  std::size_t threads = 1;
  if (body.size() > (4u << 20)) threads = std::min<std::size_t>(std::max(1u, std::thread::hardware_concurrency()), 16);
  std::vector<std::string_view> pieces;
  for (std::size_t k = 1, start = 0; k <= threads && start < body.size(); ++k) {
    std::size_t end = k == threads ? body.size() : std::max(start, body.size() / threads * k);
    if (end < body.size()) {
      const auto nl = body.find('\n', end);
      end = nl == std::string_view::npos ? body.size() : nl + 1;
    }
    pieces.push_back(body.substr(start, end - start));
    start = end;
  }
  std::vector<Part> parts(pieces.size());
  // First each part's checks and line count (an upper bound of its runs), then the parts
  // read: the first into columns reserved for every part's runs, which the others' runs
  // are then appended to (no copy of the first part's).
  std::vector<std::size_t> line_counts(pieces.size(), 0);
  std::vector<std::uint8_t> clean(pieces.size(), 0);
  auto check_part = [&](std::size_t k) {
    const PartScan scan = scan_part(pieces[k]);
    clean[k] = !scan.quote_or_cr;
    line_counts[k] = scan.line_ends + 1;
  };
  auto read_part = [&](std::size_t k) {
    PartReader reader(*hd, parts[k]);
    parts[k].table.hp_names = hd->hp_names;
    std::size_t reserve = line_counts[k];
    if (k == 0)
      for (std::size_t j = 1; j < pieces.size(); ++j) reserve += line_counts[j];
    detail::reserve_runs(parts[k].table, reserve);
    if (k == 0) parts[k].lines.reserve(reserve);
    reader.read(pieces[k]);
  };
  auto each_part = [&](auto&& fn) {
    if (parts.size() <= 1) {
      if (!parts.empty()) fn(0);
      return;
    }
    std::vector<std::thread> pool;
    for (std::size_t k = 0; k < parts.size(); ++k) pool.emplace_back(fn, k);
    for (auto& t : pool) t.join();
  };
  each_part(check_part);
  for (auto c : clean)
    if (!c) return false;
  each_part(read_part);
  for (const auto& p : parts)
    if (!p.ok) return false;

  // One table: the first part's (its text ids are the table's), the others' runs appended
  // with their text ids mapped onto the first's.
  std::vector<std::int8_t> directions;  // per run, when the header has higher_is_better
  if (parts.empty()) {
    table = RunTable();
    table.hp_names = hd->hp_names;
    lines.clear();
  } else {
    table = std::move(parts[0].table);
    lines = std::move(parts[0].lines);
    directions = std::move(parts[0].directions);
    for (auto& l : lines) l += first_line;
  }
  TextIds ids(table.text);
  long long line_base = first_line + (parts.empty() ? 0 : parts[0].line_count);
  for (std::size_t k = 1; k < parts.size(); ++k) {
    Part& p = parts[k];
    std::vector<std::uint32_t> map(p.table.text.size());
    for (std::size_t i = 0; i < map.size(); ++i) map[i] = ids.id(p.table.text[i]);
    auto append = [&](std::vector<std::uint32_t>& to, const std::vector<std::uint32_t>& from) {
      for (auto v : from) to.push_back(map[v]);
    };
    append(table.model, p.table.model);
    append(table.corunner, p.table.corunner);
    append(table.op, p.table.op);
    append(table.performance_metric, p.table.performance_metric);
    append(table.node, p.table.node);
    auto concat = [](auto& to, const auto& from) { to.insert(to.end(), from.begin(), from.end()); };
    concat(table.scenario, p.table.scenario);
    concat(table.status, p.table.status);
    concat(table.higher_is_better, p.table.higher_is_better);
    concat(table.measures, p.table.measures);
    concat(table.hp, p.table.hp);
    concat(table.hp_present, p.table.hp_present);
    concat(directions, p.directions);
    for (auto l : p.lines) lines.push_back(line_base + l);
    line_base += p.line_count;
    p = Part();
  }

  // One performance direction and metric name per model, as the store's reader checks them.
  if (hd->has_direction || hd->has_metric_name) {
    struct ModelMetric {
      int direction = -1;
      std::uint32_t metric = RunTable::kEmpty;
    };
    std::vector<ModelMetric> of(table.text.size());
    for (std::size_t r = 0; r < table.size(); ++r) {
      ModelMetric& m = of[table.model[r]];
      const int d = hd->has_direction ? directions[r] : -1;
      if (d >= 0) {
        if (m.direction < 0)
          m.direction = d;
        else if (m.direction != d)
          return false;
      }
      const std::uint32_t name = table.performance_metric[r];
      if (name != RunTable::kEmpty) {
        if (m.metric == RunTable::kEmpty)
          m.metric = name;
        else if (m.metric != name)
          return false;
      }
    }
    for (std::size_t i = 0; i < table.size(); ++i) {
      const ModelMetric& m = of[table.model[i]];
      table.higher_is_better[i] = m.direction != 0;
      if (table.performance_metric[i] == RunTable::kEmpty) table.performance_metric[i] = m.metric;
    }
  }
  return true;
}

}  // namespace greentune::analysis

// RunTable: runs in columns with interned text; built from RunRecords, or read from a runs
// CSV straight into the columns (run_table.hpp says when the store's reader reads instead).
#include "greentune/analysis/run_table.hpp"

#include <algorithm>
#include <cerrno>
#include <string_view>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <memory>
#include <ostream>
#include <set>

#include "greentune/analysis/load_runs.hpp"
#include "greentune/core/error.hpp"
#include "greentune/core/number_format.hpp"
#include "greentune/store/interchange.hpp"
#include "greentune/store/run_records.hpp"
#include "text_ids.hpp"

namespace greentune::analysis {
namespace {

using detail::reserve_runs;
using detail::TextIds;

}  // namespace

std::size_t RunTable::hp_column(const std::string& name) const {
  return static_cast<std::size_t>(std::find(hp_names.begin(), hp_names.end(), name) - hp_names.begin());
}

RunTable RunTable::subset(const std::vector<std::size_t>& keep) const {
  RunTable t;
  t.text = text;
  t.hp_names = hp_names;
  reserve_runs(t, keep.size());
  const std::size_t w = hp_names.size();
  for (std::size_t i : keep) {
    t.model.push_back(model[i]), t.corunner.push_back(corunner[i]), t.op.push_back(op[i]);
    t.performance_metric.push_back(performance_metric[i]), t.node.push_back(node[i]);
    t.scenario.push_back(scenario[i]), t.status.push_back(status[i]), t.higher_is_better.push_back(higher_is_better[i]);
    t.measures.push_back(measures[i]);
    t.hp.insert(t.hp.end(), hp.begin() + static_cast<std::ptrdiff_t>(i * w), hp.begin() + static_cast<std::ptrdiff_t>((i + 1) * w));
    t.hp_present.insert(t.hp_present.end(), hp_present.begin() + static_cast<std::ptrdiff_t>(i * w),
                        hp_present.begin() + static_cast<std::ptrdiff_t>((i + 1) * w));
    if (!run_id.empty()) t.run_id.push_back(run_id[i]);
  }
  return t;
}

RunTable to_run_table(const std::vector<RunRecord>& runs) {
  RunTable t;
  std::set<std::string> names;
  bool ids = false;
  for (const auto& r : runs) {
    for (const auto& [k, v] : r.hp) names.insert(k);
    ids = ids || r.extra.count("run_id");
  }
  t.hp_names.assign(names.begin(), names.end());
  reserve_runs(t, runs.size());
  TextIds text(t.text);
  const std::size_t w = t.hp_names.size();
  for (const auto& r : runs) {
    t.model.push_back(text.id(r.model));
    t.corunner.push_back(text.id(r.corunner));
    t.op.push_back(text.id(r.op));
    t.performance_metric.push_back(text.id(r.performance_metric));
    t.node.push_back(text.id(r.node));
    t.scenario.push_back(r.scenario);
    t.status.push_back(r.status);
    t.higher_is_better.push_back(r.higher_is_better);
    RunMeasures m;
    for (std::size_t d = 0; d < kEnergyDomainCount; ++d) {
      if (r.energy[d].joules) m.value[d] = *r.energy[d].joules, m.present |= 1u << d;
      if (r.energy[d].estimated()) m.estimated |= 1u << d;
    }
    if (r.duration_s) m.value[RunMeasures::kDuration] = *r.duration_s, m.present |= 1u << RunMeasures::kDuration;
    if (r.performance)
      m.value[RunMeasures::kPerformance] = *r.performance, m.present |= 1u << RunMeasures::kPerformance;
    t.measures.push_back(m);
    const std::size_t base = t.hp.size();
    t.hp.resize(base + w, 0.0);
    t.hp_present.resize(base + w, 0);
    std::size_t c = 0;
    for (const auto& [k, v] : r.hp) {  // both sorted by name
      while (t.hp_names[c] != k) ++c;
      t.hp[base + c] = v;
      t.hp_present[base + c] = 1;
    }
    if (ids) {
      auto it = r.extra.find("run_id");
      t.run_id.push_back(it == r.extra.end() ? std::nullopt : std::optional<std::string>(it->second));
    }
  }
  return t;
}

namespace {

LoadedTable from_records(const LoadedRuns& loaded) {
  LoadedTable out;
  out.table = to_run_table(loaded.runs);
  out.path = loaded.path;
  out.kind = loaded.kind;
  out.origins = loaded.origins;
  return out;
}

}  // namespace

// Defined in run_table_csv.cpp: the runs CSV `text` read into a table with the line of each
// run, or false when the store's reader must read it (quotes, carriage returns, any problem).
bool read_table_csv(std::string_view text, RunTable& table, std::vector<long long>& lines);

namespace {

// A file's bytes: mapped (a regular file; no copy), else read.
class FileText {
 public:
  explicit FileText(const std::string& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return;
    struct stat st {};
    if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0) {
      void* p = ::mmap(nullptr, static_cast<std::size_t>(st.st_size), PROT_READ, MAP_PRIVATE, fd, 0);
      if (p != MAP_FAILED) {
        map_ = p;
        size_ = static_cast<std::size_t>(st.st_size);
        ok_ = true;
        ::close(fd);
        return;
      }
    }
    char buffer[1 << 16];
    for (;;) {
      const ssize_t got = ::read(fd, buffer, sizeof(buffer));
      if (got < 0 && errno == EINTR) continue;
      if (got < 0) break;
      if (got == 0) {
        ok_ = true;
        break;
      }
      copy_.append(buffer, static_cast<std::size_t>(got));
    }
    ::close(fd);
  }
  ~FileText() {
    if (map_) ::munmap(map_, size_);
  }
  FileText(const FileText&) = delete;
  FileText& operator=(const FileText&) = delete;
  bool ok() const { return ok_; }
  std::string_view text() const {
    return map_ ? std::string_view(static_cast<const char*>(map_), size_) : std::string_view(copy_);
  }

 private:
  void* map_ = nullptr;
  std::size_t size_ = 0;
  std::string copy_;
  bool ok_ = false;
};

}  // namespace

LoadedTable load_run_table(const std::string& path, bool force_csv) {
  if (!force_csv && is_sqlite_file(path)) return from_records(load_runs(path, force_csv));
  LoadedTable out;
  auto lines = std::make_shared<std::vector<long long>>();
  {
    const FileText file(path);
    // A file that cannot be read, or that this reader leaves to the store's: the store's
    // reader reads it (and says what is wrong).
    if (!file.ok() || !read_table_csv(file.text(), out.table, *lines)) return from_records(load_runs(path, true));
  }
  out.path = path;
  out.kind = "csv";
  out.origins = [path, lines](std::size_t i) {
    return i < lines->size() ? path + ":" + std::to_string((*lines)[i]) : path + " run #" + std::to_string(i + 1);
  };
  return out;
}

void select_nodes(LoadedTable& loaded, const std::vector<std::string>& nodes, std::ostream* warn) {
  const RunTable& t = loaded.table;
  std::vector<bool> used(t.text.size(), false);
  for (auto n : t.node) used[n] = true;
  std::set<std::string> seen;
  for (std::size_t id = 0; id < used.size(); ++id)
    if (used[id] && !t.text[id].empty()) seen.insert(t.text[id]);
  if (!check_node_selection(loaded.path, seen, nodes, warn)) return;
  const std::set<std::string> want(nodes.begin(), nodes.end());
  std::vector<bool> wanted(t.text.size(), false);
  for (std::size_t id = 0; id < t.text.size(); ++id) wanted[id] = want.count(t.text[id]) > 0;
  std::vector<std::size_t> kept;
  for (std::size_t i = 0; i < t.size(); ++i)
    if (wanted[t.node[i]]) kept.push_back(i);
  loaded.table = t.subset(kept);
  auto origins = loaded.origins;
  loaded.origins = [origins, kept](std::size_t i) { return origins ? origins(kept.at(i)) : std::string(); };
}

}  // namespace greentune::analysis

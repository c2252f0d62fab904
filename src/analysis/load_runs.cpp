#include "greentune/analysis/load_runs.hpp"

#include <ostream>
#include <set>

#include <cstring>
#include <fstream>

#include "greentune/core/error.hpp"
#include "greentune/store/interchange.hpp"

#include "greentune/store/run_records.hpp"
#include "greentune/store/study_store.hpp"

namespace greentune::analysis {

bool is_sqlite_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw io_error("cannot open '" + path + "'");
  char header[16] = {};
  in.read(header, sizeof(header));
  return in.gcount() == 16 && std::memcmp(header, "SQLite format 3\0", 16) == 0;
}

LoadedRuns load_runs(const std::string& path, bool force_csv) {
  LoadedRuns loaded;
  loaded.path = path;
  if (!force_csv && is_sqlite_file(path)) {
    store::StudyStore st = store::StudyStore::open(path);
    return load_runs(st);
  }
  auto table = store::read_runs_table_file(path);
  loaded.kind = "csv";
  loaded.runs = std::move(table.runs);
  auto lines = std::make_shared<std::vector<long long>>(std::move(table.lines));
  loaded.origins = [path, lines](std::size_t i) {
    return i < lines->size() ? path + ":" + std::to_string((*lines)[i]) : path + " run #" + std::to_string(i + 1);
  };
  return loaded;
}

LoadedRuns load_runs(store::StudyStore& st) {
  LoadedRuns loaded;
  const std::string path = st.path();
  loaded.path = path;
  loaded.kind = "database";
  loaded.runs = store::load_run_records(st);
  auto ids = std::make_shared<std::vector<std::string>>();
  ids->reserve(loaded.runs.size());
  for (std::size_t i = 0; i < loaded.runs.size(); ++i) {
    auto it = loaded.runs[i].extra.find("run_id");
    ids->push_back(it != loaded.runs[i].extra.end() ? it->second : "#" + std::to_string(i + 1));
  }
  loaded.origins = [path, ids](std::size_t i) {
    return path + " run " + (i < ids->size() ? (*ids)[i] : "#" + std::to_string(i + 1));
  };
  return loaded;
}

bool check_node_selection(const std::string& path, const std::set<std::string>& seen,
                          const std::vector<std::string>& nodes, std::ostream* warn) {
  auto list = [](const std::set<std::string>& s) {
    std::string out;
    for (const auto& n : s) out += (out.empty() ? "" : ", ") + n;
    return out;
  };
  if (nodes.empty()) {
    if (seen.size() > 1 && warn)
      *warn << "greentune: warning: " << path << ": runs were measured on " << seen.size() << " nodes ("
            << list(seen) << "); their energy is analysed together; choose one with --node HOST\n";
    return false;
  }
  for (const auto& n : std::set<std::string>(nodes.begin(), nodes.end()))
    if (!seen.count(n))
      throw input_error("--node " + n + ": no run in " + path + " was measured on that node (nodes: " +
                        (seen.empty() ? std::string("none recorded") : list(seen)) + ")");
  return true;
}

void select_nodes(LoadedRuns& loaded, const std::vector<std::string>& nodes, std::ostream* warn) {
  std::set<std::string> seen;
  for (const auto& r : loaded.runs)
    if (!r.node.empty()) seen.insert(r.node);
  if (!check_node_selection(loaded.path, seen, nodes, warn)) return;
  const std::set<std::string> want(nodes.begin(), nodes.end());
  std::vector<std::size_t> kept;
  std::vector<RunRecord> runs;
  for (std::size_t i = 0; i < loaded.runs.size(); ++i)
    if (want.count(loaded.runs[i].node)) {
      kept.push_back(i);
      runs.push_back(std::move(loaded.runs[i]));
    }
  loaded.runs = std::move(runs);
  auto origins = loaded.origins;
  loaded.origins = [origins, kept](std::size_t i) { return origins ? origins(kept.at(i)) : std::string(); };
}

}  // namespace greentune::analysis

#include "greentune/analysis/load_runs.hpp"

#include <cstring>
#include <fstream>

#include "greentune/core/error.hpp"
#include "greentune/store/interchange.hpp"

#if __has_include("greentune/store/run_records.hpp")
#include "greentune/store/run_records.hpp"
#define GREENTUNE_HAVE_RUN_RECORDS 1
#endif

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
  if (!force_csv && is_sqlite_file(path)) {
#ifdef GREENTUNE_HAVE_RUN_RECORDS
    loaded.kind = "database";
    loaded.runs = store::load_run_records(path);
    loaded.origins.reserve(loaded.runs.size());
    for (std::size_t i = 0; i < loaded.runs.size(); ++i) {
      auto it = loaded.runs[i].extra.find("run_id");
      loaded.origins.push_back(path + " run " + (it != loaded.runs[i].extra.end() ? it->second : "#" + std::to_string(i + 1)));
    }
    return loaded;
#else
    throw usage_error("'" + path + "' is a study database, which this build cannot read yet; export it with "
                      "'greentune export' and use --runs FILE.csv");
#endif
  }
  auto table = store::read_runs_table_file(path);
  loaded.kind = "csv";
  loaded.runs = std::move(table.runs);
  loaded.origins.reserve(table.lines.size());
  for (auto line : table.lines) loaded.origins.push_back(path + ":" + std::to_string(line));
  return loaded;
}

}  // namespace greentune::analysis

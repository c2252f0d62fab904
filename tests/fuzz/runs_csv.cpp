// Fuzz target: the runs CSV (store/interchange.hpp), as `greentune analyze FILE.csv` and
// `import` read it. Besides "no crash, only greentune errors", checks the round trip the
// format promises: what was read, written and read again is written the same way.
#include <sstream>
#include <string_view>

#include "fuzz_support.hpp"
#include "greentune/core/error.hpp"
#include "greentune/store/interchange.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace greentune;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  store::RunsTable table;
  try {
    table = store::read_runs_table(text, "fuzz.csv");
  } catch (const Error&) {
    return 0;  // rejected with greentune's one-line error: fine
  }
  std::ostringstream first;
  store::write_runs_csv(first, table.runs);
  store::RunsTable again;
  try {
    again = store::read_runs_table(first.str(), "rewritten.csv");
  } catch (const Error& e) {
    fuzz::violated("a runs CSV written by write_runs_csv does not read back", e.what());
  }
  if (again.runs.size() != table.runs.size()) fuzz::violated("the round trip changed the number of runs");
  std::ostringstream second;
  store::write_runs_csv(second, again.runs);
  if (second.str() != first.str()) fuzz::violated("the round trip changed the runs", first.str() + "\n---\n" + second.str());
  return 0;
}

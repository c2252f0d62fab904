// Fuzz target: a study directory's plan.json (study/study_directory.hpp), read by `--resume`,
// `run-task` and `collect` through load_study_directory. The study.toml (the embedded default
// study) and study.json beside it are fixed; only plan.json is fuzzed. After loading, every
// task, run and configuration is looked up the way the runner does (exec/runner.cpp).
#include <string>

#include "fuzz_support.hpp"
#include "greentune/core/error.hpp"
#include "greentune/study/study_directory.hpp"

namespace {
const std::string& study_dir() {
  static const std::string dir = [] {
    using namespace greentune;
    const std::string& text = study::default_study_text();
    fuzz::write_scratch("study.toml", reinterpret_cast<const uint8_t*>(text.data()), text.size());
    std::string info = R"({"study_id": "fuzz", "name": "fuzz", "source": "study.toml", "base_dir": ""})";
    fuzz::write_scratch("study.json", reinterpret_cast<const uint8_t*>(info.data()), info.size());
    return fuzz::scratch_dir();
  }();
  return dir;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace greentune;
  const std::string& dir = study_dir();
  fuzz::write_scratch("plan.json", data, size);
  try {
    study::LoadedStudy ls = study::load_study_directory(study::StudyPaths{dir});
    for (const auto& t : ls.plan.tasks) {
      const study::PlannedTask& task = ls.task(t.id);
      for (long long rid : task.run_ids) {
        const study::PlannedRun& run = ls.run(rid);
        ls.configuration(run.configuration_id);
        ls.definition.find_model(run.model);
      }
    }
  } catch (const Error&) {
  }
  return 0;
}

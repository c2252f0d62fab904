#pragma once
// Shared by the Slurm tests: a toy external model (a shell script that keeps a ledger of every
// start and completion, so duplicated work is seen), its study file, and small helpers.
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "greentune/core/subprocess.hpp"
#include "greentune/slurm/study.hpp"

namespace greentune::toy {
namespace fs = std::filesystem;

inline std::string slurp(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// run id -> how many lines "<word> <run id>" the ledger has
inline std::map<long long, int> ledger_counts(const fs::path& ledger, const std::string& word) {
  std::map<long long, int> c;
  std::istringstream in(slurp(ledger));
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream ls(line);
    std::string w;
    long long id = 0;
    if (ls >> w >> id && w == word) ++c[id];
  }
  return c;
}

inline SubprocessResult greentune_cli(const std::vector<std::string>& args, double timeout_s = 120,
                                      const std::map<std::string, std::string>& env = {}) {
  SubprocessOptions o;
  o.env = env;
  o.argv = {GREENTUNE_BIN};
  o.argv.insert(o.argv.end(), args.begin(), args.end());
  o.timeout_s = timeout_s;
  return run_subprocess(o);
}

// A study of a toy external model: 3 configurations (original epochs=1, mutants 2 and 3) x 2
// repetitions, alone (6 tasks of one run) and as symmetric pairs sharing a node (3 tasks of
// two runs): 9 tasks, 12 runs. The model sleeps `sleep_s` and prints a score.
inline fs::path write_toy_study(const fs::path& dir, double sleep_s) {
  fs::create_directories(dir);
  {
    std::ofstream f(dir / "toy.sh");
    f << "#!/bin/sh\n"
         "# toy model: $1 = epochs, $2 = lr\n"
         "echo \"start $GREENTUNE_RUN_ID $(hostname)\" >> ledger.txt\n"
         "# the CPU governor the run sees, when the test gave a fake cpufreq tree\n"
         "if [ -n \"$GREENTUNE_CPUFREQ_ROOT\" ]; then\n"
         "  echo \"governor $GREENTUNE_RUN_ID $(cat \"$GREENTUNE_CPUFREQ_ROOT/cpu0/cpufreq/scaling_governor\")\" >> ledger.txt\n"
         "fi\n"
         "sleep "
      << sleep_s
      << "\n"
         "echo \"done $GREENTUNE_RUN_ID\" >> ledger.txt\n"
         "echo \"score: 0.$1\"\n";
  }
  std::ofstream(dir / "toy.toml") << R"TOML(name = "toy"
seed = 7
repetitions = 2
order = "grouped"
meter = "estimate"
governor = "keep"
cooldown = 0.2
run_timeout_s = 60

[[scenarios]]
kind = "single"

[[scenarios]]
kind = "symmetric"
jobs = 2

[[models]]
name = "toy"
command = "sh ./toy.sh {epochs} {lr}"
metric_regex = "score: ([0-9.]+)"
metric = "score"
operators = [{hyperparameter = "epochs", values = [2, 3]}]

[models.hyperparameters]
epochs = 1
lr = 0.5
)TOML";
  return dir / "toy.toml";
}

template <class F>
bool wait_for(F pred, double timeout_s) {
  auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_s);
  while (std::chrono::steady_clock::now() < end) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
  }
  return pred();
}

inline bool queue_drained(const std::string& dir) {
  auto s = slurm::slurm_task_summary(dir);
  return s.error.empty() && s.pending == 0 && s.running == 0;
}

// Replaces the first `what` in the file by `with` (a variant of the toy study).
inline bool edit_file(const fs::path& file, const std::string& what, const std::string& with) {
  std::string text = slurp(file);
  auto pos = text.find(what);
  if (pos == std::string::npos) return false;
  text.replace(pos, what.size(), with);
  std::ofstream(file) << text;
  return true;
}

}  // namespace greentune::toy

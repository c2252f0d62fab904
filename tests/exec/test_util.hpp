#pragma once
// Helpers for the exec tests: temporary folders, fake external models (tiny /bin/sh
// scripts), study folders and files for them, running a study quietly or in the background
// and watching its database.
#include <stdlib.h>
#include <sys/stat.h>

#include <chrono>
#include <fstream>
#include <functional>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "common/greentune_cli.hpp"  // make_temp_dir: removed when the test program ends
#include "greentune/core/error.hpp"
#include "greentune/core/files.hpp"
#include "greentune/exec/local_executor.hpp"
#include "greentune/store/study_store.hpp"

namespace greentune::testing {

inline void write_text(const std::string& path, const std::string& text, bool executable = false) {
  {
    std::ofstream out(path, std::ios::binary);
    out << text;
  }
  if (executable) ::chmod(path.c_str(), 0755);
}

// A fake model: prints a loss and "accuracy: <value of $1>", so the stored performance is
// exactly the text the runner passed on the command line. Behaviour keyed on $2 (a number):
//   1 -> exit 3 with a message on stderr;  2 -> hangs (sleep 30);
//   3 -> prints "accuracy: nan";           otherwise sleeps $3 seconds (default 0.05).
inline const char* kFakeModel = R"SH(#!/bin/sh
case "$2" in
  1) echo "boom: simulated crash" >&2; exit 3 ;;
  2) sleep 30 ;;
  3) echo "loss nan"; echo "accuracy: nan"; exit 0 ;;
esac
sleep "${3:-0.05}"
echo "loss 0.25"
echo "accuracy: $1"
)SH";

// A study folder for the fake model: DIR/model.sh (kFakeModel, or `model` when given) and
// DIR/study.toml holding `toml`.
inline std::string study_folder(const std::string& tag, const std::string& toml, const char* model = kFakeModel) {
  std::string dir = make_temp_dir(tag);
  write_text(dir + "/model.sh", model, true);
  write_text(dir + "/study.toml", toml);
  return dir;
}

// The study file of one external model "m" (`command`) whose one operator sets lr to `values`
// (a TOML array's items; the original has lr = 0.25), after the top-level keys in `top`.
inline std::string one_model_study(const std::string& top, const std::string& values = "0.5",
                                   const std::string& command = "./model.sh {lr}") {
  return top + "[[models]]\nname = \"m\"\ncommand = \"" + command +
         "\"\nmetric_regex = \"accuracy: ([-+0-9.e]+)\"\noperators = [{hyperparameter = \"lr\", values = [" + values +
         "]}]\nhyperparameters = {lr = 0.25}\n";
}

// `greentune study DIR/study.toml -o OUT --progress log` started in the background, its output
// in DIR/first.out and DIR/first.err.
inline std::unique_ptr<Subprocess> start_study(const std::string& dir, const std::string& out) {
  SubprocessOptions so;
  so.argv = {GREENTUNE_BIN, "study", dir + "/study.toml", "-o", out, "--progress", "log"};
  so.stdout_to = dir + "/first.out";
  so.stderr_to = dir + "/first.err";
  auto p = std::make_unique<Subprocess>(so);
  p->start();
  return p;
}

// Looks at OUT/study.db every `every_ms` milliseconds, at most `tries` times, until `ready`
// holds for its run counts (a database not yet there, or being created, is looked at again).
inline bool wait_for_counts(const std::string& out, const std::function<bool(const store::StatusCounts&)>& ready,
                            int tries = 400, int every_ms = 25) {
  for (int i = 0; i < tries; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(every_ms));
    if (!file_exists(out + "/study.db")) continue;
    try {
      store::StudyStore st = store::StudyStore::open(out + "/study.db");
      if (ready(st.counts())) return true;
    } catch (const Error&) {
    }
  }
  return false;
}

// Runs a study with its output kept from the test's (in *log when asked), progress as log lines.
inline int run_quietly(exec::StudyRunOptions o, std::string* log = nullptr) {
  std::ostringstream out, err;
  o.out = &out;
  o.err = &err;
  o.progress = "log";
  int rc = exec::run_study(o);
  if (log) *log = out.str() + err.str();
  return rc;
}

}  // namespace greentune::testing

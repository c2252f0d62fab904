#pragma once
// Helpers for the exec tests: temporary folders, fake external models (tiny /bin/sh
// scripts), and reading a study back.
#include <stdlib.h>
#include <sys/stat.h>

#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "common/greentune_cli.hpp"  // make_temp_dir: removed when the test program ends

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

}  // namespace greentune::testing

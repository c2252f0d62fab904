#!/usr/bin/env bash
# Installs the dependencies (Debian 12, apt-get), builds greentune and runs every test.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
"$root/scripts/install-deps.sh"
"$root/scripts/build.sh"
build="${BUILD_DIR:-$root/build}"
cd "$build"
# Tests run side by side: one libtorch thread each (OpenMP threads that outnumber the cores
# spin against each other and made the torch tests 4x slower).
OMP_NUM_THREADS="${OMP_NUM_THREADS:-1}" ctest --output-on-failure -j "${TEST_JOBS:-2}" --timeout 900

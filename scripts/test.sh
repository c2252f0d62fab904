#!/usr/bin/env bash
# Installs the dependencies (Debian 12, apt-get), builds greentune and runs every test.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
"$root/scripts/install-deps.sh"
"$root/scripts/build.sh"
build="${BUILD_DIR:-$root/build}"
cd "$build"
ctest --output-on-failure -j "${TEST_JOBS:-2}" --timeout 900

#!/usr/bin/env bash
# Configures and builds greentune into ${BUILD_DIR:-build}. Used by quickstart.sh and test.sh.
# Arguments are extra CMake options (-DGREENTUNE_TORCH_FROM_PYTHON=..., docs/build.md).
#   TARGETS   space-separated targets to build (default: all; the quick start builds only greentune)
#   JOBS      parallel compile jobs (default: every CPU)
#   BUILD_TYPE  CMake build type (default Release: no debug info, the fastest full build;
#               RelWithDebInfo for a debugger)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${BUILD_DIR:-$root/build}"
jobs="${JOBS:-$(nproc)}"
# ccache (when installed) then finds the same objects from any checkout or build folder.
export CCACHE_BASEDIR="${CCACHE_BASEDIR:-$root}" CCACHE_NOHASHDIR="${CCACHE_NOHASHDIR:-1}"
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE="${BUILD_TYPE:-Release}" "$@" >/dev/null
targets=()
for t in ${TARGETS:-}; do targets+=(--target "$t"); done
cmake --build "$build" -j "$jobs" "${targets[@]}"

#!/bin/sh
# Builds and runs bench/meter_overhead.cpp against the energy library of a build tree.
# usage: bench/meter_overhead.sh [BUILD_DIR] -- [--pairs N] [--work-ms MS] [--interval MS] [--meter NAME]
set -eu
src=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$src/build}
[ $# -gt 0 ] && shift
[ "${1:-}" = "--" ] && shift
cmake -S "$src" -B "$build" >/dev/null
cmake --build "$build" --target greentune_energy -j2 >/dev/null
out="$build/bench"
mkdir -p "$out"
c++ -std=c++17 -O2 -I"$src/include" "$src/bench/meter_overhead.cpp" \
  "$build/libgreentune_energy.a" "$build/libgreentune_core.a" -lfmt -pthread -ldl -o "$out/meter_overhead"
exec "$out/meter_overhead" "$@"

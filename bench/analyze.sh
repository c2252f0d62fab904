#!/bin/sh
# Benchmark: `greentune analyze` on generated runs files of 10k, 100k and 1M runs
# (bench/analyze_generate.py: 5 repetitions per configuration, 16 configurations per model,
# single + parallel). Prints wall and CPU seconds per phase (load = CSV parsing, analyze,
# output) for text and JSON output, interleaved, each size REPEAT times.
#   bench/analyze.sh [BUILD_DIR] [REPEAT]
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build}
repeat=${2:-3}
bin=$build/greentune
work=${TMPDIR:-/tmp}/greentune-bench-analyze
mkdir -p "$work"
for n in 10000 100000 1000000; do
  [ -f "$work/runs-$n.csv" ] || /usr/bin/python3 "$root/bench/analyze_generate.py" "$n" "$work/runs-$n.csv"
done
echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
for i in $(seq "$repeat"); do
  for n in 10000 100000 1000000; do
    for mode in text json; do
      flag=; [ "$mode" = json ] && flag=--json
      start=$(date +%s.%N)
      GREENTUNE_ANALYZE_TIMING=1 "$bin" analyze --runs "$work/runs-$n.csv" $flag > "$work/out.$mode" 2> "$work/timing"
      end=$(date +%s.%N)
      printf '%8d runs %-4s total %6.2f s wall | %s\n' "$n" "$mode" "$(echo "$end - $start" | bc)" "$(cat "$work/timing")"
    done
  done
done

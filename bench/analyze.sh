#!/bin/sh
# Benchmark: `greentune analyze` on generated runs files of 10k, 100k and 1M runs
# (bench/analyze_generate.py: 5 repetitions per configuration, 16 configurations per model,
# single + parallel). Prints wall and CPU seconds per phase (load = CSV parsing, analyze,
# output) for text and JSON output, interleaved, each size REPEAT times.
# With OLD_BUILD_DIR, the old binary's output of each size and mode is compared with the new
# one's (cmp): a speed change must leave the results unchanged bit for bit.
#   bench/analyze.sh [BUILD_DIR] [REPEAT] [OLD_BUILD_DIR]
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build}
repeat=${2:-3}
old=${3:-}
sizes=${SIZES:-10000 100000 1000000}  # SIZES="10000" for a quick check
bin=$build/greentune
work=${TMPDIR:-/tmp}/greentune-bench-analyze
mkdir -p "$work"
for n in $sizes; do
  [ -f "$work/runs-$n.csv" ] || /usr/bin/python3 "$root/bench/analyze_generate.py" "$n" "$work/runs-$n.csv"
done
# Runs the analysis with its phase timing; the peak memory (MB) too when GNU time is
# installed (Debian: apt-get install time).
analyze() {
  if [ -x /usr/bin/time ]; then
    GREENTUNE_ANALYZE_TIMING=1 /usr/bin/time -f %M -o "$work/rss.kb" "$bin" analyze "$@"
  else
    GREENTUNE_ANALYZE_TIMING=1 "$bin" analyze "$@"
  fi
}
echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
for i in $(seq "$repeat"); do
  for n in $sizes; do
    for mode in text json; do
      flag=; [ "$mode" = json ] && flag=--json
      start=$(date +%s.%N)
      rm -f "$work/rss.kb"
      analyze --runs "$work/runs-$n.csv" $flag > "$work/out.$mode" 2> "$work/timing"
      end=$(date +%s.%N)
      rss=; [ -f "$work/rss.kb" ] && rss=" | peak $(( $(cat "$work/rss.kb") / 1024 )) MB"
      printf '%8d runs %-4s total %6.2f s wall%s | %s\n' "$n" "$mode" "$(echo "$end - $start" | bc)" "$rss" "$(cat "$work/timing")"
      if [ -n "$old" ] && [ "$i" = 1 ]; then
        "$old/greentune" analyze --runs "$work/runs-$n.csv" $flag > "$work/old.$mode"
        if cmp -s "$work/out.$mode" "$work/old.$mode"; then same=identical; else same=DIFFERENT; fi
        printf '%8d runs %-4s output against %s: %s\n' "$n" "$mode" "$old/greentune" "$same"
      fi
    done
  done
done

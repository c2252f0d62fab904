#!/bin/sh
# A/B benchmark of `greentune analyze` between two builds, runs interleaved (A B A B ...) so
# that a machine whose speed drifts (other jobs) affects both alike. Per run it records the
# phases that GREENTUNE_ANALYZE_TIMING=1 prints (load, analyze, output; wall and CPU seconds)
# and the peak memory (GNU time); at the end the median of each, and A/B of the medians.
# The first run of each is compared byte for byte (cmp): the outputs must be identical.
#   bench/analyze_ab.sh BUILD_A BUILD_B [RUNS] [FILE] [FLAGS...]
# FILE defaults to the 1M-run file of bench/analyze.sh (generated if missing); FLAGS default
# to --json. Example: bench/analyze_ab.sh build old-build 5
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
a=$1 b=$2
runs=${3:-5}
work=${TMPDIR:-/tmp}/greentune-bench-analyze
mkdir -p "$work"
file=${4:-$work/runs-1000000.csv}
[ -f "$file" ] || /usr/bin/python3 "$root/bench/analyze_generate.py" 1000000 "$file"
[ $# -gt 4 ] && shift 4 || set -- --json
log=$work/ab.log
: > "$log"
echo "file $file, flags $*, $runs runs each; load average at start $(cut -d' ' -f1-3 /proc/loadavg)"
for i in $(seq "$runs"); do
  for side in A B; do
    build=$a; [ "$side" = B ] && build=$b
    GREENTUNE_ANALYZE_TIMING=1 /usr/bin/time -f 'peak_kb %M' "$build/greentune" analyze --runs "$file" "$@" \
      > "$work/ab.$side.out" 2> "$work/ab.err"
    # timing: N runs; wall/cpu seconds: load W/C, analyze W/C, output W/C
    sed -n 's/.*load \([0-9.e-]*\)\/\([0-9.e-]*\), analyze \([0-9.e-]*\)\/\([0-9.e-]*\), output \([0-9.e-]*\)\/\([0-9.e-]*\).*/\1 \2 \3 \4 \5 \6/p' \
      "$work/ab.err" | tr '\n' ' ' | sed "s/^/$side /" >> "$log"
    sed -n 's/^peak_kb //p' "$work/ab.err" >> "$log"
  done
  if [ "$i" = 1 ]; then
    if cmp -s "$work/ab.A.out" "$work/ab.B.out"; then echo "outputs identical"; else echo "OUTPUTS DIFFER"; fi
  fi
done
echo "load average at end $(cut -d' ' -f1-3 /proc/loadavg)"
# Columns: side load_wall load_cpu analyze_wall analyze_cpu output_wall output_cpu peak_kb
awk '
  function median(side, col,   n, i, j, t, v) {
    n = 0
    for (i = 1; i <= rows; ++i) if (s[i] == side) v[++n] = x[i, col]
    for (i = 1; i <= n; ++i) for (j = i + 1; j <= n; ++j) if (v[j] < v[i]) { t = v[i]; v[i] = v[j]; v[j] = t }
    return n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
  }
  { ++rows; s[rows] = $1; for (c = 2; c <= 8; ++c) x[rows, c] = $c; x[rows, 9] = $2 + $4; x[rows, 10] = $3 + $5 }
  END {
    split("load_wall load_cpu analyze_wall analyze_cpu output_wall output_cpu peak_MB load+analyze_wall load+analyze_cpu", name, " ")
    printf "%-20s %10s %10s %8s\n", "median", "A", "B", "A/B"
    for (c = 2; c <= 10; ++c) {
      ma = median("A", c); mb = median("B", c)
      if (c == 8) { ma /= 1024; mb /= 1024 }
      printf "%-20s %10.3f %10.3f %8.3f\n", name[c - 1], ma, mb, mb ? ma / mb : 0
    }
  }' "$log"

#!/usr/bin/env bash
# Benchmark: a clean build of two commits side by side, A B A B, without ccache.
#   bench/build_ab.sh OLD_REV NEW_REV [ROUNDS] [TARGETS]
# Each round configures and builds OLD then NEW from an empty build folder (scripts/build.sh of
# each commit, Release, CCACHE_DISABLE=1), and prints wall and CPU (user + sys) seconds of
# each build, then the medians and the NEW/OLD ratios of the pairs. TARGETS (default
# "greentune", what the quick start builds; "all" for everything scripts/test.sh builds).
# Work folders: ${TMPDIR:-/tmp}/greentune-bench-build.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
old=${1:?usage: bench/build_ab.sh OLD_REV NEW_REV [ROUNDS] [TARGETS]}
new=${2:?usage: bench/build_ab.sh OLD_REV NEW_REV [ROUNDS] [TARGETS]}
rounds=${3:-2}
targets=${4:-greentune}
[[ $targets == all ]] && targets=""
work=${TMPDIR:-/tmp}/greentune-bench-build
mkdir -p "$work"
for side in old new; do
  rev=${!side}
  rm -rf "$work/$side"
  git -C "$root" archive --prefix="$side/" "$rev" | tar -x -C "$work"
done
echo "machine: $(nproc) cores; old $(git -C "$root" rev-parse --short "$old"), new $(git -C "$root" rev-parse --short "$new"); targets: ${targets:-all}"
results=()
for round in $(seq "$rounds"); do
  for side in old new; do
    rm -rf "$work/build-$side"
    load=$(cut -d' ' -f1 /proc/loadavg)
    /usr/bin/time -f "%e %U %S" -o "$work/time" env CCACHE_DISABLE=1 BUILD_DIR="$work/build-$side" \
      TARGETS="$targets" "$work/$side/scripts/build.sh" > "$work/build-$side.log" 2>&1 ||
      { echo "build of $side failed: $work/build-$side.log" >&2; exit 1; }
    read -r wall user sys < "$work/time"
    cpu=$(echo "$user + $sys" | bc)
    printf 'round %d %-3s wall %7.1f s  cpu %7.1f s  (load average at start %s)\n' "$round" "$side" "$wall" "$cpu" "$load"
    results+=("$side $wall $cpu")
  done
done
printf '%s\n' "${results[@]}" | /usr/bin/python3 -c '
import sys, statistics as st
rows = [l.split() for l in sys.stdin if l.strip()]
old = [(float(w), float(c)) for s, w, c in rows if s == "old"]
new = [(float(w), float(c)) for s, w, c in rows if s == "new"]
for i, name in ((0, "wall"), (1, "cpu")):
    o, n = st.median(x[i] for x in old), st.median(x[i] for x in new)
    ratios = [b[i] / a[i] for a, b in zip(old, new)]
    print(f"median {name}: old {o:.1f} s, new {n:.1f} s; new/old per pair: " + ", ".join(f"{r:.2f}" for r in ratios))
'

#!/usr/bin/env bash
# Fuzz campaigns: builds the libFuzzer targets (clang-14, ASan + UBSan; cmake -DGREENTUNE_FUZZ=ON)
# into ${FUZZ_BUILD_DIR:-build-fuzz} and fuzzes each target for SECONDS (default 600), starting
# from its seed corpus in tests/fuzz/corpus/NAME. docs/fuzzing.md.
#   scripts/fuzz.sh [SECONDS] [TARGET...]     (targets: runs_csv study_toml plan_json task_result
#                                              train_result pattern idx cifar jpeg market_names; default all)
# Environment: FUZZ_JOBS (campaigns at once, default 1), FUZZ_OUT (default build-fuzz/campaigns),
# FUZZ_NO_BUILD=1 (use the targets already built).
# Per target, FUZZ_OUT/NAME/ holds the new corpus entries (corpus/), any crash, leak or timeout
# input (artifacts/) and libFuzzer's log (fuzz.log); a summary line per target is printed and
# written to FUZZ_OUT/summary.txt. Exits non-zero when any campaign found something.
# A finding becomes a regression test: fix it, copy the input into tests/fuzz/corpus/NAME.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
seconds="${1:-600}"
shift || true
all=(runs_csv study_toml plan_json task_result train_result pattern idx cifar jpeg market_names)
targets=("$@")
if [[ ${#targets[@]} -eq 0 ]]; then targets=("${all[@]}"); fi
if ! [[ $seconds =~ ^[0-9]+$ ]] || [[ $seconds -lt 1 ]]; then
  echo "fuzz.sh: SECONDS must be a positive whole number, got '$seconds'" >&2
  exit 2
fi
build="${FUZZ_BUILD_DIR:-$root/build-fuzz}"
out="${FUZZ_OUT:-$build/campaigns}"
jobs="${FUZZ_JOBS:-1}"
for t in "${targets[@]}"; do
  if [[ ! -d $root/tests/fuzz/corpus/$t ]]; then
    echo "fuzz.sh: unknown target '$t' (targets: ${all[*]})" >&2
    exit 2
  fi
done
for tool in clang-14 clang++-14; do
  command -v "$tool" >/dev/null || { echo "fuzz.sh: $tool not found (apt-get install clang-14 libclang-rt-14-dev lld-14)" >&2; exit 2; }
done

if [[ ${FUZZ_NO_BUILD:-0} != 1 ]]; then
  CC=clang-14 CXX=clang++-14 cmake -S "$root" -B "$build" -DGREENTUNE_FUZZ=ON -DGREENTUNE_PYTHON=OFF \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  cmake --build "$build" -j "${JOBS:-$(nproc)}" --target "${targets[@]/#/greentune_fuzz_}"
fi

export ASAN_OPTIONS="${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
export OMP_NUM_THREADS=1

campaign() {
  local t="$1" dir="$out/$1"
  rm -rf "$dir"
  mkdir -p "$dir/corpus" "$dir/artifacts"
  local rc=0
  # New inputs go to dir/corpus (the first folder); the seeds are read, never written.
  (cd "$dir" && TMPDIR="$dir" "$build/tests/greentune_fuzz_$t" -max_total_time="$seconds" -rss_limit_mb=4096 \
      -timeout=30 -print_final_stats=1 -artifact_prefix="$dir/artifacts/" \
      "$dir/corpus" "$root/tests/fuzz/corpus/$t" >"$dir/fuzz.log" 2>&1) || rc=$?
  local execs cov found
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$dir/fuzz.log" | grep -o '[0-9]*$' || true)
  cov=$(grep -o 'cov: [0-9]*' "$dir/fuzz.log" | tail -1 | grep -o '[0-9]*' || true)
  found=$(find "$dir/artifacts" -type f | wc -l)
  printf '%-13s %4ss  execs %-10s  cov %-6s  corpus +%-5s  findings %s  rc %s\n' "$t" "$seconds" "${execs:-?}" \
    "${cov:-?}" "$(find "$dir/corpus" -type f | wc -l)" "$found" "$rc" | tee -a "$out/summary.txt"
  [[ $rc -eq 0 && $found -eq 0 ]]
}

mkdir -p "$out"
: >"$out/summary.txt"
status=0
running=0
for t in "${targets[@]}"; do
  campaign "$t" &
  running=$((running + 1))
  if [[ $running -ge $jobs ]]; then
    wait -n || status=1
    running=$((running - 1))
  fi
done
while [[ $running -gt 0 ]]; do
  wait -n || status=1
  running=$((running - 1))
done
echo "fuzz.sh: logs and findings in $out"
exit $status

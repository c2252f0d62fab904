#!/usr/bin/env bash
# Installs the dependencies (Debian 12, apt-get), builds greentune and runs every test, in two
# libtorch configurations (docs/build.md):
#   1. Debian's libtorch 1.13 (CPU) into ${BUILD_DIR:-build}: the whole suite.
#   2. PyPI's torch 2.x (CUDA-enabled libtorch, installed once per machine by
#      scripts/install-torch2.sh; run on the CPU where there is no GPU) into
#      ${BUILD_DIR_TORCH2:-build-torch2}: every test that runs libtorch code (labels in
#      $torch2_labels below). GREENTUNE_TORCH2=0 skips it.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
# ccache (when installed) shares the non-torch objects between the two configurations.
export CCACHE_BASEDIR="${CCACHE_BASEDIR:-$root}" CCACHE_NOHASHDIR="${CCACHE_NOHASHDIR:-1}"
torch2="${GREENTUNE_TORCH2:-1}"
# --sanitize: the whole suite in an AddressSanitizer + UndefinedBehaviorSanitizer build
# (-DGREENTUNE_SANITIZE=ON, in ${BUILD_DIR:-build-asan}; docs/fuzzing.md), Debian's libtorch only.
build_args=()
if [[ ${1:-} == --sanitize ]]; then
  export BUILD_DIR="${BUILD_DIR:-$root/build-asan}"
  build_args=(-DGREENTUNE_SANITIZE=ON)
  export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}"
  export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
  torch2=0
elif [[ $# -gt 0 ]]; then
  echo "test.sh: unknown option '$1' (usage: scripts/test.sh [--sanitize])" >&2
  exit 2
fi
start=$SECONDS
phase() { echo "test.sh: $1 took $((SECONDS - phase_start)) s (total $((SECONDS - start)) s)"; phase_start=$SECONDS; }
phase_start=$SECONDS
deps_args=()
[[ $torch2 == 1 ]] && deps_args=(--torch2)
"$root/scripts/install-deps.sh" "${deps_args[@]}"
phase "install"
# Tests run side by side: one libtorch thread each (OpenMP threads that outnumber the cores
# spin against each other and made the torch tests 4x slower).
run_tests() {  # build dir, ctest args...
  local dir="$1"; shift
  (cd "$dir" && OMP_NUM_THREADS="${OMP_NUM_THREADS:-1}" ctest --output-on-failure -j "${TEST_JOBS:-2}" --timeout 900 "$@")
}

"$root/scripts/build.sh" "${build_args[@]}"
phase "build (Debian libtorch)"
run_tests "${BUILD_DIR:-$root/build}"
phase "tests (Debian libtorch)"

if [[ $torch2 == 1 ]]; then
  venv="${GREENTUNE_TORCH2_VENV:-/opt/greentune/torch2}"
  # The areas whose code or tests run libtorch: torch (the trainers), cli and exec (the
  # greentune binary training built-in models in studies), energy (the binary's meters,
  # the NVML one against the fake NVML library). The other areas' libraries do not link
  # libtorch and are compiled from the same sources with the same flags in both builds.
  torch2_labels='^(torch|cli|exec|energy)$'
  BUILD_DIR="${BUILD_DIR_TORCH2:-$root/build-torch2}" \
    TARGETS="greentune greentune_torch_tests greentune_cli_tests greentune_exec_tests greentune_energy_tests greentune_fake_nvml" \
    "$root/scripts/build.sh" \
    -DGREENTUNE_TORCH_FROM_PYTHON="$venv/bin/python"
  phase "build (PyPI torch 2.x)"
  run_tests "${BUILD_DIR_TORCH2:-$root/build-torch2}" -L "$torch2_labels"
  phase "tests (PyPI torch 2.x: $torch2_labels)"
fi

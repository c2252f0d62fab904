#!/usr/bin/env bash
# Installs the dependencies (Debian 12, apt-get), builds greentune and runs the main job on
# its embedded defaults: the quick study (mnist_cnn on Fashion-MNIST, epochs and lr mutants,
# single and parallel scenarios), then writes its report. Prints each phase's time.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
start=$SECONDS
phase_start=$SECONDS
phase() { echo "quickstart: $1 took $((SECONDS - phase_start)) s (total $((SECONDS - start)) s)"; phase_start=$SECONDS; }
"$root/scripts/install-deps.sh" --no-test-deps
phase "install"
# Only what the quick start runs: the greentune binary (no test programs, no Python module).
TARGETS=greentune "$root/scripts/build.sh"
phase "build"
build="${BUILD_DIR:-$root/build}"
study_dir="${STUDY_DIR:-$root/greentune-quick-$(date -u +%Y%m%dT%H%M%SZ)}"
"$build/greentune" study -o "$study_dir"
phase "study"
"$build/greentune" report --include-estimated "$study_dir/study.db" -o "$study_dir/report"  # no sensor: labelled estimates
phase "report"
echo "quickstart: study in $study_dir; open $study_dir/report/report.html"

#!/usr/bin/env bash
# Installs the dependencies (Debian 12, apt-get), builds greentune and runs the main job on
# its embedded defaults: the quick study (mnist_cnn on Fashion-MNIST, epochs and lr mutants,
# single and parallel scenarios), then writes its report.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
"$root/scripts/install-deps.sh" --no-test-deps
"$root/scripts/build.sh"
build="${BUILD_DIR:-$root/build}"
study_dir="${STUDY_DIR:-$root/greentune-quick-$(date -u +%Y%m%dT%H%M%SZ)}"
"$build/greentune" study -o "$study_dir"
"$build/greentune" report "$study_dir/study.db" -o "$study_dir/report"
echo "quickstart: study in $study_dir; open $study_dir/report/report.html"

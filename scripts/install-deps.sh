#!/usr/bin/env bash
# Installs everything greentune needs to build, test and run, from Debian 12's packages.
# Usage: scripts/install-deps.sh [--no-test-deps] [--torch2]
#   default: build + runtime + test dependencies (Chromium, Slurm, SciPy, PyTorch for the references)
#   the test dependencies include a venv with the newest numpy and pandas from PyPI
#             (scripts/install-pydata.sh; the Python tests' second run, docs/python.md)
#   --torch2: also PyPI's torch 2.x (CUDA-enabled) in a venv, once per machine
#             (scripts/install-torch2.sh; the second build configuration, docs/build.md)
set -euo pipefail

with_test=1
with_torch2=0
for arg in "$@"; do
  case "$arg" in
    --no-test-deps) with_test=0 ;;
    --torch2) with_torch2=1 ;;
    *) echo "install-deps.sh: unknown option '$arg'" >&2; exit 2 ;;
  esac
done

build_pkgs=(
  build-essential cmake pkg-config git ccache
  libtorch-dev libopenblas0-openmp
  zlib1g-dev libjpeg-dev libsqlite3-dev
  libcli11-dev nlohmann-json3-dev libfmt-dev libtomlplusplus-dev libboost-dev libpcre2-dev
  libgtest-dev libgmock-dev
  dataset-fashion-mnist
  python3-dev pybind11-dev
)
test_pkgs=(
  python3 python3-torch python3-torchvision python3-scipy python3-numpy
  python3-pandas python3-pytest python3-venv python3-pip
  python3-optuna
  chromium
  slurm-wlm munge
  sqlite3 procps
  clang-14 libclang-rt-14-dev  # scripts/fuzz.sh: libFuzzer campaigns (docs/fuzzing.md)
)

pkgs=("${build_pkgs[@]}")
if [[ $with_test == 1 ]]; then pkgs+=("${test_pkgs[@]}"); fi
if [[ $with_torch2 == 1 ]]; then pkgs+=(python3 python3-venv); fi

missing=()
for p in "${pkgs[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

SUDO=""
if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
if [[ ${#missing[@]} -eq 0 ]]; then
  echo "install-deps: all ${#pkgs[@]} packages already installed"
else
  echo "install-deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -q
  $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
if [[ $with_test == 1 ]]; then
  $SUDO "$(dirname "$0")/install-pydata.sh"
fi
if [[ $with_torch2 == 1 ]]; then
  $SUDO "$(dirname "$0")/install-torch2.sh"
fi

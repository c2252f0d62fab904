#!/usr/bin/env bash
# Builds greentune against the newest torch on PyPI (not the pinned 2.11 of install-torch2.sh)
# and trains one short run with it: the check that the build keeps up with PyTorch (docs/build.md).
#   GREENTUNE_TORCH_NEWEST_VENV   the venv for it (default /opt/greentune/torch-newest; made and
#                                 upgraded to PyPI's newest torch by this script)
#   BUILD_DIR                     where to build (default build-torch-newest)
# Prints the versions and the trained run's torch_version; exits non-zero when the build, the link
# or the run fails, or when the run's torch is not the venv's.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
venv="${GREENTUNE_TORCH_NEWEST_VENV:-/opt/greentune/torch-newest}"
build="${BUILD_DIR:-$root/build-torch-newest}"
py="$venv/bin/python"
start=$SECONDS
if [[ ! -x "$py" ]]; then
  /usr/bin/python3 -m venv "$venv"
fi
"$py" -m pip install -q --disable-pip-version-check --upgrade torch numpy
torch_version="$("$py" -c 'import torch; print(torch.__version__)')"
echo "check-newest-torch: torch $torch_version, numpy $("$py" -c 'import numpy; print(numpy.__version__)') in $venv ($((SECONDS - start)) s)"
phase=$SECONDS
BUILD_DIR="$build" TARGETS=greentune "$root/scripts/build.sh" \
  -DGREENTUNE_TORCH_FROM_PYTHON="$py" -DGREENTUNE_BUILD_TESTS=OFF -DGREENTUNE_PYTHON=OFF
echo "check-newest-torch: built $build/greentune in $((SECONDS - phase)) s"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
"$build/greentune" train --model mnist_cnn --device auto --substitute-data \
  --set epochs=1 --set train_limit=2000 --set test_limit=1000 --json >"$out/run.json"
ran_with="$("$py" -c 'import json, sys; print(json.load(open(sys.argv[1]))["torch_version"])' "$out/run.json")"
"$py" -c 'import json, sys; r = json.load(open(sys.argv[1])); print("check-newest-torch: trained mnist_cnn 1 epoch on", r.get("device"), r["metric"]["name"], r["metric"]["value"], "torch_version", r["torch_version"])' "$out/run.json"
if [[ "${torch_version%%+*}" != "${ran_with%%+*}" ]]; then
  echo "check-newest-torch: the run reports torch $ran_with, the venv has $torch_version" >&2
  exit 1
fi
echo "check-newest-torch: ok in $((SECONDS - start)) s"

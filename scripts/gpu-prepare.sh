#!/usr/bin/env bash
# Run HERE (a Debian 12 machine with the package registries) before a GPU device check.
# The GPU machines have CUDA PyTorch 2.11 (python 3.12), nvcc, CMake and ninja, but no package
# registry: this collects into .gpu-carry/ (git-ignored), which the device call carries along
# for scripts/gpu-check.sh:
#   debs/    the Debian packages greentune builds against (header-only or small libraries),
#            unpacked there into a private prefix
#   wheels/  Zeus (`zeus` on PyPI, for ZeusMonitor beside greentune's NVML meter) and those of
#            its requirements the GPU image lacks, for python 3.12 (the GPU machine) and for the
#            python that rehearses the check here
#   data/    the Fashion-MNIST files
# Usage: scripts/gpu-prepare.sh [--rehearsal]
#   --rehearsal  also installs into the torch 2.x venv here (scripts/install-torch2.sh) the
#                packages the GPU image already has and Zeus needs (pandas, scikit-learn, ...),
#                so that `GPU_CHECK_DEVICE=cpu scripts/gpu-check.sh` rehearses the same steps
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
carry="$root/.gpu-carry"
rehearsal=0
for arg in "$@"; do
  case "$arg" in
    --rehearsal) rehearsal=1 ;;
    *) echo "gpu-prepare.sh: unknown option '$arg' (usage: scripts/gpu-prepare.sh [--rehearsal])" >&2; exit 2 ;;
  esac
done
venv="${GREENTUNE_TORCH2_VENV:-/opt/greentune/torch2}"
rehearsal_python="${PYTHON:-$venv/bin/python}"
mkdir -p "$carry/debs" "$carry/data" "$carry/wheels"

# 1. Debian packages.
cd "$carry/debs"
rm -f ./*.deb
apt-get download -q libcli11-dev nlohmann-json3-dev libfmt-dev libfmt9 libtomlplusplus-dev libtomlplusplus3 \
  libsqlite3-dev libsqlite3-0 libboost1.74-dev libjpeg62-turbo-dev libjpeg62-turbo zlib1g-dev >/dev/null

# 2. Wheels. Zeus 0.16's requirements are numpy, pandas, scikit-learn, nvidia-ml-py, pydantic,
# rich, tyro, httpx, amdsmi and python-dateutil; the GPU image (device KINDS.md, 2026-11) has all
# but pydantic, tyro and amdsmi. Those come here with their own requirements, pinned so that
# one version of each travels (two stop the install there).
pure=(zeus==0.16.0 pydantic==2.14.4 annotated-types==0.8.0 typing-inspection==0.4.5 typing-extensions==4.16.0
  tyro==1.0.17 docstring-parser==0.18.0 typeguard==4.6.1 amdsmi==7.0.2)
binary=(pydantic-core==2.50.5)
cd "$carry/wheels"
rm -f ./*.whl
pip_dl() { /usr/bin/python3 -m pip download -q --no-deps --only-binary=:all: -d . "$@"; }
pip_dl "${pure[@]}"
platforms=(--platform manylinux_2_28_x86_64 --platform manylinux_2_27_x86_64 --platform manylinux_2_17_x86_64
  --platform manylinux2014_x86_64)
pip_dl --python-version 3.12 --implementation cp "${platforms[@]}" "${binary[@]}"   # the GPU machine
local_version="$("$rehearsal_python" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")' 2>/dev/null || echo 3.11)"
[[ "$local_version" != 3.12 ]] &&
  pip_dl --python-version "$local_version" --implementation cp "${platforms[@]}" "${binary[@]}"   # the rehearsal here

# 3. Data.
cp /usr/share/datasets/fashion-mnist/*.gz "$carry/data/"

if [[ $rehearsal == 1 ]]; then
  # What the GPU image has and Zeus imports; greentune's own build needs none of it.
  "$rehearsal_python" -m pip install -q --disable-pip-version-check numpy pandas scikit-learn rich httpx \
    nvidia-ml-py python-dateutil
fi
echo "gpu-prepare: $(ls "$carry/debs" | wc -l) debs, $(ls "$carry/wheels" | wc -l) wheels, data; $(du -sh "$carry" | cut -f1) in $carry"

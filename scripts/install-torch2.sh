#!/usr/bin/env bash
# Installs PyPI's torch 2.x (the CUDA-enabled Linux wheel: libtorch, its headers and CMake files,
# plus NVIDIA's CUDA runtime wheels) into a virtual environment, once per machine, for greentune's
# second build configuration (-DGREENTUNE_TORCH_FROM_PYTHON=<venv>/bin/python) and the PyTorch 2.x
# Python loops of bench/train_speed.sh. Called by scripts/install-deps.sh --torch2.
#   GREENTUNE_TORCH2_VENV     where (default /opt/greentune/torch2)
#   GREENTUNE_TORCH2_VERSION  which torch (default 2.11.0: the version the GPU machines carry, built
#                             for CUDA 13.0 like this machine's toolkit)
# Prints nothing but one status line when the right version is already there.
set -euo pipefail
version="${GREENTUNE_TORCH2_VERSION:-2.11.0}"
venv="${GREENTUNE_TORCH2_VENV:-/opt/greentune/torch2}"
py="$venv/bin/python"
base_python=/usr/bin/python3   # Debian's python 3.11 (a pyenv python3 on PATH may lack venv support)

have() {
  [[ -x "$py" ]] &&
    "$py" -c "import sys, numpy, torch; sys.exit(torch.__version__.split('+')[0] != sys.argv[1])" "$version" 2>/dev/null
}
# The Python tests of greentune.integrations (tests/python/test_integrations.py) run in this
# venv: Hugging Face transformers with accelerate, Lightning, pandas and pytest beside torch
# (from PyPI: Debian 12 has none of them current), with torch held at $version.
extras=(transformers accelerate lightning pandas pytest)
have_extras() {
  "$py" -c "import importlib.util as u, sys; sys.exit(any(u.find_spec(m) is None for m in sys.argv[1:]))" \
    "${extras[@]}" 2>/dev/null
}
install_extras() {
  have_extras && return 0
  echo "install-torch2: installing ${extras[*]} from PyPI into $venv"
  local t0
  t0=$(date +%s)
  "$py" -m pip install -q --disable-pip-version-check "torch==$version" "${extras[@]}"
  have_extras || { echo "install-torch2: ${extras[*]} do not import from $py after the install" >&2; exit 1; }
  echo "install-torch2: $("$py" -c 'import transformers, lightning; print("transformers", transformers.__version__, "lightning", lightning.__version__)') installed in $(( $(date +%s) - t0 )) s"
}

if have; then
  echo "install-torch2: torch $version already in $venv"
  install_extras
  exit 0
fi
[[ -x "$base_python" ]] || { echo "install-torch2: $base_python is missing (apt-get install python3 python3-venv)" >&2; exit 1; }
mkdir -p "$(dirname "$venv")"
exec 9>"$(dirname "$venv")/.torch2.lock"
flock 9   # two concurrent installs (CI and a developer) wait for each other
have && { echo "install-torch2: torch $version already in $venv"; install_extras; exit 0; }
echo "install-torch2: installing torch $version (the CUDA wheel and its NVIDIA libraries: 4.7 GB installed, about 2 min here) into $venv"
start=$(date +%s)
"$base_python" -m venv "$venv"
"$py" -m pip install -q --no-cache-dir --disable-pip-version-check "torch==$version" numpy
have || { echo "install-torch2: torch $version does not import from $py after the install" >&2; exit 1; }
echo "install-torch2: torch $("$py" -c 'import torch; print(torch.__version__)') installed in $(( $(date +%s) - start )) s"
install_extras

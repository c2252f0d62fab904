#!/usr/bin/env bash
# Makes a plain virtual environment (no system site packages) from Debian's python3 with the
# newest numpy, pandas and pytest from PyPI, once per machine: the Python module's tests run
# in it a second time (ctest's python-pypi.* entries, tests/CMakeLists.txt), against numpy 2
# and pandas 3 besides Debian's numpy 1.24 and pandas 1.5 (docs/python.md; issue 22: numpy 2
# changed its C structures under pybind11's numpy API). Called by scripts/install-deps.sh.
#   GREENTUNE_PYDATA_VENV  where (default /opt/greentune/pydata-venv)
# Prints one status line when the venv is already there.
set -euo pipefail
venv="${GREENTUNE_PYDATA_VENV:-/opt/greentune/pydata-venv}"
py="$venv/bin/python"
base_python=/usr/bin/python3   # the interpreter the module is built for (same ABI as the venv)

have() {
  [[ -x "$py" ]] &&
    "$py" -c "import sys, numpy, pandas, pytest; sys.exit(int(numpy.__version__.split('.')[0]) < 2)" 2>/dev/null
}
versions() { "$py" -c 'import numpy, pandas; print("numpy", numpy.__version__, "pandas", pandas.__version__)'; }

if have; then
  echo "install-pydata: $(versions) already in $venv"
  exit 0
fi
[[ -x "$base_python" ]] || { echo "install-pydata: $base_python is missing (apt-get install python3 python3-venv)" >&2; exit 1; }
mkdir -p "$(dirname "$venv")"
exec 9>"$(dirname "$venv")/.pydata.lock"
flock 9   # two concurrent installs wait for each other
have && { echo "install-pydata: $(versions) already in $venv"; exit 0; }
echo "install-pydata: installing the newest numpy, pandas and pytest from PyPI into $venv"
start=$(date +%s)
rm -rf "$venv"
"$base_python" -m venv "$venv"
"$py" -m pip install -q --disable-pip-version-check numpy pandas pytest
have || { echo "install-pydata: numpy 2.x, pandas and pytest do not import from $py after the install" >&2; exit 1; }
echo "install-pydata: $(versions) installed in $(( $(date +%s) - start )) s"

"""`pip install .` from the source tree, offline, into a virtual environment: the module and
the greentune command."""

import os
import subprocess
import sys

import pytest

from conftest import SOURCE_DIR


def test_pip_install_from_the_source_tree_without_network(tmp_path):
    build = os.environ.get("GREENTUNE_PYTHON_BUILD_DIR")
    if not build:
        pytest.skip("GREENTUNE_PYTHON_BUILD_DIR is not set (ctest sets it to the build tree)")
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", str(venv)], check=True, timeout=120)
    py = str(venv / "bin" / "python")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env.update(PIP_NO_INDEX="1", PIP_DISABLE_PIP_VERSION_CHECK="1", GREENTUNE_PYTHON_BUILD_DIR=build)
    r = subprocess.run([py, "-m", "pip", "install", "--no-cache-dir", SOURCE_DIR], capture_output=True, text=True,
                       env=env, timeout=600)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    code = ("import greentune, sys\n"
            "assert greentune.__file__.startswith(sys.prefix), greentune.__file__\n"
            "with greentune.Meter('estimate', 0.01) as m:\n"
            "    with m.window('x') as w:\n"
            "        sum(range(100000))\n"
            "print(w.energy['cpu_package'].source, greentune.__version__)\n")
    r = subprocess.run([py, "-c", code], capture_output=True, text=True, env=env, cwd=str(tmp_path), timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["estimated", "0.1.0"]
    # the greentune command, in the venv's bin/ (issue 26)
    gt = venv / "bin" / "greentune"
    assert gt.exists() and os.access(gt, os.X_OK)
    r = subprocess.run([str(gt), "--version"], capture_output=True, text=True, env=env, timeout=60)
    assert r.returncode == 0 and r.stdout.split()[-1] == "0.1.0", r.stdout + r.stderr
    r = subprocess.run([str(gt), "meters", "--json"], capture_output=True, text=True, env=env, timeout=60)
    assert r.returncode == 0 and '"estimate"' in r.stdout, r.stderr


def test_the_backend_sees_the_environments_torch_through_pips_build_isolation(tmp_path):
    """pip runs the build backend with PYTHONPATH on an overlay whose sitecustomize hides the
    environment's site-packages; the backend must still find the environment's torch (issue
    26: without this, `pip install .` built the command without training in a torch venv)."""
    if subprocess.run([sys.executable, "-c", "import torch"], capture_output=True).returncode != 0:
        pytest.skip(f"{sys.executable} has no torch")
    overlay = tmp_path / "overlay"
    overlay.mkdir()
    (overlay / "sitecustomize.py").write_text(
        "import sys\nsys.path[:] = [p for p in sys.path if not p.endswith(('site-packages', 'dist-packages'))]\n")
    code = ("import sys\n"
            "sys.path.insert(0, sys.argv[1])\n"
            "try:\n"
            "    import torch\n"
            "    sys.exit('the overlay does not hide torch')\n"
            "except ImportError:\n"
            "    pass\n"
            "import greentune_build\n"
            "args, line = greentune_build._torch()\n"
            "print(' '.join(args)); print(line)\n")
    env = {k: v for k, v in os.environ.items() if k != "GREENTUNE_TORCH"}
    env.update(PYTHONPATH=str(overlay), PYTHONNOUSERSITE="1")
    r = subprocess.run([sys.executable, "-c", code, os.path.join(SOURCE_DIR, "python", "build_backend")],
                       capture_output=True, text=True, env=env, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    args, line = r.stdout.splitlines()[:2]
    assert "-DGREENTUNE_WITH_TORCH=ON" in args.split() and "against" in line, r.stdout
    env["GREENTUNE_TORCH"] = "off"
    r = subprocess.run([sys.executable, "-c", code, os.path.join(SOURCE_DIR, "python", "build_backend")],
                       capture_output=True, text=True, env=env, timeout=300)
    assert r.returncode == 0 and r.stdout.split()[0] == "-DGREENTUNE_WITH_TORCH=OFF", r.stdout + r.stderr

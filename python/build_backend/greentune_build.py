"""An in-tree PEP 517 build backend for greentune: `pip install .` from the source tree builds,
with CMake (the project's own build), the Python module and the `greentune` command, and
puts both into the environment (the command in its bin/). It needs no download at all
(`requires = []` in pyproject.toml, so pip's isolated build environment stays empty).

The command is built against the PyTorch of the installing Python when that has one with
its CMake files (a PyPI wheel: as -DGREENTUNE_TORCH_FROM_PYTHON), so `greentune train` and
the built-in models use the user's own libtorch, CUDA included; with Debian's python3-torch
(no CMake files) against Debian's libtorch-dev when installed; without torch, without the
training subcommands (`greentune train --help` says so).

Environment:
  GREENTUNE_PYTHON_BUILD_DIR  reuse this CMake build directory (configured with the same
                              interpreter) instead of configuring a fresh one
  GREENTUNE_TORCH             auto (default: as above) or off (no libtorch, no training)
  CMAKE_BUILD_PARALLEL_LEVEL  build jobs (default 2)
"""

import base64
import hashlib
import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import zipfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
NAME = "greentune"
VERSION = "0.1.0"
SUMMARY = ("greentune for Python: energy meter windows, per-epoch study reports, runs as DataFrames; "
           "and the greentune command")


def _metadata():
    return (f"Metadata-Version: 2.1\nName: {NAME}\nVersion: {VERSION}\nSummary: {SUMMARY}\n"
            "Requires-Python: >=3.8\nRequires-Dist: numpy\nRequires-Dist: pandas\n")


def _tag():
    impl = f"cp{sys.version_info[0]}{sys.version_info[1]}"
    plat = sysconfig.get_platform().replace("-", "_").replace(".", "_")
    return f"{impl}-{impl}-{plat}"


def _wheel_text():
    return f"Wheel-Version: 1.0\nGenerator: greentune_build\nRoot-Is-Purelib: false\nTag: {_tag()}\n"


def _run(cmd, env=None):
    print("greentune_build: " + " ".join(cmd), file=sys.stderr, flush=True)
    subprocess.run(cmd, check=True, env=env)


def _outside_env():
    """The environment without pip's build isolation: pip runs this backend with PYTHONPATH
    pointing at an overlay that hides the environment's own site-packages (and
    PYTHONNOUSERSITE=1), so neither the probe below nor CMake (asking the same Python for
    torch.utils.cmake_prefix_path) would see the venv's torch."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONNOUSERSITE")}
    # ccache (when CMake finds it) then shares objects with other builds of this tree
    env.setdefault("CCACHE_BASEDIR", ROOT)
    env.setdefault("CCACHE_NOHASHDIR", "1")
    return env


def _torch():
    """CMake options for libtorch, and a line saying which."""
    if os.environ.get("GREENTUNE_TORCH", "auto") == "off":
        return ["-DGREENTUNE_WITH_TORCH=OFF"], "without libtorch (GREENTUNE_TORCH=off)"
    probe = ("import os, torch, torch.utils\n"
             "p = torch.utils.cmake_prefix_path\n"
             "print(torch.__version__)\n"
             "print(p if os.path.exists(os.path.join(p, 'Torch', 'TorchConfig.cmake')) else '')\n")
    r = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=_outside_env())
    if r.returncode != 0:
        return ["-DGREENTUNE_WITH_TORCH=OFF"], f"without libtorch ({sys.executable} has no torch): no training"
    version, prefix = (r.stdout.splitlines() + ["", ""])[:2]
    if prefix:
        return (["-DGREENTUNE_WITH_TORCH=ON", f"-DGREENTUNE_TORCH_FROM_PYTHON={sys.executable}"],
                f"against torch {version} of {sys.executable}")
    return (["-DGREENTUNE_WITH_TORCH=ON"],
            f"against the system's libtorch if found (torch {version} of {sys.executable} has no CMake files)")


def _build():
    """Builds greentune._core and the greentune command; returns (the folder holding the
    assembled package, the command's path)."""
    build = os.environ.get("GREENTUNE_PYTHON_BUILD_DIR")
    env = _outside_env()
    if not build:
        torch_args, torch_line = _torch()
        key = hashlib.sha256((sys.prefix + "\0" + " ".join(torch_args)).encode()).hexdigest()[:10]
        build = os.path.join(tempfile.gettempdir(), f"greentune-pip-build-{os.getuid()}-{_tag()}-{key}")
        print(f"greentune_build: the greentune command is built {torch_line}", file=sys.stderr, flush=True)
        _run(["cmake", "-S", ROOT, "-B", build, "-DCMAKE_BUILD_TYPE=Release", "-DGREENTUNE_BUILD_TESTS=OFF",
              "-DGREENTUNE_PYTHON=ON", f"-DPython_EXECUTABLE={sys.executable}"] + torch_args, env)
    jobs = os.environ.get("CMAKE_BUILD_PARALLEL_LEVEL", "2")
    _run(["cmake", "--build", build, "--target", "greentune_python", "greentune", "-j", jobs], env)
    package = os.path.join(build, "python", NAME)
    suffix = sysconfig.get_config_var("EXT_SUFFIX")
    if not os.path.exists(os.path.join(package, "_core" + suffix)):
        raise RuntimeError(f"greentune_build: {package} has no _core{suffix}: the build directory was configured "
                           f"for another Python than {sys.executable}")
    command = os.path.join(build, "greentune")
    if not os.path.exists(command):
        raise RuntimeError(f"greentune_build: {build} has no greentune command after the build")
    return package, command


def _record_line(arcname, data):
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{arcname},sha256={digest},{len(data)}"


def get_requires_for_build_wheel(config_settings=None):
    return []


def prepare_metadata_for_build_wheel(metadata_directory, config_settings=None):
    info = os.path.join(metadata_directory, f"{NAME}-{VERSION}.dist-info")
    os.makedirs(info, exist_ok=True)
    with open(os.path.join(info, "METADATA"), "w") as f:
        f.write(_metadata())
    with open(os.path.join(info, "WHEEL"), "w") as f:
        f.write(_wheel_text())
    return os.path.basename(info)


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    package, command = _build()
    suffix = sysconfig.get_config_var("EXT_SUFFIX")
    files = []  # (name in the wheel, bytes, unix mode)
    for folder, dirs, names in os.walk(package):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        for name in sorted(names):
            if name.endswith(".py") or name == "_core" + suffix:
                path = os.path.join(folder, name)
                with open(path, "rb") as f:
                    files.append((f"{NAME}/{os.path.relpath(path, package)}", f.read(), 0o644))
    info = f"{NAME}-{VERSION}.dist-info"
    with open(command, "rb") as f:  # the command: into the environment's bin/
        files.append((f"{NAME}-{VERSION}.data/scripts/greentune", f.read(), 0o755))
    files.append((f"{info}/METADATA", _metadata().encode(), 0o644))
    files.append((f"{info}/WHEEL", _wheel_text().encode(), 0o644))
    record = [_record_line(a, d) for a, d, _ in files] + [f"{info}/RECORD,,"]
    wheel_name = f"{NAME}-{VERSION}-{_tag()}.whl"
    path = os.path.join(wheel_directory, wheel_name)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as z:
        for arcname, data, mode in files:
            entry = zipfile.ZipInfo(arcname, date_time=(2026, 1, 1, 0, 0, 0))
            entry.external_attr = (0o100000 | mode) << 16
            entry.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(entry, data)
        z.writestr(f"{info}/RECORD", "\n".join(record) + "\n")
    return wheel_name


def build_sdist(sdist_directory, config_settings=None):
    """The git-tracked source tree as a tar.gz (needs git)."""
    base = f"{NAME}-{VERSION}"
    out = os.path.join(sdist_directory, base + ".tar.gz")
    listing = subprocess.run(["git", "-C", ROOT, "ls-files", "-z"], check=True, capture_output=True).stdout
    import tarfile
    with tarfile.open(out, "w:gz") as tar:
        for rel in listing.decode().split("\0"):
            if rel and os.path.isfile(os.path.join(ROOT, rel)):
                tar.add(os.path.join(ROOT, rel), arcname=f"{base}/{rel}")
        info = tarfile.TarInfo(f"{base}/PKG-INFO")
        data = _metadata().encode()
        info.size = len(data)
        import io
        tar.addfile(info, io.BytesIO(data))
    return os.path.basename(out)


if __name__ == "__main__":  # python3 python/build_backend/greentune_build.py DIR: build a wheel into DIR
    target = sys.argv[1] if len(sys.argv) > 1 else "."
    os.makedirs(target, exist_ok=True)
    print(os.path.join(target, build_wheel(target)))
    shutil.rmtree(os.path.join(target, "__pycache__"), ignore_errors=True)

"""An in-tree PEP 517 build backend for the greentune Python module: `pip install .` from the
source tree builds it with CMake (the project's own build) and needs no download at all
(`requires = []` in pyproject.toml, so pip's isolated build environment stays empty).

Environment:
  GREENTUNE_PYTHON_BUILD_DIR  reuse this CMake build directory (configured with the same
                              interpreter) instead of configuring a fresh one
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
SUMMARY = "greentune for Python: energy meter windows, per-epoch study reports, runs as DataFrames"


def _metadata():
    return (f"Metadata-Version: 2.1\nName: {NAME}\nVersion: {VERSION}\nSummary: {SUMMARY}\n"
            "Requires-Python: >=3.8\nRequires-Dist: numpy\nRequires-Dist: pandas\n")


def _tag():
    impl = f"cp{sys.version_info[0]}{sys.version_info[1]}"
    plat = sysconfig.get_platform().replace("-", "_").replace(".", "_")
    return f"{impl}-{impl}-{plat}"


def _wheel_text():
    return f"Wheel-Version: 1.0\nGenerator: greentune_build\nRoot-Is-Purelib: false\nTag: {_tag()}\n"


def _run(cmd):
    print("greentune_build: " + " ".join(cmd), file=sys.stderr, flush=True)
    subprocess.run(cmd, check=True)


def _build_module():
    """Builds greentune._core; returns the folder holding the assembled package."""
    build = os.environ.get("GREENTUNE_PYTHON_BUILD_DIR")
    if not build:
        build = os.path.join(tempfile.gettempdir(), f"greentune-pip-build-{os.getuid()}-{_tag()}")
        _run(["cmake", "-S", ROOT, "-B", build, "-DCMAKE_BUILD_TYPE=Release", "-DGREENTUNE_WITH_TORCH=OFF",
              "-DGREENTUNE_BUILD_TESTS=OFF", "-DGREENTUNE_PYTHON=ON", f"-DPython_EXECUTABLE={sys.executable}"])
    jobs = os.environ.get("CMAKE_BUILD_PARALLEL_LEVEL", "2")
    _run(["cmake", "--build", build, "--target", "greentune_python", "-j", jobs])
    package = os.path.join(build, "python", NAME)
    suffix = sysconfig.get_config_var("EXT_SUFFIX")
    if not os.path.exists(os.path.join(package, "_core" + suffix)):
        raise RuntimeError(f"greentune_build: {package} has no _core{suffix}: the build directory was configured "
                           f"for another Python than {sys.executable}")
    return package


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
    package = _build_module()
    suffix = sysconfig.get_config_var("EXT_SUFFIX")
    files = []
    for name in sorted(os.listdir(package)):
        if name.endswith(".py") or name == "_core" + suffix:
            with open(os.path.join(package, name), "rb") as f:
                files.append((f"{NAME}/{name}", f.read()))
    info = f"{NAME}-{VERSION}.dist-info"
    files.append((f"{info}/METADATA", _metadata().encode()))
    files.append((f"{info}/WHEEL", _wheel_text().encode()))
    record = [_record_line(a, d) for a, d in files] + [f"{info}/RECORD,,"]
    wheel_name = f"{NAME}-{VERSION}-{_tag()}.whl"
    path = os.path.join(wheel_directory, wheel_name)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as z:
        for arcname, data in files:
            z.writestr(arcname, data)
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

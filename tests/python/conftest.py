"""Shared fixtures for the Python module's tests (run by ctest with PYTHONPATH=BUILD/python,
GREENTUNE_BIN and GREENTUNE_FAKE_NVML set; see tests/CMakeLists.txt)."""

import os
import shutil
import sqlite3
import subprocess
import sys
import textwrap

import pytest

import greentune

SOURCE_DIR = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def greentune_bin():
    b = os.environ.get("GREENTUNE_BIN") or shutil.which("greentune")
    if not b:
        pytest.skip("GREENTUNE_BIN is not set and greentune is not on PATH")
    return b


@pytest.fixture
def gt_bin():
    return greentune_bin()


def fake_nvml_path():
    p = os.environ.get("GREENTUNE_FAKE_NVML")
    if not p or not os.path.exists(p):
        pytest.skip("GREENTUNE_FAKE_NVML (the fake NVML library built with the energy tests) is not set")
    return p


def _counter_text(uj):
    # fixed width, rewritten in place: the meter keeps the file open and re-reads it
    v = str(int(uj))
    return " " * (20 - len(v)) + v + "\n"


class FakePowercap:
    """A powercap tree like /sys/class/powercap with one package zone and its DRAM zone."""

    RANGE = 262143328850  # a typical Intel max_energy_range_uj

    def __init__(self, root):
        self.root = str(root)
        self.uj = {"intel-rapl:0": 1_000_000, "intel-rapl:0/intel-rapl:0:0": 2_000_000}
        names = {"intel-rapl:0": "package-0", "intel-rapl:0/intel-rapl:0:0": "dram"}
        for rel, name in names.items():
            d = os.path.join(self.root, rel)
            os.makedirs(d, exist_ok=True)
            with open(os.path.join(d, "name"), "w") as f:
                f.write(name + "\n")
            with open(os.path.join(d, "max_energy_range_uj"), "w") as f:
                f.write(f"{self.RANGE}\n")
            with open(os.path.join(d, "energy_uj"), "w") as f:
                f.write(_counter_text(self.uj[rel]))
        os.makedirs(os.path.join(self.root, "intel-rapl"), exist_ok=True)
        with open(os.path.join(self.root, "intel-rapl", "enabled"), "w") as f:
            f.write("1\n")

    def add(self, package_j=0.0, dram_j=0.0):
        for rel, j in (("intel-rapl:0", package_j), ("intel-rapl:0/intel-rapl:0:0", dram_j)):
            self.uj[rel] = (self.uj[rel] + round(j * 1e6)) % self.RANGE
            fd = os.open(os.path.join(self.root, rel, "energy_uj"), os.O_WRONLY)
            try:
                os.pwrite(fd, _counter_text(self.uj[rel]).encode(), 0)
            finally:
                os.close(fd)


@pytest.fixture
def powercap(tmp_path):
    return FakePowercap(tmp_path / "powercap")


def write_study(directory, text):
    path = os.path.join(str(directory), "study.toml")
    with open(path, "w") as f:
        f.write(textwrap.dedent(text))
    return path


def run_cli(args, **kw):
    """Runs the greentune CLI; returns CompletedProcess (text)."""
    return subprocess.run([greentune_bin()] + list(args), capture_output=True, text=True, timeout=600, **kw)


def child_env():
    """Environment for children that import greentune (study runs)."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.path.dirname(os.path.dirname(os.path.abspath(greentune.__file__))) + (
        os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env.setdefault("OMP_NUM_THREADS", "1")
    return env


# A tiny external model: each epoch is a metered window, reported with greentune.report.
EPOCH_SCRIPT = '''
import sys, time
import greentune
lr, epochs = float(sys.argv[1]), int(sys.argv[2])
meter = greentune.Meter(meter="estimate", sample_interval=0.01)
loss = 1.0
for epoch in range(1, epochs + 1):
    with meter.window(f"epoch {epoch}") as w:
        s = 0
        for i in range(20000 * epoch):
            s += i * lr
        time.sleep(0.02)
    loss = loss * (1 - min(lr, 0.9))
    acc = 1 - loss / 2
    greentune.report(metric=acc, epoch=epoch, train_loss=loss, window=w)
print("done", flush=True)
'''


@pytest.fixture(scope="session")
def epoch_study(tmp_path_factory):
    """One real `greentune study` of the tiny external model above (10 runs, estimated
    energy); returns (study directory, database path)."""
    greentune_bin()
    d = tmp_path_factory.mktemp("epoch-study")
    with open(d / "model.py", "w") as f:
        f.write(EPOCH_SCRIPT)
    write_study(d, f'''
        name = "python-epochs"
        seed = 3
        mutants = 2
        repetitions = 2
        order = "grouped"
        meter = "estimate"
        cooldown = 0

        [[models]]
        name = "tiny"
        command = "{sys.executable} model.py {{lr}} {{epochs}}"
        working_dir = "."
        result = "json-lines"
        metric_key = "metric"
        metric = "accuracy"
        higher_is_better = true
        operators = ["lr", {{hyperparameter = "epochs", values = [2, 4]}}]
        [models.hyperparameters]
        lr = 0.1
        epochs = 3
        ''')
    out = d / "out"
    r = run_cli(["study", str(d / "study.toml"), "-o", str(out), "--progress", "log"], env=child_env())
    assert r.returncode == 0, r.stderr
    db = out / "study.db"
    assert db.exists()
    return out, str(db)


def db_rows(db, sql, *args):
    con = sqlite3.connect(db)
    try:
        return con.execute(sql, args).fetchall()
    finally:
        con.close()


# A model whose every run differs from every other in every measured figure: each epoch's
# metric carries the run's own random offset (so repetitions of one configuration differ too).
DISTINCT_SCRIPT = '''
import random, sys, time
import greentune
lr, gamma, epochs = float(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3])
offset = random.SystemRandom().random() * 1e-3
meter = greentune.Meter(meter="estimate", sample_interval=0.01)
loss = 1.0
for epoch in range(1, epochs + 1):
    with meter.window(f"epoch {epoch}") as w:
        s = 0
        for i in range(int(30000 * (1 + offset * 100))):
            s += i * lr
        time.sleep(0.01 + offset * 10)
    loss = loss * gamma * (1 - min(lr, 0.9))
    greentune.report(metric=1 - loss / 2 + offset, epoch=epoch, train_loss=loss + offset, window=w)
'''


@pytest.fixture(scope="session")
def distinct_study(tmp_path_factory):
    """A `greentune study` of 5 runs (the original, two lr mutants, a gamma and an epochs
    mutant) whose energies, durations and metrics all differ, and whose every
    hyperparameter column holds more than one value; returns the database path."""
    greentune_bin()
    d = tmp_path_factory.mktemp("distinct-study")
    with open(d / "model.py", "w") as f:
        f.write(DISTINCT_SCRIPT)
    write_study(d, f'''
        name = "python-distinct"
        seed = 11
        mutants = 2
        repetitions = 1
        meter = "estimate"
        cooldown = 0

        [[models]]
        name = "distinct"
        command = "{sys.executable} model.py {{lr}} {{gamma}} {{epochs}}"
        working_dir = "."
        result = "json-lines"
        metric_key = "metric"
        metric = "accuracy"
        higher_is_better = true
        operators = ["lr", {{hyperparameter = "gamma", values = [0.5]}}, {{hyperparameter = "epochs", values = [3]}}]
        [models.hyperparameters]
        lr = 0.1
        gamma = 0.9
        epochs = 2
        ''')
    out = d / "out"
    r = run_cli(["study", str(d / "study.toml"), "-o", str(out), "--progress", "log"], env=child_env())
    assert r.returncode == 0, r.stderr
    return str(out / "study.db")

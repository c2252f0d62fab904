"""examples/mnist: the PyTorch MNIST script studied as an external model by `greentune study`."""

import json
import os
import subprocess

import pytest

import greentune
from conftest import SOURCE_DIR, child_env, run_cli


def test_the_mnist_example_runs_as_a_study(tmp_path):
    if subprocess.run(["/usr/bin/python3", "-c", "import torch"], capture_output=True).returncode != 0:
        pytest.skip("/usr/bin/python3 has no torch (Debian: apt-get install python3-torch)")
    out = tmp_path / "mnist-study"
    r = run_cli(["study", os.path.join(SOURCE_DIR, "examples", "mnist", "study.toml"), "-o", str(out),
                 "--progress", "log"], env=child_env())
    assert r.returncode == 0, r.stderr[-3000:]
    runs = greentune.load_runs(out / "study.db")
    assert len(runs) == 4 and (runs["status"] == "succeeded").all(), runs[["status", "status_reason"]]
    assert sorted(runs["operator"]) == ["epochs", "gamma", "lr", "original"]
    reports = greentune.load_reports(out / "study.db")
    assert len(reports) == int(runs["hp.epochs"].sum())  # one entry per epoch of every run
    for run_id, entries in reports.groupby("run_id"):
        run = runs[runs["run_id"] == run_id].iloc[0]
        assert entries["epoch"].tolist() == list(range(1, int(run["hp.epochs"]) + 1))
        assert entries["metric"].iloc[-1] == run["performance"]  # the last report is the run's metric
        assert entries["metric"].between(0, 1).all() and (entries["train_loss"] > 0).all()
        assert (entries["window_s"] > 0).all() and entries["cpu_package_j"].notna().all()
    # the script's epoch windows lie inside the run's own meter window
    per_run = reports.groupby("run_id")["cpu_package_j"].sum()
    whole = runs.set_index("run_id")["cpu_package_j"]
    assert (per_run <= whole.loc[per_run.index] * 1.05).all()
    log = (out / "logs" / f"run-{int(runs['run_id'].iloc[0])}.out").read_text()
    first = [json.loads(line) for line in log.splitlines() if line.startswith('{"greentune":"report"')][0]
    assert first["epoch"] == 1 and first["window"]["name"] == "epoch 1"

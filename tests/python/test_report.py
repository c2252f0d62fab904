"""greentune.report: the protocol lines, the no-op outside a study, bad arguments, and the
protocol end to end through a real `greentune study` (per-epoch entries in the database)."""

import json
import math
import subprocess
import sys

import numpy as np
import pytest

import greentune
from conftest import child_env, db_rows


@pytest.fixture
def in_study(monkeypatch):
    monkeypatch.setenv("GREENTUNE_RUN_ID", "7")


def last_line(capfd):
    out = capfd.readouterr().out.strip().splitlines()
    return json.loads(out[-1])


def test_outside_a_study_report_is_a_noop_with_one_notice(monkeypatch):
    monkeypatch.delenv("GREENTUNE_RUN_ID", raising=False)
    code = ("import greentune\n"
            "assert greentune.report(metric=0.5, epoch=1) is None\n"
            "assert greentune.report(metric=0.6, epoch=2) is None\n"
            "print('ok')\n")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=child_env(), timeout=60)
    assert r.returncode == 0, r.stderr
    assert r.stdout == "ok\n"  # nothing written to the protocol
    assert r.stderr.count("greentune.report: not running inside `greentune study`") == 1


def test_report_writes_one_json_line(in_study, capfd, powercap):
    with greentune.Meter("rapl", 0.01, powercap_root=powercap.root, sample_at_edges=True) as m:
        with m.window("epoch 3") as w:
            powercap.add(package_j=2.5, dram_j=0.5)
    print("user output without a newline", end="")
    entry = greentune.report(metric=np.float32(0.75), epoch=np.int64(3), train_loss=0.2, lr=1e-3,
                             optimizer="adadelta", window=w)
    line = last_line(capfd)
    assert line == entry
    assert line["greentune"] == "report" and line["run_id"] == "7"
    assert line["metric"] == 0.75 and line["epoch"] == 3 and line["train_loss"] == 0.2
    assert line["optimizer"] == "adadelta"
    assert line["window"]["name"] == "epoch 3"
    assert line["window"]["energy"]["cpu_package"] == {"joules": pytest.approx(2.5), "source": "rapl",
                                                       "estimated": False}
    assert line["window"]["energy"]["gpu"]["joules"] is None
    assert line["window"]["seconds"] == pytest.approx(w.seconds)


def test_non_finite_values_are_strings_and_status_passes_through(in_study, capfd):
    greentune.report(metric=float("nan"), epoch=2, train_loss=float("inf"))
    line = last_line(capfd)
    assert line["metric"] == "nan" and line["train_loss"] == "inf"
    greentune.report(status="diverged", reason="loss is nan", epoch=3)
    line = last_line(capfd)
    assert line["status"] == "diverged" and line["reason"] == "loss is nan"


def test_bad_arguments_raise_clear_errors(in_study, powercap):
    with pytest.raises(TypeError, match="metric must be a number"):
        greentune.report(metric="high")
    with pytest.raises(TypeError, match="metric must be a number"):
        greentune.report(metric=True)
    with pytest.raises(ValueError, match="epoch must be a non-negative integer"):
        greentune.report(metric=0.5, epoch=-1)
    with pytest.raises(ValueError, match="epoch must be a non-negative integer"):
        greentune.report(metric=0.5, epoch=1.5)
    with pytest.raises(ValueError, match="reserved"):
        greentune.report(metric=0.5, greentune="x")
    with pytest.raises(ValueError, match="status"):
        greentune.report(status="great")
    with pytest.raises(ValueError, match="nothing to report"):
        greentune.report()
    with pytest.raises(TypeError, match="train_loss must be a number"):
        greentune.report(metric=0.5, train_loss=[0.1, 0.2])
    with pytest.raises(ValueError, match="single number"):
        greentune.report(metric=np.array([0.1, 0.2]))
    with greentune.Meter("rapl", 0.01, powercap_root=powercap.root) as m:
        w = m.window("open").open()
        with pytest.raises(ValueError, match="still open"):
            greentune.report(metric=0.5, window=w)
        with pytest.raises(TypeError, match="window must be a greentune Window"):
            greentune.report(metric=0.5, window={"energy": 1})


def test_study_stores_every_epoch_and_the_last_metric(epoch_study):
    out, db = epoch_study
    runs = db_rows(db, "SELECT id, status, performance FROM runs ORDER BY id")
    assert len(runs) == 10
    assert all(status == "succeeded" for _, status, _ in runs), runs
    details = dict(((rid, k), v) for rid, k, v in db_rows(db, "SELECT run_id, key, value FROM run_details"))
    hps = {}
    for rid, name, value in db_rows(db, "SELECT r.id, h.name, h.value FROM runs r JOIN configuration_values h "
                                        "ON h.configuration_id = r.configuration_id"):
        hps.setdefault(rid, {})[name] = value
    for rid, _, performance in runs:
        entries = json.loads(details[(rid, "reports")])
        epochs = int(hps[rid]["epochs"])
        assert [e["epoch"] for e in entries] == list(range(1, epochs + 1))
        # the run's performance is the last report's metric, bit for bit
        assert performance == entries[-1]["metric"]
        lr, loss = hps[rid]["lr"], 1.0
        for e in entries:
            loss *= 1 - min(lr, 0.9)
            assert e["train_loss"] == loss and e["metric"] == 1 - loss / 2
            assert e["run_id"] == str(rid)
            win = e["window"]
            assert win["name"] == f"epoch {e['epoch']}" and win["seconds"] > 0.02
            pkg = win["energy"]["cpu_package"]
            assert pkg["source"] == "estimated" and pkg["estimated"] is True and pkg["joules"] > 0
            assert win["energy"]["gpu"]["joules"] is None


def test_load_reports_gives_one_row_per_epoch(epoch_study):
    out, db = epoch_study
    frame = greentune.load_reports(db)
    runs = greentune.load_runs(db)
    assert len(frame) == int(runs["hp.epochs"].sum())
    assert list(frame.columns[:3]) == ["run_id", "model", "scenario"]
    for col in ("epoch", "metric", "train_loss", "window_s", "cpu_package_j", "cpu_package_source",
                "cpu_package_estimated", "dram_j", "gpu_j"):
        assert col in frame.columns, col
    assert frame["cpu_package_estimated"].all() and frame["gpu_j"].isna().all()
    last = frame.sort_values(["run_id", "epoch"]).groupby("run_id").tail(1).set_index("run_id")["metric"]
    perf = runs.set_index("run_id")["performance"]
    assert (last.sort_index() == perf.sort_index()).all()
    assert not math.isnan(frame["cpu_package_j"].sum())

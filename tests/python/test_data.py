"""greentune.load_runs and greentune.analyze against `greentune export` and
`greentune analyze --json` on a real study database."""

import io
import json
import math

import numpy as np
import pandas as pd
import pytest

import greentune
from conftest import run_cli


@pytest.fixture(scope="module")
def exported(epoch_study, tmp_path_factory):
    out, db = epoch_study
    r = run_cli(["export", db, "--format", "csv"])
    assert r.returncode == 0, r.stderr
    path = tmp_path_factory.mktemp("export") / "runs.csv"
    path.write_text(r.stdout)
    return db, str(path), r.stdout


def test_load_runs_equals_the_export_cell_by_cell(exported):
    db, csv_path, text = exported
    frame = greentune.load_runs(db)
    raw = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    assert list(frame.columns) == list(raw.columns)
    assert len(frame) == len(raw) == 10
    for col in raw.columns:
        for i, cell in enumerate(raw[col]):
            v = frame[col].iloc[i]
            if cell == "" and frame[col].dtype != object:
                assert v is None or v is pd.NA or v is pd.NaT or (isinstance(v, float) and math.isnan(v)), (col, i, v)
            elif frame[col].dtype == np.float64:
                assert v == float(cell) and repr(float(v)) == repr(float(cell)), (col, i, v, cell)  # exact
            elif frame[col].dtype == bool:
                assert bool(v) == (cell == "1"), (col, i)
            elif str(frame[col].dtype) in ("int64", "Int64"):
                assert int(v) == int(cell), (col, i)
            elif str(frame[col].dtype).startswith("datetime64"):
                assert v == pd.Timestamp(cell), (col, i)
            else:  # text: verbatim; an empty extra cell is None
                assert v == cell or (cell == "" and v is None and col not in ("model", "corunner")), (col, i, v)


def test_columns_are_typed(exported):
    db, _, _ = exported
    f = greentune.load_runs(db)
    assert f["repetition"].dtype == np.int64 and f["run_id"].dtype == np.int64
    assert f["hp.lr"].dtype == np.float64 and f["hp.epochs"].dtype == np.float64
    assert f["cpu_package_j"].dtype == np.float64 and f["performance"].dtype == np.float64
    assert f["higher_is_better"].dtype == bool and f["higher_is_better"].all()
    # UTC datetimes, at pandas' default resolution (ns before pandas 3, us from pandas 3)
    assert str(f["started_at"].dtype) in ("datetime64[ns, UTC]", "datetime64[us, UTC]")
    assert f["model"].tolist() == ["tiny"] * 10 and f["cpu_package_source"].eq("estimated").all()
    assert f["gpu_j"].isna().all()  # not measured: NaN, never 0
    assert f.attrs["greentune_source"]["kind"] == "database"


def test_load_runs_of_the_exported_csv_is_the_same_frame(exported):
    db, csv_path, _ = exported
    a, b = greentune.load_runs(db), greentune.load_runs(csv_path)
    assert b.attrs["greentune_source"]["kind"] == "csv"
    pd.testing.assert_frame_equal(a, b, check_exact=True)


def cli_analyze(args):
    r = run_cli(["analyze"] + args + ["--json"])
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def test_analyze_is_the_cli_document(exported):
    db, csv_path, _ = exported
    assert greentune.analyze(db) == cli_analyze([db])
    assert greentune.analyze(csv_path) == cli_analyze(["--runs", csv_path])
    opts = dict(test="welch", alpha=0.1, include_estimated=True, bootstrap=200, seed=5)
    doc = greentune.analyze(db, **opts)
    assert doc == cli_analyze([db, "--test", "welch", "--alpha", "0.1", "--include-estimated", "--bootstrap", "200",
                               "--seed", "5"])
    assert doc["correlations"] and doc["options"]["include_estimated"] is True


def test_analyze_of_a_frame_is_the_analyze_of_its_csv(exported):
    db, csv_path, _ = exported
    frame = greentune.load_runs(db)
    expected = cli_analyze(["--runs", csv_path, "--include-estimated"])
    assert greentune.analyze(frame, include_estimated=True) == expected
    # a filtered frame is analysed as such
    sub = frame[frame["operator"] != "epochs"]
    doc = greentune.analyze(sub, include_estimated=True)
    assert doc["input"]["runs"] == len(sub)


def test_bad_arguments_raise_clear_errors(exported, tmp_path):
    db, csv_path, _ = exported
    with pytest.raises(FileNotFoundError, match="nope.db"):
        greentune.load_runs(tmp_path / "nope.db")
    with pytest.raises(TypeError, match="path"):
        greentune.load_runs(42)
    bad = tmp_path / "bad.csv"
    bad.write_text("model,scenario,corunner,operator,repetition,cpu_package_j,dram_j,gpu_j,duration_s,performance\n"
                   "m,single,,original,1,abc,,,1,0.5\n")
    with pytest.raises(ValueError, match=r"bad\.csv:2.*cpu_package_j"):
        greentune.load_runs(bad)
    with pytest.raises(ValueError, match="test must be one of"):
        greentune.analyze(db, test="anova")
    with pytest.raises(ValueError, match="alpha"):
        greentune.analyze(db, alpha=1.5)
    with pytest.raises(ValueError, match="bootstrap"):
        greentune.analyze(db, bootstrap=-1)
    with pytest.raises(ValueError, match="lacks the runs columns"):
        greentune.analyze(pd.DataFrame({"model": ["x"]}))
    with pytest.raises(ValueError, match="--node elsewhere"):
        greentune.analyze(db, nodes=["elsewhere"])


def _same(v, cell):
    """A frame value against an exported CSV cell (text), exactly."""
    if isinstance(v, str):
        return v == cell
    if cell == "":
        return v is None or v is pd.NA or v is pd.NaT or (isinstance(v, float) and math.isnan(v))
    if isinstance(v, (bool, np.bool_)):
        return bool(v) == (cell == "1")
    if isinstance(v, (int, np.integer)):
        return int(v) == int(cell)
    if isinstance(v, (float, np.floating)):
        return repr(float(v)) == repr(float(cell))
    if isinstance(v, pd.Timestamp):
        return v == pd.Timestamp(cell)
    return v == cell


def test_every_cell_of_distinct_runs_and_reports_is_the_export(distinct_study):
    """Runs whose figures all differ (issue 22: numpy 2 under pybind11's numpy API gave the
    first row's values in every row): load_runs and load_reports against the export."""
    db = distinct_study
    r = run_cli(["export", db, "--format", "csv"])
    assert r.returncode == 0, r.stderr
    raw = pd.read_csv(io.StringIO(r.stdout), dtype=str, keep_default_na=False)
    assert len(raw) == 5
    # the study is as promised: every measured figure differs between every two runs, and
    # every hyperparameter column, run_id and operator hold more than one value
    for col in ("cpu_package_j", "dram_j", "duration_s", "performance"):
        assert raw[col].nunique() == 5 and (raw[col] != "").all(), col
    for col in ("hp.lr", "hp.gamma", "hp.epochs", "run_id", "operator"):
        assert raw[col].nunique() > 1, col
    frame = greentune.load_runs(db)
    assert list(frame.columns) == list(raw.columns) and len(frame) == 5
    for col in raw.columns:
        for i, cell in enumerate(raw[col]):
            assert _same(frame[col].iloc[i], cell), (col, i, frame[col].iloc[i], cell)
    # the frame's own arrays, not only their elements as pandas hands them out
    assert frame["cpu_package_j"].to_numpy().tolist() == [float(c) for c in raw["cpu_package_j"]]
    assert frame["hp.lr"].to_numpy().tolist() == [float(c) for c in raw["hp.lr"]]

    reports = greentune.load_reports(db)
    expected = []
    for _, run in raw.iterrows():
        for i, entry in enumerate(json.loads(run["reports"])):
            expected.append((run, i, entry))
    assert len(reports) == len(expected) == sum(int(float(e)) for e in raw["hp.epochs"])
    metrics = set()
    for k, (run, i, entry) in enumerate(expected):
        row = reports.iloc[k]
        assert int(row["run_id"]) == int(run["run_id"]) and int(row["entry"]) == i
        for col in ["model", "scenario", "operator", "repetition", "status"] + \
                [c for c in raw.columns if c.startswith("hp.")]:
            assert _same(row[col], run[col]), (k, col, row[col], run[col])
        assert int(row["epoch"]) == entry["epoch"]
        assert repr(float(row["metric"])) == repr(float(entry["metric"])), (k, row["metric"], entry["metric"])
        assert repr(float(row["train_loss"])) == repr(float(entry["train_loss"]))
        window = entry["window"]
        assert row["window"] == window["name"] and repr(float(row["window_s"])) == repr(float(window["seconds"]))
        for d, e in window["energy"].items():
            if e.get("joules") is None:
                assert _same(row[f"{d}_j"], ""), (k, d, row[f"{d}_j"])  # None or NaN: not measured
            else:
                assert repr(float(row[f"{d}_j"])) == repr(float(e["joules"])), (k, d)
            assert row[f"{d}_source"] == e["source"] and bool(row[f"{d}_estimated"]) == bool(e["estimated"])
        metrics.add(float(row["metric"]))
    assert len(metrics) == len(expected)  # every entry's metric differs from every other

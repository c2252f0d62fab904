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
    assert str(f["started_at"].dtype).startswith("datetime64[ns, UTC]")
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

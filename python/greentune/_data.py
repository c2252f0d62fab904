"""Runs as pandas DataFrames and the analysis as a dict (see docs/python.md)."""

import csv
import io
import json
import math
import numbers
import os
import re
import warnings
from typing import List, Optional

import numpy

from . import _core

__all__ = ["load_runs", "load_reports", "analyze"]

_FIXED_TEXT = ["model", "scenario", "corunner", "operator", "performance_metric", "status", "node"]
_FIXED_FLOAT = ["cpu_package_j", "dram_j", "gpu_j", "duration_s", "performance"]
_INT_EXTRAS = {"run_id", "task_id", "job", "attempts", "exit_code", "corunner_starts", "corunner_completed",
               "corunner_failed", "symmetric_jobs", "cpu_threads"}
_FLOAT_SUFFIXES = ("_j", "_s", "_w", "_fraction", "_share")
_TIME_EXTRAS = {"started_at", "finished_at"}
_INT_RE = re.compile(r"[+-]?[0-9]+\Z")
_FLOAT_RE = re.compile(r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?\Z|[+-]?(inf|nan)\Z", re.IGNORECASE)


def _pandas():
    try:
        import pandas
    except ImportError as e:  # pragma: no cover - pandas is a dependency
        raise ImportError("greentune.load_runs needs pandas (pip install pandas; Debian: apt-get install python3-pandas)") from e
    return pandas


def _check_path(path, what):
    if isinstance(path, os.PathLike):
        path = os.fspath(path)
    if not isinstance(path, str):
        raise TypeError(f"{what}: expected a path (str or os.PathLike), got {type(path).__name__}")
    if not os.path.exists(path):
        raise FileNotFoundError(f"{what}: {path}: no such file")
    return path


def _typed_extra(pd, name, values):
    present = [v for v in values if v is not None]
    if name in _TIME_EXTRAS and present:
        try:
            return pd.to_datetime(pd.Series(values, dtype=object), utc=True, format="%Y-%m-%dT%H:%M:%S.%fZ")
        except (ValueError, TypeError):
            return pd.Series(values, dtype=object)
    if present and all(_INT_RE.match(v) for v in present) and not name.endswith(_FLOAT_SUFFIXES):
        ints = [int(v) if v is not None else None for v in values]
        if all(-(1 << 63) <= i < (1 << 63) for i in ints if i is not None):
            return pd.Series(ints, dtype="int64" if len(present) == len(values) else "Int64")
    if present and all(_FLOAT_RE.match(v) for v in present) and name not in _INT_EXTRAS:
        return pd.Series([float(v) if v is not None else math.nan for v in values], dtype="float64")
    return pd.Series(values, dtype=object)


def load_runs(path) -> "pandas.DataFrame":
    """The runs of a study database (or of a runs CSV, the interchange format) as a DataFrame:
    the columns ``greentune export --format csv`` writes, in its order, with the same values.
    Numbers are float64 (NaN = not measured: never 0), repetition int64, higher_is_better
    bool, text columns str; extra columns are typed from their content (integers int64/Int64,
    numbers float64, started_at/finished_at UTC datetimes, the rest str or None)."""
    path = _check_path(path, "greentune.load_runs")
    pd = _pandas()
    kind, columns = _core.load_run_columns(path, False)
    data = {}
    for name, values in columns:
        if name in _FIXED_TEXT:
            data[name] = pd.Series(values, dtype=object)
        elif name == "repetition":
            data[name] = pd.Series(numpy.asarray(values), dtype="int64")
        elif name == "higher_is_better":
            data[name] = pd.Series(numpy.asarray(values), dtype="bool")
        elif name in _FIXED_FLOAT or name.startswith("hp."):
            # the numbers come as buffers (PEP 3118), never as arrays made in C++ with
            # numpy's C structures, which differ between numpy 1 and 2 (issue 22)
            data[name] = pd.Series(numpy.asarray(values), dtype="float64")
        else:
            data[name] = _typed_extra(pd, name, values)
    frame = pd.DataFrame(data)
    if kind == "csv":
        # the file's columns in its order, also those whose cells are all empty (the reader
        # keeps no value for an empty cell)
        with open(path, newline="") as f:
            header = next(csv.reader(f), [])
        if set(frame.columns) <= set(header):
            for name in header:
                if name not in frame.columns:
                    frame[name] = pd.Series([None] * len(frame), dtype=object)
            frame = frame[header]
    frame.attrs["greentune_source"] = {"path": path, "kind": kind}
    return frame


def load_reports(path_or_frame) -> "pandas.DataFrame":
    """The entries scripts wrote with ``greentune.report`` (one row per entry: per epoch,
    typically), with the run's model, scenario, operator, repetition, status and
    hyperparameters. Columns: run_id, entry (0, 1, ... within the run), the run's columns,
    then epoch, metric, the reported values, window_s and <domain>_j / <domain>_source /
    <domain>_estimated for the entry's window."""
    pd = _pandas()
    runs = path_or_frame if isinstance(path_or_frame, pd.DataFrame) else load_runs(path_or_frame)
    keep = ["run_id", "model", "scenario", "corunner", "operator", "repetition", "status"] + \
        [c for c in runs.columns if c.startswith("hp.")]
    rows = []
    if "reports" in runs.columns:
        for _, run in runs.iterrows():
            text = run["reports"]
            if text is None or (isinstance(text, float) and math.isnan(text)):
                continue
            try:
                entries = json.loads(text)
            except json.JSONDecodeError as e:
                raise ValueError(f"greentune.load_reports: run {run.get('run_id')}: reports is not JSON ({e})") from None
            for i, entry in enumerate(entries):
                row = {c: run[c] for c in keep if c in runs.columns}
                row["entry"] = i
                for k, v in entry.items():
                    if k in ("greentune", "run_id"):
                        continue
                    if k == "window" and isinstance(v, dict):
                        row["window"] = v.get("name")
                        row["window_s"] = v.get("seconds")
                        for d, e in (v.get("energy") or {}).items():
                            row[f"{d}_j"] = e.get("joules")
                            row[f"{d}_source"] = e.get("source")
                            row[f"{d}_estimated"] = e.get("estimated")
                        continue
                    if isinstance(v, str) and v in ("nan", "inf", "-inf") and k == "metric":
                        v = float(v)
                    row[k] = v
                rows.append(row)
    frame = pd.DataFrame(rows)
    if frame.empty:
        return pd.DataFrame(columns=keep + ["entry", "epoch", "metric"])
    front = [c for c in keep + ["entry", "epoch", "metric"] if c in frame.columns]
    return frame[front + [c for c in frame.columns if c not in front]]


def _cell(value):
    if value is None:
        return ""
    if isinstance(value, (bool, numpy.bool_)):
        return "1" if value else "0"
    if isinstance(value, numbers.Integral):
        return str(int(value))
    if isinstance(value, numbers.Real):
        v = float(value)
        return "" if math.isnan(v) else repr(v)
    if hasattr(value, "strftime"):  # pandas / datetime timestamps: the store's ISO form
        if getattr(value, "tzinfo", None) is not None:
            value = value.tz_convert("UTC") if hasattr(value, "tz_convert") else value
        return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"
    return str(value)


def frame_to_csv(frame) -> str:
    """A runs DataFrame (as load_runs gives) as interchange-format CSV text."""
    pd = _pandas()
    missing = [c for c in ("model", "scenario", "corunner", "operator", "repetition", "cpu_package_j", "dram_j",
                           "gpu_j", "duration_s", "performance") if c not in frame.columns]
    if missing:
        raise ValueError(f"greentune.analyze: the DataFrame lacks the runs columns {', '.join(missing)} "
                         "(use greentune.load_runs or the interchange format's columns)")
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow([str(c) for c in frame.columns])
    for row in frame.itertuples(index=False, name=None):
        w.writerow([_cell(None if (v is pd.NA or v is pd.NaT) else v) for v in row])
    return out.getvalue()


_TESTS = ("mann-whitney", "t-test", "welch")


def analyze(path_or_frame, test: str = "mann-whitney", *, alpha: float = 0.05, negligible: float = 0.147,
            weak: float = 0.3, strong: float = 0.6, bootstrap: int = 1000, confidence: float = 0.95,
            seed: int = 1, include_estimated: bool = False, nodes: Optional[List[str]] = None,
            threads: int = 0) -> dict:
    """The analysis of a study database, a runs CSV or a runs DataFrame: the same document
    ``greentune analyze --json`` prints (same options, same defaults)."""
    pd = _pandas()
    if test not in _TESTS:
        raise ValueError(f"greentune.analyze: test must be one of {', '.join(_TESTS)}, got {test!r}")
    for name, v in (("alpha", alpha), ("negligible", negligible), ("weak", weak), ("strong", strong),
                    ("confidence", confidence)):
        if isinstance(v, bool) or not isinstance(v, numbers.Real):
            raise TypeError(f"greentune.analyze: {name} must be a number, got {type(v).__name__}")
    for name, v in (("bootstrap", bootstrap), ("seed", seed), ("threads", threads)):
        if isinstance(v, bool) or not isinstance(v, numbers.Integral) or v < 0:
            raise ValueError(f"greentune.analyze: {name} must be a non-negative integer, got {v!r}")
    if nodes is None:
        nodes = []
    elif isinstance(nodes, str) or not all(isinstance(n, str) for n in nodes):
        raise TypeError("greentune.analyze: nodes must be a list of host names (str)")
    if isinstance(path_or_frame, pd.DataFrame):
        source, is_text, name = frame_to_csv(path_or_frame), True, "<DataFrame>"
    else:
        source = _check_path(path_or_frame, "greentune.analyze")
        is_text, name = False, source
    text, warn = _core.analyze_json(source, is_text, name, test, float(alpha), float(negligible), float(weak),
                                    float(strong), int(bootstrap), float(confidence), int(seed),
                                    bool(include_estimated), list(nodes), int(threads))
    for line in warn.splitlines():
        warnings.warn(line.replace("greentune: warning: ", ""), stacklevel=2)
    return json.loads(text)

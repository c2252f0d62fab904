"""``greentune.report``: results of a script that ``greentune study`` runs as an external model.

Protocol (read by the study runner): one JSON object on a line of its own on standard output,
``{"greentune": "report", "metric": 0.91, "epoch": 3, "train_loss": 0.2, "window": {...}}``.
With ``result = "json-lines"`` and ``metric_key = "metric"`` in the study file, the last
report's metric is the run's performance; every report line is kept in the run's details
(key ``reports``, a JSON array) in the study database. Non-finite numbers are written as
the strings "nan", "inf", "-inf" (JSON has no NaN): a non-finite metric makes the run
``diverged``, as does ``status="diverged"``.
"""

import json
import math
import numbers
import os
import sys
from typing import Optional

from ._meter import Window

__all__ = ["report", "in_study"]

_RESERVED = {"greentune", "metric", "epoch", "window", "status", "reason", "run_id"}
_notice_shown = False


def in_study() -> bool:
    """True when this process is a run of ``greentune study`` (GREENTUNE_RUN_ID is set)."""
    return bool(os.environ.get("GREENTUNE_RUN_ID"))


def _number(value, name):
    # numpy scalars, 0-d tensors and the like: anything with .item() giving a plain number
    if hasattr(value, "item") and not isinstance(value, (numbers.Number, str)):
        try:
            value = value.item()
        except (ValueError, RuntimeError) as e:
            raise ValueError(f"greentune.report: {name} must be a single number ({e})") from None
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"greentune.report: {name} must be a number, got {type(value).__name__}")
    value = float(value) if not isinstance(value, numbers.Integral) else int(value)
    if isinstance(value, float) and not math.isfinite(value):
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")
    return value


def _value(value, name):
    if value is None or isinstance(value, (str, bool)):
        return value
    return _number(value, name)


def report(metric=None, *, epoch: Optional[int] = None, window: Optional[Window] = None,
           status: Optional[str] = None, reason: Optional[str] = None, **values) -> Optional[dict]:
    """Report a result to the study that runs this script (call it after each epoch and/or at
    the end). metric: the model's performance (the last report's metric is the run's);
    epoch: a non-negative integer; window: a closed greentune Window whose energy and length
    are stored with the entry; status="diverged" (with a reason) marks the run diverged;
    other keyword values: numbers, strings, booleans or None (e.g. train_loss=0.2).

    Returns the entry written, or None outside a study, where the call does nothing and
    says so once on stderr."""
    entry = {"greentune": "report"}
    if metric is not None:
        entry["metric"] = _number(metric, "metric")
    if epoch is not None:
        if hasattr(epoch, "item") and not isinstance(epoch, numbers.Number):
            epoch = epoch.item()
        if isinstance(epoch, bool) or not isinstance(epoch, numbers.Integral) or epoch < 0:
            raise ValueError(f"greentune.report: epoch must be a non-negative integer, got {epoch!r}")
        entry["epoch"] = int(epoch)
    if status is not None:
        if status not in ("ok", "diverged"):
            raise ValueError(f"greentune.report: status must be 'ok' or 'diverged', got {status!r}")
        entry["status"] = status
    if reason is not None:
        if not isinstance(reason, str):
            raise TypeError("greentune.report: reason must be a str")
        entry["reason"] = reason
    for name, value in values.items():
        if name in _RESERVED:
            raise ValueError(f"greentune.report: '{name}' is reserved")
        entry[name] = _value(value, name)
    if window is not None:
        if not isinstance(window, Window):
            raise TypeError(f"greentune.report: window must be a greentune Window, got {type(window).__name__}")
        if window.end is None:
            raise ValueError(f"greentune.report: window {window.name!r} is still open (close it first)")
        entry["window"] = window.to_dict()
    if len(entry) == 1:
        raise ValueError("greentune.report: nothing to report (give a metric, an epoch, a window or values)")

    if not in_study():
        global _notice_shown
        if not _notice_shown:
            _notice_shown = True
            print("greentune.report: not running inside `greentune study` (GREENTUNE_RUN_ID is not set); "
                  "reports are not recorded", file=sys.stderr, flush=True)
        return None
    entry["run_id"] = os.environ["GREENTUNE_RUN_ID"]
    line = json.dumps(entry, allow_nan=False, separators=(",", ":"))
    # After the script's own buffered output, on a line of its own (the newline first ends a
    # line the script may have left open), to the real stdout (the runner reads the child's
    # stdout even when sys.stdout was replaced).
    try:
        sys.stdout.flush()
    except (AttributeError, ValueError, OSError):
        pass
    out = sys.__stdout__ if sys.__stdout__ is not None else sys.stdout
    out.write("\n" + line + "\n")
    out.flush()
    return entry

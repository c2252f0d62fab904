"""greentune for Python: energy meter windows, per-epoch reporting to ``greentune study``,
and study runs as pandas DataFrames (docs/python.md).

    import greentune
    meter = greentune.Meter()                  # auto: RAPL/perf, NVML, else an estimate
    with meter.window("epoch 1") as w:
        train_one_epoch()
    print(w.seconds, w.energy["cpu_package"].joules, w.energy["cpu_package"].estimated)
    greentune.report(metric=0.91, epoch=1, train_loss=0.2, window=w)   # inside a study
    runs = greentune.load_runs("study/study.db")                       # pandas DataFrame
    doc = greentune.analyze("study/study.db")                          # = greentune analyze --json
"""

from ._core import MeterError
from ._data import analyze, load_reports, load_runs
from ._meter import DomainEnergy, Meter, PowerSeries, Window, meters
from ._report import in_study, report

__version__ = "0.1.0"

__all__ = ["Meter", "Window", "DomainEnergy", "PowerSeries", "MeterError", "meters", "report", "in_study",
           "load_runs", "load_reports", "analyze", "__version__"]

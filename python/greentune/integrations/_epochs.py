"""What both callbacks share: a meter, one window per epoch (an evaluation's window nested
at its end), the epoch records and the reports to ``greentune study``."""

import math
import numbers
from typing import Callable, Dict, List, Optional, Union

from .._meter import Meter, Window
from .._report import in_study, report


def _torch_sync():
    """torch.cuda.synchronize when torch has a CUDA device (so queued GPU work lands in the
    right window), else None."""
    try:
        import torch
    except ImportError:
        return None
    return torch.cuda.synchronize if torch.cuda.is_available() else None


def scalar(value) -> Optional[float]:
    """A Python float from a number, a numpy scalar or a one-element tensor (None stays None)."""
    if value is None:
        return None
    if hasattr(value, "item") and not isinstance(value, numbers.Number):
        value = value.item()
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"expected a number, got {type(value).__name__}")
    return float(value)


class Epochs:
    """Windows and records of a training's epochs. ``history`` holds one dict per finished
    epoch: epoch, seconds, <domain>_j (None: not measured), eval_s and eval_<domain>_j when an
    evaluation ended the epoch, train_loss, and the named metric."""

    def __init__(self, owner: str, metric: Optional[str], meter: Union[str, Meter], sample_interval: float,
                 sync: Optional[Callable]):
        if metric is not None and not isinstance(metric, str):
            raise TypeError(f"{owner}: metric must be the name of an evaluation metric (str), "
                            f"got {type(metric).__name__}")
        if not isinstance(meter, (str, Meter)):
            raise TypeError(f"{owner}: meter must be a meter name such as 'auto' or a greentune.Meter, "
                            f"got {type(meter).__name__}")
        if sync is not None and not callable(sync):
            raise TypeError(f"{owner}: sync must be a callable or None")
        self.owner = owner
        self.metric = metric
        self._meter_arg = meter
        self._sample_interval = sample_interval
        self._sync = sync
        self._meter: Optional[Meter] = None
        if isinstance(meter, Meter):
            self._meter = meter
        else:  # checks the arguments now, starts the sampler at the first epoch
            Meter(meter, sample_interval).close()
        self.history: List[Dict] = []
        self.diverged = False
        self.epoch: Optional[int] = None
        self._window: Optional[Window] = None
        self._eval: Optional[Window] = None
        self._loss_sum = 0.0
        self._loss_count = 0

    @property
    def meter(self) -> Meter:
        if self._meter is None:
            sync = self._sync if self._sync is not None else _torch_sync()
            self._meter = Meter(self._meter_arg, self._sample_interval, sync=sync)
        return self._meter

    @property
    def in_epoch(self) -> bool:
        return self._window is not None

    def begin(self, epoch: int) -> None:
        self.abandon()
        self.epoch = int(epoch)
        self._loss_sum, self._loss_count = 0.0, 0
        self._window = self.meter.window(f"epoch {self.epoch}").open()

    def begin_eval(self) -> None:
        if self._window is not None and self._eval is None:
            self._eval = self.meter.window(f"eval {self.epoch}").open()

    @property
    def evaluated(self) -> bool:
        """Whether an evaluation window was opened in this epoch."""
        return self._eval is not None

    def end_eval(self) -> None:
        if self._eval is not None and self._eval.end is None:
            self._eval.close()

    def loss(self, value) -> bool:
        """Adds a training step's loss; False (and the run diverged) when it is not finite."""
        v = scalar(value)
        if not math.isfinite(v):
            self.diverge(f"the training loss is {v} in epoch {self.epoch}")
            return False
        self._loss_sum += v
        self._loss_count += 1
        return True

    def metric_of(self, metrics: Dict, required: bool = True) -> Optional[float]:
        """The named metric from a dict of metrics (None when no metric was named, or when it
        is missing and not required); a clear error when a required one is not there."""
        if self.metric is None or (self.metric not in metrics and not required):
            return None
        if self.metric not in metrics:
            raise ValueError(f"{self.owner}: metric {self.metric!r} is not among the evaluation's metrics "
                           f"({', '.join(sorted(map(str, metrics))) or 'none'}); name one of them")
        return scalar(metrics[self.metric])

    def end(self, metric: Optional[float] = None, **values) -> Optional[Dict]:
        """Closes the epoch's windows, records the epoch and reports it inside a study."""
        if self._window is None:
            return None
        self.end_eval()
        w, ev = self._window.close(), self._eval
        self._window = self._eval = None
        record = {"epoch": self.epoch, "seconds": w.seconds}
        record.update({f"{d}_j": e.joules for d, e in w.energy.items()})
        extra = {}
        if ev is not None:
            extra["eval_s"] = ev.seconds
            extra.update({f"eval_{d}_j": e.joules for d, e in ev.energy.items()})
        if self._loss_count:
            extra["train_loss"] = self._loss_sum / self._loss_count
        extra.update(values)
        record.update(extra)
        if self.metric is not None:
            record[self.metric] = metric
        self.history.append(record)
        if in_study():
            if self.metric is not None:
                extra["metric_name"] = self.metric
            report(metric=metric, epoch=self.epoch, window=w, **extra)
        return record

    def diverge(self, reason: str) -> None:
        """Marks the run diverged (once): closes the windows and reports it inside a study."""
        if self.diverged:
            return
        self.diverged = True
        w = self._window
        self.end_eval()
        if w is not None:
            w.close()
        self._window = self._eval = None
        if in_study():
            report(status="diverged", reason=reason, epoch=self.epoch, window=w)

    def abandon(self) -> None:
        """Closes an unfinished epoch's windows without recording it (training stopped)."""
        self.end_eval()
        if self._window is not None and self._window.end is None:
            self._window.close()
        self._window = self._eval = None

    def close(self) -> None:
        self.abandon()
        if self._meter is not None and not isinstance(self._meter_arg, Meter):
            self._meter.close()
            self._meter = None

    def energy_logs(self, record: Dict) -> Dict[str, float]:
        """An epoch record's time and energy as flat numbers for a framework's log:
        greentune/epoch_s, greentune/<domain>_j, greentune/eval_s, greentune/eval_<domain>_j
        (domains not measured are left out)."""
        out = {}
        for k, v in record.items():
            if k in ("epoch", "train_loss", self.metric) or v is None or isinstance(v, str):
                continue
            out["greentune/" + ("epoch_s" if k == "seconds" else k)] = v
        return out

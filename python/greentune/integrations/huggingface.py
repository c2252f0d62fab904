"""``GreentuneCallback`` for Hugging Face ``transformers.Trainer`` (docs/python.md).

    from greentune.integrations.huggingface import GreentuneCallback
    trainer = Trainer(model, args, ..., callbacks=[GreentuneCallback(metric="eval_accuracy")])

Each epoch is a meter window; when the Trainer evaluates at an epoch's end
(``eval_strategy="epoch"``) the evaluation is a window nested at the end of the epoch's, and
the epoch is reported after it with the named metric. Inside ``greentune study`` each epoch
becomes a ``greentune.report`` (epoch, metric, train_loss, the window, eval_s and
eval_<domain>_j); the last one's metric is the run's performance. A non-finite training
loss (seen at every step, before the Trainer's ``logging_nan_inf_filter`` hides it) or
evaluation loss reports the run diverged and stops training. Outside a study the same
figures go into the Trainer's log (``trainer.state.log_history``, as greentune/epoch_s,
greentune/cpu_package_j, ...) and are logged at info level.
"""

import logging
import math
from typing import Callable, Optional, Union

try:
    from transformers import TrainerCallback
except ImportError as e:  # transformers is not a dependency of greentune
    raise ImportError("greentune.integrations.huggingface needs Hugging Face transformers, with accelerate for its "
                      "Trainer: pip install transformers accelerate") from e

from .._meter import Meter
from ._epochs import Epochs

__all__ = ["GreentuneCallback"]

_log = logging.getLogger("greentune")


def _step_loss(output):
    loss = getattr(output, "loss", None)
    if loss is None and isinstance(output, dict):
        loss = output.get("loss")
    return loss


class GreentuneCallback(TrainerCallback):
    """metric: the evaluation metric reported as the run's performance, as the Trainer names
    it (e.g. "eval_accuracy" from compute_metrics, or "eval_loss"); None reports epochs
    without a metric. meter, sample_interval, sync: as ``greentune.Meter`` (meter may also be
    a Meter; sync defaults to torch.cuda.synchronize when CUDA is available). ``history``:
    one dict per finished epoch."""

    def __init__(self, metric: Optional[str] = None, *, meter: Union[str, Meter] = "auto",
                 sample_interval: float = 0.1, sync: Optional[Callable] = None):
        self._epochs = Epochs("GreentuneCallback", metric, meter, sample_interval, sync)
        self._hook = None
        self._step_losses = []

    @property
    def history(self):
        return self._epochs.history

    @property
    def diverged(self) -> bool:
        return self._epochs.diverged

    # -- the model's forward pass: every training step's loss, before the Trainer filters it
    def _forward_hook(self, module, inputs, output):
        if module.training:
            loss = _step_loss(output)
            if loss is not None and hasattr(loss, "detach"):
                self._step_losses.append(loss.detach())

    def on_train_begin(self, args, state, control, model=None, **kwargs):
        if model is not None and hasattr(model, "register_forward_hook") and self._hook is None:
            self._hook = model.register_forward_hook(self._forward_hook)

    def on_epoch_begin(self, args, state, control, **kwargs):
        self._step_losses.clear()
        self._epochs.begin(int(math.floor((state.epoch or 0) + 1e-9)) + 1)

    def on_step_end(self, args, state, control, **kwargs):
        losses, self._step_losses = self._step_losses, []
        for loss in losses:
            if not self._epochs.loss(loss.float().mean()):
                control.should_training_stop = True
                control.should_evaluate = False
                control.should_save = False
                break

    def on_epoch_end(self, args, state, control, **kwargs):
        if not self._epochs.in_epoch:
            return
        if control.should_evaluate:  # the Trainer evaluates next: that ends the epoch
            self._epochs.begin_eval()
        else:
            self._finish(state, None)

    def on_evaluate(self, args, state, control, metrics=None, **kwargs):
        metrics = metrics or {}
        loss = metrics.get("eval_loss")
        if isinstance(loss, float) and not math.isfinite(loss):
            self._epochs.diverge(f"the evaluation loss is {loss} after epoch {self._epochs.epoch}")
            control.should_training_stop = True
            return
        if self._epochs.in_epoch:
            self._finish(state, self._epochs.metric_of(metrics))

    def _finish(self, state, metric):
        record = self._epochs.end(metric)
        if record is None:
            return
        logs = self._epochs.energy_logs(record)
        state.log_history.append({**logs, "epoch": record["epoch"], "step": state.global_step})
        _log.info("greentune: epoch %d: %s", record["epoch"],
                  ", ".join(f"{k.split('/', 1)[1]} {v:.6g}" for k, v in logs.items()))

    def on_train_end(self, args, state, control, **kwargs):
        if self._hook is not None:
            self._hook.remove()
            self._hook = None
        self._epochs.close()

"""``GreentuneCallback`` for PyTorch Lightning (docs/python.md).

    from greentune.integrations.lightning import GreentuneCallback
    trainer = lightning.Trainer(max_epochs=3, callbacks=[GreentuneCallback(metric="val_acc")])

Each training epoch is a meter window; its validation (which Lightning runs before the
epoch's end) is a window nested in it. At each epoch's end the callback reads the named
metric from ``trainer.callback_metrics`` (what the LightningModule logged with
``self.log``) and, inside ``greentune study``, reports the epoch with ``greentune.report``
(epoch, metric, train_loss, the window, eval_s and eval_<domain>_j); the last one's metric
is the run's performance. A non-finite training loss (the training_step's return, every
step) reports the run diverged and stops training. Outside a study the epoch's time and
energy go to the Trainer's loggers (greentune/epoch_s, greentune/cpu_package_j, ...).

Works with the ``lightning`` package (lightning.pytorch) and, when that is missing, with
``pytorch_lightning``.
"""

from typing import Callable, Optional, Union

try:
    from lightning.pytorch import Callback
except ImportError:
    try:
        from pytorch_lightning import Callback
    except ImportError as e:  # lightning is not a dependency of greentune
        raise ImportError("greentune.integrations.lightning needs PyTorch Lightning: pip install lightning") from None

from .._meter import Meter
from ._epochs import Epochs

__all__ = ["GreentuneCallback"]


def _step_loss(outputs):
    if isinstance(outputs, dict):
        return outputs.get("loss")
    return outputs if hasattr(outputs, "item") else None


class GreentuneCallback(Callback):
    """metric: the logged metric reported as the run's performance (a key of
    trainer.callback_metrics, e.g. "val_acc"); None reports epochs without a metric. meter,
    sample_interval, sync: as ``greentune.Meter`` (meter may also be a Meter; sync defaults
    to torch.cuda.synchronize when CUDA is available). ``history``: one dict per finished
    epoch."""

    def __init__(self, metric: Optional[str] = None, *, meter: Union[str, Meter] = "auto",
                 sample_interval: float = 0.1, sync: Optional[Callable] = None):
        super().__init__()
        self._epochs = Epochs("GreentuneCallback", metric, meter, sample_interval, sync)

    @property
    def history(self):
        return self._epochs.history

    @property
    def diverged(self) -> bool:
        return self._epochs.diverged

    def on_train_epoch_start(self, trainer, pl_module):
        self._epochs.begin(trainer.current_epoch + 1)

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx):
        loss = _step_loss(outputs)
        if loss is not None and self._epochs.in_epoch and not self._epochs.loss(loss.detach().float().mean()):
            trainer.should_stop = True

    def on_validation_start(self, trainer, pl_module):
        if not trainer.sanity_checking:
            self._epochs.begin_eval()

    def on_validation_end(self, trainer, pl_module):
        if not trainer.sanity_checking:
            self._epochs.end_eval()

    def on_train_epoch_end(self, trainer, pl_module):
        if not self._epochs.in_epoch:
            return
        # an epoch without validation (check_val_every_n_epoch) is reported without a metric
        metric = self._epochs.metric_of(trainer.callback_metrics, required=self._epochs.evaluated)
        record = self._epochs.end(metric)
        logs = self._epochs.energy_logs(record)
        for logger in trainer.loggers:
            logger.log_metrics(logs, step=trainer.global_step)

    def on_train_end(self, trainer, pl_module):
        self._epochs.abandon()

    def teardown(self, trainer, pl_module, stage):
        self._epochs.close()

"""A tiny classifier trained with PyTorch Lightning and metered by greentune
(docs/python.md). The model is a small MLP with random initial weights; the data are
generated here (points of two interleaved spirals): nothing is downloaded.

    python train.py --lr 0.01 --epochs 2            # alone: the epochs' energy in the CSV log
    greentune study study.toml -o lightning-study    # as a model of a study (study.toml)

The one greentune line is the callback: GreentuneCallback(metric="val_acc").
"""

import argparse
import math
import tempfile

import torch
from torch import nn

try:
    import lightning.pytorch as pl
    from lightning.pytorch.loggers import CSVLogger
except ImportError:  # the older package name
    import pytorch_lightning as pl
    from pytorch_lightning.loggers import CSVLogger

from greentune.integrations.lightning import GreentuneCallback


def spirals(n, seed):
    g = torch.Generator().manual_seed(seed)
    t = torch.rand(n, generator=g) * 3 * math.pi
    label = torch.randint(0, 2, (n,), generator=g)
    angle = t + label * math.pi
    x = torch.stack([t * torch.cos(angle), t * torch.sin(angle)], 1) / (3 * math.pi)
    x = x + 0.02 * torch.randn(n, 2, generator=g)
    return torch.utils.data.TensorDataset(x, label)


class Classifier(pl.LightningModule):
    def __init__(self, lr, hidden):
        super().__init__()
        self.save_hyperparameters()
        self.net = nn.Sequential(nn.Linear(2, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU(),
                                 nn.Linear(hidden, 2))

    def training_step(self, batch, batch_idx):
        x, y = batch
        loss = nn.functional.cross_entropy(self.net(x), y)
        self.log("train_loss", loss, on_step=False, on_epoch=True)
        return loss

    def validation_step(self, batch, batch_idx):
        x, y = batch
        logits = self.net(x)
        self.log("val_loss", nn.functional.cross_entropy(logits, y))
        self.log("val_acc", (logits.argmax(1) == y).float().mean())

    def configure_optimizers(self):
        return torch.optim.Adam(self.parameters(), lr=self.hparams.lr)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--lr", type=float, default=0.01)
    p.add_argument("--epochs", type=int, default=2)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--train-size", type=int, default=2048)
    p.add_argument("--val-size", type=int, default=512)
    p.add_argument("--hidden", type=int, default=64)
    p.add_argument("--seed", type=int, default=1)
    a = p.parse_args()
    pl.seed_everything(a.seed, verbose=False)
    train = torch.utils.data.DataLoader(spirals(a.train_size, a.seed), batch_size=a.batch_size, shuffle=True)
    val = torch.utils.data.DataLoader(spirals(a.val_size, a.seed + 1), batch_size=256)
    callback = GreentuneCallback(metric="val_acc")
    with tempfile.TemporaryDirectory() as logs:
        trainer = pl.Trainer(max_epochs=a.epochs, accelerator="auto", devices=1, logger=CSVLogger(logs),
                             callbacks=[callback], enable_checkpointing=False, enable_progress_bar=False,
                             enable_model_summary=False)
        trainer.fit(Classifier(a.lr, a.hidden), train, val)
    for record in callback.history:
        print({k: round(v, 4) if isinstance(v, float) else v for k, v in record.items()})


if __name__ == "__main__":
    main()

"""A tiny text classifier trained with Hugging Face's Trainer and metered by greentune
(docs/python.md). The model is a 2-layer BERT built from a config with random weights; the
data are generated here (token sequences labelled by whether tokens from the upper half of
the vocabulary outnumber the others): nothing is downloaded.

    python train.py --lr 0.01 --epochs 2           # alone: the epochs' energy in the log
    greentune study study.toml -o hf-study           # as a model of a study (study.toml)

The one greentune line is the callback: GreentuneCallback(metric="eval_accuracy").
"""

import argparse
import tempfile

import numpy as np
import torch
from transformers import BertConfig, BertForSequenceClassification, Trainer, TrainingArguments

from greentune.integrations.huggingface import GreentuneCallback

VOCAB = 64


class Tokens(torch.utils.data.Dataset):
    def __init__(self, n, seq_len, seed):
        g = torch.Generator().manual_seed(seed)
        self.ids = torch.randint(2, VOCAB, (n, seq_len), generator=g)
        self.labels = ((self.ids >= VOCAB // 2).sum(1) * 2 > seq_len).long()

    def __len__(self):
        return len(self.ids)

    def __getitem__(self, i):
        return {"input_ids": self.ids[i], "attention_mask": torch.ones_like(self.ids[i]), "labels": self.labels[i]}


def accuracy(prediction):
    return {"accuracy": float((np.argmax(prediction.predictions, axis=-1) == prediction.label_ids).mean())}


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--lr", type=float, default=0.01)
    p.add_argument("--epochs", type=int, default=2)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--train-size", type=int, default=1024)
    p.add_argument("--eval-size", type=int, default=256)
    p.add_argument("--seq-len", type=int, default=16)
    p.add_argument("--hidden", type=int, default=32)
    p.add_argument("--seed", type=int, default=1)
    a = p.parse_args()
    torch.manual_seed(a.seed)
    config = BertConfig(vocab_size=VOCAB, hidden_size=a.hidden, num_hidden_layers=2, num_attention_heads=2,
                        intermediate_size=2 * a.hidden, max_position_embeddings=a.seq_len, num_labels=2)
    model = BertForSequenceClassification(config)  # random initialisation, nothing downloaded
    with tempfile.TemporaryDirectory() as out:
        args = TrainingArguments(output_dir=out, num_train_epochs=a.epochs, learning_rate=a.lr,
                                 per_device_train_batch_size=a.batch_size, per_device_eval_batch_size=128,
                                 eval_strategy="epoch", logging_strategy="epoch", save_strategy="no",
                                 report_to="none", disable_tqdm=True, seed=a.seed, dataloader_num_workers=0,
                                 use_cpu=not torch.cuda.is_available())
        trainer = Trainer(model=model, args=args, train_dataset=Tokens(a.train_size, a.seq_len, a.seed),
                          eval_dataset=Tokens(a.eval_size, a.seq_len, a.seed + 1), compute_metrics=accuracy,
                          callbacks=[GreentuneCallback(metric="eval_accuracy")])
        trainer.train()
    for entry in trainer.state.log_history:
        if "greentune/epoch_s" in entry:
            print({k: round(v, 4) if isinstance(v, float) else v for k, v in entry.items()})


if __name__ == "__main__":
    main()

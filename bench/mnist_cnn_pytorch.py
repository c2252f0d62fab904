#!/usr/bin/python3
"""The mnist_cnn training loop in plain PyTorch (Debian's python3-torch), for bench/train_speed.sh.

Same model, optimiser and schedule as greentune's mnist_cnn (pytorch/examples "mnist": two
convolutions, dropout .25/.5, two fully connected layers, log_softmax + NLL, Adadelta(lr=1)
with StepLR(step 1, gamma .7)), same data (IDX files, normalised once), same shuffled
batches of 64. By default it runs as a user runs it: default threads (PyTorch's own choice;
`--threads N` calls torch.set_num_threads(N) instead) and the default allocator (the caller
sets MALLOC_* in the environment to change that). There is no DataLoader here: batches are
sliced from one pre-normalised tensor, the fastest way to feed this model from Python, so
this loop is the strongest Python baseline. The example's own torchvision pipeline
(datasets.MNIST + transforms + DataLoader; Debian 12 packages torchvision 0.14 as
python3-torchvision) is bench/mnist_cnn_torchvision.py, which imports `Net` from this file.

Prints one line: "python_img_per_s <value> threads <n> images <n> seconds <s>".
"""
import argparse
import gzip
import os
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


class Net(nn.Module):
    def __init__(self, dropout=0.5):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 3, 1)
        self.conv2 = nn.Conv2d(32, 64, 3, 1)
        self.dropout1 = nn.Dropout(0.25)
        self.dropout2 = nn.Dropout(dropout)
        self.fc1 = nn.Linear(9216, 128)
        self.fc2 = nn.Linear(128, 10)

    def forward(self, x):
        x = F.relu(self.conv1(x))
        x = F.relu(self.conv2(x))
        x = F.max_pool2d(x, 2)
        x = self.dropout1(x)
        x = torch.flatten(x, 1)
        x = F.relu(self.fc1(x))
        x = self.dropout2(x)
        return F.log_softmax(self.fc2(x), dim=1)


def read_idx(path, count):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    magic = int.from_bytes(data[0:4], "big")
    if magic == 0x803:
        n, rows, cols = (int.from_bytes(data[i:i + 4], "big") for i in (4, 8, 12))
        n = min(n, count)
        return np.frombuffer(data, np.uint8, n * rows * cols, 16).reshape(n, 1, rows, cols)
    n = min(int.from_bytes(data[4:8], "big"), count)
    return np.frombuffer(data, np.uint8, n, 8)


def benchmark_arguments():
    """The command-line options both Python benchmark loops take."""
    p = argparse.ArgumentParser()
    p.add_argument("--data", default="/usr/share/datasets/fashion-mnist",
                   help="directory with the four MNIST-format IDX .gz files")
    p.add_argument("--images", type=int, default=6400)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--threads", type=int, default=0,
                   help="intra-op threads (torch.set_num_threads); 0 = PyTorch's default")
    return p


def main():
    a = benchmark_arguments().parse_args()

    if a.threads > 0:
        torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    images = read_idx(os.path.join(a.data, "train-images-idx3-ubyte.gz"), a.images)
    labels = read_idx(os.path.join(a.data, "train-labels-idx1-ubyte.gz"), a.images)
    x_all = (torch.from_numpy(images.copy()).float() / 255.0 - 0.1307) / 0.3081
    y_all = torch.from_numpy(labels.astype(np.int64))
    n = x_all.shape[0]

    model = Net()
    optimizer = torch.optim.Adadelta(model.parameters(), lr=1.0)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.7)

    start = time.perf_counter()
    model.train()
    order = torch.randperm(n)
    for s in range(0, n, a.batch_size):
        idx = order[s:s + a.batch_size]
        data, target = x_all[idx], y_all[idx]
        optimizer.zero_grad()
        loss = F.nll_loss(model(data), target)
        loss.backward()
        optimizer.step()
        if not torch.isfinite(loss):
            raise SystemExit("diverged")
    seconds = time.perf_counter() - start
    scheduler.step()
    print(f"python_img_per_s {n / seconds:.1f} threads {torch.get_num_threads()} images {n} seconds {seconds:.3f}")


if __name__ == "__main__":
    main()

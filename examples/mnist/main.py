#!/usr/bin/env python3
"""The pytorch/examples MNIST training loop (CNN, Adadelta, StepLR), measured per epoch with
greentune windows and reported to `greentune study` with greentune.report.

    PYTHONPATH=build/python /usr/bin/python3 examples/mnist/main.py --epochs 1 --train-limit 2000
    PYTHONPATH=$PWD/build/python greentune study examples/mnist/study.toml

Data: the MNIST IDX files (plain or .gz) in --data-dir (or $GREENTUNE_DATA) under mnist/,
MNIST/raw/ or the folder itself; without MNIST, Debian's Fashion-MNIST
(/usr/share/datasets/fashion-mnist, package dataset-fashion-mnist) stands in, and the
script says so. Nothing is downloaded.
"""

import argparse
import gzip
import os
import struct
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim
from torch.optim.lr_scheduler import StepLR

import greentune

FASHION_DIR = "/usr/share/datasets/fashion-mnist"


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 3, 1)
        self.conv2 = nn.Conv2d(32, 64, 3, 1)
        self.dropout1 = nn.Dropout(0.25)
        self.dropout2 = nn.Dropout(0.5)
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


def read_idx(path, limit):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        magic = struct.unpack(">I", f.read(4))[0]
        if magic not in (2049, 2051):
            raise SystemExit(f"main.py: {path}: not an IDX file (magic {magic})")
        dims = [struct.unpack(">I", f.read(4))[0] for _ in range(magic & 0xFF)]
        n = dims[0] if limit is None else min(dims[0], limit)
        size = 1
        for d in dims[1:]:
            size *= d
        data = f.read(n * size)
    if len(data) != n * size:
        raise SystemExit(f"main.py: {path}: truncated")
    return torch.frombuffer(bytearray(data), dtype=torch.uint8).reshape([n] + dims[1:])


def find_file(dirs, stem):
    for d in dirs:
        for name in (stem, stem + ".gz"):
            p = os.path.join(d, name)
            if os.path.exists(p):
                return p
    return None


def load_mnist(data_dir, train_limit, test_limit):
    dirs = []
    if data_dir:
        dirs += [os.path.join(data_dir, "mnist"), os.path.join(data_dir, "MNIST", "raw"), data_dir]
    name = "MNIST"
    if not find_file(dirs, "train-images-idx3-ubyte"):
        dirs, name = [FASHION_DIR], "Fashion-MNIST"
        print(f"main.py: MNIST not found{' under ' + data_dir if data_dir else ''}; Fashion-MNIST from "
              f"{FASHION_DIR} stands in for it", file=sys.stderr)
    out = []
    for split, limit in (("train", train_limit), ("t10k", test_limit)):
        img = find_file(dirs, f"{split}-images-idx3-ubyte")
        lab = find_file(dirs, f"{split}-labels-idx1-ubyte")
        if not img or not lab:
            raise SystemExit(f"main.py: no {split} IDX files in {', '.join(dirs)} "
                             "(get MNIST, or install Debian's dataset-fashion-mnist)")
        x = read_idx(img, limit).unsqueeze(1).float().div_(255.0)
        x = (x - 0.1307) / 0.3081  # transforms.Normalize((0.1307,), (0.3081,)) as upstream
        out += [x, read_idx(lab, limit).long()]
    return name, out


def train(args, model, device, x, y, optimizer, epoch, generator):
    model.train()
    order = torch.randperm(len(x), generator=generator)  # DataLoader(shuffle=True)
    total, batches = 0.0, 0
    for batch_idx, start in enumerate(range(0, len(x), args.batch_size)):
        idx = order[start:start + args.batch_size]
        data, target = x[idx].to(device), y[idx].to(device)
        optimizer.zero_grad()
        output = model(data)
        loss = F.nll_loss(output, target)
        loss.backward()
        optimizer.step()
        total += loss.item()
        batches += 1
        if batch_idx % args.log_interval == 0 and not args.quiet:
            print(f"Train Epoch: {epoch} [{start}/{len(x)} ({100. * start / len(x):.0f}%)]\tLoss: {loss.item():.6f}")
        if args.dry_run:
            break
    return total / max(batches, 1)


def test(args, model, device, x, y):
    model.eval()
    test_loss, correct = 0.0, 0
    with torch.no_grad():
        for start in range(0, len(x), args.test_batch_size):
            data, target = x[start:start + args.test_batch_size].to(device), y[start:start + args.test_batch_size].to(device)
            output = model(data)
            test_loss += F.nll_loss(output, target, reduction="sum").item()
            correct += output.argmax(dim=1).eq(target).sum().item()
    test_loss /= len(x)
    print(f"\nTest set: Average loss: {test_loss:.4f}, Accuracy: {correct}/{len(x)} ({100. * correct / len(x):.0f}%)\n")
    return test_loss, correct / len(x)


def main():
    parser = argparse.ArgumentParser(description="PyTorch MNIST Example, metered by greentune")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--test-batch-size", type=int, default=1000)
    parser.add_argument("--epochs", type=int, default=14)
    parser.add_argument("--lr", type=float, default=1.0)
    parser.add_argument("--gamma", type=float, default=0.7)
    parser.add_argument("--no-cuda", action="store_true")
    parser.add_argument("--dry-run", action="store_true")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--log-interval", type=int, default=10)
    parser.add_argument("--save-model", action="store_true")
    # greentune additions
    parser.add_argument("--train-limit", type=int, default=None, help="train on the first N images")
    parser.add_argument("--test-limit", type=int, default=None, help="test on the first N images")
    parser.add_argument("--data-dir", default=os.environ.get("GREENTUNE_DATA", ""))
    parser.add_argument("--meter", default="auto", help="greentune meter: auto, rapl, perf, nvml, estimate, none")
    parser.add_argument("--quiet", action="store_true", help="no per-batch lines")
    args = parser.parse_args()
    for name in ("batch_size", "test_batch_size", "epochs", "log_interval"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1")
    if not args.lr > 0:
        parser.error("--lr must be positive")

    use_cuda = not args.no_cuda and torch.cuda.is_available()
    torch.manual_seed(args.seed)
    device = torch.device("cuda" if use_cuda else "cpu")
    name, (x_train, y_train, x_test, y_test) = load_mnist(args.data_dir, args.train_limit, args.test_limit)
    print(f"data: {name}, {len(x_train)} train / {len(x_test)} test images; device {device}; "
          f"{torch.get_num_threads()} threads", file=sys.stderr)

    model = Net().to(device)
    optimizer = optim.Adadelta(model.parameters(), lr=args.lr)
    scheduler = StepLR(optimizer, step_size=1, gamma=args.gamma)
    generator = torch.Generator().manual_seed(args.seed)

    meter = greentune.Meter(args.meter, sync=torch.cuda.synchronize if use_cuda else None)
    with meter.window("training") as whole:
        for epoch in range(1, args.epochs + 1):
            with meter.window(f"epoch {epoch}") as w:
                train_loss = train(args, model, device, x_train, y_train, optimizer, epoch, generator)
                test_loss, accuracy = test(args, model, device, x_test, y_test)
                scheduler.step()
            pkg = w.energy["cpu_package"]
            print(f"epoch {epoch}: {w.seconds:.2f} s, cpu_package "
                  f"{'-' if pkg.joules is None else f'{pkg.joules:.1f} J'}"
                  f"{' (estimated)' if pkg.estimated else ''}", file=sys.stderr)
            greentune.report(metric=accuracy, epoch=epoch, train_loss=train_loss, test_loss=test_loss,
                             lr=scheduler.get_last_lr()[0], window=w)
    total = whole.total_j
    print(f"training: {whole.seconds:.2f} s, "
          f"{'-' if total is None else f'{total:.1f} J'} (backends: {', '.join(meter.backends) or 'none'})",
          file=sys.stderr)
    meter.close()
    if args.save_model:
        torch.save(model.state_dict(), "mnist_cnn.pt")


if __name__ == "__main__":
    main()

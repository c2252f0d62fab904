#!/usr/bin/python3
"""Measures the side work the paper's upstream scripts do and greentune does not (docs/models.md,
"What the paper's package ran"), with Debian's PyTorch 1.13 and torchvision on this machine:

1. mnist's data path upstream: a torchvision dataset whose __getitem__ builds a PIL image and
   applies ToTensor + Normalize to every sample, in a DataLoader worker process (upstream passes
   num_workers=1 on CUDA), batches of 64; against greentune's: the whole set normalised once,
   batches sliced from it. One epoch of Fashion-MNIST's 60,000 training images (the same sizes
   as MNIST's), no model: only the data work. CPU seconds of this process and its workers.
2. The checkpoints upstream writes: resnet20's trainer.py saves the state dict (269,722
   parameters) every epoch and every 10 epochs; hrnet18's train.py saves the network (20,685,379
   parameters) every 10 epochs. torch.save of state dicts of those sizes to a temporary folder.

Usage: /usr/bin/python3 bench/paper_side_work.py [ROUNDS] [FASHION_MNIST_DIR]
"""
import gzip
import os
import resource
import shutil
import statistics
import sys
import tempfile
import time

import torch
import torchvision
from torchvision import transforms


def cpu_s():
    s = resource.getrusage(resource.RUSAGE_SELF)
    c = resource.getrusage(resource.RUSAGE_CHILDREN)
    return s.ru_utime + s.ru_stime + c.ru_utime + c.ru_stime


def measure(fn):
    c0, t0 = cpu_s(), time.perf_counter()
    fn()
    return time.perf_counter() - t0, cpu_s() - c0


def upstream_epoch(root):
    ds = torchvision.datasets.FashionMNIST(root, train=True, download=False, transform=transforms.Compose(
        [transforms.ToTensor(), transforms.Normalize((0.1307,), (0.3081,))]))
    loader = torch.utils.data.DataLoader(ds, batch_size=64, shuffle=True, num_workers=1)
    n = 0
    for x, y in loader:
        n += x.shape[0]
    assert n == 60000, n


def greentune_epoch(images):
    x = (images.float() / 255 - 0.1307) / 0.3081
    perm = torch.randperm(x.shape[0])
    n = 0
    for i in range(0, x.shape[0], 64):
        idx = perm[i:i + 64]
        b = x.index_select(0, idx)
        n += b.shape[0]
    assert n == 60000, n


def state_dict_of(params):
    # A flat list of tensors of about the model's sizes (I/O cost depends on bytes, not shapes).
    out, left, i = {}, params, 0
    while left > 0:
        k = min(left, 1 << 20)
        out["p%d" % i] = torch.randn(k)
        left -= k
        i += 1
    return out


def main():
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    src = sys.argv[2] if len(sys.argv) > 2 else "/usr/share/datasets/fashion-mnist"
    torch.set_num_threads(os.cpu_count() or 1)
    tmp = tempfile.mkdtemp(prefix="paper-side-work-")
    try:
        raw = os.path.join(tmp, "FashionMNIST", "raw")
        os.makedirs(raw)
        for f in os.listdir(src):
            if f.endswith(".gz"):
                with gzip.open(os.path.join(src, f)) as i, open(os.path.join(raw, f[:-3]), "wb") as o:
                    shutil.copyfileobj(i, o)
        images = torchvision.datasets.FashionMNIST(tmp, train=True, download=False).data
        up, ours = [], []
        for r in range(rounds):
            up.append(measure(lambda: upstream_epoch(tmp)))
            ours.append(measure(lambda: greentune_epoch(images)))
            print("round %d: upstream data path %.2f s wall, %.2f CPU s; greentune's %.3f s wall, %.3f CPU s"
                  % (r + 1, up[-1][0], up[-1][1], ours[-1][0], ours[-1][1]), flush=True)
        print("median per epoch: upstream %.2f CPU s (%.2f s wall), greentune %.3f CPU s (%.3f s wall)"
              % (statistics.median(c for _, c in up), statistics.median(w for w, _ in up),
                 statistics.median(c for _, c in ours), statistics.median(w for w, _ in ours)))
        for name, params in (("resnet20", 269722), ("hrnet18", 20685379)):
            sd = state_dict_of(params)
            path = os.path.join(tmp, name + ".th")
            times = [measure(lambda: torch.save(sd, path))[0] for _ in range(max(rounds, 3))]
            print("%s: torch.save of %d parameters (%.1f MB): median %.3f s over %d saves"
                  % (name, params, os.path.getsize(path) / 1e6, statistics.median(times), len(times)))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()

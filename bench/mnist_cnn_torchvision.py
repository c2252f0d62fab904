#!/usr/bin/python3
"""The pytorch/examples "mnist" input pipeline, as users run it, for bench/train_speed.sh.

Where bench/mnist_cnn_pytorch.py slices batches from one pre-normalised tensor, this script
feeds the same network (`Net`, imported from that file) and optimiser (Adadelta(lr=1),
StepLR(step 1, gamma .7)) the way the example does on the CPU: a torchvision
`datasets.MNIST` whose items are PIL images, `transforms.Compose([ToTensor(),
Normalize((0.1307,), (0.3081,))])` applied per image, and a
`torch.utils.data.DataLoader(batch_size=64, shuffle=True)` with no worker processes and no
pinned memory. Threads and allocator are PyTorch's defaults unless `--threads N` is given or
the caller sets MALLOC_* in the environment.

Nothing is downloaded. torchvision 0.14's MNIST reads the uncompressed IDX files from
`<root>/MNIST/raw/` (its download step would put them there), so the `.gz` files from
`--data` are decompressed into that layout under `--root` (a temporary directory by default;
files already there with the right size are reused) before anything is timed. The data set
is cut to the first `--images` images, like greentune's `train_limit`.

The timed phase is one pass over the DataLoader: PIL conversion, transforms, collation,
forward, backward, Adadelta step (the example's per-10-batch `loss.item()` is kept, its
print is not). Prints one line: "torchvision_img_per_s <value> threads <n> images <n> seconds <s>".
If torchvision cannot be imported it says so on stderr and exits with status 3.
"""
import gzip
import math
import os
import shutil
import sys
import tempfile
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mnist_cnn_pytorch import Net, benchmark_arguments  # noqa: E402  (the same network and options as the tensor-slicing loop)

IDX_FILES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte",
             "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")


def uncompressed_size(path):
    """Size of the data inside a .gz file (gzip's trailer holds it modulo 2^32; IDX files are smaller)."""
    with open(path, "rb") as f:
        f.seek(-4, os.SEEK_END)
        return int.from_bytes(f.read(4), "little")


def lay_out_raw(data_dir, root):
    """Decompresses the four IDX .gz files into <root>/MNIST/raw/, where torchvision looks."""
    raw = os.path.join(root, "MNIST", "raw")
    os.makedirs(raw, exist_ok=True)
    for name in IDX_FILES:
        src = os.path.join(data_dir, name + ".gz")
        dst = os.path.join(raw, name)
        if not os.path.isfile(src):
            raise SystemExit(f"mnist_cnn_torchvision.py: no {src}")
        if os.path.isfile(dst) and os.path.getsize(dst) == uncompressed_size(src):
            continue
        tmp = dst + ".part"
        with gzip.open(src, "rb") as fin, open(tmp, "wb") as fout:
            shutil.copyfileobj(fin, fout)
        os.replace(tmp, dst)


def main():
    p = benchmark_arguments()
    p.add_argument("--root", default="",
                   help="torchvision root to lay the files out in (default: a temporary directory)")
    a = p.parse_args()

    try:
        from torchvision import datasets, transforms
    except ImportError as e:
        print(f"mnist_cnn_torchvision.py: torchvision not importable ({e}); "
              "apt-get install python3-torchvision", file=sys.stderr)
        sys.exit(3)

    if a.threads > 0:
        torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)

    with tempfile.TemporaryDirectory(prefix="greentune-tv-") as tmp:
        root = a.root or tmp
        lay_out_raw(a.data, root)
        transform = transforms.Compose([
            transforms.ToTensor(),
            transforms.Normalize((0.1307,), (0.3081,)),
        ])
        dataset = datasets.MNIST(root, train=True, download=False, transform=transform)
        dataset.data = dataset.data[:a.images]
        dataset.targets = dataset.targets[:a.images]
        n = len(dataset)
        loader = torch.utils.data.DataLoader(dataset, batch_size=a.batch_size, shuffle=True)

        device = torch.device("cpu")
        model = Net().to(device)
        optimizer = torch.optim.Adadelta(model.parameters(), lr=1.0)
        scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.7)

        start = time.perf_counter()
        model.train()
        last_loss = float("nan")
        for batch_idx, (data, target) in enumerate(loader):
            data, target = data.to(device), target.to(device)
            optimizer.zero_grad()
            loss = F.nll_loss(model(data), target)
            loss.backward()
            optimizer.step()
            if batch_idx % 10 == 0:
                last_loss = loss.item()
        seconds = time.perf_counter() - start
        scheduler.step()

    if not math.isfinite(last_loss):
        raise SystemExit(f"mnist_cnn_torchvision.py: diverged (loss {last_loss})")
    print(f"torchvision_img_per_s {n / seconds:.1f} threads {torch.get_num_threads()} "
          f"images {n} seconds {seconds:.3f}")


if __name__ == "__main__":
    main()

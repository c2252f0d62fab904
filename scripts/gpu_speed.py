#!/usr/bin/env python3
"""Training speed of the same loops greentune runs, in PyTorch Python, for the device check.

mnist_cnn: the pytorch/examples MNIST CNN with Adadelta, batch 64; as greentune, the normalised
training set is moved to the device once and batches are gathered there.
resnet20: ResNet-20 (option-A shortcuts) with SGD momentum 0.9, batch 128, on Fashion-MNIST
padded to 32x32x3 (greentune's CIFAR-10 stand-in); as greentune, every batch is gathered,
randomly cropped (padding 4) and flipped on the CPU, normalised, then copied to the device.
Prints one JSON object: images trained, seconds, img/s (training loop only, device synchronised).
"""
import argparse, gzip, json, struct, time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


def read_idx_images(path):
    with gzip.open(path, "rb") as f:
        magic, n, rows, cols = struct.unpack(">IIII", f.read(16))
        return np.frombuffer(f.read(), dtype=np.uint8).reshape(n, rows, cols)


def read_idx_labels(path):
    with gzip.open(path, "rb") as f:
        magic, n = struct.unpack(">II", f.read(8))
        return np.frombuffer(f.read(), dtype=np.uint8).astype(np.int64)


class MnistCnn(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 3)
        self.conv2 = nn.Conv2d(32, 64, 3)
        self.fc1 = nn.Linear(9216, 128)
        self.fc2 = nn.Linear(128, 10)

    def forward(self, x):
        x = F.relu(self.conv2(F.relu(self.conv1(x))))
        x = F.dropout(F.max_pool2d(x, 2), 0.25, self.training).flatten(1)
        x = F.dropout(F.relu(self.fc1(x)), 0.5, self.training)
        return F.log_softmax(self.fc2(x), dim=1)


class Block(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.c1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.b1 = nn.BatchNorm2d(cout)
        self.c2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.b2 = nn.BatchNorm2d(cout)
        self.pad = cout - cin if (stride != 1 or cin != cout) else 0
        self.stride = stride

    def forward(self, x):
        y = self.b2(self.c2(F.relu(self.b1(self.c1(x)))))
        s = x
        if self.pad:
            s = F.pad(x[:, :, ::self.stride, ::self.stride], (0, 0, 0, 0, self.pad // 2, self.pad - self.pad // 2))
        return F.relu(y + s)


class ResNet20(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 16, 3, 1, 1, bias=False)
        self.bn = nn.BatchNorm2d(16)
        layers, cin = [], 16
        for cout, stride in ((16, 1), (32, 2), (64, 2)):
            for i in range(3):
                layers.append(Block(cin, cout, stride if i == 0 else 1))
                cin = cout
        self.layers = nn.Sequential(*layers)
        self.fc = nn.Linear(64, 10)

    def forward(self, x):
        x = self.layers(F.relu(self.bn(self.conv(x))))
        return self.fc(F.adaptive_avg_pool2d(x, 1).flatten(1))


def random_crop_flip(x, pad, gen):
    """Random crop after zero padding and a random horizontal flip, per image (CPU, vectorised)."""
    n, _, h, w = x.shape
    padded = F.pad(x, (pad, pad, pad, pad))
    dy = torch.randint(0, 2 * pad + 1, (n,), generator=gen)
    dx = torch.randint(0, 2 * pad + 1, (n,), generator=gen)
    rows = (dy[:, None] + torch.arange(h)[None, :])[:, None, :, None].expand(n, x.shape[1], h, w + 2 * pad)
    cropped = padded.gather(2, rows)
    cols = (dx[:, None] + torch.arange(w)[None, :])[:, None, None, :].expand(n, x.shape[1], h, w)
    cropped = cropped.gather(3, cols)
    flip = torch.rand(n, generator=gen) < 0.5
    return torch.where(flip[:, None, None, None], cropped.flip(3), cropped)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--model", choices=["mnist_cnn", "resnet20"], required=True)
    p.add_argument("--device", default="cuda")
    p.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    p.add_argument("--images", type=int, default=60000)
    a = p.parse_args()
    torch.manual_seed(1)
    dev = torch.device(a.device)
    x = read_idx_images(f"{a.data}/train-images-idx3-ubyte.gz")[: a.images]
    y = torch.from_numpy(read_idx_labels(f"{a.data}/train-labels-idx1-ubyte.gz")[: a.images])
    x = torch.from_numpy(x.astype(np.float32) / 255.0).unsqueeze(1)
    gen = torch.Generator().manual_seed(1)
    if a.model == "mnist_cnn":
        x, y = ((x - 0.1307) / 0.3081).to(dev), y.to(dev)
        net, bs = MnistCnn().to(dev), 64
        opt = torch.optim.Adadelta(net.parameters(), lr=1.0)
        loss_fn = lambda out, t: F.nll_loss(out, t)
        batch = lambda idx: (x[idx.to(dev)], y[idx.to(dev)])
    else:
        x = F.pad(x, (2, 2, 2, 2)).repeat(1, 3, 1, 1)
        net, bs = ResNet20().to(dev), 128
        opt = torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-4)
        loss_fn = F.cross_entropy
        pin = dev.type == "cuda"

        def batch(idx):
            xb = (random_crop_flip(x[idx], 4, gen) - 0.5) / 0.25
            yb = y[idx]
            if pin:
                xb, yb = xb.pin_memory(), yb.pin_memory()
            return xb.to(dev, non_blocking=pin), yb.to(dev, non_blocking=pin)
    net.train()
    if dev.type == "cuda":
        torch.cuda.synchronize()
    t0 = time.perf_counter()
    perm = torch.randperm(len(x), generator=gen)
    for i in range(0, len(x), bs):
        xb, yb = batch(perm[i : i + bs])
        opt.zero_grad()
        loss = loss_fn(net(xb), yb)
        loss.backward()
        opt.step()
    if dev.type == "cuda":
        torch.cuda.synchronize()
    dt = time.perf_counter() - t0
    print(json.dumps({"model": a.model, "device": a.device, "images": len(x), "seconds": dt,
                      "img_per_s": len(x) / dt, "final_loss": float(loss.detach())}))


if __name__ == "__main__":
    main()

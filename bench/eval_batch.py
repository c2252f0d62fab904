"""Evaluation time at upstream's test batch size against 64, on this CPU, interleaved.

Debian's PyTorch is the same libtorch 1.13 greentune links; the allocator is set as greentune
sets it in-process (core/allocator.cpp: mallopt M_MMAP_THRESHOLD 32 MiB, M_TRIM_THRESHOLD
1 GiB, M_TOP_PAD 64 MiB) and the threads as greentune's default (every CPU). Each round
evaluates every model at both batch sizes, alternating which goes first; medians of the
rounds. Inputs are random (the time does not depend on the values).

  /usr/bin/python3 bench/eval_batch.py [ROUNDS] [IMAGES]   (defaults 3, 10000)
"""
import ctypes
import os
import statistics
import sys
import time

libc = ctypes.CDLL("libc.so.6")
libc.mallopt(-3, 4 * 1024 * 1024 * ctypes.sizeof(ctypes.c_long))  # M_MMAP_THRESHOLD
libc.mallopt(-1, 1 << 30)  # M_TRIM_THRESHOLD
libc.mallopt(-2, 64 << 20)  # M_TOP_PAD

import torch  # noqa: E402  (after mallopt, as greentune)
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402
import torchvision  # noqa: E402

torch.set_num_threads(len(os.sched_getaffinity(0)))
torch.manual_seed(1)


class MnistCnn(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1, self.conv2 = nn.Conv2d(1, 32, 3), nn.Conv2d(32, 64, 3)
        self.fc1, self.fc2 = nn.Linear(9216, 128), nn.Linear(128, 10)

    def forward(self, x):
        x = F.max_pool2d(self.conv2(F.relu(self.conv1(x))), 2).relu()
        return F.log_softmax(self.fc2(F.relu(self.fc1(torch.flatten(x, 1)))), 1)


class Siamese(nn.Module):
    def __init__(self):
        super().__init__()
        r = torchvision.models.resnet18()
        r.conv1 = nn.Conv2d(1, 64, 7, 2, 3, bias=False)
        self.trunk = nn.Sequential(*list(r.children())[:-1])
        self.head = nn.Sequential(nn.Linear(1024, 256), nn.ReLU(), nn.Linear(256, 1))

    def forward(self, a, b):
        return torch.sigmoid(self.head(torch.cat([self.trunk(a).flatten(1), self.trunk(b).flatten(1)], 1)))


def evaluate(model, images, batch, pairs):
    start = time.perf_counter()
    with torch.no_grad():
        for i in range(0, images.size(0), batch):
            x = images[i:i + batch]
            model(x, x.flip(0)) if pairs else model(x)
    return time.perf_counter() - start


def main():
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 10000
    mnist = torch.rand(n, 1, 28, 28)
    cases = [("mnist_cnn", MnistCnn().eval(), mnist, 1000, False),
             ("siamese", Siamese().eval(), mnist * 255, 1000, True)]
    times = {(name, b): [] for name, _, _, big, _ in cases for b in (big, 64)}
    for r in range(rounds):
        for name, model, images, big, pairs in cases:
            order = (big, 64) if r % 2 == 0 else (64, big)
            for b in order:
                times[(name, b)].append(evaluate(model, images, b, pairs))
                print(f"round {r + 1}: {name} batch {b}: {times[(name, b)][-1]:.2f} s", flush=True)
    print(f"eval of {n} test images (siamese: {n} pairs), {torch.get_num_threads()} threads, "
          f"torch {torch.__version__}, {rounds} rounds, medians:")
    for name, _, _, big, _ in cases:
        t_big, t_64 = statistics.median(times[(name, big)]), statistics.median(times[(name, 64)])
        print(f"  {name:10s} batch {big}: {t_big:7.2f} s   batch 64: {t_64:7.2f} s   ratio {t_big / t_64:.2f}")


if __name__ == "__main__":
    main()

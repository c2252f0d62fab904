#!/usr/bin/python3
"""Reference values for tests/torch/optim_test.cpp, from PyTorch's own optimisers.

Run with Debian's interpreter (python3-torch 1.13):
    /usr/bin/python3 tests/torch/optim_reference.py > tests/torch/data/optim_reference.json

Adadelta: parameters of float64 are optimised for a few steps on a fixed, non-quadratic loss
(so the gradients depend on the trajectory); every step's parameters are recorded.
StepLR / MultiStepLR: the learning rate after each scheduler.step() (one per epoch).
"""
import json
import math

import torch

INITIAL = [0.5, -1.25, 2.0, 0.0, -0.3, 3.7]
TARGET = [1.0, 0.5, -2.0, 0.25, 0.0, 3.0]
WEIGHT = [1.0, 2.0, 0.5, 4.0, 1.5, 0.1]
STEPS = 12


def loss_fn(p):
    t = torch.tensor(TARGET, dtype=torch.float64)
    w = torch.tensor(WEIGHT, dtype=torch.float64)
    return (w * (p - t) ** 2).sum() + torch.cos(p).sum()


def adadelta_case(options):
    p = torch.tensor(INITIAL, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.Adadelta([p], **options)
    trajectory = []
    for _ in range(STEPS):
        opt.zero_grad()
        loss_fn(p).backward()
        opt.step()
        trajectory.append([float(v) for v in p.detach()])
    return {"options": options, "trajectory": trajectory}


def lr_sequence(make_scheduler, epochs):
    p = torch.zeros(1, requires_grad=True)
    opt = torch.optim.SGD([p], lr=1.0)
    sched = make_scheduler(opt)
    lrs = []
    for _ in range(epochs):
        opt.step()
        sched.step()
        lrs.append(opt.param_groups[0]["lr"])
    return lrs


def main():
    out = {
        "generator": "tests/torch/optim_reference.py",
        "torch_version": torch.__version__,
        "initial": INITIAL,
        "target": TARGET,
        "weight": WEIGHT,
        "loss": "sum(weight * (p - target)^2) + sum(cos(p))",
        "adadelta": [
            adadelta_case({"lr": 1.0, "rho": 0.9, "eps": 1e-6, "weight_decay": 0.0}),
            adadelta_case({"lr": 0.5, "rho": 0.8, "eps": 1e-4, "weight_decay": 0.1}),
            adadelta_case({"lr": 30.0, "rho": 0.95, "eps": 1e-6, "weight_decay": 0.0}),
        ],
        "step_lr": {"step_size": 1, "gamma": 0.7,
                    "lrs": lr_sequence(lambda o: torch.optim.lr_scheduler.StepLR(o, 1, gamma=0.7), 6)},
        "step_lr_3": {"step_size": 3, "gamma": 0.5,
                      "lrs": lr_sequence(lambda o: torch.optim.lr_scheduler.StepLR(o, 3, gamma=0.5), 8)},
        "multi_step_lr": {"milestones": [3, 5], "gamma": 0.1,
                          "lrs": lr_sequence(lambda o: torch.optim.lr_scheduler.MultiStepLR(o, [3, 5], gamma=0.1), 7)},
    }
    assert all(math.isfinite(v) for case in out["adadelta"] for row in case["trajectory"] for v in row)
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()

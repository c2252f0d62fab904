#!/usr/bin/env python3
"""A stand-in for your own training script, used by README.md's first study of your own
(examples/my-study.toml): logistic regression trained by SGD on a fixed synthetic
two-class problem, standard library only. It takes the hyperparameters greentune mutates
on its command line and prints the line the study file's metric_regex reads:

    python3 train.py --lr 0.1 --epochs 20
    ...
    Test accuracy: 0.9125
"""
import argparse
import math
import random


def make_data(rng, n, weights):
    data = []
    for _ in range(n):
        x = [rng.gauss(0.0, 1.0) for _ in weights]
        margin = sum(w * v for w, v in zip(weights, x)) + rng.gauss(0.0, 0.3)
        data.append((x, 1 if margin > 0 else 0))
    return data


def predict(w, b, x):
    z = b + sum(wi * xi for wi, xi in zip(w, x))
    z = max(-60.0, min(60.0, z))
    return 1.0 / (1.0 + math.exp(-z))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lr", type=float, default=0.1)
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    data_rng = random.Random(2026)  # the same problem for every run
    true_w = [data_rng.uniform(-1.0, 1.0) for _ in range(8)]
    train = make_data(data_rng, 800, true_w)
    test = make_data(data_rng, 400, true_w)

    rng = random.Random(args.seed)
    w, b = [0.0] * len(true_w), 0.0
    for epoch in range(1, args.epochs + 1):
        rng.shuffle(train)
        loss = 0.0
        for x, y in train:
            p = predict(w, b, x)
            loss -= math.log(max(p, 1e-12)) if y else math.log(max(1.0 - p, 1e-12))
            g = p - y
            w = [wi - args.lr * g * xi for wi, xi in zip(w, x)]
            b -= args.lr * g
        print(f"epoch {epoch}: train loss {loss / len(train):.4f}")
    correct = sum((predict(w, b, x) > 0.5) == bool(y) for x, y in test)
    print(f"Test accuracy: {correct / len(test):.4f}")


if __name__ == "__main__":
    main()

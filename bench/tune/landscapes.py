#!/usr/bin/python3 -S
"""Synthetic tune landscapes with known truth (bench/tune/README in docs/tune.md).

Each landscape maps (epochs, lr, wd) to a true energy (J) and a true performance (higher is
better); a run adds seeded noise. As a command (what greentune tune runs):

    landscapes.py NAME EPOCHS LR WD

it adds the run's energy to a fake RAPL counter under $GREENTUNE_POWERCAP_ROOT (so greentune's
own RAPL meter measures it) and prints {"performance": p}. Noise is seeded by
$LANDSCAPE_SEED and $GREENTUNE_RUN_ID. Imported, it gives the truth and the same noise model
to the baselines (bench/tune/compare.py).
"""
import json
import math
import os
import random
import sys
import time

DEFAULTS = {"epochs": 20, "lr": 0.01, "wd": 1e-4}
# The tune operators' default ranges: epochs [0.75d, 1.25d], lr [d/10, 10d], weight_decay [d/5, 3d].
SPACE = {"epochs": (15, 25, "int"), "lr": (0.001, 0.1, "log"), "wd": (2e-5, 3e-4, "log")}


def _coords(epochs, lr, wd):
    return (epochs - 20) / 5.0, math.log10(lr / 0.01), math.log10(wd / 1e-4)


def interact(epochs, lr, wd):
    """lr and wd interact in performance; energy grows with epochs and lr."""
    t, a, b = _coords(epochs, lr, wd)
    energy = 40.0 * epochs * (1 + 0.15 * a) * (1 - 0.1 * b)
    perf = 0.92 - 0.03 * (a - 0.3 + 0.5 * b) ** 2 - 0.6 * math.exp(-epochs * (0.15 + 0.1 * a))
    return energy, perf


def narrow(epochs, lr, wd):
    """A narrow feasible ridge: fewer epochs need a matching higher lr."""
    t, a, b = _coords(epochs, lr, wd)
    energy = 40.0 * epochs * (1 + 0.1 * a) * (1 + 0.02 * b)
    perf = 0.92 - 0.25 * (a + 0.7 * t) ** 2 + 0.02 * t - 0.01 * b * b
    return energy, perf


def noisy(epochs, lr, wd):
    """Like interact, with three times the performance noise."""
    return interact(epochs, lr, wd)


# Landscapes with learning curves: metric(t) after epoch t of a run of EPOCHS epochs, and the
# energy of one epoch. A run reports one metric per epoch ({"greentune": "report", "epoch": t,
# "metric": m}) and adds each epoch's energy to the counter as it goes, so a run stopped early
# used only the epochs it trained. The final performance is metric(EPOCHS).
CHANCE = 0.1


def _curve_interact(epochs, lr, wd, t):
    """interact as a curve; a learning rate far too high for its weight decay never learns."""
    _, a, b = _coords(epochs, lr, wd)
    if a - 0.5 * b > 0.75:  # lr above ~0.056 at the default wd: stuck at chance from epoch 1
        return CHANCE + 0.01 * (1 - math.exp(-t))
    return 0.92 - 0.03 * (a - 0.3 + 0.5 * b) ** 2 - 0.6 * math.exp(-t * (0.15 + 0.1 * a))


def _energy_interact(epochs, lr, wd):
    _, a, b = _coords(epochs, lr, wd)
    return 40.0 * (1 + 0.15 * a) * (1 - 0.1 * b)


def _curve_crossing(epochs, lr, wd, t):
    """The misleading shape: a higher learning rate starts faster and ends worse, so curves
    cross; the best final metric needs a lower lr and more patience."""
    _, a, b = _coords(epochs, lr, wd)
    top = 0.93 - 0.04 * (a + 0.3) ** 2 - 0.01 * b * b
    rate = 0.08 + 0.12 * (a + 1)  # 0.08 (lr 0.001) to 0.32 (lr 0.1) per epoch
    return top - (top - CHANCE) * math.exp(-rate * t)


def _energy_crossing(epochs, lr, wd):
    _, a, b = _coords(epochs, lr, wd)
    return 40.0 * (1 + 0.05 * a)


def _curve_stall(epochs, lr, wd, t):
    """A weight decay above ~1.6e-4 stalls training on a plateau that shows by epoch 2-4."""
    _, a, b = _coords(epochs, lr, wd)
    top = 0.92 - 0.02 * (a - 0.2) ** 2
    if b > 0.2:
        top -= 1.5 * (b - 0.2)  # up to -0.55 at wd 3e-4
    return top - (top - CHANCE) * math.exp(-(0.25 + 0.05 * a) * t)


def _energy_stall(epochs, lr, wd):
    _, a, b = _coords(epochs, lr, wd)
    return 40.0 * (1 + 0.1 * a) * (1 + 0.05 * b)


CURVES = {"curves": (_curve_interact, _energy_interact), "crossing": (_curve_crossing, _energy_crossing),
          "stall": (_curve_stall, _energy_stall)}


def _from_curve(name):
    curve, per_epoch = CURVES[name]
    return lambda epochs, lr, wd: (per_epoch(epochs, lr, wd) * epochs, curve(epochs, lr, wd, epochs))


LANDSCAPES = {"interact": interact, "narrow": narrow, "noisy": noisy}
LANDSCAPES.update({name: _from_curve(name) for name in CURVES})
PERF_SD = {"interact": 0.002, "narrow": 0.002, "noisy": 0.006, "curves": 0.002, "crossing": 0.002, "stall": 0.002}
ENERGY_CV = 0.02
MARGIN = 0.01


def observe(name, epochs, lr, wd, rng):
    e, p = LANDSCAPES[name](epochs, lr, wd)
    return e * (1 + ENERGY_CV * rng.gauss(0, 1)), p + PERF_SD[name] * rng.gauss(0, 1)


def observe_curve(name, epochs, lr, wd, rng):
    """[(epoch, metric, energy of that epoch)] of one run: noise on every epoch's metric (sd as
    the final metric's) and energy (cv 2%), drawn in epoch order from rng."""
    curve, per_epoch = CURVES[name]
    out = []
    for t in range(1, epochs + 1):
        m = curve(epochs, lr, wd, t) + PERF_SD[name] * rng.gauss(0, 1)
        out.append((t, m, per_epoch(epochs, lr, wd) * (1 + ENERGY_CV * rng.gauss(0, 1))))
    return out


def grid():
    los = {k: v for k, v in SPACE.items()}
    n = 61
    for epochs in range(15, 26):
        for i in range(n):
            lr = math.exp(math.log(0.001) + i / (n - 1) * (math.log(0.1) - math.log(0.001)))
            for j in range(n):
                wd = math.exp(math.log(2e-5) + j / (n - 1) * (math.log(3e-4) - math.log(2e-5)))
                yield epochs, lr, wd


def truth(name):
    """(original energy, original performance, constrained optimum energy) on a dense grid."""
    f = LANDSCAPES[name]
    e0, p0 = f(**DEFAULTS)
    best = e0
    for epochs, lr, wd in grid():
        e, p = f(epochs, lr, wd)
        if p >= p0 - MARGIN and e < best:
            best = e
    return e0, p0, best


def main():
    name, epochs, lr, wd = sys.argv[1], int(float(sys.argv[2])), float(sys.argv[3]), float(sys.argv[4])
    seed = "%s-%s-%s" % (os.environ.get("LANDSCAPE_SEED", "0"), os.environ.get("GREENTUNE_RUN_ID", "0"), name)
    rng = random.Random(seed)
    counter = os.path.join(os.environ["GREENTUNE_POWERCAP_ROOT"], "intel-rapl:0", "energy_uj")

    def spend(joules):
        with open(counter, "r+") as fh:
            now = int(fh.read().strip())
            fh.seek(0)
            # Energies are in mJ on the counter (x 1e-3): a run takes ~0.05 s, and greentune's RAPL
            # meter rejects jumps above 1000 W as implausible. Gaps are relative, so the scale is moot.
            fh.write("%20d\n" % (now + int(round(joules * 1e3))))

    if name in CURVES:
        # One report per epoch, its energy spent first; LANDSCAPE_EPOCH_S of wall time per epoch
        # lets the runner see the curve while the run goes on (and stop it).
        pause = float(os.environ.get("LANDSCAPE_EPOCH_S", "0.01"))
        p = None
        for t, p, e in observe_curve(name, epochs, lr, wd, rng):
            spend(e)
            time.sleep(pause)
            print(json.dumps({"greentune": "report", "epoch": t, "metric": p}), flush=True)
        print(json.dumps({"performance": p}))
        return
    e, p = observe(name, epochs, lr, wd, rng)
    spend(e)
    print(json.dumps({"performance": p}))


if __name__ == "__main__":
    main()

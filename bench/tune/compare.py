#!/usr/bin/python3
"""Benchmark: greentune tune vs random search vs Optuna's TPE on the synthetic landscapes.

    /usr/bin/python3 bench/tune/compare.py --greentune build/greentune [--seeds 20] [--budget 40]

Every method gets the same number of runs (the original's runs included). Random search and
TPE recommend the configuration with the lowest observed energy whose observed performance is
at least the original's observed mean minus the margin (as a user of those tools would);
greentune tune recommends what its confirmation accepted (or the original). Scored on the
truth: gap = (true energy of the recommendation - true constrained optimum) / optimum, and a
violation = true performance below the original's true performance minus the margin.
Prints a Markdown table and writes the raw results as JSON (--out).
"""
import argparse
import json
import math
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import landscapes as L  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))


def sample(rng):
    lo, hi, _ = L.SPACE["epochs"]
    e = rng.randint(lo, hi)
    lr = math.exp(rng.uniform(math.log(0.001), math.log(0.1)))
    wd = math.exp(rng.uniform(math.log(2e-5), math.log(3e-4)))
    return e, lr, wd


def recommend(original_obs, trials):
    p0 = statistics.mean(p for _, p in original_obs)
    best = None
    for cfg, (e, p) in trials:
        if p >= p0 - L.MARGIN and (best is None or e < best[1]):
            best = (cfg, e)
    return best[0] if best else (L.DEFAULTS["epochs"], L.DEFAULTS["lr"], L.DEFAULTS["wd"])


def run_random(name, seed, budget, n_orig=3):
    rng = random.Random("random-%d" % seed)
    noise = random.Random("noise-random-%s-%d" % (name, seed))
    d = (L.DEFAULTS["epochs"], L.DEFAULTS["lr"], L.DEFAULTS["wd"])
    orig = [L.observe(name, *d, noise) for _ in range(n_orig)]
    trials = []
    for _ in range(budget - n_orig):
        cfg = sample(rng)
        trials.append((cfg, L.observe(name, *cfg, noise)))
    return recommend(orig, trials)


def run_tpe(name, seed, budget, n_orig=3):
    import optuna
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    noise = random.Random("noise-tpe-%s-%d" % (name, seed))
    d = (L.DEFAULTS["epochs"], L.DEFAULTS["lr"], L.DEFAULTS["wd"])
    orig = [L.observe(name, *d, noise) for _ in range(n_orig)]
    p0 = statistics.mean(p for _, p in orig)

    def constraints(trial):
        return [trial.user_attrs["threshold_gap"]]

    sampler = optuna.samplers.TPESampler(seed=seed, constraints_func=constraints)
    study = optuna.create_study(direction="minimize", sampler=sampler)
    trials = []

    def objective(trial):
        cfg = (trial.suggest_int("epochs", 15, 25), trial.suggest_float("lr", 0.001, 0.1, log=True),
               trial.suggest_float("wd", 2e-5, 3e-4, log=True))
        e, p = L.observe(name, *cfg, noise)
        trial.set_user_attr("threshold_gap", (p0 - L.MARGIN) - p)
        trials.append((cfg, (e, p)))
        return e

    study.optimize(objective, n_trials=budget - n_orig)
    return recommend(orig, trials)


TUNE_FILE = """name = "bench-{name}"
meter = "rapl"
cooldown = 0
governor = "keep"
run_timeout_s = 60
[tune]
objective = "cpu_package"
margin = {margin}
alpha = 0.05
budget_runs = {budget}
seed = {seed}
[[models]]
name = "{name}"
command = "/usr/bin/python3 -S {here}/landscapes.py {name} {{epochs}} {{lr}} {{wd}}"
result = "json-lines"
metric_key = "performance"
metric = "performance"
operators = ["epochs", "lr", {{hyperparameter = "wd", rule = "weight_decay"}}]
[models.hyperparameters]
epochs = 20
lr = 0.01
wd = 0.0001
"""


def fake_rapl(root):
    z = os.path.join(root, "intel-rapl:0")
    os.makedirs(z)
    with open(os.path.join(z, "name"), "w") as f:
        f.write("package-0\n")
    with open(os.path.join(z, "energy_uj"), "w") as f:
        f.write("%20d\n" % 0)
    with open(os.path.join(z, "max_energy_range_uj"), "w") as f:
        f.write("%d\n" % (1 << 62))


def run_tune(greentune, name, seed, budget):
    with tempfile.TemporaryDirectory(prefix="gt-tune-bench-") as tmp:
        fake_rapl(os.path.join(tmp, "powercap"))
        path = os.path.join(tmp, "tune.toml")
        with open(path, "w") as f:
            f.write(TUNE_FILE.format(name=name, margin=L.MARGIN, budget=budget, seed=seed, here=HERE))
        env = dict(os.environ, GREENTUNE_POWERCAP_ROOT=os.path.join(tmp, "powercap"), LANDSCAPE_SEED=str(seed))
        r = subprocess.run([greentune, "tune", path, "-o", os.path.join(tmp, "run"), "--json", "-q"],
                           env=env, capture_output=True, text=True)
        if r.returncode != 0:
            raise SystemExit("greentune tune failed (%s seed %d): %s" % (name, seed, r.stderr[-2000:]))
        s = json.loads(r.stdout)
        hp = s["recommended"]["hyperparameters"]
        return (int(hp["epochs"]), hp["lr"], hp["wd"]), s


def score(name, cfg, truth):
    e0, p0, best = truth
    e, p = L.LANDSCAPES[name](*cfg)
    return 100 * (e - best) / best, p < p0 - L.MARGIN - 1e-12


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--greentune", required=True)
    ap.add_argument("--seeds", type=int, default=20)
    ap.add_argument("--budget", type=int, default=40)
    ap.add_argument("--landscapes", default="interact,narrow,noisy")
    ap.add_argument("--out", default="")
    a = ap.parse_args()
    results = []
    t_start = time.time()
    for name in a.landscapes.split(","):
        truth = L.truth(name)
        for seed in range(1, a.seeds + 1):
            t0 = time.time()
            cfg, s = run_tune(a.greentune, name, seed, a.budget)
            gap, viol = score(name, cfg, truth)
            results.append({"landscape": name, "seed": seed, "method": "tune", "config": cfg, "gap_percent": gap,
                            "violation": viol, "runs": s["runs"]["total"], "seconds": time.time() - t0,
                            "verdict": s["recommended"]["verdict"]})
            for method, fn in (("random", run_random), ("tpe", run_tpe)):
                t0 = time.time()
                cfg = fn(name, seed, a.budget)
                gap, viol = score(name, cfg, truth)
                results.append({"landscape": name, "seed": seed, "method": method, "config": cfg,
                                "gap_percent": gap, "violation": viol, "runs": a.budget,
                                "seconds": time.time() - t0})
            print("%s seed %d done (%.0f s so far)" % (name, seed, time.time() - t_start), file=sys.stderr)
    print("| landscape | method | median gap % | mean gap % | violations | median runs | median s |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for name in a.landscapes.split(","):
        for method in ("tune", "random", "tpe"):
            rows = [r for r in results if r["landscape"] == name and r["method"] == method]
            gaps = [r["gap_percent"] for r in rows]
            print("| %s | %s | %.1f | %.1f | %d/%d (%.0f%%) | %d | %.2f |" % (
                name, method, statistics.median(gaps), statistics.mean(gaps), sum(r["violation"] for r in rows),
                len(rows), 100.0 * sum(r["violation"] for r in rows) / len(rows),
                statistics.median(r["runs"] for r in rows), statistics.median(r["seconds"] for r in rows)))
    if a.out:
        with open(a.out, "w") as f:
            json.dump({"budget": a.budget, "seeds": a.seeds, "margin": L.MARGIN, "results": results}, f, indent=1)


if __name__ == "__main__":
    main()

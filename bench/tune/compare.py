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

    /usr/bin/python3 bench/tune/compare.py --greentune build/greentune --curves [--seeds 20] \
        [--budget 40] [--budget-j 16000]

compares, on the landscapes with learning curves, greentune tune with pruning, tune without
pruning, and Optuna's TPE with its Hyperband pruner, once at an equal run budget and once at an
equal joule budget (each method's search energy, the original's runs and tune's confirmation
included). TPE + Hyperband recommends as TPE does, among trials that trained to the end.
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


def run_tpe_hyperband(name, seed, budget_runs=None, budget_j=None, n_orig=3):
    """Optuna's TPE with its Hyperband pruner on a landscape with learning curves, in process:
    each trial trains epoch by epoch, reports the error (1 - metric, minimised like the study's
    energy) and stops when the pruner says so; the energy of the epochs it trained counts. The
    budget is trials (the original's runs included) or joules (a trial starts while the energy
    spent is below it). Returns (recommendation, runs, pruned runs, energy spent)."""
    import optuna
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    noise = random.Random("noise-tpehb-%s-%d" % (name, seed))
    d = (L.DEFAULTS["epochs"], L.DEFAULTS["lr"], L.DEFAULTS["wd"])
    spent = [0.0]
    orig = []
    for _ in range(n_orig):
        curve = L.observe_curve(name, *d, noise)
        spent[0] += sum(e for _, _, e in curve)
        orig.append((sum(e for _, _, e in curve), curve[-1][1]))
    p0 = statistics.mean(p for _, p in orig)

    def constraints(trial):
        return [trial.user_attrs.get("threshold_gap", 1.0)]

    sampler = optuna.samplers.TPESampler(seed=seed, constraints_func=constraints)
    lo, hi, _ = L.SPACE["epochs"]
    pruner = optuna.pruners.HyperbandPruner(min_resource=1, max_resource=hi, reduction_factor=3)
    study = optuna.create_study(direction="minimize", sampler=sampler, pruner=pruner)
    trials, pruned = [], [0]

    def objective(trial):
        cfg = (trial.suggest_int("epochs", lo, hi), trial.suggest_float("lr", 0.001, 0.1, log=True),
               trial.suggest_float("wd", 2e-5, 3e-4, log=True))
        energy = 0.0
        for t, m, e in L.observe_curve(name, *cfg, noise):
            energy += e
            spent[0] += e
            trial.report(1.0 - m, t)
            if trial.should_prune():
                pruned[0] += 1
                trial.set_user_attr("threshold_gap", 1.0)
                raise optuna.TrialPruned()
        trial.set_user_attr("threshold_gap", (p0 - L.MARGIN) - m)
        trials.append((cfg, (energy, m)))
        return energy

    n = 0
    while True:
        if budget_runs is not None and n_orig + n >= budget_runs:
            break
        if budget_j is not None and spent[0] >= budget_j:
            break
        study.optimize(objective, n_trials=1)
        n += 1
    return recommend(orig, trials), n_orig + n, pruned[0], spent[0]


TUNE_FILE = """name = "bench-{name}-{seed}"
meter = "rapl"
cooldown = 0
governor = "keep"
run_timeout_s = 60
[tune]
objective = "cpu_package"
margin = {margin}
alpha = 0.05
{budget_lines}
seed = {seed}
{prune_line}
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


def run_tune(greentune, name, seed, budget, budget_j=None, prune=None):
    """budget: runs (None with budget_j: joules only); prune: None (tune's default), True, False."""
    lines = []
    if budget is not None:
        lines.append("budget_runs = %d" % budget)
    if budget_j is not None:  # the landscapes put joules on the fake counter as mJ (landscapes.py)
        lines.append("budget_j = %r" % (float(budget_j) * 1e-3))
    prune_line = "" if prune is None else "prune = %s" % ("true" if prune else "false")
    with tempfile.TemporaryDirectory(prefix="gt-tune-bench-") as tmp:
        fake_rapl(os.path.join(tmp, "powercap"))
        path = os.path.join(tmp, "tune.toml")
        with open(path, "w") as f:
            f.write(TUNE_FILE.format(name=name, margin=L.MARGIN, budget_lines="\n".join(lines), seed=seed, here=HERE,
                                     prune_line=prune_line))
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


def curves_main(a):
    """Tune with pruning, tune without, and TPE + Hyperband on the landscapes with learning
    curves, at an equal run budget (--budget) and at an equal joule budget (--budget-j)."""
    results = []
    t_start = time.time()
    names = a.landscapes.split(",")
    for name in names:
        truth = L.truth(name)
        for seed in range(1, a.seeds + 1):
            for mode, runs_b, joules_b in (("runs", a.budget, None), ("joules", None, a.budget_j)):
                for method, prune in (("tune-prune", True), ("tune-noprune", False)):
                    t0 = time.time()
                    cfg, s = run_tune(a.greentune, name, seed, runs_b, joules_b, prune)
                    gap, viol = score(name, cfg, truth)
                    results.append({"landscape": name, "seed": seed, "budget": mode, "method": method, "config": cfg,
                                    "gap_percent": gap, "violation": viol, "runs": s["runs"]["total"],
                                    "pruned": s["runs"]["by_status"].get("pruned", 0),
                                    "energy_j": s["search_energy_j"] * 1e3,  # the counter's mJ are landscape J
                                    "seconds": time.time() - t0, "verdict": s["recommended"]["verdict"]})
                t0 = time.time()
                cfg, n, pruned, spent = run_tpe_hyperband(name, seed, runs_b, joules_b)
                gap, viol = score(name, cfg, truth)
                results.append({"landscape": name, "seed": seed, "budget": mode, "method": "tpe-hyperband",
                                "config": cfg, "gap_percent": gap, "violation": viol, "runs": n, "pruned": pruned,
                                "energy_j": spent, "seconds": time.time() - t0})
            print("%s seed %d done (%.0f s so far)" % (name, seed, time.time() - t_start), file=sys.stderr)
    print("| landscape | budget | method | median gap % | mean gap % | violations | median runs | median pruned "
          "| median energy kJ |")
    print("|---|---|---|---:|---:|---:|---:|---:|---:|")
    for name in names:
        for mode in ("runs", "joules"):
            for method in ("tune-prune", "tune-noprune", "tpe-hyperband"):
                rows = [r for r in results if r["landscape"] == name and r["budget"] == mode and r["method"] == method]
                gaps = [r["gap_percent"] for r in rows]
                v = sum(r["violation"] for r in rows)
                print("| %s | %s | %s | %.1f | %.1f | %d/%d (%.0f%%) | %g | %g | %.1f |" % (
                    name, "%d runs" % a.budget if mode == "runs" else "%.0f kJ" % (a.budget_j / 1e3), method,
                    statistics.median(gaps), statistics.mean(gaps), v, len(rows), 100.0 * v / len(rows),
                    statistics.median(r["runs"] for r in rows), statistics.median(r["pruned"] for r in rows),
                    statistics.median(r["energy_j"] for r in rows) / 1e3))
    if a.out:
        with open(a.out, "w") as f:
            json.dump({"budget": a.budget, "budget_j": a.budget_j, "seeds": a.seeds, "margin": L.MARGIN,
                       "results": results}, f, indent=1)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--greentune", required=True)
    ap.add_argument("--seeds", type=int, default=20)
    ap.add_argument("--budget", type=int, default=40)
    ap.add_argument("--landscapes", default="interact,narrow,noisy")
    ap.add_argument("--out", default="")
    ap.add_argument("--curves", action="store_true",
                    help="landscapes with learning curves (default curves,crossing,stall): tune with and without "
                         "pruning and TPE + Hyperband, at equal run and joule budgets")
    ap.add_argument("--budget-j", type=float, default=16000.0, help="the joule budget with --curves")
    a = ap.parse_args()
    if a.curves:
        if a.landscapes == "interact,narrow,noisy":
            a.landscapes = "curves,crossing,stall"
        curves_main(a)
        return
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

#!/usr/bin/python3
"""Generate a synthetic runs file (interchange CSV) for bench/analyze.sh.

    /usr/bin/python3 bench/analyze_generate.py RUNS OUT.csv [--reps 5] [--seed 1]

Shape of a real study, scaled by the number of models: each model has an original and
5 mutants of each of epochs, lr and gamma (16 configurations), `reps` repetitions of each,
in the single scenario and beside one co-runner (parallel). Energy grows with epochs (and
more beside a co-runner), lr and gamma barely matter; performance rises with epochs.
"""
import argparse
import random

ap = argparse.ArgumentParser()
ap.add_argument("runs", type=int)
ap.add_argument("out")
ap.add_argument("--reps", type=int, default=5)
ap.add_argument("--seed", type=int, default=1)
args = ap.parse_args()
rng = random.Random(args.seed)

per_model = 2 * 16 * args.reps
models = max(1, args.runs // per_model)
EPOCHS = [14, 11, 12, 13, 16, 17]
LR = [1.0, 0.2, 0.5, 2.0, 4.0, 8.0]
GAMMA = [0.7, 0.2, 0.4, 1.0, 1.5, 2.0]
written = 0
with open(args.out, "w") as f:
    f.write("model,scenario,corunner,operator,repetition,hp.epochs,hp.lr,hp.gamma,"
            "cpu_package_j,dram_j,gpu_j,duration_s,performance,status,cpu_package_source\n")
    for m in range(models):
        name = f"model{m:05d}"
        base = rng.uniform(500, 5000)
        configs = [("original", EPOCHS[0], LR[0], GAMMA[0])]
        configs += [("epochs", e, LR[0], GAMMA[0]) for e in EPOCHS[1:]]
        configs += [("lr", EPOCHS[0], v, GAMMA[0]) for v in LR[1:]]
        configs += [("gamma", EPOCHS[0], LR[0], v) for v in GAMMA[1:]]
        for scenario, corunner, factor in (("single", "", 1.0), ("parallel", "corunner", 1.35)):
            for op, e, lr, g in configs:
                for rep in range(args.reps):
                    if written >= args.runs:
                        break
                    cpu = base * e / 14 * factor * rng.gauss(1, 0.03)
                    dram = cpu * 0.12 * rng.gauss(1, 0.05)
                    gpu = base * 1.5 * e / 14 * factor * rng.gauss(1, 0.03)
                    dur = base / 20 * e / 14 * factor * rng.gauss(1, 0.02)
                    perf = 0.9 + 0.004 * (e - 14) - 0.01 * abs(lr - 1.0) / 8 + rng.gauss(0, 0.004)
                    f.write(f"{name},{scenario},{corunner},{op},{rep},{e},{lr!r},{g!r},{cpu!r},{dram!r},"
                            f"{gpu!r},{dur!r},{perf!r},succeeded,rapl\n")
                    written += 1
print(f"{args.out}: {written} runs, {models} models")

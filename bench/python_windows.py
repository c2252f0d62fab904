#!/usr/bin/env python3
"""Cost of opening and closing a greentune.Meter window from Python (docs/python.md).

    PYTHONPATH=build/python /usr/bin/python3 bench/python_windows.py [N]

For each configuration: N windows (`with meter.window("w"): pass`) in 5 rounds; prints the
median over rounds of the mean cost per window, and the 50th/99th percentile of single
windows timed one by one (perf_counter_ns around each `with`, timer cost included)."""

import os
import statistics
import sys
import tempfile
import time

import greentune


def fake_powercap(root):
    for rel, name in (("intel-rapl:0", "package-0"), ("intel-rapl:0/intel-rapl:0:0", "dram")):
        os.makedirs(os.path.join(root, rel), exist_ok=True)
        for fname, text in (("name", name), ("max_energy_range_uj", "262143328850"), ("energy_uj", "1000000")):
            with open(os.path.join(root, rel, fname), "w") as f:
                f.write(text + "\n")
    return root


def bench(meter, n, **window_kw):
    for _ in range(min(n, 2000)):
        with meter.window("w", **window_kw):
            pass
    rounds = []
    for _ in range(5):
        t = time.perf_counter()
        for _ in range(n):
            with meter.window("w", **window_kw):
                pass
        rounds.append((time.perf_counter() - t) / n)
    singles = []
    clock = time.perf_counter_ns
    for _ in range(n):
        t = clock()
        with meter.window("w", **window_kw):
            pass
        singles.append(clock() - t)
    singles.sort()
    return statistics.median(rounds) * 1e6, singles[len(singles) // 2] / 1e3, singles[int(len(singles) * 0.99)] / 1e3


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 20000
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, load average "
          f"{os.getloadavg()[0]:.2f}, {n} windows per round")
    print(f"{'configuration':58} {'mean us':>8} {'p50 us':>8} {'p99 us':>8}")
    with tempfile.TemporaryDirectory() as tmp:
        root = fake_powercap(os.path.join(tmp, "powercap"))
        cases = [
            ("estimate meter, clock-read edges (default)", dict(meter="estimate"), {}),
            ("estimate meter, clock-read edges, sync=no-op callable", dict(meter="estimate"), dict(sync=lambda: None)),
            ("rapl (fake powercap files), clock-read edges", dict(meter="rapl", powercap_root=root), {}),
            ("rapl (fake powercap files), sample_at_edges", dict(meter="rapl", powercap_root=root),
             dict(sample_at_edges=True)),
            ("estimate meter, sample_at_edges (reads /proc/stat)", dict(meter="estimate"),
             dict(sample_at_edges=True)),
        ]
        for label, meter_kw, window_kw in cases:
            with greentune.Meter(sample_interval=0.1, **meter_kw) as m:
                mean, p50, p99 = bench(m, n, **window_kw)
            print(f"{label:58} {mean:8.2f} {p50:8.2f} {p99:8.2f}")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""GPU energy agreement for the device check.

Runs a CUDA workload (about 20 s of matrix products) under `greentune measure --meter nvml`,
while this script reads NVML's total-energy counter itself (pynvml, GPU 0) before and after,
and samples `nvidia-smi power.draw` every 100 ms to integrate over the real timestamps.
Prints the three figures and greentune's deviation in percent.
"""
import json, subprocess, sys, time

import pynvml

WORKLOAD = r"""
import torch, time
a = torch.randn(8192, 8192, device='cuda'); b = torch.randn(8192, 8192, device='cuda')
torch.cuda.synchronize(); t = time.time()
while time.time() - t < 20:
    for _ in range(20): c = a @ b
    torch.cuda.synchronize()
"""


def main():
    bin_path, out = sys.argv[1], sys.argv[2]
    pynvml.nvmlInit()
    h = pynvml.nvmlDeviceGetHandleByIndex(0)
    smi = subprocess.Popen(["nvidia-smi", "--query-gpu=timestamp,power.draw", "--format=csv,noheader,nounits",
                            "-lms", "100"], stdout=subprocess.PIPE, text=True)
    time.sleep(1.0)
    e0 = pynvml.nvmlDeviceGetTotalEnergyConsumption(h)  # mJ
    t0 = time.time()
    r = subprocess.run([bin_path, "measure", "--meter", "nvml", "--json", "--", sys.executable, "-c", WORKLOAD],
                       capture_output=True, text=True)
    e1 = pynvml.nvmlDeviceGetTotalEnergyConsumption(h)
    t1 = time.time()
    time.sleep(0.5)
    smi.terminate()
    samples = []
    for line in smi.stdout.read().splitlines():
        try:
            ts, w = line.split(",")
            samples.append((time.mktime(time.strptime(ts.strip().split(".")[0], "%Y/%m/%d %H:%M:%S"))
                            + float("0." + ts.strip().split(".")[1]), float(w)))
        except ValueError:
            pass
    open(f"{out}/measure.json", "w").write(r.stdout)
    if r.returncode != 0:
        print("greentune measure failed:", r.returncode, r.stderr[-2000:])
        return 1
    m = json.loads(r.stdout)["measurement"]
    gpu = next(d for d in m["domains"] if d["domain"] == "gpu")
    ours = gpu["joules"]
    nvml_j = (e1 - e0) / 1000.0
    window = [(t, w) for t, w in samples if t0 <= t <= t1]
    smi_j = sum((t2 - t1_) * (w1 + w2) / 2 for (t1_, w1), (t2, w2) in zip(window, window[1:]))
    print(f"gpu energy: greentune {ours:.1f} J ({gpu['source']}, {m['duration_s']:.2f} s window); "
          f"NVML counter (pynvml, wider window {t1 - t0:.2f} s) {nvml_j:.1f} J; "
          f"nvidia-smi power integrated {smi_j:.1f} J over {len(window)} samples")
    print(f"deviation vs NVML counter: {100 * (ours - nvml_j) / nvml_j:+.2f} %; "
          f"vs nvidia-smi integration: {100 * (ours - smi_j) / smi_j:+.2f} %")
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""GPU energy agreement for the device check (scripts/gpu-check.sh, CUDA only).

Runs a CUDA workload (about 20 s of matrix products) under `greentune measure --meter nvml`.
Around it, this script reads three references of the same GPU (index 0):
  - NVML's total-energy counter itself (pynvml), before and after;
  - Zeus's ZeusMonitor window (`zeus` on PyPI, carried as a wheel by gpu-prepare.sh), when it imports;
  - nvidia-smi power.draw sampled every 100 ms, integrated over the real timestamps.
Each reference window encloses greentune's (which spans the child process only), so a
reference is expected to read slightly more; the windows' lengths are printed beside.
Prints the figures and greentune's deviation from each in percent; exit 1 if greentune failed.
"""
import json
import subprocess
import sys
import time

import pynvml

WORKLOAD = r"""
import torch, time
a = torch.randn(8192, 8192, device='cuda'); b = torch.randn(8192, 8192, device='cuda')
torch.cuda.synchronize(); t = time.time()
while time.time() - t < 20:
    for _ in range(20): c = a @ b
    torch.cuda.synchronize()
"""


def smi_samples(text):
    samples = []
    for line in text.splitlines():
        try:
            ts, w = line.split(",")
            day, frac = ts.strip().split(".")
            samples.append((time.mktime(time.strptime(day, "%Y/%m/%d %H:%M:%S")) + float("0." + frac), float(w)))
        except ValueError:
            pass
    return samples


def main():
    bin_path, out = sys.argv[1], sys.argv[2]
    pynvml.nvmlInit()
    h = pynvml.nvmlDeviceGetHandleByIndex(0)
    try:
        from zeus.monitor import ZeusMonitor
        zeus = ZeusMonitor(gpu_indices=[0])
    except Exception as e:  # reported, not fatal: the NVML comparison still stands
        print(f"zeus: unavailable ({type(e).__name__}: {e})")
        zeus = None
    smi = subprocess.Popen(["nvidia-smi", "--query-gpu=timestamp,power.draw", "--format=csv,noheader,nounits",
                            "-lms", "100"], stdout=subprocess.PIPE, text=True)
    time.sleep(1.0)
    e0 = pynvml.nvmlDeviceGetTotalEnergyConsumption(h)  # mJ
    t0 = time.time()
    if zeus:
        zeus.begin_window("gpu-check", sync_execution=False)
    r = subprocess.run([bin_path, "measure", "--meter", "nvml", "--json", "--", sys.executable, "-c", WORKLOAD],
                       capture_output=True, text=True)
    zeus_m = zeus.end_window("gpu-check", sync_execution=False) if zeus else None
    e1 = pynvml.nvmlDeviceGetTotalEnergyConsumption(h)
    t1 = time.time()
    time.sleep(0.5)
    smi.terminate()
    samples = smi_samples(smi.stdout.read())
    open(f"{out}/measure.json", "w").write(r.stdout)
    if r.returncode != 0:
        print("greentune measure failed:", r.returncode, r.stderr[-2000:])
        return 1
    m = json.loads(r.stdout)["measurement"]
    gpu = next(d for d in m["domains"] if d["domain"] == "gpu")
    ours = gpu["joules"]
    nvml_j = (e1 - e0) / 1000.0
    window = [(t, w) for t, w in samples if t0 <= t <= t1]
    smi_j = sum((tb - ta) * (wa + wb) / 2 for (ta, wa), (tb, wb) in zip(window, window[1:]))
    print(f"gpu energy: greentune {ours:.1f} J ({gpu['source']}, {m['duration_s']:.2f} s window); "
          f"NVML counter {nvml_j:.1f} J ({t1 - t0:.2f} s window); "
          f"nvidia-smi power integrated {smi_j:.1f} J over {len(window)} samples")
    print(f"deviation vs NVML counter: {100 * (ours - nvml_j) / nvml_j:+.2f} %; "
          f"vs nvidia-smi integration: {100 * (ours - smi_j) / smi_j:+.2f} %")
    if zeus_m is not None:
        zj = zeus_m.gpu_energy[0]
        print(f"zeus: ZeusMonitor {zj:.1f} J ({zeus_m.time:.2f} s window); "
              f"deviation of greentune vs Zeus: {100 * (ours - zj) / zj:+.2f} %")
    return 0


if __name__ == "__main__":
    sys.exit(main())

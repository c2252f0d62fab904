#!/usr/bin/env bash
# The prepared device check for issue 7: run ON a GPU machine lent by the device tool, from
# the repository root, after scripts/gpu-prepare.sh ran here and with .gpu-carry carried:
#   device run: bash scripts/gpu-check.sh      (carry: [".gpu-carry"], timeout ~540 s)
# It builds greentune against the machine's CUDA PyTorch (libtorch inside the torch
# package), trains mnist_cnn and resnet20 on CUDA for a short budget, compares their img/s
# with the same loops in PyTorch Python on the same GPU, runs a 2-mutant study metered by
# NVML, and compares greentune's GPU energy with NVML's total-energy counter read
# independently (pynvml) and with integrated nvidia-smi power samples.
# Everything it finds goes to $OUT (the device tool brings it back) and to stdout.
# GPU_CHECK_DEVICE=cpu runs the same steps on the CPU (to test this script without a GPU).
set -uo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
out="${OUT:-/tmp/greentune-gpu-check}"
mkdir -p "$out"
device="${GPU_CHECK_DEVICE:-cuda}"
python="${PYTHON:-python3}"
log() { echo "[gpu-check $(date -u +%H:%M:%S)] $*" | tee -a "$out/summary.txt"; }

# 1. Dependencies: Debian packages carried as .deb, unpacked into a private prefix.
prefix=/tmp/greentune-prefix
cmake_extra=()
if compgen -G ".gpu-carry/debs/*.deb" >/dev/null; then
  mkdir -p "$prefix"
  for f in .gpu-carry/debs/*.deb; do dpkg -x "$f" "$prefix"; done
  export LD_LIBRARY_PATH="$prefix/usr/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  export CPATH="$prefix/usr/include${CPATH:+:$CPATH}"
  cmake_extra+=("-DCMAKE_PREFIX_PATH=$prefix/usr" "-DCMAKE_LIBRARY_PATH=$prefix/usr/lib/x86_64-linux-gnu")
fi
data="${GREENTUNE_FASHION_MNIST:-}"
if [[ -z "$data" ]]; then
  if [[ -d .gpu-carry/data ]]; then data="$root/.gpu-carry/data"; else data=/usr/share/datasets/fashion-mnist; fi
fi
log "device=$device data=$data python=$($python -c 'import torch,sys; print(sys.version.split()[0], "torch", torch.__version__, "cuda", torch.cuda.is_available())' 2>&1)"
command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,driver_version,power.limit --format=csv,noheader | tee -a "$out/summary.txt"

# 2. Build against the Python package's libtorch (CUDA there, Debian's CPU one here).
build=/tmp/greentune-gpu-build
torch_python=()
[[ "$device" == cuda ]] && torch_python=("-DGREENTUNE_TORCH_FROM_PYTHON=$(command -v "$python")")
gen=(); command -v ninja >/dev/null && gen=(-G Ninja)
if ! cmake -S . -B "$build" "${gen[@]}" -DCMAKE_BUILD_TYPE=Release -DGREENTUNE_BUILD_TESTS=OFF \
      "${torch_python[@]}" "${cmake_extra[@]}" >"$out/cmake.log" 2>&1; then
  log "cmake failed (see cmake.log)"; tail -30 "$out/cmake.log"; exit 1
fi
if ! cmake --build "$build" -j "$(nproc)" >"$out/build.log" 2>&1; then
  log "build failed (see build.log)"; grep -m20 -E "error" "$out/build.log"; exit 1
fi
bin="$build/greentune"
log "built $("$bin" --version)"

# 3. Training on the device, and the same loops in PyTorch Python, interleaved.
mnist_images="${MNIST_IMAGES:-60000}"
resnet_images="${RESNET_IMAGES:-20000}"
for round in 1 2; do
  "$bin" train --model mnist_cnn --device "$device" --fashion-mnist-dir "$data" --data-dir "" \
    --set epochs=1 --set train_limit="$mnist_images" --json >"$out/mnist_cnn_$round.json" 2>"$out/mnist_cnn_$round.err"
  "$python" scripts/gpu_speed.py --model mnist_cnn --device "$device" --data "$data" --images "$mnist_images" \
    >"$out/py_mnist_cnn_$round.json" 2>>"$out/python.err"
  "$bin" train --model resnet20 --device "$device" --fashion-mnist-dir "$data" --data-dir "" \
    --set epochs=1 --set train_limit="$resnet_images" --set test_limit=2000 --json >"$out/resnet20_$round.json" 2>"$out/resnet20_$round.err"
  "$python" scripts/gpu_speed.py --model resnet20 --device "$device" --data "$data" --images "$resnet_images" \
    >"$out/py_resnet20_$round.json" 2>>"$out/python.err"
done
"$python" - "$out" <<'PY' | tee -a "$out/summary.txt"
import json, sys, statistics
out = sys.argv[1]
for model in ("mnist_cnn", "resnet20"):
    ours, py = [], []
    for r in (1, 2):
        try:
            j = json.load(open(f"{out}/{model}_{r}.json"))
            # wall_time_s covers the whole call (loading, training, evaluation): a conservative figure.
            ours.append(j["dataset"]["train_samples"] * j["epochs_completed"] / j["wall_time_s"])
            acc = j["metric"]["value"]
        except Exception as e:
            print(f"{model}: greentune run {r} failed: {e}"); continue
        try:
            py.append(json.load(open(f"{out}/py_{model}_{r}.json"))["img_per_s"])
        except Exception as e:
            print(f"{model}: python run {r} failed: {e}")
    if ours and py:
        a, b = statistics.median(ours), statistics.median(py)
        print(f"{model}: greentune {a:.0f} img/s, PyTorch Python {b:.0f} img/s, ratio {a/b:.2f} (metric {acc:.3f})")
PY

# 4. Energy: greentune measure (NVML) against NVML's counter read independently + nvidia-smi.
if [[ "$device" == cuda ]]; then
  "$python" scripts/gpu_energy_check.py "$bin" "$out" 2>&1 | tee -a "$out/summary.txt"
fi

# 5. A 2-mutant study metered by NVML.
cat >"$out/gpu_study.toml" <<TOML
name = "gpu-check"
seed = 1
mutants = 2
repetitions = 1
order = "interleaved"
meter = "auto"
cooldown = 2
run_timeout_s = 300
device = "$device"

[budgets]
train_limit = 20000
test_limit = 2000

[[scenarios]]
kind = "single"

[[models]]
name = "mnist_cnn"
operators = ["lr"]

[models.set]
epochs = 1
TOML
GREENTUNE_FASHION_MNIST_DIR="$data" GREENTUNE_DATA="$data" "$bin" study "$out/gpu_study.toml" -o /tmp/greentune-gpu-study --progress log \
  >"$out/study.log" 2>&1; log "study exit $?"
"$bin" export /tmp/greentune-gpu-study --format csv >"$out/gpu_study_runs.csv" 2>>"$out/study.log"
tail -5 "$out/study.log" | tee -a "$out/summary.txt"
log "done"

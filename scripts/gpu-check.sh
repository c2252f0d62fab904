#!/usr/bin/env bash
# The prepared GPU device check (docs/gpu.md): run ON a GPU machine lent by the device tool,
# from the repository root, after scripts/gpu-prepare.sh ran here and with .gpu-carry carried:
#   device run: bash scripts/gpu-check.sh      (carry: [".gpu-carry"], timeout_s ~540)
# It builds greentune against the machine's CUDA PyTorch (the libtorch inside the torch
# package), trains mnist_cnn and resnet20 on CUDA against the same loops in PyTorch Python on
# the same GPU (interleaved), measures one GPU workload with greentune's NVML meter, NVML's own
# total-energy counter and Zeus's ZeusMonitor side by side, and runs a 2-mutant study metered
# by NVML. Everything goes to $OUT (the device tool brings it back); summary.txt is the result.
#
# CPU-only rehearsal (here, no GPU): after `scripts/gpu-prepare.sh --rehearsal`,
#   GPU_CHECK_DEVICE=cpu bash scripts/gpu-check.sh
# runs the same steps with the same carry folder against PyPI's torch 2.x venv
# (scripts/install-torch2.sh) on the CPU, with smaller budgets; the CUDA-only steps print
# "SKIPPED (cpu rehearsal)" and the rehearsal fails if any other step fails.
set -uo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
out="${OUT:-/tmp/greentune-gpu-check}"
mkdir -p "$out"
: >"$out/summary.txt"
device="${GPU_CHECK_DEVICE:-cuda}"
case "$device" in cuda | cuda:[0-9]* | cpu) ;; *) echo "gpu-check: GPU_CHECK_DEVICE must be cuda, cuda:N or cpu" >&2; exit 2 ;; esac
venv_python="${GREENTUNE_TORCH2_VENV:-/opt/greentune/torch2}/bin/python"
if [[ -z "${PYTHON:-}" && "$device" == cpu && -x "$venv_python" ]]; then PYTHON="$venv_python"; fi
python="$(command -v "${PYTHON:-python3}")"
work="${GPU_CHECK_WORK:-/tmp/greentune-gpu}"
failures=0
log() { echo "[gpu-check $(date -u +%H:%M:%S)] $*" | tee -a "$out/summary.txt"; }
fail() { log "FAILED: $*"; failures=$((failures + 1)); }
skip() { log "SKIPPED (cpu rehearsal): $*"; }
t_start=$SECONDS

# 1. Dependencies: Debian packages carried as .deb, unpacked into a private prefix; wheels
#    (Zeus and what it needs beyond the GPU image) installed into a private site folder.
prefix="$work/prefix"
cmake_extra=()
if compgen -G ".gpu-carry/debs/*.deb" >/dev/null; then
  mkdir -p "$prefix"
  for f in .gpu-carry/debs/*.deb; do dpkg -x "$f" "$prefix"; done
  export LD_LIBRARY_PATH="$prefix/usr/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  export CPATH="$prefix/usr/include${CPATH:+:$CPATH}"
  cmake_extra+=("-DCMAKE_PREFIX_PATH=$prefix/usr" "-DCMAKE_LIBRARY_PATH=$prefix/usr/lib/x86_64-linux-gnu")
fi
have_zeus=0
if compgen -G ".gpu-carry/wheels/*.whl" >/dev/null; then
  names=()
  for f in .gpu-carry/wheels/*.whl; do n="$(basename "$f")"; names+=("${n%%-*}"); done
  mapfile -t names < <(printf '%s\n' "${names[@]}" | sort -u)
  # pip picks, per name, the wheel that fits this python (pydantic-core travels for 3.11 and 3.12).
  if "$python" -m pip install -q --no-index --no-deps --no-compile --upgrade --target "$work/site" \
       --find-links .gpu-carry/wheels "${names[@]}" >"$out/wheels.log" 2>&1; then
    export PYTHONPATH="$work/site${PYTHONPATH:+:$PYTHONPATH}"
  else
    fail "installing the carried wheels (wheels.log)"
  fi
fi
if "$python" -c 'import zeus.monitor' >>"$out/wheels.log" 2>&1; then have_zeus=1; else log "zeus does not import (wheels.log): run scripts/gpu-prepare.sh"; fi
data="${GREENTUNE_FASHION_MNIST:-}"
if [[ -z "$data" ]]; then
  if [[ -d .gpu-carry/data ]]; then data="$root/.gpu-carry/data"; else data=/usr/share/datasets/fashion-mnist; fi
fi
log "device=$device data=$data python=$python: $("$python" -c 'import torch,sys; print(sys.version.split()[0], "torch", torch.__version__, "cuda", torch.version.cuda, "available", torch.cuda.is_available())' 2>&1 | tail -1)"
if [[ "$device" == cuda* ]]; then
  nvidia-smi --query-gpu=name,driver_version,power.limit --format=csv,noheader 2>&1 | tee -a "$out/summary.txt"
else
  skip "nvidia-smi (no GPU here)"
fi

# 2. Build greentune against the python's torch (CUDA-enabled libtorch in both modes).
#    GPU_CHECK_BIN=PATH (rehearsal only) uses a greentune already built against the same torch
#    (build-torch2/greentune) instead, and says so.
build="$work/build"
gen=(); command -v ninja >/dev/null && gen=(-G Ninja)
[[ -f "$build/CMakeCache.txt" ]] && ! grep -q "CMAKE_GENERATOR:INTERNAL=${gen[1]:-Unix Makefiles}" "$build/CMakeCache.txt" && rm -rf "$build"
t=$SECONDS
if ! cmake -S . -B "$build" "${gen[@]}" -DCMAKE_BUILD_TYPE=Release -DGREENTUNE_BUILD_TESTS=OFF -DGREENTUNE_PYTHON=OFF \
      -DGREENTUNE_TORCH_FROM_PYTHON="$python" "${cmake_extra[@]}" >"$out/cmake.log" 2>&1; then
  fail "cmake (cmake.log)"; tail -30 "$out/cmake.log"; exit 1
fi
log "configured against $(sed -n 's/.*libtorch from .*: \(.*\)/\1/p' "$out/cmake.log" | head -1) in $((SECONDS - t)) s"
if [[ -n "${GPU_CHECK_BIN:-}" ]]; then
  [[ "$device" == cpu ]] || { fail "GPU_CHECK_BIN is for the cpu rehearsal only"; exit 1; }
  bin="$GPU_CHECK_BIN"
  log "SKIPPED (cpu rehearsal): build; using $bin ($("$bin" --version))"
else
if ! cmake --build "$build" -j "$(nproc)" --target greentune >"$out/build.log" 2>&1; then
  fail "build (build.log)"; grep -m20 -E "error" "$out/build.log"; exit 1
fi
bin="$build/greentune"
log "built $("$bin" --version) in $((SECONDS - t)) s"
fi
# Fashion-MNIST stands in for MNIST/CIFAR-10 (none other travels): asked for explicitly where
# this greentune has the flag.
subst=(); subst_toml=""
if "$bin" train --help | grep -q -- --substitute-data; then subst=(--substitute-data); subst_toml="substitute_data = 1"; fi

# 3. Training speed: greentune and the same loop in PyTorch Python, interleaved, 2 rounds.
#    Both figures are img/s of the training phase only (device synchronised at its edges).
if [[ "$device" == cpu ]]; then mnist_images="${MNIST_IMAGES:-640}"; resnet_images="${RESNET_IMAGES:-256}"
else mnist_images="${MNIST_IMAGES:-60000}"; resnet_images="${RESNET_IMAGES:-20000}"; fi
ours() {  # model images round: greentune's training-phase img/s from its epoch line
  local model="$1" images="$2" r="$3"
  "$bin" train --model "$model" --device "$device" --fashion-mnist-dir "$data" --data-dir "" "${subst[@]}" \
    --set epochs=1 --set train_limit="$images" --set test_limit=1000 --json \
    >"$out/${model}_$r.json" 2>"$out/${model}_$r.err" || { fail "greentune train $model (${model}_$r.err)"; return; }
  sed -n 's/.*epoch 1\/1:.* \([0-9.]*\) img\/s.*/\1/p' "$out/${model}_$r.err" | tail -1 >"$out/${model}_$r.ips"
}
theirs() {
  local model="$1" images="$2" r="$3"
  "$python" scripts/gpu_speed.py --model "$model" --device "$device" --data "$data" --images "$images" \
    >"$out/py_${model}_$r.json" 2>>"$out/python.err" || fail "gpu_speed.py $model (python.err)"
}
for round in 1 2; do
  ours mnist_cnn "$mnist_images" "$round"; theirs mnist_cnn "$mnist_images" "$round"
  ours resnet20 "$resnet_images" "$round"; theirs resnet20 "$resnet_images" "$round"
done
"$python" - "$out" <<'PY' | tee -a "$out/summary.txt"
import json, statistics, sys
out = sys.argv[1]
for model in ("mnist_cnn", "resnet20"):
    ours, py, metric = [], [], None
    for r in (1, 2):
        try:
            ours.append(float(open(f"{out}/{model}_{r}.ips").read()))
            metric = json.load(open(f"{out}/{model}_{r}.json")).get("metric")
        except Exception as e:
            print(f"{model}: greentune round {r}: no speed ({e})")
        try:
            py.append(json.load(open(f"{out}/py_{model}_{r}.json"))["img_per_s"])
        except Exception as e:
            print(f"{model}: PyTorch Python round {r}: no speed ({e})")
    if ours and py:
        a, b = statistics.median(ours), statistics.median(py)
        print(f"{model}: greentune {a:.0f} img/s, PyTorch Python {b:.0f} img/s (medians of {len(ours)}/{len(py)}), "
              f"ratio {a / b:.2f}; greentune's {metric}")
PY
grep -q "ratio" "$out/summary.txt" || fail "no speed comparison"

# 4. Energy: one GPU workload under greentune measure (NVML), NVML's counter and ZeusMonitor.
if [[ "$device" == cuda* ]]; then
  "$python" scripts/gpu_energy_check.py "$bin" "$out" 2>&1 | tee -a "$out/summary.txt"
  [[ ${PIPESTATUS[0]} == 0 ]] || fail "gpu_energy_check.py"
else
  skip "energy agreement (greentune's NVML meter vs NVML's counter vs ZeusMonitor; zeus imports: $have_zeus)"
fi

# 5. A 2-mutant study of mnist_cnn on the device, metered by NVML (auto: the estimate here).
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
train_limit = $([[ "$device" == cpu ]] && echo 640 || echo 20000)
test_limit = $([[ "$device" == cpu ]] && echo 200 || echo 2000)
$subst_toml

[[scenarios]]
kind = "single"

[[models]]
name = "mnist_cnn"
operators = ["lr"]

[models.set]
epochs = 1
TOML
rm -rf "$work/study"
GREENTUNE_FASHION_MNIST_DIR="$data" "$bin" study "$out/gpu_study.toml" -o "$work/study" --progress log \
  >"$out/study.log" 2>&1 || fail "study (study.log)"
"$bin" export "$work/study/study.db" --format csv >"$out/gpu_study_runs.csv" 2>>"$out/study.log" || fail "export"
"$python" - "$out/gpu_study_runs.csv" <<'PY' | tee -a "$out/summary.txt"
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
for r in rows:
    lr = r.get("hp.lr", "")
    energy = ", ".join(f"{k} {float(r[k]):.1f} J" for k in ("cpu_package_j", "dram_j", "gpu_j") if r.get(k))
    sources = ", ".join(f"{k} {v}" for k, v in r.items() if k.endswith("source") and v)
    print(f"study run: {r.get('operator', '?')} lr {lr}: {r.get('status', '?')}, {r.get('performance_metric', '')} "
          f"{r.get('performance', '')}, {float(r.get('duration_s') or 0):.1f} s; {energy or 'no energy'} ({sources})")
ok = sum(r.get("status") == "succeeded" for r in rows)
print(f"study: {ok} of {len(rows)} runs succeeded")
PY
grep -q "study: 3 of 3 runs succeeded" "$out/summary.txt" || fail "the study did not end with 3 successful runs (study.log)"
log "done in $((SECONDS - t_start)) s, $failures failure(s)"
exit $((failures > 0))

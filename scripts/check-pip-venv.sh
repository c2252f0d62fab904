#!/usr/bin/env bash
# End to end, as a PyTorch user would: `pip install .` into fresh virtual environments (no
# system site packages) made from /usr/bin/python3, with numpy, pandas and torch from PyPI,
# then only that venv's greentune (docs/python.md, "pip install into a venv"). Too slow for CI
# (PyPI's torch is a 4.7 GB CUDA wheel and the command is compiled against it); its figures
# are in docs/python.md. Needs the network (PyPI) and the build dependencies
# (scripts/install-deps.sh).
#   1. a venv without torch: numpy + pandas, pip install .; greentune --version, train --help
#      says it cannot train, a metered window from Python;
#   2. a venv with torch: torch + numpy + pandas, pip install . (the command built against
#      that torch); greentune --version, greentune train mnist_cnn for 1 epoch on a small
#      budget reporting that torch, a metered window; then transformers + accelerate and a
#      2-run `greentune study` of examples/huggingface.
#   GREENTUNE_E2E_DIR    work folder (default $TMPDIR/greentune-pip-e2e; emptied first)
#   GREENTUNE_E2E_TORCH  pip requirement for torch (default "torch": the newest)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
dir="${GREENTUNE_E2E_DIR:-${TMPDIR:-/tmp}/greentune-pip-e2e}"
torch_req="${GREENTUNE_E2E_TORCH:-torch}"
rm -rf "$dir"
mkdir -p "$dir"
export PIP_DISABLE_PIP_VERSION_CHECK=1
unset PYTHONPATH GREENTUNE_PYTHON_BUILD_DIR
summary=()
timed() {  # label, command...
  local label="$1" t0=$SECONDS
  shift
  echo "check-pip-venv: $label" >&2
  "$@"
  summary+=("$label: $((SECONDS - t0)) s")
}
fail() { echo "check-pip-venv: FAILED: $*" >&2; exit 1; }
window='import greentune
with greentune.Meter() as m:
    with m.window("w") as w:
        sum(range(3_000_000))
e = w.energy["cpu_package"]
assert w.seconds > 0 and e.joules and e.joules > 0, w.energy
print("window", round(w.seconds, 4), "s", round(e.joules, 3), "J", e.source, "greentune", greentune.__version__)'

# 1. without torch
plain="$dir/plain"
timed "venv without torch: numpy + pandas from PyPI" bash -c "/usr/bin/python3 -m venv '$plain' && '$plain/bin/pip' install -q numpy pandas"
timed "pip install . (no torch: module + command without training)" "$plain/bin/pip" install -q "$root"
"$plain/bin/greentune" --version
"$plain/bin/greentune" train --help | tr '\n' ' ' | grep -q "Not in this greentune: it was built without libtorch" ||
  fail "greentune train --help does not say that this build cannot train"
if "$plain/bin/greentune" train --model mnist_cnn --set epochs=1 2>"$dir/plain-train.err"; then
  fail "greentune train ran without libtorch"
fi
grep -q "built without libtorch" "$dir/plain-train.err" || fail "greentune train's error: $(cat "$dir/plain-train.err")"
(cd "$dir" && "$plain/bin/python" -c "$window")

# 2. with torch
venv="$dir/torch"
timed "venv with torch: $torch_req + numpy + pandas from PyPI" bash -c "/usr/bin/python3 -m venv '$venv' && '$venv/bin/pip' install -q '$torch_req' numpy pandas"
torch_version="$("$venv/bin/python" -c 'import torch; print(torch.__version__)')"
timed "pip install . (against torch $torch_version)" "$venv/bin/pip" install -q "$root"
"$venv/bin/greentune" --version
timed "greentune train --model mnist_cnn, 1 epoch of 2000 samples (Fashion-MNIST standing in)" \
  "$venv/bin/greentune" train --model mnist_cnn --set epochs=1 --set train_limit=2000 --set test_limit=1000 \
  --substitute-data --json \
  >"$dir/train.json"
"$venv/bin/python" - "$dir/train.json" "$torch_version" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
text = json.dumps(r)
assert sys.argv[2].split("+")[0] in text, f"the result does not name torch {sys.argv[2]}: {text[:400]}"
print("train:", {k: r[k] for k in ("model", "metric", "performance") if k in r}, "torch", sys.argv[2])
PY
(cd "$dir" && "$venv/bin/python" -c "$window")
timed "transformers + accelerate from PyPI" "$venv/bin/pip" install -q transformers accelerate
timed "greentune study examples/huggingface/study.toml (2 runs)" \
  env PATH="$venv/bin:$PATH" "$venv/bin/greentune" study "$root/examples/huggingface/study.toml" -o "$dir/hf-study" \
  --progress log
"$venv/bin/python" - "$dir/hf-study/study.db" <<'PY'
import sys, greentune
runs, reports = greentune.load_runs(sys.argv[1]), greentune.load_reports(sys.argv[1])
assert len(runs) == 2 and (runs["status"] == "succeeded").all(), runs[["status", "status_reason"]]
assert len(reports) == 4 and reports["metric"].notna().all() and (reports["window_s"] > 0).all()
print(reports[["run_id", "epoch", "metric", "train_loss", "window_s", "cpu_package_j"]].to_string(index=False))
PY
echo "check-pip-venv: passed ($(/usr/bin/python3 --version), torch $torch_version)"
printf '  %s\n' "${summary[@]}"

#!/usr/bin/env bash
# Byte comparison of what the execution paths produce (issue 23): runs, with fixed seeds and a
# fake RAPL counter (bench/tune/landscapes.py, so every run's energy and performance are a pure
# function of its run id), a local study, a local tune, analyze (text and --json), report (every
# file, on a study and on a tune run) and, when the Slurm binaries are here and we are root, the
# same study and tune through a throw-away one-node Slurm (scripts/slurm-cluster.sh). Every
# output is normalised (timestamps, durations, paths, ids made of PIDs) by
# bench/core_outputs_normalise.py and written under OUT, with OUT/SHA256SUMS.
#
#   bench/core_outputs.sh GREENTUNE_BIN OUT [--no-slurm]
#   diff -r OUT_BEFORE OUT_AFTER       # or: diff OUT_BEFORE/SHA256SUMS OUT_AFTER/SHA256SUMS
#
# analyze and report read a copy of each database whose times and power samples were replaced by
# fixed values (normalise.py fix-db): they see the same input before and after, so any
# difference in their files is a difference in the code.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bin="$(realpath "$1")"
out="$(realpath -m "$2")"
slurm=1
[[ ${3:-} == --no-slurm ]] && slurm=0
norm() { /usr/bin/python3 "$root/bench/core_outputs_normalise.py" "$@"; }
rm -rf "$out"
mkdir -p "$out"
work="$(mktemp -d /tmp/greentune-core-outputs-XXXXXX)"
trap 'rm -rf "$work"' EXIT
export GREENTUNE_POWERCAP_ROOT="$work/powercap" LANDSCAPE_SEED=3 GREENTUNE_PROGRESS=none
mkdir -p "$work/powercap/intel-rapl:0"
echo package-0 >"$work/powercap/intel-rapl:0/name"
printf '%20d\n' 0 >"$work/powercap/intel-rapl:0/energy_uj"
echo 4611686018427387904 >"$work/powercap/intel-rapl:0/max_energy_range_uj"
landscape="/usr/bin/python3 -S $root/bench/tune/landscapes.py interact {epochs} {lr} {wd}"

cat >"$work/study.toml" <<TOML
name = "core-outputs"
seed = 11
repetitions = 3
order = "grouped"
meter = "rapl"
governor = "keep"
cooldown = 0
run_timeout_s = 60

[[scenarios]]
kind = "single"

[[models]]
name = "interact"
command = "$landscape"
result = "json-lines"
metric_key = "performance"
operators = [{hyperparameter = "epochs", values = [16, 24]}, {hyperparameter = "lr", values = [0.003, 0.03]},
             {hyperparameter = "wd", rule = "weight_decay", values = [5e-5, 2e-4]}]

[models.hyperparameters]
epochs = 20
lr = 0.01
wd = 0.0001
TOML
cat >"$work/tune.toml" <<TOML
name = "core-tune"
meter = "rapl"
cooldown = 0
governor = "keep"

[tune]
objective = "cpu_package"
margin = 0.01
budget_runs = 14
batch = 4
seed = 5
confirm_min = 2

[[models]]
name = "interact"
command = "$landscape"
result = "json-lines"
metric_key = "performance"
operators = ["epochs", "lr", {hyperparameter = "wd", rule = "weight_decay"}]

[models.hyperparameters]
epochs = 20
lr = 0.01
wd = 0.0001
TOML

# run NAME CMD...: stdout, stderr and exit code of one command, normalised.
run() {
  local name=$1; shift
  set +e
  "$@" >"$work/$name.stdout" 2>"$work/$name.stderr"
  echo $? >"$out/$name.rc"
  set -e
  if [[ $name == *tune* && -s $work/$name.stdout ]] && head -c1 "$work/$name.stdout" | grep -q '{'; then
    norm json "$work" <"$work/$name.stdout" >"$out/$name.stdout"  # tune --json
  else
    norm text "$work" <"$work/$name.stdout" >"$out/$name.stdout"
  fi
  norm text "$work" <"$work/$name.stderr" >"$out/$name.stderr"
}

# analyze_and_report NAME DIR: the fixed copy of DIR's database, analyze and report on it.
analyze_and_report() {
  local name=$1 dir=$2
  mkdir -p "$work/$name-fixed"
  cp "$dir/study.toml" "$dir/study.json" "$work/$name-fixed/" 2>/dev/null || true
  cp "$dir"/*.json "$work/$name-fixed/" 2>/dev/null || true
  norm fix-db "$dir/study.db" "$work/$name-fixed/study.db"
  run "$name.analyze" "$bin" analyze "$work/$name-fixed/study.db"
  run "$name.analyze-json" "$bin" analyze "$work/$name-fixed/study.db" --json
  run "$name.report" "$bin" report "$work/$name-fixed/study.db" -o "$work/$name-report"
  mkdir -p "$out/$name-report"
  for f in "$work/$name-report"/*; do norm text "$work" <"$f" >"$out/$name-report/$(basename "$f")"; done
}

# A study and a tune run: database, result files and terminal output.
keep_run() {  # NAME DIR
  local name=$1 dir=$2
  norm dump-db "$work" "$dir/study.db" >"$out/$name.db.txt"
  mkdir -p "$out/$name-results"
  for f in "$dir"/results/*.json; do norm result "$work" "$f" >"$out/$name-results/$(basename "$f")"; done
  for f in "$dir"/*.json "$dir"/*.html; do
    [[ -e $f ]] && norm text "$work" <"$f" >"$out/$name.$(basename "$f")"
  done
  return 0
}

run study "$bin" study "$work/study.toml" -o "$work/study"
keep_run study "$work/study"
analyze_and_report study "$work/study"
run status "$bin" status "$work/study"

run tune "$bin" tune "$work/tune.toml" -o "$work/tune" --json
keep_run tune "$work/tune"
analyze_and_report tune "$work/tune"

# The overrides: recorded the same way (meter, cool-down).
run study-overrides "$bin" study "$work/study.toml" -o "$work/study-ov" --meter rapl --cooldown 0
norm dump-db "$work" "$work/study-ov/study.db" meta >"$out/study-overrides.meta.txt"
run tune-overrides "$bin" tune "$work/tune.toml" -o "$work/tune-ov" --meter rapl --cooldown 0 --json
norm dump-db "$work" "$work/tune-ov/study.db" meta >"$out/tune-overrides.meta.txt"

if [[ $slurm == 1 && $(id -u) == 0 ]] && { command -v slurmctld || [[ -x /usr/sbin/slurmctld ]]; } >/dev/null 2>&1; then
  cluster="$(bash "$root/scripts/slurm-cluster.sh" start --watch $$ | tail -1)"
  export SLURM_CONF="$cluster/slurm.conf"
  stop_cluster() { bash "$root/scripts/slurm-cluster.sh" stop "$cluster" >/dev/null 2>&1 || true; rm -rf "$cluster" "$work"; }
  trap stop_cluster EXIT
  # The nodes see the same fake counter and seed (the batch script passes the environment on).
  run slurm-study "$bin" study "$work/study.toml" -o "$work/slurm-study" --executor slurm
  for _ in $(seq 600); do
    [[ $(ls "$work/slurm-study/results" 2>/dev/null | wc -l) -ge 21 ]] && break
    sleep 0.5
  done
  for _ in $(seq 120); do
    "$bin" status "$work/slurm-study" 2>/dev/null | grep -q '0 running, 0 pending' && break
    sleep 0.5
  done
  run slurm-collect "$bin" collect "$work/slurm-study"
  keep_run slurm-study "$work/slurm-study"
  run slurm-tune "$bin" tune "$work/tune.toml" -o "$work/slurm-tune" --executor slurm --json
  keep_run slurm-tune "$work/slurm-tune"
  echo slurm >"$out/slurm.ran"
else
  echo "core_outputs: no Slurm (binaries missing, not root, or --no-slurm): Slurm outputs skipped" >&2
fi

(cd "$out" && find . -type f ! -name SHA256SUMS | sort | xargs sha256sum >SHA256SUMS)
echo "core_outputs: $(wc -l <"$out/SHA256SUMS") files in $out (SHA256SUMS)"

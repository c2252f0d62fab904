#!/bin/sh
# Orchestration overhead of `greentune study` per run of a trivial command, against the cost
# of starting the same command in a shell loop (what any runner must pay at least).
#
# usage: bench/orchestration.sh [GREENTUNE_BIN] [RUNS] [ROUNDS]
#   GREENTUNE_BIN  default: build/greentune (or $GREENTUNE_BIN)
#   RUNS           runs per study (default 210: 42 configurations x 5 repetitions)
#   ROUNDS         how many times each is measured, interleaved (default 3)
# Prints, per round, ms per run of the study (cool-down 0, meter estimate) and of the shell
# loop, and their difference (the orchestration overhead); then the medians.
set -eu
src=$(cd "$(dirname "$0")/.." && pwd)
bin=${1:-${GREENTUNE_BIN:-$src/build/greentune}}
runs=${2:-210}
rounds=${3:-3}
[ -x "$bin" ] || { echo "orchestration.sh: no greentune at $bin (build it, or give its path)" >&2; exit 2; }
reps=5
configs=$(( (runs + reps - 1) / reps ))
runs=$(( configs * reps ))
work=$(mktemp -d "${TMPDIR:-/tmp}/greentune-bench-orch-XXXXXX")
trap 'rm -rf "$work"' EXIT
values=""
i=2
while [ "$i" -le "$configs" ]; do values="$values${values:+, }$i"; i=$((i + 1)); done
cat > "$work/study.toml" <<EOF
name = "orchestration"
repetitions = $reps
cooldown = 0
meter = "estimate"
governor = "keep"
order = "grouped"
[[models]]
name = "true"
command = "/bin/echo acc={lr}"
metric_regex = "acc=([0-9.]+)"
operators = [{hyperparameter = "lr", values = [$values]}]
hyperparameters = {lr = 1}
EOF
cmd="/bin/echo acc=1"
now_ms() { date +%s%N | awk '{printf "%.3f", $1 / 1e6}'; }
study_ms() {
  rm -rf "$work/out"
  t0=$(now_ms)
  "$bin" study "$work/study.toml" -o "$work/out" --progress none >/dev/null 2>"$work/err" || {
    cat "$work/err" >&2; exit 1; }
  t1=$(now_ms)
  echo "$t0 $t1" | awk -v n="$runs" '{printf "%.2f", ($2 - $1) / n}'
}
loop_ms() {
  t0=$(now_ms)
  i=0
  while [ "$i" -lt "$runs" ]; do /bin/sh -c "$cmd" >/dev/null; i=$((i + 1)); done
  t1=$(now_ms)
  echo "$t0 $t1" | awk -v n="$runs" '{printf "%.2f", ($2 - $1) / n}'
}
echo "greentune: $bin"
echo "$runs runs of '$cmd' per study (cool-down 0, meter estimate), $rounds rounds, interleaved"
printf "%-6s %12s %12s %12s\n" round "study ms/run" "loop ms/run" "overhead"
all=""
r=1
while [ "$r" -le "$rounds" ]; do
  s=$(study_ms)
  l=$(loop_ms)
  o=$(echo "$s $l" | awk '{printf "%.2f", $1 - $2}')
  printf "%-6s %12s %12s %12s\n" "$r" "$s" "$l" "$o"
  all="$all$s $l $o
"
  r=$((r + 1))
done
med() { printf "%s" "$all" | awk -v c="$1" '{print $c}' | sort -n | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }
printf "%-6s %12s %12s %12s\n" median "$(med 1)" "$(med 2)" "$(med 3)"

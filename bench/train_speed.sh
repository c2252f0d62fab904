#!/usr/bin/env bash
# Training speed of mnist_cnn: greentune (C++/libtorch) against PyTorch Python loops, side by
# side in one run. Each round runs every variant once, in this fixed order:
#
#   A  greentune train, as shipped       (allocator tuned in-process, its default threads:
#                                          every CPU in its affinity mask)
#   B  python3 loop, as a user runs it   (bench/mnist_cnn_pytorch.py: default glibc malloc,
#                                          PyTorch's default threads)
#   C  B + greentune's malloc settings   (MALLOC_MMAP_THRESHOLD_/MALLOC_TRIM_THRESHOLD_/MALLOC_TOP_PAD_)
#   E  C + greentune's thread count      (--threads N, N read from A's log: same allocator
#                                          and threads, so A/E is what remains: the C++ loop,
#                                          channels-last and fused kernels)
#   T  the pytorch/examples "mnist" pipeline as users run it (bench/mnist_cnn_torchvision.py:
#      torchvision datasets.MNIST + ToTensor/Normalize + DataLoader(batch 64, shuffle), no
#      workers, default threads and malloc); skipped when python3-torchvision is missing
#   D  greentune train with GREENTUNE_MALLOC_DEFAULTS=1 (what the in-process tuning buys)
#   G  greentune train built against PyPI's torch 2.x (as A; docs/build.md), skipped when
#      GREENTUNE_BIN_TORCH2 (default build-torch2/greentune) is missing
#   P  B on PyPI's torch 2.x (current PyTorch as users run it: its default threads and malloc),
#      skipped when PYTHON_TORCH2 (default /opt/greentune/torch2/bin/python) is missing
#   Q  P + greentune's malloc settings and thread count (as E)
#
# Every round runs them interleaved in the order A G B P C E Q T D, so drift of the machine's
# speed touches every variant alike.
#
# Each measures img/s of the training phase only (batches, forward, backward, Adadelta step;
# data loading before it and the test pass after it are not timed) over the same first
# IMAGES Fashion-MNIST images, batch 64. Medians over ROUNDS rounds.
# Usage: bench/train_speed.sh [IMAGES=6400] [ROUNDS=3]
#   env GREENTUNE_BIN (default build/greentune), PYTHON (default /usr/bin/python3),
#   GREENTUNE_BIN_TORCH2 (default build-torch2/greentune), PYTHON_TORCH2 (default
#   /opt/greentune/torch2/bin/python; scripts/install-torch2.sh), DATA (default /usr/share/datasets/fashion-mnist)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
images="${1:-6400}"
rounds="${2:-3}"
bin="${GREENTUNE_BIN:-$here/../build/greentune}"
python="${PYTHON:-/usr/bin/python3}"
bin2="${GREENTUNE_BIN_TORCH2:-$here/../build-torch2/greentune}"
python2="${PYTHON_TORCH2:-/opt/greentune/torch2/bin/python}"
data="${DATA:-/usr/share/datasets/fashion-mnist}"
[[ "$images" =~ ^[1-9][0-9]*$ && "$rounds" =~ ^[1-9][0-9]*$ ]] ||
  { echo "train_speed.sh: IMAGES and ROUNDS must be positive integers (got '$images' '$rounds')" >&2; exit 2; }
[[ -x "$bin" ]] || { echo "train_speed.sh: no greentune binary at $bin (set GREENTUNE_BIN)" >&2; exit 2; }
[[ -f "$data/train-images-idx3-ubyte.gz" ]] ||
  { echo "train_speed.sh: no Fashion-MNIST in $data (apt-get install dataset-fashion-mnist)" >&2; exit 2; }

malloc_env=(MALLOC_MMAP_THRESHOLD_=33554432 MALLOC_TRIM_THRESHOLD_=1073741824 MALLOC_TOP_PAD_=67108864)
tv_root="$(mktemp -d "${TMPDIR:-/tmp}/greentune-train-speed.XXXXXX")"
trap 'rm -rf "$tv_root"' EXIT

fail() {  # what, captured output
  echo "train_speed.sh: $1 printed no speed; its output was:" >&2
  tail -5 <<<"$2" >&2
  exit 1
}
greentune_log() {  # train_limit, env assignments...: the greentune at $gbin's stderr (its progress log)
  local limit="$1"; shift
  # shellcheck disable=SC2069  # intended: stderr into the capture, stdout (the JSON) dropped
  env "$@" "$gbin" train --model mnist_cnn --fashion-mnist-dir "$data" --data-dir "" --substitute-data \
    --set epochs=1 --set train_limit="$limit" --set test_limit=64 --json 2>&1 >/dev/null
}
ours() {  # img/s of the training phase, from the epoch line on stderr
  local err v
  err="$(greentune_log "$images" "$@")" || fail "greentune ($*)" "$err"
  v="$(sed -n 's/.*epoch 1\/1:.* \([0-9.]*\) img\/s.*/\1/p' <<<"$err" | tail -1)"
  [[ -n "$v" ]] || fail "greentune ($*)" "$err"
  echo "$v"
}
python_run() {  # env assignments... -- script [args...]: img/s of the training phase with $py
  local envs=() script out v
  while [[ "$1" != -- ]]; do envs+=("$1"); shift; done
  shift
  script="$1"; shift
  out="$(env "${envs[@]}" "$py" "$here/$script" --data "$data" --images "$images" "$@" 2>&1)" ||
    fail "$script $*" "$out"
  v="$(awk '$1 ~ /_img_per_s$/ {print $2}' <<<"$out" | tail -1)"
  [[ -n "$v" ]] || fail "$script $*" "$out"
  echo "$v"
}

# A short greentune run first: its log says how many threads greentune uses (E copies it);
# it also warms the page cache for everyone.
gbin="$bin"
py="$python"
probe="$(greentune_log 64 GREENTUNE_X=1)" || fail "greentune (probe)" "$probe"
gt_threads="$(sed -n 's/^\[mnist_cnn\] libtorch .*, \([0-9][0-9]*\) threads.*/\1/p' <<<"$probe" | head -1)"
[[ -n "$gt_threads" ]] || {
  echo "train_speed.sh: no '[mnist_cnn] libtorch ..., N threads' line in greentune's log:" >&2
  tail -5 <<<"$probe" >&2
  exit 1
}
py_threads="$("$python" -c 'import torch; print(torch.get_num_threads())')"
py_version="$("$python" -c 'import torch; print(torch.__version__)')"
if tv_version="$("$python" -c 'import torchvision; print(torchvision.__version__)' 2>/dev/null)"; then
  have_tv=1
else
  have_tv=0
fi
have_g=0
if [[ -x "$bin2" ]]; then
  gbin="$bin2"
  probe2="$(greentune_log 64 GREENTUNE_X=1)" || fail "greentune on torch 2.x (probe)" "$probe2"
  g_version="$(sed -n 's/^\[mnist_cnn\] libtorch \([0-9.]*\),.*/\1/p' <<<"$probe2" | head -1)"
  gbin="$bin"
  have_g=1
fi
have_p=0
if p_version="$("$python2" -c 'import torch; print(torch.__version__)' 2>/dev/null)"; then
  p_threads="$("$python2" -c 'import torch; print(torch.get_num_threads())')"
  have_p=1
fi

echo "mnist_cnn training speed: $images images per run, batch 64, $rounds rounds, order A G B P C E Q T D in every round (skipped ones left out)"
echo "machine: $(nproc) CPUs usable ($(grep -c '^processor' /proc/cpuinfo) online), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'); load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "threads: python (torch $py_version) uses $py_threads by default; greentune uses $gt_threads"
if [[ $have_tv == 1 ]]; then
  echo "torchvision $tv_version: T runs"
else
  echo "T skipped (python3-torchvision not installed)"
fi
if [[ $have_g == 1 ]]; then echo "G: greentune on libtorch $g_version ($bin2)"; else echo "G skipped (no $bin2)"; fi
if [[ $have_p == 1 ]]; then echo "P, Q: python on torch $p_version ($python2), $p_threads threads by default"
else echo "P, Q skipped (no torch in $python2: scripts/install-torch2.sh)"; fi

declare -a A B C E T D G P Q
for ((r = 1; r <= rounds; r++)); do
  a="$(ours GREENTUNE_X=1)"
  g="-"; p="-"; q="-"
  if [[ $have_g == 1 ]]; then gbin="$bin2"; g="$(ours GREENTUNE_X=1)"; gbin="$bin"; G+=("$g"); fi
  b="$(python_run PYTHON_X=1 -- mnist_cnn_pytorch.py)"
  if [[ $have_p == 1 ]]; then py="$python2"; p="$(python_run PYTHON_X=1 -- mnist_cnn_pytorch.py)"; py="$python"; P+=("$p"); fi
  c="$(python_run "${malloc_env[@]}" -- mnist_cnn_pytorch.py)"
  e="$(python_run "${malloc_env[@]}" -- mnist_cnn_pytorch.py --threads "$gt_threads")"
  if [[ $have_p == 1 ]]; then
    py="$python2"; q="$(python_run "${malloc_env[@]}" -- mnist_cnn_pytorch.py --threads "$gt_threads")"; py="$python"; Q+=("$q")
  fi
  t="-"
  if [[ $have_tv == 1 ]]; then t="$(python_run PYTHON_X=1 -- mnist_cnn_torchvision.py --root "$tv_root")"; T+=("$t"); fi
  d="$(ours GREENTUNE_MALLOC_DEFAULTS=1)"
  A+=("$a"); B+=("$b"); C+=("$c"); E+=("$e"); D+=("$d")
  printf 'round %d img/s: A %s | G %s | B %s | P %s | C %s | E %s | Q %s | T %s | D %s\n' \
    "$r" "$a" "$g" "$b" "$p" "$c" "$e" "$q" "$t" "$d"
done

median() { printf '%s\n' "$@" | sort -g | awk '{v[NR]=$1} END {print (NR%2 ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2)}'; }
ma="$(median "${A[@]}")"; mb="$(median "${B[@]}")"; mc="$(median "${C[@]}")"
me="$(median "${E[@]}")"; md="$(median "${D[@]}")"
mt="-"; [[ $have_tv == 1 ]] && mt="$(median "${T[@]}")"
mg="-"; [[ $have_g == 1 ]] && mg="$(median "${G[@]}")"
mp="-"; mq="-"
if [[ $have_p == 1 ]]; then mp="$(median "${P[@]}")"; mq="$(median "${Q[@]}")"; fi
echo "median img/s:"
printf '  A %8s  greentune train, as shipped (threads %s, malloc tuned in-process)\n' "$ma" "$gt_threads"
printf '  B %8s  python loop as users run it (threads %s, default malloc)\n' "$mb" "$py_threads"
printf '  C %8s  python loop, greentune'"'"'s malloc settings (threads %s)\n' "$mc" "$py_threads"
printf '  E %8s  python loop, greentune'"'"'s malloc settings and threads (threads %s)\n' "$me" "$gt_threads"
if [[ $have_tv == 1 ]]; then
  printf '  T %8s  pytorch/examples mnist pipeline: torchvision MNIST + transforms + DataLoader (threads %s, default malloc)\n' "$mt" "$py_threads"
else
  echo "  T        -  skipped (python3-torchvision not installed)"
fi
printf '  D %8s  greentune train, GREENTUNE_MALLOC_DEFAULTS=1 (threads %s, default malloc)\n' "$md" "$gt_threads"
printf '  G %8s  greentune train on libtorch %s, as shipped\n' "$mg" "${g_version:--}"
printf '  P %8s  python loop on torch %s as users run it (threads %s, default malloc)\n' "$mp" "${p_version:--}" "${p_threads:--}"
printf '  Q %8s  python loop on torch %s, greentune'"'"'s malloc settings and threads (threads %s)\n' "$mq" "${p_version:--}" "$gt_threads"
awk -v a="$ma" -v b="$mb" -v c="$mc" -v e="$me" -v t="$mt" -v d="$md" 'BEGIN {
  verdict = "met"; if (a / b < 2) verdict = "NOT met"
  printf "ratio A/B (ours vs python as users run it):           %.2fx  (target >= 2: %s)\n", a / b, verdict
  verdict = "met"; if (a / c < 1) verdict = "NOT met"
  printf "ratio A/C (same malloc settings):                     %.2fx  (target >= 1: %s)\n", a / c, verdict
  printf "ratio A/E (same malloc settings and threads):         %.2fx  (no target)\n", a / e
  if (t == "-") printf "ratio A/T (pytorch/examples pipeline as users run it): skipped\n"
  else printf "ratio A/T (pytorch/examples pipeline as users run it): %.2fx  (no target)\n", a / t
  printf "ratio A/D (what in-process malloc tuning buys):       %.2fx\n", a / d }'
awk -v a="$ma" -v g="$mg" -v p="$mp" -v q="$mq" 'BEGIN {
  if (p == "-") { print "ratios against PyTorch 2.x: skipped (no torch 2.x python)"; exit }
  printf "ratio A/P (ours on Debian libtorch vs torch 2.x python as users run it): %.2fx\n", a / p
  printf "ratio A/Q (same, same malloc settings and threads):                    %.2fx\n", a / q
  if (g == "-") { print "ratio G/P: skipped (no greentune built against torch 2.x)"; exit }
  printf "ratio G/P (ours on libtorch 2.x vs torch 2.x python as users run it):  %.2fx\n", g / p
  printf "ratio G/Q (same, same malloc settings and threads):                    %.2fx\n", g / q
  printf "ratio G/A (greentune on libtorch 2.x vs on Debian libtorch):           %.2fx\n", g / a }'

#!/usr/bin/env bash
# Training speed of mnist_cnn: greentune (C++/libtorch) against the same loop in PyTorch
# Python (bench/mnist_cnn_pytorch.py), side by side in one run, interleaved A B C D A B C D.
#
#   A  greentune train                       (allocator tuned in-process, as shipped)
#   B  python3 loop, as a user runs it        (default glibc malloc, default threads)
#   C  python3 loop, same allocator settings  (MALLOC_MMAP_THRESHOLD_/MALLOC_TRIM_THRESHOLD_/MALLOC_TOP_PAD_)
#   D  greentune train with GREENTUNE_MALLOC_DEFAULTS=1 (for reference: what the tuning buys)
#
# Each measures the training phase only (shuffle, batches, forward, backward, Adadelta step)
# over the same number of Fashion-MNIST images, batch 64, on the threads libtorch picks.
# Usage: bench/train_speed.sh [IMAGES=6400] [ROUNDS=3]
#   env GREENTUNE_BIN (default build/greentune), PYTHON (default /usr/bin/python3),
#   DATA (default /usr/share/datasets/fashion-mnist)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
images="${1:-6400}"
rounds="${2:-3}"
bin="${GREENTUNE_BIN:-$here/../build/greentune}"
python="${PYTHON:-/usr/bin/python3}"
data="${DATA:-/usr/share/datasets/fashion-mnist}"
[[ -x "$bin" ]] || { echo "train_speed.sh: no greentune binary at $bin (set GREENTUNE_BIN)" >&2; exit 2; }
[[ -f "$data/train-images-idx3-ubyte.gz" ]] || { echo "train_speed.sh: no Fashion-MNIST in $data (apt-get install dataset-fashion-mnist)" >&2; exit 2; }

malloc_env=(MALLOC_MMAP_THRESHOLD_=33554432 MALLOC_TRIM_THRESHOLD_=1073741824 MALLOC_TOP_PAD_=67108864)

ours() {  # prints img/s of the training phase, from the epoch line on stderr
  local err
  err="$(env "$@" "$bin" train --model mnist_cnn --fashion-mnist-dir "$data" --data-dir "" \
        --set epochs=1 --set train_limit="$images" --set test_limit=64 --json 2>&1 >/dev/null)"
  sed -n 's/.*epoch 1\/1:.* \([0-9.]*\) img\/s.*/\1/p' <<<"$err" | tail -1
}
python_loop() {
  env "$@" "$python" "$here/mnist_cnn_pytorch.py" --data "$data" --images "$images" | awk '{print $2}'
}

declare -a A B C D
echo "mnist_cnn training speed, $images images per run, batch 64, $rounds rounds (A B C D interleaved)"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'); python threads: $("$python" -c 'import torch; print(torch.get_num_threads())')"
for ((r = 1; r <= rounds; r++)); do
  a="$(ours GREENTUNE_X=1)"; b="$(python_loop PYTHON_X=1)"
  c="$(python_loop "${malloc_env[@]}")"; d="$(ours GREENTUNE_MALLOC_DEFAULTS=1)"
  A+=("$a"); B+=("$b"); C+=("$c"); D+=("$d")
  printf 'round %d: A greentune %8s img/s | B python %8s | C python+malloc %8s | D greentune, default malloc %8s\n' \
    "$r" "$a" "$b" "$c" "$d"
done
median() { printf '%s\n' "$@" | sort -g | awk '{v[NR]=$1} END {print (NR%2 ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2)}'; }
ma="$(median "${A[@]}")"; mb="$(median "${B[@]}")"; mc="$(median "${C[@]}")"; md="$(median "${D[@]}")"
echo "median img/s: A $ma  B $mb  C $mc  D $md"
awk -v a="$ma" -v b="$mb" -v c="$mc" -v d="$md" 'BEGIN {
  printf "ratio A/B (ours vs python as users run it):   %.2fx  (target >= 2)\n", a / b
  printf "ratio A/C (same allocator settings):           %.2fx  (target >= 1)\n", a / c
  printf "ratio A/D (what in-process malloc tuning buys): %.2fx\n", a / d }'

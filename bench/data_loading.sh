#!/usr/bin/env bash
# Training throughput of resnet20 and hrnet18 with batches prepared on the training thread
# (--data-workers 0, "before") and ahead in worker threads (--data-workers 2, the default,
# "after"), interleaved: every round runs R0 R2 H0 H2 once (the order alternates between
# rounds). Figures are the trainer's own training-phase img/s of one epoch (data loading before
# the epoch and the evaluation after it are not in them); medians over the rounds.
#
#   bench/data_loading.sh [ROUNDS] [RESNET_IMAGES] [HRNET_IMAGES] [HRNET_HEIGHT]
#   defaults:              3        2560            192            256
#
# resnet20 trains on CIFAR-10 from $GREENTUNE_DATA, else on Debian's Fashion-MNIST standing in
# (--substitute-data: the same 32x32x3 work per image). hrnet18 trains on a generated
# Market-1501-shaped tree (64x128 JPEGs, Market's file names) written to a temporary folder:
# decoding real Market JPEGs costs about the same per image.
# Environment: GREENTUNE (binary, default build/greentune), THREADS (libtorch threads, default
# greentune's), PYTHON (default /usr/bin/python3, needs PIL for the JPEGs).
set -euo pipefail

rounds="${1:-3}"
resnet_images="${2:-2560}"
hrnet_images="${3:-192}"
hrnet_height="${4:-256}"
here="$(cd "$(dirname "$0")" && pwd)"
bin="${GREENTUNE:-$here/../build/greentune}"
python="${PYTHON:-/usr/bin/python3}"
[[ -x "$bin" ]] || { echo "data_loading.sh: no greentune binary at $bin (set GREENTUNE)" >&2; exit 2; }

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
"$python" - "$tmp/market1501" "$hrnet_images" <<'PY'
import os, random, sys
from PIL import Image
root, count = sys.argv[1], int(sys.argv[2])
random.seed(7)
ids = max(2, count // 4 + 1)
for sub in ("bounding_box_train", "bounding_box_test", "query"):
    os.makedirs(os.path.join(root, sub), exist_ok=True)
def person(seed):
    r = random.Random(seed)
    top, bottom = [tuple(r.randrange(256) for _ in range(3)) for _ in range(2)]
    img = Image.new("RGB", (64, 128))
    px = img.load()
    for y in range(128):
        for x in range(64):
            base = top if y < 60 else bottom
            px[x, y] = tuple(max(0, min(255, c + r.randrange(-40, 41))) for c in base)
    return img
frame = 0
for i in range(1, ids + 1):
    # 5 images per identity: one goes to val, 4 are trained on
    for k in range(5):
        frame += 1
        person(i * 10 + k).save(os.path.join(root, "bounding_box_train",
                                             "%04d_c%ds1_%06d_01.jpg" % (i, 1 + k % 6, frame)), quality=90)
person(1).save(os.path.join(root, "query", "0001_c1s1_000001_01.jpg"), quality=90)
person(2).save(os.path.join(root, "bounding_box_test", "0001_c2s1_000002_01.jpg"), quality=90)
PY

threads_args=()
[[ -n "${THREADS:-}" ]] && threads_args=(--threads "$THREADS")

run() {  # model workers: prints the epoch's img/s
  local model="$1" workers="$2" out
  if [[ "$model" == resnet20 ]]; then
    out="$("$bin" train --model resnet20 --substitute-data --data-workers "$workers" "${threads_args[@]}" \
      --set epochs=1 --set train_limit="$resnet_images" --set test_limit=128 --json 2>&1 >/dev/null)"
  else
    out="$("$bin" train --model hrnet18 --data-dir "$tmp" --data-workers "$workers" "${threads_args[@]}" \
      --set epochs=1 --set train_limit="$((hrnet_images * 5 / 4 + 5))" --set test_limit=32 \
      --set image_height="$hrnet_height" --json 2>&1 >/dev/null)"
  fi
  grep -o '[0-9.]* img/s' <<<"$out" | tail -1 | cut -d' ' -f1 ||
    { echo "data_loading.sh: $model --data-workers $workers failed:" >&2; echo "$out" >&2; exit 1; }
}

declare -A results
for ((r = 1; r <= rounds; r++)); do
  if ((r % 2)); then order=("resnet20 0" "resnet20 2" "hrnet18 0" "hrnet18 2"); else order=("hrnet18 2" "hrnet18 0" "resnet20 2" "resnet20 0"); fi
  for job in "${order[@]}"; do
    read -r model workers <<<"$job"
    v="$(run "$model" "$workers")"
    results["$model $workers"]+="$v "
    echo "round $r: $model --data-workers $workers: $v img/s" >&2
  done
done

median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
echo "data loading benchmark: $rounds rounds, resnet20 $resnet_images images, hrnet18 ~$hrnet_images images at ${hrnet_height}x$((hrnet_height / 2)), threads ${THREADS:-default}, $(nproc) CPUs"
for model in resnet20 hrnet18; do
  before="$(median <<<"${results["$model 0"]}")"
  after="$(median <<<"${results["$model 2"]}")"
  printf '  %-8s  before (0 workers) %8s img/s   after (2 workers) %8s img/s   ratio %s\n' "$model" "$before" "$after" \
    "$(awk -v a="$after" -v b="$before" 'BEGIN {printf "%.2f", a / b}')"
done

#!/usr/bin/env bash
# Run HERE (a Debian 12 machine with the package registry) before a GPU device check.
# The GPU machines have CUDA PyTorch but no package registry: this downloads the Debian
# packages greentune builds against (header-only or small libraries) and the Fashion-MNIST
# files into .gpu-carry/ (git-ignored), which the device call carries along for
# scripts/gpu-check.sh to unpack into a private prefix.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
carry="$root/.gpu-carry"
mkdir -p "$carry/debs" "$carry/data"
grep -qx '/.gpu-carry/' "$root/.git/info/exclude" 2>/dev/null || echo '/.gpu-carry/' >> "$root/.git/info/exclude"
cd "$carry/debs"
rm -f ./*.deb
apt-get download -q libcli11-dev nlohmann-json3-dev libfmt-dev libfmt9 libtomlplusplus-dev libtomlplusplus3 \
  libsqlite3-dev libsqlite3-0 libboost1.74-dev libjpeg62-turbo-dev libjpeg62-turbo zlib1g-dev >/dev/null
cp /usr/share/datasets/fashion-mnist/*.gz "$carry/data/"
du -sh "$carry"

#!/usr/bin/env bash
# Installs the dependencies (Debian 12, apt-get), builds greentune and runs the main job on
# its embedded defaults.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
"$root/scripts/install-deps.sh" --no-test-deps
"$root/scripts/build.sh"
build="${BUILD_DIR:-$root/build}"
exec "$build/greentune" train --model mnist_cnn --set epochs=1

#!/usr/bin/env bash
# scripts/build.sh — configure (once) and build btmon into ./build.
# Usage: scripts/build.sh [extra meson setup options]
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -f build/build.ninja ]; then
	meson setup build "$@" >/dev/null
fi
ninja -C build >/dev/null

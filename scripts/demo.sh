#!/usr/bin/env bash
# scripts/demo.sh — btmon's main job on a fresh Debian 12 machine: install
# what is needed, build, and boot the default guest (the built-in demo
# kernel) through the translator. Extra arguments go to btmon, e.g.
#   scripts/demo.sh --trace=translate
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
scripts/build.sh
exec ./build/src/monitor/btmon "$@"

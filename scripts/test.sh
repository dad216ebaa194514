#!/usr/bin/env bash
# scripts/test.sh — every test: installs what is needed, builds with gcc and
# clang (both must be warning-free with -Wall -Wextra), runs the Check unit
# tests, the guest kernels (each under --verify) and the differential tests,
# then boots Debian's i386 Linux (fetched with apt by scripts/guest-image.sh)
# and checks a workload and an interactive shell (tests/linux/run.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh

build() {   # build DIR CC: configure once, build, fail on any warning
	local dir=$1 cc=$2 log
	[ -f "$dir/build.ninja" ] || CC=$cc meson setup "$dir" >/dev/null
	log=$(ninja -C "$dir" 2>&1) || { echo "$log" >&2; exit 1; }
	if grep -E "warning:" <<<"$log" >&2; then
		echo "$cc build has warnings" >&2
		exit 1
	fi
}

build build gcc
build build-clang clang
echo "gcc and clang builds: warning-free"
meson test -C build --print-errorlogs --num-processes 2
tests/linux/run.sh build

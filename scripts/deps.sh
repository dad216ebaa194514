#!/usr/bin/env bash
# scripts/deps.sh — install what btmon needs to build and test, from Debian
# 12's packages. Idempotent: installs only what is missing. Used by
# scripts/demo.sh and scripts/test.sh; run it alone to prepare a machine.
set -euo pipefail

packages=(
	build-essential gcc-multilib clang meson ninja-build pkg-config python3
	libzydis-dev libcapstone-dev libxxhash-dev libffi-dev check
)

missing=()
for p in "${packages[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

sudo=()
[ "$(id -u)" -ne 0 ] && sudo=(sudo)
echo "btmon: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null

#!/usr/bin/env bash
# scripts/run-linux.sh — build btmon, make the Linux guest (Debian's i386
# kernel + a busybox initramfs, scripts/guest-image.sh) and boot it on the
# serial console: an interactive busybox shell, or one command.
#
# Usage: scripts/run-linux.sh [--cmd 'COMMAND'] [btmon flags...]
#   scripts/run-linux.sh                       # boot to a shell; exit it to stop
#   scripts/run-linux.sh --cmd 'uname -a'      # run one command, then power off
#   scripts/run-linux.sh --stats               # extra flags go to btmon
#   LINUX_APPEND='quiet' scripts/run-linux.sh  # extra kernel parameters
#
# --cmd puts the command base64-encoded on the kernel command line
# (btmon.cmd=...), where the guest's /init finds it. The guest powers off
# by rebooting (an ISA PC has no ACPI power-off), so btmon runs with
# -no-reboot and exits when it does.
#
# Kernel parameters that shorten the boot under emulation (measured with
# QEMU, see issue 5): quiet (less console output), cryptomgr.notests (no
# crypto self-tests at boot), noisapnp (no ISA PnP probe).
set -euo pipefail
cd "$(dirname "$0")/.."

append="console=ttyS0${LINUX_APPEND:+ $LINUX_APPEND}"
if [ "${1:-}" = "--cmd" ]; then
	if [ $# -lt 2 ]; then
		echo "usage: scripts/run-linux.sh [--cmd 'COMMAND'] [btmon flags...]" >&2
		exit 2
	fi
	append+=" btmon.cmd=$(printf %s "$2" | base64 -w0)"
	shift 2
fi

scripts/build.sh
scripts/guest-image.sh build/guest >&2
exec ./build/src/monitor/btmon -kernel build/guest/bzImage \
	-initrd build/guest/initramfs.cpio.gz -append "$append" -m 256M -no-reboot "$@"

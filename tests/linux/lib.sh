# shellcheck shell=bash
# tests/linux/lib.sh — what the Linux guest tests share: argument checks,
# pass/fail counting, the kernel's release string and the guest's output.
# Sourced by boot_test.sh and shell_test.sh; not run on its own.
#
# A test calls lib_init NAME BTMON GUESTDIR, then check/pass/fail for each
# assertion, and ends with lib_summary, which prints
#   NAME: N passed, M failed
# and returns non-zero when anything failed.

# btmon prints a status line on SIGUSR1. A `pkill -USR1 -f btmon` aimed at a
# running btmon also matches these scripts and the `timeout` wrapping btmon
# (their command lines name btmon's path), and SIGUSR1 would kill them: a
# status request must not fail a test. Children inherit the ignored signal;
# btmon installs its own handler.
trap '' USR1

lib_passed=0
lib_failed=0
lib_name='test'

# The marker line the guest's /init prints (scripts/guest-image.sh).
# shellcheck disable=SC2034  # used by the tests that source this file
readonly lib_marker="btmon-guest: init ready"

lib_usage() {
	echo "usage: $0 BTMON GUESTDIR   (GUESTDIR from scripts/guest-image.sh, e.g. build/guest)" >&2
	exit 2
}

# lib_init NAME BTMON GUESTDIR: check the arguments; sets btmon, guestdir.
lib_init() {
	[ $# -eq 3 ] || lib_usage
	lib_name=$1
	btmon=$2
	guestdir=$(realpath -m "$3")
	if [ ! -x "$btmon" ]; then
		echo "$lib_name: $btmon is not an executable btmon (build it: meson setup build && ninja -C build)" >&2
		exit 2
	fi
	local f
	for f in bzImage initramfs.cpio.gz; do
		if [ ! -f "$guestdir/$f" ]; then
			echo "$lib_name: $guestdir/$f is missing (make it: scripts/guest-image.sh $guestdir)" >&2
			exit 2
		fi
	done
}

pass() {
	echo "PASS: $1"
	lib_passed=$((lib_passed + 1))
}

fail() {
	echo "FAIL: $1"
	lib_failed=$((lib_failed + 1))
}

# check DESCRIPTION COMMAND...: pass if COMMAND succeeds, else fail.
check() {
	local what=$1
	shift
	if "$@"; then
		pass "$what"
	else
		fail "$what"
	fi
}

# lib_summary: print the count line; non-zero status if anything failed.
lib_summary() {
	echo "$lib_name: $lib_passed passed, $lib_failed failed"
	[ "$lib_failed" -eq 0 ] && [ "$lib_passed" -gt 0 ]
}

# kernel_release BZIMAGE: the release (`uname -r`) the bzImage was built as,
# from the setup header's kernel_version string (Documentation/x86/boot.rst:
# a pointer at 0x20E, relative to 0x200).
kernel_release() {
	local ptr
	ptr=$(od -An -tu2 -j $((0x20e)) -N 2 "$1" | tr -d ' ')
	[ -n "$ptr" ] || return 1
	dd if="$1" bs=1 skip=$((ptr + 0x200)) count=128 2>/dev/null |
		tr '\0' '\n' | head -n 1 | cut -d ' ' -f 1
}

# has_line FILE LINE: FILE holds exactly LINE (as a whole line).
has_line() {
	grep -qxF -- "$2" "$1"
}

# show_tail FILE: the end of a guest's output, indented, for a failure.
show_tail() {
	echo "  --- last lines of $1:"
	tail -n "${2:-25}" "$1" | sed 's/^/  | /'
}

#!/usr/bin/env bash
# tests/linux/shell_test.sh — the Linux guest's interactive console test
# (issue 5): boot without btmon.cmd=, so /init starts a shell on the serial
# console, type a command into btmon's stdin (a pipe) and check the shell
# ran it; `exit` then powers the guest off and btmon exits with status 0.
#
#   tests/linux/shell_test.sh BTMON GUESTDIR
#
# The command is typed once /init has said it starts the shell: bytes that
# arrive while the kernel boots are consumed by its 8250 driver (FIFO clears
# and reads while it probes and opens the port), with QEMU and on real
# hardware too, so a plain `printf ... | btmon` would lose them. btmon's
# stdin is a FIFO this script keeps open until it has typed everything.
# The shell's prompt must show before anything is typed (it ends without a
# newline, so this checks that console output is not held back).
# Bounded by a 60 s timeout. Prints one PASS/FAIL line per check and
# "shell_test: N passed, M failed"; exits 0 only when every check passed.
set -uo pipefail
# shellcheck source=tests/linux/lib.sh
. "$(dirname "$0")/lib.sh"
lib_init shell_test "$@"

readonly timeout_s=60
readonly prompt="btmon-guest:/# "   # PS1 from the image's /etc/profile
readonly prompt_s=10                 # the prompt's delay after /init's line

tmp=$(mktemp -d)
pid=
cleanup() {
	exec 3>&- 2>/dev/null
	[ -n "$pid" ] && kill "$pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

out=$tmp/out
mkfifo "$tmp/in"
echo "shell_test: booting $guestdir/bzImage to its shell under $btmon, timeout ${timeout_s} s"
start=$SECONDS
# Read-write, so neither side's open waits for the other; btmon does not
# inherit it, so closing it is the end of btmon's input.
exec 3<>"$tmp/in"
timeout "$timeout_s" "$btmon" -kernel "$guestdir/bzImage" -initrd "$guestdir/initramfs.cpio.gz" \
	-append "console=ttyS0 quiet" -m 256M -no-reboot <"$tmp/in" >"$out" 2>"$tmp/err" 3>&- &
pid=$!

# wait_for SECONDS PATTERN: wait up to SECONDS (and within the test's
# timeout) until the output, carriage returns dropped, has a line matching
# the extended regex PATTERN; fails when btmon has exited or time is up.
wait_for() {
	local until=$((SECONDS + $1))
	[ "$until" -le $((start + timeout_s)) ] || until=$((start + timeout_s))
	while [ "$SECONDS" -lt "$until" ]; do
		tr -d '\r' <"$out" | grep -qE -- "$2" && return 0
		kill -0 "$pid" 2>/dev/null || { tr -d '\r' <"$out" | grep -qE -- "$2"; return; }
		sleep 0.2
	done
	return 1
}

if wait_for "$timeout_s" '^btmon-guest: interactive shell'; then
	pass "/init started the interactive shell after $((SECONDS - start)) s"
	# The prompt has no newline after it: it shows only if btmon sends the
	# guest's output on at once (QEMU shows it within a second).
	check "the shell prompt '$prompt' appeared within ${prompt_s} s, before any input" \
		wait_for "$prompt_s" "^$prompt"
	# $(echo shell): the typed line, echoed back, is not the expected output.
	# shellcheck disable=SC2016  # the guest's shell expands it
	printf 'echo hello-from-$(echo shell)\n' >&3
	check "the shell ran the typed 'echo hello-from-\$(echo shell)'" \
		wait_for 20 '^hello-from-shell$'
	printf 'exit\n' >&3
else
	fail "/init started the interactive shell"
fi
exec 3>&-

wait "$pid"
status=$?
pid=
echo "shell_test: btmon exited with status $status after $((SECONDS - start)) s"
tr -d '\r' <"$out" >"$out.txt"
check "marker line '$lib_marker'" has_line "$out.txt" "$lib_marker"
if [ "$status" -eq 0 ]; then
	pass "btmon exit status 0 after the shell's exit"
else
	fail "btmon exit status $status (want 0; 124 is the timeout); its stderr:"
	sed 's/^/  | /' "$tmp/err" | head -n 20
fi
[ "$lib_failed" -eq 0 ] || show_tail "$out.txt"

lib_summary

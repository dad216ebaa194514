#!/bin/sh
# expect_status.sh — run a command and check how it ended: its exit status,
# and text that its stderr must contain. For guests whose correct outcome is
# a clean stop rather than a power-off (a triple fault): btmon must exit
# with a status of its own, not die on a signal, and say why on stderr.
#
#   expect_status.sh [-s STATUS|nonzero] [-e TEXT]... -- COMMAND [ARG]...
#
#   -s nonzero   any status from 1 to 127 (the default); 128 and up mean the
#                command died on a signal
#   -s N         exactly N
#   -e TEXT      stderr must contain TEXT (a fixed string); repeatable
set -u
want=nonzero
texts=$(mktemp) || exit 99
err=$(mktemp) || exit 99
trap 'rm -f "$texts" "$err"' EXIT
while [ $# -gt 0 ]; do
	case $1 in
	-s) want=$2; shift 2 ;;
	-e) printf '%s\n' "$2" >>"$texts"; shift 2 ;;
	--) shift; break ;;
	*) echo "expect_status.sh: unknown option $1" >&2; exit 99 ;;
	esac
done
[ $# -gt 0 ] || { echo "expect_status.sh: no command" >&2; exit 99; }

"$@" 2>"$err"
status=$?
cat "$err" >&2
fail=0
if [ "$want" = nonzero ]; then
	if [ $status -eq 0 ] || [ $status -ge 128 ]; then
		echo "FAIL exit status $status, want 1..127" >&2
		fail=1
	fi
elif [ $status -ne "$want" ]; then
	echo "FAIL exit status $status, want $want" >&2
	fail=1
fi
while IFS= read -r text; do
	if ! grep -qF -- "$text" "$err"; then
		echo "FAIL stderr does not contain \"$text\"" >&2
		fail=1
	fi
done <"$texts"
[ $fail -eq 0 ] && echo "ok   exit status $status; stderr has every expected text" >&2
exit $fail

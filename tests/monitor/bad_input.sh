#!/usr/bin/env bash
# tests/monitor/bad_input.sh BTMON DEMO_ELF — bad flags, files and images give
# exactly one error line on stderr, nothing on stdout, and exit status 2.
set -u
btmon=$1 demo=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0 passes=0

expect_bad() {   # expect_bad WHAT PATTERN ARGS...
	local what=$1 pattern=$2
	shift 2
	local out err rc
	out=$("$btmon" "$@" 2>"$tmp/err" </dev/null)
	rc=$?
	err=$(cat "$tmp/err")
	if [ "$rc" -ne 2 ] || [ -n "$out" ] || [ "$(wc -l <"$tmp/err")" -ne 1 ] ||
	   ! grep -q -- "$pattern" <<<"$err"; then
		echo "FAIL $what: status $rc, stdout '$out', stderr '$err' (want status 2, one line matching '$pattern')"
		fails=$((fails + 1))
	else
		echo "ok   $what: $err"
		passes=$((passes + 1))
	fi
}

printf 'not a kernel at all\n' >"$tmp/text"
head -c 100 "$demo" >"$tmp/truncated.elf"
head -c 5000 "$demo" >"$tmp/cut.elf"

expect_bad "unknown flag" "unknown option '-bogus'" -bogus
expect_bad "missing kernel file" "cannot read" -kernel "$tmp/nope.elf"
expect_bad "missing argument" "missing argument" -kernel
expect_bad "bad memory size" "bad size" -m 12Q
expect_bad "kernel without a Multiboot header" "no Multiboot header" -kernel "$tmp/text"
expect_bad "ELF cut before its Multiboot header" "no Multiboot header" -kernel "$tmp/truncated.elf"
expect_bad "ELF cut inside a segment" "past end of file" -kernel "$tmp/cut.elf"
expect_bad "too little RAM" "less than" -kernel "$demo" -m 1M
expect_bad "unwritable trace file" "trace" --trace --trace-file /nonexistent-dir/t.txt

echo "$passes passed, $fails failed"
[ "$fails" -eq 0 ]

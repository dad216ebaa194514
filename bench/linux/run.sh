#!/usr/bin/env bash
# bench/linux/run.sh — issue 5's benchmark: the same static i386 workload
# programs (bench/linux/*.c) natively on the host, in the Linux guest under
# btmon and in the same guest under qemu-system-i386 (TCG), plus the time
# each machine takes to boot the guest to its marker line; prints seconds
# and ratios side by side.
#
#   bench/linux/run.sh [BUILD_DIR]        (default: build; btmon must be built)
#
# Workloads (each prints "bench-linux: NAME SECONDS RESULT", timed inside
# the program with clock_gettime; sizes below are about 1 s natively):
#   cpu        integer loop (xorshift, multiply, divide, table loads/stores)
#   syscall    getppid() through syscall(2)
#   fork       fork + _exit + waitpid (batches of 2,000)
#   pagetouch  touch every page of a fresh 64 MiB mapping (passes of 64 MiB)
#   pipe       one-byte ping-pong between two processes over two pipes
#   x87        double-precision loop built with -mfpmath=387
#   sse2       packed-double SSE2 loop built with -msse2 -mfpmath=sse
# Every machine runs the same program with the same size; their RESULTs
# must agree (a mismatch is reported and makes the exit status 1).
# Natively each workload runs BENCH_LINUX_NATIVE_RUNS times and the median
# counts (on a shared or SMT host a busy sibling slows native code 2-4x);
# in the guests each runs once, all in one boot per machine.
#
# Boot: host-side wall time from starting btmon / QEMU to the guest's
# "btmon-guest: init ready" line, median of BENCH_LINUX_BOOTS boots with
# the same kernel command line (console=ttyS0 quiet).
#
# The guest: scripts/guest-image.sh with GUEST_EXTRA_DIR (the programs as
# /bench) into BUILD_DIR/bench-linux/guest, sharing build/guest's .debs; the
# default image in build/guest is not changed. btmon's --stats for the
# workload run go to BUILD_DIR/bench-linux/btmon.stats, the consoles to
# BUILD_DIR/bench-linux/*.log.
#
# Environment:
#   BENCH_LINUX_DIV        divide every size by this (default 1), on all
#                          three machines alike. A full run takes about 6
#                          minutes, most of it QEMU's; 10 gives a 1-minute run
#   BENCH_LINUX_WORKLOADS  which workloads (default: all, in the order above)
#   BENCH_LINUX_BOOTS      boots timed per machine (default 3; 0 skips)
#   BENCH_LINUX_NATIVE_RUNS  native runs per workload (default 3)
#   BENCH_LINUX_QEMU       0 skips QEMU (default 1)
#   BENCH_LINUX_TIMEOUT    seconds allowed for one guest run (default 3600)
#
# Reference (issue 5, QEMU 7.2 on a 2-core Debian 12 machine): boot 4.1 s;
# QEMU/native cpu 6.1x, syscall 6.3x, fork 15.6x, pagetouch 5.4x, pipe 28x,
# x87 66x, sse2 18x. Numbers are printed, never asserted: benchmarks are not
# tests.
set -euo pipefail
trap '' USR1   # a `pkill -USR1 -f btmon` (btmon's status request) must not kill us
export LC_ALL=C
cd "$(dirname "$0")/../.."

readonly build=${1:-build}
readonly btmon=$build/src/monitor/btmon
readonly work=$build/bench-linux
readonly div=${BENCH_LINUX_DIV:-1}
readonly boots=${BENCH_LINUX_BOOTS:-3}
readonly native_runs=${BENCH_LINUX_NATIVE_RUNS:-3}
readonly use_qemu=${BENCH_LINUX_QEMU:-1}
readonly timeout_s=${BENCH_LINUX_TIMEOUT:-3600}
readonly marker="btmon-guest: init ready"
readonly append="console=ttyS0 quiet"
readonly qemu_flags=(-accel tcg -M isapc -cpu "qemu32,-apic" -m 256M -nographic -no-reboot)
readonly all_workloads=(cpu syscall fork pagetouch pipe x87 sse2)

# Sizes at BENCH_LINUX_DIV=1, about 1 s each natively on the 2-core
# development machine when the other core is idle (the programs' own
# defaults are the same).
declare -A size=(
	[cpu]=360000000 [syscall]=7000000 [fork]=22000 [pagetouch]=36
	[pipe]=360000 [x87]=70000000 [sse2]=78000000
)
declare -A unit=(
	[cpu]=iterations [syscall]=calls [fork]=processes [pagetouch]="x 64 MiB"
	[pipe]="round trips" [x87]=iterations [sse2]=iterations
)
declare -A ref_qemu=(
	[cpu]=6.1 [syscall]=6.3 [fork]=15.6 [pagetouch]=5.4 [pipe]=28 [x87]=66 [sse2]=18
)
declare -A flags=([x87]="-mfpmath=387" [sse2]="-msse2 -mfpmath=sse")

die() {
	echo "bench/linux: $*" >&2
	exit 1
}

[[ $div =~ ^[1-9][0-9]*$ ]] || die "BENCH_LINUX_DIV=$div: want a positive number"
[[ $boots =~ ^[0-9]+$ ]] || die "BENCH_LINUX_BOOTS=$boots: want a number"
[[ $native_runs =~ ^[1-9][0-9]*$ ]] || die "BENCH_LINUX_NATIVE_RUNS=$native_runs: want a positive number"
[[ $timeout_s =~ ^[1-9][0-9]*$ ]] || die "BENCH_LINUX_TIMEOUT=$timeout_s: want seconds"
read -r -a workloads <<<"${BENCH_LINUX_WORKLOADS:-${all_workloads[*]}}"
for w in "${workloads[@]}"; do
	[[ -n ${size[$w]:-} ]] || die "unknown workload '$w' (known: ${all_workloads[*]})"
	size[$w]=$((size[$w] / div))
	[[ ${size[$w]} -gt 0 ]] || size[$w]=1
done
[[ -x $btmon ]] || die "$btmon is missing (build it: meson setup $build && ninja -C $build)"
qemu=
if [[ $use_qemu != 0 ]]; then
	qemu=$(command -v qemu-system-i386) ||
		die "qemu-system-i386 is not installed (apt-get install qemu-system-x86, or BENCH_LINUX_QEMU=0)"
fi

# ---- build the programs and the guest ----------------------------------
mkdir -p "$work/bin"
for w in "${all_workloads[@]}"; do
	# shellcheck disable=SC2086  # flags[] holds several words
	gcc -m32 -static -O2 -fno-math-errno -Wall -Wextra ${flags[$w]:-} \
		-o "$work/bin/$w.tmp" "bench/linux/$w.c" -lm ||
		die "cannot build bench/linux/$w.c (gcc -m32 needs gcc-multilib)"
	if cmp -s "$work/bin/$w.tmp" "$work/bin/$w"; then
		rm "$work/bin/$w.tmp"   # unchanged: keep its time, so the image stays
	else
		mv "$work/bin/$w.tmp" "$work/bin/$w"
	fi
done
scripts/guest-image.sh build/guest >&2
GUEST_DEBS=build/guest/debs GUEST_EXTRA_DIR=$work/bin \
	scripts/guest-image.sh "$work/guest" >&2

# ---- running --------------------------------------------------------------
declare -A secs result   # [machine:workload]
declare -a boot_btmon=() boot_qemu=()

# median NUMBERS...
median() {
	printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 }
		END { if (NR == 0) print ""; else if (NR % 2) print v[(NR + 1) / 2];
		      else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# parse MACHINE FILE: collect the "bench-linux:" lines of FILE.
parse() {
	local name s r tag
	while read -r tag name s r; do
		[[ $tag == bench-linux: ]] || continue
		secs[$1:$name]=$s
		result[$1:$name]=$r
	done <"$2"
}

# stamp T0: copy stdin to stdout without carriage returns, adding a line
# "bench-linux-boot: SECONDS" (since T0, an $EPOCHREALTIME) after the marker.
stamp() {
	local line
	while IFS= read -r line || [[ -n $line ]]; do
		line=${line%$'\r'}
		printf '%s\n' "$line"
		if [[ $line == "$marker" ]]; then
			awk -v a="$EPOCHREALTIME" -v b="$1" 'BEGIN { printf "bench-linux-boot: %.3f\n", a - b }'
		fi
	done
}

# run_guest MACHINE LOG CMD: boot the guest on MACHINE (btmon or qemu) with
# CMD as btmon.cmd; its console goes to LOG (stderr to LOG.err). Sets
# boot_s, the seconds to the marker line.
run_guest() {
	local machine=$1 log=$2 cmd=$3 status t0
	local args=(-kernel "$work/guest/bzImage" -initrd "$work/guest/initramfs.cpio.gz"
		-append "$append btmon.cmd=$(printf %s "$cmd" | base64 -w0)")
	local run=("$btmon" "${args[@]}" -m 256M -no-reboot)
	[[ $machine == qemu ]] && run=("$qemu" "${qemu_flags[@]}" "${args[@]}")
	[[ $machine == btmon && $log == *workloads* ]] && run+=(--stats)
	t0=$EPOCHREALTIME
	set +e
	timeout "$timeout_s" "${run[@]}" </dev/null 2>"$log.err" | stamp "$t0" >"$log"
	status=${PIPESTATUS[0]}
	set -e
	boot_s=$(awk '$1 == "bench-linux-boot:" { print $2; exit }' "$log")
	if [[ $status -ne 0 || -z $boot_s ]]; then
		tail -n 20 "$log" "$log.err" >&2
		die "$machine run failed (exit status $status; 124 = timed out after $timeout_s s); console in $log"
	fi
}

echo "bench/linux: host $(nproc) CPUs, load average $(cut -d ' ' -f 1-3 /proc/loadavg); sizes divided by $div" >&2
guest_cmd="cd /bench"
for w in "${workloads[@]}"; do
	runs=()
	for ((i = 1; i <= native_runs; i++)); do
		"$work/bin/$w" "${size[$w]}" >"$work/native-$w.log" || die "native $w failed"
		parse native "$work/native-$w.log"
		runs+=("${secs[native:$w]}")
	done
	secs[native:$w]=$(median "${runs[@]}")
	echo "  native $w ${size[$w]}: ${runs[*]} s" >&2
	guest_cmd+="; ./$w ${size[$w]} || echo \"bench-linux-failed: $w status \$?\""
done

machines=(btmon)
[[ -n $qemu ]] && machines+=(qemu)
for m in "${machines[@]}"; do
	echo "  $m: workloads in one boot (log: $work/$m-workloads.log)" >&2
	run_guest "$m" "$work/$m-workloads.log" "$guest_cmd"
	parse "$m" "$work/$m-workloads.log"
	if grep -q '^bench-linux-failed:' "$work/$m-workloads.log"; then
		grep '^bench-linux-failed:' "$work/$m-workloads.log" >&2
		die "a workload failed under $m"
	fi
	for ((i = 1; i <= boots; i++)); do
		run_guest "$m" "$work/$m-boot.log" true
		echo "  $m: boot $i/$boots: $boot_s s" >&2
		if [[ $m == btmon ]]; then boot_btmon+=("$boot_s"); else boot_qemu+=("$boot_s"); fi
	done
done
[[ -f $work/btmon-workloads.log.err ]] && cp "$work/btmon-workloads.log.err" "$work/btmon.stats"

# ---- the table ----------------------------------------------------------
# ratio A B: A / B, or "-" when either is missing.
ratio() {
	if [[ -z $1 || -z $2 ]]; then echo -; return; fi
	awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2fx\n", a / b; else print "-" }'
}
secs_or_dash() {
	if [[ -n $1 ]]; then printf '%.3f' "$1"; else printf -- -; fi
}

mismatch=0
echo
echo "Linux guest benchmark: native vs btmon vs QEMU TCG (seconds; lower is better)"
echo "  btmon: $btmon"
[[ -n $qemu ]] && echo "  qemu:  $("$qemu" --version | head -n 1) ${qemu_flags[*]}"
printf '%-10s %-24s %9s %9s %9s %10s %9s %11s %8s\n' workload size native btmon QEMU \
	btmon/nat QEMU/nat QEMU/btmon "ref Q/n"
if ((boots > 0)); then
	b=$(median "${boot_btmon[@]}")
	q=$(median "${boot_qemu[@]}")
	printf '%-10s %-24s %9s %9s %9s %10s %9s %11s %8s\n' boot "to marker, median of $boots" - \
		"$(secs_or_dash "$b")" "$(secs_or_dash "$q")" - - "$(ratio "$q" "$b")" "4.1 s"
fi
for w in "${workloads[@]}"; do
	n=${secs[native:$w]:-} b=${secs[btmon:$w]:-} q=${secs[qemu:$w]:-}
	printf '%-10s %-24s %9s %9s %9s %10s %9s %11s %8s\n' "$w" "${size[$w]} ${unit[$w]}" \
		"$(secs_or_dash "$n")" "$(secs_or_dash "$b")" "$(secs_or_dash "$q")" \
		"$(ratio "$b" "$n")" "$(ratio "$q" "$n")" "$(ratio "$q" "$b")" "${ref_qemu[$w]}x"
	for m in "${machines[@]}"; do
		if [[ ${result[$m:$w]:-} != "${result[native:$w]:-}" ]]; then
			echo "  RESULT MISMATCH: $w computed ${result[$m:$w]:-nothing} under $m, ${result[native:$w]:-nothing} natively" >&2
			mismatch=1
		fi
	done
done
echo
echo "Seconds are measured by each program around its own loop (CLOCK_MONOTONIC in"
echo "the machine it runs in; natively the median of $native_runs runs); boot is host"
echo "wall time from start to the marker line."
echo "ref Q/n: QEMU/native from issue 5 (QEMU 7.2, 2-core Debian 12). btmon's --stats"
echo "for the workload run: $work/btmon.stats"
exit "$mismatch"

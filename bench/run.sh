#!/usr/bin/env bash
# run.sh — btmon's compute benchmark: run bench_kernel() (bench/kernels/
# compute.c) natively as a 32-bit Linux program and translated under btmon,
# check both compute the same result, and print how much slower btmon is.
#
#	bench/run.sh [BUILD_DIR]          BUILD_DIR defaults to ./build
#	meson compile -C build bench      the same, through the run_target
#
# Environment:
#	BENCH_N          rounds of the kernel (default 3000, about 1 s natively)
#	BENCH_RUNS       runs of each program; the medians are reported (default 5)
#	BENCH_QEMU_RUNS  runs under qemu-system-i386, if installed (default 3;
#	                 0 skips QEMU)
#
# Two ratios are printed. The kernel ratio compares RDTSC ticks the guest and
# the native program measure around bench_kernel() alone (btmon passes RDTSC
# through, so both read the host's TSC); it includes translating the
# kernel's blocks on first use. The wall ratio compares whole-process times
# (date +%s%N), so it adds btmon's start-up, loading and boot. Under QEMU
# (TCG) the guest's TSC is virtualised, so only QEMU's wall time is compared,
# and that includes QEMU's own start-up and the SeaBIOS boot.
set -euo pipefail

readonly build=${1:-./build}
readonly n=${BENCH_N:-3000}
readonly runs=${BENCH_RUNS:-5}
readonly qemu_runs=${BENCH_QEMU_RUNS:-3}
readonly qemu_timeout_s=600

die() {
	echo "bench: $*" >&2
	exit 1
}

[[ $n =~ ^[1-9][0-9]{0,8}$ ]] || die "BENCH_N=$n: want a number of rounds from 1 to 999999999"
[[ $runs =~ ^[1-9][0-9]?$ ]] || die "BENCH_RUNS=$runs: want 1 to 99"
[[ $qemu_runs =~ ^[0-9][0-9]?$ ]] || die "BENCH_QEMU_RUNS=$qemu_runs: want 0 to 99"
[[ -f $build/build.ninja ]] ||
	die "$build is not a configured Meson build directory (run: meson setup $build)"

readonly btmon=$build/src/monitor/btmon
readonly guest=$build/bench/bench_guest.elf
readonly native=$build/bench/bench_native
readonly kernel_obj=$build/bench/bench_kernel.o

# Under `meson compile bench` the run_target has built everything already
# (and a nested build of the same directory must be avoided); run by hand,
# bring the three programs up to date first.
if [[ -z ${MESON_BUILD_ROOT:-} ]]; then
	if ! log=$(meson compile -C "$build" btmon bench_guest.elf bench_native 2>&1); then
		printf '%s\n' "$log" >&2
		die "building btmon and the benchmark in $build failed"
	fi
fi
for f in "$btmon" "$guest" "$native" "$kernel_obj"; do
	[[ -f $f ]] || die "$f is missing after the build"
done

# A library call in the kernel would run different code on each side
# (glibc natively, guests/common/mem.c in the guest).
undefined=$(nm -u "$kernel_obj")
[[ -z $undefined ]] ||
	die "bench_kernel.o calls outside itself, so guest and native differ: $(echo "$undefined" | tr -s ' \n' ' ')"

# The median of the numbers given as arguments (mean of the middle two for
# an even count), rounded down to an integer.
median() {
	printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 }
		END { m = int((NR + 1) / 2); printf "%.0f\n", (NR % 2) ? v[m] : int((v[m] + v[m + 1]) / 2) }'
}

# ratio A B: A / B to two decimals.
ratio() {
	awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f\n", a / b }'
}

# measure NAME COUNT OK_STATUS COMMAND...: run COMMAND COUNT times; each run
# must exit with status OK_STATUS and print a "bench: ... result=0x...
# cycles=..." line. Sets the globals results (every run's result),
# med_cycles and med_wall_ns (medians).
measure() {
	local name=$1 count=$2 ok_status=$3
	shift 3
	local i out line start end status
	local -a cycles=() walls=()

	results=()
	for ((i = 1; i <= count; i++)); do
		start=$(date +%s%N)
		status=0
		out=$("$@" 2>&1 </dev/null) || status=$?
		end=$(date +%s%N)
		line=$(printf '%s\n' "$out" | tr -d '\r' | grep -o 'bench: n=[0-9]* result=0x[0-9a-f]* cycles=[0-9]*' | tail -n 1) || true
		if [[ $status -ne $ok_status || -z $line ]]; then
			printf '%s\n' "$out" | tail -n 20 >&2
			die "$name run $i failed (exit status $status): $*"
		fi
		results+=("${line#* result=}")
		results[-1]=${results[-1]%% *}
		cycles+=("${line##*cycles=}")
		walls+=($((end - start)))
		printf '  %-8s run %d/%d: %s, %d ms wall\n' "$name" "$i" "$count" \
			"${line#bench: }" $(((end - start) / 1000000)) >&2
	done
	med_cycles=$(median "${cycles[@]}")
	med_wall_ns=$(median "${walls[@]}")
}

# check_results NAME: every result of the last measure() equals $expected.
check_results() {
	local r
	for r in "${results[@]}"; do
		[[ $r == "$expected" ]] ||
			die "RESULT MISMATCH: $1 computed $r, native computed $expected (n=$n): the translation is wrong"
	done
}

echo "bench: bench_kernel(n=$n), $runs runs each, medians" >&2

measure native "$runs" 0 "$native" "n=$n"
expected=${results[0]}
check_results native
native_cycles=$med_cycles
native_wall=$med_wall_ns

measure btmon "$runs" 0 "$btmon" -kernel "$guest" -append "n=$n"
check_results btmon
btmon_cycles=$med_cycles
btmon_wall=$med_wall_ns

qemu=$(command -v qemu-system-i386 || true)
if [[ -n $qemu && $qemu_runs -gt 0 ]]; then
	# QEMU only queues the power-off request of start.S's write to 0x604;
	# the vCPU reaches the isa-debug-exit write first, so a guest_main
	# returning 0 exits QEMU with status (0 << 1) | 1.
	measure qemu "$qemu_runs" 1 timeout "$qemu_timeout_s" "$qemu" -kernel "$guest" \
		-append "n=$n" -nographic -no-reboot \
		-device isa-debug-exit,iobase=0xf4,iosize=4 -M pc -accel tcg
	check_results qemu
	qemu_wall=$med_wall_ns
fi

echo
echo "bench_kernel(n=$n): result $expected everywhere; medians of $runs runs"
printf '%-26s %16s %8s %12s %8s\n' "" "kernel ticks" "ratio" "wall ms" "ratio"
printf '%-26s %16d %8s %12d %8s\n' "native (gcc -m32)" "$native_cycles" "1.00" \
	$((native_wall / 1000000)) "1.00"
printf '%-26s %16d %8s %12d %8s\n' "btmon" "$btmon_cycles" \
	"$(ratio "$btmon_cycles" "$native_cycles")" $((btmon_wall / 1000000)) \
	"$(ratio "$btmon_wall" "$native_wall")"
if [[ -n ${qemu_wall:-} ]]; then
	printf '%-26s %16s %8s %12d %8s\n' "qemu-system-i386 (TCG)" "n/a" "n/a" \
		$((qemu_wall / 1000000)) "$(ratio "$qemu_wall" "$native_wall")"
fi
echo
echo "kernel ticks: host TSC around bench_kernel() only (btmon passes RDTSC through;"
echo "  includes translating the kernel on first use). wall: the whole process, so"
echo "  btmon's also counts start-up, loading and boot."
if [[ -n ${qemu_wall:-} ]]; then
	echo "qemu: TCG virtualises the guest's TSC, so only wall time is compared; it"
	echo "  includes QEMU's start-up and the SeaBIOS boot (medians of $qemu_runs runs)."
elif [[ -z $qemu ]]; then
	echo "qemu: qemu-system-i386 not installed, skipped."
fi

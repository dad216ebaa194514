#!/usr/bin/env bash
# run.sh — btmon's system microbenchmarks (issue 4): run each guest kernel of
# bench/system under btmon (and qemu-system-i386, if installed), time the
# host's own versions of the operations, and print cycles and microseconds
# per operation next to Adams & Agesen (2006) and the issue's targets, then
# what btmon did per operation (from btmon --stats).
#
#	bench/system/run.sh [BUILD_DIR]     BUILD_DIR defaults to ./build
#	meson compile -C build sysbench     the same, through the run_target
#
# Environment:
#	SYSBENCH_N        operations per repetition under btmon (default 1000)
#	SYSBENCH_REPS     timed repetitions in each run; the kernel prints their
#	                  median and minimum (default 31: many short repetitions
#	                  let the minimum find ones no other process disturbed)
#	SYSBENCH_RUNS     btmon runs of each benchmark; the median of their
#	                  medians is reported (default 3)
#	SYSBENCH_QEMU_MS  how long QEMU's long run of each benchmark should take,
#	                  in ms (default 1500; 0 skips QEMU)
#	SYSBENCH_QEMU_RUNS  long/short pairs under QEMU; the median is reported
#	                  (default 3)
#
# Cycles are TSC ticks. btmon passes the host TSC through RDTSC, so each
# guest times itself; the native program reads the same TSC. The TSC's rate,
# measured against CLOCK_MONOTONIC by sysbench_native, turns cycles into µs.
# Under QEMU (TCG) the guest's TSC is QEMU's: QEMU is timed from outside, by
# wall time around a long run minus a short one (n=1), divided by the
# difference in operations. A first run with n=1000 sizes the long one; the
# guest's own RDTSC figure from the long run is shown as a cross-check.
#
# Events per operation: each benchmark also runs once with n=1, and the
# difference of the two runs' --stats counters, divided by the difference
# in operations, is what one operation cost btmon (boot, translation and the
# report cancel out).
set -euo pipefail

readonly build=${1:-./build}
readonly n=${SYSBENCH_N:-1000}
readonly reps=${SYSBENCH_REPS:-31}
readonly runs=${SYSBENCH_RUNS:-3}
readonly qemu_ms=${SYSBENCH_QEMU_MS:-1500}
readonly qemu_runs=${SYSBENCH_QEMU_RUNS:-3}
readonly qemu_reps=3
readonly timeout_s=300

die() {
	echo "sysbench: $*" >&2
	exit 1
}

[[ $n =~ ^[1-9][0-9]{0,7}$ && $n -ge 2 ]] || die "SYSBENCH_N=$n: want 2 to 99999999"
[[ $reps =~ ^[1-9][0-9]?$ && $reps -le 31 ]] || die "SYSBENCH_REPS=$reps: want 1 to 31"
[[ $runs =~ ^[1-9][0-9]?$ ]] || die "SYSBENCH_RUNS=$runs: want 1 to 99"
[[ $qemu_ms =~ ^[0-9]{1,6}$ ]] || die "SYSBENCH_QEMU_MS=$qemu_ms: want 0 (skip) to 999999"
[[ $qemu_runs =~ ^[1-9][0-9]?$ ]] || die "SYSBENCH_QEMU_RUNS=$qemu_runs: want 1 to 99"
[[ -f $build/build.ninja ]] ||
	die "$build is not a configured Meson build directory (run: meson setup $build)"

readonly btmon=$build/src/monitor/btmon
readonly dir=$build/bench/system
readonly native=$dir/sysbench_native
readonly hostprobe=$dir/sysbench_hostprobe
readonly kernels=(syscall pagefault shadow_fill cr3_switch pte_write divzero privinsn)

# Under `meson compile sysbench` the run_target has built everything; run
# by hand, bring btmon, the kernels and the host programs up to date first.
if [[ -z ${MESON_BUILD_ROOT:-} ]]; then
	targets=(btmon sysbench_native sysbench_hostprobe)
	for k in "${kernels[@]}"; do
		targets+=("sysbench_$k.elf")
	done
	if ! log=$(meson compile -C "$build" "${targets[@]}" 2>&1); then
		printf '%s\n' "$log" >&2
		die "building btmon and the benchmarks in $build failed (is bench/system in bench/meson.build?)"
	fi
fi
for f in "$btmon" "$native" "$hostprobe"; do
	[[ -x $f ]] || die "$f is missing after the build"
done
for k in "${kernels[@]}"; do
	[[ -f $dir/$k.elf ]] || die "$dir/$k.elf is missing after the build"
done

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# The benchmarks: result name | kernel | extra command-line words | what.
readonly specs=(
	"syscall_int80|syscall||syscall: INT 0x80 + IRET, CPL 3"
	"syscall_sysenter|syscall|sysenter=1|syscall: SYSENTER + SYSEXIT, CPL 3"
	"page_fault_true|pagefault||true #PF, handler maps (CPL 0)"
	"page_fault_true_cpl3|pagefault|cpl=3|true #PF, handler maps (CPL 3)"
	"divzero|divzero||#DE delivered + IRET (no MMU)"
	"shadow_fill_hidden|shadow_fill||hidden fault: touch after CR3 load"
	"cr3_switch_global|cr3_switch||CR3 switch + touch, global kernel"
	"cr3_switch_nonglobal|cr3_switch|global=0|CR3 switch + touch, non-global"
	"cr3_switch_notouch|cr3_switch|touch=0|CR3 switch alone, global kernel"
	"pte_write|pte_write||PTE write + INVLPG + touch"
	"pte_write_notouch|pte_write|touch=0|PTE write + INVLPG"
	"privinsn_cr0_read|privinsn||MOV from CR0 (one bare exit)"
)

# The median of the integers given as arguments (the lower middle one for
# an even count, so it is always a measured value).
median() {
	printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}

# field_of FIELD NAME FILE: a field (cycles_per_op, min) of NAME's report
# line in FILE.
field_of() {
	tr -d '\r' <"$3" | sed -n "s/^.*bench: $2 .*\<$1=\([0-9]*\).*$/\1/p" | tail -n 1
}

cycles_of() {
	field_of cycles_per_op "$1" "$2"
}

# run_btmon OUT ERR KERNEL WORDS: one btmon run with --stats.
run_btmon() {
	local status=0
	timeout "$timeout_s" "$btmon" --stats -kernel "$dir/$3.elf" -append "$4" \
		>"$1" 2>"$2" </dev/null || status=$?
	if [[ $status -ne 0 ]]; then
		tail -n 20 "$1" "$2" >&2
		die "btmon -kernel $dir/$3.elf -append \"$4\" failed (exit status $status)"
	fi
}

# run_qemu OUT KERNEL WORDS: one QEMU run; prints its wall time in ns. A
# guest_main returning 0 leaves QEMU through isa-debug-exit with status 1.
run_qemu() {
	local status=0 start end
	start=$(date +%s%N)
	timeout "$timeout_s" "$qemu" -kernel "$dir/$2.elf" -append "$3" -nographic -no-reboot \
		-cpu pentium3 -M pc -accel tcg -device isa-debug-exit,iobase=0xf4,iosize=4 \
		>"$1" 2>&1 </dev/null || status=$?
	end=$(date +%s%N)
	if [[ $status -ne 1 ]]; then
		tail -n 20 "$1" >&2
		die "qemu-system-i386 -kernel $dir/$2.elf -append \"$3\" failed (exit status $status)"
	fi
	echo $((end - start))
}

# stats_kv FILE: btmon's --stats output as "key value" lines.
stats_kv() {
	awk '
	/^  exits by reason:/ { sec = "exit"; next }
	/^  monitor procedures run/ { sec = "proc"; next }
	/^    [A-Za-z0-9_-]+ +[0-9]+$/ { if (sec != "") print sec "." $1, $2; next }
	{ sec = "" }
	/^  window fills/ { p = $4; sub(/^[(]/, "", p); print "fills", $3; print "fill_pages", p }
	/^  CR3 writes/ { r = $7; sub(/[)],$/, "", r); print "cr3_writes", $3; print "window_resets", r; print "invlpgs", $9 }
	/^  guest page faults/ { g = $4; sub(/,$/, "", g); print "guest_pf", g; print "dirty_upgrades", $7 }
	/^  guest exception/ { print "exception." $3, $4 }
	' "$1"
}

# events_per_op BASE_ERR BIG_ERR OPS: the counters that changed between two
# runs, per operation, on one line.
events_per_op() {
	awk -v ops="$3" '
	NR == FNR { base[$1] = $2; next }
	{
		d = ($2 - base[$1]) / ops
		if (d >= 0.005 || d <= -0.005) {
			k = $1
			sub(/^exit[.]/, "exit:", k); sub(/^proc[.]/, "", k); sub(/^exception[.]/, "exc", k)
			line = line sprintf("%s%s %.2f", line == "" ? "" : ", ", k, d)
		}
	}
	END { print line == "" ? "(nothing)" : line }
	' <(stats_kv "$1") <(stats_kv "$2")
}

# ---- the host: TSC rate, native operations, btmon's building blocks ----
read -r load _ </proc/loadavg || load='?'
echo "sysbench: host programs (n=$n, median of $reps)" >&2
"$native" "n=$n" "reps=$reps" >"$tmp/native.out" || die "$native failed"
"$hostprobe" "n=$n" "reps=$reps" >"$tmp/hostprobe.out" || die "$hostprobe failed"
tsc_hz=$(sed -n 's/^bench: tsc_hz=\([0-9]*\)$/\1/p' "$tmp/native.out")
[[ -n $tsc_hz && $tsc_hz -gt 0 ]] || die "sysbench_native printed no TSC rate"
declare -A host
for name in native_getppid_int80 native_getppid_sysenter native_fault_madvise; do
	host[$name]=$(cycles_of "$name" "$tmp/native.out")
done
for name in host_segv_roundtrip host_map_unmap host_map_touch_unmap host_segv_map_unmap host_reset_4g; do
	host[$name]=$(cycles_of "$name" "$tmp/hostprobe.out")
done
run_btmon "$tmp/pit.out" "$tmp/pit.err" privinsn "n=1 reps=1 pit=1"
pit_khz=$(tr -d '\r' <"$tmp/pit.out" | sed -n 's/^bench: tsc_khz_pit=\([0-9]*\)$/\1/p')

# ---- btmon ----
declare -A btmon_cyc btmon_min events
for spec in "${specs[@]}"; do
	IFS='|' read -r name kernel words _ <<<"$spec"
	vals=() mins=()
	for ((i = 1; i <= runs; i++)); do
		run_btmon "$tmp/b.out" "$tmp/b.err" "$kernel" "n=$n reps=$reps $words"
		v=$(cycles_of "$name" "$tmp/b.out")
		[[ -n $v ]] || die "btmon: $kernel.elf printed no result for $name"
		vals+=("$v")
		mins+=("$(field_of min "$name" "$tmp/b.out")")
		printf '  btmon %-22s run %d/%d: %6d cycles/op\n' "$name" "$i" "$runs" "$v" >&2
	done
	btmon_cyc[$name]=$(median "${vals[@]}")
	btmon_min[$name]=$(printf '%s\n' "${mins[@]}" | sort -n | head -n 1)
	run_btmon "$tmp/base.out" "$tmp/base.err" "$kernel" "n=1 reps=$reps $words"
	events[$name]=$(events_per_op "$tmp/base.err" "$tmp/b.err" $(((n - 1) * (reps + 1))))
done

# ---- QEMU ----
qemu=$(command -v qemu-system-i386 || true)
declare -A qemu_cyc=() qemu_self=()
if [[ -n $qemu && $qemu_ms -gt 0 ]]; then
	for spec in "${specs[@]}"; do
		IFS='|' read -r name kernel words _ <<<"$spec"
		run_qemu "$tmp/q.out" "$kernel" "n=1000 reps=1 $words" >/dev/null
		est=$(cycles_of "$name" "$tmp/q.out")
		# Operations per repetition for a long run of about qemu_ms.
		qn=$(awk -v ms="$qemu_ms" -v hz="$tsc_hz" -v c="${est:-0}" -v r=$((qemu_reps + 1)) \
			'BEGIN { c = c < 1 ? 1 : c; q = int(ms / 1000 * hz / c / r)
				 printf "%d\n", (q < 1000 ? 1000 : (q > 50000000 ? 50000000 : q)) }')
		vals=() selfs=()
		for ((i = 1; i <= qemu_runs; i++)); do
			short=$(run_qemu "$tmp/q.out" "$kernel" "n=1 reps=$qemu_reps $words")
			long=$(run_qemu "$tmp/q.out" "$kernel" "n=$qn reps=$qemu_reps $words")
			vals+=("$(awk -v l="$long" -v s="$short" -v ops=$(((qn - 1) * (qemu_reps + 1))) \
				-v hz="$tsc_hz" 'BEGIN { printf "%.0f\n", (l - s) / ops * hz / 1e9 }')")
			selfs+=("$(cycles_of "$name" "$tmp/q.out")")
			printf '  qemu  %-22s run %d/%d: %6d cycles/op (wall, n=%d), %s (guest RDTSC)\n' \
				"$name" "$i" "$qemu_runs" "${vals[-1]}" "$qn" "${selfs[-1]:-?}" >&2
		done
		qemu_cyc[$name]=$(median "${vals[@]}")
		qemu_self[$name]=$(median "${selfs[@]}")
	done
fi

# ---- the tables ----
us() {
	awk -v c="$1" -v hz="$tsc_hz" 'BEGIN { printf "%.2f\n", c / hz * 1e6 }'
}

# Adams & Agesen (2006), cycles on their Pentium 4: native / software VMM /
# hardware VMM; only the figures issue 4 quotes.
declare -A aa=(
	[syscall_int80]="SW VMM: native + ~2000"
	[page_fault_true]="1093 / 3927 / 11242"
	[page_fault_true_cpl3]="1093 / 3927 / 11242"
)
declare -A target=(
	[syscall_int80]=1 [syscall_sysenter]=1 [cr3_switch_global]=1 [cr3_switch_nonglobal]=1
	[cr3_switch_notouch]=1
)
declare -A native_of=(
	[syscall_int80]=native_getppid_int80 [syscall_sysenter]=native_getppid_sysenter
	[page_fault_true]=native_fault_madvise [page_fault_true_cpl3]=native_fault_madvise
)

row() {
	printf '%-36s %7s %7s %7s %6s %7s %6s  %-23s %s\n' "$@"
}

echo
echo "btmon system microbenchmarks, cycles per operation (TSC ticks) and us;" \
	"TSC $(awk -v hz="$tsc_hz" 'BEGIN { printf "%.3f", hz / 1e9 }') GHz by CLOCK_MONOTONIC" \
	"(guest PIT channel 2 under btmon: $(awk -v k="${pit_khz:-0}" 'BEGIN { printf "%.3f", k / 1e6 }') GHz)"
echo "btmon: median (and min) of $runs runs, each the median of $reps repetitions of $n operations;" \
	"host load average before: $load"
echo
row "operation" "native" "btmon" "(min)" "us" "QEMU" "us" "Adams&Agesen nat/SW/HW" "target"
for spec in "${specs[@]}"; do
	IFS='|' read -r name _ _ what <<<"$spec"
	nat=-
	[[ -n ${native_of[$name]:-} ]] && nat=${host[${native_of[$name]}]:--}
	b=${btmon_cyc[$name]}
	q=- qus=-
	if [[ -n ${qemu_cyc[$name]:-} ]]; then
		q=${qemu_cyc[$name]}
		qus=$(us "$q")
	fi
	verdict=
	if [[ -n ${target[$name]:-} ]]; then
		if awk -v c="$b" -v hz="$tsc_hz" 'BEGIN { exit !(c / hz * 1e6 <= 1) }'; then
			verdict="<= 1 us: met"
		else
			verdict="<= 1 us: MISSED"
		fi
	fi
	row "$what" "$nat" "$b" "${btmon_min[$name]}" "$(us "$b")" "$q" "$qus" "${aa[$name]:--}" "$verdict"
done
echo
echo "native: this host, a 32-bit Linux process: getppid() by INT 0x80 and by the vDSO's SYSENTER;"
echo "  for page faults, touching a memfd page that MADV_DONTNEED dropped, plus that madvise. A"
echo "  guest kernel's other operations have no counterpart in a Linux process."
if [[ ${#qemu_cyc[@]} -gt 0 ]]; then
	echo "QEMU: qemu-system-i386 -accel tcg -cpu pentium3, (wall(long run) - wall(n=1)) / operations,"
	echo "  median of $qemu_runs pairs; the guest's own RDTSC figures under QEMU (cycles/op, median),"
	echo "  as a cross-check:"
	line=
	for spec in "${specs[@]}"; do
		IFS='|' read -r name _ _ _ <<<"$spec"
		line+=" $name=${qemu_self[$name]:-?}"
	done
	echo "$line" | fold -s -w 96 | sed 's/^ */    /'
elif [[ -z $qemu ]]; then
	echo "QEMU: qemu-system-i386 not installed, skipped."
fi
echo "Adams & Agesen (ASPLOS 2006): a system call costs ~2000 cycles more under their software"
echo "  VMM than natively (native speed under the hardware VMM); a true page fault 1093 cycles"
echo "  native, 3927 under the software VMM, 11242 under the hardware VMM (their Pentium 4)."
echo
echo "host building blocks (sysbench_hostprobe, an x86-64 process like btmon), cycles:"
echo "  SIGSEGV round trip ${host[host_segv_roundtrip]}; mmap a memfd page + PROT_NONE over it" \
	"${host[host_map_unmap]};"
echo "  the same with a load between (a host fault fills the PTE) ${host[host_map_touch_unmap]};" \
	"with a SIGSEGV first ${host[host_segv_map_unmap]};"
echo "  PROT_NONE over an empty 4 GiB window (a view reset) ${host[host_reset_4g]}"
echo
echo "what btmon did per operation (--stats of the n=$n run minus those of an n=1 run):"
for spec in "${specs[@]}"; do
	IFS='|' read -r name _ _ _ <<<"$spec"
	printf '  %-22s %s\n' "$name" "${events[$name]}" | fold -s -w 110 | sed '2,$s/^/                         /'
done

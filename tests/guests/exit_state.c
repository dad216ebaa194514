/*
 * exit_state.c — guest test: the whole x87/SSE state and the flags survive
 * every kind of exit to the monitor. btmon's world switch saves only XMM0–15 and MXCSR on
 * an exit and leaves the x87 registers live (src/monitor/switch.S), so this
 * guest fills all of it with values no default has — a full x87 stack with
 * +inf from a masked divide by zero (ZE sticky), FCW rounding down, MXCSR
 * rounding up with PE sticky, distinct XMM0–7 — and compares FXSAVE images
 * taken right before and right after each exit:
 *	OUT to port 0x80 and IN from 0xE9 (port I/O: devices are serviced),
 *	CPUID and MOV from CR0 (monitor procedures), a load from a guest-physical
 *	hole (a host fault, emulated), a store into a page holding translated
 *	code (a code-page write fault, finished by single-stepping), and
 *	CPUID in a loop (the decode cache's hit path).
 * FIP/FDP (bytes 8–23) are not compared: in 64-bit mode they hold host
 * addresses. Then it computes with the state it kept: FADD rounding down
 * and ADDSS rounding up must give their directed results.
 * EFLAGS: each arithmetic flag pattern (and DF) POPFD loads is what PUSHFD
 * shows after an OUT and a CPUID (the world switch restores OF SF ZF AF PF
 * CF without POPFQ when it can, src/monitor/switch.S).
 * Expected values are the state this guest loaded itself and the IEEE 754
 * encodings of the directed roundings. Returns 0 only if every check passed.
 */
#include <stdint.h>

#include "check.h"
#include "console.h"
#include "io.h"
#include "multiboot.h"

#define HOLE 0xe0000000u        /* no RAM, no device: reads all-ones */

#define FCW_DOWN  0x077f        /* all masked, 64-bit precision, round down */
#define MXCSR_UP  0x5fa0        /* all masked, round up, PE sticky */

static uint8_t fx_before[512] __attribute__((aligned(16)));
static uint8_t fx_after[512] __attribute__((aligned(16)));
static uint8_t code_page[4096] __attribute__((aligned(4096)));   /* a RET, translated */

/* Fill x87, MXCSR and XMM0-7 with non-default values. */
static void fe_load_state(void)
{
	static const uint16_t fcw = FCW_DOWN;
	static const uint32_t mxcsr = MXCSR_UP;
	static const uint64_t zero = 0;
	static uint32_t xmm[8][4] __attribute__((aligned(16)));
	for (unsigned i = 0; i < 8; i++)
		for (unsigned j = 0; j < 4; j++)
			xmm[i][j] = 0x01020304u * (i + 1) + 0x10001000u * j;
	__asm__ volatile("fninit\n\t"
			 "fldcw %0\n\t"
			 "fld1\n\tfldpi\n\tfldl2t\n\tfldl2e\n\tfldlg2\n\tfldln2\n\tfldz\n\t"
			 "fld1\n\t"
			 "fdivl %1\n\t"           /* 1/0: +inf, ZE (masked) */
			 "ldmxcsr %2\n\t"
			 "movaps 0(%3), %%xmm0\n\tmovaps 16(%3), %%xmm1\n\t"
			 "movaps 32(%3), %%xmm2\n\tmovaps 48(%3), %%xmm3\n\t"
			 "movaps 64(%3), %%xmm4\n\tmovaps 80(%3), %%xmm5\n\t"
			 "movaps 96(%3), %%xmm6\n\tmovaps 112(%3), %%xmm7"
			 : : "m"(fcw), "m"(zero), "m"(mxcsr), "r"(xmm) : "memory");
}

static void fe_save(uint8_t *fx)
{
	__asm__ volatile("fxsave %0" : "=m"(*(uint8_t (*)[512])fx));
}

/* The two images agree on everything but FIP/FDP (and XMM8-15: 64-bit only). */
static void fe_compare(const char *exit_kind)
{
	char name[96];
	unsigned bad = 0;
	for (unsigned off = 0; off < 288; off += 4) {
		if (off >= 8 && off < 24)
			continue;
		uint32_t b = *(uint32_t *)(fx_before + off), a = *(uint32_t *)(fx_after + off);
		if (a != b) {
			console_printf("  fxsave offset %u: before 0x%x after 0x%x\n", off, b, a);
			bad++;
		}
	}
	check_eq(check_cat(name, sizeof name, "x87/SSE state kept across ", exit_kind), bad, 0);
}

static void exit_out(void) { __asm__ volatile("outb %%al, $0x80" : : "a"(0x5a)); }
static void exit_in(void) { uint8_t v; __asm__ volatile("inb $0xe9, %0" : "=a"(v)); (void)v; }
static void exit_cpuid(void)
{
	uint32_t a = 0, b, c = 0, d;
	__asm__ volatile("cpuid" : "+a"(a), "=b"(b), "+c"(c), "=d"(d));
}
static void exit_cr0(void) { uint32_t v; __asm__ volatile("movl %%cr0, %0" : "=r"(v)); (void)v; }
static void exit_hole(void) { (void)*(volatile uint32_t *)HOLE; }
static void exit_code_write(void)
{
	((void (*)(void))code_page)();   /* (re)translate the page: a RET */
	((volatile uint8_t *)code_page)[64] = 0x90;
}
static void exit_cpuid_loop(void)
{
	for (unsigned i = 0; i < 100; i++)
		exit_cpuid();
}

static const struct {
	const char *name;
	void (*fn)(void);
} exits[] = {
	{ "OUT (port I/O)", exit_out }, { "IN (port I/O)", exit_in },
	{ "CPUID", exit_cpuid }, { "MOV from CR0", exit_cr0 },
	{ "a load from a hole (host fault)", exit_hole },
	{ "a store into translated code (code-page write fault)", exit_code_write },
	{ "100 CPUIDs (decode cache hits)", exit_cpuid_loop },
};

/* Directed rounding with the FCW and MXCSR kept across exits: FADD of
 * 1 + 3*2^-54 stored as a double (round down: 1.0; to nearest it would be
 * 1 + 2^-52) and ADDSS of 1 + 2^-30 (round up: 1 + 2^-23; to nearest 1.0). */
static void fe_rounding_after_exits(void)
{
	static const uint64_t three_2m54 = 0x3ca8000000000000ull;
	static const uint32_t one_f = 0x3f800000u, two_m30_f = 0x30800000u;
	uint64_t sum_d;
	uint32_t sum_f;
	fe_load_state();
	exit_cpuid();
	exit_hole();
	__asm__ volatile("fstp %%st(0)\n\t"     /* the stack is full: make room */
			 "fld1\n\tfaddl %1\n\tfstpl %0"
			 : "=m"(sum_d) : "m"(three_2m54) : "memory");
	check_eq("fadd then fstp round down with the kept FCW (high)", (uint32_t)(sum_d >> 32),
		 0x3ff00000u);
	check_eq("fadd then fstp round down with the kept FCW (low)", (uint32_t)sum_d, 0);
	__asm__ volatile("movss %1, %%xmm0\n\taddss %2, %%xmm0\n\tmovss %%xmm0, %0"
			 : "=m"(sum_f) : "m"(one_f), "m"(two_m30_f) : "memory");
	check_eq("addss rounds up with the kept MXCSR", sum_f, 0x3f800001u);
}

/* POPFD flags; an OUT and a CPUID; PUSHFD. */
static uint32_t fe_flags_across(uint32_t flags)
{
	uint32_t out;
	__asm__ volatile("pushl %1\n\tpopfl\n\t"
			 "outb %%al, $0x80\n\t"
			 "movl $0, %%eax\n\tmovl $0, %%ecx\n\tcpuid\n\t"
			 "pushfl\n\tpopl %0\n\tcld"
			 : "=r"(out) : "r"(flags) : "eax", "ebx", "ecx", "edx", "memory", "cc");
	return out;
}

static void fe_flags(void)
{
	static const uint32_t arith = 0x8d5, df = 0x400;   /* OF SF ZF AF PF CF; DF */
	static const uint32_t patterns[] = {
		0, 0x8d5, 0x800, 0x001, 0x004, 0x010, 0x040, 0x080, 0x0d5, 0x801, 0x400, 0xcd5,
	};
	unsigned bad = 0;
	for (unsigned i = 0; i < sizeof(patterns) / sizeof(patterns[0]); i++) {
		uint32_t want = patterns[i] | 0x202;                 /* IF, bit 1 */
		if (!check_quiet("flags kept across OUT and CPUID",
				 fe_flags_across(want) & (arith | df | 0x202), want))
			bad++;
	}
	check_eq("12 flag patterns kept across OUT and CPUID", bad, 0);
}

int guest_main(uint32_t magic, const struct mb_info *info)
{
	(void)magic;
	(void)info;
	sse_enable();
	console_puts("exit_state: x87/SSE state across exits to the monitor\n");
	code_page[0] = 0xc3;   /* ret */
	/* Once without checking, so the code between the two FXSAVEs is
	 * translated and chained: then only the exit under test leaves it. */
	for (unsigned pass = 0; pass < 2; pass++) {
		for (unsigned i = 0; i < sizeof(exits) / sizeof(exits[0]); i++) {
			fe_load_state();
			fe_save(fx_before);
			exits[i].fn();
			fe_save(fx_after);
			if (pass == 1)
				fe_compare(exits[i].name);
		}
	}
	check_eq("fcw as loaded", fx_after[0] | fx_after[1] << 8, FCW_DOWN);
	check_eq("all eight x87 registers in use (abridged FTW)", fx_after[4], 0xff);
	check_eq("ZE sticky in FSW", fx_after[2] & 0x04, 0x04);
	check_eq("mxcsr as loaded", *(uint32_t *)(fx_after + 24), MXCSR_UP);
	fe_rounding_after_exits();
	fe_flags();
	return check_summary("exit_state");
}

/*
 * fpu_sse.c — guest test: a little x87, MMX and SSE/SSE2, which the
 * translator copies (with its memory-operand rewrite) and whose state the
 * monitor must preserve across exits.
 *
 * x87: FNINIT defaults (control word 0x037F, status 0), FLD/FADD/FMUL/FDIV/
 * FSQRT/FSTP on doubles, FILD/FISTP rounding to nearest even, FLDPI,
 * FCOM + FNSTSW AX condition codes, a masked divide by zero (+inf, ZE set),
 * FXSAVE's control word and MXCSR fields.
 * SSE/SSE2 (after CR0.EM=0, CR0.MP=1, CR4.OSFXSR|OSXMMEXCPT): STMXCSR
 * default 0x1F80, MOVAPS/ADDPS, ADDPD, MULSD/DIVSD/SQRTSD, CVTSI2SD from a
 * register and from memory, CVTTSD2SI/CVTSD2SI, UCOMISD flags (less, equal,
 * unordered), PSHUFD, PADDD, PMULUDQ, PCMPEQB + PMOVMSKB, MOVD/MOVQ, MOVUPS
 * across a page boundary; MMX PADDB + EMMS; and that an exit to the monitor
 * (port I/O) leaves XMM and x87 registers intact.
 *
 * Everything floating-point is in asm on memory operands and compared as
 * bit patterns, so the C compiler (-march=i686) emits no FP code and the
 * guest needs no -msse2. Expected values are the IEEE 754 encodings of the
 * exact or correctly rounded results (checked on the host CPU).
 * Returns 0 only if every check passed.
 */
#include <stdint.h>

#include "check.h"
#include "console.h"
#include "io.h"
#include "multiboot.h"


/* IEEE 754 double encodings. */
#define D_1_0    0x3ff0000000000000ull
#define D_2_0    0x4000000000000000ull
#define D_2_5    0x4004000000000000ull
#define D_3_5    0x400c000000000000ull
#define D_6_0    0x4018000000000000ull
#define D_SQRT2  0x3ff6a09e667f3bcdull  /* sqrt(2) rounded to nearest */
#define D_PI     0x400921fb54442d18ull
#define D_THIRD  0x3fd5555555555555ull  /* 1/3 rounded to nearest */
#define D_INF    0x7ff0000000000000ull
#define D_NEG7   0xc01c000000000000ull
#define D_QNAN   0x7ff8000000000000ull

/* Checks a 64-bit pattern as two 32-bit halves. */
static void check64(const char *what, uint64_t got, uint64_t want)
{
	char name[80];

	check_eq(check_cat(name, sizeof name, what, " (high)"), (uint32_t)(got >> 32),
		 (uint32_t)(want >> 32));
	check_eq(check_cat(name, sizeof name, what, " (low)"), (uint32_t)got, (uint32_t)want);
}

static void fs_x87(void)
{
	static const uint64_t two = D_2_0, two_half = D_2_5, one_half = 0x3ff8000000000000ull;
	static const uint64_t four = 0x4010000000000000ull;
	uint64_t r;
	uint16_t cw, sw;
	int32_t i;

	__asm__ volatile("fninit\n\tfnstcw %0\n\tfnstsw %1" : "=m"(cw), "=m"(sw));
	check_eq("fninit: control word 0x037f", cw, 0x037f);
	check_eq("fninit: status word 0", sw, 0);

	__asm__ volatile("fld1\n\tfaddl %1\n\tfstpl %0" : "=m"(r) : "m"(two_half));
	check64("fld1; fadd 2.5 = 3.5", r, D_3_5);
	__asm__ volatile("fldl %1\n\tfmull %2\n\tfstpl %0" : "=m"(r) : "m"(one_half), "m"(four));
	check64("1.5 * 4.0 = 6.0", r, D_6_0);
	__asm__ volatile("fldl %1\n\tfsqrt\n\tfstpl %0" : "=m"(r) : "m"(two));
	check64("fsqrt 2.0", r, D_SQRT2);
	__asm__ volatile("fld1\n\tfldl %1\n\tfdivrp\n\tfstpl %0" : "=m"(r) : "m"(two) : "memory");
	check64("fld1; fld 2.0; fdivrp: 1/2", r, 0x3fe0000000000000ull);
	__asm__ volatile("fldpi\n\tfstpl %0" : "=m"(r));
	check64("fldpi", r, D_PI);
	__asm__ volatile("fldl %1\n\tfistpl %0" : "=m"(i) : "m"(two_half));
	check_eq("fistp 2.5 rounds to even: 2", (uint32_t)i, 2);
	__asm__ volatile("fldl %1\n\tfistpl %0" : "=m"(i) : "m"((uint64_t){ D_3_5 }));
	check_eq("fistp 3.5 rounds to even: 4", (uint32_t)i, 4);

	/* FCOM sets C0 (bit 8), C2 (bit 10), C3 (bit 14). */
	__asm__ volatile("fld1\n\tfcompl %1\n\tfnstsw %%ax" : "=a"(sw) : "m"(two));
	check_eq("fcom 1.0 < 2.0: C0", sw & 0x4500, 0x0100);
	__asm__ volatile("fldl %1\n\tfcompl %1\n\tfnstsw %%ax" : "=a"(sw) : "m"(two));
	check_eq("fcom 2.0 = 2.0: C3", sw & 0x4500, 0x4000);
	__asm__ volatile("fldl %1\n\tfld1\n\tfcompp\n\tfnstsw %%ax" : "=a"(sw) : "m"(two));
	check_eq("fcompp 1.0 vs 2.0 pops both: TOP back to 0", (sw >> 11) & 7, 0);

	__asm__ volatile("fnclex\n\tfld1\n\tfldz\n\tfdivrp\n\tfstpl %0\n\tfnstsw %1"
			 : "=m"(r), "=m"(sw));
	check64("1/0 masked: +inf", r, D_INF);
	check_eq("1/0 masked: ZE set in the status word", sw & 0x3f, 0x04);
	__asm__ volatile("fnclex");
}

static void fs_x87_int(void)
{
	static const int32_t seven = 7, two = 2;
	uint64_t r;

	__asm__ volatile("fildl %1\n\tfidivl %2\n\tfstpl %0" : "=m"(r) : "m"(seven), "m"(two));
	check64("fild 7; fidiv 2 = 3.5", r, D_3_5);
}

static void fs_sse(void)
{
	static const uint32_t fa[4] __attribute__((aligned(16))) = {
		0x3f800000, 0x40000000, 0x40400000, 0x40800000,         /* 1 2 3 4 */
	};
	static const uint32_t fb[4] __attribute__((aligned(16))) = {
		0x41200000, 0x41a00000, 0x41f00000, 0x42200000,         /* 10 20 30 40 */
	};
	static const uint64_t da[2] __attribute__((aligned(16))) = {
		0x3ff8000000000000ull, 0xc002000000000000ull,           /* 1.5 -2.25 */
	};
	static const uint64_t db[2] __attribute__((aligned(16))) = {
		0x3fd0000000000000ull, 0x3fd0000000000000ull,           /* 0.25 0.25 */
	};
	static const uint64_t one = D_1_0, two = D_2_0, three = 0x4008000000000000ull;
	static const uint64_t almost4 = 0x400feb851eb851ecull;     /* 3.99 */
	static const int32_t neg7 = -7;
	uint32_t out[4] __attribute__((aligned(16)));
	uint64_t d2[2] __attribute__((aligned(16)));
	uint64_t r;
	uint32_t x;

	__asm__ volatile("stmxcsr %0" : "=m"(x));
	check_eq("stmxcsr: default 0x1f80", x, 0x1f80);

	__asm__ volatile("movaps %1, %%xmm0\n\taddps %2, %%xmm0\n\tmovaps %%xmm0, %0"
			 : "=m"(out) : "m"(fa), "m"(fb));
	check_eq("addps lane 0: 11.0", out[0], 0x41300000);
	check_eq("addps lane 1: 22.0", out[1], 0x41b00000);
	check_eq("addps lane 2: 33.0", out[2], 0x42040000);
	check_eq("addps lane 3: 44.0", out[3], 0x42300000);

	__asm__ volatile("movapd %1, %%xmm1\n\taddpd %2, %%xmm1\n\tmovapd %%xmm1, %0"
			 : "=m"(d2) : "m"(da), "m"(db));
	check64("addpd lane 0: 1.75", d2[0], 0x3ffc000000000000ull);
	check64("addpd lane 1: -2.0", d2[1], 0xc000000000000000ull);

	__asm__ volatile("movsd %1, %%xmm2\n\tdivsd %2, %%xmm2\n\tmovsd %%xmm2, %0"
			 : "=m"(r) : "m"(one), "m"(three));
	check64("divsd 1/3", r, D_THIRD);
	__asm__ volatile("sqrtsd %1, %%xmm3\n\tmovsd %%xmm3, %0" : "=m"(r) : "m"(two));
	check64("sqrtsd 2.0", r, D_SQRT2);
	__asm__ volatile("movsd %1, %%xmm3\n\tmulsd %1, %%xmm3\n\tmovsd %%xmm3, %0"
			 : "=m"(r) : "m"(two));
	check64("mulsd 2*2", r, 0x4010000000000000ull);

	__asm__ volatile("cvtsi2sd %1, %%xmm4\n\tmovsd %%xmm4, %0" : "=m"(r) : "r"(-7));
	check64("cvtsi2sd from a register: -7", r, D_NEG7);
	__asm__ volatile("cvtsi2sdl %1, %%xmm4\n\tmovsd %%xmm4, %0" : "=m"(r) : "m"(neg7));
	check64("cvtsi2sd from memory: -7", r, D_NEG7);
	__asm__ volatile("cvttsd2si %1, %0" : "=r"(x) : "m"(almost4));
	check_eq("cvttsd2si 3.99 truncates: 3", x, 3);
	__asm__ volatile("cvtsd2si %1, %0" : "=r"(x) : "m"((uint64_t){ D_2_5 }));
	check_eq("cvtsd2si 2.5 rounds to even: 2", x, 2);
}

/* UCOMISD: ZF PF CF = 000 greater, 001 less, 100 equal, 111 unordered. */
static void fs_sse_compare(void)
{
	static const uint64_t one = D_1_0, two = D_2_0, qnan = D_QNAN;
	uint32_t f;

	__asm__ volatile("movsd %1, %%xmm5\n\tucomisd %2, %%xmm5\n\tpushfl\n\tpopl %0"
			 : "=r"(f) : "m"(one), "m"(two) : "cc");
	check_eq("ucomisd 1.0, 2.0: CF", f & 0x45, 0x01);
	__asm__ volatile("movsd %1, %%xmm5\n\tucomisd %1, %%xmm5\n\tpushfl\n\tpopl %0"
			 : "=r"(f) : "m"(two) : "cc");
	check_eq("ucomisd 2.0, 2.0: ZF", f & 0x45, 0x40);
	__asm__ volatile("movsd %1, %%xmm5\n\tucomisd %2, %%xmm5\n\tpushfl\n\tpopl %0"
			 : "=r"(f) : "m"(one), "m"(qnan) : "cc");
	check_eq("ucomisd with a NaN: ZF PF CF", f & 0x45, 0x45);
}

static void fs_sse2_int(void)
{
	static const uint32_t v[4] __attribute__((aligned(16))) = { 1, 2, 3, 4 };
	static const uint32_t w[4] __attribute__((aligned(16))) = {
		0xffffffff, 10, 0x80000000, 0x10000,
	};
	static const uint8_t bytes[16] __attribute__((aligned(16))) = {
		1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
	};
	static const uint8_t odd_zeroed[16] __attribute__((aligned(16))) = {
		1, 0, 3, 0, 5, 0, 7, 0, 9, 0, 11, 0, 13, 0, 15, 0,
	};
	static uint8_t pages[8192] __attribute__((aligned(4096)));
	uint32_t out[4] __attribute__((aligned(16)));
	uint64_t q[2] __attribute__((aligned(16)));
	uint32_t x;

	__asm__ volatile("pshufd $0x1b, %1, %%xmm0\n\tmovdqa %%xmm0, %0" : "=m"(out) : "m"(v));
	check_eq("pshufd 0x1b reverses: lane 0", out[0], 4);
	check_eq("pshufd 0x1b reverses: lane 3", out[3], 1);
	__asm__ volatile("movdqa %1, %%xmm1\n\tpaddd %2, %%xmm1\n\tmovdqa %%xmm1, %0"
			 : "=m"(out) : "m"(v), "m"(w));
	check_eq("paddd lane 0 wraps: 0", out[0], 0);
	check_eq("paddd lane 2", out[2], 0x80000003);
	__asm__ volatile("movdqa %1, %%xmm2\n\tpmuludq %2, %%xmm2\n\tmovdqa %%xmm2, %0"
			 : "=m"(q) : "m"(w), "m"(w));
	check64("pmuludq lane 0: 0xffffffff^2", q[0], 0xfffffffe00000001ull);
	check64("pmuludq lane 1: 0x80000000^2", q[1], 0x4000000000000000ull);

	__asm__ volatile("movdqa %1, %%xmm3\n\tpcmpeqb %2, %%xmm3\n\tpmovmskb %%xmm3, %0"
			 : "=r"(x) : "m"(bytes), "m"(odd_zeroed));
	check_eq("pcmpeqb + pmovmskb: even bytes equal", x, 0x5555);

	__asm__ volatile("movd %1, %%xmm4\n\tpsllq $4, %%xmm4\n\tmovd %%xmm4, %0"
			 : "=r"(x) : "r"(0x12345678));
	check_eq("movd r32 -> xmm, psllq 4, movd back", x, 0x23456780);
	__asm__ volatile("movq %1, %%xmm5\n\tmovq %%xmm5, %0"
			 : "=m"(q[0]) : "m"((uint64_t){ 0x0123456789abcdefull }));
	check64("movq m64 round trip", q[0], 0x0123456789abcdefull);

	for (unsigned i = 0; i < 16; i++)
		pages[4088 + i] = (uint8_t)(0xa0 + i);
	__asm__ volatile("movups %1, %%xmm6\n\tmovups %%xmm6, %0" : "=m"(out) : "m"(pages[4088]));
	check_eq("movups across a page boundary: first dword", out[0], 0xa3a2a1a0);
	check_eq("movups across a page boundary: last dword", out[3], 0xafaeadac);

	__asm__ volatile("movq %1, %%mm0\n\tpaddb %2, %%mm0\n\tmovq %%mm0, %0\n\temms"
			 : "=m"(q[0])
			 : "m"((uint64_t){ 0x01ff7f80fe020304ull }),
			   "m"((uint64_t){ 0x0101010101010101ull }));
	check64("mmx paddb wraps per byte", q[0], 0x02008081ff030405ull);
}

/* XMM and x87 registers survive an exit to the monitor (an OUT). */
static void fs_state_across_exit(void)
{
	static const uint64_t pi_bits = D_PI;
	uint32_t out[4] __attribute__((aligned(16)));
	uint64_t r;

	__asm__ volatile("movl $0x600dd00d, %%eax\n\t"
			 "movd %%eax, %%xmm7\n\t"
			 "pshufd $0, %%xmm7, %%xmm7\n\t"
			 "fldl %2\n\t"
			 "movw $0x3ff, %%dx\n\t"
			 "movb $0x42, %%al\n\t"
			 "outb %%al, %%dx\n\t"       /* exits to the monitor */
			 "inb %%dx, %%al\n\t"
			 "fstpl %1\n\t"
			 "movdqu %%xmm7, %0"
			 : "=m"(out), "=m"(r) : "m"(pi_bits) : "eax", "edx", "memory");
	check_eq("xmm7 after port I/O: lane 3", out[3], 0x600dd00d);
	check64("x87 st0 after port I/O", r, D_PI);

	uint8_t area[512 + 16];
	uint8_t *fx = (uint8_t *)(((uintptr_t)area + 15) & ~(uintptr_t)15);
	__asm__ volatile("fninit\n\tfxsave %0" : "=m"(*(uint8_t (*)[512])fx));
	check_eq("fxsave: fcw at offset 0", fx[0] | fx[1] << 8, 0x037f);
	/* fninit leaves MXCSR alone: masks 0x1F80 plus the sticky PE (0x20)
	 * that the inexact DIVSD/SQRTSD/CVT*2SI above raised. */
	check_eq("fxsave: mxcsr at offset 24, with sticky PE", fx[24] | fx[25] << 8 | fx[26] << 16 |
		 (uint32_t)fx[27] << 24, 0x1fa0);
}

int guest_main(uint32_t magic, const struct mb_info *info)
{
	(void)magic;
	(void)info;
	sse_enable();        /* before anything else runs an SSE instruction */
	console_puts("fpu_sse: x87, SSE, SSE2, MMX results as bit patterns\n");
	fs_x87();
	fs_x87_int();
	fs_sse();
	fs_sse_compare();
	fs_sse2_int();
	fs_state_across_exit();
	return check_summary("fpu_sse");
}

/*
 * branches.c — guest test: control transfers, which end translated blocks
 * and are chained (direct) or looked up at run time (indirect, RET).
 *
 * Covers every Jcc condition over all 32 combinations of CF PF ZF SF OF, in
 * rel8 and rel32 encodings; JMP rel8/rel32 and across a page boundary;
 * indirect JMP through a register, memory and a jump table; indirect CALL
 * through a register and memory; RET imm16; a return address the callee
 * edits, PUSH+RET, CALL+POP (get EIP); entering a translated block in its
 * middle and an instruction in its middle (overlapping code); LOOP, LOOPE,
 * LOOPNE, JECXZ; recursion (fib(20): 21891 calls; a 1000-deep chain, deeper
 * than any return-address cache); tight loops of 10^6 iterations; CALL
 * [ESP]; an instruction straddling two pages; self-modifying code (patched
 * from another page, on the second page of a straddling instruction, and a
 * store into the next instruction of the running block); and last the 16-bit
 * address-size forms JCXZ and LOOP (0x67: they use CX).
 *
 * Expected values are constants: the Jcc masks follow from the SDM's
 * condition table (and were checked on the host CPU), the rest are
 * arithmetic facts. Returns 0 only if every check passed.
 */
#include <stdint.h>

#include "check.h"
#include "console.h"
#include "multiboot.h"

/* Bit i set: the condition holds when EFLAGS has CF PF ZF SF OF = bits
 * 0..4 of i (SDM Vol. 1 Appendix B, "EFLAGS Condition Codes"). */
static const uint32_t jcc_taken_mask[16] = {
	0xffff0000, /* o  */ 0x0000ffff, /* no */ 0xaaaaaaaa, /* b  */ 0x55555555, /* ae */
	0xf0f0f0f0, /* e  */ 0x0f0f0f0f, /* ne */ 0xfafafafa, /* be */ 0x05050505, /* a  */
	0xff00ff00, /* s  */ 0x00ff00ff, /* ns */ 0xcccccccc, /* p  */ 0x33333333, /* np */
	0x00ffff00, /* l  */ 0xff0000ff, /* ge */ 0xf0fffff0, /* le */ 0x0f00000f, /* g  */
};

static uint32_t br_flags_combo(unsigned i)
{
	static const uint32_t bits[5] = { 0x001, 0x004, 0x040, 0x080, 0x800 };
	uint32_t f = 0x002;

	for (unsigned b = 0; b < 5; b++)
		if (i & (1u << b))
			f |= bits[b];
	return f;
}

/* 1 if Jcc (rel8) is taken with EFLAGS = f. */
#define JCC8(cc)                                                               \
	static uint32_t jcc8_##cc(uint32_t f)                                  \
	{                                                                      \
		uint32_t r;                                                    \
		__asm__ volatile("pushl %1\n\tpopfl\n\t"                       \
				 "movl $1, %0\n\t"                             \
				 "j" #cc " 1f\n\t"                             \
				 "movl $0, %0\n"                               \
				 "1:"                                          \
				 : "=&r"(r) : "r"(f) : "cc", "memory");        \
		return r;                                              \
	}
/* The same with the 0F 8x rel32 encoding, spelled out in bytes. */
#define JCC32(cc, n)                                                           \
	static uint32_t jcc32_##cc(uint32_t f)                                 \
	{                                                                      \
		uint32_t r;                                                    \
		__asm__ volatile("pushl %1\n\tpopfl\n\t"                       \
				 "movl $1, %0\n\t"                             \
				 ".byte 0x0f, 0x8" #n "\n\t"                   \
				 ".long 1f - (. + 4)\n\t"                      \
				 "movl $0, %0\n"                               \
				 "1:"                                          \
				 : "=&r"(r) : "r"(f) : "cc", "memory");        \
		return r;                                              \
	}
#define JCC_BOTH(cc, n) JCC8(cc) JCC32(cc, n)
JCC_BOTH(o, 0) JCC_BOTH(no, 1) JCC_BOTH(b, 2) JCC_BOTH(ae, 3)
JCC_BOTH(e, 4) JCC_BOTH(ne, 5) JCC_BOTH(be, 6) JCC_BOTH(a, 7)
JCC_BOTH(s, 8) JCC_BOTH(ns, 9) JCC_BOTH(p, a) JCC_BOTH(np, b)
JCC_BOTH(l, c) JCC_BOTH(ge, d) JCC_BOTH(le, e) JCC_BOTH(g, f)

static const struct {
	const char *name;
	uint32_t (*rel8)(uint32_t f), (*rel32)(uint32_t f);
} jccs[16] = {
#define JCC_ENTRY(cc) { "j" #cc, jcc8_##cc, jcc32_##cc }
	JCC_ENTRY(o), JCC_ENTRY(no), JCC_ENTRY(b), JCC_ENTRY(ae),
	JCC_ENTRY(e), JCC_ENTRY(ne), JCC_ENTRY(be), JCC_ENTRY(a),
	JCC_ENTRY(s), JCC_ENTRY(ns), JCC_ENTRY(p), JCC_ENTRY(np),
	JCC_ENTRY(l), JCC_ENTRY(ge), JCC_ENTRY(le), JCC_ENTRY(g),
#undef JCC_ENTRY
};

static void br_jcc(void)
{
	char name[64];

	for (unsigned c = 0; c < 16; c++) {
		uint32_t m8 = 0, m32 = 0;

		for (unsigned i = 0; i < 32; i++) {
			m8 |= jccs[c].rel8(br_flags_combo(i)) << i;
			m32 |= jccs[c].rel32(br_flags_combo(i)) << i;
		}
		check_eq(check_cat(name, sizeof name, jccs[c].name,
				   " rel8: taken for exactly its flags"), m8, jcc_taken_mask[c]);
		check_eq(check_cat(name, sizeof name, jccs[c].name,
				   " rel32: taken for exactly its flags"), m32, jcc_taken_mask[c]);
	}
}

/*
 * Functions in assembly, so their control flow is exactly what is written.
 *	br_fib(n)       recursive Fibonacci; counts calls in br_fib_calls
 *	br_chain(n)     n + br_chain(n - 1): n-deep recursion
 *	br_ret42()      returns 42
 *	br_stdcall(a,b) returns a - b and pops its arguments (RET 8)
 *	br_skip2()      returns 2 bytes past its return address
 *	br_twice()      EAX += 2 (br_twice_mid: EAX += 1, the same block's tail)
 *	br_overlap()    B8 31 C0 C3 90 C3: returns 0x90c3c031; br_overlap_inner
 *	                (its second byte) runs XOR EAX,EAX; RET: returns 0
 *	br_switch(i)    a jump table: returns 100 + 11 * i for i < 4
 *	br_smc_page()   returns the imm32 at br_smc_page + 1 (patched by C)
 *	br_straddle()   MOV EAX, imm32 whose bytes straddle two pages; returns it
 *	br_smc_same_block()  increments br_smc_counter, stores it into the
 *	                imm32 of its own MOV two instructions on, returns it
 */
__asm__(".text\n"
	"br_fib:\n\t"
	"incl br_fib_calls\n\t"
	"movl 4(%esp), %eax\n\t"
	"cmpl $2, %eax\n\t"
	"jb 1f\n\t"
	"pushl %ebx\n\t"
	"movl %eax, %ebx\n\t"
	"decl %eax\n\t"
	"pushl %eax\n\t"
	"call br_fib\n\t"
	"addl $4, %esp\n\t"
	"xchgl %eax, %ebx\n\t"
	"subl $2, %eax\n\t"
	"pushl %eax\n\t"
	"call br_fib\n\t"
	"addl $4, %esp\n\t"
	"addl %ebx, %eax\n\t"
	"popl %ebx\n"
	"1:\tret\n"

	"br_chain:\n\t"
	"movl 4(%esp), %eax\n\t"
	"testl %eax, %eax\n\t"
	"jz 1f\n\t"
	"decl %eax\n\t"
	"pushl %eax\n\t"
	"call br_chain\n\t"
	"addl $4, %esp\n\t"
	"addl 4(%esp), %eax\n"
	"1:\tret\n"

	"br_ret42:\n\t"
	"movl $42, %eax\n\t"
	"ret\n"

	"br_stdcall:\n\t"
	"movl 4(%esp), %eax\n\t"
	"subl 8(%esp), %eax\n\t"
	"ret $8\n"

	"br_skip2:\n\t"
	"addl $2, (%esp)\n\t"
	"ret\n"

	"br_twice:\n\t"
	"incl %eax\n"
	"br_twice_mid:\n\t"
	"incl %eax\n\t"
	"ret\n"

	"br_overlap:\n\t"
	".byte 0xb8\n"
	"br_overlap_inner:\n\t"
	".byte 0x31, 0xc0, 0xc3, 0x90\n\t"
	"ret\n"

	"br_switch:\n\t"
	"movl 4(%esp), %eax\n\t"
	"jmp *br_switch_table(,%eax,4)\n"
	"2:\tmovl $100, %eax\n\tret\n"
	"3:\tmovl $111, %eax\n\tret\n"
	"4:\tmovl $122, %eax\n\tret\n"
	"5:\tmovl $133, %eax\n\tret\n"
	".pushsection .rodata\n"
	".p2align 2\n"
	"br_switch_table:\n\t"
	".long 2b, 3b, 4b, 5b\n"
	".popsection\n"

	/* on a page of its own, so the C code patching it is elsewhere */
	".p2align 12, 0xcc\n"
	"br_smc_page:\n\t"
	"movl $1, %eax\n\t"              /* B8 imm32: patched */
	"ret\n\t"
	".p2align 12, 0xcc\n"

	/* MOV EAX, imm32 starting 2 bytes before a page end: it straddles */
	".skip 4094, 0xcc\n"
	"br_straddle:\n\t"
	"movl $0x5aa5c33c, %eax\n\t"
	"ret\n\t"
	".p2align 12, 0xcc\n"

	"br_smc_same_block:\n\t"
	"incl br_smc_counter\n\t"
	"movl br_smc_counter, %ecx\n\t"
	"movl %ecx, 1f+1\n"               /* patch the imm32 just ahead */
	"1:\tmovl $0, %eax\n\t"
	"ret\n");

uint32_t br_fib_calls, br_smc_counter;
uint32_t br_smc_page(void);
uint32_t br_smc_same_block(void);
uint32_t br_straddle(void);
uint32_t br_fib(uint32_t n);
uint32_t br_chain(uint32_t n);
uint32_t br_ret42(void);
uint32_t br_stdcall(uint32_t a, uint32_t b) __attribute__((stdcall));
uint32_t br_switch(uint32_t i);
void br_skip2(void);
void br_twice(void);
void br_twice_mid(void);
void br_overlap(void);
void br_overlap_inner(void);

/* Memory operands of indirect JMP/CALL, named from asm. */
static volatile uint32_t br_jmp_slot __attribute__((used));
static volatile uint32_t br_call_slot __attribute__((used));

static void br_jmp(void)
{
	uint32_t r;

	__asm__ volatile("movl $1, %0\n\t"
			 "jmp 1f\n\t"                   /* EB rel8 */
			 "movl $0, %0\n"
			 "1:\t.byte 0xe9\n\t"           /* E9 rel32 */
			 ".long 2f - (. + 4)\n\t"
			 "movl $0, %0\n"
			 "2:" : "=&r"(r));
	check_eq("jmp rel8, jmp rel32", r, 1);

	__asm__ volatile("movl $1, %0\n\t"
			 "jmp 1f\n\t"
			 ".p2align 12, 0xcc\n"          /* the target starts a new page */
			 "1:" : "=&r"(r));
	check_eq("jmp to the next page", r, 1);

	__asm__ volatile("movl $3f, %%eax\n\t"
			 "jmp *%%eax\n\t"
			 "movl $0, %0\n\t"
			 "jmp 4f\n"
			 "3:\tmovl $7, %0\n"
			 "4:" : "=&r"(r) : : "eax");
	check_eq("jmp through a register", r, 7);

	__asm__ volatile("movl $3f, br_jmp_slot\n\t"
			 "jmp *br_jmp_slot\n\t"              /* FF 25 [disp32] */
			 "movl $0, %0\n\t"
			 "jmp 4f\n"
			 "3:\tmovl $8, %0\n"
			 "4:" : "=&r"(r) : : "memory");
	check_eq("jmp through memory [disp32]", r, 8);

	uint32_t slot[2] = { 0, 0 };
	__asm__ volatile("movl $3f, 4(%1)\n\t"
			 "jmp *4(%1)\n\t"               /* FF 61 disp8 */
			 "movl $0, %0\n\t"
			 "jmp 4f\n"
			 "3:\tmovl $9, %0\n"
			 "4:" : "=&r"(r) : "r"(slot) : "memory");
	check_eq("jmp through memory [reg+disp8]", r, 9);

	uint32_t bad = 0;
	for (uint32_t i = 0; i < 4; i++)
		bad += br_switch(i) != 100 + 11 * i;
	check_eq("jump table: 4 targets", bad, 0);
	check_eq("jump table again (now translated)", br_switch(2), 122);
}

static void br_calls(void)
{
	uint32_t r, ret_addr, label;
	static uint32_t (*volatile fnptr)(void) = br_ret42;

	__asm__ volatile("call *%1" : "=a"(r) : "r"(br_ret42) : "ecx", "edx", "memory");
	check_eq("call through a register", r, 42);
	br_call_slot = (uint32_t)(uintptr_t)br_ret42;
	__asm__ volatile("call *br_call_slot" : "=a"(r) : : "ecx", "edx", "memory");
	check_eq("call through memory [disp32]", r, 42);
	check_eq("call through a C function pointer", fnptr(), 42);
	check_eq("stdcall callee: ret 8", br_stdcall(50, 8), 42);

	uint32_t esp0, esp1;
	__asm__ volatile("movl %%esp, %0\n\t"
			 "pushl $3\n\t"
			 "pushl $5\n\t"
			 "call br_stdcall\n\t"
			 "movl %%esp, %1"
			 : "=&r"(esp0), "=&r"(esp1) : : "eax", "ecx", "edx", "memory");
	check_eq("ret 8 leaves esp as before the pushes", esp1, esp0);

	__asm__ volatile("movl $1f, %1\n\t"
			 "call 1f\n"
			 "1:\tpopl %0"
			 : "=&r"(ret_addr), "=&r"(label) : : "memory");
	check_eq("call next; pop: get EIP", ret_addr, label);

	__asm__ volatile("movl $1, %0\n\t"
			 "call br_skip2\n\t"
			 "xorl %0, %0\n\t"             /* 2 bytes: skipped */
			 "nop" : "=&r"(r) : : "memory", "cc");
	check_eq("callee moves its return address by 2", r, 1);

	__asm__ volatile("movl $0, %0\n\t"
			 "pushl $1f\n\t"
			 "ret\n\t"
			 "movl $99, %0\n"
			 "1:\taddl $5, %0" : "=&r"(r) : : "memory", "cc");
	check_eq("push label; ret jumps there", r, 5);

	r = 0;
	__asm__ volatile("call br_twice" : "+a"(r) : : "memory", "cc");
	__asm__ volatile("call br_twice_mid" : "+a"(r) : : "memory", "cc");
	__asm__ volatile("call br_twice" : "+a"(r) : : "memory", "cc");
	check_eq("entering a translated block in its middle", r, 5);

	__asm__ volatile("call br_overlap" : "=a"(r) : : "memory", "cc");
	check_eq("overlapping code: from the first byte", r, 0x90c3c031);
	__asm__ volatile("call br_overlap_inner" : "=a"(r) : : "memory", "cc");
	check_eq("overlapping code: from the second byte", r, 0);
	__asm__ volatile("call br_overlap" : "=a"(r) : : "memory", "cc");
	check_eq("overlapping code: from the first byte again", r, 0x90c3c031);

	/* CALL [ESP]: the target is read before the return address is pushed. */
	__asm__ volatile("pushl $br_ret42\n\t"
			 "call *(%%esp)\n\t"
			 "addl $4, %%esp" : "=a"(r) : : "ecx", "edx", "memory", "cc");
	check_eq("call [esp] uses esp before the push", r, 42);
}

static void br_loops(void)
{
	uint32_t n, c, f;
	static const uint8_t zeros_then_5[8] = { 0, 0, 0, 5, 0, 0, 0, 0 };
	static const uint8_t fives_then_0[8] = { 5, 5, 0, 5, 5, 5, 5, 5 };

	__asm__ volatile("xorl %0, %0\n"
			 "1:\tincl %0\n\t"
			 "loop 1b" : "=&r"(n), "=c"(c) : "1"(10) : "cc");
	check_eq("loop 10: iterations", n, 10);
	check_eq("loop 10: ecx", c, 0);

	__asm__ volatile("xorl %0, %0\n"
			 "1:\tincl %0\n\t"
			 "cmpb $0, (%%esi)\n\t"
			 "leal 1(%%esi), %%esi\n\t"
			 "loope 1b\n\t"
			 "pushfl\n\t"
			 "popl %2"
			 : "=&r"(n), "=c"(c), "=&r"(f)
			 : "1"(8), "S"(zeros_then_5) : "cc", "memory");
	check_eq("loope stops at the first non-zero: iterations", n, 4);
	check_eq("loope: ecx", c, 4);
	check_eq("loope: ZF clear", f & 0x40, 0);

	__asm__ volatile("xorl %0, %0\n"
			 "1:\tincl %0\n\t"
			 "cmpb $0, (%%esi)\n\t"
			 "leal 1(%%esi), %%esi\n\t"
			 "loopne 1b"
			 : "=&r"(n), "=c"(c) : "1"(8), "S"(fives_then_0) : "cc", "memory");
	check_eq("loopne stops at the first zero: iterations", n, 3);
	check_eq("loopne: ecx", c, 5);

	__asm__ volatile("xorl %0, %0\n"
			 "1:\tincl %0\n\t"
			 "cmpb $0, (%%esi)\n\t"
			 "leal 1(%%esi), %%esi\n\t"
			 "loopne 1b"
			 : "=&r"(n), "=c"(c) : "1"(2), "S"(fives_then_0) : "cc", "memory");
	check_eq("loopne runs out of count: iterations", n, 2);

	__asm__ volatile("movl $1, %0\n\t"
			 "jecxz 1f\n\t"
			 "movl $0, %0\n"
			 "1:" : "=&r"(n) : "c"(0));
	check_eq("jecxz ecx=0 taken", n, 1);
	__asm__ volatile("movl $1, %0\n\t"
			 "jecxz 1f\n\t"
			 "movl $0, %0\n"
			 "1:" : "=&r"(n) : "c"(0x10000));
	check_eq("jecxz ecx=0x10000 not taken", n, 0);
}

static void br_recursion_and_loops(void)
{
	uint32_t r;

	br_fib_calls = 0;
	check_eq("recursive fib(20)", br_fib(20), 6765);
	check_eq("recursive fib(20): calls", br_fib_calls, 21891);
	check_eq("1000-deep call chain", br_chain(1000), 500500);

	__asm__ volatile("xorl %0, %0\n\t"
			 "movl $1000000, %%ecx\n"
			 "1:\taddl $3, %0\n\t"
			 "decl %%ecx\n\t"
			 "jnz 1b" : "=&r"(r) : : "ecx", "cc");
	check_eq("tight dec/jnz loop of 10^6", r, 3000000);

	__asm__ volatile("xorl %0, %0\n\t"
			 "movl $1000000, %%ecx\n"
			 "1:\taddl %%ecx, %0\n\t"
			 "loop 1b" : "=&r"(r) : : "ecx", "cc");
	check_eq("loop of 10^6 summing ecx (mod 2^32)", r, 1784293664u);

	/* A loop whose body calls: 10^6 CALL/RET pairs. */
	__asm__ volatile("xorl %%ebx, %%ebx\n\t"
			 "movl $1000000, %%esi\n"
			 "1:\tcall br_ret42\n\t"
			 "addl %%eax, %%ebx\n\t"
			 "decl %%esi\n\t"
			 "jnz 1b" : "=b"(r) : : "eax", "ecx", "edx", "esi", "cc", "memory");
	check_eq("10^6 calls in a loop", r, 42000000);
}

/*
 * Self-modifying code: a store into code that has run (and been translated)
 * takes effect from the next execution; a store into the instruction stream
 * just ahead of the current one takes effect at once (SDM Vol. 3A §8.1.3,
 * P6 and later).
 */
static void br_self_modifying(void)
{
	volatile uint32_t *imm = (volatile uint32_t *)((uintptr_t)br_smc_page + 1);
	uint32_t r[4];

	r[0] = br_smc_page();
	r[1] = br_smc_page();           /* translated and chained by now */
	*imm = 2;
	r[2] = br_smc_page();
	*imm = 3;
	r[3] = br_smc_page();
	check_eq("code patched from another page: before", r[0] | r[1] << 8, 0x0101);
	check_eq("code patched from another page: runs the new immediate", r[2], 2);
	check_eq("code patched twice", r[3], 3);

	/* The MOV at br_straddle has B8 and 1 immediate byte on one page and 3
	 * immediate bytes on the next; patch a byte on the second page. */
	volatile uint8_t *hi = (volatile uint8_t *)((uintptr_t)br_straddle + 4);
	r[0] = br_straddle();
	r[1] = br_straddle();
	*hi = 0x11;
	r[2] = br_straddle();
	check_eq("instruction straddling two pages", r[0], 0x5aa5c33c);
	check_eq("instruction straddling two pages, again", r[1], 0x5aa5c33c);
	check_eq("straddling instruction patched on its second page", r[2], 0x11a5c33c);

	br_smc_counter = 0;
	r[0] = br_smc_same_block();
	r[1] = br_smc_same_block();
	r[2] = br_smc_same_block();
	check_eq("store into the next instruction of the same block: 1st run", r[0], 1);
	check_eq("store into the next instruction of the same block: 2nd run", r[1], 2);
	check_eq("store into the next instruction of the same block: 3rd run", r[2], 3);
}

/* 0x67 in 32-bit code: JCXZ tests CX, LOOP decrements CX only. */
static void br_addr16(void)
{
	uint32_t n, c;

	__asm__ volatile("movl $1, %0\n\t"
			 "jcxz 1f\n\t"
			 "movl $0, %0\n"
			 "1:" : "=&r"(n) : "c"(0x10000));
	check_eq("jcxz (67 E3) with cx=0, ecx=0x10000: taken", n, 1);
	__asm__ volatile("xorl %0, %0\n"
			 "1:\tincl %0\n\t"
			 "addr16 loop 1b" : "=&r"(n), "=c"(c) : "1"(0x10003) : "cc");
	check_eq("addr16 loop (67 E2) uses cx: iterations", n, 3);
	check_eq("addr16 loop leaves ecx high", c, 0x10000);
}

int guest_main(uint32_t magic, const struct mb_info *info)
{
	(void)magic;
	(void)info;
	console_puts("branches: jcc, jmp, indirect jmp/call, ret, loop*, recursion, tight loops\n");
	br_jcc();
	br_jmp();
	br_calls();
	br_loops();
	br_recursion_and_loops();
	br_self_modifying();
	br_addr16();            /* last: the rarest forms */
	return check_summary("branches");
}

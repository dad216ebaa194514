/*
 * stack.c — guest test: instructions that use ESP implicitly, which the
 * translator rewrites into explicit guest-stack loads and stores.
 *
 * Covers PUSH/POP of registers, imm8 (sign-extended), imm32, memory (also
 * [ESP+n], whose address uses ESP before the push / after the pop), 16-bit
 * PUSHW/POPW, PUSH ESP (pushes the old value), POP ESP (loads, no
 * increment), POP [ESP+4], PUSHAD/POPAD (POPAD skips ESP), ENTER with nesting
 * levels 0, 1 and 2, LEAVE, CALL/RET (the pushed return address), RET imm16,
 * PUSHFD/POPFD of the arithmetic flags, DF (and that DF then steers LODSB),
 * the fixed and reserved EFLAGS bits, AC (set at CPL 0, where unaligned
 * accesses still must not fault), and a 1000-deep push/pop run.
 *
 * Expected values are constants or addresses fixed by the code (labels,
 * the ESP the test itself saved); returns 0 only if every check passed.
 */
#include <stdint.h>

#include "check.h"
#include "console.h"
#include "multiboot.h"

#define EFL_ARITH 0x8d5u        /* CF PF AF ZF SF OF */
#define EFL_DF    0x400u
#define EFL_AC    0x40000u      /* alignment check (SDM Vol. 1 §3.4.3.3) */

static uint32_t st_mem[8];
static const uint32_t st_unaligned[2] = { 0x44332211, 0x88776655 };

static void st_push_pop(void)
{
	uint32_t a, b, c, d;

	__asm__ volatile("movl %%esp, %%ecx\n\t"
			 "pushl %%ebx\n\t"
			 "movl %%esp, %%edx\n\t"
			 "popl %%eax\n\t"
			 "subl %%edx, %%ecx\n\t"        /* bytes pushed */
			 "subl %%esp, %%edx"            /* bytes popped, negated */
			 : "=&a"(a), "=&c"(c), "=&d"(d) : "b"(0xb0b0b0b0) : "memory", "cc");
	check_eq("push ebx / pop eax moves the value", a, 0xb0b0b0b0);
	check_eq("push moves esp down 4", c, 4);
	check_eq("pop moves esp up 4", d, (uint32_t)-4);

	__asm__ volatile("pushl $-2\n\tpopl %0" : "=r"(a) : : "memory");
	check_eq("push imm8 sign-extends", a, 0xfffffffe);
	__asm__ volatile("pushl $0x12345678\n\tpopl %0" : "=r"(a) : : "memory");
	check_eq("push imm32", a, 0x12345678);

	st_mem[1] = 0xcafe0001;
	st_mem[2] = 0xcafe0002;
	__asm__ volatile("pushl st_mem+4\n\t"           /* FF 35 [disp32] */
			 "pushl 8(%2)\n\t"              /* FF 72 disp8 */
			 "popl st_mem+12\n\t"           /* 8F 05 [disp32] */
			 "popl 16(%2)\n\t"
			 "movl st_mem+12, %0\n\t"
			 "movl st_mem+16, %1"
			 : "=&r"(a), "=&r"(b) : "r"(st_mem) : "memory");
	check_eq("push [disp32] / pop [ebx+16]", b, 0xcafe0001);
	check_eq("push [ebx+8] / pop [disp32]", a, 0xcafe0002);

	/* PUSH [ESP+4]: the address uses ESP before the decrement. */
	__asm__ volatile("pushl $0x11\n\t"
			 "pushl $0x22\n\t"
			 "pushl 4(%%esp)\n\t"
			 "popl %0\n\t"
			 "addl $8, %%esp"
			 : "=r"(a) : : "memory", "cc");
	check_eq("push [esp+4] reads above the old top", a, 0x11);

	/* 16-bit pushes move ESP by 2. */
	b = 0xffff5678;
	__asm__ volatile("movl %%esp, %%ecx\n\t"
			 "pushw $0x1234\n\t"
			 "pushw %%bx\n\t"
			 "subl %%esp, %%ecx\n\t"
			 "movl (%%esp), %%eax\n\t"
			 "popw %%dx\n\t"
			 "popw %%bx"
			 : "=&a"(a), "=&c"(c), "=&d"(d), "+b"(b) : : "memory", "cc");
	check_eq("pushw imm, pushw bx: esp down 4", c, 4);
	check_eq("pushw layout", a, 0x12345678);
	check_eq("popw dx keeps edx high", d & 0xffff, 0x5678);
	check_eq("popw bx keeps ebx high", b, 0xffff1234);
}

static void st_esp_itself(void)
{
	uint32_t a, b, c;

	__asm__ volatile("movl %%esp, %%ecx\n\t"
			 "pushl %%esp\n\t"
			 "popl %%eax"
			 : "=&a"(a), "=&c"(c) : : "memory");
	check_eq("push esp pushes the old esp", a, c);

	/* POP ESP: ESP = [ESP]; the increment is overwritten. */
	__asm__ volatile("movl %%esp, %%ebx\n\t"
			 "leal -64(%%esp), %%eax\n\t"
			 "pushl %%eax\n\t"
			 "popl %%esp\n\t"
			 "movl %%esp, %%ecx\n\t"
			 "movl %%ebx, %%esp"
			 : "=&a"(a), "=&b"(b), "=&c"(c) : : "memory");
	check_eq("pop esp loads esp from the stack", c, b - 64);

	/* POP [ESP+4]: the address uses ESP after the increment. */
	__asm__ volatile("pushl $0xcccc\n\t"
			 "pushl $0xbbbb\n\t"
			 "pushl $0xaaaa\n\t"
			 "popl 4(%%esp)\n\t"    /* pops 0xaaaa into the 0xcccc slot */
			 "popl %0\n\t"
			 "popl %1"
			 : "=r"(a), "=r"(b) : : "memory");
	check_eq("pop [esp+4]: next pop", a, 0xbbbb);
	check_eq("pop [esp+4]: stored at esp+4 after the pop", b, 0xaaaa);
}

/* Named from asm: what PUSHAD stored, and the registers after POPAD. */
static volatile uint32_t st_img[8] __attribute__((used)), st_regs[8] __attribute__((used));
static volatile uint32_t st_esp_before __attribute__((used));

static void st_pushad_popad(void)
{
	uint32_t esp_before;

	__asm__ volatile("pushl %%ebp\n\t"
			 "movl $0xa0a0a0a0, %%eax\n\t"
			 "movl $0xc1c1c1c1, %%ecx\n\t"
			 "movl $0xd2d2d2d2, %%edx\n\t"
			 "movl $0xb3b3b3b3, %%ebx\n\t"
			 "movl $0xe5e5e5e5, %%ebp\n\t"
			 "movl $0x56565656, %%esi\n\t"
			 "movl $0xd7d7d7d7, %%edi\n\t"
			 "movl %%esp, st_esp_before\n\t"
			 "pushal\n\t"
			 "movl %%esp, %%esi\n\t"
			 "movl $st_img, %%edi\n\t"
			 "movl $8, %%ecx\n"
			 "1:\tmovl (%%esi), %%eax\n\t"
			 "movl %%eax, (%%edi)\n\t"
			 "addl $4, %%esi\n\t"
			 "addl $4, %%edi\n\t"
			 "decl %%ecx\n\t"
			 "jnz 1b\n\t"
			 /* overwrite the image POPAD will load; its ESP slot is junk */
			 "movl $0x70707070, 0(%%esp)\n\t"   /* edi */
			 "movl $0x71717171, 4(%%esp)\n\t"   /* esi */
			 "movl $0x72727272, 8(%%esp)\n\t"   /* ebp */
			 "movl $0x00000bad, 12(%%esp)\n\t"  /* esp: ignored */
			 "movl $0x74747474, 16(%%esp)\n\t"  /* ebx */
			 "movl $0x75757575, 20(%%esp)\n\t"  /* edx */
			 "movl $0x76767676, 24(%%esp)\n\t"  /* ecx */
			 "movl $0x77777777, 28(%%esp)\n\t"  /* eax */
			 "popal\n\t"
			 "movl %%eax, st_regs\n\t"
			 "movl %%ecx, st_regs+4\n\t"
			 "movl %%edx, st_regs+8\n\t"
			 "movl %%ebx, st_regs+12\n\t"
			 "movl %%esp, st_regs+16\n\t"
			 "movl %%ebp, st_regs+20\n\t"
			 "movl %%esi, st_regs+24\n\t"
			 "movl %%edi, st_regs+28\n\t"
			 "popl %%ebp"
			 : : : "eax", "ebx", "ecx", "edx", "esi", "edi", "memory", "cc");
	esp_before = st_esp_before;
	/* PUSHAD order: EAX ECX EDX EBX (original) ESP EBP ESI EDI, EDI lowest. */
	static const uint32_t want_img[8] = {
		0xd7d7d7d7, 0x56565656, 0xe5e5e5e5, 0,
		0xb3b3b3b3, 0xd2d2d2d2, 0xc1c1c1c1, 0xa0a0a0a0,
	};
	static const char *const img_names[8] = {
		"pushad image: edi", "pushad image: esi", "pushad image: ebp", "pushad image: esp",
		"pushad image: ebx", "pushad image: edx", "pushad image: ecx", "pushad image: eax",
	};
	for (int i = 0; i < 8; i++)
		check_eq(img_names[i], st_img[i], i == 3 ? esp_before : want_img[i]);
	static const uint32_t want_regs[8] = {
		0x77777777, 0x76767676, 0x75757575, 0x74747474,
		0, 0x72727272, 0x71717171, 0x70707070,
	};
	static const char *const reg_names[8] = {
		"popad: eax", "popad: ecx", "popad: edx", "popad: ebx",
		"popad: esp = old esp (slot ignored)", "popad: ebp", "popad: esi", "popad: edi",
	};
	for (int i = 0; i < 8; i++)
		check_eq(reg_names[i], st_regs[i], i == 4 ? esp_before : want_regs[i]);
}

/*
 * ENTER size, level on a fake caller frame: fake_frame[3] is where EBP
 * points, fake_frame[2] ([EBP-4]) the outer frame pointer a level-2 ENTER
 * copies. Records ESP/EBP after ENTER and after LEAVE, and the pushed words.
 */
struct st_enter_result {
	uint32_t esp0, esp1, ebp1, esp2, ebp2;
	uint32_t top[4];        /* [ESP+size] upward after ENTER */
};

#define ST_ENTER(insn, size, r, frame)                                                 \
	__asm__ volatile("pushl %%ebp\n\t"                                             \
			 "movl %1, %%ebp\n\t"                                          \
			 "movl %%esp, 0(%0)\n\t"                                       \
			 insn "\n\t"                                                   \
			 "movl %%esp, 4(%0)\n\t"                                       \
			 "movl %%ebp, 8(%0)\n\t"                                       \
			 "movl " #size "(%%esp), %%eax\n\tmovl %%eax, 20(%0)\n\t"      \
			 "movl " #size "+4(%%esp), %%eax\n\tmovl %%eax, 24(%0)\n\t"    \
			 "movl " #size "+8(%%esp), %%eax\n\tmovl %%eax, 28(%0)\n\t"    \
			 "movl " #size "+12(%%esp), %%eax\n\tmovl %%eax, 32(%0)\n\t"   \
			 "leave\n\t"                                                   \
			 "movl %%esp, 12(%0)\n\t"                                      \
			 "movl %%ebp, 16(%0)\n\t"                                      \
			 "popl %%ebp"                                                  \
			 : : "S"(r), "D"(frame) : "eax", "memory")

static void st_enter_leave(void)
{
	static uint32_t fake_frame[4] = { 0, 0, 0xf00df00d, 0 };
	uint32_t fp = (uint32_t)(uintptr_t)&fake_frame[3];
	struct st_enter_result r;

	ST_ENTER("enter $16, $0", 16, &r, fp);
	check_eq("enter 16,0: esp = old esp - 4 - 16", r.esp1, r.esp0 - 20);
	check_eq("enter 16,0: ebp = old esp - 4", r.ebp1, r.esp0 - 4);
	check_eq("enter 16,0: saved ebp", r.top[0], fp);
	check_eq("leave: esp restored", r.esp2, r.esp0);
	check_eq("leave: ebp restored", r.ebp2, fp);
}

/* Nesting levels above 0 copy outer frame pointers (SDM Vol. 2A ENTER). */
static void st_enter_nested(void)
{
	static uint32_t fake_frame[4] = { 0, 0, 0xf00df00d, 0 };
	uint32_t fp = (uint32_t)(uintptr_t)&fake_frame[3];
	struct st_enter_result r;

	ST_ENTER("enter $8, $1", 8, &r, fp);
	check_eq("enter 8,1: esp = old esp - 8 - 8", r.esp1, r.esp0 - 16);
	check_eq("enter 8,1: ebp = old esp - 4", r.ebp1, r.esp0 - 4);
	check_eq("enter 8,1: pushed frame pointer", r.top[0], r.esp0 - 4);
	check_eq("enter 8,1: saved ebp", r.top[1], fp);
	check_eq("leave after enter 8,1: esp", r.esp2, r.esp0);

	ST_ENTER("enter $4, $2", 4, &r, fp);
	check_eq("enter 4,2: esp = old esp - 12 - 4", r.esp1, r.esp0 - 16);
	check_eq("enter 4,2: ebp = old esp - 4", r.ebp1, r.esp0 - 4);
	check_eq("enter 4,2: pushed frame pointer", r.top[0], r.esp0 - 4);
	check_eq("enter 4,2: copied outer frame pointer [ebp-4]", r.top[1], 0xf00df00d);
	check_eq("enter 4,2: saved ebp", r.top[2], fp);
	check_eq("leave after enter 4,2: ebp", r.ebp2, fp);
}

static void st_call_ret(void)
{
	uint32_t ret_addr, label, esp0, esp1;

	__asm__ volatile("movl $2f, %1\n\t"
			 "call 1f\n"
			 "2:\tjmp 3f\n"
			 "1:\tmovl (%%esp), %0\n\t"
			 "ret\n"
			 "3:"
			 : "=&r"(ret_addr), "=&r"(label) : : "memory");
	check_eq("call pushes the address after it", ret_addr, label);

	__asm__ volatile("movl %%esp, %0\n\t"
			 "pushl $1\n\t"
			 "pushl $2\n\t"
			 "pushl $3\n\t"
			 "call 1f\n\t"
			 "jmp 2f\n"
			 "1:\tret $12\n"
			 "2:\tmovl %%esp, %1"
			 : "=&r"(esp0), "=&r"(esp1) : : "memory");
	check_eq("ret 12 pops the arguments too", esp1, esp0);
}

/* POPF f; PUSHF: EFLAGS as the CPU kept them. */
static uint32_t st_popf_pushf(uint32_t f)
{
	__asm__ volatile("pushl %0\n\tpopfl\n\tpushfl\n\tpopl %0" : "+r"(f) : : "memory", "cc");
	return f;
}

static void st_flags(void)
{
	uint32_t f, esi;
	static const uint8_t bytes[2] = { 0x5a, 0xa5 };

	f = st_popf_pushf(0x002 | EFL_ARITH);
	check_eq("popfd/pushfd: arithmetic flags set", f & EFL_ARITH, EFL_ARITH);
	f = st_popf_pushf(0x002);
	check_eq("popfd/pushfd: arithmetic flags clear", f & EFL_ARITH, 0);
	f = st_popf_pushf(0x002 | 0x001 | 0x080);
	check_eq("popfd/pushfd: CF SF only", f & EFL_ARITH, 0x081);
	/* Bit 1 always reads 1; bits 3, 5 and 15 always read 0. */
	f = st_popf_pushf(0x8028 | 0x001);
	check_eq("pushfd: reserved bits 1/3/5/15 read 1/0/0/0", f & 0x802a, 0x0002);
	f = st_popf_pushf(0x002 | EFL_DF);
	check_eq("popfd sets DF", f & EFL_DF, EFL_DF);
	__asm__ volatile("pushl %2\n\t"
			 "popfl\n\t"
			 "lodsb\n\t"
			 "cld"
			 : "=S"(esi), "=a"(f)
			 : "r"(0x002 | EFL_DF), "0"(&bytes[1]) : "memory", "cc");
	check_eq("after popfd DF=1, lodsb decrements esi", esi, (uint32_t)(uintptr_t)&bytes[0]);
	check_eq("lodsb loaded the byte", f & 0xff, 0xa5);
	f = st_popf_pushf(0x002);
	check_eq("popfd clears DF", f & EFL_DF, 0);

	/* AC can be set at CPL 0 and alignment is still not checked there. */
	__asm__ volatile("pushfl\n\t"
			 "pushl %2\n\t"
			 "popfl\n\t"
			 "movl 1(%3), %1\n\t"     /* unaligned load with AC = 1 */
			 "pushfl\n\t"
			 "popl %0\n\t"
			 "popfl"
			 : "=&r"(f), "=&r"(esi)
			 : "r"(0x002 | EFL_AC), "r"(st_unaligned) : "memory", "cc");
	check_eq("popfd sets AC", f & EFL_AC, EFL_AC);
	check_eq("unaligned load at CPL 0 with AC set does not fault", esi, 0x55443322);
}

/* 1000 pushes, then pops in reverse order. */
static void st_deep(void)
{
	uint32_t bad;

	__asm__ volatile("movl $1000, %%ecx\n"
			 "1:\tleal 0x10000(%%ecx), %%eax\n\t"
			 "pushl %%eax\n\t"
			 "loop 1b\n\t"
			 "xorl %0, %0\n\t"
			 "movl $1, %%ecx\n"
			 "2:\tpopl %%eax\n\t"
			 "leal 0x10000(%%ecx), %%edx\n\t"
			 "cmpl %%edx, %%eax\n\t"
			 "je 3f\n\t"
			 "incl %0\n"
			 "3:\tincl %%ecx\n\t"
			 "cmpl $1001, %%ecx\n\t"
			 "jne 2b"
			 : "=&r"(bad) : : "eax", "ecx", "edx", "memory", "cc");
	check_eq("1000 pushes pop back in reverse order", bad, 0);
}

int guest_main(uint32_t magic, const struct mb_info *info)
{
	(void)magic;
	(void)info;
	console_puts("stack: push/pop forms, esp semantics, pushad/popad, enter/leave, "
		     "call/ret, pushf/popf\n");
	st_push_pop();
	st_esp_itself();
	st_pushad_popad();
	st_enter_leave();
	st_call_ret();
	st_flags();
	st_deep();
	st_enter_nested();      /* last: the rarest form */
	return check_summary("stack");
}

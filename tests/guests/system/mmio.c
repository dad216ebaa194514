/*
 * mmio.c — guest accesses to physical addresses where there is no RAM and
 * no device (the PCI hole of a PC with little RAM): loads read all-ones,
 * stores are dropped, and the machine keeps running. btmon never maps such
 * addresses: each access faults and is emulated by decoding the faulting
 * instruction (DESIGN.md §5). Checked with paging off (linear = physical),
 * then through a 4 KiB PTE and a 4 MiB PDE that point into the hole.
 *
 * The MOV/MOVZX/MOVSX forms come first; ALU, stack and string forms that
 * drivers also use (readl/writel are MOVs, but `orl $x, (reg)` on a
 * register and memcpy_fromio's REP MOVS appear too) come last, so that a
 * monitor that stops on one of them has already reported the rest.
 */
#include "sys.h"

#define HOLE  0xe0000000u      /* no RAM, no BAR: SeaBIOS allocates BARs below 0xfec00000 downward */
#define HOLE2 0xc0000000u
#define PTE_P 0x001u
#define PTE_W 0x002u
#define PTE_A 0x020u
#define PDE_PS 0x080u
#define CR0_PG (1u << 31)
#define CR4_PSE (1u << 4)

static volatile uint32_t pd[1024] __attribute__((aligned(4096))), pt[1024] __attribute__((aligned(4096)));

/* What a hole reads as: all-ones, as a PCI master abort gives on hardware.
 * QEMU 7.2 reads unassigned memory as 0, so the forms below compute their
 * expectations from the value a plain 32-bit MOV read (pattern) and one
 * check alone insists on all-ones. */
static uint32_t pattern;

static uint32_t sext8(uint32_t v) { return (v & 0x80) ? (v | 0xffffff00u) : (v & 0xff); }
static uint32_t sext16(uint32_t v) { return (v & 0x8000) ? (v | 0xffff0000u) : (v & 0xffff); }

/* One load form into EAX, whose old value is 0x12345678; EBX, ECX, EDX
 * must survive. */
#define LOAD(insn, want, what) do {                                                  \
	uint32_t a = 0x12345678, b = 0xb0b0b0b0, c = 0xc0c0c0c0, d = 0xd0d0d0d0;     \
	__asm__ volatile(insn : "+a"(a), "+b"(b), "+c"(c), "+d"(d) : "S"(base) : "memory"); \
	CHECK(a == (want) && b == 0xb0b0b0b0 && c == 0xc0c0c0c0 && d == 0xd0d0d0d0,     \
	      "%s: " what, where);                                                   \
	if (a != (want))                                                             \
		console_printf("     got %08x, want %08x\n", a, (uint32_t)(want));     \
} while (0)

static void test_mov_forms(uint32_t base, const char *where, int paging)
{
	const uint32_t P = pattern, old = 0x12345678;
	LOAD("movl (%%esi), %%eax", P, "MOV r32");
	LOAD("movw 2(%%esi), %%ax", (old & 0xffff0000u) | (P & 0xffff), "MOV r16 keeps the upper half");
	LOAD("movb 1(%%esi), %%al", (old & 0xffffff00u) | (P & 0xff), "MOV AL");
	LOAD("movb 3(%%esi), %%ah", (old & 0xffff00ffu) | (P & 0xff) << 8, "MOV AH");
	LOAD("movzbl (%%esi), %%eax", P & 0xff, "MOVZX r32, m8");
	LOAD("movzwl (%%esi), %%eax", P & 0xffff, "MOVZX r32, m16");
	LOAD("movsbl (%%esi), %%eax", sext8(P), "MOVSX r32, m8");
	LOAD("movswl (%%esi), %%eax", sext16(P), "MOVSX r32, m16");
	LOAD("movzbw (%%esi), %%ax", (old & 0xffff0000u) | (P & 0xff), "MOVZX r16, m8 keeps the upper half");
	LOAD("movsbw (%%esi), %%ax", (old & 0xffff0000u) | (sext8(P) & 0xffff), "MOVSX r16, m8 keeps the upper half");
	LOAD("movl $3, %%ecx\n\tmovl 0x10(%%esi,%%ecx,4), %%eax\n\tmovl $0xc0c0c0c0, %%ecx",
	     P, "MOV with base + index*4 + disp");
	if (!paging)
		LOAD("movl 0xe0000ffc, %%eax", P, "MOV from an absolute address");

	uint32_t s = 0x12345678, d = 0x9abcdef0;
	__asm__ volatile("movl 8(%2), %0\n\tmovl 12(%2), %1" : "+S"(s), "+D"(d) : "r"(base) : "memory");
	CHECK(s == P && d == P, "%s: loads into ESI and EDI", where);

	volatile uint32_t *p = (volatile uint32_t *)base;
	p[0] = 0;
	p[1] = 0x11223344;
	*(volatile uint16_t *)(base + 8) = 0;
	*(volatile uint8_t *)(base + 12) = 0;
	__asm__ volatile("movl $5, 0x20(%0)\n\tmovb $5, 0x24(%0)" : : "r"(base) : "memory");
	CHECK(p[0] == P && p[1] == P && p[2] == P && p[3] == P && p[8] == P && p[9] == P,
	      "%s: stores are dropped", where);

	uint32_t sum = 0;
	for (unsigned i = 0; i < 1000; i++) {
		p[i & 63] = i;
		sum += p[(i + 7) & 63] == P;
	}
	CHECK(sum == 1000, "%s: 1000 loads and 1000 stores, and the machine keeps running", where);
}

static void enable_paging(void)
{
	pd[0] = 0x000000 | PDE_PS | PTE_P | PTE_W;     /* identity 0–8 MiB */
	pd[1] = 0x400000 | PDE_PS | PTE_P | PTE_W;
	pd[2] = (uint32_t)pt | PTE_P | PTE_W;          /* 8 MiB: pt[0] → the hole */
	pd[3] = (HOLE2 + 0x400000) | PDE_PS | PTE_P | PTE_W;   /* 12 MiB: a 4 MiB page of hole */
	pt[0] = HOLE | PTE_P | PTE_W;
	pt[1] = 0x200000 | PTE_P | PTE_W;              /* RAM, for the contrast */
	write_cr3((uint32_t)pd);
	write_cr4(read_cr4() | CR4_PSE);
	write_cr0(read_cr0() | CR0_PG);
}

#define FL_CF 0x01u
#define FL_ZF 0x40u

/* EFLAGS' CF and ZF after insn (whose operand %1 is the hole's address). */
#define FLAGS_OF(insn) ({ uint32_t fl_; \
	__asm__ volatile(insn "\n\tpushfl\n\tpopl %0" : "=r"(fl_) : "r"(base) : "memory", "cc"); \
	fl_ & (FL_CF | FL_ZF); })

/* Forms other than MOV/MOVZX/MOVSX, on memory that reads as pattern. */
static void test_other_forms(uint32_t base)
{
	const uint32_t P = pattern, B = P & 0xff;
	uint32_t a = 0x0f0f0f0f, fl;
	__asm__ volatile("andl (%2), %0\n\tpushfl\n\tpopl %1" : "+r"(a), "=r"(fl) : "r"(base) : "memory", "cc");
	CHECK(a == (0x0f0f0f0f & P) && (fl & FL_ZF) == (a ? 0 : FL_ZF), "AND r32, [hole]");
	a = 0x10;
	__asm__ volatile("orl (%1), %0" : "+r"(a) : "r"(base) : "memory", "cc");
	CHECK(a == (0x10 | P), "OR r32, [hole]");
	CHECK(FLAGS_OF("testl $0x80, (%1)") == ((P & 0x80) ? 0 : FL_ZF), "TEST [hole], imm");
	CHECK(FLAGS_OF("testb $1, 1(%1)") == ((B & 1) ? 0 : FL_ZF), "TEST byte [hole], imm");
	CHECK(FLAGS_OF("cmpl $-1, (%1)") == (P == 0xffffffffu ? FL_ZF : FL_CF), "CMP [hole], -1");
	CHECK(FLAGS_OF("cmpb $0xff, 2(%1)") == (B == 0xff ? FL_ZF : FL_CF), "CMP byte [hole], 0xff");
	a = 1;
	__asm__ volatile("addl (%2), %0\n\tpushfl\n\tpopl %1" : "+r"(a), "=r"(fl) : "r"(base) : "memory", "cc");
	CHECK(a == 1 + P && (fl & FL_CF) == (a < 1 ? FL_CF : 0), "ADD r32, [hole]");
	__asm__ volatile("orl $0x100, (%0)\n\tandl $0, 4(%0)\n\tincl 8(%0)" : : "r"(base) : "memory", "cc");
	CHECK(*(volatile uint32_t *)base == P && *(volatile uint32_t *)(base + 4) == P &&
	      *(volatile uint32_t *)(base + 8) == P, "OR/AND/INC [hole] (read-modify-write): dropped");
	a = 0;
	__asm__ volatile("xchgl %0, (%1)" : "+r"(a) : "r"(base) : "memory");
	CHECK(a == P, "XCHG r32, [hole]");
	__asm__ volatile("pushl (%1)\n\tpopl %0" : "=r"(a) : "r"(base) : "memory");
	CHECK(a == P, "PUSH [hole]");
	static uint32_t buf[4];
	uint32_t n = 4, s = base, d = (uint32_t)buf;
	__asm__ volatile("rep movsl" : "+c"(n), "+S"(s), "+D"(d) : : "memory");
	CHECK(buf[0] == P && buf[3] == P && n == 0, "REP MOVSD from the hole (memcpy_fromio)");
	n = 4, d = base;
	__asm__ volatile("rep stosl" : "+c"(n), "+D"(d) : "a"(0) : "memory");
	CHECK(n == 0 && *(volatile uint32_t *)base == P, "REP STOSD to the hole (memset_io)");
}

int guest_main(uint32_t magic, const void *info)
{
	(void)magic;
	(void)info;
	idt_init();
	pic_mask_all();
	pattern = *(volatile uint32_t *)HOLE;
	CHECK(pattern == 0xffffffffu, "a hole reads all-ones");
	test_mov_forms(HOLE, "paging off, 0xe0000000", 0);
	test_mov_forms(HOLE2 + 0x100, "paging off, 0xc0000100", 0);
	enable_paging();
	*(volatile uint32_t *)0x801000 = 0x2222;
	CHECK(*(volatile uint32_t *)0x200000 == 0x2222, "paging on: a PTE onto RAM, for contrast");
	test_mov_forms(0x800000, "4 KiB PTE onto 0xe0000000", 1);
	CHECK(pt[0] & PTE_A, "the PTE onto the hole is marked accessed");
	test_mov_forms(0xc00000 + 0x200, "4 MiB PDE onto 0xc0400000", 1);
	test_other_forms(0x800000);
	console_printf("mmio: %u failure(s)\n", sys_failures);
	return sys_failures ? 1 : 0;
}

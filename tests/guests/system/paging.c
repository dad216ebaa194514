/*
 * paging.c — two-level 32-bit paging at CPL 0, and self-modifying code.
 *
 *   linear 0–4 MiB     identity, 4 KiB pages (pt_low): the kernel, its page
 *                      tables, and the test frames FRAME(k) at 3 MiB
 *   linear 4–8 MiB     identity, one 4 MiB page (CR4.PSE)
 *   linear 8–12 MiB    test pages LIN(k), one page table per address space
 *                      (pt_test_a in pd_a, pt_test_b in pd_b)
 *   linear 12–16 MiB   a second 4 MiB page onto physical 4–8 MiB (alias)
 *
 * Checks: A/D bits in PTEs and a PSE PDE; aliases; #PF with CR2 and error
 * codes for reads, writes and instruction fetches, the handler mapping the
 * page and the instruction retried (demand paging); CR0.WP; INVLPG of a
 * 4 KiB and of a 4 MiB page; CR3 switches between two address spaces;
 * CR4.PGE; code patched through an alias and through its own mapping, and
 * code patched by a store earlier in the same straight-line block.
 */
#include "sys.h"

#define PTE_P  0x001u
#define PTE_W  0x002u
#define PTE_A  0x020u
#define PTE_D  0x040u
#define PDE_PS 0x080u
#define PTE_G  0x100u
#define CR0_WP (1u << 16)
#define CR0_PG (1u << 31)
#define CR4_PSE (1u << 4)
#define CR4_PGE (1u << 7)

#define FRAME(k) (0x300000u + (k) * 0x1000u)
#define LIN(k)   (0x800000u + (k) * 0x1000u)
#define WORD(a)  (*(volatile uint32_t *)(a))

#define PAGE_ALIGNED __attribute__((aligned(4096)))
static volatile uint32_t pd_a[1024] PAGE_ALIGNED, pd_b[1024] PAGE_ALIGNED, pt_low[1024] PAGE_ALIGNED;
static volatile uint32_t pt_test_a[1024] PAGE_ALIGNED, pt_test_b[1024] PAGE_ALIGNED;

/* The code pages the SMC checks patch: each holds only its own code. */
extern char smc_func[], smc_block[];
__asm__(".pushsection .text.smc, \"ax\"\n"
	".balign 4096\n"
	"smc_func:\n\tmovl $0, %eax\n\tret\n"
	".balign 4096, 0xcc\n"
	/* smc_block(ecx) stores ECX into the immediate of the MOV two
	 * instructions later, in the same block: returns ECX. */
	"smc_block:\n\tmovl %ecx, smc_target + 1\n\tnop\n"
	"smc_target:\n\tmovl $0, %eax\n\tret\n"
	".balign 4096, 0xcc\n"
	".popsection\n");

static uint32_t call_at(uint32_t fn, uint32_t ecx)
{
	uint32_t r;
	__asm__ volatile("call *%1" : "=a"(r), "+r"(fn), "+c"(ecx) : : "edx", "memory", "cc");
	return r;
}

/* #PF: with demand set, map the faulting LIN page to demand_frame and retry
 * the instruction; otherwise record and skip (trap_resume). */
static volatile int demand;
static volatile uint32_t demand_frame, pf_count, pf_err, pf_cr2, pf_eip;

static void on_pf(struct trap_frame *f)
{
	if (!demand) {
		trap_record(f);
		return;
	}
	pf_count++;
	pf_err = f->error;
	pf_cr2 = read_cr2();
	pf_eip = f->eip;
	pt_test_a[(pf_cr2 >> 12) & 1023] = demand_frame | PTE_P | PTE_W;
}

static void setup(void)
{
	for (unsigned i = 0; i < 1024; i++)
		pt_low[i] = i * 4096 | PTE_P | PTE_W;
	pd_a[0] = (uint32_t)pt_low | PTE_P | PTE_W;
	pd_a[1] = 0x400000 | PDE_PS | PTE_P | PTE_W;
	pd_a[2] = (uint32_t)pt_test_a | PTE_P | PTE_W;
	pd_a[3] = 0x400000 | PDE_PS | PTE_P | PTE_W;
	for (unsigned i = 0; i < 1024; i++)
		pd_b[i] = pd_a[i];
	pd_b[2] = (uint32_t)pt_test_b | PTE_P | PTE_W;
	WORD(0x900000) = 0x9009;                  /* physical 9 MiB, for the 4 MiB INVLPG */
	write_cr3((uint32_t)pd_a);
	write_cr4(read_cr4() | CR4_PSE);
	write_cr0(read_cr0() | CR0_PG | CR0_WP);
	CHECK((read_cr0() & CR0_PG) && read_cr3() == (uint32_t)pd_a, "paging on: code, stack and data still work");
}

static void test_accessed_dirty(void)
{
	pt_test_a[0] = FRAME(0) | PTE_P | PTE_W;
	WORD(FRAME(0)) = 0x1234;
	uint32_t v = WORD(LIN(0));
	CHECK(v == 0x1234, "read through a 4 KiB PTE");
	CHECK((pt_test_a[0] & (PTE_A | PTE_D)) == PTE_A && (pd_a[2] & PTE_A), "after a read: PTE.A and PDE.A set, PTE.D clear");
	WORD(LIN(0)) = 0x5678;
	CHECK((pt_test_a[0] & PTE_D) && WORD(FRAME(0)) == 0x5678, "after a write: PTE.D set, the frame holds the value");

	v = WORD(0x500000);
	CHECK((pd_a[1] & (PTE_A | PTE_D)) == PTE_A, "4 MiB page: after a read PDE.A set, PDE.D clear");
	WORD(0x500000) = 0xabcd;
	CHECK((pd_a[1] & PTE_D) && WORD(0x500000) == 0xabcd, "4 MiB page: after a write PDE.D set");
	CHECK(WORD(0xd00000) == 0xabcd, "4 MiB alias: the write is seen at the other linear address");
	WORD(0xd00004) = 0x4444;
	CHECK(WORD(0x500004) == 0x4444 && (pd_a[3] & PTE_D), "4 MiB alias: and back");
}

static void test_alias(void)
{
	pt_test_a[1] = FRAME(1) | PTE_P | PTE_W;
	pt_test_a[2] = FRAME(1) | PTE_P | PTE_W;
	WORD(LIN(1) + 8) = 0x11;
	CHECK(WORD(LIN(2) + 8) == 0x11 && WORD(FRAME(1) + 8) == 0x11, "alias: written via one page, read via the other");
	WORD(LIN(2) + 8) = 0x22;
	CHECK(WORD(LIN(1) + 8) == 0x22, "alias: and the other way round");
}

static void test_demand(void)
{
	WORD(FRAME(3) + 0x120) = 0xcafebabe;
	pt_test_a[3] = 0;
	demand = 1, demand_frame = FRAME(3), pf_count = 0;
	uint32_t v;
	__asm__ volatile("movl $91f, site_at\n91:\tmovl (%1), %0" : "=r"(v) : "r"(LIN(3) + 0x120) : "memory");
	CHECK(pf_count == 1 && pf_err == 0 && pf_cr2 == LIN(3) + 0x120 && pf_eip == site_at,
	      "#PF on a read of a not-present page: error 0, CR2 the address, EIP the load");
	CHECK(v == 0xcafebabe, "the load is retried after the handler maps the page");

	pt_test_a[4] = 0;
	demand_frame = FRAME(4), pf_count = 0;
	WORD(FRAME(4) + 0x10) = 0;
	WORD(LIN(4) + 0x10) = 0x600d;
	CHECK(pf_count == 1 && pf_err == 2 && pf_cr2 == LIN(4) + 0x10, "#PF on a write of a not-present page: error 2");
	CHECK(WORD(FRAME(4) + 0x10) == 0x600d, "the store is retried after the handler maps the page");

	uint32_t off = (uint32_t)smc_func & 0xfff;
	pt_test_a[5] = 0;
	demand_frame = (uint32_t)smc_func & ~0xfffu, pf_count = 0;
	WORD(smc_func + 1) = 77;
	v = call_at(LIN(5) + off, 0);
	CHECK(pf_count == 1 && pf_err == 0 && pf_cr2 == LIN(5) + off && pf_eip == LIN(5) + off,
	      "#PF on an instruction fetch: error 0, CR2 = EIP = the target");
	CHECK(v == 77, "the fetch is retried: code runs from the page the handler mapped");
	demand = 0;

	trap_expect();
	__asm__ volatile(SITE_BEGIN "movl 0x1000008, %%eax" SITE_END ::: "eax", "memory");
	CHECK(last_trap.count == 1 && last_trap.vector == 14 && last_trap.error == 0 &&
	      last_trap.cr2 == 0x1000008 && last_trap.eip == site_at, "#PF for a not-present PDE: error 0, CR2");
}

static void test_write_protect(void)
{
	pt_test_a[6] = FRAME(6) | PTE_P;          /* read-only, supervisor */
	WORD(FRAME(6)) = 6;
	CHECK(WORD(LIN(6)) == 6, "read-only page: reads work");
	for (int pass = 0; pass < 2; pass++) {
		trap_expect();
		__asm__ volatile(SITE_BEGIN "movl $0xbad, (%0)" SITE_END : : "r"(LIN(6)) : "memory");
		CHECK(last_trap.count == 1 && last_trap.vector == 14 && last_trap.error == 3 &&
		      last_trap.cr2 == LIN(6) && WORD(FRAME(6)) == 6,
		      "CR0.WP=1: CPL 0 write to a read-only page is #PF error 3%s", pass ? " (again after WP was off)" : "");
		if (pass)
			break;
		write_cr0(read_cr0() & ~CR0_WP);
		WORD(LIN(6)) = 0x60;
		CHECK(WORD(FRAME(6)) == 0x60, "CR0.WP=0: the CPL 0 write succeeds");
		WORD(FRAME(6)) = 6;
		write_cr0(read_cr0() | CR0_WP);
	}
}

static void test_invlpg(void)
{
	WORD(FRAME(7)) = 0x7777;
	WORD(FRAME(8)) = 0x8888;
	pt_test_a[7] = FRAME(7) | PTE_P | PTE_W;
	CHECK(WORD(LIN(7)) == 0x7777, "INVLPG: page read through its first frame");
	pt_test_a[7] = FRAME(8) | PTE_P | PTE_W;
	invlpg((void *)LIN(7));
	CHECK(WORD(LIN(7)) == 0x8888, "INVLPG: after changing the PTE, the new frame is seen");
	WORD(LIN(7)) = 0x8889;
	CHECK(WORD(FRAME(8)) == 0x8889 && WORD(FRAME(7)) == 0x7777, "INVLPG: writes go to the new frame");

	pt_test_a[7] = FRAME(8) | PTE_P;          /* written (dirty) above, now read-only */
	invlpg((void *)LIN(7));
	trap_expect();
	__asm__ volatile(SITE_BEGIN "movl $0xbad, (%0)" SITE_END : : "r"(LIN(7)) : "memory");
	CHECK(last_trap.count == 1 && last_trap.error == 3 && WORD(FRAME(8)) == 0x8889,
	      "INVLPG after making a dirty page read-only: the next write is #PF error 3");
	pt_test_a[7] = 0;
	invlpg((void *)LIN(7));
	trap_expect();
	__asm__ volatile(SITE_BEGIN "movl (%0), %%eax" SITE_END : : "r"(LIN(7)) : "eax", "memory");
	CHECK(last_trap.count == 1 && last_trap.error == 0 && last_trap.cr2 == LIN(7),
	      "INVLPG after clearing P: the next read is #PF error 0");
	pt_test_a[7] = FRAME(7) | PTE_P | PTE_W;
	write_cr3(read_cr3());                     /* reloading CR3 flushes too */
	CHECK(WORD(LIN(7)) == 0x7777, "CR3 reloaded with the same value: the new PTE is seen");

	CHECK(WORD(0xd00000) == 0xabcd, "4 MiB page read before its INVLPG");
	pd_a[3] = 0x800000 | PDE_PS | PTE_P | PTE_W;
	invlpg((void *)0xd01000);                  /* any address inside drops the whole page */
	CHECK(WORD(0xd00000) == 0x9009, "INVLPG inside a 4 MiB page: the new 4 MiB frame is seen");
	pd_a[3] = 0x400000 | PDE_PS | PTE_P | PTE_W;
	invlpg((void *)0xd00000);
}

static void cr3_round_trips(const char *what)
{
	int good = 1;
	for (uint32_t i = 0; i < 6; i++) {
		write_cr3((uint32_t)pd_a);
		good &= WORD(LIN(9)) == 0xa;
		write_cr3((uint32_t)pd_b);
		good &= WORD(LIN(9)) == 0xb;
		WORD(LIN(9) + 4) = i;
		good &= WORD(FRAME(10) + 4) == i;
	}
	write_cr3((uint32_t)pd_a);
	good &= WORD(LIN(9)) == 0xa && WORD(LIN(0)) == 0x5678;
	CHECK(good, "CR3 switches between two address spaces, 6 round trips%s", what);
}

static void test_cr3_and_global(void)
{
	WORD(FRAME(9)) = 0xa;
	WORD(FRAME(10)) = 0xb;
	pt_test_a[9] = FRAME(9) | PTE_P | PTE_W;
	pt_test_b[9] = FRAME(10) | PTE_P | PTE_W;
	cr3_round_trips("");

	for (unsigned i = 0; i < 1024; i++)
		pt_low[i] |= PTE_G;               /* the kernel is global, as Linux does */
	write_cr4(read_cr4() | CR4_PGE);
	cr3_round_trips(" with CR4.PGE and a global kernel");

	WORD(FRAME(11)) = 0x1111;
	WORD(FRAME(12)) = 0x1212;
	pt_test_a[11] = pt_test_b[11] = FRAME(11) | PTE_P | PTE_W | PTE_G;
	CHECK(WORD(LIN(11)) == 0x1111, "global page read");
	pt_test_a[11] = pt_test_b[11] = FRAME(12) | PTE_P | PTE_W | PTE_G;
	write_cr4(read_cr4() & ~CR4_PGE);
	write_cr4(read_cr4() | CR4_PGE);
	CHECK(WORD(LIN(11)) == 0x1212, "toggling CR4.PGE flushes a global page");
}

static void test_smc(void)
{
	uint32_t fn = (uint32_t)smc_func, off = fn & 0xfff, alias = LIN(12) + off;
	pt_test_a[12] = (fn & ~0xfffu) | PTE_P | PTE_W;
	WORD(alias + 1) = 111;                     /* the alias is dirty before any translation */
	CHECK(call_at(fn, 0) == 111, "SMC: immediate written through an alias before the first call");
	WORD(alias + 1) = 222;
	CHECK(call_at(fn, 0) == 222, "SMC: patched through the alias after the code ran");
	WORD(fn + 1) = 333;
	CHECK(call_at(fn, 0) == 333, "SMC: patched through its own mapping");
	CHECK(call_at(alias, 0) == 333, "SMC: the same code executed through the alias");
	WORD(fn + 1) = 444;
	CHECK(call_at(alias, 0) == 444, "SMC: patched through its own mapping, run through the alias");
	WORD(alias + 1) = 555;
	CHECK(call_at(fn, 0) == 555 && call_at(alias, 0) == 555, "SMC: patched through the alias, run through both");

	/* A store to the immediate of a later instruction of the same block:
	 * the P6 family and later detect writes to prefetched instructions
	 * (SDM Vol. 3A §11.6), so the MOV executes with the stored value. */
	int good = 1;
	for (uint32_t i = 1; i <= 4; i++) {
		uint32_t r = call_at((uint32_t)smc_block, 0x5000 + i);
		good &= r == 0x5000 + i;
		if (r != 0x5000 + i)
			console_printf("     call %u returned %x, want %x\n", i, r, 0x5000 + i);
	}
	CHECK(good, "SMC in the same block: a store to a later instruction's immediate is executed");
}

/* A block whose last instruction runs into the next page, reached by a
 * direct jump from its own page: after the next page is remapped (PTE +
 * INVLPG), the instruction must read its bytes from the new frame. */
static void test_straddle(void)
{
	static const uint8_t head[] = { 0xeb, 0x0b };        /* 0xff0: jmp 0xffd */
	static const uint8_t mov[] = { 0xb8, 0x11, 0x22 };   /* 0xffd: mov eax, imm32 ... */
	volatile uint8_t *f = (volatile uint8_t *)FRAME(20);
	for (unsigned i = 0; i < sizeof(head); i++)
		f[0xff0 + i] = head[i];
	for (unsigned i = 0; i < sizeof(mov); i++)
		f[0xffd + i] = mov[i];
	volatile uint8_t *t1 = (volatile uint8_t *)FRAME(21), *t2 = (volatile uint8_t *)FRAME(22);
	t1[0] = 0x33, t1[1] = 0x44, t1[2] = 0xc3;            /* ... 0x44332211; ret */
	t2[0] = 0x55, t2[1] = 0x66, t2[2] = 0xc3;            /* ... 0x66552211; ret */
	pt_test_a[20] = FRAME(20) | PTE_P | PTE_W;
	pt_test_a[21] = FRAME(21) | PTE_P | PTE_W;
	uint32_t fn = LIN(20) + 0xff0, r1 = 0, r2 = 0;
	for (unsigned i = 0; i < 3; i++)                    /* translated, then chained */
		r1 = call_at(fn, 0);
	pt_test_a[21] = FRAME(22) | PTE_P | PTE_W;
	invlpg((void *)LIN(21));
	for (unsigned i = 0; i < 3; i++)
		r2 = call_at(fn, 0);
	CHECK(r1 == 0x44332211 && r2 == 0x66552211,
	      "an instruction across a page boundary, reached by a chained jump, sees its next page remapped "
	      "(%08x, %08x)", r1, r2);
}

int guest_main(uint32_t magic, const void *info)
{
	(void)magic;
	(void)info;
	idt_init();
	pic_mask_all();
	idt_set_handler(14, on_pf);
	setup();
	test_accessed_dirty();
	test_alias();
	test_demand();
	test_write_protect();
	test_invlpg();
	test_cr3_and_global();
	test_smc();
	test_straddle();
	console_printf("paging: %u failure(s)\n", sys_failures);
	return sys_failures ? 1 : 0;
}

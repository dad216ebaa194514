/*
 * segload.c — segment-register loads, PUSH/POP of segment registers and
 * VERR/VERW, which btmon runs inside translated code against memos of the
 * last load or probe it emulated (translator/segload.c): the memo is used
 * only while its selector, CPL and the descriptor's 8 bytes in the table
 * are unchanged, and dropped when LGDT/LLDT move the tables.
 *
 * Each check repeats its instruction in a loop, so that after the first
 * (emulated) round the rest run on the memo. At CPL 0: DS/ES/FS/GS loads
 * from registers, memory and the stack with FS/GS-relative reads seeing the
 * bases; PUSH/POP round trips (16 and 32 bits, ESP); null selectors; a
 * rewritten descriptor reloaded under the same selector (Linux's TLS);
 * #NP and #GP with their error codes, nothing changed; VERR/VERW on every
 * kind of descriptor and across a rewrite; CF/PF/AF/ZF/SF/OF/DF kept by the
 * loads and all but ZF by VERR/VERW. At CPL 3 (paging off): user selectors
 * through the memo, and the kernel's memos of the same selectors not
 * reused (#GP, ZF=0). With paging: a descriptor page refilled after every
 * CR3 write, a not-present LDT page giving #PF (CR2, error 0) for a load
 * and a probe, and LLDT/LGDT making the same selector name a new descriptor.
 */
#include "sys.h"

#define SEL_TLS_A 0x38        /* data, DPL 0, base tls_a */
#define SEL_TLS_B 0x40        /* data, DPL 0, base tls_b */
#define SEL_RO    0x48        /* read-only data, DPL 0 */
#define SEL_XO    0x50        /* execute-only code, DPL 0 */
#define SEL_NP    0x58        /* data, made not-present */
#define SEL_V     0x60        /* data, rewritten writable <-> read-only */
#define SEL_UTLS  0x68        /* data, DPL 3, base tls_u */
#define SEL_LDT   0x70        /* the LDT */
#define SEL_X     0x78        /* data whose base is rewritten */
#define SEL_L1    0x0c        /* LDT entry 1, TI = 1, RPL 0 */
#define SEL_BEYOND 0x80       /* past the GDT's limit (16 entries) */
#define ACC_RO    0x90
#define ACC_XO    0x98
#define ACC_NP    0x12        /* writable data, P = 0 */
#define ACC_LDT   0x82
#define LOOPS     300

#define FL_CF 0x001u
#define FL_PF 0x004u
#define FL_AF 0x010u
#define FL_ZF 0x040u
#define FL_SF 0x080u
#define FL_DF 0x400u
#define FL_OF 0x800u
#define FL_KEPT (FL_CF | FL_PF | FL_AF | FL_ZF | FL_SF | FL_DF | FL_OF)
#define PAGE_ALIGNED __attribute__((aligned(4096)))

static uint32_t tls_a[2] = { 0xaaaa0001, 0xaaaa0002 }, tls_b[2] = { 0xbbbb0001, 0xbbbb0002 };
static uint32_t tls_c[2] = { 0xcccc0001, 0xcccc0002 }, tls_u[2] = { 0x55550001, 0x55550002 };
static const uint32_t *const bufs[3] = { tls_a, tls_b, tls_c };
/* EFLAGS patterns the loads and probes must keep (bit 1 is always set). */
static const uint32_t patterns[4] = {
	0x2 | FL_CF | FL_PF | FL_AF | FL_SF | FL_OF | FL_DF, 0x2 | FL_ZF,
	0x2 | FL_KEPT, 0x2 };

static inline uint16_t get_fs(void) { uint16_t s; __asm__ volatile("movw %%fs, %0" : "=r"(s)); return s; }
static inline uint16_t get_gs(void) { uint16_t s; __asm__ volatile("movw %%gs, %0" : "=r"(s)); return s; }
static inline uint32_t fs_read(unsigned i)
{
	uint32_t v;
	__asm__ volatile("movl %%fs:(,%1,4), %0" : "=r"(v) : "r"(i) : "memory");
	return v;
}
static inline void load_fs(uint32_t sel) { __asm__ volatile("movl %0, %%fs" : : "r"(sel) : "memory"); }

/* EFLAGS after VERW/VERR sel run with EFLAGS = in (DF cleared after). */
static uint32_t verw_flags(uint32_t sel, uint32_t in)
{
	uint32_t out;
	__asm__ volatile("pushl %1\n\tpopfl\n\tverw %w2\n\tpushfl\n\tpopl %0\n\tcld"
			 : "=&r"(out) : "r"(in), "r"(sel) : "cc", "memory");
	return out;
}
static uint32_t verr_flags(uint32_t sel, uint32_t in)
{
	uint32_t out;
	__asm__ volatile("pushl %1\n\tpopfl\n\tverr %w2\n\tpushfl\n\tpopl %0\n\tcld"
			 : "=&r"(out) : "r"(in), "r"(sel) : "cc", "memory");
	return out;
}
static uint16_t verw_sel_var;   /* Linux's MDS buffer clearing: verw %cs:mem */
static uint32_t verw_mem_flags(uint32_t sel, uint32_t in)
{
	uint32_t out;
	verw_sel_var = (uint16_t)sel;
	__asm__ volatile("pushl %1\n\tpopfl\n\tverw %%cs:%2\n\tpushfl\n\tpopl %0\n\tcld"
			 : "=&r"(out) : "r"(in), "m"(verw_sel_var) : "cc", "memory");
	return out;
}

/* Did a probe leave every flag but ZF as it was, and ZF = zf? */
static int probe_ok(uint32_t in, uint32_t out, int zf)
{
	return (out & FL_KEPT) == ((in & FL_KEPT & ~FL_ZF) | (zf ? FL_ZF : 0));
}

static void check_trap(unsigned vector, uint32_t error, const char *what)
{
	int good = last_trap.count == 1 && last_trap.vector == vector && last_trap.error == error &&
		   last_trap.eip == site_at;
	CHECK(good, "%s", what);
	if (!good)
		console_printf("     got %u trap(s), vector %u error %x eip %08x; want vector %u error %x eip %08x\n",
			       last_trap.count, last_trap.vector, last_trap.error, last_trap.eip, vector, error,
			       site_at);
}

/* ---- CPL 0 ---- */

static void test_loads(void)
{
	uint32_t bad = 0, bad_alt = 0, bad_mem = 0;
	for (unsigned i = 0; i < LOOPS; i++) {
		uint32_t a, b;
		__asm__ volatile("movl %2, %%ds\n\tmovl %2, %%es\n\tmovl %3, %%fs\n\tmovl %4, %%gs\n\t"
				 "movl %%fs:0, %0\n\tmovl %%gs:4, %1"
				 : "=&r"(a), "=&r"(b) : "r"(SEL_KDATA), "r"(SEL_TLS_A), "r"(SEL_TLS_B) : "memory");
		bad += a != tls_a[0] || b != tls_b[1];
		load_fs(i & 1 ? SEL_TLS_B : SEL_TLS_A);          /* the memo alternates */
		bad_alt += fs_read(0) != (i & 1 ? tls_b[0] : tls_a[0]);
		static uint16_t m;
		m = i & 2 ? SEL_TLS_A : SEL_TLS_B;
		__asm__ volatile("movw %1, %%gs\n\t"                     /* mov gs, [mem] */
				 "pushl %2\n\tmovw (%%esp), %%fs\n\taddl $4, %%esp\n\t"   /* Linux's mov fs,[esp+n] */
				 "movl %%gs:0, %0" : "=r"(a) : "m"(m), "r"(SEL_TLS_B) : "memory", "cc");
		bad_mem += a != (i & 2 ? tls_a[0] : tls_b[0]) || fs_read(1) != tls_b[1];
	}
	CHECK(bad == 0, "%u rounds of DS/ES/FS/GS loads: FS/GS-relative reads see each base", LOOPS);
	CHECK(bad_alt == 0, "FS alternating between two selectors reads each one's base");
	CHECK(bad_mem == 0, "loads from memory (mov gs,[m]; mov fs,[esp]) see the right bases");
	CHECK(get_fs() == SEL_TLS_B && get_gs() == ((LOOPS - 1) & 2 ? SEL_TLS_A : SEL_TLS_B),
	      "MOV from FS/GS reads the selectors loaded last");
}

static void test_push_pop(void)
{
	uint32_t bad = 0, bad16 = 0, bad_other = 0;
	for (unsigned i = 0; i < LOOPS; i++) {
		uint32_t a, b, g, e0, e1, e2;
		__asm__ volatile("movl %3, %%fs\n\tpushl %%fs\n\tpopl %%gs\n\t"       /* GS = FS */
				 "pushl %4\n\tpopl %%fs\n\t"                          /* FS = B */
				 "movl %%fs:0, %0\n\tmovl %%gs:0, %1\n\tpushl %%gs\n\tpopl %2"
				 : "=&r"(a), "=&r"(b), "=&r"(g) : "r"(SEL_TLS_A), "r"(SEL_TLS_B) : "memory");
		bad += a != tls_b[0] || b != tls_a[0] || (g & 0xffff) != SEL_TLS_A;
		__asm__ volatile("movl %%esp, %0\n\tpushw %%fs\n\tmovl %%esp, %1\n\tpopw %%gs\n\t"
				 "movl %%esp, %2" : "=&r"(e0), "=&r"(e1), "=&r"(e2) : : "memory");
		bad16 += e1 != e0 - 2 || e2 != e0 || get_gs() != SEL_TLS_B || fs_read(1) != tls_b[1];
		uint32_t cs, ss, ds, es;
		__asm__ volatile("pushl %%cs\n\tpopl %0\n\tpushl %%ss\n\tpopl %1\n\t"
				 "pushw %%ds\n\tpopw %w2\n\tpushl %%es\n\tpopl %3"
				 : "=&r"(cs), "=&r"(ss), "=&q"(ds), "=&r"(es) : : "memory");
		bad_other += (cs & 0xffff) != SEL_KCODE || (ss & 0xffff) != SEL_KDATA ||
			     (ds & 0xffff) != SEL_KDATA || (es & 0xffff) != SEL_KDATA;
	}
	CHECK(bad == 0, "PUSH FS / POP GS / POP FS round trips (32-bit): selectors and bases");
	CHECK(bad16 == 0, "PUSHW FS / POPW GS move ESP by 2 and carry the selector");
	CHECK(bad_other == 0, "PUSH CS, SS, DS (16-bit), ES: the selectors");
}

static void test_null(void)
{
	uint32_t bad = 0;
	for (unsigned i = 0; i < LOOPS; i++) {
		uint32_t f, g, f3;
		__asm__ volatile("xorl %%eax, %%eax\n\tmovl %%eax, %%fs\n\tmovl %%fs, %0\n\t"
				 "pushl $0\n\tpopl %%gs\n\tmovl %%gs, %1\n\t"
				 "movl $3, %%eax\n\tmovl %%eax, %%fs\n\tmovl %%fs, %2"
				 : "=&r"(f), "=&r"(g), "=&r"(f3) : : "eax", "memory");
		load_fs(SEL_TLS_A);
		bad += f != 0 || g != 0 || f3 != 3 || fs_read(0) != tls_a[0];
	}
	CHECK(bad == 0, "null selectors (0 by MOV and POP, 3 by MOV) load, then FS reloads fine");
}

/* Linux rewrites a TLS descriptor and reloads the same selector. */
static void test_rewrite(void)
{
	uint32_t bad = 0, stale = 0;
	for (unsigned i = 0; i < LOOPS; i++) {
		const uint32_t *buf = bufs[i % 3];
		static uint16_t sel = SEL_X;
		gdt_set(SEL_X, (uint32_t)buf, 0xfffff, DESC_KDATA, DESC_4K32);
		stale += i > 0 && fs_read(0) != bufs[(i + 2) % 3][0];   /* the cache keeps the old base */
		for (unsigned j = 0; j < 4; j++) {
			switch ((i + j) % 3) {
			case 0: load_fs(SEL_X); break;
			case 1: __asm__ volatile("movw %0, %%fs" : : "m"(sel) : "memory"); break;
			default: __asm__ volatile("pushl %0\n\tpopl %%fs" : : "r"((uint32_t)SEL_X) : "memory");
			}
			bad += fs_read(0) != buf[0] || fs_read(1) != buf[1];
		}
	}
	CHECK(bad == 0, "a rewritten descriptor reloaded under the same selector gives the new base");
	CHECK(stale == 0, "until it is reloaded, FS keeps the base it was loaded with");
}

static void test_faults(void)
{
	gdt_set(SEL_NP, (uint32_t)tls_c, 0xfffff, DESC_KDATA, DESC_4K32);
	uint32_t bad = 0;
	for (unsigned i = 0; i < LOOPS; i++) {
		load_fs(SEL_NP);
		bad += fs_read(0) != tls_c[0];
	}
	CHECK(bad == 0, "loads of a present descriptor (before it is marked not present)");
	load_fs(0);                  /* FS changes, its memo (SEL_NP) stays */
	gdt_set(SEL_NP, (uint32_t)tls_c, 0xfffff, ACC_NP, DESC_4K32);
	for (unsigned round = 0; round < 3; round++) {
		trap_expect();
		__asm__ volatile("movl %0, %%eax\n\t" SITE_BEGIN "movl %%eax, %%fs" SITE_END
				 : : "i"(SEL_NP) : "eax", "memory");
		check_trap(11, SEL_NP, "MOV FS of a not-present descriptor: #NP(selector) at the MOV");
	}
	CHECK(get_fs() == 0, "after #NP, FS still holds the selector it had");
	load_fs(SEL_TLS_B);
	uint32_t e0, e1;
	trap_expect();
	__asm__ volatile("pushl %2\n\tmovl %%esp, %0\n\t" SITE_BEGIN "popl %%fs" SITE_END
			 "movl %%esp, %1\n\taddl $4, %%esp" : "=&r"(e0), "=&r"(e1) : "i"(SEL_NP) : "memory", "cc");
	check_trap(11, SEL_NP, "POP FS of a not-present descriptor: #NP(selector) at the POP");
	CHECK(e1 == e0, "after #NP in POP FS, ESP is unchanged");
	gdt_set(SEL_NP, (uint32_t)tls_c, 0xfffff, DESC_KDATA, DESC_4K32);
	load_fs(SEL_NP);
	CHECK(fs_read(1) == tls_c[1], "present again: the same selector loads");

	load_fs(SEL_TLS_A);
	trap_expect();
	__asm__ volatile("movl %0, %%eax\n\t" SITE_BEGIN "movl %%eax, %%fs" SITE_END
			 : : "i"(SEL_TLS_A | 3) : "eax", "memory");
	check_trap(13, SEL_TLS_A, "RPL 3 selector of a DPL 0 segment (memo holds RPL 0): #GP(selector)");
	trap_expect();
	__asm__ volatile("movl %0, %%eax\n\t" SITE_BEGIN "movl %%eax, %%gs" SITE_END
			 : : "i"(SEL_BEYOND) : "eax", "memory");
	check_trap(13, SEL_BEYOND, "selector past the GDT limit: #GP(selector)");
	trap_expect();
	__asm__ volatile("movl %0, %%eax\n\t" SITE_BEGIN "movl %%eax, %%fs" SITE_END
			 : : "i"(SEL_XO) : "eax", "memory");
	check_trap(13, SEL_XO, "execute-only code into FS: #GP(selector)");
	CHECK(get_fs() == SEL_TLS_A && fs_read(0) == tls_a[0], "after the #GPs, FS still holds the old segment");
}

struct probe_case { uint32_t sel; int verr, verw; const char *what; };

static void test_probes(void)
{
	const struct probe_case cases[] = {
		{ SEL_KDATA, 1, 1, "writable data" }, { SEL_RO, 1, 0, "read-only data" },
		{ SEL_KCODE, 1, 0, "readable code" }, { SEL_XO, 0, 0, "execute-only code" },
		{ SEL_KDATA | 3, 0, 0, "RPL 3 of DPL 0 data (DPL too low)" },
		{ SEL_UDATA, 1, 1, "DPL 3 data at CPL 0" }, { SEL_TSS, 0, 0, "a system descriptor" },
		{ 0, 0, 0, "the null selector" }, { SEL_BEYOND, 0, 0, "a selector past the GDT limit" },
	};
	for (unsigned c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		uint32_t bad = 0;
		for (unsigned i = 0; i < LOOPS; i++) {
			uint32_t in = patterns[i & 3];
			bad += !probe_ok(in, verr_flags(cases[c].sel, in), cases[c].verr);
			bad += !probe_ok(in, verw_flags(cases[c].sel, in), cases[c].verw);
			bad += !probe_ok(in, verw_mem_flags(cases[c].sel, in), cases[c].verw);
		}
		CHECK(bad == 0, "VERR %s, VERW %s (register and cs:memory): %s; other flags kept",
		      cases[c].verr ? "ZF=1" : "ZF=0", cases[c].verw ? "ZF=1" : "ZF=0", cases[c].what);
	}
	uint32_t bad = 0;
	for (unsigned i = 0; i < LOOPS; i++) {
		int writable = (i / 8) & 1;
		if (i % 8 == 0)
			gdt_set(SEL_V, 0, 0xfffff, writable ? DESC_KDATA : ACC_RO, DESC_4K32);
		uint32_t in = patterns[i & 3];
		bad += !probe_ok(in, verw_flags(SEL_V, in), writable) + !probe_ok(in, verr_flags(SEL_V, in), 1);
	}
	CHECK(bad == 0, "VERW of one selector follows its descriptor rewritten writable <-> read-only");
}

static void test_flags_kept_by_loads(void)
{
	uint32_t bad = 0;
	for (unsigned i = 0; i < LOOPS; i++) {
		uint32_t in = patterns[i & 3], out;
		static uint16_t m = SEL_TLS_B;
		__asm__ volatile("pushl %1\n\tpopfl\n\t"
				 "movl %2, %%fs\n\tmovl %3, %%ds\n\tmovl %3, %%es\n\tmovw %4, %%gs\n\t"
				 "pushl %%fs\n\tpopl %%gs\n\tmovl $0, %%eax\n\tmovl %%eax, %%fs\n\t"
				 "pushl %2\n\tpopl %%fs\n\tpushw %%gs\n\tpopw %%gs\n\t"
				 "pushfl\n\tpopl %0\n\tcld"
				 : "=&r"(out) : "r"(in), "r"(SEL_TLS_A), "r"(SEL_KDATA), "m"(m) : "eax", "memory", "cc");
		bad += (out & FL_KEPT) != (in & FL_KEPT) || fs_read(0) != tls_a[0];
	}
	CHECK(bad == 0, "MOV/POP/PUSH of segment registers keep CF, PF, AF, ZF, SF, OF and DF");
}

/* ---- CPL 3 (paging off: the user window reaches the GDT) ---- */

static struct trap_record u_trap;
static uint32_t u_site, u_verw_kdata, u_bad, u_bad_probe;

static void user_segs(void)
{
	/* The memos hold CPL 0's load of SEL_KDATA into GS and its VERW: not for CPL 3. */
	trap_expect();
	__asm__ volatile("movl %0, %%eax\n\t" SITE_BEGIN "movl %%eax, %%gs" SITE_END
			 : : "i"(SEL_KDATA) : "eax", "memory");
	u_trap = *(struct trap_record *)&last_trap;
	u_site = site_at;
	u_verw_kdata = verw_flags(SEL_KDATA, 0x202) & FL_ZF;
	for (unsigned i = 0; i < LOOPS; i++) {
		uint32_t a, b, in = patterns[i & 3] | 0x200, out;
		__asm__ volatile("pushl %3\n\tpopfl\n\t"
				 "movl %4, %%ds\n\tmovl %4, %%es\n\tmovl %5, %%fs\n\tpushl %%fs\n\tpopl %%gs\n\t"
				 "pushfl\n\tpopl %2\n\tcld\n\t"
				 "movl %%fs:0, %0\n\tmovl %%gs:4, %1"
				 : "=&r"(a), "=&r"(b), "=&r"(out) : "r"(in), "r"(SEL_UDATA), "r"(SEL_UTLS)
				 : "memory", "cc");
		u_bad += a != tls_u[0] || b != tls_u[1] || (out & FL_KEPT) != (in & FL_KEPT);
		u_bad_probe += !probe_ok(in, verw_flags(SEL_UDATA, in), 1) +
			       !probe_ok(in, verr_flags(SEL_UCODE, in), 1) +
			       !probe_ok(in, verw_flags(SEL_KDATA, in), 0) +
			       !probe_ok(in, verr_flags(SEL_KCODE, in), 0);
	}
	__asm__ volatile("int $0x81");
	__builtin_unreachable();
}

static void test_cpl3(void)
{
	user_init();
	gdt_set(SEL_UTLS, (uint32_t)tls_u, 0xfffff, DESC_UDATA, DESC_4K32);
	uint32_t zf = FL_ZF;
	for (unsigned i = 0; i < 4; i++) {             /* fill the CPL 0 memos */
		__asm__ volatile("movl %0, %%gs" : : "r"(SEL_KDATA) : "memory");
		zf &= verw_flags(SEL_KDATA, 0x2);
	}
	CHECK(zf, "CPL 0: VERW of kernel data sets ZF");
	run_user(user_segs);
	int good = u_trap.count == 1 && u_trap.vector == 13 && u_trap.error == SEL_KDATA && u_trap.eip == u_site;
	CHECK(good, "CPL 3: loading kernel data into GS (memo filled at CPL 0) raises #GP(0x18)");
	if (!good)
		console_printf("     got %u trap(s), vector %u error %x eip %08x\n", u_trap.count, u_trap.vector,
			       u_trap.error, u_trap.eip);
	CHECK(u_verw_kdata == 0, "CPL 3: VERW of kernel data (ZF=1 at CPL 0 just before) clears ZF");
	CHECK(u_bad == 0, "CPL 3: %u rounds of user DS/ES/FS/GS loads and PUSH/POP: bases and flags", LOOPS);
	CHECK(u_bad_probe == 0, "CPL 3: VERR/VERW of user and kernel selectors, other flags kept");
}

/* ---- paging: the descriptor read through the window faults ---- */

#define PTE_P 1u
#define PTE_W 2u
#define CR0_PG (1u << 31)
static volatile uint32_t pd[1024] PAGE_ALIGNED, pt[1024] PAGE_ALIGNED;
static uint64_t ldt[512] PAGE_ALIGNED, ldt2[512] PAGE_ALIGNED;
static uint64_t gdt2[16];

static uint64_t desc(uint32_t base, uint32_t limit, uint8_t access, uint8_t flags)
{
	return (limit & 0xffffu) | (uint64_t)(base & 0xffffffu) << 16 | (uint64_t)access << 40 |
	       (uint64_t)((limit >> 16) & 0xf) << 48 | (uint64_t)(flags & 0xf) << 52 |
	       (uint64_t)(base >> 24) << 56;
}

static void test_paging(void)
{
	for (unsigned i = 0; i < 1024; i++)
		pt[i] = i * 4096 | PTE_P | PTE_W;
	pd[0] = (uint32_t)pt | PTE_P | PTE_W;
	write_cr3((uint32_t)pd);
	write_cr0(read_cr0() | CR0_PG);
	ldt[1] = desc((uint32_t)tls_c, 0xfffff, DESC_KDATA, DESC_4K32);
	ldt2[1] = desc((uint32_t)tls_a, 0xfffff, DESC_KDATA, DESC_4K32);
	gdt_set(SEL_LDT, (uint32_t)ldt, sizeof(ldt) - 1, ACC_LDT, 0);
	__asm__ volatile("lldt %w0" : : "r"(SEL_LDT));

	uint32_t bad = 0;
	for (unsigned i = 0; i < LOOPS; i++) {
		if (i & 1)
			write_cr3((uint32_t)pd);           /* the LDT's page must be found again */
		load_fs(SEL_L1);
		bad += fs_read(0) != tls_c[0] || !(verw_flags(SEL_L1, 0x2) & FL_ZF);
	}
	CHECK(bad == 0, "LDT selector loads and VERW across CR3 writes (descriptor page refetched)");

	/* The memos of FS and VERW hold SEL_L1: the inline reads of its
	 * descriptor fault, and the monitor raises the #PF. */
	volatile uint32_t *pte = &pt[(uint32_t)ldt >> 12];
	load_fs(0);
	*pte &= ~PTE_P;
	invlpg(ldt);
	trap_expect();
	__asm__ volatile("movl %0, %%eax\n\t" SITE_BEGIN "movl %%eax, %%fs" SITE_END
			 : : "i"(SEL_L1) : "eax", "memory");
	check_trap(14, 0, "LDT page not present: MOV FS raises #PF (supervisor read) at the MOV");
	CHECK(last_trap.cr2 == (uint32_t)&ldt[1], "... with CR2 = the descriptor's address (%08x)", last_trap.cr2);
	CHECK(get_fs() == 0, "... and FS unchanged");
	trap_expect();
	__asm__ volatile("movl %0, %%eax\n\t" SITE_BEGIN "verw %%ax" SITE_END
			 : : "i"(SEL_L1) : "eax", "memory", "cc");
	check_trap(14, 0, "LDT page not present: VERW raises #PF too");
	CHECK(last_trap.cr2 == (uint32_t)&ldt[1], "... with CR2 = the descriptor's address");
	*pte |= PTE_P;
	invlpg(ldt);
	load_fs(SEL_L1);
	CHECK(fs_read(1) == tls_c[1], "LDT page present again: the load completes");

	/* LLDT and LGDT: the same selector now names another descriptor. */
	gdt_set(SEL_LDT, (uint32_t)ldt2, sizeof(ldt2) - 1, ACC_LDT, 0);
	__asm__ volatile("lldt %w0" : : "r"(SEL_LDT));
	load_fs(SEL_L1);
	CHECK(fs_read(0) == tls_a[0], "after LLDT of another table, the same LDT selector gives its base");
	struct { uint16_t limit; uint32_t base; } __attribute__((packed)) old, new_gdt;
	__asm__ volatile("sgdt %0" : "=m"(old));
	for (unsigned i = 0; i < 16; i++)
		gdt2[i] = ((const uint64_t *)old.base)[i];
	gdt2[SEL_TLS_A >> 3] = desc((uint32_t)tls_c, 0xfffff, DESC_KDATA, DESC_4K32);
	new_gdt.limit = sizeof(gdt2) - 1;
	new_gdt.base = (uint32_t)gdt2;
	for (unsigned i = 0; i < 4; i++)
		load_fs(SEL_TLS_A);
	__asm__ volatile("lgdt %0" : : "m"(new_gdt));
	load_fs(SEL_TLS_A);
	uint32_t got = fs_read(0);
	__asm__ volatile("lgdt %0" : : "m"(old));
	load_fs(SEL_TLS_A);
	CHECK(got == tls_c[0] && fs_read(0) == tls_a[0], "after LGDT, the same selector gives the new table's base");
}

int guest_main(uint32_t magic, const void *info)
{
	(void)magic;
	(void)info;
	idt_init();
	pic_mask_all();
	static const unsigned recorded[] = { 11, 13, 14 };
	for (unsigned i = 0; i < 3; i++)
		idt_set_handler(recorded[i], trap_record);
	gdt_set(SEL_TLS_A, (uint32_t)tls_a, 0xfffff, DESC_KDATA, DESC_4K32);
	gdt_set(SEL_TLS_B, (uint32_t)tls_b, 0xfffff, DESC_KDATA, DESC_4K32);
	gdt_set(SEL_RO, 0, 0xfffff, ACC_RO, DESC_4K32);
	gdt_set(SEL_XO, 0, 0xfffff, ACC_XO, DESC_4K32);

	test_loads();
	test_push_pop();
	test_null();
	test_rewrite();
	test_faults();
	test_probes();
	test_flags_kept_by_loads();
	test_cpl3();
	test_paging();
	console_printf("segload: %u failure(s)\n", sys_failures);
	return sys_failures ? 1 : 0;
}

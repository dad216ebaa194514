/*
 * rings.c — privilege levels: a TSS gives the CPL 0 stack (SS0:ESP0); IRET
 * enters CPL 3 code; INT 0x80 through a DPL 3 gate is a system call round
 * trip (1000 of them, checking the frame the kernel sees); instructions
 * that are privileged at CPL 3 raise #GP(0); INT n to a DPL 0 gate raises
 * #GP(n*8+2); POPF cannot change IF at CPL 3 with IOPL 0; timer interrupts
 * taken in user mode switch stacks; user accesses to supervisor,
 * read-only and not-present pages give #PF error codes 5, 7 and 4; and
 * SYSENTER/SYSEXIT round trips with the SYSENTER MSRs; two address spaces
 * whose user code at one linear address differs, switched between and
 * remapped while not current (btmon keeps both spaces' windows and user
 * indirect-branch tables: a stale one would run the old code). User code is C in
 * the kernel image (all of 0–4 MiB is a user page); it cannot print, so it
 * stores results that the kernel checks afterwards. INT 0x81 brings the
 * CPU back to CPL 0 for good: its handler resumes the kernel at user_return.
 */
#include "sys.h"

#define PTE_P 1u
#define PTE_W 2u
#define PTE_U 4u
#define CR0_PG (1u << 31)
#define CR0_WP (1u << 16)
#define T_SUP  0x800000u       /* supervisor-only, writable */
#define T_URO  0x801000u       /* user, read-only */
#define T_NP   0x802000u       /* not present */

#define PAGE_ALIGNED __attribute__((aligned(4096)))
static uint8_t sysenter_stack[4096] PAGE_ALIGNED;
static volatile uint32_t pd[1024] PAGE_ALIGNED, pt_low[1024] PAGE_ALIGNED, pt_test[1024] PAGE_ALIGNED;
struct table_reg { uint16_t limit; uint32_t base; } __attribute__((packed));
static struct table_reg gdtr_copy __attribute__((used)), idtr_copy __attribute__((used));

/* INT 0x80: EAX = EAX * 2 + 1, and check the frame. */
static volatile uint32_t sys_calls, sys_bad_frame, sys_frame_outside_kstack;

static void on_syscall(struct trap_frame *f)
{
	sys_calls++;
	if (f->cs != SEL_UCODE || f->user_ss != SEL_UDATA || f->user_esp != f->ebx || !(f->eflags & EFLAGS_IF))
		sys_bad_frame++;
	if ((uint8_t *)f < user_kstack || (uint8_t *)f >= user_kstack + sizeof(user_kstack))
		sys_frame_outside_kstack++;
	f->eax = f->eax * 2 + 1;
}

static volatile uint32_t user_bad_results, user_cs, user_ss;

static void user_syscalls(void)
{
	__asm__ volatile("movl %%cs, %0\n\tmovl %%ss, %1" : "=r"(user_cs), "=r"(user_ss));
	for (uint32_t i = 0; i < 1000; i++) {
		uint32_t a = i;
		__asm__ volatile("movl %%esp, %%ebx\n\tint $0x80" : "+a"(a) : : "ebx", "memory", "cc");
		if (a != i * 2 + 1)
			user_bad_results++;
	}
	USER_EXIT();
}

/* Faults taken at CPL 3: one trap_record per instruction, copied here. */
enum { U_CLI, U_STI, U_HLT, U_RDCR0, U_RDCR3, U_LGDT, U_LIDT, U_OUT, U_IN, U_RDMSR, U_INVLPG,
       U_CLTS, U_RDDR7, U_INT40, U_INT0D, U_INT3, U_INTO, U_NTRIES };
static const char *const try_names[U_NTRIES] = {
	"CLI", "STI", "HLT", "MOV from CR0", "MOV from CR3", "LGDT", "LIDT", "OUT", "IN", "RDMSR",
	"INVLPG", "CLTS", "MOV from DR7", "INT 0x40 (DPL 0 gate)", "INT 0x0d (DPL 0 gate)",
	"INT3 (DPL 3 gate)", "INTO (DPL 3 gate)" };
static struct trap_record tries[U_NTRIES];
static uint32_t try_at[U_NTRIES], try_after[U_NTRIES];
static volatile uint32_t user_popf_if, user_pushf;

#define USER_TRY(i, insn) do {                                                  \
	trap_expect();                                                          \
	__asm__ volatile("movl $0x10, %%ecx\n\t" SITE_BEGIN insn SITE_END       \
			 ::: "eax", "ecx", "edx", "memory", "cc");              \
	tries[i] = *(struct trap_record *)&last_trap;                           \
	try_at[i] = site_at, try_after[i] = site_after;                         \
} while (0)

static void user_privileged(void)
{
	USER_TRY(U_CLI, "cli");
	USER_TRY(U_STI, "sti");
	USER_TRY(U_HLT, "hlt");
	USER_TRY(U_RDCR0, "movl %%cr0, %%eax");
	USER_TRY(U_RDCR3, "movl %%cr3, %%eax");
	USER_TRY(U_LGDT, "lgdt gdtr_copy");
	USER_TRY(U_LIDT, "lidt idtr_copy");
	USER_TRY(U_OUT, "outb %%al, $0x80");
	USER_TRY(U_IN, "inb $0x71, %%al");
	USER_TRY(U_RDMSR, "rdmsr");
	USER_TRY(U_INVLPG, "invlpg (%%esp)");
	USER_TRY(U_CLTS, "clts");
	USER_TRY(U_RDDR7, "movl %%dr7, %%eax");
	USER_TRY(U_INT40, "int $0x40");
	USER_TRY(U_INT0D, "int $0x0d");
	USER_TRY(U_INT3, "int3");
	USER_TRY(U_INTO, "movl $0x7fffffff, %%eax\n\taddl $1, %%eax\n\tinto");
	__asm__ volatile("pushfl\n\tandl $~0x200, (%%esp)\n\tpopfl\n\tpushfl\n\tpopl %0"
			 : "=r"(user_popf_if) : : "memory", "cc");
	user_popf_if &= EFLAGS_IF;
	user_pushf = read_eflags();
	USER_EXIT();
}

static void check_privileged(void)
{
	for (unsigned i = 0; i < U_NTRIES; i++) {
		const struct trap_record *r = &tries[i];
		uint32_t vec = 13, err = 0, eip = try_at[i];
		if (i == U_INT40 || i == U_INT0D)
			err = (i == U_INT40 ? 0x40 : 0x0d) * 8 + 2;
		if (i == U_INT3 || i == U_INTO)
			vec = i == U_INT3 ? 3 : 4, eip = try_after[i];
		int good = r->count == 1 && r->vector == vec && r->error == err && r->eip == eip &&
			   r->cs == SEL_UCODE && r->user_ss == SEL_UDATA;
		if (vec == 13)
			CHECK(good, "CPL 3: %s raises #GP(%x) at the instruction", try_names[i], err);
		else
			CHECK(good, "CPL 3: %s delivers vector %u, saved EIP after it", try_names[i], vec);
		if (!good)
			console_printf("     got %u trap(s), vector %u error %x eip %08x cs %x; want eip %08x\n",
				       r->count, r->vector, r->error, r->eip, r->cs, eip);
	}
	CHECK(user_popf_if == EFLAGS_IF, "CPL 3, IOPL 0: POPF leaves IF set, without a fault");
	CHECK((user_pushf & 0x3000) == 0 && (user_pushf & EFLAGS_IF), "CPL 3: PUSHF shows IOPL 0 and IF 1");
}

/* Timer interrupts while user code spins. */
static volatile uint32_t ticks, ticks_from_user, tick_bad_frame;
static volatile uint32_t shadow_irr_seen, shadow_active, shadow_counter, shadow_seen[5], shadow_eip[5], shadow_n;
extern char shadow_after[];


static void on_timer(struct trap_frame *f)
{
	ticks++;
	if (shadow_active && shadow_n < 5) {
		shadow_seen[shadow_n] = shadow_counter;
		shadow_eip[shadow_n++] = f->eip;
	}
	if ((f->cs & 3) == 3) {
		ticks_from_user++;
		if (f->user_ss != SEL_UDATA || (uint8_t *)f < user_kstack || (uint8_t *)f >= user_kstack + sizeof(user_kstack))
			tick_bad_frame++;
	}
	outb(0x20, 0x20);
}

/* STI at CPL 3 with IOPL 3 (emulated by btmon) with IRQ 0 already pending:
 * the interrupt comes only after the instruction that follows STI. */

static void user_sti_shadow(void)
{
	for (uint32_t k = 0; k < 5; k++) {
		__asm__ volatile("cli" ::: "memory");
		uint64_t t0 = rdtsc();
		for (;;) {   /* until the PIC holds IRQ 0 (OCW3: read IRR) */
			outb(0x20, 0x0a);
			if (inb(0x20) & 1) {
				shadow_irr_seen++;
				break;
			}
			if (rdtsc() - t0 > 4000000000ull)
				break;
		}
		shadow_counter = 0;
		__asm__ volatile("sti\n\tincl shadow_counter\n"
				 "shadow_after:\n\tnop\n\tnop" ::: "memory");
	}
	USER_EXIT();
}

static void user_spin(void)
{
	uint64_t t0 = rdtsc();
	while (ticks < 20 && rdtsc() - t0 < 8000000000ull)
		;
	USER_EXIT();
}

/* User page accesses. */
static void user_pages(void)
{
	USER_TRY(0, "movl 0x800000, %%eax");
	USER_TRY(1, "movl $1, 0x800000");
	USER_TRY(2, "movl 0x801000, %%eax");
	USER_TRY(3, "movl $1, 0x801000");
	USER_TRY(4, "movl 0x802004, %%eax");
	USER_EXIT();
}

static void check_pages(void)
{
	static const struct { uint32_t count, err, cr2; const char *what; } want[5] = {
		{ 1, 5, T_SUP, "read of a supervisor page: #PF error 5 (P|U)" },
		{ 1, 7, T_SUP, "write to a supervisor page: #PF error 7 (P|W|U)" },
		{ 0, 0, 0, "read of a read-only user page: no fault" },
		{ 1, 7, T_URO, "write to a read-only user page: #PF error 7" },
		{ 1, 4, T_NP + 4, "read of a not-present page: #PF error 4 (U)" },
	};
	for (unsigned i = 0; i < 5; i++) {
		const struct trap_record *r = &tries[i];
		int good = r->count == want[i].count &&
			   (!want[i].count || (r->vector == 14 && r->error == want[i].err &&
						r->cr2 == want[i].cr2 && r->cs == SEL_UCODE));
		CHECK(good, "CPL 3: %s", want[i].what);
		if (!good)
			console_printf("     got %u trap(s), vector %u error %x cr2 %08x\n", r->count,
				       r->vector, r->error, r->cr2);
	}
}

/* SYSENTER → sysenter_entry at CPL 0 → SYSEXIT to EDX with ESP = ECX. */
static volatile uint32_t sysenter_calls, sysenter_cs, sysenter_ss, sysenter_flags, sysenter_esp;
extern char sysenter_entry[];
__asm__(".text\nsysenter_entry:\n\t"
	"incl sysenter_calls\n\t"
	"movw %cs, sysenter_cs\n\tmovw %ss, sysenter_ss\n\tmovl %esp, sysenter_esp\n\t"
	"pushfl\n\tpopl sysenter_flags\n\t"
	"leal 1(%eax,%eax), %eax\n\t"
	"sti\n\tsysexit\n");

static void user_sysenter(void)
{
	for (uint32_t i = 0; i < 1000; i++) {
		uint32_t a = i;
		__asm__ volatile("movl %%esp, %%ecx\n\tmovl $1f, %%edx\n\tsysenter\n1:"
				 : "+a"(a) : : "ecx", "edx", "memory", "cc");
		if (a != i * 2 + 1)
			user_bad_results++;
	}
	__asm__ volatile("movl %%cs, %0\n\tmovl %%ss, %1" : "=r"(user_cs), "=r"(user_ss));
	user_pushf = read_eflags();
	USER_EXIT();
}

/* Two address spaces: pd and pd2 share everything but linear 12–16 MiB,
 * where each maps its own page table (pt_code, pt_code2); the code page at
 * USER_FN returns a different number in each frame. */
#define USER_FN  0xc00000u
#define FN_FRAME(k) (0x310000u + (k) * 0x1000u)
static volatile uint32_t pd2[1024] PAGE_ALIGNED, pt_code[1024] PAGE_ALIGNED, pt_code2[1024] PAGE_ALIGNED;
static volatile uint32_t fn_result_first, fn_result_bad;

static void put_fn(unsigned k, uint32_t value)   /* mov $value, %eax; ret */
{
	volatile uint8_t *c = (volatile uint8_t *)FN_FRAME(k);
	c[0] = 0xb8;
	for (unsigned i = 0; i < 4; i++)
		c[1 + i] = (uint8_t)(value >> (8 * i));
	c[5] = 0xc3;
}

static void user_call_fn(void)
{
	uint32_t fn = USER_FN, first = 0, bad = 0;
	for (uint32_t i = 0; i < 200; i++) {   /* an indirect call: the IBT remembers it */
		uint32_t r;
		__asm__ volatile("call *%1" : "=a"(r) : "r"(fn) : "ecx", "edx", "memory", "cc");
		if (i == 0)
			first = r;
		else if (r != first)
			bad++;
	}
	fn_result_first = first;
	fn_result_bad = bad;
	USER_EXIT();
}

static uint32_t run_fn_in(volatile uint32_t *dir)
{
	write_cr3((uint32_t)dir);
	fn_result_first = 0;
	run_user(user_call_fn);
	return fn_result_bad ? 0xbad : fn_result_first;
}

static void check_spaces(void)
{
	for (unsigned i = 0; i < 1024; i++)
		pd2[i] = pd[i];
	put_fn(0, 1);
	put_fn(1, 2);
	put_fn(2, 3);
	pt_code[0] = FN_FRAME(0) | PTE_P | PTE_U;
	pt_code2[0] = FN_FRAME(1) | PTE_P | PTE_U;
	pd[3] = (uint32_t)pt_code | PTE_P | PTE_W | PTE_U;
	pd2[3] = (uint32_t)pt_code2 | PTE_P | PTE_W | PTE_U;
	uint32_t a1 = run_fn_in(pd), b1 = run_fn_in(pd2), a2 = run_fn_in(pd), b2 = run_fn_in(pd2);
	CHECK(a1 == 1 && b1 == 2 && a2 == 1 && b2 == 2,
	      "two address spaces, one user code address: each runs its own code (%u %u %u %u)",
	      a1, b1, a2, b2);
	pt_code[0] = FN_FRAME(2) | PTE_P | PTE_U;   /* while pd is not current: no INVLPG needed */
	uint32_t a3 = run_fn_in(pd);
	CHECK(a3 == 3, "a PTE of a space changed while another ran: its new code runs (%u)", a3);
	uint32_t b3 = run_fn_in(pd2);
	pd[3] = (uint32_t)pt_code2 | PTE_P | PTE_W | PTE_U;   /* a PDE this time */
	uint32_t a4 = run_fn_in(pd);
	CHECK(b3 == 2 && a4 == 2, "a PDE of a space changed while another ran: its new table is used (%u %u)",
	      b3, a4);
	pd[3] = 0;
	write_cr3((uint32_t)pd);
}

/* IRET to CPL 3 nulls data segment registers whose DPL is below 3. */
static volatile uint32_t user_fs_seen = 0xffff, user_gs_seen = 0xffff;

static void user_segs(void)
{
	uint32_t fs, gs;
	__asm__ volatile("movl %%fs, %0\n\tmovl %%gs, %1" : "=r"(fs), "=r"(gs));
	user_fs_seen = fs;
	user_gs_seen = gs;
	USER_EXIT();
}

static void setup(void)
{
	user_init();
	__asm__ volatile("sgdt gdtr_copy\n\tsidt idtr_copy" ::: "memory");

	for (unsigned i = 0; i < 1024; i++)
		pt_low[i] = i * 4096 | PTE_P | PTE_W | PTE_U;
	pd[0] = (uint32_t)pt_low | PTE_P | PTE_W | PTE_U;
	pd[2] = (uint32_t)pt_test | PTE_P | PTE_W | PTE_U;
	pt_test[0] = 0x300000 | PTE_P | PTE_W;    /* T_SUP */
	pt_test[1] = 0x301000 | PTE_P | PTE_U;    /* T_URO */
	write_cr3((uint32_t)pd);
	write_cr0(read_cr0() | CR0_PG | CR0_WP);

	idt_set_handler(0x80, on_syscall);
	idt_set_gate(0x80, 0, 3);
	idt_set_gate(3, 0, 3);
	idt_set_gate(4, 0, 3);
	static const unsigned recorded[] = { 3, 4, 13, 14 };
	for (unsigned i = 0; i < 4; i++)
		idt_set_handler(recorded[i], trap_record);
	idt_set_handler(0x20, on_timer);
}

int guest_main(uint32_t magic, const void *info)
{
	(void)magic;
	(void)info;
	idt_init();
	pic_mask_all();
	setup();

	run_user(user_syscalls);
	CHECK(user_cs == SEL_UCODE && user_ss == SEL_UDATA, "IRET to CPL 3: CS = 0x23, SS = 0x2b");
	CHECK(sys_calls == 1000 && user_bad_results == 0, "1000 INT 0x80 round trips from CPL 3 (%u arrived)",
	      sys_calls);
	CHECK(sys_bad_frame == 0, "INT 0x80 frame: CS 0x23, user SS and ESP pushed, IF was 1");
	CHECK(sys_frame_outside_kstack == 0, "INT 0x80 from CPL 3 runs on the TSS's ESP0 stack");

	run_user(user_privileged);
	check_privileged();

	check_spaces();

	__asm__ volatile("movl %0, %%fs\n\tmovl %1, %%gs" : : "r"(SEL_KDATA), "r"(SEL_UDATA));
	run_user(user_segs);
	__asm__ volatile("movl %0, %%fs\n\tmovl %0, %%gs" : : "r"(SEL_KDATA));
	CHECK(user_fs_seen == 0 && user_gs_seen == SEL_UDATA,
	      "IRET to CPL 3 nulls FS holding a DPL 0 selector, keeps GS with 0x2b (FS 0x%x, GS 0x%x)",
	      user_fs_seen, user_gs_seen);

	outb(0x43, 0x34);                         /* PIT channel 0, mode 2, ~1 kHz */
	outb(0x40, 1193 & 0xff);
	outb(0x40, 1193 >> 8);
	outb(0x21, 0xfe);                         /* unmask IRQ 0 only */
	run_user(user_spin);
	outb(0x21, 0xff);
	CHECK(ticks >= 20 && ticks_from_user > 0, "timer interrupts arrive while CPL 3 code runs (%u of %u)",
	      ticks_from_user, ticks);
	CHECK(tick_bad_frame == 0, "an interrupt in CPL 3 switches to the ESP0 stack and pushes SS");

	outb(0x21, 0xfe);
	shadow_active = 1;
	run_user_flags(user_sti_shadow, 0x3202);   /* IOPL 3: CLI, STI, IN, OUT allowed */
	shadow_active = 0;
	outb(0x21, 0xff);
	int shadow_ok = shadow_n == 5;
	for (uint32_t k = 0; k < shadow_n; k++)
		shadow_ok &= shadow_seen[k] == 1 && shadow_eip[k] == (uint32_t)shadow_after;
	CHECK(shadow_ok, "CPL 3, IOPL 3: an interrupt pending at STI comes after the next instruction "
	      "(%u of 5, IRR seen %u; first: counter %u at %08x, want 1 at %08x)", shadow_n, shadow_irr_seen, shadow_seen[0],
	      shadow_eip[0], (uint32_t)shadow_after);


	(void)*(volatile uint32_t *)T_SUP;        /* the kernel's view has it mapped now */
	*(volatile uint32_t *)T_SUP = 1;
	run_user(user_pages);
	check_pages();

	wrmsr(0x174, SEL_KCODE);
	wrmsr(0x175, (uint32_t)(sysenter_stack + sizeof(sysenter_stack)));
	wrmsr(0x176, (uint32_t)sysenter_entry);
	user_bad_results = 0;
	user_cs = user_ss = 0;
	run_user(user_sysenter);
	CHECK(sysenter_calls == 1000 && user_bad_results == 0, "1000 SYSENTER/SYSEXIT round trips (%u arrived)",
	      sysenter_calls);
	CHECK((sysenter_cs & 0xffff) == SEL_KCODE && (sysenter_ss & 0xffff) == SEL_KDATA &&
	      sysenter_esp == (uint32_t)(sysenter_stack + sizeof(sysenter_stack)) && !(sysenter_flags & EFLAGS_IF),
	      "SYSENTER: CS/SS/ESP from the MSRs, IF cleared");
	CHECK(user_cs == SEL_UCODE && user_ss == SEL_UDATA && (user_pushf & EFLAGS_IF),
	      "SYSEXIT: back at CPL 3 with CS 0x23, SS 0x2b (and IF from the STI)");
	console_printf("rings: %u failure(s)\n", sys_failures);
	return sys_failures ? 1 : 0;
}

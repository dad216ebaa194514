/*
 * sti_shadow.c — the STI interrupt shadow where a translated block could end
 * right after STI. After STI (with IF=0) a pending interrupt waits until the
 * next instruction has completed (SDM Vol. 2B "STI"); Linux relies on it for
 * `sti; hlt` (idle) and `sti; sysexit`. btmon takes interrupts at block
 * entries (the entry poll) and after the instruction that follows an STI
 * (src/translator/translate.c); each case puts STI where its block would
 * otherwise end: a page's last byte, `sti; hlt` across a page boundary, STI
 * before an instruction that ends on the next page (past the translator's
 * first fetch), before an undecodable instruction (its #UD comes first), and
 * at the block's instruction cap.
 *
 * For each: IF=0, wait until the PIC holds IRQ 0 (PIT, periodic) in its IRR,
 * call the case. The IRQ 0 handler records what it sees at the first
 * interrupt: the instruction after STI (`incl after_sti`, HLT, the #UD) must
 * have run, and the saved EIP must be the one after it.
 */
#include "sys.h"

static volatile uint32_t after_sti, ud_count;
static volatile struct { uint32_t count, after, ud, eip; } irq;

/* The cases, in their own page-aligned section: ".skip" pads each so that
 * STI lands where the comment says; check_layout() verifies it. */
__asm__(".section .text.sti_shadow, \"ax\"\n"
	".balign 4096\n"
	".skip 4096 - 8, 0xcc\n"
	/* STI is a page's last byte. */
	"sti_last_byte:\n"
	"  .skip 7, 0x90\n"
	"sti_last_byte_sti:\n"
	"  sti\n"
	"  incl after_sti\n"
	"sti_last_byte_resume:\n"
	"  cli\n"
	"  ret\n"
	/* STI as the 63rd instruction of a block: the cap. */
	"sti_at_cap:\n"
	"  .skip 62, 0x90\n"
	"  sti\n"
	"  incl after_sti\n"
	"sti_at_cap_resume:\n"
	"  cli\n"
	"  ret\n"
	/* sti; hlt with HLT on the next page: the interrupt ends the HLT. */
	".balign 4096\n"
	".skip 4096 - 8, 0xcc\n"
	"sti_hlt:\n"
	"  .skip 7, 0x90\n"
	"sti_hlt_sti:\n"
	"  sti\n"
	"  hlt\n"
	"sti_hlt_resume:\n"
	"  cli\n"
	"  ret\n"
	/* The block starts 32 bytes before the page end, so the translator's
	 * first fetch stops there; STI 15 bytes before the end, followed by a
	 * 15-byte instruction (9 redundant DS prefixes) whose last byte is on
	 * the next page. */
	".balign 4096\n"
	".skip 4096 - 32, 0xcc\n"
	"sti_straddle:\n"
	"  .skip 17, 0x90\n"
	"sti_straddle_sti:\n"
	"  sti\n"
	"  .byte 0x3e, 0x3e, 0x3e, 0x3e, 0x3e, 0x3e, 0x3e, 0x3e, 0x3e\n"
	"  incl after_sti\n"
	"sti_straddle_resume:\n"
	"  cli\n"
	"  ret\n"
	/* An undecodable instruction after STI: #UD before the interrupt. */
	"sti_ud:\n"
	"  sti\n"
	"sti_ud_insn:\n"
	"  .byte 0xf0, 0x90\n"          /* lock nop */
	"sti_ud_resume:\n"
	"  cli\n"
	"  ret\n"
	".text\n");

extern void sti_last_byte(void), sti_at_cap(void), sti_hlt(void), sti_straddle(void), sti_ud(void);
extern const char sti_last_byte_sti[], sti_last_byte_resume[], sti_at_cap_resume[], sti_hlt_sti[],
	sti_hlt_resume[], sti_straddle_sti[], sti_straddle_resume[], sti_ud_insn[], sti_ud_resume[];

static void on_irq0(struct trap_frame *f)
{
	if (irq.count++ == 0) {
		irq.after = after_sti;
		irq.ud = ud_count;
		irq.eip = f->eip;
	}
	outb(0x20, 0x20);                         /* non-specific EOI */
}

static void on_ud(struct trap_frame *f)
{
	ud_count++;
	if (f->eip == (uint32_t)sti_ud_insn)
		f->eip = (uint32_t)sti_ud_resume;
}

static void pic_init(void)
{
	outb(0x20, 0x11); outb(0xa0, 0x11);      /* ICW1: edge, cascade, ICW4 */
	outb(0x21, 0x20); outb(0xa1, 0x28);      /* ICW2: vectors 0x20 / 0x28 */
	outb(0x21, 0x04); outb(0xa1, 0x02);      /* ICW3: slave on IRQ 2 */
	outb(0x21, 0x01); outb(0xa1, 0x01);      /* ICW4: 8086 mode */
	outb(0x21, 0xfe); outb(0xa1, 0xff);      /* IRQ 0 only */
}

/* With IF=0, until the master PIC's IRR holds IRQ 0 (OCW3: read IRR). */
static void wait_irq0_pending(void)
{
	outb(0x20, 0x0a);
	while (!(inb(0x20) & 1))
		;
}

/* Run one case with IRQ 0 pending; want_after: what the handler must see
 * in after_sti (1: the instruction after STI ran first). */
static void run_case(void (*fn)(void), const char *what, uint32_t want_after, uint32_t want_eip)
{
	after_sti = 0;
	ud_count = 0;
	irq.count = 0;
	irq.after = irq.ud = irq.eip = 0xffffffffu;
	cli();
	wait_irq0_pending();
	fn();
	int good = irq.count >= 1 && irq.after == want_after && irq.eip == want_eip;
	CHECK(good, "%s", what);
	if (!good)
		console_printf("     %u interrupt(s); the first saw after_sti=%u ud=%u at eip %08x; "
			       "want after_sti=%u at eip %08x\n", irq.count, irq.after, irq.ud, irq.eip,
			       want_after, want_eip);
}

static void check_layout(void)
{
	CHECK(((uint32_t)sti_last_byte_sti & 0xfff) == 0xfff, "layout: STI is a page's last byte");
	CHECK(((uint32_t)sti_hlt_sti & 0xfff) == 0xfff, "layout: HLT is the first byte of a page");
	CHECK(((uint32_t)sti_straddle_sti & 0xfff) == 0xff1 && ((uint32_t)sti_straddle_resume & 0xfff) == 1,
	      "layout: the 15-byte instruction after STI ends on the next page");
}

int guest_main(uint32_t magic, const void *info)
{
	(void)magic;
	(void)info;
	idt_init();
	idt_set_handler(0x20, on_irq0);
	idt_set_handler(6, on_ud);
	pic_init();
	outb(0x43, 0x34);                         /* PIT ch 0, lo/hi, mode 2 */
	outb(0x40, 1193 & 0xff);
	outb(0x40, 1193 >> 8);                    /* ~1000 Hz */
	check_layout();
	run_case(sti_last_byte, "STI as a page's last byte: the next page's first instruction runs first",
		 1, (uint32_t)sti_last_byte_resume);
	run_case(sti_straddle, "STI before an instruction that ends on the next page (fetched late)",
		 1, (uint32_t)sti_straddle_resume);
	run_case(sti_hlt, "sti; hlt across a page boundary: the interrupt ends the HLT",
		 0, (uint32_t)sti_hlt_resume);
	run_case(sti_ud, "STI before an undecodable instruction: #UD first", 0, (uint32_t)sti_ud_resume);
	CHECK(ud_count == 1 && irq.ud == 1, "the #UD was delivered before the interrupt");
	run_case(sti_at_cap, "STI as the block's 63rd instruction (the cap)", 1, (uint32_t)sti_at_cap_resume);
	outb(0x43, 0x30);                         /* ch 0 mode 0, no reload: stop ticking */
	outb(0x40, 0); outb(0x40, 0);
	console_printf("sti_shadow: %u failure(s)\n", sys_failures);
	return sys_failures ? 1 : 0;
}

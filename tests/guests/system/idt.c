/*
 * idt.c — the test guests' descriptor tables: a GDT with kernel, user and TSS
 * slots (sys.h names them), and an interrupt table of 256 stubs that push a
 * uniform frame (vector, error code or 0, pushad) and call trap_dispatch,
 * which hands it to the handler registered for that vector. Also the
 * recording handler that tests use to expect a fault at one instruction.
 */
#include "sys.h"

unsigned sys_failures;
volatile struct trap_record last_trap;
volatile uint32_t trap_resume, site_at, site_after;

/* Multiboot leaves the GDT undefined (QEMU's has code at 0x08, btmon's at
 * 0x10), so every guest installs this one. */
static uint64_t gdt[16] __attribute__((aligned(8)));

void gdt_set(unsigned sel, uint32_t base, uint32_t limit, uint8_t access, uint8_t flags)
{
	gdt[sel >> 3] = (limit & 0xffffu) | (uint64_t)(base & 0xffffffu) << 16 |
			(uint64_t)access << 40 | (uint64_t)((limit >> 16) & 0xf) << 48 |
			(uint64_t)(flags & 0xf) << 52 | (uint64_t)(base >> 24) << 56;
}

static void gdt_init(void)
{
	gdt_set(SEL_KCODE, 0, 0xfffff, DESC_KCODE, DESC_4K32);
	gdt_set(SEL_KDATA, 0, 0xfffff, DESC_KDATA, DESC_4K32);
	gdt_set(SEL_UCODE, 0, 0xfffff, DESC_UCODE, DESC_4K32);
	gdt_set(SEL_UDATA, 0, 0xfffff, DESC_UDATA, DESC_4K32);
	struct { uint16_t limit; uint32_t base; } __attribute__((packed)) r = { sizeof(gdt) - 1, (uint32_t)gdt };
	__asm__ volatile("lgdt %0\n\t"
			 "ljmp %1, $1f\n"
			 "1:\tmovl %2, %%eax\n\t"
			 "movl %%eax, %%ds\n\tmovl %%eax, %%es\n\tmovl %%eax, %%ss\n\t"
			 "movl %%eax, %%fs\n\tmovl %%eax, %%gs"
			 : : "m"(r), "i"(SEL_KCODE), "i"(SEL_KDATA) : "eax", "memory");
}

struct gate {
	uint16_t off_lo, sel;
	uint8_t zero, type;
	uint16_t off_hi;
} __attribute__((packed));

static struct gate idt[256] __attribute__((aligned(8)));
static trap_handler handlers[256];
extern const uint32_t trap_stubs[256];

__asm__(".text\n"
	"trap_common:\n"
	"  pushal\n"
	"  cld\n"
	"  pushl %esp\n"
	"  call trap_dispatch\n"
	"  addl $4, %esp\n"
	"  popal\n"
	"  addl $8, %esp\n"
	"  iret\n");

/* Vectors 0..255 via a generated table (see trap_stubs below). */
__asm__(".altmacro\n"
	".macro stub v\n"
	"trap_stub_\\v:\n"
	"  .if \\v == 8 || (\\v >= 10 && \\v <= 14) || \\v == 17\n"
	"  .else\n  pushl $0\n  .endif\n"
	"  pushl $\\v\n  jmp trap_common\n"
	".endm\n"
	".macro stubaddr v\n  .long trap_stub_\\v\n.endm\n"
	".set i, 0\n.rept 256\n  stub %i\n  .set i, i+1\n.endr\n"
	".section .rodata\n.globl trap_stubs\ntrap_stubs:\n"
	".set i, 0\n.rept 256\n  stubaddr %i\n  .set i, i+1\n.endr\n"
	".text\n");

void trap_dispatch(struct trap_frame *f);
void trap_dispatch(struct trap_frame *f)
{
	if (f->vector < 256 && handlers[f->vector]) {
		handlers[f->vector](f);
		return;
	}
	console_printf("FAIL unexpected trap %u error %x at eip %08x\n", f->vector, f->error, f->eip);
	debug_exit(2);
}

void idt_set_gate(unsigned v, int trap, unsigned dpl)
{
	idt[v].type = (uint8_t)(0x80 | (dpl << 5) | (trap ? 0xf : 0xe));
}

void idt_set_present(unsigned v, int present)
{
	idt[v].type = (uint8_t)((idt[v].type & 0x7f) | (present ? 0x80 : 0));
}

void idt_set_handler(unsigned v, trap_handler h)
{
	handlers[v] = h;
}

void idt_load(uint16_t limit)
{
	struct { uint16_t limit; uint32_t base; } __attribute__((packed)) r = { limit, (uint32_t)idt };
	__asm__ volatile("lidt %0" : : "m"(r));
}

void pic_mask_all(void)
{
	outb(0x20, 0x11); outb(0xa0, 0x11);      /* ICW1: edge, cascade, ICW4 */
	outb(0x21, 0x20); outb(0xa1, 0x28);      /* ICW2: vectors 0x20 / 0x28 */
	outb(0x21, 0x04); outb(0xa1, 0x02);      /* ICW3: slave on IRQ 2 */
	outb(0x21, 0x01); outb(0xa1, 0x01);      /* ICW4: 8086 mode */
	outb(0x21, 0xff); outb(0xa1, 0xff);
}

void trap_record(struct trap_frame *f)
{
	last_trap.count++;
	last_trap.vector = f->vector;
	last_trap.error = f->error;
	last_trap.eip = f->eip;
	last_trap.cs = f->cs;
	last_trap.eflags = f->eflags;
	last_trap.user_esp = (f->cs & 3) ? f->user_esp : 0;
	last_trap.user_ss = (f->cs & 3) ? f->user_ss : 0;
	last_trap.cr2 = f->vector == 14 ? read_cr2() : 0;
	if (trap_resume) {
		f->eip = trap_resume;
		trap_resume = 0;
	}
}

void trap_expect(void)
{
	trap_resume = 0;
	last_trap.count = 0;
	last_trap.vector = last_trap.error = last_trap.eip = 0xffffffffu;
}

void idt_init(void)
{
	gdt_init();
	for (unsigned v = 0; v < 256; v++) {
		idt[v].off_lo = (uint16_t)trap_stubs[v];
		idt[v].off_hi = (uint16_t)(trap_stubs[v] >> 16);
		idt[v].sel = SEL_KCODE;
		idt[v].zero = 0;
		idt_set_gate(v, 0, 0);
	}
	idt_load(sizeof(idt) - 1);
}

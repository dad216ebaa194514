/*
 * idt.c — the test guests' interrupt table: 256 stubs that push a uniform
 * frame (vector, error code or 0, pushad) and call trap_dispatch, which hands
 * it to the handler registered for that vector.
 */
#include "sys.h"

unsigned sys_failures;

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

void idt_set_handler(unsigned v, trap_handler h)
{
	handlers[v] = h;
}

void idt_init(void)
{
	for (unsigned v = 0; v < 256; v++) {
		idt[v].off_lo = (uint16_t)trap_stubs[v];
		idt[v].off_hi = (uint16_t)(trap_stubs[v] >> 16);
		idt[v].sel = 0x10;
		idt[v].zero = 0;
		idt_set_gate(v, 0, 0);
	}
	struct { uint16_t limit; uint32_t base; } __attribute__((packed)) r = { sizeof(idt) - 1, (uint32_t)idt };
	__asm__ volatile("lidt %0" : : "m"(r));
}

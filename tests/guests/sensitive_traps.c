/*
 * sensitive_traps.c — the sensitive guest's own GDT and IDT, and the C half
 * of its trap handler (see sensitive.h; the entry stubs are in
 * sensitive_idt.S).
 *
 * GDT: null, 0x08 flat code, 0x10 flat data, 0x18 data at 2 MiB (FS), 0x20
 * data at 3 MiB (GS), all 4 GiB limit. IDT: vectors 0..31 as interrupt gates
 * to their stubs, 0x40 an interrupt gate, 0x41 a trap gate.
 */
#include <stdint.h>

#include "console.h"
#include "io.h"
#include "sensitive.h"

#define IDT_ENTRIES (VEC_TRAPGATE + 1)

/* A 4 GiB (G=1, D=1) descriptor of type `type` at `base` (SDM Vol. 3A §3.4.5). */
#define DESC(base, type)                                                       \
	((uint64_t)0xffff | ((uint64_t)((base) & 0xffffff) << 16) |            \
	 ((uint64_t)(type) << 40) | ((uint64_t)0xcf << 48) |                   \
	 ((uint64_t)((base) >> 24) << 56))

static const uint64_t sens_gdt[] __attribute__((aligned(8))) = {
	0,
	DESC(0, 0x9a),          /* SEL_CODE: code, execute/read */
	DESC(0, 0x92),          /* SEL_DATA: data, read/write */
	DESC(FS_BASE, 0x92),    /* SEL_FS */
	DESC(GS_BASE, 0x92),    /* SEL_GS */
};
static uint64_t sens_idt[IDT_ENTRIES] __attribute__((aligned(8)));

volatile struct sens_event sens_last;
volatile uint32_t sens_resume;
volatile uint32_t sens_set_cf;

/* The frame sensitive_idt.S builds: PUSHAD, vector, error code (0 if the
 * CPU pushed none), then what the CPU pushed (CPL 0 to 0: no ESP/SS). */
struct sens_frame {
	uint32_t edi, esi, ebp, esp0, ebx, edx, ecx, eax;
	uint32_t vec, err;
	uint32_t eip, cs, eflags;
};

/* Entry stubs (sensitive_idt.S): vectors 0..31, 0x40, 0x41. */
extern const uint32_t sens_stubs[32], sens_stub_intgate, sens_stub_trapgate;

/* Called by every stub with its frame; IRET follows. Records the event,
 * applies sens_set_cf/sens_resume; stops the guest on anything unexpected. */
void sens_trap(struct sens_frame *f);
void sens_trap(struct sens_frame *f)
{
	sens_last.count++;
	sens_last.vec = f->vec;
	sens_last.err = f->err;
	sens_last.eip = f->eip;
	sens_last.cs = f->cs;
	sens_last.eflags = f->eflags;
	sens_last.eflags_inside = read_eflags();
	sens_last.ebx = f->ebx;
	sens_last.esi = f->esi;
	sens_last.edi = f->edi;
	sens_last.ebp = f->ebp;
	sens_last.esp = (uint32_t)(uintptr_t)(&f->eflags + 1);
	sens_last.stack_top = (&f->eflags)[1];
	if (sens_set_cf) {
		f->eflags |= 1;
		sens_set_cf = 0;
	}
	if (sens_resume) {
		f->eip = sens_resume;
		sens_resume = 0;
		return;
	}
	switch (f->vec) {
	case 3:                 /* #BP, #OF: traps, return after the instruction */
	case 4:
	case VEC_INTGATE:
	case VEC_TRAPGATE:
		return;
	}
	console_printf("FAIL unexpected exception %u (error 0x%x) at eip 0x%x\n", f->vec, f->err,
		       f->eip);
	console_puts("sensitive: stopped\n");
	debug_exit(1);
}

/* A 32-bit gate to the stub at `handler`: type 0xE interrupt, 0xF trap. */
static uint64_t sens_gate(uint32_t handler, unsigned type)
{
	return (handler & 0xffff) | (uint64_t)SEL_CODE << 16 |
	       (uint64_t)(0x80 | type) << 40 | (uint64_t)(handler >> 16) << 48;
}

void sens_load_tables(struct sens_dtr *gdtr, struct sens_dtr *idtr)
{
	for (unsigned v = 0; v < 32; v++)
		sens_idt[v] = sens_gate(sens_stubs[v], 0xe);
	sens_idt[VEC_INTGATE] = sens_gate(sens_stub_intgate, 0xe);
	sens_idt[VEC_TRAPGATE] = sens_gate(sens_stub_trapgate, 0xf);
	*gdtr = (struct sens_dtr){ sizeof sens_gdt - 1, (uint32_t)(uintptr_t)sens_gdt };
	*idtr = (struct sens_dtr){ sizeof sens_idt - 1, (uint32_t)(uintptr_t)sens_idt };

	__asm__ volatile("lgdt %0\n\t"
			 "ljmp $0x08, $1f\n"            /* SEL_CODE */
			 "1:\tmovw $0x10, %%ax\n\t"     /* SEL_DATA */
			 "movw %%ax, %%ds\n\t"
			 "movw %%ax, %%es\n\t"
			 "movw %%ax, %%ss\n\t"
			 "movw %%ax, %%gs\n\t"
			 "movw $0x18, %%ax\n\t"         /* SEL_FS */
			 "movw %%ax, %%fs\n\t"
			 "lidt %1"
			 : : "m"(*gdtr), "m"(*idtr) : "eax", "memory");
}

/*
 * dump.c — the register dump printed when a guest stops abnormally (triple
 * fault, unsupported instruction, halt with nothing to wake it): general and
 * segment registers, EFLAGS decoded, control and table registers, and the
 * instruction at EIP.
 */
#include <stdio.h>

#include "emulate.h"

static void dump_eflags(FILE *out, uint32_t fl)
{
	static const struct { uint32_t bit; const char *name; } names[] = {
		{ X86_FL_CF, "CF" }, { X86_FL_PF, "PF" }, { X86_FL_AF, "AF" }, { X86_FL_ZF, "ZF" },
		{ X86_FL_SF, "SF" }, { X86_FL_TF, "TF" }, { X86_FL_IF, "IF" }, { X86_FL_DF, "DF" },
		{ X86_FL_OF, "OF" }, { X86_FL_NT, "NT" }, { X86_FL_AC, "AC" }, { X86_FL_ID, "ID" },
	};
	fprintf(out, "EFLAGS=%08x [", fl);
	for (size_t i = 0; i < BT_ARRAY_SIZE(names); i++)
		if (fl & names[i].bit)
			fprintf(out, " %s", names[i].name);
	fprintf(out, " ] IOPL=%u\n", (fl & X86_FL_IOPL) >> X86_FL_IOPL_SHIFT);
}

void dump_registers(struct machine *m, FILE *out)
{
	const struct vcpu *v = m->vcpu;
	static const char *const seg[] = { "ES", "CS", "SS", "DS", "FS", "GS" };
	fprintf(out, "EAX=%08x EBX=%08x ECX=%08x EDX=%08x\n", v->gpr[X86_EAX], v->gpr[X86_EBX],
		v->gpr[X86_ECX], v->gpr[X86_EDX]);
	fprintf(out, "ESI=%08x EDI=%08x EBP=%08x ESP=%08x\n", v->gpr[X86_ESI], v->gpr[X86_EDI],
		v->gpr[X86_EBP], v->gpr[X86_ESP]);
	fprintf(out, "EIP=%08x CPL=%u ", v->eip, v->cpl);
	dump_eflags(out, vcpu_eflags(v));
	for (int s = 0; s < X86_NSEG; s++)
		fprintf(out, "%s =%04x %08x %08x %05x\n", seg[s], v->seg[s].sel, v->seg[s].base,
			v->seg[s].limit, v->seg[s].flags >> 8);
	fprintf(out, "LDT=%04x %08x  TR=%04x %08x\n", v->ldtr.sel, v->ldtr.base, v->tr.sel, v->tr.base);
	fprintf(out, "GDT=     %08x %04x  IDT=     %08x %04x\n", v->gdtr.base, v->gdtr.limit,
		v->idtr.base, v->idtr.limit);
	fprintf(out, "CR0=%08x CR2=%08x CR3=%08x CR4=%08x\n", v->cr0, v->cr2, v->cr3, v->cr4);
	struct emu_insn e;
	uint8_t bytes[15];
	if (emulate_decode(m, v->eip, &e.in, e.ops) && mmu_read_gla(&m->mmu, v->eip, bytes, e.in.length)) {
		char text[96];
		emu_format(m, &e, text, sizeof(text));
		fprintf(out, "Code at EIP:");
		for (unsigned i = 0; i < e.in.length; i++)
			fprintf(out, " %02x", bytes[i]);
		fprintf(out, "   %s\n", text);
	} else {
		fprintf(out, "Code at EIP: (not readable)\n");
	}
}

/*
 * alu_flags.c — guest test: integer ALU instructions and the EFLAGS they
 * leave. ADD/ADC/SUB/SBB/AND/OR/XOR/CMP/TEST, INC/DEC (including the one-byte
 * 0x40+r forms that mean REX in 64-bit mode), NEG/NOT, shifts and rotates by
 * 0, 1, 31, 32 and more, SHLD/SHRD, MUL/IMUL/DIV/IDIV, BT/BTS/BTR/BTC/BSF/BSR,
 * SETcc/CMOVcc over every flag combination, BSWAP, XCHG/CMPXCHG/XADD/
 * CMPXCHG8B (also LOCKed), LAHF/SAHF, CDQ/CWDE, and the BCD adjusts
 * (DAA..AAD, invalid in 64-bit mode), in 8/16/32-bit and memory forms.
 * First, though, it checks that the arithmetic flags survive everything the
 * translator puts between guest instructions: block ends of every kind
 * (direct, indirect, RET, page boundary, length cap), exits to the monitor
 * (port I/O, CPUID, MOV CR0, segment loads) and the rewritten stack and
 * string instructions; each of those must leave EFLAGS as POPF loaded them.
 *
 * The ops and their inputs are in alu_ops.h; the expected results in
 * alu_flags_table.h were produced by running the same asm on the host CPU
 * (gen/alu_flags_gen.c). Only EFLAGS bits the SDM defines for an op are
 * compared (alu_flag_mask). Prints one line per op, details of up to three
 * failing cases per op; returns 0 only if every case matched.
 */
#include <stdint.h>

#include "alu_ops.h"
#include "check.h"
#include "console.h"
#include "multiboot.h"

#include "alu_flags_table.h"

#define ALU_MAX_REPORTS 3     /* failing cases printed in full, per op */

/* ---- flags preserved by instructions that do not write them ---- */

static volatile uint32_t alu_keep_buf[16] __attribute__((used));

/* Callees for the CALL/RET carriers: touch nothing. */
__asm__(".text\n"
	"alu_keep_fn:\n\t"
	"ret\n"
	"alu_keep_fn4:\n\t"
	"ret $4\n");

/* POPF f; insns; PUSHF: EFLAGS after insns, which must not write them. */
#define KEEP(name, insns)                                                      \
	static uint32_t keep_##name(uint32_t f)                                \
	{                                                                      \
		__asm__ volatile("pushl %0\n\tpopfl\n\t"                        \
				 insns "\n\t"                                  \
				 "pushfl\n\tpopl %0"                           \
				 : "+m"(f) : : "eax", "ebx", "ecx", "edx", "esi", \
				 "edi", "memory", "cc");                       \
		return f;                                                      \
	}
/* f is addressed off ESP, so a carrier that moves ESP must put it back before
 * the PUSHF; every carrier below does. */
KEEP(mov_lea, "movl $1, %%eax\n\tleal 4(%%eax,%%eax,2), %%ecx\n\tmovzbl %%cl, %%edx\n\t"
	      "xchgl %%eax, %%edx\n\tbswapl %%eax\n\tnotl %%ecx")
KEEP(memory, "movl alu_keep_buf, %%eax\n\tmovl %%eax, alu_keep_buf+4\n\t"
	     "movl $alu_keep_buf, %%esi\n\tmovl 8(%%esi), %%ecx\n\tmovl %%ecx, 12(%%esi)")
KEEP(push_pop, "pushl $5\n\tpushl %%eax\n\tpopl %%ecx\n\tpopl %%edx")
KEEP(pushad_popad, "pushal\n\tpopal")
KEEP(enter_leave, "enter $8, $0\n\tleave")
KEEP(call_ret, "call alu_keep_fn")
KEEP(call_ret_imm, "pushl $0\n\tcall alu_keep_fn4")
KEEP(call_reg, "movl $alu_keep_fn, %%eax\n\tcall *%%eax")
KEEP(jmp_rel8, "jmp 1f\n\tnop\n1:")
KEEP(jmp_next_page, "jmp 1f\n\t.p2align 12, 0xcc\n1:")
KEEP(fall_into_next_page, ".p2align 12, 0x90")
KEEP(long_block_400_insns, ".rept 400\n\tleal 1(%%eax), %%eax\n\t.endr")
KEEP(jmp_reg, "movl $1f, %%eax\n\tjmp *%%eax\n1:")
KEEP(jmp_mem, "movl $1f, alu_keep_buf\n\tjmp *alu_keep_buf\n1:")
KEEP(jcc, "jz 1f\n\tnop\n1:\tjnz 2f\n\tnop\n2:")
KEEP(loop, "movl $3, %%ecx\n1:\tloop 1b")
KEEP(jecxz, "movl $0, %%ecx\n\tjecxz 1f\n\tnop\n1:")
KEEP(cmov_setcc, "cmovzl %%eax, %%ecx\n\tsetc %%al")
KEEP(lahf_sahf, "lahf\n\tsahf")
KEEP(rep_movsb, "movl $alu_keep_buf, %%esi\n\tleal 16(%%esi), %%edi\n\tmovl $8, %%ecx\n\t"
		"rep movsb")
KEEP(rep_stosd, "movl $alu_keep_buf, %%edi\n\tmovl $4, %%ecx\n\trep stosl")
KEEP(lodsb_stosb, "movl $alu_keep_buf, %%esi\n\tmovl %%esi, %%edi\n\tlodsb\n\tstosb")
KEEP(port_io, "movw $0x3ff, %%dx\n\tmovb $0x42, %%al\n\toutb %%al, %%dx\n\tinb %%dx, %%al")
KEEP(cli, "cli")
KEEP(pushf_popf, "pushfl\n\tpopl %%eax\n\tpushl %%eax\n\tpopfl")
KEEP(cpuid, "movl $0, %%eax\n\tcpuid")
KEEP(rdtsc, "rdtsc")
KEEP(mov_cr0, "movl %%cr0, %%eax\n\tmovl %%eax, %%cr0")
KEEP(mov_sreg, "movw %%ds, %%ax\n\tmovw %%ax, %%es")
KEEP(x87, "fld1\n\tfstp %%st(0)")

static const struct {
	const char *name;
	uint32_t (*run)(uint32_t f);
} alu_keepers[] = {
#define KEEPER(name) { #name, keep_##name }
	KEEPER(mov_lea), KEEPER(memory), KEEPER(push_pop), KEEPER(pushad_popad),
	KEEPER(enter_leave), KEEPER(call_ret), KEEPER(call_ret_imm), KEEPER(call_reg),
	KEEPER(jmp_rel8), KEEPER(jmp_next_page), KEEPER(fall_into_next_page),
	KEEPER(long_block_400_insns), KEEPER(jmp_reg), KEEPER(jmp_mem), KEEPER(jcc),
	KEEPER(loop), KEEPER(jecxz), KEEPER(cmov_setcc), KEEPER(lahf_sahf),
	KEEPER(rep_movsb), KEEPER(rep_stosd), KEEPER(lodsb_stosb), KEEPER(port_io),
	KEEPER(cli), KEEPER(pushf_popf), KEEPER(cpuid), KEEPER(rdtsc), KEEPER(mov_cr0),
	KEEPER(mov_sreg), KEEPER(x87),
#undef KEEPER
};

/* Each carrier under four flag patterns: none, all, CF ZF OF, PF AF SF. */
static void alu_flags_kept(void)
{
	static const uint32_t patterns[4] = { 0x002, 0x8d7, 0x843, 0x096 };
	char name[64];

	for (unsigned k = 0; k < sizeof alu_keepers / sizeof alu_keepers[0]; k++) {
		uint32_t got = 0, want = 0;     /* the first pattern that changed */

		for (unsigned p = 0; p < 4 && got == want; p++) {
			got = alu_keepers[k].run(patterns[p]) & ALU_ARITH;
			want = patterns[p] & ALU_ARITH;
		}
		check_eq(check_cat(name, sizeof name, "flags kept across ", alu_keepers[k].name),
			 got, want);
	}
}

/* ---- the op table ---- */

static const char *const alu_word_names[ALU_NWORDS] = {
	"eax", "ebx", "ecx", "edx", "eflags", "m0", "m1",
};

/* Print the inputs of a failing case. */
static void alu_print_input(const struct alu_state *in)
{
	console_printf("     in: eax=0x%x ebx=0x%x ecx=0x%x edx=0x%x eflags=0x%x m0=0x%x m1=0x%x\n",
		       in->eax, in->ebx, in->ecx, in->edx, in->flags, in->mem[0], in->mem[1]);
}

/*
 * Run every case of op, reading its expected rows from *row on. Returns the
 * number of failing cases; *cases gets how many there were.
 */
static unsigned alu_run_op(const struct alu_op *op, const uint32_t **row, unsigned *cases)
{
	struct alu_state in, out;
	unsigned bad = 0, i;

	for (i = 0; alu_case_input(op, i, &in); i++) {
		uint32_t want[ALU_NWORDS], got[ALU_NWORDS], changed = *(*row)++;
		uint32_t fmask = alu_flag_mask(op, &in), wmask = alu_word_mask(op, &in);
		bool ok = true;

		__builtin_memcpy(want, &in, sizeof want);
		for (unsigned w = 0; w < ALU_NWORDS; w++)
			if (changed & (1u << w))
				want[w] = *(*row)++;
		out = in;
		op->run(&out);
		__builtin_memcpy(got, &out, sizeof got);
		want[4] &= fmask;
		got[4] &= fmask;
		for (unsigned w = 0; w < ALU_NWORDS; w++) {
			if (!(wmask & (1u << w)) || got[w] == want[w])
				continue;
			if (bad < ALU_MAX_REPORTS) {
				console_printf("FAIL %s case %u %s: got 0x%x want 0x%x\n", op->name,
					       i,
					       alu_word_names[w], got[w], want[w]);
				if (ok)
					alu_print_input(&in);
			}
			ok = false;
		}
		bad += !ok;
	}
	*cases = i;
	return bad;
}

int guest_main(uint32_t magic, const struct mb_info *info)
{
	const uint32_t *row = alu_table;
	unsigned rows = 0;

	(void)magic;
	(void)info;
	console_puts("alu_flags: integer ALU results and EFLAGS against the host CPU's\n");
	alu_flags_kept();
	for (unsigned o = 0; o < ALU_NOPS; o++) {
		unsigned cases, bad = alu_run_op(&alu_ops[o], &row, &cases);

		rows += cases;
		if (bad) {
			check_failed++;
			console_printf("FAIL %s: %u of %u cases wrong\n", alu_ops[o].name, bad,
				       cases);
		} else {
			check_passed++;
			console_printf("ok   %s (%u cases)\n", alu_ops[o].name, cases);
		}
	}
	/* The table must line up with alu_ops.h, or every comparison is off. */
	check_eq("table rows match alu_ops.h cases", rows, ALU_TABLE_ROWS);
	check_eq("table fully consumed", (uint32_t)(row - alu_table),
		 (uint32_t)(sizeof alu_table / sizeof alu_table[0]));
	return check_summary("alu_flags");
}

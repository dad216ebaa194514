/*
 * verify.c — the translation verifier (--verify, and every translator test):
 * proves DESIGN.md §8.1 for one translated block by re-decoding its host code
 * with Zydis in 64-bit mode, instruction by instruction.
 *
 * Each host instruction is attributed to the guest note whose host range
 * contains it, or to glue (entry poll, side-table polls, exit stubs) when no
 * note does. Then:
 *   - every memory access is gs:[addr32] (inside the window), or a
 *     VirtualCPU access [r15 + disp] / [r15 + r13*n + disp] (polls, IBT);
 *   - a string instruction's (or MASKMOVQ/MASKMOVDQU's) implicit [rsi]/[rdi] with 64-bit addressing is
 *     allowed only inside an XR_STRING note (its glue biases RSI/RDI by the
 *     window base);
 *   - the host stack (push/pop/call/ret/pushfq/popfq) is used only inside
 *     XR_PUSHF/XR_POPF notes, and only after `lea rsp, [r15 + disp]` moved RSP
 *     into the VirtualCPU scratch area (struct vcpu.scratch);
 *   - a relative branch inside a note stays inside that note or goes to
 *     glue (the exit stubs): a guest branch copied verbatim would land
 *     anywhere in host code;
 *   - nothing writes R15, and no syscall/sysenter/int/iret appears at all.
 *
 * Run it on the translator's output (struct xlate_block), before tc_insert:
 * once chained, an exit's rel32 points outside the block on purpose.
 *
 * Usage:
 *     char err[256];
 *     if (xlate_verify(&blk.desc, blk.notes, blk.nnotes, err, sizeof(err)) != BT_OK)
 *             fprintf(stderr, "%s\n", err);
 */
#include <stddef.h>
#include <stdio.h>
#include <Zydis/Zydis.h>

#include "btmon/translator.h"
#include "btmon/vcpu.h"

/* One decoded host instruction and where it sits. */
struct vinsn {
	uint32_t off;
	const struct xlate_note *note;   /* NULL: glue */
	ZydisDecodedInstruction in;
	ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
};

/* The note whose host range contains off, or NULL for glue. */
static const struct xlate_note *note_at(const struct xlate_note *notes, unsigned n, uint32_t off)
{
	for (unsigned i = 0; i < n; i++)
		if (off >= notes[i].host_off && off - notes[i].host_off < notes[i].host_len)
			return &notes[i];
	return NULL;
}

static bool is_reg64(ZydisRegister r, ZydisRegister want)
{
	return r != ZYDIS_REGISTER_NONE &&
	       ZydisRegisterGetLargestEnclosing(ZYDIS_MACHINE_MODE_LONG_64, r) == want;
}

/* Instructions that must never appear in translated code. */
static bool is_forbidden(const ZydisDecodedInstruction *in)
{
	switch (in->mnemonic) {
	case ZYDIS_MNEMONIC_SYSCALL: case ZYDIS_MNEMONIC_SYSRET: case ZYDIS_MNEMONIC_SYSENTER:
	case ZYDIS_MNEMONIC_SYSEXIT: case ZYDIS_MNEMONIC_INT: case ZYDIS_MNEMONIC_INT1:
	case ZYDIS_MNEMONIC_INT3: case ZYDIS_MNEMONIC_INTO: case ZYDIS_MNEMONIC_IRETD:
	case ZYDIS_MNEMONIC_IRETQ: case ZYDIS_MNEMONIC_IRET:
		return true;
	default:
		return in->meta.category == ZYDIS_CATEGORY_SYSCALL ||
		       in->meta.category == ZYDIS_CATEGORY_INTERRUPT;
	}
}

/* `lea rsp, [r15 + disp]` with disp inside the VirtualCPU scratch area: the
 * PUSHF/POPF glue's switch to a private stack. */
static bool is_lea_rsp_scratch(const struct vinsn *v)
{
	const int64_t lo = offsetof(struct vcpu, scratch);
	const int64_t hi = lo + (int64_t)sizeof(((struct vcpu *)0)->scratch);
	const ZydisDecodedOperand *m = &v->ops[1];
	return v->in.mnemonic == ZYDIS_MNEMONIC_LEA && v->ops[0].type == ZYDIS_OPERAND_TYPE_REGISTER &&
	       v->ops[0].reg.value == ZYDIS_REGISTER_RSP && m->type == ZYDIS_OPERAND_TYPE_MEMORY &&
	       m->mem.base == ZYDIS_REGISTER_R15 && m->mem.index == ZYDIS_REGISTER_NONE &&
	       m->mem.disp.value > lo && m->mem.disp.value <= hi;
}

static bool writes_reg(const struct vinsn *v, ZydisRegister r64)
{
	for (unsigned i = 0; i < v->in.operand_count; i++)
		if (v->ops[i].type == ZYDIS_OPERAND_TYPE_REGISTER &&
		    (v->ops[i].actions & ZYDIS_OPERAND_ACTION_MASK_WRITE) && is_reg64(v->ops[i].reg.value, r64))
			return true;
	return false;
}

/*
 * Check one memory operand of v. on_scratch says whether RSP currently points
 * into the VirtualCPU scratch area (set by the note's lea rsp, [r15+disp]).
 * Returns NULL if allowed, else the reason.
 */
static const char *check_mem(const struct vinsn *v, const ZydisDecodedOperand *o, bool on_scratch)
{
	const ZydisRegister base = o->mem.base, index = o->mem.index;
	enum xlate_rule rule = v->note ? v->note->rule : XR_NRULES;

	if (o->mem.segment == ZYDIS_REGISTER_GS && v->in.address_width == 32)
		return NULL;                                    /* (a) inside the window */
	if (base == ZYDIS_REGISTER_R15 && (index == ZYDIS_REGISTER_NONE || index == ZYDIS_REGISTER_R13))
		return NULL;                                    /* (b) VirtualCPU access */
	bool implicit_rdi = v->in.mnemonic == ZYDIS_MNEMONIC_MASKMOVQ ||
			    v->in.mnemonic == ZYDIS_MNEMONIC_MASKMOVDQU;
	if ((v->in.meta.category == ZYDIS_CATEGORY_STRINGOP || implicit_rdi) &&
	    (is_reg64(base, ZYDIS_REGISTER_RSI) || is_reg64(base, ZYDIS_REGISTER_RDI))) {
		if (rule != XR_STRING)
			return "string instruction outside a string rule";
		if (v->in.address_width != 64)
			return "string instruction without 64-bit addressing (the window bias would wrap)";
		return NULL;                                    /* (c) biased string op */
	}
	if (o->visibility != ZYDIS_OPERAND_VISIBILITY_EXPLICIT && base == ZYDIS_REGISTER_RSP) {
		if ((rule == XR_PUSHF || rule == XR_POPF) && on_scratch)
			return NULL;                            /* glue on the scratch stack */
		return v->note ? "host stack instruction in guest-derived code"
			       : "host stack instruction in glue";
	}
	return "memory operand is neither gs:[addr32] nor a VirtualCPU access [r15+...]";
}

/* A relative branch in a note must target the same note or glue (stubs). */
static const char *check_branch(const struct vinsn *v, const struct tc_block_desc *d,
				const struct xlate_note *notes, unsigned nnotes)
{
	ZyanU64 to;
	if (!v->note || !(v->in.attributes & ZYDIS_ATTRIB_IS_RELATIVE) ||
	    v->ops[0].type != ZYDIS_OPERAND_TYPE_IMMEDIATE ||
	    !ZYAN_SUCCESS(ZydisCalcAbsoluteAddress(&v->in, &v->ops[0], v->off, &to)))
		return NULL;
	if (to >= d->code_len)
		return "relative branch leaves the block";
	const struct xlate_note *n = note_at(notes, nnotes, (uint32_t)to);
	if (n && n != v->note)
		return "relative branch into another instruction's translation (guest branch copied?)";
	return NULL;
}

/* The first problem with v, or NULL. Updates *on_scratch. */
static const char *check_insn(const struct vinsn *v, bool *on_scratch)
{
	if (is_forbidden(&v->in))
		return "system call or interrupt instruction in translated code";
	if (writes_reg(v, ZYDIS_REGISTER_R15))
		return "instruction writes r15 (the VirtualCPU pointer)";
	if (v->in.mnemonic != ZYDIS_MNEMONIC_NOP) {
		for (unsigned i = 0; i < v->in.operand_count; i++) {
			const ZydisDecodedOperand *o = &v->ops[i];
			if (o->type != ZYDIS_OPERAND_TYPE_MEMORY || o->mem.type == ZYDIS_MEMOP_TYPE_AGEN)
				continue;
			const char *why = check_mem(v, o, *on_scratch);
			if (why)
				return why;
		}
	}
	/* RSP is on the scratch area from `lea rsp, [r15+disp]` until the next
	 * other write to RSP (the glue's `mov rsp, r13`). */
	if (is_lea_rsp_scratch(v))
		*on_scratch = true;
	else if (writes_reg(v, ZYDIS_REGISTER_RSP) && v->in.meta.category != ZYDIS_CATEGORY_PUSH &&
		 v->in.meta.category != ZYDIS_CATEGORY_POP && v->in.mnemonic != ZYDIS_MNEMONIC_PUSHFQ &&
		 v->in.mnemonic != ZYDIS_MNEMONIC_POPFQ)
		*on_scratch = false;
	return NULL;
}

/* Up to the first eight of n bytes as "0f 0b ..." into buf. */
static void hex_bytes(char *buf, size_t size, const uint8_t *p, uint32_t n)
{
	size_t at = 0;
	buf[0] = 0;
	for (uint32_t i = 0; i < n && i < 8 && at < size; i++)
		at += (size_t)snprintf(buf + at, size - at, "%s%02x", i ? " " : "", p[i]);
}

static void report(char *err, size_t errlen, const struct tc_block_desc *d, uint32_t off,
		   const char *why, const char *what)
{
	if (err && errlen)
		snprintf(err, errlen, "verify: block 0x%08x +0x%x: %s: %s", d->eip, off, why, what);
}

bt_status xlate_verify(const struct tc_block_desc *d, const struct xlate_note *notes,
		       unsigned nnotes, char *err, size_t errlen)
{
	ZydisDecoder dec;
	ZydisFormatter fmt;
	struct vinsn v;
	const struct xlate_note *prev_note = NULL;
	bool on_scratch = false;

	ZydisDecoderInit(&dec, ZYDIS_MACHINE_MODE_LONG_64, ZYDIS_STACK_WIDTH_64);
	ZydisFormatterInit(&fmt, ZYDIS_FORMATTER_STYLE_INTEL);
	for (uint32_t off = 0; off < d->code_len; off += v.in.length) {
		v.off = off;
		if (!ZYAN_SUCCESS(ZydisDecoderDecodeFull(&dec, d->code + off, d->code_len - off,
							 &v.in, v.ops))) {
			char hex[3 * 8];
			hex_bytes(hex, sizeof(hex), d->code + off, d->code_len - off);
			report(err, errlen, d, off, "undecodable host bytes", hex);
			return BT_ERR_UNSUPPORTED;
		}
		v.note = note_at(notes, nnotes, off);
		if (v.note != prev_note)
			on_scratch = false;     /* the scratch stack never outlives its note */
		prev_note = v.note;
		const char *why = check_insn(&v, &on_scratch);
		if (!why)
			why = check_branch(&v, d, notes, nnotes);
		if (why) {
			char text[96];
			if (!ZYAN_SUCCESS(ZydisFormatterFormatInstruction(&fmt, &v.in, v.ops,
					v.in.operand_count_visible, text, sizeof(text),
					ZYDIS_RUNTIME_ADDRESS_NONE, NULL)))
				snprintf(text, sizeof(text), "(unformattable)");
			report(err, errlen, d, off, why, text);
			return BT_ERR_UNSUPPORTED;
		}
	}
	return BT_OK;
}

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
 *     XR_PUSHF/XR_POPF/XR_VERX notes, and only after `lea rsp, [r15 + disp]`
 *     moved RSP into the VirtualCPU scratch area (struct vcpu.scratch);
 *   - while RCX is swapped with a scratch register (the flag-free
 *     `xchg rcx, r12|r13|r14 ; jrcxz` tests of the IBT lookup, 16-bit loops
 *     and segment memos), no guest memory is accessed and nothing leaves
 *     through an indirect jump: a fault or exit then would save a scratch
 *     value as the guest's ECX. The swap state is followed along fall-through
 *     and short branches inside each note (and the glue);
 *   - a relative branch inside a note stays inside that note, goes to its
 *     end, or to glue (the exit stubs): a guest branch copied verbatim would
 *     land anywhere in host code;
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
		if ((rule == XR_PUSHF || rule == XR_POPF || rule == XR_VERX) && on_scratch)
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
	if (to == v->note->host_off + v->note->host_len)
		return NULL;                /* to its own end: the next instruction, as falling through */
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

/*
 * Whether RCX holds a scratch value (swapped by `xchg rcx, r12..r14`), along
 * the paths through one note or the glue: fall-through, and branches whose
 * target lies in the same region. A branch records the state at its target;
 * code after an unconditional jump starts from the states branched to it.
 */
#define RCX_MAX_LABELS 32
struct rcx_track {
	bool swapped, live;          /* state here; false live: only branches reach here */
	unsigned nlabels;
	struct { uint32_t off; bool swapped; } label[RCX_MAX_LABELS];   /* forward targets */
	unsigned nseen;
	struct { uint32_t off; bool swapped; } seen[RCX_MAX_LABELS * 2]; /* for backward ones */
};

static void rcx_reset(struct rcx_track *t)
{
	t->swapped = false;
	t->live = true;
	t->nlabels = t->nseen = 0;
}

static bool is_xchg_rcx_scratch(const struct vinsn *v)
{
	if (v->in.mnemonic != ZYDIS_MNEMONIC_XCHG || v->ops[0].type != ZYDIS_OPERAND_TYPE_REGISTER ||
	    v->ops[1].type != ZYDIS_OPERAND_TYPE_REGISTER)
		return false;
	ZydisRegister a = v->ops[0].reg.value, b = v->ops[1].reg.value;
	if (b == ZYDIS_REGISTER_RCX) {
		b = a;
		a = ZYDIS_REGISTER_RCX;
	}
	return a == ZYDIS_REGISTER_RCX &&
	       (b == ZYDIS_REGISTER_R12 || b == ZYDIS_REGISTER_R13 || b == ZYDIS_REGISTER_R14);
}

static bool touches_window(const struct vinsn *v)
{
	for (unsigned i = 0; i < v->in.operand_count; i++)
		if (v->ops[i].type == ZYDIS_OPERAND_TYPE_MEMORY && v->ops[i].mem.type != ZYDIS_MEMOP_TYPE_AGEN &&
		    v->ops[i].mem.segment == ZYDIS_REGISTER_GS)
			return true;
	return false;
}

/* Follow v (at v->off, region end `end`); the first problem or NULL. */
static const char *rcx_step(struct rcx_track *t, const struct vinsn *v, uint32_t end)
{
	bool labelled = false;
	for (unsigned i = 0; i < t->nlabels; i++) {
		if (t->label[i].off != v->off)
			continue;
		if (labelled || t->live) {
			if (t->label[i].swapped != t->swapped)
				return "RCX swap state differs between paths that meet here";
		}
		t->swapped = t->label[i].swapped;
		t->live = labelled = true;
	}
	if (!t->live) {                 /* reached from elsewhere (a patched exit): RCX is the guest's */
		t->swapped = false;
		t->live = true;
	}
	if (t->nseen < BT_ARRAY_SIZE(t->seen)) {
		t->seen[t->nseen].off = v->off;
		t->seen[t->nseen++].swapped = t->swapped;
	}
	if (t->swapped && touches_window(v))
		return "guest memory access while RCX holds a scratch value (a fault would lose ECX)";
	bool uncond = v->in.meta.category == ZYDIS_CATEGORY_UNCOND_BR;
	bool relative = v->in.attributes & ZYDIS_ATTRIB_IS_RELATIVE;
	if (t->swapped && uncond && !relative)
		return "indirect jump out while RCX holds a scratch value";
	if (is_xchg_rcx_scratch(v))
		t->swapped = !t->swapped;
	ZyanU64 to;
	if (relative && v->ops[0].type == ZYDIS_OPERAND_TYPE_IMMEDIATE &&
	    ZYAN_SUCCESS(ZydisCalcAbsoluteAddress(&v->in, &v->ops[0], v->off, &to))) {
		if (to > v->off && to < end) {
			if (t->nlabels >= RCX_MAX_LABELS)
				return "too many branches in one instruction's translation";
			t->label[t->nlabels].off = (uint32_t)to;
			t->label[t->nlabels++].swapped = t->swapped;
		} else if (to <= v->off) {
			for (unsigned i = 0; i < t->nseen; i++)
				if (t->seen[i].off == to && t->seen[i].swapped != t->swapped)
					return "RCX swap state differs between paths that meet at a backward branch";
		} else if (t->swapped) {
			return "branch out of the instruction while RCX holds a scratch value";
		}
	}
	if (uncond)
		t->live = false;
	return NULL;
}

/* Where the region (the note at off, or the glue run) containing off ends. */
static uint32_t region_end(const struct tc_block_desc *d, const struct xlate_note *notes,
			   unsigned nnotes, const struct xlate_note *n, uint32_t off)
{
	if (n)
		return n->host_off + n->host_len;
	uint32_t end = d->code_len;
	for (unsigned i = 0; i < nnotes; i++)
		if (notes[i].host_off > off && notes[i].host_off < end)
			end = notes[i].host_off;
	return end;
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
	struct rcx_track rcx;
	rcx_reset(&rcx);
	uint32_t end = 0;

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
		if (v.note != prev_note || off == 0 || off >= end) {
			on_scratch = false;     /* the scratch stack never outlives its note */
			rcx_reset(&rcx);        /* nor does a swapped RCX */
			end = region_end(d, notes, nnotes, v.note, off);
		}
		prev_note = v.note;
		const char *why = check_insn(&v, &on_scratch);
		if (!why)
			why = check_branch(&v, d, notes, nnotes);
		if (!why)
			why = rcx_step(&rcx, &v, end);
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

/*
 * translate.c — one basic block: decode (Zydis, 32-bit), classify (rules.c),
 * emit (copy.c, stack.c, branch.c, sensitive.c, segload.c), and describe the
 * result for the cache (side table, exits, pages, XXH3 of the guest bytes).
 *
 * Block layout:   [entry poll][insn 1]...[insn n][exit stubs]
 * The side table has one entry per guest instruction (plus polls and stubs),
 * so any host fault maps back to the guest instruction it belongs to.
 *
 * INVARIANT (the STI shadow, SDM Vol. 2B "STI"): a block never ends right
 * after an STI. The instruction after it is translated into the same block
 * and followed by a poll (sensitive.c) — past the instruction cap, the host
 * buffer reserve and the page boundary (one instruction of the next page,
 * fetched here if need be); if it cannot be translated, its #UD exit goes
 * into this block. Otherwise the next block's entry poll could take an
 * interrupt one instruction early (`sti; hlt`, `sti; sysexit`). Only when
 * its bytes cannot be fetched does the block end after the STI: the fetch
 * fault at the next block is raised before any poll.
 */
#include <string.h>

#include "xlate_int.h"

typedef void (*emit_fn)(struct xctx *x);

/* Host code kept free for one more instruction and the exit stubs. */
#define XLATE_RESERVE 768u

static const emit_fn emitters[XR_NRULES] = {
	[XR_COPY] = emit_copy, [XR_COPY_MEM] = emit_copy_mem, [XR_COPY_MEM_ABS] = emit_copy_mem,
	[XR_COPY_MEM_SEG] = emit_copy_mem, [XR_LEA] = emit_lea, [XR_INCDEC] = emit_incdec,
	[XR_REENCODE] = emit_reencode, [XR_PUSH] = emit_push, [XR_POP] = emit_pop,
	[XR_PUSHA] = emit_pusha, [XR_POPA] = emit_popa, [XR_ENTER] = emit_enter,
	[XR_LEAVE] = emit_leave, [XR_CALL] = emit_call, [XR_CALL_IND] = emit_call_ind,
	[XR_RET] = emit_ret, [XR_JMP] = emit_jmp, [XR_JCC] = emit_jcc, [XR_JMP_IND] = emit_jmp_ind,
	[XR_LOOP] = emit_loop, [XR_STRING] = emit_string, [XR_CLI] = emit_cli, [XR_STI] = emit_sti,
	[XR_PUSHF] = emit_pushf, [XR_POPF] = emit_popf, [XR_MOV_FROM_SREG] = emit_mov_from_sreg,
	[XR_RDTSC] = emit_copy, [XR_PUSH_SREG] = emit_push_sreg, [XR_LOAD_SREG] = emit_load_sreg,
	[XR_VERX] = emit_verx,
};

static void note_insn(struct xctx *x, enum xlate_rule rule, const char *why, uint32_t host_off)
{
	struct xlate_block *o = x->out;
	struct xlate_note *n = &o->notes[o->nnotes++];
	n->eip = x->eip;
	n->len = x->in.length;
	memcpy(n->bytes, x->bytes, x->in.length);
	n->rule = rule;
	n->host_off = host_off;
	n->host_len = x->e.len - host_off;
	n->why = why;
	n->mnemonic = (uint16_t)x->in.mnemonic;
}

/* Translate the instruction in x->in; false if it could not be (x->fail). */
static bool translate_one(struct xctx *x)
{
	const char *why = NULL;
	enum xlate_rule rule = rules_classify(x, &why);
	if (rule == XR_JMP && x->ops[0].type != ZYDIS_OPERAND_TYPE_IMMEDIATE)
		rule = XR_JMP_IND;
	if (rule == XR_CALL && x->ops[0].type != ZYDIS_OPERAND_TYPE_IMMEDIATE)
		rule = XR_CALL_IND;

	uint32_t start = x->e.len;
	uint32_t map_before = x->nmap;
	xlate_map(x, x->eip, 0, x->in.length);
	if (rule == XR_STRING)
		x->out->map[map_before].flags |= TC_MAP_STRING;
	if (rule == XR_EMULATE) {
		emit_exit_reason(x, VCPU_EXIT_EMULATE, x->eip);
	} else if (rule == XR_UD) {
		emit_exit_reason(x, VCPU_EXIT_UD, x->eip);
	} else {
		emitters[rule](x);
		if (x->fail) {
			x->e.len = start;       /* roll back: the caller ends the block here */
			x->nmap = map_before;
			return false;
		}
	}
	note_insn(x, rule, why, start);
	return true;
}

static bool decode_at(struct xctx *x, const uint8_t *buf, uint32_t avail)
{
	return ZYAN_SUCCESS(ZydisDecoderDecodeFull(&x->dec, buf, avail, &x->in, x->ops));
}

/* End the block with a #UD exit for the len guest bytes at x->eip: an
 * instruction that cannot be decoded or translated. */
static void end_with_ud(struct xctx *x, uint32_t len, const char *why, const char *end_reason)
{
	x->in.length = (ZyanU8)len;
	xlate_map(x, x->eip, 0, (uint16_t)len);
	uint32_t start = x->e.len;
	emit_exit_reason(x, VCPU_EXIT_UD, x->eip);
	note_insn(x, XR_UD, why, start);
	x->out->end_reason = end_reason;
}

static void finish_desc(struct xctx *x, gla_t eip, uint32_t guest_len)
{
	struct xlate_block *o = x->out;
	struct tc_block_desc *d = &o->desc;
	const struct xlate_env *env = x->env;
	d->eip = eip;
	d->guest_len = guest_len;
	d->code = o->code;
	d->code_len = x->e.len;
	d->exits = o->exits;
	d->nexits = x->nexits;
	d->map = o->map;
	d->nmap = x->nmap;
	d->code_hash = tc_hash_code(o->guest, guest_len);
	d->key.mode = env->mode;
	d->key.eip = eip;
	gpa_t pa0 = 0, pa1 = 0;
	env->gla_to_gpa(env->ctx, eip, &pa0);
	d->key.pa = pa0;
	d->pages[0] = pa0 & BT_PAGE_MASK;
	d->npages = 1;
	gla_t last = eip + (guest_len ? guest_len - 1 : 0);
	if ((last & BT_PAGE_MASK) != (eip & BT_PAGE_MASK) && env->gla_to_gpa(env->ctx, last, &pa1)) {
		d->pages[1] = pa1 & BT_PAGE_MASK;
		d->npages = 2;
	}
}

bt_status xlate_block(const struct xlate_env *env, gla_t eip, struct xlate_block *out)
{
	static struct xctx x;   /* large-ish; one translation at a time */
	memset(&x, 0, sizeof(x));
	out->nnotes = 0;
	x.env = env;
	x.out = out;
	x.block_eip = eip;
	x.e = (struct emit){ .buf = out->code, .cap = sizeof(out->code) };
	ZydisDecoderInit(&x.dec, ZYDIS_MACHINE_MODE_LONG_COMPAT_32, ZYDIS_STACK_WIDTH_32);
	unsigned max = env->max_insns ? env->max_insns : XLATE_MAX_INSNS;
	if (env->mode & TC_MODE_STEP)
		max = 1;
	if (max > XLATE_MAX_INSNS - 1)
		max = XLATE_MAX_INSNS - 1;   /* room for one more after an STI (below) */

	/* Fetch up to the end of the next page: a block may straddle one boundary. */
	uint32_t want = (uint32_t)sizeof(out->guest);
	uint32_t got = env->fetch(env->ctx, eip, out->guest, want);
	if (got == 0)
		return BT_ERR_FETCH;

	emit_poll(&x, eip, true);
	uint32_t off = 0;
	out->end_reason = "instruction limit";
	/* The instruction after an STI stays in its block (the invariant above):
	 * past the instruction cap (max leaves room for it), the host buffer
	 * reserve and the page boundary. */
	while (!x.ended && (out->nnotes < max || (x.sti_shadow && max > 1))) {
		/* The longest sequences (inline segment loads) take ~200 bytes:
		 * end the block while the rest and the exit stubs still fit. */
		if (off > 0 && !x.sti_shadow && x.e.cap - x.e.len < XLATE_RESERVE) {
			out->end_reason = "host code buffer nearly full";
			break;
		}
		/* The fetch stopped at the end of the first page (or at a page it
		 * could not read): the instruction after STI may start or end on
		 * the next one. */
		if (x.sti_shadow && got - off < 15 && got < want)
			got += env->fetch(env->ctx, eip + got, out->guest + got,
					  want - got < 15 ? want - got : 15);
		x.eip = eip + off;
		x.bytes = out->guest + off;
		if (!decode_at(&x, x.bytes, got - off)) {
			if (got - off < 15 && off > 0) {
				out->end_reason = "code fetch stops at a page without RAM";
				break;
			}
			if (off > 0 && !x.sti_shadow) {
				out->end_reason = "undecodable instruction next (its own block raises #UD)";
				break;
			}
			end_with_ud(&x, 1, "undecodable bytes → #UD", "undecodable instruction (#UD)");
			off += 1;
			break;
		}
		x.next = x.eip + x.in.length;
		bool shadow = x.sti_shadow;
		x.sti_shadow = false;
		if (!translate_one(&x)) {
			const char *why = x.fail;
			x.fail = NULL;
			if (off > 0 && !shadow) {
				out->end_reason = why;   /* its own block raises #UD */
				break;
			}
			/* The first instruction, or the one after STI: #UD from here. */
			end_with_ud(&x, x.in.length, why, why);
			off += x.in.length;
			break;
		}
		off += x.in.length;
		if (shadow)   /* STI; STI: IF is 1 at the second, which opens no new shadow */
			x.sti_shadow = false;
		if (x.ended) {
			out->end_reason = "control transfer or monitor exit";
			break;
		}
		if (shadow)
			emit_poll(&x, x.next, false);
		bool next_page = ((x.next) & BT_PAGE_MASK) != (eip & BT_PAGE_MASK);
		if (next_page && !x.sti_shadow) {
			out->end_reason = "page boundary";
			break;
		}
		if (off + 15 > got && got < want && !x.sti_shadow) {
			out->end_reason = "code fetch stops at a page without RAM";
			break;
		}
	}
	if (!x.ended)
		emit_exit_to(&x, eip + off);
	emit_stubs(&x);
	if (x.e.overflow || x.fail)
		return BT_ERR_UNSUPPORTED;
	finish_desc(&x, eip, off);
	return BT_OK;
}

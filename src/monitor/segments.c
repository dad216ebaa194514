/*
 * segments.c — segment-register loads from the guest's GDT/LDT with the
 * architectural checks (SDM Vol. 3A §5.4–5.8) and the descriptor cache.
 * Data segments other than FS/GS must be flat (base 0): translated code
 * addresses DS/ES/SS through the window directly.
 *
 * Each successful load of DS/ES/FS/GS with a non-null selector leaves a memo
 * (vcpu.seg_memo[s]: selector and CPL, where the descriptor was read, its
 * bytes, the result) that translated code replays while the descriptor
 * bytes are unchanged (translator/segload.c).
 */
#include "monitor.h"

enum seg_desc seg_read_desc_at(struct machine *m, uint16_t sel, uint32_t *lo, uint32_t *hi, gla_t *la)
{
	const struct vcpu *v = m->vcpu;
	uint32_t base = v->gdtr.base, limit = v->gdtr.limit;
	if (sel & X86_SEL_TI) {
		base = v->ldtr.base;
		limit = v->ldtr.seg_limit;
		if (v->ldtr.sel == 0)
			return SEG_DESC_OUTSIDE;
	}
	uint32_t off = sel & ~7u;
	if (off + 7 > limit)
		return SEG_DESC_OUTSIDE;
	uint32_t d[2];
	if (!mmu_read_gla(&m->mmu, base + off, d, 8))
		return SEG_DESC_FAULT;
	*lo = d[0];
	*hi = d[1];
	*la = base + off;
	return SEG_DESC_OK;
}

bool seg_read_desc(struct machine *m, uint16_t sel, uint32_t *lo, uint32_t *hi)
{
	gla_t la;
	return seg_read_desc_at(m, sel, lo, hi, &la) == SEG_DESC_OK;
}

/* Remember what loading sel into s produced (s is DS, ES, FS or GS). */
static void seg_memo_fill(struct vcpu *v, int s, uint16_t sel, gla_t la, uint32_t lo, uint32_t hi)
{
	struct vcpu_seg_memo *mm = &v->seg_memo[s];
	mm->key = VCPU_MEMO_KEY(sel, v->cpl);
	mm->la = la;
	mm->desc = (uint64_t)hi << 32 | lo;
	mm->seg = v->seg[s];
}

static void seg_cache(struct vcpu *v, int s, uint16_t sel, uint32_t lo, uint32_t hi)
{
	struct vcpu_seg *sg = &v->seg[s];
	sg->sel = sel;
	sg->base = X86_DESC_BASE(lo, hi);
	sg->limit = X86_DESC_LIMIT(lo, hi);
	if (hi & X86_DESC_G)
		sg->limit = (sg->limit << 12) | 0xfff;
	sg->flags = hi & 0x00f0ff00u;
	v->seg_base[s] = sg->base;
}

static bool seg_fault(struct machine *m, unsigned vec, uint16_t sel)
{
	deliver_exception(m, vec, true, sel & 0xfffcu);
	return false;
}

bool seg_load(struct machine *m, int s, uint16_t sel)
{
	struct vcpu *v = m->vcpu;
	uint32_t lo, hi;
	if (s == X86_CS)
		return seg_fault(m, X86_EXC_UD, 0);
	if ((sel & ~3u) == 0) {
		if (s == X86_SS)
			return seg_fault(m, X86_EXC_GP, 0);
		v->seg[s].sel = sel;       /* null selector: accesses would #GP */
		v->seg[s].flags = 0;
		return true;
	}
	gla_t la;
	switch (seg_read_desc_at(m, sel, &lo, &hi, &la)) {
	case SEG_DESC_OK:
		break;
	case SEG_DESC_FAULT:       /* the table's page: #PF, as the CPU's implicit read raises it */
		deliver_mmu_fault(m);
		return false;
	default:
		return seg_fault(m, X86_EXC_GP, sel);
	}
	uint32_t type = X86_DESC_TYPE(hi);
	unsigned dpl = X86_DESC_DPL(hi), rpl = X86_SEL_RPL(sel);
	if (!(hi & X86_DESC_S))
		return seg_fault(m, X86_EXC_GP, sel);
	if (s == X86_SS) {
		if ((type & X86_TYPE_CODE) || !(type & X86_TYPE_RW) || rpl != v->cpl || dpl != v->cpl)
			return seg_fault(m, X86_EXC_GP, sel);
		if (!(hi & X86_DESC_P))
			return seg_fault(m, X86_EXC_SS, sel);
	} else {
		if ((type & X86_TYPE_CODE) && !(type & X86_TYPE_RW))
			return seg_fault(m, X86_EXC_GP, sel);   /* execute-only code */
		bool conforming = (type & X86_TYPE_CODE) && (type & X86_TYPE_EC);
		if (!conforming && (rpl > dpl || v->cpl > dpl))
			return seg_fault(m, X86_EXC_GP, sel);
		if (!(hi & X86_DESC_P))
			return seg_fault(m, X86_EXC_NP, sel);
	}
	if (s != X86_FS && s != X86_GS && X86_DESC_BASE(lo, hi) != 0) {
		machine_stop(m, 1, true, "segment %d loaded with non-zero base 0x%08x: only FS/GS may "
			     "have a base (flat DS/ES/SS/CS)", s, X86_DESC_BASE(lo, hi));
		return false;
	}
	seg_cache(v, s, sel, lo, hi);
	if (s != X86_SS)
		seg_memo_fill(v, s, sel, la, lo, hi);
	return true;
}

bool seg_far_jump(struct machine *m, uint16_t sel, uint32_t eip)
{
	struct vcpu *v = m->vcpu;
	uint32_t lo, hi;
	if ((sel & ~3u) == 0 || !seg_read_desc(m, sel, &lo, &hi))
		return seg_fault(m, X86_EXC_GP, sel);
	if (!(hi & X86_DESC_S)) {
		machine_stop(m, 1, true, "far jump through a system descriptor (call gate or task "
			     "switch, selector 0x%04x) is not supported", sel);
		return false;
	}
	uint32_t type = X86_DESC_TYPE(hi);
	unsigned dpl = X86_DESC_DPL(hi);
	bool conforming = type & X86_TYPE_EC;
	if (!(type & X86_TYPE_CODE) || (conforming ? dpl > v->cpl : (dpl != v->cpl || X86_SEL_RPL(sel) > v->cpl)))
		return seg_fault(m, X86_EXC_GP, sel);
	if (!(hi & X86_DESC_P))
		return seg_fault(m, X86_EXC_NP, sel);
	if (!(hi & X86_DESC_DB)) {
		machine_stop(m, 1, true, "jump to a 16-bit code segment (selector 0x%04x): "
			     "16-bit code is not supported yet", sel);
		return false;
	}
	if (X86_DESC_BASE(lo, hi) != 0) {
		machine_stop(m, 1, true, "code segment 0x%04x has a non-zero base: not supported", sel);
		return false;
	}
	seg_cache(v, X86_CS, (uint16_t)((sel & ~3u) | v->cpl), lo, hi);
	v->eip = eip;
	return true;
}

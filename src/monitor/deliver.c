/*
 * deliver.c — exceptions and interrupts through the guest's IDT
 * (SDM Vol. 3A §6.12): interrupt and trap gates, the stack switch through
 * the TSS on a CPL 3 → 0 transition, error codes, IRET back; a fault while
 * delivering becomes #DF, a fault while delivering #DF a triple fault, which
 * stops the machine with a register dump.
 */
#include <stdio.h>

#include "monitor.h"

static void set_cpl(struct machine *m, unsigned cpl)
{
	if (m->vcpu->cpl != cpl) {
		m->vcpu->cpl = cpl;
		machine_cpl_changed(m);
	}
}

static bool push32(struct machine *m, uint32_t *esp, uint32_t val)
{
	*esp -= 4;
	return mmu_write_gla(&m->mmu, *esp, &val, 4, machine_code_written, m);
}

/* Push n dwords (frame[0] first, so it ends up highest) below *esp. One
 * write when they share a page (a fault then writes nothing, as the per-dword
 * pushes would not have either: all of them fault on that page); else dword
 * by dword, so a fault reports the address of the first push that faulted. */
static bool push_frame(struct machine *m, uint32_t *esp, const uint32_t *frame, unsigned n)
{
	uint32_t top = *esp, bottom = top - 4 * n, buf[6];
	if (((bottom ^ (top - 1)) & BT_PAGE_MASK) == 0) {
		for (unsigned i = 0; i < n; i++)
			buf[n - 1 - i] = frame[i];
		if (mmu_write_gla(&m->mmu, bottom, buf, 4 * n, machine_code_written, m)) {
			*esp = bottom;
			return true;
		}
	}
	for (unsigned i = 0; i < n; i++)
		if (!push32(m, esp, frame[i]))
			return false;
	return true;
}

/* Read n dwords at *esp upwards and advance it. */
static bool pop_frame(struct machine *m, uint32_t *esp, uint32_t *frame, unsigned n)
{
	if (!mmu_read_gla(&m->mmu, *esp, frame, 4 * n))
		return false;
	*esp += 4 * n;
	return true;
}

/* The error code of the fault that delivery itself raised (deliver_once). */
static uint32_t nested_err;

/* Fault `vec` while delivering an event; IDT-slot faults name the slot. */
static int nested(unsigned fault, uint32_t err)
{
	nested_err = err;
	return (int)fault;
}

/* Pushing the frame failed: a #PF on the stack page, or #SS if no RAM. */
static int push_fault(struct machine *m, uint32_t ext)
{
	const struct mmu_pf *pf = &m->mmu.last_pf;
	if (pf->err == 0xffffffffu)
		return nested(X86_EXC_SS, ext);
	m->vcpu->cr2 = pf->la;
	return nested(X86_EXC_PF, pf->err);
}

/* Deliver one event. Returns -1 when it was delivered (or the machine
 * stopped), else the vector of the fault that delivery itself raised, with
 * its error code in nested_err. ext: the EXT bit for those error codes (1
 * unless a software interrupt is being delivered). */
static int deliver_once(struct machine *m, unsigned vec, bool has_err, uint32_t err, bool soft)
{
	struct vcpu *v = m->vcpu;
	uint32_t gate[2], ext = soft ? 0 : 1, slot = vec * 8 + 2 + ext;
	if (vec * 8 + 7 > v->idtr.limit || !mmu_read_gla(&m->mmu, v->idtr.base + vec * 8, gate, 8))
		return nested(X86_EXC_GP, slot);
	uint32_t type = (gate[1] >> 8) & 0x1f, dpl = X86_DESC_DPL(gate[1]);
	if (type != X86_GATE_TASK && type != X86_GATE_INT32 && type != X86_GATE_TRAP32)
		return nested(X86_EXC_GP, slot);
	if (soft && dpl < v->cpl)
		return nested(X86_EXC_GP, slot);
	if (!(gate[1] & X86_DESC_P))
		return nested(X86_EXC_NP, slot);
	if (type == X86_GATE_TASK) {
		machine_stop(m, 1, true, "interrupt %u goes through a task gate: hardware task switching "
			     "is not supported", vec);
		return -1;
	}
	uint16_t sel = (uint16_t)(gate[0] >> 16);
	uint32_t target = (gate[0] & 0xffff) | (gate[1] & 0xffff0000u);
	uint32_t lo, hi;
	if ((sel & ~3u) == 0 || !seg_read_desc(m, sel, &lo, &hi) || !(X86_DESC_TYPE(hi) & X86_TYPE_CODE))
		return nested(X86_EXC_GP, (sel & 0xfffcu) | ext);
	unsigned new_cpl = X86_DESC_DPL(hi);
	if (new_cpl > v->cpl)
		return nested(X86_EXC_GP, (sel & 0xfffcu) | ext);
	if (!(hi & X86_DESC_P))
		return nested(X86_EXC_NP, (sel & 0xfffcu) | ext);

	uint32_t eflags = vcpu_eflags(v) & ~X86_FL_RF;
	uint32_t esp = v->gpr[X86_ESP];
	uint16_t old_ss = v->seg[X86_SS].sel, old_cs = v->seg[X86_CS].sel;
	uint32_t new_ss = 0;
	bool inner = new_cpl < v->cpl;
	if (inner) {                  /* inner privilege: stack from the TSS */
		uint32_t tss[3];
		if (!mmu_read_gla(&m->mmu, v->tr.base, tss, 12))
			return nested(X86_EXC_TS, (v->tr.sel & 0xfffcu) | ext);
		new_ss = tss[2] & 0xffff;
		esp = tss[1];
	}
	uint32_t frame[6];
	unsigned n = 0;
	if (inner) {
		frame[n++] = old_ss;
		frame[n++] = v->gpr[X86_ESP];
	}
	frame[n++] = eflags;
	frame[n++] = old_cs;
	frame[n++] = v->eip;
	if (has_err)
		frame[n++] = err;
	if (!push_frame(m, &esp, frame, n))
		return push_fault(m, ext);
	if (inner) {                  /* SS is checked against the new CPL */
		unsigned saved = v->cpl;
		v->cpl = new_cpl;
		bool ok = seg_load(m, X86_SS, (uint16_t)new_ss);
		v->cpl = saved;
		if (!ok)
			return -1;
	}
	v->gpr[X86_ESP] = esp;
	v->seg[X86_CS].sel = (uint16_t)((sel & ~3u) | new_cpl);
	v->seg[X86_CS].flags = hi & 0x00f0ff00u;
	set_cpl(m, new_cpl);
	v->eip = target;
	m->stats.events_delivered++;
	if (type == X86_GATE_INT32)
		v->vif = 0;
	v->vflags &= ~(X86_FL_TF | X86_FL_NT | X86_FL_RF | X86_FL_VM);
	return -1;
}

static void triple_fault(struct machine *m, unsigned vec)
{
	trace_event(&m->trace, TRACE_FAULT, m->vcpu->eip, "triple-fault", "exception %u while "
		    "delivering a double fault", vec);
	if (m->opt->no_reboot) {
		machine_stop(m, 1, true, "triple fault (exception %u while delivering a double fault); "
			     "-no-reboot: stopping", vec);
		return;
	}
	fprintf(stderr, "btmon: triple fault at EIP 0x%08x: resetting the machine\n", m->vcpu->eip);
	m->reset_requested = true;
}

/* Under m->capture_exceptions (harness.c): record the event and stop,
 * deliver nothing. */
static bool capture(struct machine *m, unsigned vec, bool has_err, uint32_t err)
{
	if (!m->capture_exceptions)
		return false;
	m->captured = (struct machine_capture){ .hit = true, .vec = vec, .has_err = has_err,
		.err = err, .eip = m->vcpu->eip, .cr2 = vec == X86_EXC_PF ? m->vcpu->cr2 : 0 };
	machine_stop(m, 0, false, "guest exception %u at 0x%08x captured", vec, m->vcpu->eip);
	return true;
}

/* SDM Vol. 3A Table 6-5: contributory exceptions are #DE, #TS, #NP, #SS, #GP. */
static bool contributory(unsigned v)
{
	return v == X86_EXC_DE || (v >= X86_EXC_TS && v <= X86_EXC_GP);
}

/* Does fault `second`, raised while delivering `first`, make a #DF? */
static bool double_fault(unsigned first, unsigned second)
{
	if (contributory(first))
		return contributory(second);
	if (first == X86_EXC_PF)
		return contributory(second) || second == X86_EXC_PF;
	return false;   /* a benign first exception: handle the second one serially */
}

void deliver_exception(struct machine *m, unsigned vec, bool has_err, uint32_t err)
{
	if (capture(m, vec, has_err, err))
		return;
	if (vec < 32)
		m->stats.exceptions[vec]++;
	trace_event(&m->trace, TRACE_FAULT, m->vcpu->eip, "exception", "vector %u error %#x%s", vec,
		    err, has_err ? "" : " (none)");
	int again = deliver_once(m, vec, has_err, err, false);
	if (again < 0 || m->stop)
		return;
	if (vec == X86_EXC_DF) {
		triple_fault(m, (unsigned)again);
		return;
	}
	if (!double_fault(vec, (unsigned)again)) {
		/* Handled serially (SDM Vol. 3A Table 6-5): deliver the second fault. */
		deliver_exception(m, (unsigned)again, X86_EXC_HAS_ERRCODE((unsigned)again), nested_err);
		return;
	}
	again = deliver_once(m, X86_EXC_DF, true, 0, false);
	if (again >= 0)
		triple_fault(m, (unsigned)again);
}

void deliver_page_fault(struct machine *m, gla_t la, uint32_t err)
{
	m->vcpu->cr2 = la;
	deliver_exception(m, X86_EXC_PF, true, err);
}

void deliver_mmu_fault(struct machine *m)
{
	const struct mmu_pf *pf = &m->mmu.last_pf;
	if (pf->err == 0xffffffffu)
		deliver_exception(m, X86_EXC_GP, true, 0);
	else
		deliver_page_fault(m, pf->la, pf->err);
}

void deliver_external(struct machine *m, unsigned vec)
{
	int again = deliver_once(m, vec, false, 0, false);
	if (again >= 0 && !m->stop)
		deliver_exception(m, (unsigned)again, X86_EXC_HAS_ERRCODE((unsigned)again), nested_err);
}

void deliver_software_int(struct machine *m, unsigned vec, uint32_t next_eip)
{
	struct vcpu *v = m->vcpu;
	gla_t at = v->eip;
	v->eip = next_eip;
	if (capture(m, vec, false, 0))
		return;
	int again = deliver_once(m, vec, false, 0, true);
	if (again >= 0 && !m->stop) {
		v->eip = at;   /* the INT faults: EIP at the INT, error code names the IDT slot */
		deliver_exception(m, (unsigned)again, X86_EXC_HAS_ERRCODE((unsigned)again), nested_err);
	}
}

/* IRET could not read its frame: #PF for a page fault, #SS(0) without RAM. */
static bool iret_stack_fault(struct machine *m)
{
	const struct mmu_pf *pf = &m->mmu.last_pf;
	if (pf->err == 0xffffffffu) {
		deliver_exception(m, X86_EXC_SS, true, 0);
	} else {
		m->vcpu->cr2 = pf->la;
		deliver_exception(m, X86_EXC_PF, true, pf->err);
	}
	return false;
}

/* Returning to an outer level: data segments the new CPL may not use become
 * null (SDM Vol. 2A, IRET: "RETURN-TO-OUTER-PRIVILEGE-LEVEL"). */
static void null_inner_segments(struct vcpu *v, unsigned cpl)
{
	static const int segs[] = { X86_ES, X86_DS, X86_FS, X86_GS };
	for (size_t i = 0; i < BT_ARRAY_SIZE(segs); i++) {
		struct vcpu_seg *sg = &v->seg[segs[i]];
		uint32_t type = (sg->flags >> 8) & 0xf;
		bool conforming_code = (type & X86_TYPE_CODE) && (type & X86_TYPE_EC);
		if ((sg->sel & ~3u) && !conforming_code && X86_DESC_DPL(sg->flags) < cpl) {
			sg->sel = 0;
			sg->flags = 0;
		}
	}
}

bool deliver_iret(struct machine *m)
{
	struct vcpu *v = m->vcpu;
	uint32_t esp = v->gpr[X86_ESP], f[3], outer[2];
	if (!pop_frame(m, &esp, f, 3))
		return iret_stack_fault(m);
	uint32_t eip = f[0], cs = f[1], fl = f[2];
	if (fl & X86_FL_NT) {
		machine_stop(m, 1, true, "IRET with NT set (task return) is not supported");
		return false;
	}
	unsigned rpl = cs & 3, old_cpl = v->cpl;
	uint32_t new_esp = 0, new_ss = 0;
	if (rpl > old_cpl) {
		if (!pop_frame(m, &esp, outer, 2))
			return iret_stack_fault(m);
		new_esp = outer[0];
		new_ss = outer[1];
	}
	if (rpl < old_cpl) {
		deliver_exception(m, X86_EXC_GP, true, cs & 0xfffc);
		return false;
	}
	/* CS: a code segment of DPL == RPL (non-conforming). */
	uint32_t lo, hi;
	if (!seg_read_desc(m, (uint16_t)cs, &lo, &hi) || !(X86_DESC_TYPE(hi) & X86_TYPE_CODE)) {
		deliver_exception(m, X86_EXC_GP, true, cs & 0xfffc);
		return false;
	}
	uint32_t keep = old_cpl == 0 ? 0 : (X86_FL_IOPL | (old_cpl > ((vcpu_eflags(v) & X86_FL_IOPL) >> 12) ? X86_FL_IF : 0));
	uint32_t newfl = (vcpu_eflags(v) & keep) | (fl & ~keep & ~(X86_FL_VM | X86_FL_VIF | X86_FL_VIP));
	set_cpl(m, rpl);
	if (rpl > old_cpl && !seg_load(m, X86_SS, (uint16_t)new_ss)) {
		set_cpl(m, old_cpl);
		return false;
	}
	v->seg[X86_CS].sel = (uint16_t)cs;
	v->seg[X86_CS].flags = hi & 0x00f0ff00u;
	if (rpl > old_cpl)
		null_inner_segments(v, rpl);
	vcpu_set_eflags(v, newfl);
	v->gpr[X86_ESP] = rpl > old_cpl ? new_esp : esp;
	v->eip = eip;
	mmu_prefill(&m->mmu);   /* back from a #PF handler: map what it mapped */
	return true;
}

/*
 * fault.c — what a host fault in translated code means for the guest.
 *
 * The side table of the block that faulted gives the guest instruction; its
 * host sequence is restartable from its first byte (translator invariant),
 * so after the monitor has done its part the guest either resumes at that
 * instruction's host code, or continues at the next guest instruction, or
 * takes an exception with EIP at the faulting instruction.
 */
#include <signal.h>
#include <stdio.h>

#include "monitor.h"

/*
 * The guest wrote into the code page of the block it is running, which is now
 * dropped: its remaining host code is stale. Finish the writing instruction
 * alone, single-stepping it on the host (TF) with the page writable, and stop
 * at the next guest instruction so that the rest is translated afresh — x86
 * makes a store visible to the very next instruction fetch (SDM Vol. 3A §8.1.3).
 */
static void step_one_instruction(struct machine *m, const struct tc_block *b,
				 const struct tc_map_entry *e)
{
	struct vcpu *v = m->vcpu;
	const struct tc_map_entry *next = e + 1;
	uint32_t end = next < b->map + b->nmap ? next->host_off : b->host_len;
	v->step_lo = (uint64_t)(uintptr_t)(b->host + e->host_off);
	v->step_hi = (uint64_t)(uintptr_t)(b->host + end);
	v->single_step = 1;
	v->rflags |= X86_FL_TF;
	m->stats.smc_steps++;
}

void fault_handle(struct machine *m)
{
	struct vcpu *v = m->vcpu;
	struct vcpu_fault *f = &v->fault;
	void *rip = (void *)(uintptr_t)f->host_rip;
	struct tc_block *b = tc_find_by_host(&m->tc, rip);
	const struct tc_map_entry *e = b ? tc_map_lookup(b, rip) : NULL;
	if (!e) {
		machine_stop(m, 70, true, "host fault at %p in the code arena outside any block", rip);
		return;
	}
	gla_t eip = e->guest_eip;
	v->eip = eip;
	if (f->signo == SIGTRAP)
		return;   /* a single step ended at this boundary: continue at EIP */
	if (e->flags & TC_MAP_STRING) {
		unsigned seg = (e->flags >> TC_MAP_STRSEG_SHIFT) & 7u;
		uint32_t src_base = seg ? v->seg_base[seg - 1] : 0;
		if (e->flags & TC_MAP_STR_SRC)
			v->gpr[X86_ESI] = (uint32_t)(f->host_rsi - v->win_base - src_base);
		if (e->flags & TC_MAP_STR_DST)
			v->gpr[X86_EDI] = (uint32_t)(f->host_rdi - v->win_base);
	}
	if (v->exit_reason == VCPU_EXIT_POLL)
		return;   /* at a boundary: the run loop services interrupts and continues at EIP */
	if (e->flags & TC_MAP_DESC) {
		/* An inline segment load or VERR/VERW could not re-read its memoized
		 * descriptor (the page is gone, a hole, not mapped for this CPL):
		 * nothing has changed yet, so the monitor procedure decides. */
		trace_event(&m->trace, TRACE_FAULT, eip, "fault", "descriptor read of an inline segment "
			    "load/probe faulted at %#x: monitor procedure", f->guest_addr);
		emulate_insn(m);
		return;
	}
	trace_event(&m->trace, TRACE_FAULT, eip, "fault", "signal %d at host %p, address %#llx%s",
		    f->signo, rip, (unsigned long long)f->host_addr, f->write ? " (write)" : "");
	switch (f->signo) {
	case SIGFPE:   /* the host's trap number tells #DE, x87 #MF and SIMD #XM apart */
		deliver_exception(m, f->trapno == X86_EXC_MF ? X86_EXC_MF :
				     f->trapno == X86_EXC_XM ? X86_EXC_XM : X86_EXC_DE, false, 0);
		return;
	case SIGILL:
		deliver_exception(m, X86_EXC_UD, false, 0);
		return;
	case SIGSEGV:
		break;
	default:
		machine_stop(m, 70, true, "unexpected host signal %d in translated code", f->signo);
		return;
	}
	if (!f->in_window) {
		/* #GP from a copied instruction (misaligned SSE operand, ...). */
		deliver_exception(m, X86_EXC_GP, true, 0);
		return;
	}
	switch (f->kind) {
	case MMU_FAULT_CODE_WRITE: {
		gpa_t pa;
		m->stats.code_write_faults++;
		if (!mmu_gla_to_gpa(&m->mmu, f->guest_addr, &pa)) {
			machine_stop(m, 70, true, "code write fault at 0x%08x with no mapping", f->guest_addr);
			return;
		}
		machine_code_written(m, pa & BT_PAGE_MASK);
		v->resume_rip = (uint64_t)(uintptr_t)(b->host + e->host_off);
		if (!b->valid)
			step_one_instruction(m, b, e);
		return;
	}
	case MMU_FAULT_GUEST_PF:
		deliver_mmu_fault(m);
		return;
	case MMU_FAULT_MMIO:
		if (!mmio_emulate(m, eip))
			machine_stop(m, 1, true, "guest access to linear 0x%08x, where there is no RAM, "
				     "by an instruction btmon cannot emulate there yet", f->guest_addr);
		return;
	case MMU_FAULT_WRAP:
		machine_stop(m, 1, true, "guest access wraps around 4 GiB at 0x%08x: not supported yet",
			     eip);
		return;
	default:
		machine_stop(m, 70, true, "unexpected fault at guest address 0x%08x", f->guest_addr);
	}
}

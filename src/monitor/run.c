/*
 * run.c — the run loop: find (or translate) the block at EIP, enter it, and
 * act on why it came back. Chaining happens here: when a direct branch exit
 * is taken, the exit is patched to jump straight to its target next time.
 */
#include <stdio.h>
#include <string.h>

#include "monitor.h"

static unsigned fetch_access(const struct machine *m)
{
	return MMU_ACC_FETCH | (m->vcpu->cpl == 3 ? MMU_ACC_USER : 0);
}

static uint32_t fetch_code(void *ctx, gla_t la, uint8_t *buf, uint32_t len)
{
	struct machine *m = ctx;
	uint32_t got = 0;
	while (got < len) {
		gpa_t pa;
		if (!mmu_translate(&m->mmu, la + got, fetch_access(m), &pa))
			break;
		uint32_t chunk = BT_PAGE_SIZE - ((la + got) & (BT_PAGE_SIZE - 1));
		if (chunk > len - got)
			chunk = len - got;
		memcpy(buf + got, m->mmu.ram + pa, chunk);
		got += chunk;
		/* A block may straddle one page boundary, no more. */
		if (((la + got) & BT_PAGE_MASK) != (la & BT_PAGE_MASK) &&
		    ((la + got) & (BT_PAGE_SIZE - 1)) == 0 && got >= 16)
			break;
	}
	return got;
}

static bool code_gla_to_gpa(void *ctx, gla_t la, gpa_t *pa)
{
	struct machine *m = ctx;
	return mmu_gla_to_gpa(&m->mmu, la, pa);
}

/* One guest instruction per block, with no chaining: under guest TF, and for
 * the instruction after an emulated STI / MOV SS / POP SS, which no
 * interrupt may precede (vcpu.interrupt_shadow; irq.c holds them back). */
static bool stepping(const struct vcpu *v)
{
	return (v->vflags & X86_FL_TF) || v->interrupt_shadow;
}

static uint32_t current_mode(const struct vcpu *v)
{
	return (v->cpl & TC_MODE_CPL_MASK) | ((v->cr0 & X86_CR0_PG) ? TC_MODE_PG : 0) |
	       (stepping(v) ? TC_MODE_STEP : 0);
}

/* Instruction fetch at eip failed: #PF, or a stop if there is no RAM at all. */
static void fetch_fault(struct machine *m, gla_t eip)
{
	if (m->mmu.last_pf.err == 0xffffffffu)
		machine_stop(m, 1, true, "guest jumped to 0x%08x, where there is no RAM", eip);
	else
		deliver_page_fault(m, m->mmu.last_pf.la, m->mmu.last_pf.err);
}

/* A block straddling two pages is only valid while its second linear page
 * still maps to the physical page it was translated from. */
static bool second_page_current(struct machine *m, const struct tc_block *b)
{
	gpa_t pa;
	gla_t last = b->eip + b->guest_len - 1;
	return b->npages < 2 || (mmu_gla_to_gpa(&m->mmu, last, &pa) &&
				 (pa & BT_PAGE_MASK) == b->pages[1]);
}

static struct tc_block *translate_at(struct machine *m, gla_t eip)
{
	struct xlate_env env = {
		.fetch = fetch_code, .gla_to_gpa = code_gla_to_gpa, .ctx = m,
		.mode = current_mode(m->vcpu),
	};
	bt_status s = xlate_block(&env, eip, m->xb);
	if (s == BT_ERR_FETCH) {
		fetch_fault(m, eip);
		return NULL;
	}
	if (s != BT_OK) {
		machine_stop(m, 1, true, "translation of the block at 0x%08x failed (%s)", eip,
			     bt_status_str(s));
		return NULL;
	}
	if (m->opt->verify) {
		char err[256];
		if (xlate_verify(&m->xb->desc, m->xb->notes, m->xb->nnotes, err, sizeof(err)) != BT_OK) {
			machine_stop(m, 70, true, "%s", err);
			return NULL;
		}
	}
	struct tc_block *b;
	s = tc_insert(&m->tc, &m->xb->desc, &b);
	if (s == BT_ERR_NOSPACE) {
		tc_flush(&m->tc);
		s = tc_insert(&m->tc, &m->xb->desc, &b);
	}
	if (s != BT_OK) {
		machine_stop(m, 1, true, "the translation cache cannot hold the block at 0x%08x", eip);
		return NULL;
	}
	for (unsigned i = 0; i < b->npages; i++)
		mmu_protect_code(&m->mmu, b->pages[i]);
	for (unsigned i = 0; i < m->xb->nnotes; i++)
		m->stats.translated_by_rule[m->xb->notes[i].rule]++;
	trace_block(&m->trace, m->xb, b);
	return b;
}

/* --verify: do the guest bytes of b, read from its physical page(s) as they
 * are now, still hash to what was translated? */
static bool code_unchanged(struct machine *m, const struct tc_block *b, gpa_t pa)
{
	uint8_t buf[sizeof(((struct xlate_block *)0)->guest)];
	uint32_t first = BT_PAGE_SIZE - (pa & (BT_PAGE_SIZE - 1));
	if (b->guest_len > sizeof(buf) || (b->npages > 1 && b->pages[1] + BT_PAGE_SIZE > m->mmu.ram_size) ||
	    (uint64_t)pa + (first < b->guest_len ? first : b->guest_len) > m->mmu.ram_size)
		return true;   /* nothing to compare against */
	if (first >= b->guest_len || b->npages < 2)
		return tc_hash_code(m->mmu.ram + pa, b->guest_len) == b->code_hash;
	memcpy(buf, m->mmu.ram + pa, first);   /* the second page is not the next physical one */
	memcpy(buf + first, m->mmu.ram + b->pages[1], b->guest_len - first);
	return tc_hash_code(buf, b->guest_len) == b->code_hash;
}

struct tc_block *machine_block_at(struct machine *m, gla_t eip)
{
	gpa_t pa;
	if (!mmu_translate(&m->mmu, eip, fetch_access(m), &pa)) {
		fetch_fault(m, eip);
		return NULL;
	}
	struct tc_key key = { .pa = pa, .mode = current_mode(m->vcpu), .eip = eip };
	struct tc_block *b = tc_lookup(&m->tc, key);
	if (b && !second_page_current(m, b))
		b = NULL;   /* translate again: a new block for the new mapping */
	if (b && m->opt->verify && !code_unchanged(m, b, pa)) {
		/* Guest code changed without the write protection noticing: a btmon bug. */
		machine_stop(m, 70, true, "verify: code at 0x%08x changed under its translation", eip);
		return NULL;
	}
	return b ? b : translate_at(m, eip);
}

struct tc_block *machine_block_cached(struct machine *m, gla_t eip, gpa_t pa,
				      struct tc_block *hint, uint64_t hint_flushes)
{
	if (m->opt->verify)
		return NULL;   /* machine_block_at checks the code hash */
	struct tc_key key = { .pa = pa, .mode = current_mode(m->vcpu), .eip = eip };
	struct tc_block *b = hint;
	/* INVARIANT: a block's memory stays allocated until the next tc_flush
	 * (invalidation only clears valid), so a hint from before one is never
	 * dereferenced. */
	if (!b || hint_flushes != m->tc.stats.flushes || !b->valid || b->key.pa != key.pa ||
	    b->key.mode != key.mode || b->key.eip != key.eip)
		b = tc_lookup(&m->tc, key);
	return b && second_page_current(m, b) ? b : NULL;
}

/* A direct-branch exit was taken: continue at its target, chain if we may. */
static struct tc_block *follow_branch(struct machine *m)
{
	struct vcpu *v = m->vcpu;
	v->eip = v->exit_eip;
	struct tc_block *to = machine_block_at(m, v->eip);
	if (!to || !m->chain || stepping(v))
		return to;
	/* A block whose last instruction runs into the next page is only right
	 * while that page keeps its mapping, which a chained jump would not
	 * check (machine_block_at does): under paging it is not chained to,
	 * unless that page is global (kernel text, which stays put; Linux's
	 * hot straddling blocks are all there). */
	if (to->npages > 1 && (v->cr0 & X86_CR0_PG) &&
	    !mmu_is_global(&m->mmu, to->eip + to->guest_len - 1))
		return to;
	struct tc_block *from = tc_find_by_host(&m->tc, (void *)(uintptr_t)v->exit_link);
	struct tc_exit *e = from ? tc_find_exit(from, (void *)(uintptr_t)v->exit_link) : NULL;
	/* A one-instruction block (TC_MODE_STEP) must always come back here. */
	if (e && from->valid && to->valid && !(from->key.mode & TC_MODE_STEP)) {
		tc_chain(&m->tc, e, to);
		trace_event(&m->trace, TRACE_CACHE, v->eip, "chain", "0x%08x -> 0x%08x",
			    from->eip, to->eip);
	}
	return to;
}

static struct tc_block *follow_indirect(struct machine *m)
{
	struct vcpu *v = m->vcpu;
	v->eip = v->exit_eip;
	struct tc_block *to = machine_block_at(m, v->eip);
	if (to && m->chain && !stepping(v)) {
		if (v->cpl == 3) {   /* the user IBT outlives CR3 writes (ibt_spaces.c) */
			mmu_note_fetch(&m->mmu, to->eip);
			if (to->npages > 1)   /* and its second page's mapping too */
				mmu_note_fetch(&m->mmu, to->eip + to->guest_len - 1);
		}
		/* globality only matters to the supervisor table (vcpu_ibt_insert) */
		vcpu_ibt_insert(v, v->cpl == 3, to->eip, to->host,
				v->cpl != 3 && mmu_is_global(&m->mmu, to->eip));
	}
	return to;
}

static const char *const exit_names[VCPU_EXIT_NREASONS] = {
	[VCPU_EXIT_NONE] = "none", [VCPU_EXIT_BRANCH] = "branch", [VCPU_EXIT_INDIRECT] = "indirect",
	[VCPU_EXIT_EMULATE] = "emulate", [VCPU_EXIT_POLL] = "poll", [VCPU_EXIT_FAULT] = "fault",
	[VCPU_EXIT_UD] = "ud",
};

/*
 * Guest TF: one guest instruction ran as its own block. Unless it raised an
 * event (whose delivery clears TF) or must be restarted, take the #DB trap
 * with DR6.BS set, EIP at the next instruction (SDM Vol. 3A §17.3.1.4).
 */
static void single_step_trap(struct machine *m, uint64_t delivered, struct tc_block **next)
{
	struct vcpu *v = m->vcpu;
	if (m->stop || v->resume_rip || m->stats.events_delivered != delivered)
		return;
	*next = NULL;
	v->dr[6] |= 1u << 14;   /* BS */
	deliver_exception(m, X86_EXC_DB, false, 0);
}

const char *run_exit_name(unsigned r)
{
	return r < VCPU_EXIT_NREASONS && exit_names[r] ? exit_names[r] : "?";
}

int machine_run(struct machine *m)
{
	struct vcpu *v = m->vcpu;
	struct tc_block *b = NULL;
	trace_begin(&m->trace, m->opt->kernel ? m->opt->kernel : "built-in demo guest");
	irq_service(m);
	while (!m->stop) {
		const void *entry;
		if (m->reset_requested) {
			if (m->opt->no_reboot) {
				machine_stop(m, 0, false, "guest reset the machine; -no-reboot: exiting");
				break;
			}
			vcpu_fpu_sync(v);   /* the reset writes a fresh x87/SSE image */
			if (machine_reset(m) != 0)
				break;
			b = NULL;
			v->resume_rip = 0;
			irq_service(m);
			continue;
		}
		if (v->resume_rip) {
			entry = (const void *)(uintptr_t)v->resume_rip;
			v->resume_rip = 0;
			m->stats.resumes++;
		} else {
			if (!b)
				b = machine_block_at(m, v->eip);
			if (!b)
				continue;
			b->execs++;
			if (trace_on(&m->trace, TRACE_EXEC))
				trace_exec(&m->trace, b);
			entry = b->host;
		}
		bool step = (v->vflags & X86_FL_TF) && !v->resume_rip;
		bool shadow = v->interrupt_shadow;
		uint64_t delivered = m->stats.events_delivered;
		uint32_t reason = vcpu_enter(v, entry);
		b = NULL;
		if (reason >= VCPU_EXIT_NREASONS)
			reason = VCPU_EXIT_NONE;
		if (shadow && reason != VCPU_EXIT_POLL) {
			v->interrupt_shadow = 0;   /* the shadowed instruction ran (or faulted) */
			irq_update_poll(m);
		}
		m->stats.exits[reason]++;
		if (trace_on(&m->trace, TRACE_EXIT) && reason != VCPU_EXIT_FAULT && reason != VCPU_EXIT_POLL)
			trace_event(&m->trace, TRACE_EXIT, v->exit_eip, run_exit_name(reason), "%s",
				    reason == VCPU_EXIT_BRANCH ? "direct branch not chained yet" :
				    reason == VCPU_EXIT_INDIRECT ? "indirect-branch table miss" :
				    reason == VCPU_EXIT_EMULATE ? "sensitive instruction" : "#UD");
		switch (reason) {
		case VCPU_EXIT_BRANCH:
			b = follow_branch(m);
			break;
		case VCPU_EXIT_INDIRECT:
			b = follow_indirect(m);
			break;
		case VCPU_EXIT_EMULATE: {
			uint64_t io = m->stats.port_io;
			v->eip = v->exit_eip;
			struct tc_block *next = emulate_insn(m);
			uint64_t events = m->stats.events_delivered;
			irq_after_emulate(m, m->stats.port_io != io);
			/* unless an interrupt was taken just now */
			if (next && m->stats.events_delivered == events && v->eip == next->eip &&
			    current_mode(v) == next->key.mode)
				b = next;
			break;
		}
		case VCPU_EXIT_UD:
			v->eip = v->exit_eip;
			deliver_exception(m, X86_EXC_UD, false, 0);
			break;
		case VCPU_EXIT_FAULT:
			fault_handle(m);
			break;
		case VCPU_EXIT_POLL:
			fault_handle(m);     /* finds EIP at the boundary */
			irq_service(m);
			break;
		default:
			machine_stop(m, 70, true, "translated code returned with no exit reason");
		}
		if (step && reason != VCPU_EXIT_POLL)
			single_step_trap(m, delivered, &b);
	}
	vcpu_fpu_sync(v);   /* callers (the harness) read v->fxsave */
	return m->exit_status;
}

/*
 * vcpu.c — creating the VirtualCPU, its reset state, and the indirect-branch
 * table the translated code consults. The static assertions pin the offsets
 * switch.S and the translator's glue rely on.
 */
#include <stddef.h>
#include <string.h>
#include <sys/mman.h>

#include "monitor.h"

_Static_assert(offsetof(struct vcpu, gpr) == VCPU_GPR(0), "gpr");
_Static_assert(offsetof(struct vcpu, eip) == VCPU_EIP, "eip");
_Static_assert(offsetof(struct vcpu, vif) == VCPU_VIF, "vif");
_Static_assert(offsetof(struct vcpu, vflags) == VCPU_VFLAGS, "vflags");
_Static_assert(offsetof(struct vcpu, exit_reason) == VCPU_EXIT_REASON, "exit_reason");
_Static_assert(offsetof(struct vcpu, rflags) == VCPU_RFLAGS, "rflags");
_Static_assert(offsetof(struct vcpu, host_rsp) == VCPU_HOST_RSP, "host_rsp");
_Static_assert(offsetof(struct vcpu, exit_link) == VCPU_EXIT_LINK, "exit_link");
_Static_assert(offsetof(struct vcpu, exit_eip) == VCPU_EXIT_EIP, "exit_eip");
_Static_assert(offsetof(struct vcpu, exit_tramp) == VCPU_EXIT_TRAMP, "exit_tramp");
_Static_assert(offsetof(struct vcpu, seg_base) == VCPU_SEG_BASE(0), "seg_base");
_Static_assert(offsetof(struct vcpu, scratch) == VCPU_SCRATCH, "scratch");
_Static_assert(offsetof(struct vcpu, fxsave) == VCPU_FXSAVE, "fxsave");
_Static_assert(offsetof(struct vcpu, poll) == VCPU_POLL, "poll");
_Static_assert(offsetof(struct vcpu, ibt_neg) == VCPU_IBT_NEG, "ibt_neg");
_Static_assert(offsetof(struct vcpu, ibt_host) == VCPU_IBT_HOST, "ibt_host");
_Static_assert(VCPU_EXIT_INDIRECT == VCPU_EXIT_INDIRECT_NUM, "exit numbering");

#define IBT_FILLED_MAX (sizeof(((struct vcpu *)0)->ibt_filled) / sizeof(uint32_t))

unsigned char btm_host_has_avx;
uint32_t btm_host_mxcsr = 0x1f80;

struct vcpu *vcpu_new(void)
{
	void *p = mmap(NULL, sizeof(struct vcpu), PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	struct vcpu *v = p;
	mprotect(v->poll[2], 2 * 4096, PROT_NONE);   /* the TF pages: reading one always exits */
	v->exit_tramp = (uint64_t)(uintptr_t)vcpu_exit_common;
	v->ibt_nfilled = IBT_FILLED_MAX + 1;   /* first flush: clear the whole table */
	vcpu_ibt_flush(v);
	__builtin_cpu_init();
	btm_host_has_avx = __builtin_cpu_supports("avx") ? 1 : 0;
	return v;
}

void vcpu_free(struct vcpu *v)
{
	if (v)
		munmap(v, sizeof(*v));
}

/* A flat 4 GiB segment with the given type and DPL 0, as loaded from a GDT. */
static void seg_flat(struct vcpu_seg *s, uint16_t sel, uint32_t type)
{
	s->sel = sel;
	s->base = 0;
	s->limit = 0xffffffffu;
	s->flags = (type << 8) | X86_DESC_S | X86_DESC_P | X86_DESC_DB | X86_DESC_G;
}

void vcpu_reset_protected(struct vcpu *v, uint16_t cs, uint16_t ds)
{
	memset(v->gpr, 0, sizeof(v->gpr));
	v->rflags = X86_FL_FIXED1 | X86_FL_IF;  /* host image: IF stays set on the host */
	v->vif = 0;
	v->vflags = 0;
	for (int s = 0; s < X86_NSEG; s++)
		seg_flat(&v->seg[s], ds, X86_TYPE_RW | X86_TYPE_ACCESSED);
	seg_flat(&v->seg[X86_CS], cs, X86_TYPE_CODE | X86_TYPE_RW | X86_TYPE_ACCESSED);
	memset(v->seg_base, 0, sizeof(v->seg_base));
	v->cr0 = X86_CR0_PE | X86_CR0_ET;
	v->cr2 = v->cr3 = v->cr4 = 0;
	v->cpl = 0;
	/* Default x87/SSE state: FCW 0x37f, MXCSR 0x1f80. */
	memset(v->fxsave, 0, sizeof(v->fxsave));
	v->fxsave[0] = 0x7f;
	v->fxsave[1] = 0x03;
	memcpy(v->fxsave + 24, &btm_host_mxcsr, 4);
	uint32_t mask = 0xffff;
	memcpy(v->fxsave + 28, &mask, 4);
	vcpu_ibt_flush(v);
}

static void ibt_clear_slot(struct vcpu *v, unsigned i)
{
	v->ibt_neg[i] = 0;
	v->ibt_host[i] = (uint64_t)(uintptr_t)vcpu_ibt_empty;
}

/* Forget every entry: guest-linear EIPs may now mean other code (CR3 write,
 * INVLPG, CPL change). Clears the slots filled since the last flush. */
void vcpu_ibt_flush(struct vcpu *v)
{
	if (v->ibt_nfilled > IBT_FILLED_MAX) {
		for (unsigned i = 0; i < VCPU_IBT_SIZE; i++)
			ibt_clear_slot(v, i);
	} else {
		for (unsigned k = 0; k < v->ibt_nfilled; k++)
			ibt_clear_slot(v, v->ibt_filled[k]);
	}
	v->ibt_nfilled = 0;
}

void vcpu_ibt_flush_range(struct vcpu *v, gla_t base, uint32_t len)
{
	if (v->ibt_nfilled > IBT_FILLED_MAX || len >= VCPU_IBT_SIZE) {
		vcpu_ibt_flush(v);
		return;
	}
	for (unsigned k = 0; k < v->ibt_nfilled;) {
		unsigned i = v->ibt_filled[k];
		gla_t eip = (gla_t)-v->ibt_neg[i];
		if (eip - base < len) {
			ibt_clear_slot(v, i);
			v->ibt_filled[k] = v->ibt_filled[--v->ibt_nfilled];
		} else {
			k++;
		}
	}
}

void vcpu_ibt_insert(struct vcpu *v, gla_t eip, const void *host)
{
	unsigned i = eip & (VCPU_IBT_SIZE - 1);
	if (v->ibt_host[i] == (uint64_t)(uintptr_t)vcpu_ibt_empty) {
		if (v->ibt_nfilled < IBT_FILLED_MAX)
			v->ibt_filled[v->ibt_nfilled] = i;
		v->ibt_nfilled++;   /* past the list: the next flush clears everything */
	}
	v->ibt_neg[i] = (uint32_t)-eip;
	v->ibt_host[i] = (uint64_t)(uintptr_t)host;
}

void vcpu_ibt_remove(struct vcpu *v, gla_t eip, const void *host)
{
	unsigned i = eip & (VCPU_IBT_SIZE - 1);
	if (v->ibt_host[i] == (uint64_t)(uintptr_t)host) {
		v->ibt_neg[i] = 0;
		v->ibt_host[i] = (uint64_t)(uintptr_t)vcpu_ibt_empty;
	}
}

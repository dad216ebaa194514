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
_Static_assert(offsetof(struct vcpu, ibt) == VCPU_IBT, "ibt");
_Static_assert(VCPU_EXIT_INDIRECT == VCPU_EXIT_INDIRECT_NUM, "exit numbering");

#define IBT_FILLED_MAX (VCPU_IBT_SIZE + 1)
#define IBT_SLOTS      (VCPU_IBT_SIZE + 1)

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
	v->ibt[0].nfilled = v->ibt[1].nfilled = IBT_FILLED_MAX + 1;   /* first flush: clear all */
	vcpu_ibt_flush(v);
	__builtin_cpu_init();
	btm_host_has_avx = __builtin_cpu_supports("avx") ? 1 : 0;
	vcpu_ibt_crc = __builtin_cpu_supports("sse4.2");
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

static void ibt_clear_slot(struct vcpu_ibt *t, unsigned i)
{
	t->neg[i] = 0;
	t->host[i] = (uint64_t)(uintptr_t)vcpu_ibt_empty;
}

static void ibt_clear_list(struct vcpu_ibt *t, const uint32_t *list, uint32_t n)
{
	for (uint32_t k = 0; k < n; k++)
		ibt_clear_slot(t, list[k]);
}

static bool ibt_overflowed(const struct vcpu_ibt *t)
{
	return t->nfilled > IBT_FILLED_MAX || t->ngfilled > IBT_FILLED_MAX;
}

static void ibt_flush_table(struct vcpu_ibt *t)
{
	if (ibt_overflowed(t)) {
		for (unsigned i = 0; i < IBT_SLOTS; i++)
			ibt_clear_slot(t, i);
	} else {
		ibt_clear_list(t, t->filled, t->nfilled);
		ibt_clear_list(t, t->gfilled, t->ngfilled);
	}
	t->nfilled = t->ngfilled = 0;
	memset(t->pages, 0, sizeof(t->pages));
}

/* CR3 write: the user table is emptied, the supervisor table keeps the
 * entries whose code is in global pages (it lists the others apart). */
void vcpu_ibt_flush_nonglobal(struct vcpu *v)
{
	ibt_flush_table(&v->ibt[1]);
	struct vcpu_ibt *t = &v->ibt[0];
	if (ibt_overflowed(t)) {
		ibt_flush_table(t);
		return;
	}
	ibt_clear_list(t, t->filled, t->nfilled);
	t->nfilled = 0;
}

/* Forget every entry: guest-linear EIPs may now mean other code (paging
 * change, a cache flush). Clears the slots filled since the last flush. */
void vcpu_ibt_flush(struct vcpu *v)
{
	ibt_flush_table(&v->ibt[0]);
	ibt_flush_table(&v->ibt[1]);
}

static bool ibt_page_bit(const struct vcpu_ibt *t, gla_t la)
{
	uint32_t b = (la >> 12) & 4095;
	return (t->pages[b >> 3] >> (b & 7)) & 1;
}

/* Drop the entries of list[0..*n) whose EIP is in [base, base+len). */
static void ibt_flush_list_range(struct vcpu_ibt *t, uint32_t *list, uint32_t *n,
				 gla_t base, uint32_t len)
{
	for (uint32_t k = 0; k < *n;) {
		unsigned i = list[k];
		gla_t eip = (gla_t)-t->neg[i];
		if (t->host[i] == (uint64_t)(uintptr_t)vcpu_ibt_empty || eip - base < len) {
			ibt_clear_slot(t, i);
			list[k] = list[--*n];
		} else {
			k++;
		}
	}
}

static void ibt_flush_table_range(struct vcpu_ibt *t, gla_t base, uint32_t len)
{
	if (ibt_overflowed(t)) {
		ibt_flush_table(t);
		return;
	}
	if (len <= 2 * BT_PAGE_SIZE && !ibt_page_bit(t, base) &&
	    (len <= BT_PAGE_SIZE || !ibt_page_bit(t, base + BT_PAGE_SIZE)))
		return;   /* no entry was ever made in those pages */
	ibt_flush_list_range(t, t->filled, &t->nfilled, base, len);
	ibt_flush_list_range(t, t->gfilled, &t->ngfilled, base, len);
}

void vcpu_ibt_flush_range(struct vcpu *v, gla_t base, uint32_t len)
{
	ibt_flush_table_range(&v->ibt[0], base, len);
	ibt_flush_table_range(&v->ibt[1], base, len);
}

static void ibt_list_add(uint32_t *list, uint32_t *n, unsigned i)
{
	if (*n < IBT_FILLED_MAX)
		list[*n] = i;
	++*n;   /* past the list: the next flush clears everything */
}

static bool ibt_slot_empty(const struct vcpu_ibt *t, unsigned i)
{
	return t->host[i] == (uint64_t)(uintptr_t)vcpu_ibt_empty;
}

/* The way for eip: the one holding it already, else an empty one, else the
 * pair's victim (alternating, so two hot EIPs of one slot can share it). */
static unsigned ibt_way(struct vcpu_ibt *t, gla_t eip)
{
	unsigned i = vcpu_ibt_index(eip);
	uint32_t neg = (uint32_t)-eip;
	if (t->neg[i] == neg && !ibt_slot_empty(t, i))
		return i;
	if (t->neg[i + 1] == neg && !ibt_slot_empty(t, i + 1))
		return i + 1;
	if (ibt_slot_empty(t, i))
		return i;
	if (ibt_slot_empty(t, i + 1))
		return i + 1;
	return i + (t->victim++ & 1);
}

void vcpu_ibt_insert(struct vcpu *v, unsigned table, gla_t eip, const void *host, bool global)
{
	struct vcpu_ibt *t = &v->ibt[table];
	unsigned i = ibt_way(t, eip);
	bool was_empty = t->host[i] == (uint64_t)(uintptr_t)vcpu_ibt_empty;
	if (table == 0 && global) {
		/* an occupied slot is listed already; if only in `filled`, the next
		 * CR3 write drops this entry too, which merely costs a miss */
		if (was_empty)
			ibt_list_add(t->gfilled, &t->ngfilled, i);
	} else if (was_empty || table == 0) {
		/* user slots are all in `filled`; a supervisor slot that held a
		 * global entry must join it (listed twice at worst) */
		ibt_list_add(t->filled, &t->nfilled, i);
	}
	vcpu_ibt_note_page(t, eip);
	t->neg[i] = (uint32_t)-eip;
	t->host[i] = (uint64_t)(uintptr_t)host;
}

void vcpu_ibt_remove(struct vcpu *v, gla_t eip, const void *host)
{
	unsigned i = vcpu_ibt_index(eip);
	for (unsigned k = 0; k < 2; k++)
		for (unsigned w = i; w <= i + 1; w++)
			if (v->ibt[k].host[w] == (uint64_t)(uintptr_t)host)
				ibt_clear_slot(&v->ibt[k], w);
}

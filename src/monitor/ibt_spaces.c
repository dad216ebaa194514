/*
 * ibt_spaces.c — per-address-space user IBTs. The user indirect-branch table
 * (vcpu->ibt[1]) maps guest EIPs to host code; it is only right for the
 * address space it was filled in. Instead of throwing it away at every CR3
 * write, the table of the space being left is saved and the table of the
 * space being entered is put back, so a process switch does not turn every
 * return and indirect call of the next process into an exit.
 *
 * A saved table is restored only if its space's mmu epoch is unchanged: the
 * epoch moves whenever a mapping of the space is dropped or stops being
 * checked (src/mmu/coherence.c), and every EIP put into the user IBT had its
 * page-table entries recorded for checking (mmu_note_fetch, run.c). A live
 * table whose space's epoch moved while it was current is not saved.
 *
 * Flow: machine_cr3_changed (machine.c) → ibt_spaces_leave, flush,
 * ibt_spaces_enter; a translation
 * cache flush → ibt_spaces_forget; a dropped block → ibt_spaces_remove.
 */
#include <stdlib.h>
#include <string.h>

#include "monitor.h"
#include "ibt_spaces.h"

#define FILLED_MAX (sizeof(((struct vcpu_ibt *)0)->filled) / sizeof(uint32_t))
#define SLOT_MASK  0xffffu

struct saved_entry {
	uint32_t slot, neg;
	uint64_t host;
};

struct saved_table {
	bool valid;
	uint64_t epoch;
	uint32_t n;
	struct saved_entry *e;   /* FILLED_MAX */
};

struct ibt_spaces {
	unsigned n;
	uint64_t live_epoch;     /* the current space's epoch when ibt[1] was last emptied or restored */
	struct saved_table t[];
};

bt_status ibt_spaces_new(struct vcpu *v, unsigned nspaces)
{
	struct ibt_spaces *s = calloc(1, sizeof(*s) + nspaces * sizeof(s->t[0]));
	if (!s)
		return BT_ERR_NOMEM;
	s->n = nspaces;
	for (unsigned i = 0; i < nspaces; i++) {
		s->t[i].e = malloc(FILLED_MAX * sizeof(struct saved_entry));
		if (!s->t[i].e) {
			v->ibt_spaces = s;
			ibt_spaces_free(v);
			return BT_ERR_NOMEM;
		}
	}
	v->ibt_spaces = s;
	return BT_OK;
}

void ibt_spaces_free(struct vcpu *v)
{
	struct ibt_spaces *s = v->ibt_spaces;
	if (!s)
		return;
	for (unsigned i = 0; i < s->n; i++)
		free(s->t[i].e);
	free(s);
	v->ibt_spaces = NULL;
}

static void save(struct saved_table *st, const struct vcpu_ibt *t, uint64_t epoch)
{
	st->valid = t->nfilled <= FILLED_MAX && t->ngfilled == 0;
	st->epoch = epoch;
	st->n = 0;
	if (!st->valid)
		return;
	for (uint32_t k = 0; k < t->nfilled; k++) {
		uint32_t i = t->filled[k] & SLOT_MASK;
		st->e[st->n++] = (struct saved_entry){ .slot = i, .neg = t->neg[i], .host = t->host[i] };
	}
}

static void restore(const struct saved_table *st, struct vcpu_ibt *t)
{
	for (uint32_t k = 0; k < st->n; k++) {
		const struct saved_entry *e = &st->e[k];
		t->neg[e->slot] = e->neg;
		t->host[e->slot] = e->host;
		t->filled[k] = e->slot;
		vcpu_ibt_note_page(t, (uint32_t)-e->neg);   /* INVLPG must find it */
	}
	t->nfilled = st->n;
}

void ibt_spaces_leave(struct vcpu *v, unsigned from, uint64_t from_epoch)
{
	struct ibt_spaces *s = v->ibt_spaces;
	if (!s || from >= s->n)
		return;
	if (s->live_epoch == from_epoch)
		save(&s->t[from], &v->ibt[1], from_epoch);
	else
		s->t[from].valid = false;
}

void ibt_spaces_enter(struct vcpu *v, unsigned to, uint64_t to_epoch)
{
	struct ibt_spaces *s = v->ibt_spaces;
	if (!s || to >= s->n)
		return;
	if (s->t[to].valid && s->t[to].epoch == to_epoch && v->ibt[1].nfilled == 0)
		restore(&s->t[to], &v->ibt[1]);
	s->live_epoch = to_epoch;
}

void ibt_spaces_forget(struct vcpu *v)
{
	struct ibt_spaces *s = v->ibt_spaces;
	if (!s)
		return;
	for (unsigned i = 0; i < s->n; i++)
		s->t[i].valid = false;
}

void ibt_spaces_remove(struct vcpu *v, const void *host)
{
	struct ibt_spaces *s = v->ibt_spaces;
	if (!s)
		return;
	for (unsigned i = 0; i < s->n; i++) {
		struct saved_table *st = &s->t[i];
		for (uint32_t k = 0; st->valid && k < st->n; k++)
			if (st->e[k].host == (uint64_t)(uintptr_t)host)
				st->valid = false;   /* rare: drop the whole table */
	}
}

/*
 * ibt_spaces.h — the user (CPL 3) indirect-branch table of each cached
 * address space, kept while another space runs (see ibt_spaces.c).
 */
#ifndef BTMON_MONITOR_IBT_SPACES_H
#define BTMON_MONITOR_IBT_SPACES_H

#include "btmon/vcpu.h"

bt_status ibt_spaces_new(struct vcpu *v, unsigned nspaces);
void ibt_spaces_free(struct vcpu *v);
/* A CR3 write is leaving space `from` (whose mmu epoch is from_epoch now):
 * save its user IBT, unless its mappings changed while it was current. The
 * caller then flushes the user IBT. */
void ibt_spaces_leave(struct vcpu *v, unsigned from, uint64_t from_epoch);
/* ... and entering space `to` (possibly the same one): put its saved user
 * IBT back if its mmu epoch is still the one it was saved at. */
void ibt_spaces_enter(struct vcpu *v, unsigned to, uint64_t to_epoch);
/* Forget every saved table (the code they point at is gone). */
void ibt_spaces_forget(struct vcpu *v);
/* A block was dropped: no saved table may jump to it. */
void ibt_spaces_remove(struct vcpu *v, const void *host);

#endif

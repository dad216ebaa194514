/*
 * trace.h — btmon --trace (src/monitor/trace.c): what the translator and the
 * monitor did, as text for people or JSON lines for scripts.
 *
 * Categories are chosen at run time (enum trace_cat in cli.h); a disabled
 * trace point costs one test of the mask (trace_on).
 */
#ifndef BTMON_TRACE_H
#define BTMON_TRACE_H

#include <stdarg.h>
#include <stdio.h>

#include "btmon/cache.h"
#include "btmon/translator.h"
#include "cli.h"

struct trace {
	unsigned mask;             /* enum trace_cat bits */
	enum trace_format fmt;
	FILE *out;
	bool own_out;              /* close out on trace_close */
	uint64_t seq;              /* event counter, printed in each record */
	void *cs_guest, *cs_host;  /* Capstone handles (csh), 32- and 64-bit */
};

static inline bool trace_on(const struct trace *t, unsigned cat)
{
	return t && (t->mask & cat);
}

/* Open a trace for mask to path (NULL: stderr). BT_ERR_IO if path can't be created. */
bt_status trace_open(struct trace *t, unsigned mask, enum trace_format fmt, const char *path);
void trace_close(struct trace *t);

/* Header lines: what is traced, and what "exec" means (chaining off). */
void trace_begin(struct trace *t, const char *guest_name);

/* TRACE_TRANSLATE: a new block — guest instructions beside the host code each
 * became, the rule that did it, the exits and why the block ended. */
void trace_block(struct trace *t, const struct xlate_block *xb, const struct tc_block *b);

/* TRACE_EXEC: block b is about to run (from the monitor). */
void trace_exec(struct trace *t, const struct tc_block *b);

/* Any category: one event line, e.g.
 *   trace_event(t, TRACE_EXIT, eip, "exit", "emulate out dx, al (port 0x3f8)");
 *   trace_event(t, TRACE_CACHE, eip, "chain", "0x00100020 -> 0x00100040");  */
void trace_event(struct trace *t, unsigned cat, uint32_t eip, const char *kind,
		 const char *fmt, ...) __attribute__((format(printf, 5, 6)));

#endif

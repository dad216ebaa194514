/*
 * decode_cache.h — private to src/monitor: the decoded guest instruction a
 * monitor procedure works on (struct emu_insn), and the decode cache that
 * keeps it by EIP so an emulate exit need not run Zydis again
 * (decode_cache.c has the design).
 */
#ifndef BTMON_DECODE_CACHE_H
#define BTMON_DECODE_CACHE_H

#include <stdint.h>
#include <Zydis/Zydis.h>

#include "btmon/types.h"

struct machine;
struct tc_block;

struct emu_insn {
	ZydisDecodedInstruction in;
	ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
};

enum emu_result {
	EMU_NEXT,       /* done: continue at the next instruction */
	EMU_JUMPED,     /* done: the procedure set EIP itself */
	EMU_EXCEPTION,  /* a guest exception was delivered (EIP set by delivery) */
	EMU_STOP,       /* the machine stops */
};

typedef enum emu_result (*emu_fn)(struct machine *m, const struct emu_insn *e);

#define DCACHE_BITS 9
#define DCACHE_SIZE (1u << DCACHE_BITS)
#define DCACHE_MAX_LEN 15          /* the longest x86 instruction */

struct dcache_entry {
	gla_t eip;
	uint8_t len;                   /* instruction length; 0: the slot is empty */
	uint8_t bytes[DCACHE_MAX_LEN]; /* the bytes it was decoded from */
	emu_fn fn;                     /* its monitor procedure (the dispatcher sets it) */
	/* The block that ran after it last time (run.c revalidates it before
	 * use: it may have been invalidated, or the cache flushed since). */
	struct tc_block *next;
	uint64_t next_flushes;         /* the cache's flush count when `next` was stored */
	struct emu_insn e;
};

struct dcache {
	struct dcache_entry slot[DCACHE_SIZE];
	uint64_t hits, misses;         /* lookups of instructions that fit in the bytes given */
	uint64_t next_hits;            /* exits whose next block came from `next` */
};

/* Forget every entry. A zero-filled struct dcache is also empty. */
void dcache_clear(struct dcache *c);

/*
 * The entry for the instruction at eip, if one was decoded there from the
 * bytes that are at code[0..avail) now; NULL otherwise (a miss; also when the
 * instruction remembered for eip is longer than avail). Counts hits/misses.
 */
struct dcache_entry *dcache_lookup(struct dcache *c, gla_t eip, const uint8_t *code, uint32_t avail);

/*
 * Decode code[0..avail) (avail <= 15) as the instruction at eip into eip's
 * slot, replacing what it held; fn and next start NULL. Returns Zydis's
 * status (ZYDIS_STATUS_NO_MORE_DATA: the instruction runs past avail) and,
 * on success, the entry in *out. A failed decode leaves the slot empty.
 */
ZyanStatus dcache_fill(struct dcache *c, const ZydisDecoder *dec, gla_t eip, const uint8_t *code,
		       uint32_t avail, struct dcache_entry **out);

#endif

/*
 * decode_cache.c — decoded guest instructions for monitor procedures,
 * remembered by EIP.
 *
 * Where it sits: translated code exits to the monitor for a sensitive
 * instruction (VCPU_EXIT_EMULATE), run.c calls emulate_insn (emulate.c),
 * which reads the bytes at EIP with one page walk and looks them up here
 * before running the procedure. A Zydis DecodeFull of the instruction costs
 * more than the rest of the lookup put together, and the same few sites
 * (a kernel's system-call entry and exit, its port I/O) exit again and again.
 *
 * The cache is direct-mapped by EIP. An entry holds the instruction's bytes
 * as they were when it was decoded, and a hit requires the bytes at EIP now
 * to be the same: code rewritten in place, or a linear address remapped to
 * other code, simply misses — there is nothing to invalidate. Decoding
 * depends on nothing else (one 32-bit decoder), and neither does the
 * procedure the dispatcher chose for it, which the entry keeps too.
 *
 *   d = dcache_lookup(c, eip, bytes_at_eip, n);
 *   if (!d && ZYAN_SUCCESS(dcache_fill(c, &dec, eip, bytes_at_eip, n, &d)))
 *           d->fn = dispatch(&d->e);
 */
#include <string.h>

#include "decode_cache.h"

static struct dcache_entry *slot_of(struct dcache *c, gla_t eip)
{
	return &c->slot[(uint32_t)(eip * 0x9e3779b1u) >> (32 - DCACHE_BITS)];
}

void dcache_clear(struct dcache *c)
{
	for (unsigned i = 0; i < DCACHE_SIZE; i++) {
		c->slot[i].len = 0;
		c->slot[i].next = NULL;
	}
}

/* memcmp for a few bytes, without a call into libc. */
static bool same_bytes(const uint8_t *a, const uint8_t *b, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		if (a[i] != b[i])
			return false;
	return true;
}

struct dcache_entry *dcache_lookup(struct dcache *c, gla_t eip, const uint8_t *code, uint32_t avail)
{
	struct dcache_entry *d = slot_of(c, eip);
	if (d->len != 0 && d->eip == eip && d->len <= avail && same_bytes(d->bytes, code, d->len)) {
		c->hits++;
		return d;
	}
	c->misses++;
	return NULL;
}

ZyanStatus dcache_fill(struct dcache *c, const ZydisDecoder *dec, gla_t eip, const uint8_t *code,
		       uint32_t avail, struct dcache_entry **out)
{
	struct dcache_entry *d = slot_of(c, eip);
	if (avail > DCACHE_MAX_LEN)
		avail = DCACHE_MAX_LEN;
	d->len = 0;
	d->fn = NULL;
	d->next = NULL;
	ZyanStatus s = ZydisDecoderDecodeFull(dec, code, avail, &d->e.in, d->e.ops);
	if (!ZYAN_SUCCESS(s))
		return s;
	d->eip = eip;
	d->len = d->e.in.length;
	memcpy(d->bytes, code, d->len);
	*out = d;
	return s;
}

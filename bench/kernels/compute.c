/*
 * compute.c — the integer kernel btmon's benchmark times (see compute.h).
 *
 * One round of bench_kernel() does four jobs shaped like the inner loops of
 * ordinary programs, all fed by one xorshift32 stream so that no round can be
 * hoisted out of the loop or folded at compile time:
 *
 *   sieve  Eratosthenes below ~64 Ki   strided byte stores, a branch per
 *                                      candidate, a counting pass
 *   crc    bitwise CRC-32 of 4 KiB     a shift/xor chain with a 50/50 bit test
 *   sort   insertion sort, 256 words   unpredictable compares, overlapping
 *                                      loads and stores
 *   hash   open addressing, 2 Ki slots multiplicative hash, linear probing,
 *                                      1 Ki inserts then 1 Ki lookups
 *
 * No library calls, not even implicit ones: GCC and Clang turn a loop that
 * stores a loop-invariant value into a call to memset, which would run the
 * guest's REP STOSB on one side and glibc's memset on the other. So no loop
 * here fills memory with one value: the sieve starts from an odd/even
 * pattern, and the hash table is emptied by bumping a generation number
 * instead of clearing it. bench/run.sh refuses an object file with undefined
 * symbols.
 */
#include "compute.h"

#include <stddef.h>

#define SIEVE_MAX   65536u          /* sieve[i] for 0 <= i < SIEVE_MAX */
#define CRC_BYTES   4096u
#define CRC_POLY    0xEDB88320u     /* CRC-32 (IEEE 802.3), reflected */
#define SORT_WORDS  256u
#define HASH_BITS   11u
#define HASH_SLOTS  (1u << HASH_BITS)
#define HASH_OPS    1024u
#define HASH_MULT   0x9E3779B1u     /* 2^32 / golden ratio (Knuth, TAOCP 6.4) */

/* One hash-table slot; empty unless gen is the current generation. */
struct hash_slot {
	uint32_t key;
	uint32_t gen;
	uint32_t count;                 /* times key was inserted */
};

static uint8_t sieve[SIEVE_MAX];    /* nonzero: composite */
static uint32_t crc_buf[CRC_BYTES / 4];
static uint32_t sort_buf[SORT_WORDS];
static struct hash_slot hash_tab[HASH_SLOTS];
/* INVARIANT: never reused while a slot still holds it, so a new generation
 * finds every slot empty; it only grows (wrapping after 2^32 rounds). */
static uint32_t hash_gen;

/* Marsaglia's xorshift32: never returns 0 for a nonzero state. */
static inline uint32_t rng_next(uint32_t *s)
{
	uint32_t x = *s;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	*s = x;
	return x;
}

/* The number of primes below limit (limit <= SIEVE_MAX). */
static uint32_t sieve_count_primes(uint32_t limit)
{
	uint32_t count = 0;

	/* Even numbers are composite (except 2, fixed below), odd ones not yet. */
	for (uint32_t i = 0; i < limit; i++)
		sieve[i] = (uint8_t)(~i & 1);
	sieve[1] = 1;
	sieve[2] = 0;
	for (uint32_t p = 3; p * p < limit; p += 2)
		if (!sieve[p])
			for (uint32_t j = p * p; j < limit; j += 2 * p)
				sieve[j] = 1;
	for (uint32_t i = 0; i < limit; i++)
		count += !sieve[i];
	return count;
}

/* Fill crc_buf from the stream and return its CRC-32, one bit at a time. */
static uint32_t crc_fill_and_sum(uint32_t *rng)
{
	const uint8_t *p = (const uint8_t *)crc_buf;
	uint32_t crc = 0xFFFFFFFFu;

	for (uint32_t i = 0; i < CRC_BYTES / 4; i++)
		crc_buf[i] = rng_next(rng);
	for (uint32_t i = 0; i < CRC_BYTES; i++) {
		crc ^= p[i];
		for (int bit = 0; bit < 8; bit++) {
			if (crc & 1)
				crc = (crc >> 1) ^ CRC_POLY;
			else
				crc >>= 1;
		}
	}
	return ~crc;
}

/* Insertion-sort SORT_WORDS words taken from crc_buf (mixed with salt) and
 * return a position-weighted sum of the sorted array. */
static uint32_t sort_and_sum(uint32_t salt)
{
	uint32_t sum = 0;

	for (uint32_t i = 0; i < SORT_WORDS; i++)
		sort_buf[i] = crc_buf[(i * 7u + salt) % (CRC_BYTES / 4)] ^ salt;
	for (uint32_t i = 1; i < SORT_WORDS; i++) {
		uint32_t v = sort_buf[i];
		uint32_t j = i;

		while (j > 0 && sort_buf[j - 1] > v) {
			sort_buf[j] = sort_buf[j - 1];
			j--;
		}
		sort_buf[j] = v;
	}
	for (uint32_t i = 0; i < SORT_WORDS; i++)
		sum += sort_buf[i] * (i + 1);
	return sum;
}

/* The slot holding key in the current generation, or the empty slot where
 * it would go. The table is never more than half full, so probing ends. */
static struct hash_slot *hash_find(uint32_t key)
{
	uint32_t h = (key * HASH_MULT) >> (32 - HASH_BITS);

	while (hash_tab[h].gen == hash_gen && hash_tab[h].key != key)
		h = (h + 1) & (HASH_SLOTS - 1);
	return &hash_tab[h];
}

/* Insert HASH_OPS keys drawn from a space of HASH_SLOTS / 2 values (so many
 * repeat), then look up HASH_OPS keys from twice that space; return the sum
 * of the counts found, mixed with the number of misses. */
static uint32_t hash_insert_and_lookup(uint32_t *rng)
{
	uint32_t found = 0, missed = 0;

	hash_gen++;
	for (uint32_t i = 0; i < HASH_OPS; i++) {
		uint32_t key = rng_next(rng) % (HASH_SLOTS / 2) * 2654435761u;
		struct hash_slot *s = hash_find(key);

		if (s->gen == hash_gen) {
			s->count++;
		} else {
			s->key = key;
			s->gen = hash_gen;
			s->count = 1;
		}
	}
	for (uint32_t i = 0; i < HASH_OPS; i++) {
		uint32_t key = rng_next(rng) % HASH_SLOTS * 2654435761u;
		struct hash_slot *s = hash_find(key);

		if (s->gen == hash_gen)
			found += s->count;
		else
			missed++;
	}
	return found << 12 ^ missed;
}

uint32_t bench_kernel(uint32_t n)
{
	uint32_t rng = 0x2545F491u;
	uint32_t acc = 0;

	for (uint32_t round = 0; round < n; round++) {
		uint32_t primes = sieve_count_primes(SIEVE_MAX - (rng_next(&rng) & 1023));
		uint32_t crc = crc_fill_and_sum(&rng);
		uint32_t sorted = sort_and_sum(crc & 1023);
		uint32_t hashed = hash_insert_and_lookup(&rng);

		acc = (acc << 5 | acc >> 27) ^ primes;
		acc = acc * 31 + (crc ^ sorted ^ hashed);
	}
	return acc;
}

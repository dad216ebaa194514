/*
 * curated.c — the initial states of the curated sequences (the DT_SEEDS_*
 * classes of difftest.h) and the driver that runs one sequence from every
 * state of its class. The sequences themselves are in curated_*.S.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "difftest.h"

/* 32-bit values where arithmetic changes behaviour. */
static const uint32_t interesting[] = {
	0, 1, 2, 0x7f, 0x80, 0xff, 0x100, 0x7fff, 0x8000, 0xffff, 0x10000,
	0x7fffffff, 0x80000000, 0x80000001, 0xfffffffe, 0xffffffff, 0x12345678, 0xedcba987,
};
#define NINT BT_ARRAY_SIZE(interesting)

static const uint32_t shift_values[] = {
	0, 1, 0x80, 0x8000, 0x80000000, 0xffffffff, 0x12345678, 0x87654321,
};
static const uint32_t shift_counts[] = {
	0, 1, 2, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 255,
};

/* EDX, EAX, ECX for MUL/DIV: normal cases, divide by zero, quotient
 * overflow (32-, 16- and 8-bit), INT_MIN / -1, signs. */
static const uint32_t div_cases[][3] = {
	{ 0, 100, 7 }, { 0, 0xffffffff, 1 }, { 0, 0xffffffff, 0xffffffff }, { 1, 0, 2 },
	{ 0x7fffffff, 0xffffffff, 0x80000000 }, { 0, 5, 0 }, { 5, 0, 5 },
	{ 0xffffffff, 0x80000000, 0xffffffff }, { 0xffffffff, 0xfffffff9, 2 }, { 0, 7, 0xfffffffe },
	{ 0x12345678, 0x9abcdef0, 0x23456789 }, { 0, 0x8000, 0x100 }, { 0, 0x1234, 0x12 },
	{ 0, 0xffff, 0xff }, { 0, 0x7f80, 0xff }, { 0xffff, 0x8000, 0xffff }, { 0, 0x8000, 0xffff },
	{ 0x8000, 0, 0x7fff }, { 3, 0x12345678, 0x10003 }, { 0xfffffffc, 0, 0xfffffffd },
};

/* Bit offsets for BT m, r at [ebx+0x1000]: inside, at the edges, and past
 * the data area on both sides (#PF). */
static const uint32_t bit_offsets[] = {
	0, 1, 7, 8, 31, 32, 33, 100, 0x3ff, 0x7fdf, 0x7fff, 0x8000, 0xffffffff, 0xfffffff8,
	0xfffffff7, 0xffffff9c, 0xffff8000, 0xffff7fff,
};

static const uint32_t counts[] = { 0, 1, 2, 3, 4, 5, 7, 8, 15, 16, 17, 100, 0x800, 0x900 };
static const uint32_t counts_nf[] = { 0, 1, 2, 3, 4, 5, 7, 8, 15, 16, 17, 100, 0x1ff };

static const double doubles[16] = {
	1.5, -2.25, 0.0, -0.0, 1e300, -1e-300, INFINITY, NAN,
	3.141592653589793, 0.1, 4.9e-324, 9223372036854775808.0, -2147483648.0, 1e10, 123456789.75, -0.5,
};
static const float floats[16] = {
	1.5f, -2.25f, 0.0f, -0.0f, 1e30f, 1e-40f, INFINITY, NAN,
	3.14159f, 0.1f, -1e-45f, 2147483648.0f, -7.0f, 16777217.0f, 0.5f, -1.0f,
};
static const uint32_t ints[16] = {
	0x12345678, 0xfffffff9, 0x7fffffff, 0x80000000, 0, 1, 0x1234, 0x00990099,
	0x12345678, 0x00000099, 0xffff0000, 0x8001, 0x10000, 0xdeadbeef, 0x00001999, 0x00000012,
};

/* Small, deterministic generator for the seed classes (splitmix64). */
static uint64_t mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

void dt_base_state(const struct dt_ctx *c, struct dt_input *in)
{
	uint32_t d = dt_data_addr(c);
	memset(in, 0, sizeof(*in));
	uint32_t *g = in->st.gpr;
	g[NATIVE_EAX] = 0x01234567;
	g[NATIVE_ECX] = 0x89abcdef;
	g[NATIVE_EDX] = 0x13579bdf;
	g[NATIVE_EBX] = d;
	g[NATIVE_ESP] = dt_stack_top(c) - DT_STACK_SLACK;
	g[NATIVE_EBP] = d + 0xc00;
	g[NATIVE_ESI] = d + 0x400;
	g[NATIVE_EDI] = d + 0x800;
	uint16_t fcw = 0x37f;
	uint32_t mxcsr = 0x1f80;
	memcpy(&in->st.fxsave[NATIVE_FX_FCW], &fcw, 2);
	memcpy(&in->st.fxsave[NATIVE_FX_MXCSR], &mxcsr, 4);
	for (unsigned i = 0; i < DT_DATA_SIZE; i++)
		in->data[i] = (uint8_t)((i * 131 + 7) ^ (i >> 8));
	memcpy(in->data, doubles, sizeof(doubles));
	memcpy(in->data + 0x80, floats, sizeof(floats));
	memcpy(in->data + 0xc0, ints, sizeof(ints));
}

/* ST0..ST7 = the doubles (as 80-bit values) with TOP = 8 - n, n valid. */
static void fpu_stack(struct dt_input *in, unsigned n, unsigned first)
{
	uint16_t fsw = (uint16_t)(((8 - n) & 7) << 11);
	memcpy(&in->st.fxsave[2], &fsw, 2);
	in->st.fxsave[4] = (uint8_t)(0xff00u >> n);   /* physical registers 8-n..7 valid */
	for (unsigned i = 0; i < 8; i++) {
		long double v = doubles[(first + i) % 16];
		memset(&in->st.fxsave[NATIVE_FX_ST(i)], 0, 16);
		if (i < n)
			memcpy(&in->st.fxsave[NATIVE_FX_ST(i)], &v, 10);
	}
}

static void set_u16(uint8_t *p, uint16_t v) { memcpy(p, &v, 2); }
static void set_u32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }

unsigned dt_seed_count(uint32_t seeds)
{
	switch (seeds) {
	case DT_SEEDS_ALU2:   return NINT * NINT * 2;
	case DT_SEEDS_ALU1:   return NINT * 4;
	case DT_SEEDS_SHIFT:  return BT_ARRAY_SIZE(shift_values) * BT_ARRAY_SIZE(shift_counts) * 2;
	case DT_SEEDS_DIV:    return BT_ARRAY_SIZE(div_cases) * 2;
	case DT_SEEDS_FLAGS:  return 64;
	case DT_SEEDS_COUNT:  return BT_ARRAY_SIZE(counts) * 2;
	case DT_SEEDS_COUNT_NF: return BT_ARRAY_SIZE(counts_nf) * 2;
	case DT_SEEDS_BITMEM: return BT_ARRAY_SIZE(bit_offsets);
	case DT_SEEDS_FPU:    return 14;
	case DT_SEEDS_SSE:    return 16;
	case DT_SEEDS_RANDOM: return 32;
	default:              return 1;    /* DT_SEEDS_ONE, DT_SEEDS_ABS */
	}
}

static const uint32_t flag_bits[6] = {
	X86_FL_CF, X86_FL_PF, X86_FL_AF, X86_FL_ZF, X86_FL_SF, X86_FL_OF,
};

static uint32_t flags_from_bits(unsigned k)
{
	uint32_t f = 0;
	for (unsigned i = 0; i < 6; i++)
		if (k & (1u << i))
			f |= flag_bits[i];
	return f;
}

static void seed_fpu(struct dt_input *in, unsigned k)
{
	static const unsigned depth[3] = { 0, 8, 3 };
	uint16_t fcw = 0x37f;
	if (k < 12)
		fcw = (uint16_t)(fcw | ((k & 3) << 10));          /* rounding control */
	else
		fcw = (uint16_t)((fcw & ~0x300) | (k == 12 ? 0 : 0x200)); /* precision: single, double */
	set_u16(&in->st.fxsave[NATIVE_FX_FCW], fcw);
	fpu_stack(in, depth[(k / 4) % 3], k);
}

static void seed_sse(struct dt_input *in, unsigned k)
{
	static const uint32_t mxcsr[4] = { 0x1f80, 0x3f80, 0x5f80, 0x9fc0 }; /* RN, RD, RU, RN+FTZ+DAZ */
	set_u32(&in->st.fxsave[NATIVE_FX_MXCSR], mxcsr[k & 3]);
	for (unsigned i = 0; i < 8; i++) {
		uint8_t *x = &in->st.fxsave[NATIVE_FX_XMM(i)];
		uint64_t r = mix(k * 8 + i);
		switch ((k + i) % 3) {
		case 0:    /* two doubles */
			memcpy(x, &doubles[r % 16], 8);
			memcpy(x + 8, &doubles[(r >> 8) % 16], 8);
			break;
		case 1:    /* four floats */
			for (unsigned j = 0; j < 4; j++)
				memcpy(x + 4 * j, &floats[(r >> (8 * j)) % 16], 4);
			break;
		default:   /* integers */
			memcpy(x, &r, 8);
			r = mix(r);
			memcpy(x + 8, &r, 8);
		}
		memcpy(&in->st.fxsave[NATIVE_FX_ST(i)], x, 8);   /* MMi: the low 64 bits */
	}
}

void dt_seed_state(const struct dt_ctx *c, uint32_t seeds, unsigned k, struct dt_input *in)
{
	dt_base_state(c, in);
	uint32_t *g = in->st.gpr;
	switch (seeds) {
	case DT_SEEDS_ALU2:
		g[NATIVE_EAX] = interesting[k % NINT];
		g[NATIVE_ECX] = interesting[(k / NINT) % NINT];
		in->st.eflags = k >= NINT * NINT ? X86_FL_ARITH : 0;
		break;
	case DT_SEEDS_ALU1:
		g[NATIVE_EAX] = interesting[k % NINT];
		g[NATIVE_ECX] = interesting[(k * 7 + 3) % NINT];
		g[NATIVE_EDX] = interesting[(k * 5 + 1) % NINT];
		in->st.eflags = flags_from_bits((unsigned[]){ 0, 0x3f, 0x01, 0x3e }[k / NINT]);
		break;
	case DT_SEEDS_SHIFT: {
		unsigned nv = BT_ARRAY_SIZE(shift_values), nc = BT_ARRAY_SIZE(shift_counts);
		g[NATIVE_EAX] = shift_values[k % nv];
		g[NATIVE_ECX] = shift_counts[(k / nv) % nc];
		g[NATIVE_EDX] = 0xa5a5c3c3;
		in->st.eflags = k >= nv * nc ? X86_FL_ARITH : 0;
		break;
	}
	case DT_SEEDS_DIV: {
		const uint32_t *d = div_cases[k % BT_ARRAY_SIZE(div_cases)];
		g[NATIVE_EDX] = d[0];
		g[NATIVE_EAX] = d[1];
		g[NATIVE_ECX] = d[2];
		in->st.eflags = k >= BT_ARRAY_SIZE(div_cases) ? X86_FL_ARITH : 0;
		break;
	}
	case DT_SEEDS_FLAGS:
		in->st.eflags = flags_from_bits(k);
		break;
	case DT_SEEDS_COUNT:
		g[NATIVE_ECX] = counts[k % BT_ARRAY_SIZE(counts)];
		in->st.eflags = k >= BT_ARRAY_SIZE(counts) ? X86_FL_DF : 0;
		break;
	case DT_SEEDS_COUNT_NF:
		g[NATIVE_ECX] = counts_nf[k % BT_ARRAY_SIZE(counts_nf)];
		in->st.eflags = k >= BT_ARRAY_SIZE(counts_nf) ? X86_FL_DF : 0;
		break;
	case DT_SEEDS_BITMEM:
		g[NATIVE_ECX] = bit_offsets[k];
		in->st.eflags = X86_FL_CF;
		break;
	case DT_SEEDS_FPU:
		seed_fpu(in, k);
		break;
	case DT_SEEDS_SSE:
		seed_sse(in, k);
		break;
	case DT_SEEDS_RANDOM: {
		uint64_t r = mix(k + 0x1000);
		g[NATIVE_EAX] = (uint32_t)r;
		g[NATIVE_ECX] = (uint32_t)(r >> 32);
		r = mix(r);
		g[NATIVE_EDX] = (uint32_t)r;
		in->st.eflags = (uint32_t)(r >> 32) & X86_FL_ARITH;
		break;
	}
	default:
		break;
	}
}

/* The tables of the .S files in one array (each ends with a NULL name). */
static struct dt_case *join(const struct dt_case *const *tables, unsigned ntables, unsigned *n)
{
	unsigned total = 0;
	for (unsigned t = 0; t < ntables; t++)
		for (const struct dt_case *k = tables[t]; k->name; k++)
			total++;
	struct dt_case *all = calloc(total, sizeof(*all));
	if (!all)
		abort();
	*n = 0;
	for (unsigned t = 0; t < ntables; t++)
		for (const struct dt_case *k = tables[t]; k->name; k++)
			all[(*n)++] = *k;
	return all;
}

const struct dt_case *dt_curated(unsigned *n)
{
	static const struct dt_case *const tables[] = { dt_cases_alu, dt_cases_mem, dt_cases_fpu };
	static struct dt_case *all;
	static unsigned count;
	if (!all)
		all = join(tables, BT_ARRAY_SIZE(tables), &count);
	*n = count;
	return all;
}

const struct dt_case *dt_known(unsigned *n)
{
	static const struct dt_case *const tables[] = { dt_cases_known };
	static struct dt_case *all;
	static unsigned count;
	if (!all)
		all = join(tables, BT_ARRAY_SIZE(tables), &count);
	*n = count;
	return all;
}

unsigned dt_run_case(struct dt_ctx *c, const struct dt_case *k, FILE *log, unsigned max_reports,
		     unsigned *runs)
{
	static struct dt_input in;
	static struct dt_result r;
	uint32_t len = (uint32_t)(k->end - k->code);
	unsigned bad = 0;
	*runs = 0;
	if (k->seeds == DT_SEEDS_ABS && dt_data_addr(c) != DT_DATA_ADDR)
		return 0;    /* the data area is not where the absolute addresses point */
	for (unsigned s = 0; s < dt_seed_count(k->seeds); s++) {
		dt_seed_state(c, k->seeds, s, &in);
		in.ign_off = k->ign_off;
		in.ign_len = k->ign_len;
		int v = dt_check(c, k->code, len, &in, &r);
		++*runs;
		if (v == 0)
			continue;
		bad++;
		if (log && bad <= max_reports) {
			char title[128];
			snprintf(title, sizeof(title), "MISMATCH curated %s, seed class %u #%u%s", k->name, k->seeds, s,
				 v < 0 ? " (input refused)" : "");
			dt_report(log, c, title, k->code, len, &in, &r);
		}
	}
	return bad;
}

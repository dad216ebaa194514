/*
 * loop.c — the timed loop of `btmon bench`, emitted as 32-bit machine code
 * around a block. The translated and the trap-and-emulate modes run this same
 * program (the native mode has the native runner's equivalent loop,
 * native_time), so the three measure the same thing:
 *
 *   page 0:   setup                               once
 *   outer:    counter = iters ; lfence ; rdtsc -> ctl.t0[rep] ; lfence
 *             jmp block
 *   page 1:
 *   block:    <the block>
 *   tail:     mov [ecx_tmp],ecx ; mov ecx,[counter] ; lea ecx,[ecx-1]
 *             mov [counter],ecx ; jecxz done ; mov ecx,[ecx_tmp] ; jmp block
 *   done:     mov ecx,[ecx_tmp] ; lfence ; rdtsc -> ctl.t1[rep]
 *             rep += 1 ; reps -= 1 ; if reps != 0: jmp outer
 *             [xlat: cli, then the harness's HLT] [trap: fall off the end
 *             into the native runner's exit]
 *
 * The loop's own code is flag-free (MOV, LEA, JECXZ, JMP, LFENCE, RDTSC), and
 * it keeps ECX, EAX and EDX in the control block while it uses them, so the
 * block's state flows from one iteration to the next untouched. Under btmon
 * the inner loop is two translated blocks chained to each other: no exit to
 * the monitor per iteration unless the block itself exits.
 */
#include <assert.h>
#include <string.h>

#include "bench_int.h"

#define MODRM_ABS(reg) ((uint8_t)(0x05 | ((reg) << 3)))   /* [disp32] */

struct emit {
	uint8_t *buf, *p;
	uint32_t base;      /* 32-bit address of buf[0] */
};

static uint32_t here(const struct emit *e)
{
	return e->base + (uint32_t)(e->p - e->buf);
}

static void put8(struct emit *e, uint8_t b)
{
	*e->p++ = b;
}

static void put32(struct emit *e, uint32_t v)
{
	memcpy(e->p, &v, 4);
	e->p += 4;
}

static void put(struct emit *e, const void *b, size_t n)
{
	if (n > 0)              /* b may be NULL for an empty setup or block */
		memcpy(e->p, b, n);
	e->p += n;
}

static void store(struct emit *e, unsigned reg, uint32_t addr)   /* mov [addr], r32 */
{
	put8(e, 0x89);
	put8(e, MODRM_ABS(reg));
	put32(e, addr);
}

static void load(struct emit *e, unsigned reg, uint32_t addr)    /* mov r32, [addr] */
{
	put8(e, 0x8b);
	put8(e, MODRM_ABS(reg));
	put32(e, addr);
}

static void jmp(struct emit *e, uint32_t to)                     /* jmp rel32 */
{
	put8(e, 0xe9);
	put32(e, to - (here(e) + 4));
}

static void lfence(struct emit *e)
{
	put(e, "\x0f\xae\xe8", 3);
}

/* mov [addr + ecx*8], reg32 */
static void store_indexed(struct emit *e, unsigned reg, uint32_t addr)
{
	put8(e, 0x89);
	put8(e, (uint8_t)(0x04 | (reg << 3)));
	put8(e, 0xcd);          /* SIB: scale 8, index ECX, no base */
	put32(e, addr);
}

#define CTL(p, field) ((p)->ctl + (uint32_t)offsetof(struct bench_ctl, field))

/* EAX/EDX to the control block, RDTSC into ctl.{t0,t1}[rep], EAX/EDX back.
 * ECX is parked by the caller. */
static void stamp(struct emit *e, const struct bench_prog *p, uint32_t array)
{
	store(e, NATIVE_EAX, CTL(p, eax_tmp));
	store(e, NATIVE_EDX, CTL(p, edx_tmp));
	lfence(e);
	put(e, "\x0f\x31", 2);                          /* rdtsc */
	load(e, NATIVE_ECX, CTL(p, rep));
	store_indexed(e, NATIVE_EAX, array);
	store_indexed(e, NATIVE_EDX, array + 4);
	lfence(e);
	load(e, NATIVE_EAX, CTL(p, eax_tmp));
	load(e, NATIVE_EDX, CTL(p, edx_tmp));
}

/* Setup and the start of a repetition; returns the address of `outer`
 * (where each repetition starts). */
static uint32_t emit_head(struct emit *e, const struct bench_prog *p)
{
	put(e, p->setup, p->setup_len);
	uint32_t outer = here(e);
	store(e, NATIVE_ECX, CTL(p, ecx_tmp));
	load(e, NATIVE_ECX, CTL(p, iters));
	store(e, NATIVE_ECX, CTL(p, counter));
	stamp(e, p, CTL(p, t0));
	load(e, NATIVE_ECX, CTL(p, ecx_tmp));
	jmp(e, p->base + BENCH_BLOCK_OFF);
	return outer;
}

/* The counter after the block, the closing RDTSC and the repetition loop. */
static void emit_tail(struct emit *e, const struct bench_prog *p, uint32_t outer)
{
	uint32_t block = p->base + BENCH_BLOCK_OFF;

	store(e, NATIVE_ECX, CTL(p, ecx_tmp));
	load(e, NATIVE_ECX, CTL(p, counter));
	put(e, "\x8d\x49\xff", 3);                      /* lea ecx, [ecx-1] */
	store(e, NATIVE_ECX, CTL(p, counter));
	put(e, "\xe3\x0b", 2);                          /* jecxz done (past the next 11 bytes) */
	load(e, NATIVE_ECX, CTL(p, ecx_tmp));           /* 6 bytes */
	jmp(e, block);                                  /* 5 bytes */
	/* done: */
	stamp(e, p, CTL(p, t1));
	load(e, NATIVE_ECX, CTL(p, rep));
	put(e, "\x8d\x49\x01", 3);                      /* lea ecx, [ecx+1] */
	store(e, NATIVE_ECX, CTL(p, rep));
	/* ctl.reps counts down the repetitions still to run (ctl.rep counts up). */
	load(e, NATIVE_ECX, CTL(p, reps));
	put(e, "\x8d\x49\xff", 3);                      /* lea ecx, [ecx-1] */
	store(e, NATIVE_ECX, CTL(p, reps));
	put(e, "\xe3\x0b", 2);                          /* jecxz finish */
	load(e, NATIVE_ECX, CTL(p, ecx_tmp));
	jmp(e, outer);
	/* finish: */
	load(e, NATIVE_ECX, CTL(p, ecx_tmp));
	if (p->kind == BENCH_PROG_XLAT)
		put8(e, 0xfa);                          /* cli: IF=0 so the harness's HLT stops */
}

uint32_t bench_emit_loop(uint8_t *buf, const struct bench_prog *p)
{
	struct emit e = { buf, buf, p->base };

	if (p->setup_len > BENCH_SETUP_MAX || p->len > BENCH_BLOCK_MAX)
		return 0;
	uint32_t outer = emit_head(&e, p);
	/* INVARIANT: the head fits the first page (BENCH_SETUP_MAX leaves room). */
	assert(e.p <= buf + BENCH_BLOCK_OFF);
	memset(e.p, 0xcc, (size_t)(buf + BENCH_BLOCK_OFF - e.p));   /* int3: never reached */
	e.p = buf + BENCH_BLOCK_OFF;
	put(&e, p->code, p->len);
	emit_tail(&e, p, outer);
	return (uint32_t)(e.p - buf);
}

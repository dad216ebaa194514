/*
 * stubs.c — the 32-bit half of the mode switch, emitted as machine code into
 * a context's stub page when it is created, and the tail appended to each
 * block before it runs.
 *
 * All of it addresses the control block (struct native_low) through absolute
 * 32-bit addresses, so no register is needed for a base, and it uses only
 * instructions that leave EFLAGS alone (MOV, LEA, JECXZ, JMP, LFENCE, RDTSC)
 * except the deliberate POPFD/PUSHFD. The stub page holds, in order:
 *
 *   entry_timed32:  popfd ; lfence ; rdtsc ; mov [tsc0],eax ; mov [tsc0+4],edx
 *                   lfence ; jmp load
 *   entry32:        popfd                  ; ESP: just past the lretq frame
 *   load:           mov eax,[gpr_in] ... mov edi,[gpr_in+28]
 *                   mov esp,[gpr_in+16] ; jmp code
 *   exit_timed32:   lfence ; mov [gpr_out],eax ; mov [gpr_out+8],edx ; rdtsc
 *                   mov [tsc1],eax ; mov [tsc1+4],edx
 *                   mov eax,[gpr_out] ; mov edx,[gpr_out+8]   (falls through)
 *   exit32:         mov [gpr_out],eax ... mov [gpr_out+28],edi
 *                   mov esp,exit_stack_top ; pushfd ; pop [eflags_out]
 *                   push 0x33 ; push landing64 ; retf
 *   landing64:      (64-bit) mov rsp,[rip+host_rsp] ; jmp [rip+ret64]
 *
 * The block never runs on the runner's stacks: the exit stub switches to its
 * own before PUSHFD, so memory below the block's ESP is left untouched.
 */
#include <string.h>

#include "native_int.h"

/* ModRM byte for [disp32] (mod 00, r/m 101) with `reg` in the reg field. */
#define MODRM_ABS(reg) ((uint8_t)(0x05 | ((reg) << 3)))

struct emit {
	uint8_t *p;
};

static uint32_t here(const struct emit *e)
{
	return native_a32(e->p);
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

static void put_bytes(struct emit *e, const void *b, size_t n)
{
	memcpy(e->p, b, n);
	e->p += n;
}

/* mov [addr], reg32 */
static void emit_store(struct emit *e, unsigned reg, uint32_t addr)
{
	put8(e, 0x89);
	put8(e, MODRM_ABS(reg));
	put32(e, addr);
}

/* mov reg32, [addr] */
static void emit_load(struct emit *e, unsigned reg, uint32_t addr)
{
	put8(e, 0x8b);
	put8(e, MODRM_ABS(reg));
	put32(e, addr);
}

/* jmp rel32 to a 32-bit address */
static void emit_jmp(struct emit *e, uint32_t to)
{
	put8(e, 0xe9);
	put32(e, to - (here(e) + 4));
}

static void emit_lfence(struct emit *e)
{
	put_bytes(e, "\x0f\xae\xe8", 3);
}

/* rdtsc ; mov [at], eax ; mov [at+4], edx */
static void emit_rdtsc_to(struct emit *e, const uint64_t *at)
{
	put_bytes(e, "\x0f\x31", 2);
	emit_store(e, NATIVE_EAX, native_a32(at));
	emit_store(e, NATIVE_EDX, native_a32(at) + 4);
}

static void emit_entry(struct emit *e, struct native_ctx *c)
{
	struct native_low *l = c->low;

	c->stubs.entry_timed32 = here(e);
	put8(e, 0x9d);                                  /* popfd */
	emit_lfence(e);
	emit_rdtsc_to(e, &l->tsc0);
	emit_lfence(e);
	uint8_t *jmp_load = e->p;
	put_bytes(e, "\xeb\x00", 2);                    /* jmp load (rel8, below) */

	c->stubs.entry32 = here(e);
	put8(e, 0x9d);                                  /* popfd */
	jmp_load[1] = (uint8_t)(e->p - (jmp_load + 2));
	for (unsigned r = 0; r < 8; r++)                /* ESP last */
		if (r != NATIVE_ESP)
			emit_load(e, r, native_a32(&l->gpr_in[r]));
	emit_load(e, NATIVE_ESP, native_a32(&l->gpr_in[NATIVE_ESP]));
	emit_jmp(e, native_a32(c->code));
}

static void emit_exit(struct emit *e, struct native_ctx *c, uint32_t landing64)
{
	struct native_low *l = c->low;

	c->stubs.exit_timed32 = here(e);
	emit_lfence(e);
	emit_store(e, NATIVE_EAX, native_a32(&l->gpr_out[NATIVE_EAX]));
	emit_store(e, NATIVE_EDX, native_a32(&l->gpr_out[NATIVE_EDX]));
	emit_rdtsc_to(e, &l->tsc1);
	emit_load(e, NATIVE_EAX, native_a32(&l->gpr_out[NATIVE_EAX]));
	emit_load(e, NATIVE_EDX, native_a32(&l->gpr_out[NATIVE_EDX]));

	c->stubs.exit32 = here(e);
	for (unsigned r = 0; r < 8; r++)
		emit_store(e, r, native_a32(&l->gpr_out[r]));
	put8(e, 0xbc);                                  /* mov esp, imm32 */
	put32(e, native_a32(&l->exit_stack[BT_ARRAY_SIZE(l->exit_stack)]));
	put8(e, 0x9c);                                  /* pushfd */
	put8(e, 0x8f);                                  /* pop dword [eflags_out] */
	put8(e, MODRM_ABS(0));
	put32(e, native_a32(&l->eflags_out));
	put_bytes(e, "\x6a", 1);                        /* push NATIVE_SEL_CS64 */
	put8(e, NATIVE_SEL_CS64);
	put8(e, 0x68);                                  /* push imm32 */
	put32(e, landing64);
	put8(e, 0xcb);                                  /* retf */
}

/* 64-bit code: mov rsp, [rip+host_rsp] ; jmp [rip+ret64] */
static void emit_landing(struct emit *e, struct native_ctx *c)
{
	struct native_low *l = c->low;

	c->stubs.landing64 = here(e);
	put_bytes(e, "\x48\x8b\x25", 3);
	put32(e, native_a32(&l->host_rsp) - (here(e) + 4));
	put_bytes(e, "\xff\x25", 2);
	put32(e, native_a32(&l->ret64) - (here(e) + 4));
}

/* Emit the stubs into `page` (writable; the caller makes it executable). */
void native_emit_stubs(struct native_ctx *c, uint8_t *page)
{
	struct emit e = { page };
	uint32_t landing_at = native_a32(page) + 3072; /* fixed, past the 32-bit stubs */

	emit_entry(&e, c);
	emit_exit(&e, c, landing_at);
	e.p = page + 3072;
	emit_landing(&e, c);
}

/* Append `jmp exit32` after the len-byte block in the code area; returns the
 * tail's length. */
uint32_t native_emit_tail(struct native_ctx *c, uint32_t len)
{
	struct emit e = { c->code + len };

	emit_jmp(&e, c->stubs.exit32);
	return (uint32_t)(e.p - (c->code + len));
}

/*
 * Append the native_time loop after the block, flag-free and register-free
 * (ECX is parked in memory while the counter passes through it):
 *	mov [ecx_tmp],ecx ; mov ecx,[counter] ; lea ecx,[ecx-1] ; mov [counter],ecx
 *	jecxz done ; mov ecx,[ecx_tmp] ; jmp code
 * done: mov ecx,[ecx_tmp] ; jmp exit_timed32
 */
uint32_t native_emit_loop_tail(struct native_ctx *c, uint32_t len)
{
	struct native_low *l = c->low;
	struct emit e = { c->code + len };

	emit_store(&e, NATIVE_ECX, native_a32(&l->ecx_tmp));
	emit_load(&e, NATIVE_ECX, native_a32(&l->counter));
	put_bytes(&e, "\x8d\x49\xff", 3);               /* lea ecx, [ecx-1] */
	emit_store(&e, NATIVE_ECX, native_a32(&l->counter));
	put_bytes(&e, "\xe3\x0b", 2);                   /* jecxz +11 (the next two) */
	emit_load(&e, NATIVE_ECX, native_a32(&l->ecx_tmp));    /* 6 bytes */
	emit_jmp(&e, native_a32(c->code));                      /* 5 bytes */
	emit_load(&e, NATIVE_ECX, native_a32(&l->ecx_tmp));
	emit_jmp(&e, c->stubs.exit_timed32);
	return (uint32_t)(e.p - (c->code + len));
}

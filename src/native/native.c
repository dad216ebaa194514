/*
 * native.c — contexts (low memory for code, data and stack), and the two
 * ways to run a block natively: once (native_run, the differential tests'
 * oracle) or in a loop under RDTSC (native_time, `btmon bench`).
 *
 * A run: copy the block into the code area and append a tail (stubs.c), put
 * the input GPRs, EFLAGS and x87/SSE state into the control block, install
 * the fault handlers (faults.c), and call native_enter (switch.S), which far-
 * returns into the 32-bit entry stub. The block ends by falling into its
 * tail, which jumps to the exit stub; or it faults, and the handler makes the
 * thread resume in native_ret64 instead. Either way native_enter returns with
 * the final state in the control block.
 */
#include <errno.h>
#include <pthread.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "native_int.h"

_Static_assert(offsetof(struct native_low, fx) == NL_FX, "NL_FX");
_Static_assert(offsetof(struct native_low, host_fx) == NL_HOST_FX, "NL_HOST_FX");
_Static_assert(offsetof(struct native_low, host_rsp) == NL_HOST_RSP, "NL_HOST_RSP");
_Static_assert(offsetof(struct native_low, ret64) == NL_RET64, "NL_RET64");
_Static_assert(offsetof(struct native_low, host_ds) == NL_HOST_DS, "NL_HOST_DS");
_Static_assert(offsetof(struct native_low, host_es) == NL_HOST_ES, "NL_HOST_ES");
_Static_assert(offsetof(struct native_low, has_avx) == NL_HAS_AVX, "NL_HAS_AVX");
_Static_assert(sizeof(struct native_low) <= BT_PAGE_SIZE, "control block fits a page");

/* Where the low reservation goes when that is free (MAP_32BIT otherwise):
 * a fixed address makes block addresses the same from run to run. */
#define PREFERRED_BASE 0x10000000u

/* Offsets of the areas in the reservation; guard pages between them. */
#define OFF_LOW   0u
#define OFF_STUBS BT_PAGE_SIZE
#define OFF_CODE  (3u * BT_PAGE_SIZE)
#define OFF_DATA  (OFF_CODE + NATIVE_CODE_SIZE + BT_PAGE_SIZE)

/* Process-wide: the fault handlers of a run are process-wide. */
static pthread_mutex_t run_lock = PTHREAD_MUTEX_INITIALIZER;

static bt_status map_low(size_t size, uint8_t **out)
{
	int flags = MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE;
	void *p = mmap((void *)(uintptr_t)PREFERRED_BASE, size, PROT_NONE,
		       flags | MAP_FIXED_NOREPLACE, -1, 0);
	if (p != MAP_FAILED && p != (void *)(uintptr_t)PREFERRED_BASE) {
		munmap(p, size);        /* a kernel that took the address as a hint */
		p = MAP_FAILED;
	}
	if (p == MAP_FAILED)
		p = mmap(NULL, size, PROT_NONE, flags | MAP_32BIT, -1, 0);
	if (p == MAP_FAILED)
		return BT_ERR_HOST;
	if ((uintptr_t)p + size > ((uintptr_t)1 << 32)) {
		munmap(p, size);
		errno = ENOMEM;
		return BT_ERR_HOST;
	}
	*out = p;
	return BT_OK;
}

static bt_status protect(void *p, size_t size, int prot)
{
	return mprotect(p, size, prot) == 0 ? BT_OK : BT_ERR_HOST;
}

/* FXRSTOR raises #GP for MXCSR bits outside the CPU's MXCSR_MASK (SDM Vol. 1
 * §11.6.6); that would fault in the runner itself, so refuse them here. */
static uint32_t host_mxcsr_mask(void)
{
	uint8_t fx[512] __attribute__((aligned(16)));
	uint32_t mask;

	memset(fx, 0, sizeof(fx));
	__asm__ volatile("fxsave %0" : "=m"(fx));
	memcpy(&mask, &fx[28], sizeof(mask));
	return mask != 0 ? mask : 0xffbf;  /* 0: a CPU that stores no mask */
}

/* Give the areas their protections and emit the stubs. */
static bt_status setup_areas(struct native_ctx *c)
{
	uint8_t *stubs = c->base + OFF_STUBS;
	bt_status s;

	if ((s = protect(c->base + OFF_LOW, BT_PAGE_SIZE, PROT_READ | PROT_WRITE)) ||
	    (s = protect(stubs, BT_PAGE_SIZE, PROT_READ | PROT_WRITE)) ||
	    (s = protect(c->code, NATIVE_CODE_SIZE, PROT_READ | PROT_WRITE | PROT_EXEC)) ||
	    (s = protect(c->data, c->data_size, PROT_READ | PROT_WRITE)) ||
	    (s = protect(c->stack, NATIVE_STACK_SIZE, PROT_READ | PROT_WRITE)))
		return s;
	c->mxcsr_mask = host_mxcsr_mask();
	c->low->ret64 = (uint64_t)(uintptr_t)native_ret64;
	c->low->has_avx = __builtin_cpu_supports("avx") ? 1 : 0;
	native_emit_stubs(c, stubs);
	return protect(stubs, BT_PAGE_SIZE, PROT_READ | PROT_EXEC);
}

bt_status native_new(struct native_ctx **out, uint32_t data_size)
{
	if (data_size > NATIVE_DATA_MAX)
		return BT_ERR_INVAL;
	uint32_t data_pages = data_size == 0 ? BT_PAGE_SIZE
					     : (data_size + BT_PAGE_SIZE - 1) & BT_PAGE_MASK;
	struct native_ctx *c = calloc(1, sizeof(*c));
	if (c == NULL)
		return BT_ERR_NOMEM;
	c->size = OFF_DATA + data_pages + BT_PAGE_SIZE + NATIVE_STACK_SIZE + BT_PAGE_SIZE;
	bt_status s = map_low(c->size, &c->base);
	if (s != BT_OK)
		goto fail_ctx;
	c->low = (struct native_low *)(c->base + OFF_LOW);
	c->code = c->base + OFF_CODE;
	c->data = c->base + OFF_DATA;
	c->data_size = data_pages;
	c->stack = c->data + data_pages + BT_PAGE_SIZE;
	if ((s = setup_areas(c)) != BT_OK)
		goto fail_map;
	c->altstack = mmap(NULL, NATIVE_ALTSTACK_SIZE, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (c->altstack == MAP_FAILED) {
		s = BT_ERR_HOST;
		goto fail_map;
	}
	*out = c;
	return BT_OK;

fail_map:
	munmap(c->base, c->size);
fail_ctx:
	free(c);
	return s;
}

void native_free(struct native_ctx *c)
{
	if (c == NULL)
		return;
	munmap(c->altstack, NATIVE_ALTSTACK_SIZE);
	munmap(c->base, c->size);
	free(c);
}

uint32_t native_code_addr(const struct native_ctx *c) { return native_a32(c->code); }
uint32_t native_data_addr(const struct native_ctx *c) { return native_a32(c->data); }
uint32_t native_data_size(const struct native_ctx *c) { return c->data_size; }
uint8_t *native_data(struct native_ctx *c) { return c->data; }

uint32_t native_stack_top(const struct native_ctx *c)
{
	return native_a32(c->stack) + NATIVE_STACK_SIZE;
}

void native_state_init(const struct native_ctx *c, struct native_state *s)
{
	memset(s, 0, sizeof(*s));
	s->gpr[NATIVE_ESP] = native_stack_top(c);
	uint16_t fcw = 0x37f;
	uint32_t mxcsr = 0x1f80;
	memcpy(&s->fxsave[NATIVE_FX_FCW], &fcw, sizeof(fcw));
	memcpy(&s->fxsave[NATIVE_FX_MXCSR], &mxcsr, sizeof(mxcsr));
}

/* Whether FXRSTOR would accept the MXCSR of the FXSAVE image fx. */
static bool mxcsr_valid(const struct native_ctx *c, const uint8_t *fx)
{
	uint32_t mxcsr;

	memcpy(&mxcsr, &fx[NATIVE_FX_MXCSR], sizeof(mxcsr));
	return (mxcsr & ~c->mxcsr_mask) == 0;
}

/* Run the block already in the code area (its tail emitted) from *in,
 * entering through the stub at `entry`. Fills *out and *fault (if not NULL).
 * INVARIANT: the fault handlers are ours exactly while native_enter runs,
 * under run_lock. */
static bt_status run_block(struct native_ctx *c, uint32_t entry,
			   const struct native_state *in, struct native_state *out,
			   struct native_fault *fault)
{
	struct native_low *l = c->low;

	memcpy(l->gpr_in, in->gpr, sizeof(l->gpr_in));
	memcpy(l->fx, in->fxsave, sizeof(l->fx));
	l->entry_frame[0] = entry;
	l->entry_frame[1] = NATIVE_SEL_CS32;
	l->entry_frame[2] = (in->eflags & NATIVE_EFLAGS_MASK) | X86_FL_FIXED1;
	memset(&c->fault, 0, sizeof(c->fault));

	pthread_mutex_lock(&run_lock);
	bt_status s = native_faults_install(c);
	if (s == BT_OK) {
		native_enter(l, (uint64_t)(uintptr_t)&l->entry_frame[0]);
		native_faults_restore();
	}
	pthread_mutex_unlock(&run_lock);
	if (s != BT_OK)
		return s;

	memcpy(out->gpr, l->gpr_out, sizeof(out->gpr));
	out->eflags = l->eflags_out & NATIVE_EFLAGS_MASK;
	memcpy(out->fxsave, l->fx, sizeof(out->fxsave));
	if (fault != NULL)
		*fault = c->fault;
	return BT_OK;
}

/* The arguments native_run and native_time share. */
static bt_status check_block(const struct native_ctx *c, const void *code, uint32_t len,
			     const struct native_state *in)
{
	if (len > NATIVE_CODE_MAX || (code == NULL && len > 0))
		return BT_ERR_INVAL;
	return mxcsr_valid(c, in->fxsave) ? BT_OK : BT_ERR_INVAL;
}

bt_status native_run(struct native_ctx *c, const void *code, uint32_t len,
		     const struct native_state *in, struct native_state *out,
		     struct native_fault *fault)
{
	bt_status s = check_block(c, code, len, in);
	if (s != BT_OK)
		return s;
	if (len > 0)
		memcpy(c->code, code, len);
	native_emit_tail(c, len);
	return run_block(c, c->stubs.entry32, in, out, fault);
}

bt_status native_time(struct native_ctx *c, const void *code, uint32_t len,
		      const struct native_state *in, uint32_t iterations,
		      uint64_t *cycles, struct native_state *out,
		      struct native_fault *fault)
{
	bt_status s = check_block(c, code, len, in);
	if (s != BT_OK)
		return s;
	if (iterations == 0)
		return BT_ERR_INVAL;
	if (len > 0)
		memcpy(c->code, code, len);
	native_emit_loop_tail(c, len);
	c->low->counter = iterations;
	c->low->tsc0 = c->low->tsc1 = 0;

	struct native_state end;
	struct native_fault f;
	if ((s = run_block(c, c->stubs.entry_timed32, in, &end, &f)) != BT_OK)
		return s;
	if (out != NULL)
		*out = end;
	if (fault != NULL)
		*fault = f;
	if (f.signo != 0) {
		*cycles = 0;
		return fault != NULL ? BT_OK : BT_ERR_INVAL;
	}
	*cycles = c->low->tsc1 - c->low->tsc0;
	return BT_OK;
}

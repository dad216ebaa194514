/*
 * modes.c — one block measured three ways, the way `btmon bench` reports it:
 *
 *   native      native_time (src/native): the block in a loop on the host CPU,
 *               32-bit compatibility mode, CPL 3;
 *   translated  loop.c's program run by btmon's translator and cache in the
 *               differential harness (harness.h: a small paged machine at
 *               CPL 0), laid out so the block sits at the native runner's
 *               code address and sees the same data and stack addresses;
 *   trap        the same program under the miniature trap-and-emulate
 *               monitor (trap.h): natively again, with a fault hook.
 *
 * Every mode times `reps + 1` repetitions of `iterations` iterations with
 * RDTSC (the first is a warm-up: it also pays for translation), takes the
 * median, and subtracts the median of the empty loop timed the same way.
 * Probes (catalogue.c) then decide whether the trap monitor was *correct*,
 * and bench_compare checks the translated block ends in the native state.
 */
#include <stdlib.h>
#include <string.h>

#include "btmon/x86.h"
#include "harness.h"
#include "trap.h"

struct bench_env {
	struct native_ctx *nc;
	struct harness *h;
	struct bench_trap *t;
	unsigned reps;                  /* timed repetitions, the warm-up not counted */
	bool cpuid_traps;
	uint8_t data[BENCH_SCRATCH_SIZE];          /* what every run's scratch starts as */
	uint8_t image[BENCH_DATA_SIZE] __attribute__((aligned(16)));  /* translated data area */
	uint8_t prog[BENCH_PROG_MAX];
};

/* One run of loop.c's program. */
struct loop_run {
	const uint8_t *setup, *code;
	uint32_t setup_len, len;
	uint32_t iters, reps;           /* reps: all repetitions, warm-up included */
};

struct loop_out {
	struct native_state state;
	struct native_fault fault;
	uint64_t ticks[BENCH_REPS_MAX]; /* per repetition */
	uint64_t traps;                 /* trap mode: instructions emulated */
	uint32_t vif;                   /* trap mode: the virtual IF at the end */
	char why[200];                  /* set when the run failed */
};

/* The standard entry state (bench_int.h): EBX data, EBP block, ESP stack. */
static void block_state(const struct bench_env *e, struct native_state *s, uint32_t block,
			uint32_t data, uint32_t stack_top)
{
	native_state_init(e->nc, s);
	s->gpr[NATIVE_EBX] = data;
	s->gpr[NATIVE_EBP] = block;
	s->gpr[NATIVE_ESP] = stack_top;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return (x > y) - (x < y);
}

/* Median of v[1..n-1]: the first repetition is the warm-up. */
static double median(const uint64_t *v, unsigned n)
{
	uint64_t s[BENCH_REPS_MAX];
	unsigned m = n - 1;

	memcpy(s, v + 1, m * sizeof(*s));
	qsort(s, m, sizeof(*s), cmp_u64);
	return m % 2 ? (double)s[m / 2] : ((double)s[m / 2 - 1] + (double)s[m / 2]) / 2;
}

/* Ticks per copy of the operation: per iteration over the empty loop's. */
static void set_ticks(struct bench_result *r, const uint64_t *blk, const uint64_t *empty,
		      unsigned n, uint32_t iters, uint32_t copies)
{
	r->ticks = (median(blk, n) - median(empty, n)) / iters / (copies ? copies : 1);
}

static const char *vector_name(uint32_t v)
{
	static const char *const names[] = { "#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD",
		"#NM", "#DF", "CSO", "#TS", "#NP", "#SS", "#GP", "#PF", "15", "#MF", "#AC",
		"#MC", "#XM" };
	return v < BT_ARRAY_SIZE(names) ? names[v] : "exception";
}

/* Where a fault happened: "block+0x12" inside the block (whose address
 * differs between modes), else the address (setup, or the loop's code). */
static const char *fault_place(char *buf, size_t n, uint32_t eip, uint32_t block, uint32_t len)
{
	if (eip >= block && eip - block < len)
		snprintf(buf, n, "block+0x%x", eip - block);
	else
		snprintf(buf, n, "0x%08x, outside the block", eip);
	return buf;
}

/* ---- translated and trap runs of the loop program ---- */

static bool run_xlat(struct bench_env *e, const struct loop_run *r, struct loop_out *o)
{
	uint32_t data = native_data_addr(e->nc);
	struct bench_prog p = { BENCH_PROG_XLAT, native_code_addr(e->nc) - BENCH_BLOCK_OFF,
		data + BENCH_CTL_OFF, r->setup, r->setup_len, r->code, r->len };
	uint32_t len = bench_emit_loop(e->prog, &p);
	struct native_state in;

	o->why[0] = '\0';
	if (len == 0)
		return snprintf(o->why, sizeof(o->why), "block too long"), false;
	memset(e->image, 0, sizeof(e->image));
	memcpy(e->image, e->data, sizeof(e->data));
	struct bench_ctl *c = (struct bench_ctl *)(e->image + BENCH_CTL_OFF);
	c->iters = r->iters;
	c->reps = r->reps;
	block_state(e, &in, native_code_addr(e->nc), data, native_stack_top(e->nc));
	bt_status s = harness_run(e->h, e->prog, len, &in, &o->state, &o->fault, e->image, NULL);
	if (s != BT_OK) {
		snprintf(o->why, sizeof(o->why), "btmon stopped: %s", s == BT_ERR_UNSUPPORTED ?
			 harness_stop_reason(e->h) : bt_status_str(s));
		return false;
	}
	if (o->fault.signo != 0) {
		char at[48];
		snprintf(o->why, sizeof(o->why), "guest %s at %s", vector_name(o->fault.vector),
			 fault_place(at, sizeof(at), o->fault.eip, native_code_addr(e->nc), r->len));
		return false;
	}
	c = (struct bench_ctl *)harness_mem(e->h, data + BENCH_CTL_OFF, sizeof(*c));
	for (uint32_t i = 0; i < r->reps; i++)
		o->ticks[i] = c->t1[i] - c->t0[i];
	return true;
}

static bool run_trap(struct bench_env *e, const struct loop_run *r, struct loop_out *o)
{
	struct bench_prog p = { .setup = r->setup, .setup_len = r->setup_len,
				.code = r->code, .len = r->len };
	struct bench_vcpu *v = bench_trap_vcpu(e->t);
	struct bench_ctl *c = bench_trap_ctl(e->t);
	uint8_t *d = bench_trap_data(e->t);
	struct native_state in;

	o->why[0] = '\0';
	bench_trap_prog(e->t, &p);
	uint32_t len = bench_emit_loop(e->prog, &p);
	if (len == 0)
		return snprintf(o->why, sizeof(o->why), "block too long"), false;
	memset(d, 0, BENCH_DATA_SIZE);
	memcpy(d, e->data, sizeof(e->data));
	c->iters = r->iters;
	c->reps = r->reps;
	c->rep = 0;
	bench_vcpu_reset(v);
	block_state(e, &in, p.base + BENCH_BLOCK_OFF, bench_trap_data_addr(e->t),
		    bench_trap_stack_top(e->t));
	bt_status s = bench_trap_run(e->t, e->prog, len, &in, &o->state, &o->fault);
	o->traps = v->traps;
	o->vif = v->vif;
	if (s != BT_OK)
		return snprintf(o->why, sizeof(o->why), "%s", bt_status_str(s)), false;
	if (o->fault.signo != 0) {
		char at[48];
		snprintf(o->why, sizeof(o->why), "%s at %s, which the monitor cannot emulate",
			 vector_name(o->fault.vector), fault_place(at, sizeof(at), o->fault.eip,
			 p.base + BENCH_BLOCK_OFF, r->len));
		return false;
	}
	for (uint32_t i = 0; i < r->reps; i++)
		o->ticks[i] = c->t1[i] - c->t0[i];
	return true;
}

/* ---- the three modes ---- */

/* A native fault of the setup or the block (both run at the code address). */
static void native_fault_verdict(const struct bench_env *e, const struct native_fault *f,
				 const char *what, struct bench_result *r)
{
	uint32_t off = f->eip - native_code_addr(e->nc);

	if (f->vector == X86_EXC_GP) {
		r->status = BENCH_NA;
		snprintf(r->note, sizeof(r->note), "privileged: #GP at CPL 3 (%s+0x%x)", what, off);
	} else {
		r->status = BENCH_FAILED;
		snprintf(r->note, sizeof(r->note), "faults natively: %s at %s+0x%x",
			 vector_name(f->vector), what, off);
	}
}

/* The state a block starts from natively, after its setup. False: *r says. */
static bool native_start(struct bench_env *e, const struct bench_block *b,
			 struct native_state *in, struct bench_result *r)
{
	struct native_fault f;

	memcpy(native_data(e->nc), e->data, sizeof(e->data));
	block_state(e, in, native_code_addr(e->nc), native_data_addr(e->nc),
		    native_stack_top(e->nc));
	if (b->setup_len == 0)
		return true;
	if (native_run(e->nc, b->setup, b->setup_len, in, in, &f) != BT_OK) {
		r->status = BENCH_FAILED;
		snprintf(r->note, sizeof(r->note), "native runner refused the setup");
		return false;
	}
	if (f.signo != 0)
		native_fault_verdict(e, &f, "setup", r);
	return f.signo == 0;
}

static void measure_native(struct bench_env *e, const struct bench_block *b, uint32_t iters,
			   struct bench_result *r)
{
	uint64_t blk[BENCH_REPS_MAX], empty[BENCH_REPS_MAX];
	unsigned n = e->reps + 1;
	struct native_state in;
	struct native_fault f;

	if (!native_start(e, b, &in, r))
		return;
	for (unsigned i = 0; i < n; i++) {
		if (native_time(e->nc, NULL, 0, &in, iters, &empty[i], NULL, &f) != BT_OK ||
		    native_time(e->nc, b->code, b->len, &in, iters, &blk[i], NULL, &f) != BT_OK) {
			r->status = BENCH_FAILED;
			snprintf(r->note, sizeof(r->note), "native runner refused the block");
			return;
		}
		if (f.signo != 0)
			return native_fault_verdict(e, &f, "block", r);
	}
	set_ticks(r, blk, empty, n, iters, b->copies);
}

/* Translated or trap mode: the block's program, then the empty one. */
static bool measure_loop(struct bench_env *e, const struct bench_block *b, uint32_t iters,
			 bool trap, struct bench_result *r)
{
	unsigned n = e->reps + 1;
	struct loop_run run = { b->setup, b->code, b->setup_len, b->len, iters, n };
	struct loop_run none = { NULL, NULL, 0, 0, iters, n };
	static struct loop_out blk, empty;      /* large: not on the stack */
	bool ok = trap ? run_trap(e, &run, &blk) : run_xlat(e, &run, &blk);

	if (ok)
		ok = trap ? run_trap(e, &none, &empty) : run_xlat(e, &none, &empty);
	if (!ok) {
		r->status = BENCH_FAILED;
		snprintf(r->note, sizeof(r->note), "%s", blk.why[0] ? blk.why : empty.why);
		return false;
	}
	set_ticks(r, blk.ticks, empty.ticks, n, iters, b->copies);
	r->traps = (double)blk.traps / ((double)iters * n * (b->copies ? b->copies : 1));
	return true;
}

/* Run the block's probe both ways; an inconsistent trap run is INCORRECT. */
static void probe(struct bench_env *e, const struct bench_block *b, struct bench_result *r)
{
	struct loop_run run = { b->probe->code, NULL, b->probe->len, 0, 1, 1 };
	static struct loop_out x, t;
	char note[sizeof(r->note)];

	if (!run_xlat(e, &run, &x) || !run_trap(e, &run, &t)) {
		snprintf(r->note, sizeof(r->note), "probe failed: %s", x.why[0] ? x.why : t.why);
		return;
	}
	if (!b->probe->check(&t.state, &x.state, t.vif, note, sizeof(note))) {
		r->status = BENCH_INCORRECT;
		memcpy(r->note, note, sizeof(note));
	}
}

static void measure_trap(struct bench_env *e, const struct bench_block *b, uint32_t iters,
			 struct bench_result *r)
{
	if (!measure_loop(e, b, iters, true, r))
		return;
	if (r->traps >= 0.5)
		snprintf(r->note, sizeof(r->note), "%.0f trap%s per iteration (#GP at CPL 3, "
			 "emulated)", r->traps, r->traps >= 1.5 ? "s" : "");
	if (b->probe)
		probe(e, b, r);
}

void bench_measure(struct bench_env *e, const struct bench_block *b, uint32_t iterations,
		   struct bench_row *row)
{
	memset(row, 0, sizeof(*row));
	row->block = b;
	row->iterations = iterations;
	measure_native(e, b, iterations, &row->mode[BENCH_NATIVE]);
	measure_loop(e, b, iterations, false, &row->mode[BENCH_XLAT]);
	measure_trap(e, b, iterations, &row->mode[BENCH_TRAP]);
	row->same_state = b->sensitive ? -1 :
		bench_compare(e, b, iterations, row->diff, sizeof(row->diff));
}

int bench_compare(struct bench_env *e, const struct bench_block *b, uint32_t iterations,
		  char *diff, size_t diff_size)
{
	static const char *const names[8] = { "EAX", "ECX", "EDX", "EBX", "ESP", "EBP", "ESI", "EDI" };
	struct loop_run run = { b->setup, b->code, b->setup_len, b->len, iterations, 1 };
	static struct loop_out x;
	struct native_state in, nat;
	struct native_fault f;
	struct bench_result r;
	uint64_t ticks;

	diff[0] = '\0';
	if (!native_start(e, b, &in, &r) ||
	    native_time(e->nc, b->code, b->len, &in, iterations, &ticks, &nat, &f) != BT_OK ||
	    f.signo != 0 || !run_xlat(e, &run, &x))
		return -1;
	for (unsigned i = 0; i < 8; i++)
		if (nat.gpr[i] != x.state.gpr[i])
			return snprintf(diff, diff_size, "%s: native 0x%08x, translated 0x%08x",
					names[i], nat.gpr[i], x.state.gpr[i]), 0;
	if (nat.eflags != x.state.eflags)
		return snprintf(diff, diff_size, "EFLAGS: native 0x%08x, translated 0x%08x",
				nat.eflags, x.state.eflags), 0;
	const uint8_t *xd = harness_mem(e->h, native_data_addr(e->nc), BENCH_SCRATCH_SIZE);
	const uint8_t *nd = native_data(e->nc);
	for (uint32_t i = 0; i < BENCH_SCRATCH_SIZE; i++)
		if (nd[i] != xd[i])
			return snprintf(diff, diff_size, "data byte [EBX+0x%x]: native 0x%02x, "
					"translated 0x%02x", i, nd[i], xd[i]), 0;
	return 1;
}

bt_status bench_trap_once(struct bench_env *e, const uint8_t *code, uint32_t len,
			  struct native_state *out, struct native_fault *fault, uint32_t *vif)
{
	struct loop_run run = { code, NULL, len, 0, 1, 1 };
	static struct loop_out t;

	if (!run_trap(e, &run, &t) && t.fault.signo == 0)
		return BT_ERR_INVAL;
	*out = t.state;
	*fault = t.fault;
	*vif = t.vif;
	return BT_OK;
}

/* The trap monitor answers CPUID with btmon's virtual CPU: ask btmon. */
static void load_cpuid(struct bench_env *e)
{
	static const uint32_t leaves[BENCH_CPUID_LEAVES] = {
		0, 1, 2, 0x80000000u, 0x80000001u, 0x80000002u, 0x80000003u, 0x80000004u };
	struct bench_vcpu *v = bench_trap_vcpu(e->t);
	static struct loop_out x;
	uint8_t code[9] = { 0xb8, 0, 0, 0, 0, 0x31, 0xc9, 0x0f, 0xa2 };  /* mov eax, leaf ;
									     xor ecx, ecx ; cpuid */
	v->ncpuid = 0;
	for (unsigned i = 0; i < BENCH_CPUID_LEAVES; i++) {
		struct loop_run run = { code, NULL, sizeof(code), 0, 1, 1 };
		memcpy(&code[1], &leaves[i], 4);
		if (!run_xlat(e, &run, &x))
			continue;
		uint32_t *l = v->cpuid[v->ncpuid++];
		l[0] = leaves[i];
		l[1] = x.state.gpr[NATIVE_EAX];
		l[2] = x.state.gpr[NATIVE_EBX];
		l[3] = x.state.gpr[NATIVE_ECX];
		l[4] = x.state.gpr[NATIVE_EDX];
	}
}

/* The scratch pattern: every byte different from its neighbours. */
static void fill_pattern(uint8_t *d, uint32_t size)
{
	for (uint32_t i = 0; i < size; i += 4) {
		uint32_t w = (i / 4 + 1) * 0x9e3779b9u;
		memcpy(d + i, &w, 4);
	}
}

bt_status bench_env_new(struct bench_env **out, unsigned reps, bool cpuid_faulting,
			char *err, size_t err_size)
{
	struct bench_env *e = calloc(1, sizeof(*e));
	bt_status s;

	if (e == NULL)
		return snprintf(err, err_size, "out of memory"), BT_ERR_NOMEM;
	e->reps = reps < 1 ? 1 : reps > BENCH_REPS_MAX - 1 ? BENCH_REPS_MAX - 1 : reps;
	fill_pattern(e->data, sizeof(e->data));
	if ((s = native_new(&e->nc, BENCH_DATA_SIZE)) != BT_OK) {
		snprintf(err, err_size, "cannot set up the native runner: %s", bt_status_str(s));
		goto fail;
	}
	struct harness_layout l = {
		.code_addr = native_code_addr(e->nc) - BENCH_BLOCK_OFF, .code_size = BENCH_PROG_MAX,
		.data_addr = native_data_addr(e->nc), .data_size = native_data_size(e->nc),
		.stack_addr = native_stack_top(e->nc) - NATIVE_STACK_SIZE,
		.stack_size = NATIVE_STACK_SIZE };
	if ((s = harness_new(&e->h, &l)) != BT_OK) {
		snprintf(err, err_size, "cannot set up btmon's machine: %s", bt_status_str(s));
		goto fail;
	}
	if ((s = bench_trap_new(&e->t)) != BT_OK) {
		snprintf(err, err_size, "cannot set up the trap monitor: %s", bt_status_str(s));
		goto fail;
	}
	load_cpuid(e);
	e->cpuid_traps = bench_trap_cpuid_faulting(e->t, cpuid_faulting);
	*out = e;
	return BT_OK;

fail:
	bench_env_free(e);
	return s;
}

void bench_env_free(struct bench_env *e)
{
	if (e == NULL)
		return;
	bench_trap_free(e->t);
	harness_free(e->h);
	native_free(e->nc);
	free(e);
}

double bench_ticks_per_cycle(struct bench_env *e)
{
	/* add eax, ecx (x64): one core cycle each. Not add eax, imm: recent
	 * Intel cores fold immediate adds in the renamer (in 32-bit code). */
	static uint8_t adds[2 * 64];
	struct bench_block b = { .name = "adds", .code = adds, .len = sizeof(adds),
				 .copies = 64, .iterations = 20000 };
	struct bench_result r = { .status = BENCH_OK };

	for (unsigned i = 0; i < sizeof(adds); i += 2)
		memcpy(&adds[i], "\x01\xc8", 2);
	measure_native(e, &b, b.iterations, &r);
	return r.status == BENCH_OK ? r.ticks : 0;
}

bool bench_env_cpuid_traps(const struct bench_env *e)
{
	return e->cpuid_traps;
}

/*
 * test_native.c — the native runner (src/native): 32-bit blocks run on the
 * host CPU in compatibility mode, from a given state, back to a final state.
 *
 * A fault hook turns the runner into a small trap-and-emulate monitor: the
 * "fault hook" tests emulate HLT, CLI and (under CPUID faulting) CPUID.
 *
 * Blocks are hand-assembled 32-bit machine code (the assembly is beside each
 * byte string). Expected values are computed independently (flags of ADD from
 * their definitions, SDM Vol. 1 §3.4.3.1), never by running the runner twice.
 */
#include <check.h>
#include <cpuid.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>

#include "btmon/native.h"

#define DATA_SIZE 8192

static struct native_ctx *ctx;
static struct native_state in, out;
static struct native_fault fault;

static void setup(void)
{
	ck_assert_int_eq(native_new(&ctx, DATA_SIZE), BT_OK);
	native_state_init(ctx, &in);
	memset(&out, 0xcc, sizeof(out));
	memset(&fault, 0xcc, sizeof(fault));
}

static void teardown(void)
{
	native_free(ctx);
	ctx = NULL;
}

/* Run a string literal of code bytes; the run itself must succeed. */
#define RUN(bytes) \
	ck_assert_int_eq(native_run(ctx, bytes, sizeof(bytes) - 1, &in, &out, &fault), BT_OK)

static uint32_t code_at(uint32_t offset)
{
	return native_code_addr(ctx) + offset;
}

static void set_xmm(struct native_state *s, int i, const float v[4])
{
	memcpy(&s->fxsave[NATIVE_FX_XMM(i)], v, 16);
}

static void get_xmm(const struct native_state *s, int i, float v[4])
{
	memcpy(v, &s->fxsave[NATIVE_FX_XMM(i)], 16);
}

static uint32_t get_mxcsr(const struct native_state *s)
{
	uint32_t m;
	memcpy(&m, &s->fxsave[NATIVE_FX_MXCSR], 4);
	return m;
}

static uint64_t host_rflags(void)
{
	uint64_t f;
	__asm__ volatile("pushfq; popq %0" : "=r"(f));
	return f;
}

static uint32_t host_mxcsr(void)
{
	uint32_t m;
	__asm__ volatile("stmxcsr %0" : "=m"(m));
	return m;
}

static void set_host_mxcsr(uint32_t m)
{
	__asm__ volatile("ldmxcsr %0" : : "m"(m));
}

/* ---- registers ---------------------------------------------------------- */

START_TEST(test_mov_eax_42_sets_eax_and_leaves_the_other_registers_alone)
{
	for (int r = 0; r < 8; r++)
		if (r != NATIVE_ESP)
			in.gpr[r] = 0x11111111u * (uint32_t)(r + 1);
	RUN("\xb8\x2a\x00\x00\x00");                    /* mov eax, 42 */
	ck_assert_int_eq(fault.signo, 0);
	ck_assert_uint_eq(out.gpr[NATIVE_EAX], 42);
	for (int r = 1; r < 8; r++)
		ck_assert_uint_eq(out.gpr[r], in.gpr[r]);
	ck_assert_uint_eq(out.eflags, 0);
}
END_TEST

/* ADD's flags from their definitions, not from a CPU. */
static uint32_t add_flags(uint32_t a, uint32_t b)
{
	uint32_t r = a + b, f = 0;
	if ((uint64_t)a + b > UINT32_MAX)
		f |= X86_FL_CF;
	if (!__builtin_parity(r & 0xff))
		f |= X86_FL_PF;
	if ((a ^ b ^ r) & 0x10)
		f |= X86_FL_AF;
	if (r == 0)
		f |= X86_FL_ZF;
	if (r & 0x80000000u)
		f |= X86_FL_SF;
	if ((a ^ r) & (b ^ r) & 0x80000000u)
		f |= X86_FL_OF;
	return f;
}

static const uint32_t add_cases[][2] = {
	{ 0x7fffffff, 1 },       /* OF SF AF PF */
	{ 0xffffffff, 1 },       /* CF ZF AF PF */
	{ 0x80000000, 0x80000000 }, /* CF ZF OF PF */
	{ 3, 4 },                /* none */
	{ 0x0f, 0x01 },          /* AF */
};

START_TEST(test_add_eax_ebx_sets_the_flags_their_definitions_give)
{
	uint32_t a = add_cases[_i][0], b = add_cases[_i][1];
	in.gpr[NATIVE_EAX] = a;
	in.gpr[NATIVE_EBX] = b;
	in.eflags = X86_FL_ARITH;       /* all set before: ADD must compute each */
	RUN("\x01\xd8");                                /* add eax, ebx */
	ck_assert_uint_eq(out.gpr[NATIVE_EAX], a + b);
	ck_assert_uint_eq(out.eflags, add_flags(a, b));
}
END_TEST

START_TEST(test_the_first_add_case_is_of_sf_af_pf)
{
	ck_assert_uint_eq(add_flags(0x7fffffff, 1), X86_FL_OF | X86_FL_SF | X86_FL_AF | X86_FL_PF);
}
END_TEST

START_TEST(test_a_second_run_does_not_see_the_registers_of_the_first)
{
	/* mov eax..edi (not esp), -1 ; stc ; pcmpeqb xmm0, xmm0 */
	RUN("\xb8\xff\xff\xff\xff\xb9\xff\xff\xff\xff\xba\xff\xff\xff\xff"
	    "\xbb\xff\xff\xff\xff\xbd\xff\xff\xff\xff\xbe\xff\xff\xff\xff"
	    "\xbf\xff\xff\xff\xff\xf9\x66\x0f\x74\xc0");
	ck_assert_uint_eq(out.gpr[NATIVE_EDI], 0xffffffffu);
	ck_assert_uint_eq(out.eflags & X86_FL_CF, X86_FL_CF);

	RUN("\x90");                                    /* nop */
	ck_assert_int_eq(fault.signo, 0);
	ck_assert_mem_eq(out.gpr, in.gpr, sizeof(in.gpr));
	ck_assert_uint_eq(out.eflags, 0);
	float x[4];
	get_xmm(&out, 0, x);
	ck_assert(x[0] == 0 && x[1] == 0 && x[2] == 0 && x[3] == 0);
}
END_TEST

/* ---- memory and stack ---------------------------------------------------- */

START_TEST(test_a_store_to_the_data_area_is_visible_through_native_data)
{
	uint32_t at = native_data_addr(ctx) + 0x10;
	uint8_t code[] = { 0xa3, 0, 0, 0, 0 };          /* mov [at], eax */
	memcpy(&code[1], &at, 4);
	in.gpr[NATIVE_EAX] = 0xdeadbeef;
	ck_assert_int_eq(native_run(ctx, code, sizeof(code), &in, &out, &fault), BT_OK);
	ck_assert_int_eq(fault.signo, 0);
	uint32_t v;
	memcpy(&v, native_data(ctx) + 0x10, 4);
	ck_assert_uint_eq(v, 0xdeadbeef);
	ck_assert_ptr_eq(native_data(ctx), (uint8_t *)(uintptr_t)native_data_addr(ctx));
}
END_TEST

START_TEST(test_push_and_pop_use_the_given_esp)
{
	uint32_t esp = native_stack_top(ctx) - 0x100;
	in.gpr[NATIVE_ESP] = esp;
	in.gpr[NATIVE_EAX] = 0xaaaa5555;
	in.gpr[NATIVE_ECX] = 0x12345678;
	RUN("\x50\x5b\x51");                            /* push eax ; pop ebx ; push ecx */
	ck_assert_int_eq(fault.signo, 0);
	ck_assert_uint_eq(out.gpr[NATIVE_EBX], 0xaaaa5555);
	ck_assert_uint_eq(out.gpr[NATIVE_ESP], esp - 4);
	ck_assert_uint_eq(*(volatile uint32_t *)(uintptr_t)(esp - 4), 0x12345678);
}
END_TEST

START_TEST(test_a_store_straddling_the_end_of_the_data_area_faults_at_the_guard_page)
{
	uint32_t end = native_data_addr(ctx) + native_data_size(ctx);
	ck_assert_uint_eq(native_data_size(ctx), DATA_SIZE);
	in.gpr[NATIVE_EDX] = end - 2;
	RUN("\x89\x02");                                /* mov [edx], eax */
	ck_assert_int_eq(fault.signo, SIGSEGV);
	ck_assert_uint_eq(fault.vector, X86_EXC_PF);
	ck_assert_uint_eq(fault.addr, end);
	ck_assert_uint_eq(fault.error_code & 2, 2);     /* a write */
	ck_assert_uint_eq(fault.eip, code_at(0));
}
END_TEST

START_TEST(test_the_blocks_esp_need_not_point_at_memory)
{
	in.gpr[NATIVE_ESP] = 0x10;
	RUN("\x8d\x64\x24\x04");                        /* lea esp, [esp+4] */
	ck_assert_int_eq(fault.signo, 0);
	ck_assert_uint_eq(out.gpr[NATIVE_ESP], 0x14);
}
END_TEST

/* ---- EFLAGS -------------------------------------------------------------- */

START_TEST(test_df_given_on_entry_makes_lodsd_walk_down)
{
	uint32_t v = 0xfeedf00d;
	memcpy(native_data(ctx) + 8, &v, 4);
	in.gpr[NATIVE_ESI] = native_data_addr(ctx) + 8;
	in.eflags = X86_FL_DF;
	RUN("\xad");                                    /* lodsd */
	ck_assert_uint_eq(out.gpr[NATIVE_EAX], v);
	ck_assert_uint_eq(out.gpr[NATIVE_ESI], native_data_addr(ctx) + 4);
	ck_assert_uint_eq(out.eflags, X86_FL_DF);
}
END_TEST

START_TEST(test_df_set_by_the_block_is_reported_and_cleared_for_c)
{
	RUN("\xfd");                                    /* std */
	ck_assert_uint_eq(out.eflags, X86_FL_DF);
	ck_assert_uint_eq(host_rflags() & X86_FL_DF, 0);
	in.eflags = X86_FL_DF;
	RUN("\xfc");                                    /* cld */
	ck_assert_uint_eq(out.eflags, 0);
}
END_TEST

START_TEST(test_tf_ac_and_other_system_flags_are_never_set_on_entry)
{
	in.eflags = 0xffffffffu;
	RUN("\x9c\x58");                                /* pushfd ; pop eax */
	ck_assert_int_eq(fault.signo, 0);
	uint32_t f = out.gpr[NATIVE_EAX];
	ck_assert_uint_eq(f & (X86_FL_TF | X86_FL_AC | X86_FL_NT | X86_FL_ID), 0);
	ck_assert_uint_eq(f & NATIVE_EFLAGS_MASK, NATIVE_EFLAGS_MASK);
	ck_assert_uint_eq(out.eflags, NATIVE_EFLAGS_MASK);
}
END_TEST

/* ---- x87 / SSE ----------------------------------------------------------- */

START_TEST(test_addps_reads_and_writes_the_fxsave_image)
{
	static const float a[4] = { 1, 2, 3, 4 }, b[4] = { 10, 20, 30, 40 };
	set_xmm(&in, 0, a);
	set_xmm(&in, 1, b);
	RUN("\x0f\x58\xc1");                            /* addps xmm0, xmm1 */
	float r[4];
	get_xmm(&out, 0, r);
	ck_assert(r[0] == 11 && r[1] == 22 && r[2] == 33 && r[3] == 44);
	get_xmm(&out, 1, r);
	ck_assert(r[0] == 10 && r[3] == 40);
	ck_assert_uint_eq(get_mxcsr(&out), 0x1f80);
}
END_TEST

START_TEST(test_fld1_fadd_leaves_two_in_st0)
{
	RUN("\xd9\xe8\xd8\xc0");                        /* fld1 ; fadd st0, st0 */
	long double st0 = 0;
	memcpy(&st0, &out.fxsave[NATIVE_FX_ST(0)], 10);
	ck_assert(st0 == 2.0L);
}
END_TEST

START_TEST(test_the_blocks_mxcsr_is_used_and_the_callers_is_kept)
{
	uint32_t round_down = 0x3f80, caller = 0x5f80;  /* RC = 01, RC = 10 */
	memcpy(&in.fxsave[NATIVE_FX_MXCSR], &round_down, 4);
	static const float third[4] = { 1, 0, 0, 0 }, three[4] = { 3, 0, 0, 0 };
	set_xmm(&in, 0, third);
	set_xmm(&in, 1, three);
	set_host_mxcsr(caller);
	RUN("\xf3\x0f\x5e\xc1");                        /* divss xmm0, xmm1 */
	uint32_t after = host_mxcsr();
	set_host_mxcsr(0x1f80);
	ck_assert_uint_eq(after, caller);
	float r[4];
	get_xmm(&out, 0, r);
	ck_assert(r[0] < 1.0f / 3.0f);                  /* rounded down, not to nearest */
	ck_assert_uint_eq(get_mxcsr(&out), round_down | 0x20); /* + PE */
}
END_TEST

START_TEST(test_an_mxcsr_with_reserved_bits_is_refused)
{
	uint32_t bad = 0xffff1f80u;
	memcpy(&in.fxsave[NATIVE_FX_MXCSR], &bad, 4);
	ck_assert_int_eq(native_run(ctx, "\x90", 1, &in, &out, &fault), BT_ERR_INVAL);
}
END_TEST

/* ---- faults -------------------------------------------------------------- */

START_TEST(test_div_by_zero_reports_de_at_the_div_with_the_registers_there)
{
	in.gpr[NATIVE_EAX] = 100;
	in.gpr[NATIVE_EBX] = 0;
	RUN("\xb9\x34\x12\x00\x00\xf7\xf3\x40");        /* mov ecx, 0x1234 ; div ebx ; inc eax */
	ck_assert_int_eq(fault.signo, SIGFPE);
	ck_assert_uint_eq(fault.vector, X86_EXC_DE);
	ck_assert_uint_eq(fault.eip, code_at(5));
	ck_assert_uint_eq(out.gpr[NATIVE_ECX], 0x1234);
	ck_assert_uint_eq(out.gpr[NATIVE_EAX], 100);
	ck_assert_uint_eq(out.gpr[NATIVE_ESP], in.gpr[NATIVE_ESP]);
}
END_TEST

START_TEST(test_ud2_reports_ud)
{
	RUN("\x40\x0f\x0b");                            /* inc eax ; ud2 */
	ck_assert_int_eq(fault.signo, SIGILL);
	ck_assert_uint_eq(fault.vector, X86_EXC_UD);
	ck_assert_uint_eq(fault.eip, code_at(1));
	ck_assert_uint_eq(out.gpr[NATIVE_EAX], 1);
}
END_TEST

START_TEST(test_a_load_from_an_unmapped_low_address_reports_pf_with_the_address)
{
	RUN("\xa1\x10\x00\x00\x00");                    /* mov eax, [0x10] */
	ck_assert_int_eq(fault.signo, SIGSEGV);
	ck_assert_uint_eq(fault.vector, X86_EXC_PF);
	ck_assert_uint_eq(fault.addr, 0x10);
	ck_assert_uint_eq(fault.error_code & 7, 4);     /* user read, not present */
	ck_assert_uint_eq(fault.eip, code_at(0));
}
END_TEST

START_TEST(test_hlt_is_privileged_and_reports_gp)
{
	RUN("\x90\xf4");                                /* nop ; hlt */
	ck_assert_int_eq(fault.signo, SIGSEGV);
	ck_assert_uint_eq(fault.vector, X86_EXC_GP);
	ck_assert_uint_eq(fault.error_code, 0);
	ck_assert_uint_eq(fault.addr, 0);
	ck_assert_uint_eq(fault.eip, code_at(1));
}
END_TEST

START_TEST(test_int3_reports_bp_after_the_instruction)
{
	RUN("\xcc\x40");                                /* int3 ; inc eax */
	ck_assert_int_eq(fault.signo, SIGTRAP);
	ck_assert_uint_eq(fault.vector, X86_EXC_BP);
	ck_assert_uint_eq(fault.eip, code_at(1));
	ck_assert_uint_eq(out.gpr[NATIVE_EAX], 0);
}
END_TEST

START_TEST(test_a_fault_keeps_the_fpu_state_reached_before_it)
{
	static const float a[4] = { 1, 2, 3, 4 };
	set_xmm(&in, 0, a);
	in.eflags = X86_FL_DF;
	RUN("\x0f\x58\xc0\xf9\x0f\x0b");                /* addps xmm0, xmm0 ; stc ; ud2 */
	ck_assert_uint_eq(fault.vector, X86_EXC_UD);
	float r[4];
	get_xmm(&out, 0, r);
	ck_assert(r[0] == 2 && r[3] == 8);
	ck_assert_uint_eq(out.eflags, X86_FL_DF | X86_FL_CF);
	ck_assert_uint_eq(host_rflags() & X86_FL_DF, 0);
}
END_TEST

START_TEST(test_a_run_after_a_fault_works_and_reports_no_fault)
{
	RUN("\x0f\x0b");                                /* ud2 */
	ck_assert_int_eq(fault.signo, SIGILL);
	RUN("\xb8\x07\x00\x00\x00");                    /* mov eax, 7 */
	ck_assert_int_eq(fault.signo, 0);
	ck_assert_uint_eq(out.gpr[NATIVE_EAX], 7);
}
END_TEST

/* ---- the fault hook ------------------------------------------------------ */

/* What a test hook saw. */
struct hook_log {
	unsigned calls;
	struct native_trap last;    /* as offered, before the hook changed it */
};

/* A tiny trap-and-emulate monitor: HLT and CLI (#GP at CPL 3) add 100 to
 * EAX and set CF; CPUID (#GP under CPUID faulting) sets EBX to 0x12345678.
 * Anything else is declined, after scribbling on EAX (which must not stick). */
static bool emulate_some(void *opaque, struct native_trap *t)
{
	struct hook_log *log = opaque;
	const uint8_t *ip = (const uint8_t *)(uintptr_t)t->eip;

	log->calls++;
	log->last = *t;
	if (t->fault.vector == X86_EXC_GP && (ip[0] == 0xf4 || ip[0] == 0xfa)) {
		t->gpr[NATIVE_EAX] += 100;
		t->eflags |= X86_FL_CF;
		t->eip += 1;
		return true;
	}
	if (t->fault.vector == X86_EXC_GP && ip[0] == 0x0f && ip[1] == 0xa2) {
		t->gpr[NATIVE_EBX] = 0x12345678;
		t->eip += 2;
		return true;
	}
	t->gpr[NATIVE_EAX] = 0xdeadbeef;
	return false;
}

START_TEST(test_a_fault_hook_that_emulates_an_instruction_resumes_the_block_after_it)
{
	struct hook_log log = { 0 };
	native_set_fault_hook(ctx, emulate_some, &log);
	/* mov eax, 1 ; hlt ; add eax, 2 ; cli ; adc eax, 0 */
	RUN("\xb8\x01\x00\x00\x00\xf4\x83\xc0\x02\xfa\x83\xd0\x00");
	ck_assert_int_eq(fault.signo, 0);
	ck_assert_uint_eq(log.calls, 2);
	ck_assert_uint_eq(out.gpr[NATIVE_EAX], 1 + 100 + 2 + 100 + 1);  /* adc: the hook's CF */
	ck_assert_int_eq(log.last.fault.signo, SIGSEGV);
	ck_assert_uint_eq(log.last.fault.vector, X86_EXC_GP);
	ck_assert_uint_eq(log.last.fault.eip, code_at(9));             /* the cli */
	ck_assert_uint_eq(log.last.eip, code_at(9));
	ck_assert_uint_eq(log.last.gpr[NATIVE_EAX], 103);
	ck_assert_uint_eq(log.last.gpr[NATIVE_ESP], in.gpr[NATIVE_ESP]);
	ck_assert_uint_eq(log.last.eflags & X86_FL_CF, 0);             /* add cleared it */
}
END_TEST

START_TEST(test_a_fault_the_hook_declines_ends_the_run_as_without_a_hook)
{
	struct hook_log log = { 0 };
	native_set_fault_hook(ctx, emulate_some, &log);
	RUN("\x40\x0f\x0b");                            /* inc eax ; ud2 */
	ck_assert_uint_eq(log.calls, 1);
	ck_assert_int_eq(fault.signo, SIGILL);
	ck_assert_uint_eq(fault.vector, X86_EXC_UD);
	ck_assert_uint_eq(fault.eip, code_at(1));
	ck_assert_uint_eq(out.gpr[NATIVE_EAX], 1);     /* not the declining hook's scribble */

	native_set_fault_hook(ctx, NULL, NULL);         /* no hook: hlt ends the run */
	RUN("\xf4");
	ck_assert_uint_eq(log.calls, 1);
	ck_assert_uint_eq(fault.vector, X86_EXC_GP);
}
END_TEST

START_TEST(test_a_fault_hook_resumes_blocks_inside_native_time)
{
	struct hook_log log = { 0 };
	uint64_t cycles = 0;
	native_set_fault_hook(ctx, emulate_some, &log);
	/* hlt ; inc eax, 50 times */
	ck_assert_int_eq(native_time(ctx, "\xf4\x40", 2, &in, 50, &cycles, &out, &fault), BT_OK);
	ck_assert_int_eq(fault.signo, 0);
	ck_assert_uint_eq(log.calls, 50);
	ck_assert_uint_eq(out.gpr[NATIVE_EAX], 50 * 101);
	ck_assert_uint_gt(cycles, 0);
}
END_TEST

START_TEST(test_cpuid_faulting_hands_cpuid_to_the_fault_hook_during_runs_only)
{
	struct hook_log log = { 0 };
	unsigned a, b, c, d;
	native_set_fault_hook(ctx, emulate_some, &log);
	if (!native_set_cpuid_faulting(ctx, true))
		return;                                 /* the host cannot: nothing to check */
	RUN("\x31\xc0\x0f\xa2");                        /* xor eax, eax ; cpuid */
	ck_assert_int_eq(fault.signo, 0);
	ck_assert_uint_eq(log.calls, 1);
	ck_assert_uint_eq(out.gpr[NATIVE_EBX], 0x12345678);
	ck_assert(__get_cpuid(0, &a, &b, &c, &d));     /* the caller's CPUID still runs */

	ck_assert(!native_set_cpuid_faulting(ctx, false));
	RUN("\x31\xc0\x0f\xa2");
	ck_assert_uint_eq(log.calls, 1);
	ck_assert_uint_eq(out.gpr[NATIVE_EBX], b);     /* the host's vendor string */
}
END_TEST

/* ---- the caller's process state ------------------------------------------ */

static void callers_handler(int sig, siginfo_t *si, void *uc)
{
	(void)sig; (void)si; (void)uc;
}

START_TEST(test_the_callers_handlers_altstack_and_mask_are_restored)
{
	static uint8_t stack[128 * 1024];
	stack_t ss = { .ss_sp = stack, .ss_size = sizeof(stack) }, ss_after;
	ck_assert_int_eq(sigaltstack(&ss, NULL), 0);
	struct sigaction sa, after;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = callers_handler;
	sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
	ck_assert_int_eq(sigaction(SIGSEGV, &sa, NULL), 0);
	ck_assert_int_eq(sigaction(SIGILL, &sa, NULL), 0);
	sigset_t mask, mask_after;
	sigemptyset(&mask);
	sigaddset(&mask, SIGUSR1);
	ck_assert_int_eq(pthread_sigmask(SIG_SETMASK, &mask, NULL), 0);

	RUN("\xf4");                                    /* hlt */
	ck_assert_uint_eq(fault.vector, X86_EXC_GP);

	ck_assert_int_eq(sigaction(SIGSEGV, NULL, &after), 0);
	ck_assert_ptr_eq((void *)after.sa_sigaction, (void *)callers_handler);
	ck_assert_int_eq(sigaction(SIGILL, NULL, &after), 0);
	ck_assert_ptr_eq((void *)after.sa_sigaction, (void *)callers_handler);
	ck_assert_int_eq(sigaction(SIGFPE, NULL, &after), 0);
	ck_assert_ptr_eq((void *)after.sa_handler, (void *)SIG_DFL);
	ck_assert_int_eq(sigaltstack(NULL, &ss_after), 0);
	ck_assert_ptr_eq(ss_after.ss_sp, stack);
	ck_assert_int_eq(pthread_sigmask(SIG_SETMASK, NULL, &mask_after), 0);
	ck_assert(sigismember(&mask_after, SIGUSR1));
	ck_assert(!sigismember(&mask_after, SIGUSR2));
}
END_TEST

START_TEST(test_a_block_too_long_for_the_code_area_is_refused)
{
	static uint8_t big[NATIVE_CODE_MAX + 1];
	ck_assert_int_eq(native_run(ctx, big, sizeof(big), &in, &out, &fault), BT_ERR_INVAL);
	struct native_ctx *c2;
	ck_assert_int_eq(native_new(&c2, NATIVE_DATA_MAX + 1), BT_ERR_INVAL);
}
END_TEST

START_TEST(test_two_contexts_live_side_by_side)
{
	struct native_ctx *c2;
	ck_assert_int_eq(native_new(&c2, 100), BT_OK);
	ck_assert_uint_ne(native_code_addr(c2), native_code_addr(ctx));
	ck_assert_uint_eq(native_data_size(c2), 4096);
	struct native_state s;
	native_state_init(c2, &s);
	s.gpr[NATIVE_EAX] = 5;
	ck_assert_int_eq(native_run(c2, "\x40", 1, &s, &out, &fault), BT_OK);  /* inc eax */
	ck_assert_uint_eq(out.gpr[NATIVE_EAX], 6);
	native_free(c2);
}
END_TEST

/* ---- timing --------------------------------------------------------------- */

START_TEST(test_native_time_runs_the_block_the_given_number_of_times)
{
	uint64_t cycles = 0;
	ck_assert_int_eq(native_time(ctx, "\x40", 1, &in, 1000, &cycles, &out, &fault), BT_OK);
	ck_assert_int_eq(fault.signo, 0);
	ck_assert_uint_eq(out.gpr[NATIVE_EAX], 1000);   /* inc eax, from the previous end */
	ck_assert_uint_eq(out.gpr[NATIVE_ECX], 0);      /* the loop's counter did not leak */
	ck_assert_uint_gt(cycles, 0);
	ck_assert_uint_lt(cycles, 100000000u);
}
END_TEST

START_TEST(test_the_timing_loop_carries_flags_from_one_iteration_to_the_next)
{
	uint64_t cycles;
	/* cmc flips CF: from CF = 0, four iterations end with 0, three with 1 */
	ck_assert_int_eq(native_time(ctx, "\xf5", 1, &in, 4, &cycles, &out, NULL), BT_OK);
	ck_assert_uint_eq(out.eflags & X86_FL_CF, 0);
	ck_assert_int_eq(native_time(ctx, "\xf5", 1, &in, 3, &cycles, &out, NULL), BT_OK);
	ck_assert_uint_eq(out.eflags & X86_FL_CF, X86_FL_CF);
}
END_TEST

START_TEST(test_native_time_of_a_faulting_block_reports_the_fault)
{
	uint64_t cycles = 1;
	ck_assert_int_eq(native_time(ctx, "\x0f\x0b", 2, &in, 10, &cycles, &out, NULL), BT_ERR_INVAL);
	ck_assert_int_eq(native_time(ctx, "\x0f\x0b", 2, &in, 10, &cycles, &out, &fault), BT_OK);
	ck_assert_uint_eq(fault.vector, X86_EXC_UD);
	ck_assert_uint_eq(cycles, 0);
	ck_assert_int_eq(native_time(ctx, "\x90", 1, &in, 0, &cycles, NULL, NULL), BT_ERR_INVAL);
}
END_TEST

/* One thread's share of the concurrency test: its own context, blocks that
 * end and blocks that fault, interleaved with the other thread's. */
static void *run_many(void *arg)
{
	uint32_t seed = (uint32_t)(uintptr_t)arg;
	struct native_ctx *c;
	struct native_state s, o;
	struct native_fault f;
	if (native_new(&c, 4096) != BT_OK)
		return (void *)"native_new";
	native_state_init(c, &s);
	const char *err = NULL;
	for (uint32_t i = 0; i < 300 && err == NULL; i++) {
		s.gpr[NATIVE_EAX] = seed + i;
		if (i % 3 == 0) {
			if (native_run(c, "\x40\x0f\x0b", 3, &s, &o, &f) != BT_OK ||  /* inc eax ; ud2 */
			    f.vector != X86_EXC_UD || f.eip != native_code_addr(c) + 1 ||
			    o.gpr[NATIVE_EAX] != seed + i + 1)
				err = "faulting run";
		} else if (native_run(c, "\x40", 1, &s, &o, &f) != BT_OK ||          /* inc eax */
			   f.signo != 0 || o.gpr[NATIVE_EAX] != seed + i + 1) {
			err = "plain run";
		}
	}
	native_free(c);
	return (void *)err;
}

START_TEST(test_two_threads_running_blocks_at_once_each_get_their_own_results)
{
	pthread_t t[2];
	void *err[2];
	for (int i = 0; i < 2; i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL, run_many, (void *)(uintptr_t)(i * 1000000)), 0);
	for (int i = 0; i < 2; i++) {
		ck_assert_int_eq(pthread_join(t[i], &err[i]), 0);
		ck_assert_msg(err[i] == NULL, "thread %d: %s", i, (const char *)err[i]);
	}
}
END_TEST

/* The chaining test: thread B faults in C while thread A runs a block. */
static sigjmp_buf b_jump;
static volatile sig_atomic_t b_handled;

static void b_handler(int sig, siginfo_t *si, void *uc)
{
	(void)sig; (void)uc;
	b_handled = si->si_addr == (void *)8;
	siglongjmp(b_jump, 1);
}

static void *fault_in_c(void *arg)
{
	volatile uint32_t *data = arg;     /* [0]: A started, [1]: go */
	while (data[0] == 0)
		;
	volatile uintptr_t bad = 8;         /* opaque to the compiler */
	if (sigsetjmp(b_jump, 1) == 0)
		*(volatile int *)bad = 1;
	data[1] = 1;
	return NULL;
}

START_TEST(test_a_fault_of_another_thread_during_a_run_goes_to_the_previous_handler)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = b_handler;
	sa.sa_flags = SA_SIGINFO;
	ck_assert_int_eq(sigaction(SIGSEGV, &sa, NULL), 0);
	pthread_t b;
	ck_assert_int_eq(pthread_create(&b, NULL, fault_in_c, native_data(ctx)), 0);

	/* mov dword [started], 1 ; L: cmp dword [go], 0 ; je L */
	uint32_t started = native_data_addr(ctx), go = started + 4;
	uint8_t code[] = { 0xc7, 0x05, 0, 0, 0, 0, 1, 0, 0, 0,
			   0x83, 0x3d, 0, 0, 0, 0, 0x00, 0x74, 0xf7 };
	memcpy(&code[2], &started, 4);
	memcpy(&code[12], &go, 4);
	ck_assert_int_eq(native_run(ctx, code, sizeof(code), &in, &out, &fault), BT_OK);
	ck_assert_int_eq(pthread_join(b, NULL), 0);
	ck_assert_int_eq(fault.signo, 0);
	ck_assert_int_eq(b_handled, 1);
}
END_TEST

static Suite *native_suite(void)
{
	Suite *s = suite_create("native runner");
	TCase *tc;

	tc = tcase_create("registers");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_mov_eax_42_sets_eax_and_leaves_the_other_registers_alone);
	tcase_add_test(tc, test_the_first_add_case_is_of_sf_af_pf);
	tcase_add_loop_test(tc, test_add_eax_ebx_sets_the_flags_their_definitions_give,
			    0, (int)(sizeof(add_cases) / sizeof(add_cases[0])));
	tcase_add_test(tc, test_a_second_run_does_not_see_the_registers_of_the_first);
	suite_add_tcase(s, tc);

	tc = tcase_create("memory");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_a_store_to_the_data_area_is_visible_through_native_data);
	tcase_add_test(tc, test_push_and_pop_use_the_given_esp);
	tcase_add_test(tc, test_a_store_straddling_the_end_of_the_data_area_faults_at_the_guard_page);
	tcase_add_test(tc, test_the_blocks_esp_need_not_point_at_memory);
	suite_add_tcase(s, tc);

	tc = tcase_create("eflags");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_df_given_on_entry_makes_lodsd_walk_down);
	tcase_add_test(tc, test_df_set_by_the_block_is_reported_and_cleared_for_c);
	tcase_add_test(tc, test_tf_ac_and_other_system_flags_are_never_set_on_entry);
	suite_add_tcase(s, tc);

	tc = tcase_create("x87 and sse");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_addps_reads_and_writes_the_fxsave_image);
	tcase_add_test(tc, test_fld1_fadd_leaves_two_in_st0);
	tcase_add_test(tc, test_the_blocks_mxcsr_is_used_and_the_callers_is_kept);
	tcase_add_test(tc, test_an_mxcsr_with_reserved_bits_is_refused);
	suite_add_tcase(s, tc);

	tc = tcase_create("faults");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_div_by_zero_reports_de_at_the_div_with_the_registers_there);
	tcase_add_test(tc, test_ud2_reports_ud);
	tcase_add_test(tc, test_a_load_from_an_unmapped_low_address_reports_pf_with_the_address);
	tcase_add_test(tc, test_hlt_is_privileged_and_reports_gp);
	tcase_add_test(tc, test_int3_reports_bp_after_the_instruction);
	tcase_add_test(tc, test_a_fault_keeps_the_fpu_state_reached_before_it);
	tcase_add_test(tc, test_a_run_after_a_fault_works_and_reports_no_fault);
	suite_add_tcase(s, tc);

	tc = tcase_create("fault hook");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_a_fault_hook_that_emulates_an_instruction_resumes_the_block_after_it);
	tcase_add_test(tc, test_a_fault_the_hook_declines_ends_the_run_as_without_a_hook);
	tcase_add_test(tc, test_a_fault_hook_resumes_blocks_inside_native_time);
	tcase_add_test(tc, test_cpuid_faulting_hands_cpuid_to_the_fault_hook_during_runs_only);
	suite_add_tcase(s, tc);

	tc = tcase_create("caller state and limits");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_the_callers_handlers_altstack_and_mask_are_restored);
	tcase_add_test(tc, test_a_block_too_long_for_the_code_area_is_refused);
	tcase_add_test(tc, test_two_contexts_live_side_by_side);
	tcase_add_test(tc, test_two_threads_running_blocks_at_once_each_get_their_own_results);
	tcase_add_test(tc, test_a_fault_of_another_thread_during_a_run_goes_to_the_previous_handler);
	suite_add_tcase(s, tc);

	tc = tcase_create("timing");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_native_time_runs_the_block_the_given_number_of_times);
	tcase_add_test(tc, test_the_timing_loop_carries_flags_from_one_iteration_to_the_next);
	tcase_add_test(tc, test_native_time_of_a_faulting_block_reports_the_fault);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(native_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}

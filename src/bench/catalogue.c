/*
 * catalogue.c — the built-in blocks of `btmon bench`, as 32-bit machine code
 * (the assembly beside each byte), and the probes that show what a guest
 * observes when one of its sensitive instructions does not trap.
 *
 * Each block is the body of the timed loop (bench_int.h says what registers
 * it finds). The first seven are innocuous: btmon copies or rewrites them
 * inline and they must run at (close to) native speed. The rest are the
 * sensitive instructions a classic VMM must intercept: privileged ones (CLI,
 * STI, IN, OUT, MOV CR3) raise #GP at CPL 3, so a trap-and-emulate monitor
 * sees them; PUSHF/POPF and SGDT do not trap at all — the Popek–Goldberg
 * violations that made x86 need binary translation (or VT-x).
 */
#include <stdio.h>
#include <string.h>

#include "bench_int.h"
#include "btmon/x86.h"

/* ---- probes: trap-and-emulate vs btmon's translated semantics ---- */

/*
 *	cli ; pushfd ; pop eax ; and eax, IF     EAX: IF seen right after CLI
 *	sti ; push 2 ; popfd                     POPFD clears IF (and the flags)
 *	pushfd ; pop edx ; and edx, IF           EDX: IF seen after that POPFD
 */
static const uint8_t probe_pushf_code[] = {
	0xfa, 0x9c, 0x58, 0x25, 0x00, 0x02, 0x00, 0x00,
	0xfb, 0x6a, 0x02, 0x9d,
	0x9c, 0x5a, 0x81, 0xe2, 0x00, 0x02, 0x00, 0x00,
};

static bool check_pushf(const struct native_state *trap, const struct native_state *xlat,
			uint32_t trap_vif, char *note, size_t n)
{
	uint32_t after_cli = trap->gpr[NATIVE_EAX], after_popf = trap->gpr[NATIVE_EDX];
	bool bad_pushf = after_cli != xlat->gpr[NATIVE_EAX];
	bool bad_popf = trap_vif != xlat->gpr[NATIVE_EDX];

	if (!bad_pushf && !bad_popf && after_popf == xlat->gpr[NATIVE_EDX])
		return true;
	snprintf(note, n, "pushf/popf do not trap: pushf after cli shows IF=%u (host IF), "
		 "popf of IF=0 is dropped silently (virtual IF stays %u)",
		 after_cli ? 1u : 0u, trap_vif ? 1u : 0u);
	return false;
}

/*	xor eax, eax ; in al, 0xe9           the debug console answers 0xe9 */
static const uint8_t probe_in_code[] = { 0x31, 0xc0, 0xe4, 0xe9 };

static bool check_in(const struct native_state *trap, const struct native_state *xlat,
		     uint32_t trap_vif, char *note, size_t n)
{
	(void)trap_vif;
	if (trap->gpr[NATIVE_EAX] == xlat->gpr[NATIVE_EAX])
		return true;
	snprintf(note, n, "in al, 0xe9 read 0x%x, btmon reads 0x%x",
		 trap->gpr[NATIVE_EAX], xlat->gpr[NATIVE_EAX]);
	return false;
}

/*	mov eax, 1 ; xor ecx, ecx ; cpuid   leaf 1: family/model/stepping, features */
static const uint8_t probe_cpuid_code[] = {
	0xb8, 0x01, 0x00, 0x00, 0x00, 0x31, 0xc9, 0x0f, 0xa2,
};

static bool check_cpuid(const struct native_state *trap, const struct native_state *xlat,
			uint32_t trap_vif, char *note, size_t n)
{
	(void)trap_vif;
	if (trap->gpr[NATIVE_EAX] == xlat->gpr[NATIVE_EAX] &&
	    trap->gpr[NATIVE_EDX] == xlat->gpr[NATIVE_EDX] &&
	    trap->gpr[NATIVE_ECX] == xlat->gpr[NATIVE_ECX])
		return true;
	snprintf(note, n, "cpuid does not trap (runs natively): leaf 1 shows the host's "
		 "EAX=0x%08x EDX=0x%08x, not the virtual CPU's EAX=0x%08x EDX=0x%08x",
		 trap->gpr[NATIVE_EAX], trap->gpr[NATIVE_EDX],
		 xlat->gpr[NATIVE_EAX], xlat->gpr[NATIVE_EDX]);
	return false;
}

/*	sgdt [ebx] ; movzx eax, word [ebx] ; mov ecx, [ebx+2]   limit, base */
static const uint8_t probe_sgdt_code[] = {
	0x0f, 0x01, 0x03, 0x0f, 0xb7, 0x03, 0x8b, 0x4b, 0x02,
};

static bool check_sgdt(const struct native_state *trap, const struct native_state *xlat,
		       uint32_t trap_vif, char *note, size_t n)
{
	(void)trap_vif;
	if (trap->gpr[NATIVE_EAX] == xlat->gpr[NATIVE_EAX] &&
	    trap->gpr[NATIVE_ECX] == xlat->gpr[NATIVE_ECX])
		return true;
	snprintf(note, n, "sgdt does not trap: the guest reads base 0x%08x limit 0x%x "
		 "(the host's, or the kernel's UMIP stand-in), not the virtual GDTR "
		 "base 0x%08x limit 0x%x", trap->gpr[NATIVE_ECX], trap->gpr[NATIVE_EAX],
		 xlat->gpr[NATIVE_ECX], xlat->gpr[NATIVE_EAX]);
	return false;
}

static const struct bench_probe probe_pushf = {
	probe_pushf_code, sizeof(probe_pushf_code), check_pushf };
static const struct bench_probe probe_in = { probe_in_code, sizeof(probe_in_code), check_in };
static const struct bench_probe probe_cpuid = {
	probe_cpuid_code, sizeof(probe_cpuid_code), check_cpuid };
static const struct bench_probe probe_sgdt = {
	probe_sgdt_code, sizeof(probe_sgdt_code), check_sgdt };

/* ---- the blocks ---- */

/* The loop body holds COPIES instances of the cheap operations, so that the
 * loop's own counter (a few ticks, overlapping the block out of order) does
 * not dominate what is measured; ticks are reported per copy. */
#define COPIES 8
#define X8(...) __VA_ARGS__, __VA_ARGS__, __VA_ARGS__, __VA_ARGS__, \
		__VA_ARGS__, __VA_ARGS__, __VA_ARGS__, __VA_ARGS__

static const uint8_t alu[] = { X8(
	0x01, 0xc8,             /* add eax, ecx */
	0x31, 0xc2,             /* xor edx, eax */
	0x29, 0xd6,             /* sub esi, edx */
	0xc1, 0xc6, 0x03,       /* rol esi, 3 */
	0x21, 0xf7,             /* and edi, esi */
	0x09, 0xf9,             /* or ecx, edi */
	0xd1, 0xe9,             /* shr ecx, 1 */
	0x11, 0xf0)             /* adc eax, esi */
};

static const uint8_t ldst[] = { X8(
	0x8b, 0x03,             /* mov eax, [ebx] */
	0x8b, 0x4b, 0x04,       /* mov ecx, [ebx+4] */
	0x01, 0xc8,             /* add eax, ecx */
	0x89, 0x43, 0x08,       /* mov [ebx+8], eax */
	0x89, 0x4b, 0x0c,       /* mov [ebx+12], ecx */
	0x8b, 0x53, 0x08,       /* mov edx, [ebx+8] */
	0x89, 0x13,             /* mov [ebx], edx */
	0x89, 0x43, 0x04)       /* mov [ebx+4], eax */
};

static const uint8_t pushpop[] = { X8(
	0x50, 0x51, 0x52, 0x56, /* push eax ; push ecx ; push edx ; push esi */
	0x5e, 0x5a, 0x59, 0x58) /* pop esi ; pop edx ; pop ecx ; pop eax */
};

/* Copy k (5 bytes at 5k) calls f at offset 42, past the copies and a jump
 * over it; the same for the indirect call. The indirect jump computes its
 * target, the next copy, from EBP (the block's address). */
#define CALL_F(k) 0xe8, (uint8_t)(37 - 5 * (k)), 0, 0, 0   /* call f (rel32) */
#define LEA_ESI(d) 0x8d, 0x75, (uint8_t)(d)                 /* lea esi, [ebp+d] */
#define JMP_ESI 0xff, 0xe6                                 /* jmp esi */
#define CALL_ESI 0xff, 0xd6                                /* call esi */
#define OVER_F 0xeb, 0x01, 0xc3                            /* jmp over ; f: ret ; over: */

static const uint8_t callret[] = {
	CALL_F(0), CALL_F(1), CALL_F(2), CALL_F(3), CALL_F(4), CALL_F(5), CALL_F(6), CALL_F(7),
	OVER_F,
};

static const uint8_t jmpind[] = {
	LEA_ESI(5), JMP_ESI, LEA_ESI(10), JMP_ESI, LEA_ESI(15), JMP_ESI, LEA_ESI(20), JMP_ESI,
	LEA_ESI(25), JMP_ESI, LEA_ESI(30), JMP_ESI, LEA_ESI(35), JMP_ESI, LEA_ESI(40), JMP_ESI,
};

static const uint8_t callind[] = {
	X8(LEA_ESI(42), CALL_ESI), OVER_F,
};

static const uint8_t repmovsd[] = {
	0x89, 0xde,                     /* mov esi, ebx */
	0x8d, 0xbb, 0x00, 0x10, 0x00, 0x00, /* lea edi, [ebx+4096] */
	0xb9, 0x00, 0x04, 0x00, 0x00,   /* mov ecx, 1024 */
	0xf3, 0xa5,                     /* rep movsd */
};

static const uint8_t clisti[] = { X8(0xfa, 0xfb) };      /* cli ; sti */
static const uint8_t pushfpopf[] = { X8(0x9c, 0x9d) };   /* pushfd ; popfd */
static const uint8_t in_port[] = { 0xe4, 0xe9 };         /* in al, 0xe9 (debug console) */
static const uint8_t out_port[] = { 0xe6, 0x80 };        /* out 0x80, al (POST port) */
static const uint8_t cr3_setup[] = { 0x0f, 0x20, 0xd8 }; /* mov eax, cr3 */
static const uint8_t cr3_write[] = { 0x0f, 0x22, 0xd8 }; /* mov cr3, eax */
static const uint8_t cpuid0[] = { 0x31, 0xc0, 0x0f, 0xa2 }; /* xor eax, eax ; cpuid */
static const uint8_t sgdt[] = { 0x0f, 0x01, 0x03 };     /* sgdt [ebx] */

#define BLOCK(a) .code = a, .len = sizeof(a)
#define FAST 20000u      /* iterations of a loop body of a few hundred ticks */
#define SLOW 5000u       /* of one that exits or traps every iteration */

static const struct bench_block catalogue[] = {
	{ .name = "alu", .title = "ALU (8 ops)", BLOCK(alu), .copies = COPIES,
	  .iterations = FAST },
	{ .name = "ldst", .title = "load/store (4+4)", BLOCK(ldst), .copies = COPIES,
	  .iterations = FAST },
	{ .name = "pushpop", .title = "push/pop (4+4)", BLOCK(pushpop), .copies = COPIES,
	  .iterations = FAST },
	{ .name = "callret", .title = "call/ret", BLOCK(callret), .copies = COPIES,
	  .iterations = FAST },
	{ .name = "jmpind", .title = "indirect jmp", BLOCK(jmpind), .copies = COPIES,
	  .iterations = FAST },
	{ .name = "callind", .title = "indirect call/ret", BLOCK(callind), .copies = COPIES,
	  .iterations = FAST },
	{ .name = "repmovsd", .title = "rep movsd 4 KiB", BLOCK(repmovsd), .copies = 1,
	  .iterations = SLOW },
	{ .name = "clisti", .title = "cli/sti pair", BLOCK(clisti), .copies = COPIES,
	  .iterations = 500, .sensitive = true },
	{ .name = "pushfpopf", .title = "pushf/popf", BLOCK(pushfpopf), .copies = COPIES,
	  .iterations = FAST, .probe = &probe_pushf, .sensitive = true },
	{ .name = "in", .title = "in al, 0xe9", BLOCK(in_port), .copies = 1,
	  .iterations = SLOW, .probe = &probe_in, .sensitive = true },
	{ .name = "out", .title = "out 0x80, al", BLOCK(out_port), .copies = 1,
	  .iterations = SLOW, .sensitive = true },
	{ .name = "cr3", .title = "mov cr3, eax", .setup = cr3_setup,
	  .setup_len = sizeof(cr3_setup), BLOCK(cr3_write), .copies = 1, .iterations = 2000,
	  .sensitive = true },
	{ .name = "cpuid", .title = "cpuid (leaf 0)", BLOCK(cpuid0), .copies = 1,
	  .iterations = SLOW, .probe = &probe_cpuid, .sensitive = true },
	{ .name = "sgdt", .title = "sgdt [ebx]", BLOCK(sgdt), .copies = 1, .iterations = SLOW,
	  .probe = &probe_sgdt, .sensitive = true, .extra = true },
};

const struct bench_block *bench_catalogue(size_t *count)
{
	*count = BT_ARRAY_SIZE(catalogue);
	return catalogue;
}

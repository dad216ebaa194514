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

static const uint8_t alu[] = {
	0x01, 0xc8,             /* add eax, ecx */
	0x31, 0xc2,             /* xor edx, eax */
	0x29, 0xd6,             /* sub esi, edx */
	0xc1, 0xc6, 0x03,       /* rol esi, 3 */
	0x21, 0xf7,             /* and edi, esi */
	0x09, 0xf9,             /* or ecx, edi */
	0xd1, 0xe9,             /* shr ecx, 1 */
	0x11, 0xf0,             /* adc eax, esi */
};

static const uint8_t ldst[] = {
	0x8b, 0x03,             /* mov eax, [ebx] */
	0x8b, 0x4b, 0x04,       /* mov ecx, [ebx+4] */
	0x01, 0xc8,             /* add eax, ecx */
	0x89, 0x43, 0x08,       /* mov [ebx+8], eax */
	0x89, 0x4b, 0x0c,       /* mov [ebx+12], ecx */
	0x8b, 0x53, 0x08,       /* mov edx, [ebx+8] */
	0x89, 0x13,             /* mov [ebx], edx */
	0x89, 0x43, 0x04,       /* mov [ebx+4], eax */
};

static const uint8_t pushpop[] = {
	0x50, 0x51, 0x52, 0x56, /* push eax ; push ecx ; push edx ; push esi */
	0x5e, 0x5a, 0x59, 0x58, /* pop esi ; pop edx ; pop ecx ; pop eax */
};

static const uint8_t callret[] = {
	0xe8, 0x02, 0x00, 0x00, 0x00,   /* call f */
	0xeb, 0x01,                     /* jmp over */
	0xc3,                           /* f: ret */
};                                      /* over: */

static const uint8_t jmpind_setup[] = { 0x8d, 0x75, 0x02 };  /* lea esi, [ebp+2] */
static const uint8_t jmpind[] = { 0xff, 0xe6 };              /* jmp esi (to the next byte) */

static const uint8_t callind_setup[] = { 0x8d, 0x75, 0x04 }; /* lea esi, [ebp+4] (f) */
static const uint8_t callind[] = {
	0xff, 0xd6,             /* call esi */
	0xeb, 0x01,             /* jmp over */
	0xc3,                   /* f: ret */
};

static const uint8_t repmovsd[] = {
	0x89, 0xde,                     /* mov esi, ebx */
	0x8d, 0xbb, 0x00, 0x10, 0x00, 0x00, /* lea edi, [ebx+4096] */
	0xb9, 0x00, 0x04, 0x00, 0x00,   /* mov ecx, 1024 */
	0xf3, 0xa5,                     /* rep movsd */
};

static const uint8_t clisti[] = { 0xfa, 0xfb };          /* cli ; sti */
static const uint8_t pushfpopf[] = { 0x9c, 0x9d };       /* pushfd ; popfd */
static const uint8_t in_port[] = { 0xe4, 0xe9 };         /* in al, 0xe9 (debug console) */
static const uint8_t out_port[] = { 0xe6, 0x80 };        /* out 0x80, al (POST port) */
static const uint8_t cr3_setup[] = { 0x0f, 0x20, 0xd8 }; /* mov eax, cr3 */
static const uint8_t cr3_write[] = { 0x0f, 0x22, 0xd8 }; /* mov cr3, eax */
static const uint8_t cpuid0[] = { 0x31, 0xc0, 0x0f, 0xa2 }; /* xor eax, eax ; cpuid */
static const uint8_t sgdt[] = { 0x0f, 0x01, 0x03 };     /* sgdt [ebx] */

#define CODE(a) a, sizeof(a)
#define NO_SETUP NULL, 0
#define FAST 100000u     /* iterations of a block of a few cycles */
#define SLOW 5000u       /* of a block that exits or traps every iteration */

static const struct bench_block catalogue[] = {
	{ "alu", "ALU loop (8 ops)", NO_SETUP, CODE(alu), FAST, NULL, false },
	{ "ldst", "load/store (4+4)", NO_SETUP, CODE(ldst), FAST, NULL, false },
	{ "pushpop", "push/pop (4+4)", NO_SETUP, CODE(pushpop), FAST, NULL, false },
	{ "callret", "call/ret", NO_SETUP, CODE(callret), FAST, NULL, false },
	{ "jmpind", "indirect jmp", CODE(jmpind_setup), CODE(jmpind), FAST, NULL, false },
	{ "callind", "indirect call+ret", CODE(callind_setup), CODE(callind), FAST, NULL, false },
	{ "repmovsd", "rep movsd 4 KiB", NO_SETUP, CODE(repmovsd), SLOW, NULL, false },
	{ "clisti", "cli/sti pair", NO_SETUP, CODE(clisti), SLOW, NULL, false },
	{ "pushfpopf", "pushf/popf", NO_SETUP, CODE(pushfpopf), FAST, &probe_pushf, false },
	{ "in", "in al, 0xe9", NO_SETUP, CODE(in_port), SLOW, &probe_in, false },
	{ "out", "out 0x80, al", NO_SETUP, CODE(out_port), SLOW, NULL, false },
	{ "cr3", "mov cr3, eax", CODE(cr3_setup), CODE(cr3_write), 2000u, NULL, false },
	{ "cpuid", "cpuid (leaf 0)", NO_SETUP, CODE(cpuid0), SLOW, &probe_cpuid, false },
	{ "sgdt", "sgdt [ebx]", NO_SETUP, CODE(sgdt), SLOW, &probe_sgdt, true },
};

const struct bench_block *bench_catalogue(size_t *count)
{
	*count = BT_ARRAY_SIZE(catalogue);
	return catalogue;
}

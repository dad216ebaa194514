/*
 * cpuid.c — guest test: the CPU btmon presents through CPUID (an exit to
 * the monitor, never the host's answer) and the EFLAGS.ID probe that tells
 * a kernel CPUID exists at all.
 *
 * Checks: EFLAGS.ID (bit 21) can be set and cleared with POPFD; leaf 0 has
 * max leaf >= 1 and a 12-character vendor string of printable characters;
 * leaf 1 reports family 6 and, in EDX, FPU TSC MSR PSE CX8 SEP PGE CMOV MMX
 * FXSR SSE SSE2 but not APIC (bit 9: the machine has no local APIC); leaf
 * 0x80000000 reports at least 0x80000004 and leaves 0x80000002..4 a
 * non-empty, NUL-terminated brand string. CPUID also must clobber exactly
 * EAX EBX ECX EDX (ESI, EDI, EBP and flags-independent state are kept).
 *
 * Expected values are the SDM's bit positions (Vol. 2A CPUID, Table 3-11)
 * and the model btmon is specified to present (family 6, no APIC). Under
 * QEMU use -cpu qemu32,-apic, the closest stock model.
 * Returns 0 only if every check passed.
 */
#include <stdint.h>

#include "check.h"
#include "console.h"
#include "multiboot.h"

#define EFL_ID (1u << 21)

/* CPUID.1:EDX feature bits (SDM Vol. 2A Table 3-11). */
static const struct {
	const char *name;
	unsigned bit;
	int want;       /* 1: must be set, 0: must be clear */
} cpuid_features[] = {
	{ "fpu", 0, 1 }, { "pse", 3, 1 }, { "tsc", 4, 1 }, { "msr", 5, 1 },
	{ "cx8", 8, 1 }, { "apic", 9, 0 }, { "sep", 11, 1 }, { "pge", 13, 1 },
	{ "cmov", 15, 1 }, { "mmx", 23, 1 }, { "fxsr", 24, 1 }, { "sse", 25, 1 },
	{ "sse2", 26, 1 },
};

struct cpuid_regs {
	uint32_t a, b, c, d;
};

static struct cpuid_regs cpuid(uint32_t leaf)
{
	struct cpuid_regs r;

	__asm__ volatile("cpuid" : "=a"(r.a), "=b"(r.b), "=c"(r.c), "=d"(r.d) : "a"(leaf), "c"(0));
	return r;
}

/* POPFD f; PUSHFD. */
static uint32_t cpuid_popf_pushf(uint32_t f)
{
	__asm__ volatile("pushl %0\n\tpopfl\n\tpushfl\n\tpopl %0" : "+r"(f) : : "memory", "cc");
	return f;
}

static void cpuid_id_flag(void)
{
	uint32_t f;

	__asm__ volatile("pushfl\n\tpopl %0" : "=r"(f));
	check_eq("popfd sets EFLAGS.ID", cpuid_popf_pushf(f | EFL_ID) & EFL_ID, EFL_ID);
	check_eq("popfd clears EFLAGS.ID", cpuid_popf_pushf(f & ~EFL_ID) & EFL_ID, 0);
}

/* True if the n bytes at s are printable ASCII. */
static bool cpuid_printable(const char *s, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		if (s[i] < 0x20 || s[i] > 0x7e)
			return false;
	return true;
}

static void cpuid_leaf0(void)
{
	struct cpuid_regs r = cpuid(0);
	char vendor[13];

	__builtin_memcpy(vendor, &r.b, 4);
	__builtin_memcpy(vendor + 4, &r.d, 4);
	__builtin_memcpy(vendor + 8, &r.c, 4);
	vendor[12] = '\0';
	console_printf("cpuid: max leaf 0x%x, vendor \"%s\"\n", r.a, vendor);
	check_true("leaf 0: max basic leaf >= 1", r.a >= 1 && r.a < 0x100);
	check_true("leaf 0: vendor string is 12 printable characters", cpuid_printable(vendor, 12));
}

static void cpuid_leaf1(void)
{
	struct cpuid_regs r = cpuid(1);
	uint32_t family = (r.a >> 8) & 0xf;
	char part[48], name[48];

	console_printf("cpuid: leaf 1 eax 0x%08x edx 0x%08x ecx 0x%08x\n", r.a, r.d, r.c);
	check_eq("leaf 1: family 6", family, 6);
	for (unsigned i = 0; i < sizeof cpuid_features / sizeof cpuid_features[0]; i++) {
		const char *what = check_cat(part, sizeof part, "leaf 1 edx: ",
					     cpuid_features[i].name);
		check_eq(check_cat(name, sizeof name, what,
				   cpuid_features[i].want ? " set" : " clear"),
			 (r.d >> cpuid_features[i].bit) & 1, (uint32_t)cpuid_features[i].want);
	}
}

static void cpuid_extended(void)
{
	struct cpuid_regs r = cpuid(0x80000000u);
	char brand[49];
	unsigned len = 0;

	console_printf("cpuid: max extended leaf 0x%x\n", r.a);
	check_true("leaf 0x80000000: max extended leaf >= 0x80000004",
		   r.a >= 0x80000004u && r.a < 0x80000100u);
	if (r.a < 0x80000004u)
		return;
	for (unsigned i = 0; i < 3; i++) {
		r = cpuid(0x80000002u + i);
		__builtin_memcpy(brand + 16 * i, &r, 16);
	}
	brand[48] = '\0';
	while (len < 48 && brand[len])
		len++;
	console_printf("cpuid: brand \"%s\"\n", brand);
	check_true("brand string: non-empty, NUL-terminated within 48 bytes", len > 0 && len < 48);
	check_true("brand string: printable", cpuid_printable(brand, len));
}

/* CPUID writes EAX..EDX only: ESI, EDI and EBP survive. */
static void cpuid_clobbers(void)
{
	uint32_t si = 0x51515151, di = 0xd1d1d1d1, bp;

	__asm__ volatile("pushl %%ebp\n\t"
			 "movl $0xb9b9b9b9, %%ebp\n\t"
			 "xorl %%eax, %%eax\n\t"
			 "cpuid\n\t"
			 "movl %%ebp, %%eax\n\t"
			 "popl %%ebp"
			 : "=a"(bp), "+S"(si), "+D"(di) : : "ebx", "ecx", "edx");
	check_eq("cpuid keeps esi", si, 0x51515151);
	check_eq("cpuid keeps edi", di, 0xd1d1d1d1);
	check_eq("cpuid keeps ebp", bp, 0xb9b9b9b9);
}

int guest_main(uint32_t magic, const struct mb_info *info)
{
	(void)magic;
	(void)info;
	console_puts("cpuid: EFLAGS.ID, vendor, family, features, brand string\n");
	cpuid_id_flag();
	cpuid_leaf0();
	cpuid_leaf1();
	cpuid_extended();
	cpuid_clobbers();
	return check_summary("cpuid");
}

/*
 * cpuid.c — the CPU btmon models: a P6-family processor (family 6) with
 * FPU, TSC, MSR, PSE, CX8, SEP, PGE, CMOV, MMX, FXSR, SSE and SSE2, and no
 * local APIC (the machine has none: Linux panics if CPUID claims one).
 * Features the translator does not copy (SSE3+, AVX, ...) are not advertised,
 * and using them raises #UD (rules.c), as on the real part.
 */
#include <string.h>

#include "emulate.h"

#define CPUID_FPU   (1u << 0)
#define CPUID_TSC   (1u << 4)
#define CPUID_MSR   (1u << 5)
#define CPUID_PSE   (1u << 3)
#define CPUID_CX8   (1u << 8)
#define CPUID_SEP   (1u << 11)
#define CPUID_PGE   (1u << 13)
#define CPUID_CMOV  (1u << 15)
#define CPUID_MMX   (1u << 23)
#define CPUID_FXSR  (1u << 24)
#define CPUID_SSE   (1u << 25)
#define CPUID_SSE2  (1u << 26)

static const char vendor[12] = "GenuineIntel";
static const char brand[48] = "btmon virtual P6 CPU (binary translation)";

void cpuid_model(uint32_t leaf, uint32_t subleaf, uint32_t *a, uint32_t *b, uint32_t *c, uint32_t *d)
{
	(void)subleaf;
	*a = *b = *c = *d = 0;
	if (leaf >= 0x80000000u) {
		if (leaf == 0x80000000u) {
			*a = 0x80000004u;
		} else if (leaf >= 0x80000002u && leaf <= 0x80000004u) {
			uint32_t r[4];
			memcpy(r, brand + 16 * (leaf - 0x80000002u), 16);
			*a = r[0]; *b = r[1]; *c = r[2]; *d = r[3];
		}
		return;
	}
	switch (leaf) {
	case 0:
		*a = 2;
		memcpy(b, vendor, 4);
		memcpy(d, vendor + 4, 4);
		memcpy(c, vendor + 8, 4);
		break;
	case 1:
		*a = 0x00000683u;   /* family 6, model 8, stepping 3 */
		*d = CPUID_FPU | CPUID_PSE | CPUID_TSC | CPUID_MSR | CPUID_CX8 | CPUID_SEP |
		     CPUID_PGE | CPUID_CMOV | CPUID_MMX | CPUID_FXSR | CPUID_SSE | CPUID_SSE2;
		break;
	case 2:
		*a = 0x00000001u;   /* one iteration, no cache descriptors */
		break;
	default:
		break;
	}
}

/*
 * string.c — guest test: the string instructions, which the translator
 * cannot copy (ES:EDI takes no GS override in 64-bit mode) and rewrites.
 *
 * MOVS/STOS/LODS/SCAS/CMPS in byte, word and dword sizes, alone and with
 * REP/REPE/REPNE, for counts 0, 1 and N, forwards (CLD) and backwards (STD),
 * overlapping copies (a forward REP MOVSB onto src+1 replicates the first
 * byte: the instruction is defined one element at a time), copies, fills and
 * compares of several pages, and source segment overrides (last: FS/GS).
 * Each run checks ESI, EDI, ECX, EAX, the memory, and EFLAGS (SCAS/CMPS set
 * all six arithmetic flags as CMP does; with ECX = 0 nothing changes).
 *
 * Expected values are constants or follow from STR_PAT, the pattern the
 * buffers are filled with; the flag values were checked on the host CPU.
 * Returns 0 only if every check passed.
 */
#include <stdint.h>

#include "check.h"
#include "console.h"
#include "multiboot.h"

#define EFL_ARITH 0x8d5u
#define EFL_DF    0x400u
#define F0        0x002u                /* EFLAGS in: arithmetic flags clear */
#define F1        (0x002u | EFL_ARITH)  /* EFLAGS in: arithmetic flags set */
#define BIG       (3 * 4096 + 100)      /* bytes: spans at least three pages */

/* Byte i of the source pattern. */
#define STR_PAT(i) ((uint8_t)((i) * 13u + 7u))

struct str_regs {
	uint32_t esi, edi, ecx, eax, flags;
};

/* Load ESI EDI ECX EAX and EFLAGS from *r, run insn, store them back. */
#define STR_RUN(r, insn)                                                       \
	__asm__ volatile("movl 0(%%edx), %%esi\n\t"                            \
			 "movl 4(%%edx), %%edi\n\t"                            \
			 "movl 8(%%edx), %%ecx\n\t"                            \
			 "movl 12(%%edx), %%eax\n\t"                           \
			 "pushl 16(%%edx)\n\t"                                 \
			 "popfl\n\t"                                           \
			 insn "\n\t"                                           \
			 "pushfl\n\t"                                          \
			 "popl 16(%%edx)\n\t"                                  \
			 "cld\n\t"                                             \
			 "movl %%esi, 0(%%edx)\n\t"                            \
			 "movl %%edi, 4(%%edx)\n\t"                            \
			 "movl %%ecx, 8(%%edx)\n\t"                            \
			 "movl %%eax, 12(%%edx)"                               \
			 : : "d"(r) : "eax", "ecx", "esi", "edi", "memory", "cc")

static uint8_t src[BIG + 64] __attribute__((aligned(4096)));
static uint8_t dst[BIG + 64] __attribute__((aligned(4096)));

#define A(p) ((uint32_t)(uintptr_t)(p))

static void str_fill(void)
{
	for (uint32_t i = 0; i < sizeof src; i++) {
		src[i] = STR_PAT(i);
		dst[i] = 0xee;
	}
}

/* Number of bytes in dst[from, to) that differ from STR_PAT(i + shift). */
static uint32_t str_mismatches(uint32_t from, uint32_t to, uint32_t shift)
{
	uint32_t bad = 0;

	for (uint32_t i = from; i < to; i++)
		bad += dst[i] != STR_PAT(i + shift);
	return bad;
}

static uint32_t str_count_not(const uint8_t *p, uint32_t n, uint8_t v)
{
	uint32_t bad = 0;

	for (uint32_t i = 0; i < n; i++)
		bad += p[i] != v;
	return bad;
}

static void str_movs(void)
{
	struct str_regs r;

	str_fill();
	r = (struct str_regs){ A(src), A(dst), 0, 0x1234, F1 };
	STR_RUN(&r, "rep movsb");
	check_eq("rep movsb ecx=0: esi unchanged", r.esi, A(src));
	check_eq("rep movsb ecx=0: edi unchanged", r.edi, A(dst));
	check_eq("rep movsb ecx=0: flags unchanged", r.flags & EFL_ARITH, EFL_ARITH);
	check_eq("rep movsb ecx=0: nothing written", dst[0], 0xee);

	r = (struct str_regs){ A(src + 5), A(dst + 5), 77, 0, F0 };
	STR_RUN(&r, "movsb");
	check_eq("movsb: one byte", dst[5], STR_PAT(5));
	check_eq("movsb: esi+1", r.esi, A(src + 6));
	check_eq("movsb: edi+1", r.edi, A(dst + 6));
	check_eq("movsb without rep: ecx untouched", r.ecx, 77);
	check_eq("movsb: next byte untouched", dst[6], 0xee);

	r = (struct str_regs){ A(src + 1), A(dst + 1), 1, 0, F0 };
	STR_RUN(&r, "rep movsb");
	check_eq("rep movsb ecx=1: ecx=0", r.ecx, 0);
	check_eq("rep movsb ecx=1: byte", dst[1], STR_PAT(1));

	str_fill();
	r = (struct str_regs){ A(src + 3), A(dst + 1), 37, 0, F1 };
	STR_RUN(&r, "rep movsb");
	check_eq("rep movsb 37: data", str_mismatches(1, 38, 2), 0);
	check_eq("rep movsb 37: esi", r.esi, A(src + 40));
	check_eq("rep movsb 37: edi", r.edi, A(dst + 38));
	check_eq("rep movsb 37: ecx", r.ecx, 0);
	check_eq("rep movsb 37: byte after untouched", dst[38], 0xee);
	check_eq("rep movs: flags unchanged", r.flags & EFL_ARITH, EFL_ARITH);

	str_fill();
	r = (struct str_regs){ A(src), A(dst), 10, 0, F0 };
	STR_RUN(&r, "rep movsw");
	check_eq("rep movsw 10: data", str_mismatches(0, 20, 0), 0);
	check_eq("rep movsw 10: esi+20", r.esi, A(src + 20));
	check_eq("rep movsw 10: edge untouched", dst[20], 0xee);
	r = (struct str_regs){ A(src + 20), A(dst + 20), 9, 0, F0 };
	STR_RUN(&r, "rep movsl");
	check_eq("rep movsd 9: data", str_mismatches(0, 56, 0), 0);
	check_eq("rep movsd 9: edi+36", r.edi, A(dst + 56));

	/* Backwards: STD, pointers at the last element, moving down. */
	str_fill();
	r = (struct str_regs){ A(src + 12), A(dst + 12), 4, 0, F0 | EFL_DF };
	STR_RUN(&r, "rep movsl");
	check_eq("std rep movsd 4: data", str_mismatches(0, 16, 0), 0);
	check_eq("std rep movsd 4: esi-16", r.esi, (A(src) - 4));
	check_eq("std rep movsd 4: edi-16", r.edi, (A(dst) - 4));
	check_eq("std rep movsd: DF still set", r.flags & EFL_DF, EFL_DF);
	check_eq("std rep movsd 4: byte after untouched", dst[16], 0xee);
	r = (struct str_regs){ A(src + 40), A(dst + 40), 1, 0, F0 | EFL_DF };
	STR_RUN(&r, "movsw");
	check_eq("std movsw: esi-2", r.esi, A(src + 38));
	check_eq("std movsw: word", dst[40] | dst[41] << 8, STR_PAT(40) | STR_PAT(41) << 8);
}

static void str_overlap(void)
{
	struct str_regs r;

	/* Forward onto src+1: each byte reads the one just written. */
	str_fill();
	r = (struct str_regs){ A(src), A(src + 1), 16, 0, F0 };
	STR_RUN(&r, "rep movsb");
	check_eq("overlapping rep movsb to src+1 replicates byte 0",
		 str_count_not(src, 17, STR_PAT(0)), 0);
	check_eq("overlapping rep movsb: byte 17 untouched", src[17], STR_PAT(17));

	str_fill();
	r = (struct str_regs){ A(src), A(src + 4), 4, 0, F0 };
	STR_RUN(&r, "rep movsl");
	check_eq("overlapping rep movsd to src+4 replicates dword 0",
		 src[16] | src[17] << 8 | src[18] << 16 | (uint32_t)src[19] << 24,
		 STR_PAT(0) | STR_PAT(1) << 8 | STR_PAT(2) << 16 | (uint32_t)STR_PAT(3) << 24);

	/* Backward (memmove up by one). */
	str_fill();
	r = (struct str_regs){ A(src + 15), A(src + 16), 16, 0, F0 | EFL_DF };
	STR_RUN(&r, "rep movsb");
	uint32_t bad = 0;
	for (uint32_t i = 1; i <= 16; i++)
		bad += src[i] != STR_PAT(i - 1);
	check_eq("std overlapping rep movsb shifts up by one", bad, 0);
	check_eq("std overlapping rep movsb: byte 0 kept", src[0], STR_PAT(0));
	check_eq("std overlapping rep movsb: esi", r.esi, (A(src) - 1));
}

static void str_big(void)
{
	struct str_regs r;

	str_fill();
	r = (struct str_regs){ A(src + 3), A(dst + 1), BIG / 4, 0, F0 };
	STR_RUN(&r, "rep movsl");
	check_eq("rep movsd across pages, unaligned: data", str_mismatches(1, 1 + BIG / 4 * 4, 2),
		 0);
	check_eq("rep movsd across pages: edi", r.edi, A(dst + 1 + BIG / 4 * 4));
	check_eq("rep movsd across pages: ecx", r.ecx, 0);

	str_fill();
	r = (struct str_regs){ A(src + BIG - 1), A(dst + BIG - 1), BIG, 0, F0 | EFL_DF };
	STR_RUN(&r, "rep movsb");
	check_eq("std rep movsb across pages: data", str_mismatches(0, BIG, 0), 0);
	check_eq("std rep movsb across pages: esi", r.esi, (A(src) - 1));

	r = (struct str_regs){ 0, A(dst + 2), BIG / 2, 0xabcd9a5a, F0 };
	STR_RUN(&r, "rep stosw");
	uint32_t bad = 0;
	for (uint32_t i = 0; i < BIG / 2; i++)
		bad += (dst[2 + 2 * i] | dst[3 + 2 * i] << 8) != 0x9a5a;
	check_eq("rep stosw across pages", bad, 0);
	check_eq("rep stosw across pages: edi", r.edi, A(dst + 2 + BIG / 2 * 2));

	str_fill();
	for (uint32_t i = 0; i < BIG; i++)
		dst[i] = STR_PAT(i);
	dst[BIG - 10] ^= 0x40;
	r = (struct str_regs){ A(src), A(dst), BIG, 0, F0 };
	STR_RUN(&r, "repe cmpsb");
	check_eq("repe cmpsb across pages stops at the difference: ecx", r.ecx, 9);
	check_eq("repe cmpsb across pages: edi", r.edi, A(dst + BIG - 9));
}

static void str_stos_lods(void)
{
	struct str_regs r;

	str_fill();
	r = (struct str_regs){ 0x5151, A(dst + 3), 33, 0x123456ab, F1 };
	STR_RUN(&r, "rep stosb");
	check_eq("rep stosb 33: data", str_count_not(dst + 3, 33, 0xab), 0);
	check_eq("rep stosb 33: edi", r.edi, A(dst + 36));
	check_eq("rep stosb 33: ecx", r.ecx, 0);
	check_eq("rep stosb: esi untouched", r.esi, 0x5151);
	check_eq("rep stosb: edges untouched", dst[2] | dst[36] << 8, 0xeeee);
	check_eq("rep stosb: flags unchanged", r.flags & EFL_ARITH, EFL_ARITH);

	r = (struct str_regs){ 0, A(dst + 64), 0, 0x11, F0 };
	STR_RUN(&r, "rep stosl");
	check_eq("rep stosd ecx=0: nothing written", dst[64], 0xee);
	check_eq("rep stosd ecx=0: edi unchanged", r.edi, A(dst + 64));

	r = (struct str_regs){ 0, A(dst + 76), 3, 0xdeadbeef, F0 | EFL_DF };
	STR_RUN(&r, "rep stosl");
	check_eq("std rep stosd 3: edi-12", r.edi, A(dst + 64));
	check_eq("std rep stosd 3: lowest dword", dst[68] | dst[69] << 8 | dst[70] << 16 |
		 (uint32_t)dst[71] << 24, 0xdeadbeef);
	check_eq("std rep stosd 3: below untouched", dst[67], 0xee);

	str_fill();
	r = (struct str_regs){ A(src + 10), 0, 0, 0xffffff00, F0 };
	STR_RUN(&r, "lodsb");
	check_eq("lodsb keeps eax high", r.eax, 0xffffff00u | STR_PAT(10));
	check_eq("lodsb: esi+1", r.esi, A(src + 11));
	r = (struct str_regs){ A(src + 10), 0, 0, 0xffff0000, F0 };
	STR_RUN(&r, "lodsw");
	check_eq("lodsw", r.eax, 0xffff0000u | STR_PAT(10) | STR_PAT(11) << 8);
	r = (struct str_regs){ A(src + 10), 0, 0, 0, F0 | EFL_DF };
	STR_RUN(&r, "lodsl");
	check_eq("std lodsd", r.eax, STR_PAT(10) | STR_PAT(11) << 8 | STR_PAT(12) << 16 |
		 (uint32_t)STR_PAT(13) << 24);
	check_eq("std lodsd: esi-4", r.esi, A(src + 6));
	r = (struct str_regs){ A(src), 0, 5, 0, F0 };
	STR_RUN(&r, "rep lodsb");
	check_eq("rep lodsb 5: last byte", r.eax & 0xff, STR_PAT(4));
	check_eq("rep lodsb 5: esi+5", r.esi, A(src + 5));
	r = (struct str_regs){ A(src), 0, 1, 0, F0 };
	STR_RUN(&r, "lodsl %%cs:(%%esi), %%eax");
	check_eq("lodsd cs:[esi]", r.eax, STR_PAT(0) | STR_PAT(1) << 8 | STR_PAT(2) << 16 |
		 (uint32_t)STR_PAT(3) << 24);
}

static void str_scas(void)
{
	static const char hello[] = "hello";
	static const char abc[] = "abc";
	static const char aaab[] = "aaab";
	struct str_regs r;

	r = (struct str_regs){ 0, A(hello), 0xffffffff, 0, F0 };
	STR_RUN(&r, "repne scasb");
	check_eq("repne scasb finds NUL: ecx = -1 - 6", r.ecx, 0xffffffffu - 6);
	check_eq("repne scasb finds NUL: edi past it", r.edi, A(hello + 6));
	check_eq("repne scasb finds NUL: flags", r.flags & EFL_ARITH, 0x044);

	r = (struct str_regs){ 0, A(abc), 3, 'z', F1 };
	STR_RUN(&r, "repne scasb");
	check_eq("repne scasb not found: ecx=0", r.ecx, 0);
	check_eq("repne scasb not found: edi", r.edi, A(abc + 3));
	check_eq("repne scasb not found: flags of 'z'-'c'", r.flags & EFL_ARITH, 0x004);

	r = (struct str_regs){ 0, A(aaab), 10, 'a', F0 };
	STR_RUN(&r, "repe scasb");
	check_eq("repe scasb stops after the mismatch: ecx", r.ecx, 6);
	check_eq("repe scasb: edi", r.edi, A(aaab + 4));
	check_eq("repe scasb: flags of 'a'-'b'", r.flags & EFL_ARITH, 0x095);

	r = (struct str_regs){ 0, A(aaab), 0, 'x', F1 };
	STR_RUN(&r, "repe scasb");
	check_eq("repe scasb ecx=0: flags unchanged", r.flags & EFL_ARITH, EFL_ARITH);
	check_eq("repe scasb ecx=0: edi unchanged", r.edi, A(aaab));

	r = (struct str_regs){ 0, A(aaab), 0, 0x62616161, F0 };
	STR_RUN(&r, "scasl");
	check_eq("scasd equal: flags", r.flags & EFL_ARITH, 0x044);
	check_eq("scasd: edi+4", r.edi, A(aaab + 4));
}

static void str_cmps(void)
{
	static const uint32_t one_two[2] = { 1, 2 };
	struct str_regs r;

	str_fill();
	for (int i = 0; i < 16; i++)
		dst[i] = src[i];
	r = (struct str_regs){ A(src), A(dst), 16, 0, F0 };
	STR_RUN(&r, "repe cmpsb");
	check_eq("repe cmpsb equal: ecx=0", r.ecx, 0);
	check_eq("repe cmpsb equal: esi+16", r.esi, A(src + 16));
	check_eq("repe cmpsb equal: flags", r.flags & EFL_ARITH, 0x044);

	src[5] = 0x80;
	dst[5] = 0x01;
	r = (struct str_regs){ A(src), A(dst), 16, 0, F0 };
	STR_RUN(&r, "repe cmpsb");
	check_eq("repe cmpsb mismatch at 5: ecx", r.ecx, 10);
	check_eq("repe cmpsb mismatch at 5: esi", r.esi, A(src + 6));
	check_eq("repe cmpsb mismatch at 5: edi", r.edi, A(dst + 6));
	check_eq("repe cmpsb mismatch: flags of 0x80-0x01", r.flags & EFL_ARITH, 0x810);

	for (int i = 0; i < 16; i++)
		dst[i] = (uint8_t)~src[i];
	dst[7] = src[7];
	r = (struct str_regs){ A(src), A(dst), 16, 0, F0 };
	STR_RUN(&r, "repne cmpsb");
	check_eq("repne cmpsb stops at the first equal: ecx", r.ecx, 8);
	check_eq("repne cmpsb: flags", r.flags & EFL_ARITH, 0x044);

	r = (struct str_regs){ A(src), A(dst), 0, 0, F0 | 0x001 | 0x040 };
	STR_RUN(&r, "repne cmpsb");
	check_eq("repne cmpsb ecx=0: flags unchanged", r.flags & EFL_ARITH, 0x041);
	check_eq("repne cmpsb ecx=0: esi unchanged", r.esi, A(src));

	r = (struct str_regs){ A(&one_two[0]), A(&one_two[1]), 1, 0, F0 | EFL_DF };
	STR_RUN(&r, "cmpsl");
	check_eq("std cmpsd 1-2: flags", r.flags & EFL_ARITH, 0x095);
	check_eq("std cmpsd: esi-4", r.esi, A(&one_two[0]) - 4);
	check_eq("std cmpsd: edi-4", r.edi, A(&one_two[0]));
	r = (struct str_regs){ A(&one_two[1]), A(&one_two[0]), 1, 0, F0 };
	STR_RUN(&r, "cmpsw");
	check_eq("cmpsw 2-1: flags", r.flags & EFL_ARITH, 0x000);
}

/* Source segment overrides (FS and GS are flat, as Multiboot leaves them). */
static void str_seg_override(void)
{
	struct str_regs r;

	str_fill();
	r = (struct str_regs){ A(src + 100), A(dst + 100), 8, 0, F0 };
	STR_RUN(&r, "rep movsb %%fs:(%%esi), %%es:(%%edi)");
	check_eq("rep movsb fs:[esi]: data", str_mismatches(100, 108, 0), 0);
	check_eq("rep movsb fs:[esi]: esi", r.esi, A(src + 108));
	r = (struct str_regs){ A(src + 200), A(dst + 200), 2, 0, F0 };
	STR_RUN(&r, "rep movsl %%gs:(%%esi), %%es:(%%edi)");
	check_eq("rep movsd gs:[esi]: data", str_mismatches(200, 208, 0), 0);
}

int guest_main(uint32_t magic, const struct mb_info *info)
{
	(void)magic;
	(void)info;
	console_puts("string: movs/stos/lods/scas/cmps, rep prefixes, both directions, overlap\n");
	str_movs();
	str_overlap();
	str_big();
	str_stos_lods();
	str_scas();
	str_cmps();
	str_seg_override();
	return check_summary("string");
}

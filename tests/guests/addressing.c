/*
 * addressing.c — guest test: every way a 32-bit x86 instruction names
 * memory, since each one is rewritten differently by the translator (GS +
 * addr32 prefixes, [disp32] re-encoded through a SIB byte, ...).
 *
 * Covers ModRM [reg] for every base, [reg+disp8] (also negative),
 * [reg+disp32], [disp32] absolute, EBP and ESP bases, SIB with scales
 * 1/2/4/8, no base, negative index and base == index, byte/word/unaligned
 * loads, stores and read-modify-write, the moffs forms (MOV EAX,[abs] A0-A3),
 * XLAT, flat segment overrides (DS ES SS CS FS GS as Multiboot leaves them),
 * LEA of each form, effective addresses that wrap at 4 GiB (0xFFFFF000 +
 * 0x2000 is linear 0x1000), accesses straddling two RAM pages, and last the
 * 16-bit address-size forms (0x67: [BX+SI+disp16] wrapping at 64 KiB, moffs16).
 *
 * Expected values are compile-time constants: am_data holds PAT(i) at dword
 * i, so a load from byte offset o has a value known before the guest runs.
 * Returns 0 only if every check passed.
 */
#include <stdint.h>

#include "check.h"
#include "console.h"
#include "multiboot.h"

/* Dword i of am_data; every byte is distinct from its neighbours. */
#define PAT(i) (0xc0de0010u + (uint32_t)(i) * 0x0101u)
/* The byte at offset o of am_data, and the (unaligned) dword there. */
#define PATB(o) ((PAT((o) / 4) >> (8 * ((o) % 4))) & 0xffu)
#define PATD(o) (PATB(o) | PATB((o) + 1) << 8 | PATB((o) + 2) << 16 | PATB((o) + 3) << 24)

#define P4(i)  PAT(i), PAT(i + 1), PAT(i + 2), PAT(i + 3)
#define P16(i) P4(i), P4(i + 4), P4(i + 8), P4(i + 12)
static uint32_t am_data[64] __attribute__((aligned(16))) = { P16(0), P16(16), P16(32), P16(48) };
static volatile uint32_t am_scratch[16];
static volatile uint8_t am_pages[2 * 4096] __attribute__((aligned(4096)));

#define LOW_PAGE   0x1000u      /* linear 0x1000: low RAM, saved and restored */
#define U(p) ((uint32_t)(uintptr_t)(p))

/*
 * Run insn with EAX..EDI preset (EBP and ESP untouched) and return EAX. The
 * operands are pinned so insn can name registers literally.
 */
#define AM(insn, a, b, c, d, S, D) ({                                          \
	uint32_t am_a = (a);                                                   \
	__asm__ volatile(insn : "+a"(am_a)                                     \
			 : "b"(b), "c"(c), "d"(d), "S"(S), "D"(D) : "memory", "cc"); \
	am_a; })

/* Run insn with EBP = bp (saved and restored around it); EAX out. */
#define AM_EBP(insn, bp, c) ({                                                 \
	uint32_t am_a = 0;                                                     \
	__asm__ volatile("pushl %%ebp\n\tmovl %1, %%ebp\n\t" insn "\n\tpopl %%ebp" \
			 : "+a"(am_a) : "d"(bp), "c"(c) : "memory", "cc");    \
	am_a; })

static void am_modrm_bases(void)
{
	uint32_t d = U(am_data);

	check_eq("mov eax, [eax]", AM("movl (%%eax), %%eax", d + 12, 0, 0, 0, 0, 0), PAT(3));
	check_eq("mov eax, [ecx]", AM("movl (%%ecx), %%eax", 0, 0, d + 16, 0, 0, 0), PAT(4));
	check_eq("mov eax, [edx]", AM("movl (%%edx), %%eax", 0, 0, 0, d + 20, 0, 0), PAT(5));
	check_eq("mov eax, [ebx]", AM("movl (%%ebx), %%eax", 0, d + 24, 0, 0, 0, 0), PAT(6));
	check_eq("mov eax, [esi]", AM("movl (%%esi), %%eax", 0, 0, 0, 0, d + 28, 0), PAT(7));
	check_eq("mov eax, [edi]", AM("movl (%%edi), %%eax", 0, 0, 0, 0, 0, d + 32), PAT(8));
	check_eq("mov eax, [ebp] (mod 01, disp8 0)", AM_EBP("movl (%%ebp), %%eax", d + 36, 0),
		 PAT(9));
	check_eq("mov eax, [ebx+disp8]", AM("movl 0x7c(%%ebx), %%eax", 0, d, 0, 0, 0, 0), PAT(31));
	check_eq("mov eax, [esi-disp8]", AM("movl -8(%%esi), %%eax", 0, 0, 0, 0, d + 40, 0),
		 PAT(8));
	check_eq("mov eax, [ebp+disp8]", AM_EBP("movl 0x10(%%ebp), %%eax", d, 0), PAT(4));
	check_eq("mov eax, [ecx+disp32]", AM("movl 0x80(%%ecx), %%eax", 0, 0, d, 0, 0, 0), PAT(32));
	check_eq("mov eax, [edx-disp32]", AM("movl -0x100(%%edx), %%eax", 0, 0, 0, d + 0x104, 0, 0),
		 PAT(1));
	check_eq("mov eax, [ebp+disp32]", AM_EBP("movl 0xc0(%%ebp), %%eax", d, 0), PAT(48));
	check_eq("mov eax, [ebx+disp32 symbol]",
		 AM("movl am_data+0x20(%%ebx), %%eax", 0, 8, 0, 0, 0, 0),
		 PAT(10));
	check_eq("mov eax, [ebx+1] unaligned", AM("movl 1(%%ebx), %%eax", 0, d, 0, 0, 0, 0),
		 PATD(1));
	check_eq("movzx eax, byte [ebx+5]", AM("movzbl 5(%%ebx), %%eax", 0, d, 0, 0, 0, 0),
		 PATB(5));
	check_eq("movsx eax, word [ebx+2]", AM("movswl 2(%%ebx), %%eax", 0, d, 0, 0, 0, 0),
		 0xffff0000u | (PAT(0) >> 16));
	check_eq("mov ax, [ebx+6] keeps eax high",
		 AM("movw 6(%%ebx), %%ax", 0x12345678, d, 0, 0, 0, 0),
		 0x12340000u | (PAT(1) >> 16));
}

static void am_sib(void)
{
	uint32_t d = U(am_data);

	check_eq("mov eax, [ebx+esi*1]", AM("movl (%%ebx,%%esi,1), %%eax", 0, d, 0, 0, 20, 0),
		 PAT(5));
	check_eq("mov eax, [ebx+esi*2+disp8]", AM("movl 4(%%ebx,%%esi,2), %%eax", 0, d, 0, 0, 6, 0),
		 PAT(4));
	check_eq("mov eax, [ecx+edi*4+disp8]",
		 AM("movl 0x40(%%ecx,%%edi,4), %%eax", 0, 0, d, 0, 0, 3),
		 PAT(19));
	check_eq("mov eax, [edx+eax*8-8]", AM("movl -8(%%edx,%%eax,8), %%eax", 2, 0, 0, d, 0, 0),
		 PAT(2));
	check_eq("mov eax, [eax+ecx*8+disp32]",
		 AM("movl am_data(%%eax,%%ecx,8), %%eax", 4, 0, 3, 0, 0, 0), PAT(7));
	check_eq("mov eax, [esi*4+disp32] (no base)",
		 AM("movl am_data(,%%esi,4), %%eax", 0, 0, 0, 0, 9, 0),
		 PAT(9));
	check_eq("mov eax, [ebp+ecx*4] (mod 01)", AM_EBP("movl (%%ebp,%%ecx,4), %%eax", d, 11),
		 PAT(11));
	check_eq("mov eax, [ebx+ecx*4] negative index",
		 AM("movl (%%ebx,%%ecx,4), %%eax", 0, d + 80, (uint32_t)-2, 0, 0, 0), PAT(18));
	check_eq("mov eax, [edi+edi*2+disp32]",
		 AM("movl am_data(%%edi,%%edi,2), %%eax", 0, 0, 0, 0, 0, 4),
		 PAT(3));
	check_eq("mov eax, [esi+edx*8+disp32] unaligned",
		 AM("movl 0x103(%%esi,%%edx,8), %%eax", 0, 0, 0, 0x10, d - 0x180, 0), PATD(3));
}

/* ESP as a base: push known values, read them back at fixed offsets. */
static void am_esp(void)
{
	uint32_t a0, a1, a2, a3;

	__asm__ volatile("pushl $0x11111111\n\t"
			 "pushl $0x22222222\n\t"
			 "pushl $0x33333333\n\t"
			 "movl (%%esp), %0\n\t"          /* [esp]: SIB, no index */
			 "movl 8(%%esp), %1\n\t"         /* [esp+disp8] */
			 "movl $1, %3\n\t"
			 "movl (%%esp,%3,4), %2\n\t"     /* [esp+index*4] */
			 "movl $0x44444444, 4(%%esp)\n\t"
			 "movl 0x84(%%esp), %3\n\t"      /* [esp+disp32]: load to warm, then */
			 "movl 4(%%esp), %3\n\t"         /* read back the store */
			 "addl $12, %%esp"
			 : "=&r"(a0), "=&r"(a1), "=&r"(a2), "=&r"(a3) : : "memory", "cc");
	check_eq("mov r, [esp]", a0, 0x33333333);
	check_eq("mov r, [esp+8]", a1, 0x11111111);
	check_eq("mov r, [esp+index*4]", a2, 0x22222222);
	check_eq("mov [esp+4], imm then read", a3, 0x44444444);
}

static void am_absolute(void)
{
	uint32_t r;

	/* A1/A0/66 A1: moffs; 8B 0D / 03 15: ModRM mod 00 rm 101 [disp32]. */
	check_eq("mov eax, [moffs32] (A1)", AM("movl am_data+0x2c, %%eax", 0, 0, 0, 0, 0, 0),
		 PAT(11));
	check_eq("mov al, [moffs8] (A0)", AM("movb am_data+0x31, %%al", 0xabcdef00, 0, 0, 0, 0, 0),
		 0xabcdef00u | PATB(0x31));
	check_eq("mov ax, [moffs16] (66 A1)",
		 AM("movw am_data+0x32, %%ax", 0x12345678, 0, 0, 0, 0, 0),
		 0x12340000u | (PAT(12) >> 16));
	AM("movl %%eax, am_scratch+8", 0xfeedbeef, 0, 0, 0, 0, 0);
	check_eq("mov [moffs32], eax (A3)", am_scratch[2], 0xfeedbeef);
	AM("movb %%al, am_scratch+13", 0x5a, 0, 0, 0, 0, 0);
	check_eq("mov [moffs8], al (A2)", am_scratch[3], 0x00005a00);
	check_eq("mov ecx, [disp32]",
		 AM("movl am_data+0x38, %%ecx\n\tmovl %%ecx, %%eax", 0, 0, 0, 0, 0, 0),
		 PAT(14));
	check_eq("add edx, [disp32]",
		 AM("addl am_data+0x3c, %%edx\n\tmovl %%edx, %%eax", 0, 0, 0, 5, 0, 0),
		 PAT(15) + 5);
	am_scratch[4] = 41;
	__asm__ volatile("incl am_scratch+16" : : : "memory", "cc");
	check_eq("inc dword [disp32]", am_scratch[4], 42);
	__asm__ volatile("movl $0x600d, am_scratch+20" : : : "memory");
	check_eq("mov dword [disp32], imm32", am_scratch[5], 0x600d);
	r = AM("cmpl $0x600d, am_scratch+20\n\tsete %%al", 0xffffff00, 0, 0, 0, 0, 0);
	check_eq("cmp dword [disp32], imm", r, 0xffffff01);
}

static void am_xlat(void)
{
	uint32_t d = U(am_data);

	check_eq("xlat", AM("xlat", 0xabcdef09, d, 0, 0, 0, 0), 0xabcdef00u | PATB(9));
	check_eq("xlat with al >= 0x80 (zero-extended)", AM("xlat", 0x85, d, 0, 0, 0, 0),
		 PATB(0x85));
	check_eq("xlat es:", AM(".byte 0x26\n\txlat", 0x21, d, 0, 0, 0, 0), PATB(0x21));
}

/* Multiboot leaves CS, DS, ES, FS, GS, SS flat (MB 0.6.96 §3.2). */
static void am_segment_overrides(void)
{
	uint32_t d = U(am_data);

	check_eq("mov eax, ds:[ebx+8]", AM("movl %%ds:8(%%ebx), %%eax", 0, d, 0, 0, 0, 0), PAT(2));
	check_eq("mov eax, es:[ebx+12]", AM("movl %%es:12(%%ebx), %%eax", 0, d, 0, 0, 0, 0),
		 PAT(3));
	check_eq("mov eax, ss:[ebx+16]", AM("movl %%ss:16(%%ebx), %%eax", 0, d, 0, 0, 0, 0),
		 PAT(4));
	check_eq("mov eax, cs:[ebx+20]", AM("movl %%cs:20(%%ebx), %%eax", 0, d, 0, 0, 0, 0),
		 PAT(5));
	check_eq("mov eax, fs:[ebx+24]", AM("movl %%fs:24(%%ebx), %%eax", 0, d, 0, 0, 0, 0),
		 PAT(6));
	check_eq("mov eax, gs:[ebx+28]", AM("movl %%gs:28(%%ebx), %%eax", 0, d, 0, 0, 0, 0),
		 PAT(7));
	check_eq("mov eax, gs:[moffs32]", AM("movl %%gs:am_data+0x40, %%eax", 0, 0, 0, 0, 0, 0),
		 PAT(16));
	check_eq("mov eax, cs:[disp32]", AM("movl %%cs:am_data+0x44, %%eax", 0, 0, 0, 0, 0, 0),
		 PAT(17));
	AM("movl %%ecx, %%es:(%%ebx,%%esi,4)", 0, U(am_scratch), 0x0e5e5e5e, 0, 6, 0);
	check_eq("mov es:[ebx+esi*4], ecx", am_scratch[6], 0x0e5e5e5e);
	AM("movl %%ecx, %%gs:4(%%ebx)", 0, U(am_scratch), 0x65656565, 0, 0, 0);
	check_eq("mov gs:[ebx+4], ecx", am_scratch[1], 0x65656565);
	AM("addl %%ecx, %%fs:(%%ebx)", 0, U(am_scratch) + 28, 0x10, 0, 0, 0);
	check_eq("add fs:[ebx], ecx", am_scratch[7], 0x10);
}

static void am_lea(void)
{
	check_eq("lea [ebx+esi*8+disp32]",
		 AM("leal 0x12345678(%%ebx,%%esi,8), %%eax", 0, 0x1000, 0, 0, 0x10, 0),
		 0x12345678u + 0x1000u + 0x10u * 8);
	check_eq("lea [ecx+disp8]", AM("leal -0x80(%%ecx), %%eax", 0, 0, 0x100, 0, 0, 0), 0x80);
	check_eq("lea [edx*2]", AM("leal (,%%edx,2), %%eax", 0, 0, 0, 0x40000001, 0, 0),
		 0x80000002);
	check_eq("lea [edi+edi*4] wraps",
		 AM("leal (%%edi,%%edi,4), %%eax", 0, 0, 0, 0, 0, 0x40000000),
		 0x40000000u);
	check_eq("lea [eax+0x2000] wraps to 0x1000",
		 AM("leal 0x2000(%%eax), %%eax", 0xfffff000, 0, 0, 0, 0, 0),
		 0x1000);
	check_eq("lea [eax+ebx*8-1]", AM("leal -1(%%eax,%%ebx,8), %%eax", 0, 0, 0, 0, 0, 0),
		 0xffffffff);
	check_eq("lea [disp32]", AM("leal am_data+4, %%eax", 0, 0, 0, 0, 0, 0), U(am_data) + 4);
}

/* Effective addresses that overflow 32 bits wrap (the segments are flat). */
static void am_wrap(void)
{
	volatile uint32_t *low = (volatile uint32_t *)LOW_PAGE;
	uint32_t saved = *low;

	*low = 0xfeedc0de;
	check_eq("mov eax, [0xfffff000+0x2000] reads linear 0x1000",
		 AM("movl 0x2000(%%eax), %%eax", 0xfffff000, 0, 0, 0, 0, 0), 0xfeedc0de);
	check_eq("mov eax, [ebx+esi*8] wraps to 0x1000",
		 AM("movl (%%ebx,%%esi,8), %%eax", 0, 0x80001000, 0, 0, 0x10000000, 0), 0xfeedc0de);
	check_eq("mov eax, [ecx+0x70001000] wraps to 0x1000",
		 AM("movl 0x70001000(%%ecx), %%eax", 0, 0, 0x90000000, 0, 0, 0), 0xfeedc0de);
	AM("movl %%ecx, 0x1004(%%edx)", 0, 0, 0xabad1dea, 0xfffffffc, 0, 0);
	check_eq("mov [0xfffffffc+0x1004], ecx writes linear 0x1000", *low, 0xabad1dea);
	*low = saved;
}

/* Both pages are RAM: the access is split across them, never faulted. */
static void am_straddle(void)
{
	uint32_t base = U(am_pages);

	am_pages[4094] = 0x11;
	am_pages[4095] = 0x22;
	am_pages[4096] = 0x33;
	am_pages[4097] = 0x44;
	check_eq("mov eax, [page end-2] straddles",
		 AM("movl 4094(%%ebx), %%eax", 0, base, 0, 0, 0, 0),
		 0x44332211);
	AM("movl %%ecx, 4093(%%ebx)", 0, base, 0xa1b2c3d4, 0, 0, 0);
	check_eq("mov [page end-3], ecx straddles",
		 am_pages[4093] | am_pages[4094] << 8 | am_pages[4095] << 16 |
		 (uint32_t)am_pages[4096] << 24, 0xa1b2c3d4);
	AM("movw %%cx, 4095(%%ebx)", 0, base, 0xbeef, 0, 0, 0);
	check_eq("mov [page end-1], cx straddles", am_pages[4095] | am_pages[4096] << 8, 0xbeef);
	AM("addl %%ecx, 4094(%%ebx)", 0, base, 0x01010101, 0, 0, 0);
	check_eq("add [page end-2], ecx straddles",
		 AM("movl 4094(%%ebx), %%eax", 0, base, 0, 0, 0, 0),
		 0x44beefc3u + 0x01010101u);
}

/* Address-size prefix 0x67: 16-bit ModRM ([BX+SI] ...), offsets wrap at 64 KiB. */
static void am_addr16(void)
{
	volatile uint32_t *low = (volatile uint32_t *)LOW_PAGE;
	uint32_t saved0 = low[0], saved1 = low[1], saved8 = low[8];

	low[0] = 0x16161616;
	low[1] = 0x600dcafe;
	low[8] = 0x20202020;
	check_eq("addr16 mov eax, [bx+si]",
		 AM("addr16 movl (%%bx,%%si), %%eax", 0, 0x1000, 0, 0, 0x20, 0),
		 0x20202020);
	check_eq("addr16 mov eax, [bx+si+disp16] wraps at 64K, ignores high bits",
		 AM("addr16 movl 0x0f00(%%bx,%%si), %%eax", 0, 0xabcdf000, 0, 0, 0x12341100, 0),
		 0x16161616);
	check_eq("addr16 mov eax, [di+disp8]",
		 AM("addr16 movl 4(%%di), %%eax", 0, 0, 0, 0, 0, 0x1000),
		 0x600dcafe);
	check_eq("addr16 lea eax, [bx+si+disp8]",
		 AM("addr16 leal 0x10(%%bx,%%si), %%eax", 0, 0xfff8, 0, 0, 0x10, 0),
		 0x18);
	check_eq("addr16 mov eax, [moffs16] (67 A1)",
		 AM("addr16 movl 0x1004, %%eax", 0, 0, 0, 0, 0, 0),
		 0x600dcafe);
	low[0] = saved0;
	low[1] = saved1;
	low[8] = saved8;
}

int guest_main(uint32_t magic, const struct mb_info *info)
{
	(void)magic;
	(void)info;
	console_puts("addressing: ModRM/SIB/moffs/XLAT forms, overrides, wrap, page straddle\n");
	am_modrm_bases();
	am_sib();
	am_esp();
	am_absolute();
	am_xlat();
	am_segment_overrides();
	am_lea();
	am_wrap();
	am_straddle();
	am_addr16();
	return check_summary("addressing");
}

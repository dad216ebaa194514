/*
 * emulate_smc.c — guest test: a sensitive instruction rewritten in place is
 * emulated as what it is now. btmon keeps decoded instructions of emulate
 * exits by EIP, and the block that followed each (src/monitor/decode_cache.c,
 * emulate.c); this guest changes the bytes at one EIP between calls and
 * checks every call sees the new instruction and the new code after it.
 *
 * The code buffer (in RAM; paging is off, so it is executable) is called
 * three times for each version, so the later calls are cache hits:
 *	mov eax, cr2 ; add eax, 1 ; ret     then CR0 instead of CR2 (one byte)
 *	then add eax, 2 (the code after the exit changes, the exit does not)
 *	then CR2 again; then in al, dx (a 1-byte instruction at the same EIP,
 *	debug console port 0xE9, which reads 0xE9) ; add eax, 2 ; ret
 *
 * Expected values: CR2 is loaded by this guest; CR0 is read by a MOV at
 * another EIP. Run with and without --verify (which bypasses the cached
 * next block). Returns 0 only if every check passed.
 */
#include <stdint.h>

#include "check.h"
#include "console.h"
#include "multiboot.h"

#define CR2_VALUE 0x5a5a1000u
#define DEBUGCON  0xe9

/* A page of its own: the checks' own writes (counters) must not invalidate
 * the code between the calls, or nothing would be a cache hit. */
static uint8_t smc_code[4096] __attribute__((aligned(4096)));

/* Call the buffer with EAX = 0, EDX = the debug console port. */
static uint32_t smc_call(void)
{
	uint32_t eax = 0, edx = DEBUGCON;
	__asm__ volatile("call *%[f]" : "+a"(eax), "+d"(edx) : [f] "r"(smc_code) : "ecx", "memory", "cc");
	return eax;
}

static void smc_write(const uint8_t *bytes, unsigned n)
{
	volatile uint8_t *p = smc_code;
	for (unsigned i = 0; i < n; i++)
		p[i] = bytes[i];
}

/* Three calls in a row (the later ones hit the caches), then the checks. */
static void smc_check_calls(const char *what, uint32_t want)
{
	char buf[96];
	uint32_t first = smc_call(), second = smc_call(), third = smc_call();
	check_eq(check_cat(buf, sizeof buf, what, " (first call)"), first, want);
	check_eq(check_cat(buf, sizeof buf, what, " (second call)"), second, want);
	check_eq(check_cat(buf, sizeof buf, what, " (third call)"), third, want);
}

int guest_main(uint32_t magic, const struct mb_info *info)
{
	(void)magic;
	(void)info;
	uint32_t cr0;
	console_puts("emulate_smc: sensitive instructions rewritten at the same EIP\n");
	__asm__ volatile("movl %0, %%cr2" : : "r"(CR2_VALUE));
	__asm__ volatile("movl %%cr0, %0" : "=r"(cr0));

	static const uint8_t cr2_add1[] = { 0x0f, 0x20, 0xd0, 0x83, 0xc0, 0x01, 0xc3 };
	smc_write(cr2_add1, sizeof(cr2_add1));
	smc_check_calls("mov eax, cr2; add eax, 1", CR2_VALUE + 1);

	smc_code[2] = 0xc0;   /* mov eax, cr0 */
	smc_check_calls("rewritten: mov eax, cr0; add eax, 1", cr0 + 1);

	smc_code[5] = 0x02;   /* add eax, 2 */
	smc_check_calls("rewritten after the exit: mov eax, cr0; add eax, 2", cr0 + 2);

	smc_code[2] = 0xd0;   /* mov eax, cr2 */
	smc_check_calls("rewritten back: mov eax, cr2; add eax, 2", CR2_VALUE + 2);

	static const uint8_t in_add2[] = { 0xec, 0x83, 0xc0, 0x02, 0xc3 };
	smc_write(in_add2, sizeof(in_add2));
	smc_check_calls("rewritten shorter: in al, dx; add eax, 2", DEBUGCON + 2);

	smc_write(cr2_add1, sizeof(cr2_add1));
	smc_check_calls("rewritten longer: mov eax, cr2; add eax, 1", CR2_VALUE + 1);
	return check_summary("emulate_smc");
}

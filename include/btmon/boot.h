/*
 * boot.h — the boot protocols, btmon's "firmware" (src/emul/multiboot.c).
 * A loader places a kernel image in guest-physical RAM and says what state the
 * CPU starts in. It only sees RAM as a host pointer and a size.
 */
#ifndef BTMON_BOOT_H
#define BTMON_BOOT_H

#include "btmon/types.h"

/* Guest RAM as a loader sees it: ram[gpa] for gpa < size. */
struct boot_ram {
	uint8_t *base;
	uint32_t size;
};

/* CPU state at kernel entry (protected mode, flat segments, paging off). */
struct boot_state {
	uint32_t eip;
	uint32_t eax, ebx, ecx, edx, esi, edi, esp, ebp;
	gpa_t image_start, image_end;   /* where the kernel was placed (trace, tests) */
};

#define MULTIBOOT_HEADER_MAGIC 0x1BADB002u
#define MULTIBOOT_BOOT_MAGIC   0x2BADB002u
#define MULTIBOOT_SEARCH_LIMIT 8192u

/*
 * Load a Multiboot v1 kernel: an ELF32 i386 executable placed by p_paddr, or
 * any image whose header sets the address fields (flag bit 16, "a.out kludge").
 * Builds the Multiboot information structure (mem_lower/upper, memory map,
 * command line, boot loader name) in low RAM.
 * On BT_ERR_FORMAT / BT_ERR_RANGE writes one human-readable line (no newline)
 * saying what is wrong and where into err.
 */
bt_status multiboot_load(const uint8_t *image, size_t len, const char *cmdline,
			 struct boot_ram ram, struct boot_state *out,
			 char *err, size_t errlen);

#endif

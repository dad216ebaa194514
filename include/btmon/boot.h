/*
 * boot.h — the boot protocols, btmon's "firmware" (src/emul/multiboot.c,
 * src/emul/linux_boot.c).
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

/*
 * Load a Linux bzImage by the 32-bit boot protocol (Documentation/x86/boot.rst,
 * protocol 2.06 or later): the protected-mode kernel at 1 MiB, the initrd
 * (none if initrd_len is 0) page-aligned at the top of RAM below the kernel's
 * initrd_addr_max, the command line (NULL: empty) and boot_params (the "zero
 * page", with an e820 map of ram) in low RAM. Refuses a kernel whose init_size
 * does not fit ram. out gets EIP = code32_start, ESI = boot_params, every
 * other register 0; the caller enters with flat __BOOT_CS (0x10) and
 * __BOOT_DS (0x18) descriptors loaded, IF = 0 and paging off.
 * On BT_ERR_FORMAT / BT_ERR_RANGE writes one human-readable line (no newline)
 * into err, as multiboot_load; guest RAM is untouched then.
 */
bt_status linux_load(const uint8_t *bzimage, size_t len, const uint8_t *initrd, size_t initrd_len,
		     const char *cmdline, struct boot_ram ram, struct boot_state *out,
		     char *err, size_t errlen);

#endif

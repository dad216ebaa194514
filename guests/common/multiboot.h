/*
 * multiboot.h — the Multiboot v1 information structure as a guest kernel
 * receives it in EBX (Multiboot Specification 0.6.96 §3.3). The boot
 * loader's own view is src/emul/multiboot_abi.h; this one is the guest's.
 */
#ifndef GUEST_MULTIBOOT_H
#define GUEST_MULTIBOOT_H

#include <stdint.h>

#define MB_BOOT_MAGIC 0x2BADB002u   /* EAX at entry (MB §3.2) */

#define MB_INFO_MEM          (1u << 0)
#define MB_INFO_CMDLINE      (1u << 2)
#define MB_INFO_MMAP         (1u << 6)
#define MB_INFO_LOADER_NAME  (1u << 9)

struct mb_info {
	uint32_t flags;             /* +0  which fields below are valid */
	uint32_t mem_lower;         /* +4  KiB below 1 MiB */
	uint32_t mem_upper;         /* +8  KiB from 1 MiB */
	uint32_t boot_device;       /* +12 */
	uint32_t cmdline;           /* +16 physical address of a C string */
	uint32_t mods_count;        /* +20 */
	uint32_t mods_addr;         /* +24 */
	uint32_t syms[4];           /* +28 */
	uint32_t mmap_length;       /* +44 bytes */
	uint32_t mmap_addr;         /* +48 first entry's size field */
	uint32_t drives_length;     /* +52 */
	uint32_t drives_addr;       /* +56 */
	uint32_t config_table;      /* +60 */
	uint32_t boot_loader_name;  /* +64 physical address of a C string */
};

/* One memory-map entry; the next starts size + 4 bytes further on. */
struct __attribute__((packed)) mb_mmap_entry {
	uint32_t size;
	uint64_t base_addr;
	uint64_t length;
	uint32_t type;              /* 1: available RAM */
};

/* The guest's C entry point, called by start.S with EAX and EBX as the boot
 * loader left them. Its return value goes to the debug-exit port. */
int guest_main(uint32_t magic, const struct mb_info *info);

#endif

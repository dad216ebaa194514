/*
 * multiboot_abi.h — the binary layouts of the Multiboot v1 protocol, as the
 * boot loader (src/emul/multiboot.c) reads and writes them. Private to emul.
 *
 * Reference: "Multiboot Specification version 0.6.96" (GNU GRUB), cited as
 * "MB §x.y" below. All fields are little-endian, packed at the offsets noted;
 * _Static_asserts pin every offset the loader relies on.
 */
#ifndef BTMON_EMUL_MULTIBOOT_ABI_H
#define BTMON_EMUL_MULTIBOOT_ABI_H

#include <stddef.h>
#include <stdint.h>

/*
 * MB §3.1.1 "The layout of Multiboot header": at a 4-byte aligned offset
 * within the first 8192 bytes of the image (MULTIBOOT_SEARCH_LIMIT).
 */
struct mb_header {
	uint32_t magic;          /* +0  MULTIBOOT_HEADER_MAGIC = 0x1BADB002 */
	uint32_t flags;          /* +4  MB_HF_* feature requests */
	uint32_t checksum;       /* +8  magic + flags + checksum == 0 (mod 2^32) */
	/* Present when flags bit 16 (MB_HF_ADDRESS, "a.out kludge") is set. */
	uint32_t header_addr;    /* +12 physical address of the magic field */
	uint32_t load_addr;      /* +16 physical address of the start of the text segment */
	uint32_t load_end_addr;  /* +20 end of the data segment; 0: to the end of the file */
	uint32_t bss_end_addr;   /* +24 end of the bss segment; 0: no bss */
	uint32_t entry_addr;     /* +28 physical address to jump to */
	/* Present when flags bit 2 (MB_HF_VIDEO) is set (btmon ignores them). */
	uint32_t mode_type;      /* +32 0: linear framebuffer, 1: EGA text */
	uint32_t width;          /* +36 */
	uint32_t height;         /* +40 */
	uint32_t depth;          /* +44 */
};

#define MB_HEADER_MIN_SIZE      12u  /* magic, flags, checksum */
#define MB_HEADER_ADDR_SIZE     32u  /* ... up to and including entry_addr */

/* MB §3.1.2 "The magic fields of Multiboot header": flags bits 0-15 are
 * requirements (a loader that cannot honour one must refuse the image),
 * bits 16-31 optional features. */
#define MB_HF_PAGE_ALIGN   (1u << 0)   /* align boot modules on 4 KiB (btmon loads none) */
#define MB_HF_MEMORY_INFO  (1u << 1)   /* mem_* fields required (always provided) */
#define MB_HF_VIDEO        (1u << 2)   /* video mode table present (accepted, ignored) */
#define MB_HF_ADDRESS      (1u << 16)  /* header_addr..entry_addr are valid */
#define MB_HF_REQUIRED_MASK 0x0000FFFFu
#define MB_HF_SUPPORTED    (MB_HF_PAGE_ALIGN | MB_HF_MEMORY_INFO | MB_HF_VIDEO)

_Static_assert(offsetof(struct mb_header, flags) == 4, "MB §3.1.1");
_Static_assert(offsetof(struct mb_header, checksum) == 8, "MB §3.1.1");
_Static_assert(offsetof(struct mb_header, header_addr) == 12, "MB §3.1.1");
_Static_assert(offsetof(struct mb_header, entry_addr) == 28, "MB §3.1.1");
_Static_assert(offsetof(struct mb_header, mode_type) == 32, "MB §3.1.1");
_Static_assert(sizeof(struct mb_header) == 48, "MB §3.1.1");

/*
 * MB §3.3 "Boot information format": the structure whose physical address
 * the kernel receives in EBX. A field is valid only if its flags bit is set.
 */
struct mb_info {
	uint32_t flags;              /* +0  MB_IF_* */
	uint32_t mem_lower;          /* +4  KiB of memory below 1 MiB (MB_IF_MEM) */
	uint32_t mem_upper;          /* +8  KiB of memory from 1 MiB to the first hole */
	uint32_t boot_device;        /* +12 (MB_IF_BOOTDEV) */
	uint32_t cmdline;            /* +16 physical address of a NUL-terminated string */
	uint32_t mods_count;         /* +20 (MB_IF_MODS) */
	uint32_t mods_addr;          /* +24 */
	uint32_t syms[4];            /* +28 a.out symbols or ELF section headers */
	uint32_t mmap_length;        /* +44 bytes of memory map (MB_IF_MMAP) */
	uint32_t mmap_addr;          /* +48 physical address of the first entry's size field */
	uint32_t drives_length;      /* +52 (MB_IF_DRIVES) */
	uint32_t drives_addr;        /* +56 */
	uint32_t config_table;       /* +60 (MB_IF_CONFIG) */
	uint32_t boot_loader_name;   /* +64 physical address of a NUL-terminated string */
	uint32_t apm_table;          /* +68 (MB_IF_APM) */
	uint32_t vbe_control_info;   /* +72 (MB_IF_VBE) */
	uint32_t vbe_mode_info;      /* +76 */
	uint16_t vbe_mode;           /* +80 */
	uint16_t vbe_interface_seg;  /* +82 */
	uint16_t vbe_interface_off;  /* +84 */
	uint16_t vbe_interface_len;  /* +86 */
};

#define MB_IF_MEM          (1u << 0)
#define MB_IF_BOOTDEV      (1u << 1)
#define MB_IF_CMDLINE      (1u << 2)
#define MB_IF_MODS         (1u << 3)
#define MB_IF_AOUT_SYMS    (1u << 4)
#define MB_IF_ELF_SHDR     (1u << 5)
#define MB_IF_MMAP         (1u << 6)
#define MB_IF_DRIVES       (1u << 7)
#define MB_IF_CONFIG       (1u << 8)
#define MB_IF_LOADER_NAME  (1u << 9)
#define MB_IF_APM          (1u << 10)
#define MB_IF_VBE          (1u << 11)

_Static_assert(offsetof(struct mb_info, cmdline) == 16, "MB §3.3");
_Static_assert(offsetof(struct mb_info, mmap_length) == 44, "MB §3.3");
_Static_assert(offsetof(struct mb_info, mmap_addr) == 48, "MB §3.3");
_Static_assert(offsetof(struct mb_info, boot_loader_name) == 64, "MB §3.3");
_Static_assert(offsetof(struct mb_info, vbe_mode) == 80, "MB §3.3");
_Static_assert(sizeof(struct mb_info) == 88, "MB §3.3");

/*
 * MB §3.3, memory map: a sequence of entries, each preceded by its own size
 * (not counting the size field itself). mmap_addr points at the first size
 * field, as GRUB does; the next entry starts size + 4 bytes further on.
 * Packed: base_addr sits at +4, not naturally aligned.
 */
struct __attribute__((packed)) mb_mmap_entry {
	uint32_t size;       /* +0  20: the bytes that follow */
	uint64_t base_addr;  /* +4  */
	uint64_t length;     /* +12 */
	uint32_t type;       /* +20 MB_MEMORY_* */
};

#define MB_MMAP_ENTRY_SIZE 20u   /* value of the size field */
#define MB_MEMORY_AVAILABLE 1u   /* usable RAM */
#define MB_MEMORY_RESERVED  2u   /* anything else */

_Static_assert(offsetof(struct mb_mmap_entry, base_addr) == 4, "MB §3.3");
_Static_assert(offsetof(struct mb_mmap_entry, type) == 20, "MB §3.3");
_Static_assert(sizeof(struct mb_mmap_entry) == 4 + MB_MMAP_ENTRY_SIZE, "MB §3.3");

#endif

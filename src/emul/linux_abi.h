/*
 * linux_abi.h — the binary layouts of the Linux/x86 boot protocol, as the
 * bzImage loader (src/emul/linux_boot.c) reads and writes them. Private to
 * emul.
 *
 * References, cited below as:
 *   "boot.rst"       Documentation/x86/boot.rst, "The Linux/x86 Boot
 *                    Protocol" (the real-mode kernel header table, "Details
 *                    of Harder Fields", "32-bit Boot Protocol");
 *   "bootparam.h"    arch/x86/include/uapi/asm/bootparam.h (struct
 *                    setup_header, struct boot_params, struct
 *                    boot_e820_entry, the loadflags bits).
 * All fields are little-endian. Offsets are file offsets in the bzImage and,
 * identically, offsets in boot_params (the "zero page"), which holds a copy
 * of the setup header at the same place; _Static_asserts pin each one.
 */
#ifndef BTMON_EMUL_LINUX_ABI_H
#define BTMON_EMUL_LINUX_ABI_H

#include <stddef.h>
#include <stdint.h>

/* boot.rst, "The Real-Mode Kernel Header": the setup header starts at 0x1F1
 * of the image; its end is 0x202 + the byte at 0x201 (the jump offset). */
#define LINUX_HDR_OFFSET      0x1F1u
#define LINUX_HDR_JUMP_END    0x202u    /* the jump's displacement is relative to this */
#define LINUX_HDR_LIMIT       0x290u    /* bootparam.h: the zero page's hdr hole ends here */
#define LINUX_SECTOR_SIZE     512u
#define LINUX_SETUP_SECTS_DEFAULT 4u    /* boot.rst: setup_sects 0 means 4 */

#define LINUX_BOOT_FLAG       0xAA55u       /* boot_flag */
#define LINUX_HDRS_MAGIC      0x53726448u   /* header: "HdrS" */
#define LINUX_TYPE_UNDEFINED  0xFFu         /* type_of_loader: no assigned id */
#define LINUX_LOAD_HIGH_ADDR  0x100000u     /* boot.rst: bzImage load address */

/*
 * bootparam.h struct setup_header, placed at offset 0x1F1. The comment on
 * each field is its offset and the protocol that introduced it (boot.rst's
 * table); a field newer than the image's version must read as 0 and must
 * not be written.
 */
struct __attribute__((packed)) linux_setup_header {
	uint8_t  setup_sects;            /* 0x1F1 ALL   setup size in 512-byte sectors */
	uint16_t root_flags;             /* 0x1F2 ALL */
	uint32_t syssize;                /* 0x1F4 2.04+ protected-mode size in 16-byte paras */
	uint16_t ram_size;               /* 0x1F8 ALL   obsolete */
	uint16_t vid_mode;               /* 0x1FA ALL */
	uint16_t root_dev;               /* 0x1FC ALL */
	uint16_t boot_flag;              /* 0x1FE ALL   LINUX_BOOT_FLAG */
	uint16_t jump;                   /* 0x200 2.00+ 0xEB, displacement to the header end */
	uint32_t header;                 /* 0x202 2.00+ LINUX_HDRS_MAGIC */
	uint16_t version;                /* 0x206 2.00+ (major << 8) | minor */
	uint32_t realmode_swtch;         /* 0x208 2.00+ */
	uint16_t start_sys_seg;          /* 0x20C 2.00+ obsolete */
	uint16_t kernel_version;         /* 0x20E 2.00+ version string offset - 0x200 */
	uint8_t  type_of_loader;         /* 0x210 2.00+ written: boot loader id */
	uint8_t  loadflags;              /* 0x211 2.00+ LINUX_LF_* */
	uint16_t setup_move_size;        /* 0x212 2.00+ */
	uint32_t code32_start;           /* 0x214 2.00+ 32-bit entry (default: load address) */
	uint32_t ramdisk_image;          /* 0x218 2.00+ written: initrd address */
	uint32_t ramdisk_size;           /* 0x21C 2.00+ written: initrd size */
	uint32_t bootsect_kludge;        /* 0x220 2.00+ obsolete */
	uint16_t heap_end_ptr;           /* 0x224 2.01+ written: end of setup heap - 0x200 */
	uint8_t  ext_loader_ver;         /* 0x226 2.02+ */
	uint8_t  ext_loader_type;        /* 0x227 2.02+ */
	uint32_t cmd_line_ptr;           /* 0x228 2.02+ written: command line address */
	uint32_t initrd_addr_max;        /* 0x22C 2.03+ highest byte the initrd may occupy */
	uint32_t kernel_alignment;       /* 0x230 2.05+ */
	uint8_t  relocatable_kernel;     /* 0x234 2.05+ */
	uint8_t  min_alignment;          /* 0x235 2.10+ */
	uint16_t xloadflags;             /* 0x236 2.12+ */
	uint32_t cmdline_size;           /* 0x238 2.06+ longest command line, without NUL */
	uint32_t hardware_subarch;       /* 0x23C 2.07+ 0: the x86/PC environment */
	uint64_t hardware_subarch_data;  /* 0x240 2.07+ */
	uint32_t payload_offset;         /* 0x248 2.08+ */
	uint32_t payload_length;         /* 0x24C 2.08+ */
	uint64_t setup_data;             /* 0x250 2.09+ */
	uint64_t pref_address;           /* 0x258 2.10+ preferred (non-relocatable: fixed) address */
	uint32_t init_size;              /* 0x260 2.10+ memory needed from the runtime start */
	uint32_t handover_offset;        /* 0x264 2.11+ */
	uint32_t kernel_info_offset;     /* 0x268 2.15+ */
};

#define LINUX_HDR_AT(field) (LINUX_HDR_OFFSET + offsetof(struct linux_setup_header, field))
_Static_assert(LINUX_HDR_AT(syssize) == 0x1F4, "boot.rst header table");
_Static_assert(LINUX_HDR_AT(boot_flag) == 0x1FE, "boot.rst header table");
_Static_assert(LINUX_HDR_AT(header) == 0x202, "boot.rst header table");
_Static_assert(LINUX_HDR_AT(version) == 0x206, "boot.rst header table");
_Static_assert(LINUX_HDR_AT(type_of_loader) == 0x210, "boot.rst header table");
_Static_assert(LINUX_HDR_AT(loadflags) == 0x211, "boot.rst header table");
_Static_assert(LINUX_HDR_AT(code32_start) == 0x214, "boot.rst header table");
_Static_assert(LINUX_HDR_AT(ramdisk_image) == 0x218, "boot.rst header table");
_Static_assert(LINUX_HDR_AT(ramdisk_size) == 0x21C, "boot.rst header table");
_Static_assert(LINUX_HDR_AT(heap_end_ptr) == 0x224, "boot.rst header table");
_Static_assert(LINUX_HDR_AT(cmd_line_ptr) == 0x228, "boot.rst header table");
_Static_assert(LINUX_HDR_AT(initrd_addr_max) == 0x22C, "boot.rst header table");
_Static_assert(LINUX_HDR_AT(kernel_alignment) == 0x230, "boot.rst header table");
_Static_assert(LINUX_HDR_AT(relocatable_kernel) == 0x234, "boot.rst header table");
_Static_assert(LINUX_HDR_AT(cmdline_size) == 0x238, "boot.rst header table");
_Static_assert(LINUX_HDR_AT(hardware_subarch) == 0x23C, "boot.rst header table");
_Static_assert(LINUX_HDR_AT(pref_address) == 0x258, "boot.rst header table");
_Static_assert(LINUX_HDR_AT(init_size) == 0x260, "boot.rst header table");
_Static_assert(LINUX_HDR_AT(kernel_info_offset) == 0x268, "boot.rst header table");
_Static_assert(LINUX_HDR_OFFSET + sizeof(struct linux_setup_header) <= LINUX_HDR_LIMIT,
	       "bootparam.h: setup_header fits the zero page's hole");

/* Where the header must end for the fields a protocol version defines. */
#define LINUX_HDR_END_2_06  (LINUX_HDR_AT(cmdline_size) + 4u)   /* 0x23C */
#define LINUX_HDR_END_2_10  (LINUX_HDR_AT(init_size) + 4u)      /* 0x264 */

/* boot.rst "loadflags", bootparam.h */
#define LINUX_LF_LOADED_HIGH   (1u << 0)  /* read: protected-mode code goes at 0x100000 */
#define LINUX_LF_KASLR         (1u << 1)  /* kernel internal */
#define LINUX_LF_QUIET         (1u << 5)  /* write: no early messages */
#define LINUX_LF_KEEP_SEGMENTS (1u << 6)  /* write (2.07+): do not reload segment registers */
#define LINUX_LF_CAN_USE_HEAP  (1u << 7)  /* write: heap_end_ptr is valid */

/* Protocol versions as the version field holds them. */
#define LINUX_PROTO(major, minor) (((major) << 8) | (minor))
#define LINUX_PROTO_MIN       LINUX_PROTO(2, 6)    /* btmon's minimum: cmdline_size */
#define LINUX_PROTO_SUBARCH   LINUX_PROTO(2, 7)    /* hardware_subarch */
#define LINUX_PROTO_INIT_SIZE LINUX_PROTO(2, 10)   /* pref_address, init_size */

/*
 * bootparam.h struct boot_params, the 4 KiB "zero page": only the fields
 * btmon writes. Everything else stays zero — in particular screen_info
 * (0x000-0x03F): orig_video_lines = orig_video_cols = 0 tells the kernel
 * there is no VGA text console, and the sentinel (0x1EF) stays 0 because
 * only the setup header is copied in (the 32-bit boot protocol's rule).
 */
#define LINUX_BP_SIZE          4096u
#define LINUX_BP_ALT_MEM_K     0x1E0u   /* u32: KiB of memory above 1 MiB */
#define LINUX_BP_E820_ENTRIES  0x1E8u   /* u8: entries used in e820_table */
#define LINUX_BP_SENTINEL      0x1EFu   /* u8: must be 0 */
#define LINUX_BP_HDR           LINUX_HDR_OFFSET   /* struct linux_setup_header */
#define LINUX_BP_E820_TABLE    0x2D0u   /* struct linux_e820_entry[128] */
#define LINUX_E820_MAX         128u     /* E820_MAX_ENTRIES_ZEROPAGE */

/* bootparam.h struct boot_e820_entry: 20 bytes, packed. */
struct __attribute__((packed)) linux_e820_entry {
	uint64_t addr;
	uint64_t size;
	uint32_t type;   /* LINUX_E820_* */
};

#define LINUX_E820_RAM      1u   /* usable */
#define LINUX_E820_RESERVED 2u

_Static_assert(sizeof(struct linux_e820_entry) == 20, "bootparam.h boot_e820_entry");
_Static_assert(LINUX_BP_E820_TABLE + LINUX_E820_MAX * sizeof(struct linux_e820_entry) == 0xCD0,
	       "bootparam.h: e820_table ends at 0xCD0");

#endif

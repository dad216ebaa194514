/*
 * linux_boot.c — the Linux/x86 32-bit boot protocol loader, part of btmon's
 * "firmware" beside multiboot.c.
 *
 * Where it sits: before the first guest instruction, the monitor hands a
 * bzImage, an optional initrd and the command line (host buffers) with guest
 * RAM (a host pointer + size) to linux_load(). It places them, builds
 * boot_params (the "zero page") and returns the CPU state to start from.
 * No BIOS and no real-mode setup code run: this is boot.rst's "32-bit Boot
 * Protocol" (enter the protected-mode kernel at code32_start with ESI =
 * boot_params; EBP = EDI = EBX = 0; the monitor supplies the flat __BOOT_CS
 * 0x10 / __BOOT_DS 0x18 GDT, IF = 0 and paging off).
 *
 *	struct boot_state st;
 *	char err[160];
 *	if (linux_load(bz, bz_len, rd, rd_len, "console=ttyS0", ram, &st, err, sizeof err))
 *		fprintf(stderr, "btmon: %s: %s\n", path, err);
 *
 * Like multiboot.c it works in two passes, every check first and then every
 * write, so guest RAM is untouched when it fails. Layouts: linux_abi.h;
 * the error line, size wording and PC memory map it shares with
 * multiboot.c: boot_util.h.
 *
 * Guest-physical layout it builds:
 *	0x010000  boot_params, 4 KiB (where the real-mode setup would sit)
 *	0x01E000  end of the setup heap that heap_end_ptr announces
 *	0x020000  command line, up to cmdline_size + 1 bytes
 *	0x100000  protected-mode kernel: the file from (setup_sects + 1) * 512
 *	...       the kernel decompresses itself at its runtime start (the
 *	          pref_address of a Debian kernel, 16 MiB) and needs init_size
 *	          bytes there
 *	top       initrd, page-aligned, ending at min(RAM, initrd_addr_max + 1)
 * The e820 map reports [0, 0x9FC00) and [1 MiB, RAM) usable, the EBDA
 * [0x9FC00, 0xA0000) and BIOS area [0xF0000, 1 MiB) reserved.
 */
#include "btmon/boot.h"

#include <assert.h>
#include <inttypes.h>
#include <string.h>

#include "boot_util.h"
#include "linux_abi.h"

/* Guest-physical addresses btmon chooses (see the layout above). */
#define LB_BOOT_PARAMS_ADDR 0x10000u
#define LB_HEAP_END_OFFSET  0xE000u    /* from LB_BOOT_PARAMS_ADDR (boot.rst sample) */
#define LB_CMDLINE_ADDR     0x20000u
#define LB_KERNEL_ADDR      LINUX_LOAD_HIGH_ADDR
#define LB_INITRD_MAX_OLD   0x37FFFFFFu   /* boot.rst: initrd_addr_max before 2.03 */

_Static_assert(LB_BOOT_PARAMS_ADDR + LINUX_BP_SIZE <= LB_BOOT_PARAMS_ADDR + LB_HEAP_END_OFFSET,
	       "boot_params overlaps the heap end");
_Static_assert(LB_BOOT_PARAMS_ADDR + LB_HEAP_END_OFFSET <= LB_CMDLINE_ADDR,
	       "setup heap overlaps the command line");

/* The kernel as the checks found it; the write pass uses only this. */
struct lb_plan {
	struct linux_setup_header hdr;  /* from the file; fields past hdr_end read 0 */
	uint32_t hdr_end;               /* one past the header's last byte (file offset) */
	uint32_t setup_size;            /* (setup_sects + 1) * 512: file offset of the kernel */
	uint32_t kernel_size;           /* protected-mode bytes loaded at LB_KERNEL_ADDR */
	uint64_t runtime_start;         /* where the kernel decompresses itself */
	uint64_t kernel_end;            /* one past the highest byte the kernel may use early */
	uint32_t initrd_addr;           /* 0: no initrd */
};

static uint32_t lb_align_up(uint32_t v, uint32_t align)   /* align: a power of two */
{
	return (v + align - 1) & ~(align - 1);
}

/*
 * Find and copy the setup header (boot.rst, "The Real-Mode Kernel Header"):
 * "HdrS" at 0x202, boot_flag 0xAA55, protocol 2.06 or later, a header long
 * enough for the fields that version defines, and a setup that the file holds.
 */
static bt_status lb_parse_header(const uint8_t *img, size_t len, struct lb_plan *p,
				 struct boot_err e)
{
	struct linux_setup_header *h = &p->hdr;
	unsigned sects, need;

	if (len < LINUX_HDR_AT(version) + 2 ||
	    boot_rd32(img + LINUX_HDR_AT(header)) != LINUX_HDRS_MAGIC)
		return boot_fail(e, BT_ERR_FORMAT, "not a bzImage: no HdrS magic at offset 0x202");
	memset(h, 0, sizeof *h);
	memcpy(h, img + LINUX_HDR_OFFSET, LINUX_HDR_AT(version) + 2 - LINUX_HDR_OFFSET);
	if (h->boot_flag != LINUX_BOOT_FLAG)
		return boot_fail(e, BT_ERR_FORMAT, "not a bzImage: boot_flag at offset 0x1FE is "
				 "0x%04X, not 0xAA55", h->boot_flag);
	if (h->version < LINUX_PROTO_MIN)
		return boot_fail(e, BT_ERR_FORMAT, "boot protocol %u.%02u is too old "
				 "(btmon needs 2.06 or later)", h->version >> 8, h->version & 0xFF);

	p->hdr_end = LINUX_HDR_JUMP_END + img[LINUX_HDR_AT(jump) + 1];
	need = h->version >= LINUX_PROTO_INIT_SIZE ? LINUX_HDR_END_2_10 : LINUX_HDR_END_2_06;
	if (p->hdr_end < need)
		return boot_fail(e, BT_ERR_FORMAT, "setup header ends at offset 0x%X, before the "
				 "0x%X that boot protocol %u.%02u defines", p->hdr_end, need,
				 h->version >> 8, h->version & 0xFF);
	if (p->hdr_end > LINUX_HDR_LIMIT)
		return boot_fail(e, BT_ERR_FORMAT, "setup header ends at offset 0x%X, past the "
				 "0x%X boot_params has room for", p->hdr_end, LINUX_HDR_LIMIT);
	if (p->hdr_end > len)
		return boot_fail(e, BT_ERR_FORMAT, "truncated bzImage: setup header (to "
				 "offset 0x%X) runs past end of file (%zu bytes)", p->hdr_end, len);
	/* The whole header, as far as btmon's struct knows it: fields past
	 * hdr_end are setup code, not header, and stay 0. */
	size_t n = p->hdr_end - LINUX_HDR_OFFSET;
	memcpy(h, img + LINUX_HDR_OFFSET, n < sizeof *h ? n : sizeof *h);

	sects = h->setup_sects ? h->setup_sects : LINUX_SETUP_SECTS_DEFAULT;
	p->setup_size = (sects + 1) * LINUX_SECTOR_SIZE;
	if (p->setup_size > len)
		return boot_fail(e, BT_ERR_FORMAT, "truncated bzImage: setup (%u sectors) runs "
				 "past end of file (%zu bytes)", sects, len);
	if (p->setup_size == len)
		return boot_fail(e, BT_ERR_FORMAT, "truncated bzImage: no protected-mode kernel "
				 "follows the setup (%u sectors)", sects);
	return BT_OK;
}

/*
 * Check the protected-mode kernel against the file and guest RAM, and work
 * out the range it uses: its bytes at 1 MiB, then init_size bytes from its
 * runtime start. A relocatable kernel decompresses at the load address
 * rounded up to kernel_alignment but never below its pref_address
 * (LOAD_PHYSICAL_ADDR); a fixed one at pref_address (boot.rst, init_size).
 */
static bt_status lb_check_kernel(size_t len, struct boot_ram ram, struct lb_plan *p,
				 struct boot_err e)
{
	struct linux_setup_header *h = &p->hdr;
	char s1[32], s2[32], s3[32];
	uint64_t syssize_bytes = (uint64_t)h->syssize * 16;

	if (!(h->loadflags & LINUX_LF_LOADED_HIGH))
		return boot_fail(e, BT_ERR_FORMAT, "zImage kernels are not supported "
				 "(loadflags 0x%02X lacks LOADED_HIGH): btmon loads bzImages at "
				 "1 MiB", h->loadflags);
	if (len - p->setup_size > UINT32_MAX - LB_KERNEL_ADDR)
		return boot_fail(e, BT_ERR_RANGE, "protected-mode kernel (%zu bytes) wraps past "
				 "4 GiB", len - p->setup_size);
	p->kernel_size = (uint32_t)(len - p->setup_size);
	if (syssize_bytes > p->kernel_size)
		return boot_fail(e, BT_ERR_FORMAT, "truncated bzImage: protected-mode kernel "
				 "is %" PRIu32 " bytes, syssize at offset 0x1F4 says %" PRIu64,
				 p->kernel_size, syssize_bytes);
	if (h->code32_start != LB_KERNEL_ADDR && !h->relocatable_kernel)
		return boot_fail(e, BT_ERR_FORMAT, "code32_start 0x%08" PRIx32 " is not 0x%X and "
				 "the kernel is not relocatable: btmon loads it at 1 MiB",
				 h->code32_start, LB_KERNEL_ADDR);

	uint64_t pref = h->version >= LINUX_PROTO_INIT_SIZE && h->pref_address
			? h->pref_address : LB_KERNEL_ADDR;
	uint32_t init_size = h->version >= LINUX_PROTO_INIT_SIZE ? h->init_size : 0;
	p->runtime_start = pref;
	if (h->relocatable_kernel) {
		uint32_t align = h->kernel_alignment;

		if (align == 0 || (align & (align - 1)) != 0 || align > 1u << 30)
			return boot_fail(e, BT_ERR_FORMAT, "kernel_alignment 0x%" PRIx32 " at "
					 "offset 0x230 is not a power of two up to 1 GiB", align);
		uint32_t aligned = lb_align_up(LB_KERNEL_ADDR, align);
		if (aligned > p->runtime_start)
			p->runtime_start = aligned;
	}
	p->kernel_end = (uint64_t)LB_KERNEL_ADDR + p->kernel_size;
	if (p->kernel_end > ram.size)
		return boot_fail(e, BT_ERR_RANGE, "protected-mode kernel (%s) does not fit at 1 "
				 "MiB in %s of guest RAM",
				 boot_size_str(p->kernel_size, s1, sizeof s1),
				 boot_size_str(ram.size, s2, sizeof s2));
	uint64_t need = p->runtime_start + init_size;
	if (need > ram.size)
		return boot_fail(e, BT_ERR_RANGE, "kernel needs init_size %s at %s: more than "
				 "the %s of guest RAM allows (-m %" PRIu64 "M or more)",
				 boot_size_str(init_size, s1, sizeof s1),
				 boot_size_str(p->runtime_start, s2, sizeof s2),
				 boot_size_str(ram.size, s3, sizeof s3),
				 (need + BOOT_MIB - 1) / BOOT_MIB);
	if (need > p->kernel_end)
		p->kernel_end = need;
	return BT_OK;
}

/* The command line must fit the kernel's cmdline_size and btmon's area
 * below the EBDA. */
static bt_status lb_check_cmdline(const char *cmdline, const struct lb_plan *p, struct boot_err e)
{
	size_t n = strlen(cmdline);
	uint32_t max = p->hdr.cmdline_size;

	if (max > BOOT_LOW_RAM_END - LB_CMDLINE_ADDR - 1)
		max = BOOT_LOW_RAM_END - LB_CMDLINE_ADDR - 1;
	if (n > max)
		return boot_fail(e, BT_ERR_RANGE, "command line is %zu bytes, longer than the "
				 "%" PRIu32 " the kernel takes (cmdline_size at offset 0x238)",
				 n, max);
	return BT_OK;
}

/*
 * Place the initrd at the top of RAM: it ends at or below min(RAM,
 * initrd_addr_max + 1) (initrd_addr_max is the highest byte it may occupy)
 * and starts on a page, above everything the kernel uses early.
 */
static bt_status lb_place_initrd(size_t initrd_len, struct boot_ram ram, struct lb_plan *p,
				 struct boot_err e)
{
	char s1[32], s2[32], s3[32];
	uint64_t max = p->hdr.initrd_addr_max ? p->hdr.initrd_addr_max : LB_INITRD_MAX_OLD;
	uint64_t top = ram.size < max + 1 ? ram.size : max + 1;

	p->initrd_addr = 0;
	if (initrd_len == 0)
		return BT_OK;
	if (initrd_len > top || ((top - initrd_len) & BT_PAGE_MASK) < p->kernel_end)
		return boot_fail(e, BT_ERR_RANGE, "initrd (%s) does not fit below initrd_addr_max "
				 "0x%08" PRIx64 " in %s of RAM (the kernel uses up to %s)",
				 boot_size_str(initrd_len, s1, sizeof s1), max,
				 boot_size_str(ram.size, s2, sizeof s2),
				 boot_size_str(p->kernel_end, s3, sizeof s3));
	p->initrd_addr = (uint32_t)((top - initrd_len) & BT_PAGE_MASK);
	return BT_OK;
}

static void lb_put_e820(uint8_t *bp, uint64_t addr, uint64_t end, uint32_t type)
{
	struct linux_e820_entry ent = { .addr = addr, .size = end - addr, .type = type };
	uint8_t n = bp[LINUX_BP_E820_ENTRIES];

	if (end <= addr)
		return;
	assert(n < LINUX_E820_MAX);
	memcpy(bp + LINUX_BP_E820_TABLE + n * sizeof ent, &ent, sizeof ent);   /* little-endian host */
	bp[LINUX_BP_E820_ENTRIES] = n + 1;
}

/* Build boot_params: zeroed, the image's setup header copied in and the
 * loader's fields written (boot.rst, "32-bit Boot Protocol"). */
static void lb_write_boot_params(const uint8_t *img, size_t initrd_len, struct boot_ram ram,
				 const struct lb_plan *p)
{
	uint8_t *bp = ram.base + LB_BOOT_PARAMS_ADDR;
	struct linux_setup_header h;
	uint32_t alt_mem_k = (ram.size - LB_KERNEL_ADDR) / 1024;

	memset(bp, 0, LINUX_BP_SIZE);
	memcpy(bp + LINUX_BP_HDR, img + LINUX_HDR_OFFSET, p->hdr_end - LINUX_HDR_OFFSET);

	h = p->hdr;
	h.type_of_loader = LINUX_TYPE_UNDEFINED;
	h.loadflags = (uint8_t)((h.loadflags | LINUX_LF_CAN_USE_HEAP) &
				~(LINUX_LF_QUIET | LINUX_LF_KEEP_SEGMENTS));
	h.heap_end_ptr = LB_HEAP_END_OFFSET - 0x200;
	h.code32_start = LB_KERNEL_ADDR;
	h.ramdisk_image = p->initrd_addr;
	h.ramdisk_size = p->initrd_addr ? (uint32_t)initrd_len : 0;
	h.cmd_line_ptr = LB_CMDLINE_ADDR;
	if (h.version >= LINUX_PROTO_SUBARCH)
		h.hardware_subarch = 0;   /* X86_SUBARCH_PC */
	/* Write back only the bytes the image's header has. */
	size_t n = p->hdr_end - LINUX_HDR_OFFSET;
	memcpy(bp + LINUX_BP_HDR, &h, n < sizeof h ? n : sizeof h);

	memcpy(bp + LINUX_BP_ALT_MEM_K, &alt_mem_k, sizeof alt_mem_k);
	lb_put_e820(bp, 0, BOOT_LOW_RAM_END, LINUX_E820_RAM);
	lb_put_e820(bp, BOOT_LOW_RAM_END, BOOT_EBDA_END, LINUX_E820_RESERVED);
	lb_put_e820(bp, BOOT_BIOS_START, LB_KERNEL_ADDR, LINUX_E820_RESERVED);
	lb_put_e820(bp, LB_KERNEL_ADDR, ram.size, LINUX_E820_RAM);
}

bt_status linux_load(const uint8_t *bzimage, size_t len, const uint8_t *initrd, size_t initrd_len,
		     const char *cmdline, struct boot_ram ram, struct boot_state *out,
		     char *err, size_t errlen)
{
	struct boot_err e = { err, errlen };
	struct lb_plan plan;
	bt_status st;

	assert(ram.base && out && (bzimage || len == 0) && (initrd || initrd_len == 0));
	if (!cmdline)
		cmdline = "";
	st = lb_parse_header(bzimage, len, &plan, e);
	if (st == BT_OK)
		st = lb_check_kernel(len, ram, &plan, e);
	if (st == BT_OK)
		st = lb_check_cmdline(cmdline, &plan, e);
	if (st == BT_OK)
		st = lb_place_initrd(initrd_len, ram, &plan, e);
	if (st != BT_OK)
		return st;

	/* Every check passed: now write guest RAM. INVARIANT: the kernel
	 * fits, so ram.size > 1 MiB and the low areas exist. */
	assert(plan.kernel_end <= ram.size);
	memcpy(ram.base + LB_KERNEL_ADDR, bzimage + plan.setup_size, plan.kernel_size);
	if (plan.initrd_addr)
		memcpy(ram.base + plan.initrd_addr, initrd, initrd_len);
	memcpy(ram.base + LB_CMDLINE_ADDR, cmdline, strlen(cmdline) + 1);
	lb_write_boot_params(bzimage, initrd_len, ram, &plan);

	memset(out, 0, sizeof *out);
	out->eip = LB_KERNEL_ADDR;   /* code32_start, as written into boot_params */
	out->esi = LB_BOOT_PARAMS_ADDR;
	out->image_start = LB_KERNEL_ADDR;
	out->image_end = LB_KERNEL_ADDR + plan.kernel_size;
	return BT_OK;
}

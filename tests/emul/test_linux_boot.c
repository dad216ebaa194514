/*
 * test_linux_boot.c — Check suite for the Linux 32-bit boot protocol loader
 * (src/emul/linux_boot.c, interface in include/btmon/boot.h).
 *
 * Test bzImages are assembled in memory (test_build): a setup area of
 * (setup_sects + 1) sectors whose header fields sit at the offsets of
 * Documentation/x86/boot.rst's header table, then a protected-mode kernel of
 * pattern bytes. The default is shaped like Debian's 686 kernel: protocol
 * 2.15, relocatable, 2 MiB alignment, pref_address 16 MiB. Guest RAM is a
 * calloc'd 32 MiB buffer. What the kernel reads (boot_params, the e820
 * table, the command line) is checked at boot.rst's / bootparam.h's raw
 * offsets, never through the loader's structs, so a wrong offset in
 * linux_abi.h cannot pass unnoticed.
 *
 * Each bad input asserts both the status and a piece of the error line.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "btmon/boot.h"

#define MIB (1024u * 1024u)
#define TEST_RAM_SIZE (32u * MIB)
#define TEST_IMG_CAP (256u * 1024u)
#define TEST_INITRD_CAP (12u * MIB)

/* boot.rst header table: file offsets, equal to boot_params offsets. */
#define H_SETUP_SECTS 0x1F1
#define H_SYSSIZE 0x1F4
#define H_BOOT_FLAG 0x1FE
#define H_JUMP 0x200
#define H_HEADER 0x202
#define H_VERSION 0x206
#define H_TYPE_OF_LOADER 0x210
#define H_LOADFLAGS 0x211
#define H_CODE32_START 0x214
#define H_RAMDISK_IMAGE 0x218
#define H_RAMDISK_SIZE 0x21C
#define H_HEAP_END_PTR 0x224
#define H_CMD_LINE_PTR 0x228
#define H_INITRD_ADDR_MAX 0x22C
#define H_KERNEL_ALIGNMENT 0x230
#define H_RELOCATABLE 0x234
#define H_CMDLINE_SIZE 0x238
#define H_HARDWARE_SUBARCH 0x23C
#define H_PREF_ADDRESS 0x258
#define H_INIT_SIZE 0x260
/* bootparam.h struct boot_params */
#define BP_SCREEN_INFO_END 0x040
#define BP_ALT_MEM_K 0x1E0
#define BP_E820_ENTRIES 0x1E8
#define BP_SENTINEL 0x1EF
#define BP_HDR_HOLE_END 0x290
#define BP_E820_TABLE 0x2D0
#define E820_ENTRY_SIZE 20
#define E820_RAM 1
#define E820_RESERVED 2

static struct boot_ram ram;
static uint8_t img[TEST_IMG_CAP];
static uint8_t *initrd;
static char err[256];

/* The initrd bytes, made once in main() and only read by the tests. */
static void initrd_init(void)
{
	initrd = malloc(TEST_INITRD_CAP);
	if (!initrd) {
		fprintf(stderr, "test_linux_boot: out of memory\n");
		exit(EXIT_FAILURE);
	}
	for (uint32_t i = 0; i < TEST_INITRD_CAP; i++)
		initrd[i] = (uint8_t)(i * 13 + 5);
}

static void setup(void)
{
	ram.size = TEST_RAM_SIZE;
	ram.base = calloc(1, ram.size);
	ck_assert_ptr_nonnull(ram.base);
	memset(img, 0, sizeof img);
	memset(err, 0, sizeof err);
}

static void teardown(void)
{
	free(ram.base);
	ram.base = NULL;
}

/* ---- image builder ---- */

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)v);
	put16(p + 2, (uint16_t)(v >> 16));
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t get32(const uint8_t *p)
{
	return get16(p) | (uint32_t)get16(p + 2) << 16;
}

static uint64_t get64(const uint8_t *p)
{
	return get32(p) | (uint64_t)get32(p + 4) << 32;
}

/* Byte j of the protected-mode kernel. */
static uint8_t kernel_byte(uint32_t j)
{
	return (uint8_t)(0x31 + j * 7 + (j >> 8));
}

struct test_bz {
	uint8_t setup_sects;    /* as written: 0 means 4 */
	uint16_t version;
	uint32_t hdr_end;       /* 0x202 + jump displacement */
	uint8_t loadflags;
	uint32_t code32_start;
	uint32_t initrd_addr_max;
	uint32_t kernel_alignment;
	uint8_t relocatable;
	uint32_t cmdline_size;
	uint64_t pref_address;
	uint32_t init_size;
	uint32_t kernel_size;   /* protected-mode bytes after the setup */
};

/* Debian 686-like: protocol 2.15, relocatable, 16 MiB pref_address, 6 MiB
 * init_size (16 + 6 = 22 MiB of the 32 MiB test RAM), 64 KiB kernel. */
static struct test_bz test_bz_default(void)
{
	return (struct test_bz){
		.setup_sects = 4, .version = 0x020F, .hdr_end = 0x26C, .loadflags = 0x01,
		.code32_start = 0x100000, .initrd_addr_max = 0x37FFFFFF,
		.kernel_alignment = 0x200000, .relocatable = 1, .cmdline_size = 2047,
		.pref_address = 0x1000000, .init_size = 6 * MIB, .kernel_size = 0x10000,
	};
}

static uint32_t setup_bytes(const struct test_bz *s)
{
	return ((s->setup_sects ? s->setup_sects : 4u) + 1) * 512;
}

/* Assemble spec into img; the file length. Header fields a protocol older
 * than spec->version lacks are written anyway: the loader must ignore what
 * lies past hdr_end. */
static size_t test_build(const struct test_bz *s)
{
	uint32_t off = setup_bytes(s);

	ck_assert_uint_le(off + s->kernel_size, TEST_IMG_CAP);
	img[H_SETUP_SECTS] = s->setup_sects;
	put32(img + H_SYSSIZE, s->kernel_size / 16);
	put16(img + H_BOOT_FLAG, 0xAA55);
	img[H_JUMP] = 0xEB;
	img[H_JUMP + 1] = (uint8_t)(s->hdr_end - 0x202);
	memcpy(img + H_HEADER, "HdrS", 4);
	put16(img + H_VERSION, s->version);
	img[H_LOADFLAGS] = s->loadflags;
	put32(img + H_CODE32_START, s->code32_start);
	put32(img + H_INITRD_ADDR_MAX, s->initrd_addr_max);
	put32(img + H_KERNEL_ALIGNMENT, s->kernel_alignment);
	img[H_RELOCATABLE] = s->relocatable;
	put32(img + H_CMDLINE_SIZE, s->cmdline_size);
	put32(img + H_PREF_ADDRESS, (uint32_t)s->pref_address);
	put32(img + H_PREF_ADDRESS + 4, (uint32_t)(s->pref_address >> 32));
	put32(img + H_INIT_SIZE, s->init_size);
	for (uint32_t j = 0; j < s->kernel_size; j++)
		img[off + j] = kernel_byte(j);
	return off + s->kernel_size;
}

static bt_status test_load(size_t len, size_t initrd_len, const char *cmdline,
			   struct boot_state *st)
{
	return linux_load(img, len, initrd, initrd_len, cmdline, ram, st, err, sizeof err);
}

/* Build spec, load it with no initrd and "console=ttyS0"; expect success. */
static struct boot_state test_load_ok(const struct test_bz *spec, size_t initrd_len)
{
	struct boot_state st;

	ck_assert_msg(test_load(test_build(spec), initrd_len, "console=ttyS0", &st) == BT_OK,
		      "load failed: %s", err);
	return st;
}

/* The load must fail with `status` and an error line containing `what`. */
#define assert_load_fails(len, initrd_len, cmdline, status, what)                   \
	do {                                                                        \
		struct boot_state st_;                                              \
		ck_assert_int_eq(test_load((len), (initrd_len), (cmdline), &st_), (status)); \
		ck_assert_msg(strstr(err, (what)) != NULL,                          \
			      "error line \"%s\" does not mention \"%s\"", err, (what)); \
		ck_assert_ptr_null(strchr(err, '\n'));                              \
	} while (0)

static const uint8_t *boot_params(const struct boot_state *st)
{
	return ram.base + st->esi;
}

/* ---- placement and entry state ---- */

START_TEST(test_linux_load_copies_protected_mode_kernel_to_1mib)
{
	struct test_bz spec = test_bz_default();
	struct boot_state st = test_load_ok(&spec, 0);

	for (uint32_t j = 0; j < spec.kernel_size; j++)
		ck_assert_uint_eq(ram.base[0x100000 + j], kernel_byte(j));
	ck_assert_uint_eq(ram.base[0x100000 + spec.kernel_size], 0);
	ck_assert_uint_eq(st.image_start, 0x100000);
	ck_assert_uint_eq(st.image_end, 0x100000 + spec.kernel_size);
}
END_TEST

START_TEST(test_linux_entry_state_follows_32bit_boot_protocol)
{
	struct test_bz spec = test_bz_default();
	struct boot_state st = test_load_ok(&spec, 0);

	ck_assert_uint_eq(st.eip, 0x100000);
	ck_assert_uint_eq(st.esi, 0x10000);
	ck_assert_uint_eq(st.ebp, 0);
	ck_assert_uint_eq(st.edi, 0);
	ck_assert_uint_eq(st.ebx, 0);
	ck_assert_uint_eq(get32(boot_params(&st) + H_CODE32_START), st.eip);
}
END_TEST

START_TEST(test_linux_setup_sects_zero_means_four)
{
	struct test_bz spec = test_bz_default();

	spec.setup_sects = 0;
	test_load_ok(&spec, 0);
	ck_assert_uint_eq(setup_bytes(&spec), 5 * 512);
	ck_assert_uint_eq(ram.base[0x100000], kernel_byte(0));
	ck_assert_uint_eq(ram.base[0x100000 + 1], kernel_byte(1));
}
END_TEST

START_TEST(test_linux_relocatable_kernel_with_other_code32_start_enters_at_1mib)
{
	struct test_bz spec = test_bz_default();
	struct boot_state st;

	spec.code32_start = 0x1000000;
	st = test_load_ok(&spec, 0);
	ck_assert_uint_eq(st.eip, 0x100000);
	ck_assert_uint_eq(get32(boot_params(&st) + H_CODE32_START), 0x100000);
}
END_TEST

START_TEST(test_linux_protocol_2_06_header_loads_without_init_size_fields)
{
	struct test_bz spec = test_bz_default();

	/* 2.06: the header ends after cmdline_size; the bytes where 2.10's
	 * init_size would be hold setup code that must not be read as one. */
	spec.version = 0x0206;
	spec.hdr_end = 0x23C;
	spec.init_size = 0xFFFFFFF0;
	spec.relocatable = 0;
	spec.pref_address = 0xFFFF0000;
	test_load_ok(&spec, 0);
}
END_TEST

/* ---- boot_params ---- */

START_TEST(test_linux_boot_params_holds_header_copy_and_loader_fields)
{
	struct test_bz spec = test_bz_default();
	struct boot_state st = test_load_ok(&spec, 0);
	const uint8_t *bp = boot_params(&st);

	ck_assert_uint_eq(get16(bp + H_BOOT_FLAG), 0xAA55);
	ck_assert_mem_eq(bp + H_HEADER, "HdrS", 4);
	ck_assert_uint_eq(get16(bp + H_VERSION), 0x020F);
	ck_assert_uint_eq(get32(bp + H_INIT_SIZE), 6 * MIB);
	ck_assert_uint_eq(get64(bp + H_PREF_ADDRESS), 0x1000000);
	ck_assert_uint_eq(get32(bp + H_CMDLINE_SIZE), 2047);
	ck_assert_uint_eq(bp[H_TYPE_OF_LOADER], 0xFF);
	ck_assert_uint_eq(bp[H_LOADFLAGS], 0x81);   /* LOADED_HIGH | CAN_USE_HEAP */
	ck_assert_uint_eq(get16(bp + H_HEAP_END_PTR), 0xE000 - 0x200);
	ck_assert_uint_eq(get32(bp + H_HARDWARE_SUBARCH), 0);   /* x86/PC */
	ck_assert_uint_eq(get32(bp + BP_ALT_MEM_K), (TEST_RAM_SIZE - MIB) / 1024);
}
END_TEST

START_TEST(test_linux_boot_params_is_zero_outside_header_and_loader_fields)
{
	struct test_bz spec = test_bz_default();
	struct boot_state st;
	const uint8_t *bp;

	memset(ram.base + 0x10000, 0xAA, 4096);
	spec.hdr_end = 0x268;   /* 2.11: stops before kernel_info_offset */
	img[0x268] = 0x77;      /* setup code past the header */
	img[0x28F] = 0x77;
	st = test_load_ok(&spec, 0);
	bp = boot_params(&st);
	for (unsigned i = 0; i < BP_SCREEN_INFO_END; i++)   /* no VGA console */
		ck_assert_uint_eq(bp[i], 0);
	ck_assert_uint_eq(bp[BP_SENTINEL], 0);
	for (unsigned i = 0x268; i < BP_HDR_HOLE_END; i++)
		ck_assert_uint_eq(bp[i], 0);
	for (unsigned i = BP_E820_TABLE + 4 * E820_ENTRY_SIZE; i < 4096; i++)
		ck_assert_uint_eq(bp[i], 0);
}
END_TEST

START_TEST(test_linux_boot_params_e820_map_covers_ram)
{
	static const struct { uint64_t addr, size; uint32_t type; } want[] = {
		{ 0, 0x9FC00, E820_RAM },
		{ 0x9FC00, 0x400, E820_RESERVED },
		{ 0xF0000, 0x10000, E820_RESERVED },
		{ 0x100000, TEST_RAM_SIZE - 0x100000, E820_RAM },
	};
	struct test_bz spec = test_bz_default();
	struct boot_state st = test_load_ok(&spec, 0);
	const uint8_t *bp = boot_params(&st);

	ck_assert_uint_eq(bp[BP_E820_ENTRIES], 4);
	for (unsigned i = 0; i < 4; i++) {
		const uint8_t *e = bp + BP_E820_TABLE + i * E820_ENTRY_SIZE;

		ck_assert_uint_eq(get64(e), want[i].addr);
		ck_assert_uint_eq(get64(e + 8), want[i].size);
		ck_assert_uint_eq(get32(e + 16), want[i].type);
	}
}
END_TEST

/* ---- command line ---- */

START_TEST(test_linux_cmdline_is_copied_to_cmd_line_ptr)
{
	struct test_bz spec = test_bz_default();
	struct boot_state st;
	uint32_t ptr;

	ck_assert_int_eq(test_load(test_build(&spec), 0, "console=ttyS0 quiet", &st), BT_OK);
	ptr = get32(boot_params(&st) + H_CMD_LINE_PTR);
	ck_assert_uint_ge(ptr, st.esi + 4096);   /* above boot_params, below the EBDA */
	ck_assert_uint_lt(ptr, 0x9FC00);
	ck_assert_str_eq((const char *)ram.base + ptr, "console=ttyS0 quiet");
}
END_TEST

START_TEST(test_linux_null_cmdline_is_empty_string)
{
	struct test_bz spec = test_bz_default();
	struct boot_state st;

	memset(ram.base + 0x20000, 'x', 16);
	ck_assert_int_eq(test_load(test_build(&spec), 0, NULL, &st), BT_OK);
	ck_assert_uint_ne(get32(boot_params(&st) + H_CMD_LINE_PTR), 0);
	ck_assert_str_eq((const char *)ram.base + get32(boot_params(&st) + H_CMD_LINE_PTR), "");
}
END_TEST

START_TEST(test_linux_cmdline_of_exactly_cmdline_size_is_accepted)
{
	struct test_bz spec = test_bz_default();
	char line[2048];
	struct boot_state st;

	memset(line, 'a', 2047);
	line[2047] = '\0';
	ck_assert_int_eq(test_load(test_build(&spec), 0, line, &st), BT_OK);
	ck_assert_str_eq((const char *)ram.base + get32(boot_params(&st) + H_CMD_LINE_PTR), line);
}
END_TEST

START_TEST(test_linux_rejects_cmdline_longer_than_cmdline_size)
{
	struct test_bz spec = test_bz_default();
	char line[2049];

	memset(line, 'a', 2048);
	line[2048] = '\0';
	assert_load_fails(test_build(&spec), 0, line, BT_ERR_RANGE,
			  "command line is 2048 bytes, longer than the 2047");
}
END_TEST

/* ---- initrd ---- */

START_TEST(test_linux_initrd_goes_page_aligned_at_top_of_ram)
{
	struct test_bz spec = test_bz_default();
	struct boot_state st = test_load_ok(&spec, 10000);
	const uint8_t *bp = boot_params(&st);
	uint32_t addr = get32(bp + H_RAMDISK_IMAGE);

	ck_assert_uint_eq(addr, (TEST_RAM_SIZE - 10000) & ~0xFFFu);
	ck_assert_uint_eq(get32(bp + H_RAMDISK_SIZE), 10000);
	ck_assert_mem_eq(ram.base + addr, initrd, 10000);
}
END_TEST

START_TEST(test_linux_initrd_ends_below_initrd_addr_max)
{
	struct test_bz spec = test_bz_default();
	struct boot_state st;
	uint32_t addr;

	spec.initrd_addr_max = 0x017FFFFF;   /* highest byte: just below 24 MiB */
	st = test_load_ok(&spec, MIB);
	addr = get32(boot_params(&st) + H_RAMDISK_IMAGE);
	ck_assert_uint_eq(addr, 23 * MIB);
	ck_assert_uint_le(addr + MIB - 1, 0x017FFFFF);
	ck_assert_mem_eq(ram.base + addr, initrd, MIB);
}
END_TEST

START_TEST(test_linux_no_initrd_leaves_ramdisk_fields_zero)
{
	struct test_bz spec = test_bz_default();
	struct boot_state st = test_load_ok(&spec, 0);

	ck_assert_uint_eq(get32(boot_params(&st) + H_RAMDISK_IMAGE), 0);
	ck_assert_uint_eq(get32(boot_params(&st) + H_RAMDISK_SIZE), 0);
}
END_TEST

START_TEST(test_linux_rejects_initrd_over_kernel_init_area)
{
	struct test_bz spec = test_bz_default();

	/* 32 MiB - 12 MiB = 20 MiB, inside the kernel's [16 MiB, 22 MiB). */
	assert_load_fails(test_build(&spec), 12 * MIB, "", BT_ERR_RANGE,
			  "initrd (12 MiB) does not fit below initrd_addr_max 0x37ffffff "
			  "in 32 MiB of RAM");
}
END_TEST

START_TEST(test_linux_rejects_initrd_above_initrd_addr_max_room)
{
	struct test_bz spec = test_bz_default();

	spec.initrd_addr_max = 0x016FFFFF;   /* room from 22 MiB up to 23 MiB only */
	assert_load_fails(test_build(&spec), MIB + 1, "", BT_ERR_RANGE,
			  "initrd (1.00 MiB) does not fit below initrd_addr_max 0x016fffff");
}
END_TEST

/* ---- the kernel's memory needs ---- */

START_TEST(test_linux_rejects_init_size_beyond_ram)
{
	struct test_bz spec = test_bz_default();

	spec.init_size = 20 * MIB;
	assert_load_fails(test_build(&spec), 0, "", BT_ERR_RANGE,
			  "kernel needs init_size 20 MiB at 16 MiB: more than the 32 MiB "
			  "of guest RAM allows (-m 36M or more)");
}
END_TEST

START_TEST(test_linux_relocatable_kernel_runs_at_aligned_load_address)
{
	struct test_bz spec = test_bz_default();

	/* No pref_address: the runtime start is 1 MiB rounded up to 4 MiB. */
	spec.pref_address = 0;
	spec.kernel_alignment = 4 * MIB;
	spec.init_size = 28 * MIB;
	test_load_ok(&spec, 0);
	spec.init_size = 28 * MIB + 1;
	assert_load_fails(test_build(&spec), 0, "", BT_ERR_RANGE, "at 4 MiB: more than");
}
END_TEST

START_TEST(test_linux_rejects_kernel_larger_than_ram)
{
	struct test_bz spec = test_bz_default();

	ram.size = MIB + 0x8000;
	assert_load_fails(test_build(&spec), 0, "", BT_ERR_RANGE,
			  "protected-mode kernel (64 KiB) does not fit at 1 MiB");
}
END_TEST

/* ---- bad images ---- */

START_TEST(test_linux_rejects_image_without_hdrs_magic)
{
	struct test_bz spec = test_bz_default();
	size_t len = test_build(&spec);

	memcpy(img + H_HEADER, "HdrX", 4);
	assert_load_fails(len, 0, "", BT_ERR_FORMAT,
			  "not a bzImage: no HdrS magic at offset 0x202");
	assert_load_fails(0x100, 0, "", BT_ERR_FORMAT, "no HdrS magic");
}
END_TEST

START_TEST(test_linux_rejects_bad_boot_flag)
{
	struct test_bz spec = test_bz_default();
	size_t len = test_build(&spec);

	put16(img + H_BOOT_FLAG, 0x55AA);
	assert_load_fails(len, 0, "", BT_ERR_FORMAT, "boot_flag at offset 0x1FE is 0x55AA");
}
END_TEST

START_TEST(test_linux_rejects_protocol_older_than_2_06)
{
	struct test_bz spec = test_bz_default();

	spec.version = 0x0203;
	assert_load_fails(test_build(&spec), 0, "", BT_ERR_FORMAT,
			  "boot protocol 2.03 is too old (btmon needs 2.06 or later)");
	spec.version = 0x0205;
	assert_load_fails(test_build(&spec), 0, "", BT_ERR_FORMAT, "boot protocol 2.05 is too old");
}
END_TEST

START_TEST(test_linux_rejects_header_shorter_than_its_version)
{
	struct test_bz spec = test_bz_default();

	spec.hdr_end = 0x23C;   /* ends after cmdline_size, but 2.15 has init_size */
	assert_load_fails(test_build(&spec), 0, "", BT_ERR_FORMAT,
			  "setup header ends at offset 0x23C, before the 0x264");
}
END_TEST

START_TEST(test_linux_rejects_setup_running_past_end_of_file)
{
	struct test_bz spec = test_bz_default();
	size_t len = test_build(&spec);

	img[H_SETUP_SECTS] = 200;
	assert_load_fails(len, 0, "", BT_ERR_FORMAT,
			  "truncated bzImage: setup (200 sectors) runs past end of file");
	img[H_SETUP_SECTS] = 4;
	assert_load_fails(5 * 512, 0, "", BT_ERR_FORMAT,
			  "truncated bzImage: no protected-mode kernel follows the setup (4 sectors)");
}
END_TEST

START_TEST(test_linux_rejects_kernel_shorter_than_syssize)
{
	struct test_bz spec = test_bz_default();
	size_t len = test_build(&spec);

	assert_load_fails(len - 32, 0, "", BT_ERR_FORMAT,
			  "truncated bzImage: protected-mode kernel is 65504 bytes, syssize");
}
END_TEST

START_TEST(test_linux_rejects_zimage_without_loaded_high)
{
	struct test_bz spec = test_bz_default();

	spec.loadflags = 0;
	assert_load_fails(test_build(&spec), 0, "", BT_ERR_FORMAT, "lacks LOADED_HIGH");
}
END_TEST

START_TEST(test_linux_rejects_fixed_kernel_with_other_code32_start)
{
	struct test_bz spec = test_bz_default();

	spec.relocatable = 0;
	spec.code32_start = 0x200000;
	assert_load_fails(test_build(&spec), 0, "", BT_ERR_FORMAT,
			  "code32_start 0x00200000 is not 0x100000");
}
END_TEST

START_TEST(test_linux_rejects_kernel_alignment_not_power_of_two)
{
	struct test_bz spec = test_bz_default();

	spec.kernel_alignment = 0x300000;
	assert_load_fails(test_build(&spec), 0, "", BT_ERR_FORMAT,
			  "kernel_alignment 0x300000 at offset 0x230 is not a power of two");
}
END_TEST

START_TEST(test_linux_failed_load_leaves_ram_untouched)
{
	struct test_bz spec = test_bz_default();
	uint8_t *copy = malloc(TEST_RAM_SIZE);
	struct boot_state st;

	ck_assert_ptr_nonnull(copy);
	for (uint32_t i = 0; i < TEST_RAM_SIZE; i++)
		ram.base[i] = (uint8_t)(i ^ (i >> 9));
	memcpy(copy, ram.base, TEST_RAM_SIZE);
	ck_assert_int_eq(test_load(test_build(&spec), 12 * MIB, "console=ttyS0", &st),
			 BT_ERR_RANGE);
	ck_assert_int_eq(memcmp(copy, ram.base, TEST_RAM_SIZE), 0);
	free(copy);
}
END_TEST

static Suite *linux_boot_suite(void)
{
	Suite *s = suite_create("linux_boot");
	TCase *place = tcase_create("placement");
	TCase *params = tcase_create("boot_params");
	TCase *cmdline = tcase_create("cmdline");
	TCase *rd = tcase_create("initrd");
	TCase *mem = tcase_create("kernel_memory");
	TCase *bad = tcase_create("bad_image");
	TCase *all[] = { place, params, cmdline, rd, mem, bad };

	for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
		tcase_add_checked_fixture(all[i], setup, teardown);
	tcase_add_test(place, test_linux_load_copies_protected_mode_kernel_to_1mib);
	tcase_add_test(place, test_linux_entry_state_follows_32bit_boot_protocol);
	tcase_add_test(place, test_linux_setup_sects_zero_means_four);
	tcase_add_test(place, test_linux_relocatable_kernel_with_other_code32_start_enters_at_1mib);
	tcase_add_test(place, test_linux_protocol_2_06_header_loads_without_init_size_fields);
	tcase_add_test(params, test_linux_boot_params_holds_header_copy_and_loader_fields);
	tcase_add_test(params, test_linux_boot_params_is_zero_outside_header_and_loader_fields);
	tcase_add_test(params, test_linux_boot_params_e820_map_covers_ram);
	tcase_add_test(cmdline, test_linux_cmdline_is_copied_to_cmd_line_ptr);
	tcase_add_test(cmdline, test_linux_null_cmdline_is_empty_string);
	tcase_add_test(cmdline, test_linux_cmdline_of_exactly_cmdline_size_is_accepted);
	tcase_add_test(cmdline, test_linux_rejects_cmdline_longer_than_cmdline_size);
	tcase_add_test(rd, test_linux_initrd_goes_page_aligned_at_top_of_ram);
	tcase_add_test(rd, test_linux_initrd_ends_below_initrd_addr_max);
	tcase_add_test(rd, test_linux_no_initrd_leaves_ramdisk_fields_zero);
	tcase_add_test(rd, test_linux_rejects_initrd_over_kernel_init_area);
	tcase_add_test(rd, test_linux_rejects_initrd_above_initrd_addr_max_room);
	tcase_add_test(mem, test_linux_rejects_init_size_beyond_ram);
	tcase_add_test(mem, test_linux_relocatable_kernel_runs_at_aligned_load_address);
	tcase_add_test(mem, test_linux_rejects_kernel_larger_than_ram);
	tcase_add_test(bad, test_linux_rejects_image_without_hdrs_magic);
	tcase_add_test(bad, test_linux_rejects_bad_boot_flag);
	tcase_add_test(bad, test_linux_rejects_protocol_older_than_2_06);
	tcase_add_test(bad, test_linux_rejects_header_shorter_than_its_version);
	tcase_add_test(bad, test_linux_rejects_setup_running_past_end_of_file);
	tcase_add_test(bad, test_linux_rejects_kernel_shorter_than_syssize);
	tcase_add_test(bad, test_linux_rejects_zimage_without_loaded_high);
	tcase_add_test(bad, test_linux_rejects_fixed_kernel_with_other_code32_start);
	tcase_add_test(bad, test_linux_rejects_kernel_alignment_not_power_of_two);
	tcase_add_test(bad, test_linux_failed_load_leaves_ram_untouched);
	for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
		suite_add_tcase(s, all[i]);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(linux_boot_suite());
	int failed;

	initrd_init();
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	free(initrd);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

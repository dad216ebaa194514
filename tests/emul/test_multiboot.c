/*
 * test_multiboot.c — Check suite for the Multiboot v1 loader
 * (src/emul/multiboot.c, interface in include/btmon/boot.h).
 *
 * Test images are assembled in memory: an ELF32 i386 executable with up to
 * four PT_LOAD segments and a Multiboot header (test_build_elf), and a raw
 * "a.out kludge" image whose header carries the load addresses
 * (test_build_aout). Guest RAM is a calloc'd 16 MiB buffer. Layouts the
 * kernel sees are checked at the offsets the Multiboot Specification 0.6.96
 * gives (§3.3), not through the loader's own structs, so a wrong offset in
 * the loader cannot pass unnoticed.
 *
 * Each bad input asserts both the status and a piece of the error line.
 */
#include <check.h>
#include <elf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "btmon/boot.h"

#define MIB (1024u * 1024u)
#define TEST_RAM_SIZE (16u * MIB)
#define TEST_IMG_CAP (256u * 1024u)
#define TEST_DATA_OFFSET 0x4000u   /* file offset of the first segment's bytes */

/* MB §3.3: offsets in the information structure and its flags. */
#define INFO_FLAGS 0
#define INFO_MEM_LOWER 4
#define INFO_MEM_UPPER 8
#define INFO_CMDLINE 16
#define INFO_MMAP_LENGTH 44
#define INFO_MMAP_ADDR 48
#define INFO_LOADER_NAME 64
#define INFO_F_MEM (1u << 0)
#define INFO_F_CMDLINE (1u << 2)
#define INFO_F_MMAP (1u << 6)
#define INFO_F_LOADER_NAME (1u << 9)

static struct boot_ram ram;
static uint8_t img[TEST_IMG_CAP];
static char err[256];

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

/* ---- image builders ---- */

static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t get64(const uint8_t *p)
{
	return get32(p) | (uint64_t)get32(p + 4) << 32;
}

/* Write a Multiboot header (magic, flags, checksum) at img[off]. */
static void test_put_mb_header(uint8_t *at, uint32_t flags)
{
	put32(at, MULTIBOOT_HEADER_MAGIC);
	put32(at + 4, flags);
	put32(at + 8, -(MULTIBOOT_HEADER_MAGIC + flags));
}

/* Byte j of segment i's file data: distinct per segment. */
static uint8_t seg_byte(unsigned i, uint32_t j)
{
	return (uint8_t)(0x41 + 0x10 * i + j * 7);
}

struct test_seg {
	uint32_t vaddr, paddr, filesz, memsz;
};

struct test_elf {
	struct test_seg seg[4];
	unsigned nseg;
	uint32_t entry;
	uint32_t mb_offset;   /* file offset of the Multiboot header */
	uint32_t mb_flags;
};

/* One 6 KiB + 6 KiB bss segment at 1 MiB, header at 0x100: a good kernel. */
static struct test_elf test_elf_default(void)
{
	return (struct test_elf){
		.seg = { { 0x100000, 0x100000, 0x1800, 0x3000 } },
		.nseg = 1,
		.entry = 0x10000c,
		.mb_offset = 0x100,
		.mb_flags = 0x3,
	};
}

/* Assemble spec into img: ELF header, program headers, Multiboot header,
 * segment bytes from TEST_DATA_OFFSET on. Returns the file length. */
static size_t test_build_elf(const struct test_elf *spec)
{
	Elf32_Ehdr eh = {
		.e_ident = { ELFMAG0, ELFMAG1, ELFMAG2, ELFMAG3, ELFCLASS32, ELFDATA2LSB, EV_CURRENT },
		.e_type = ET_EXEC, .e_machine = EM_386, .e_version = EV_CURRENT,
		.e_entry = spec->entry, .e_phoff = sizeof eh, .e_ehsize = sizeof eh,
		.e_phentsize = sizeof(Elf32_Phdr), .e_phnum = (Elf32_Half)spec->nseg,
	};
	uint32_t off = TEST_DATA_OFFSET;

	memcpy(img, &eh, sizeof eh);
	for (unsigned i = 0; i < spec->nseg; i++) {
		const struct test_seg *s = &spec->seg[i];
		Elf32_Phdr ph = {
			.p_type = PT_LOAD, .p_offset = off, .p_vaddr = s->vaddr,
			.p_paddr = s->paddr, .p_filesz = s->filesz, .p_memsz = s->memsz,
			.p_flags = PF_R | PF_W | PF_X, .p_align = 16,
		};
		ck_assert_uint_le(off + s->filesz, TEST_IMG_CAP);
		memcpy(img + sizeof eh + i * sizeof ph, &ph, sizeof ph);
		for (uint32_t j = 0; j < s->filesz; j++)
			img[off + j] = seg_byte(i, j);
		off += (s->filesz + 15) & ~15u;
	}
	test_put_mb_header(img + spec->mb_offset, spec->mb_flags);
	return off > spec->mb_offset + 12 ? off : spec->mb_offset + 12;
}

/* A raw image of `size` pattern bytes loaded at load_addr, with an
 * address-fields header at file offset 0x40. Returns the file length. */
static size_t test_build_aout(uint32_t load_addr, uint32_t size, uint32_t load_end,
			      uint32_t bss_end, uint32_t entry)
{
	for (uint32_t j = 0; j < size; j++)
		img[j] = seg_byte(0, j);
	test_put_mb_header(img + 0x40, 0x10003);
	put32(img + 0x40 + 12, load_addr + 0x40);   /* header_addr */
	put32(img + 0x40 + 16, load_addr);
	put32(img + 0x40 + 20, load_end);
	put32(img + 0x40 + 24, bss_end);
	put32(img + 0x40 + 28, entry);
	return size;
}

/* Load img[0..len) with cmdline; the status. */
static bt_status test_load(size_t len, const char *cmdline, struct boot_state *st)
{
	return multiboot_load(img, len, cmdline, ram, st, err, sizeof err);
}

/* The load must fail with `status` and an error line containing `what`. */
#define assert_load_fails(len, status, what)                                        \
	do {                                                                        \
		struct boot_state st_;                                              \
		ck_assert_int_eq(test_load((len), "", &st_), (status));             \
		ck_assert_msg(strstr(err, (what)) != NULL,                          \
			      "error line \"%s\" does not mention \"%s\"", err, (what)); \
		ck_assert_ptr_null(strchr(err, '\n'));                              \
	} while (0)

/* ---- ELF loading ---- */

START_TEST(test_multiboot_loads_elf_segment_at_paddr)
{
	struct test_elf spec = test_elf_default();
	struct boot_state st;

	spec.seg[1] = (struct test_seg){ 0x300000, 0x300000, 0x100, 0x100 };
	spec.nseg = 2;
	ck_assert_int_eq(test_load(test_build_elf(&spec), "", &st), BT_OK);
	for (uint32_t j = 0; j < 0x1800; j++)
		ck_assert_uint_eq(ram.base[0x100000 + j], seg_byte(0, j));
	for (uint32_t j = 0; j < 0x100; j++)
		ck_assert_uint_eq(ram.base[0x300000 + j], seg_byte(1, j));
	ck_assert_uint_eq(st.image_start, 0x100000);
	ck_assert_uint_eq(st.image_end, 0x300100);
}
END_TEST

START_TEST(test_multiboot_zero_fills_bss)
{
	struct test_elf spec = test_elf_default();
	struct boot_state st;

	memset(ram.base, 0xcc, ram.size);
	ck_assert_int_eq(test_load(test_build_elf(&spec), "", &st), BT_OK);
	for (uint32_t a = 0x101800; a < 0x103000; a++)
		ck_assert_uint_eq(ram.base[a], 0);
	ck_assert_uint_eq(ram.base[0x103000], 0xcc);   /* nothing past p_memsz */
	ck_assert_uint_eq(ram.base[0xfffff], 0xcc);
}
END_TEST

START_TEST(test_multiboot_translates_higher_half_entry_to_physical)
{
	struct test_elf spec = test_elf_default();
	struct boot_state st;

	spec.seg[0].vaddr = 0xc0100000;
	spec.entry = 0xc0100020;
	ck_assert_int_eq(test_load(test_build_elf(&spec), "", &st), BT_OK);
	ck_assert_uint_eq(st.eip, 0x100020);
	ck_assert_uint_eq(ram.base[0x100000], seg_byte(0, 0));
}
END_TEST

START_TEST(test_multiboot_accepts_video_mode_flag)
{
	struct test_elf spec = test_elf_default();
	struct boot_state st;

	spec.mb_flags = 0x7;
	ck_assert_int_eq(test_load(test_build_elf(&spec), "", &st), BT_OK);
}
END_TEST

START_TEST(test_multiboot_leaves_ram_untouched_on_error)
{
	struct test_elf spec = test_elf_default();

	spec.seg[1] = (struct test_seg){ 0x2000000, 0x2000000, 0x10, 0x10 };
	spec.nseg = 2;
	memset(ram.base, 0xcc, ram.size);
	assert_load_fails(test_build_elf(&spec), BT_ERR_RANGE, "ELF segment 1");
	for (uint32_t a = 0x100000; a < 0x103000; a++)
		ck_assert_uint_eq(ram.base[a], 0xcc);
	ck_assert_uint_eq(ram.base[0x9000], 0xcc);
}
END_TEST

/* ---- entry state and the information structure ---- */

START_TEST(test_multiboot_entry_state_has_magic_in_eax)
{
	struct test_elf spec = test_elf_default();
	struct boot_state st;

	memset(&st, 0x55, sizeof st);
	ck_assert_int_eq(test_load(test_build_elf(&spec), "", &st), BT_OK);
	ck_assert_uint_eq(st.eax, 0x2BADB002u);
	ck_assert_uint_eq(st.eip, 0x10000c);
	ck_assert_uint_ge(st.ebx, 0x1000);
	ck_assert_uint_lt(st.ebx + 88, 0x10000);
	ck_assert_uint_eq(st.ecx | st.edx | st.esi | st.edi | st.esp | st.ebp, 0);
}
END_TEST

/* Check mmap entry k (walked with the size fields) against base/len/type. */
static const uint8_t *check_mmap_entry(const uint8_t *e, uint64_t base, uint64_t len,
				       uint32_t type)
{
	ck_assert_uint_eq(get32(e), 20);
	ck_assert_uint_eq(get64(e + 4), base);
	ck_assert_uint_eq(get64(e + 12), len);
	ck_assert_uint_eq(get32(e + 20), type);
	return e + 4 + get32(e);
}

START_TEST(test_multiboot_info_has_mmap_and_cmdline)
{
	struct test_elf spec = test_elf_default();
	struct boot_state st;

	ck_assert_int_eq(test_load(test_build_elf(&spec), "console=ttyS0 quiet", &st), BT_OK);
	const uint8_t *info = ram.base + st.ebx;
	uint32_t flags = get32(info + INFO_FLAGS);
	ck_assert_uint_eq(flags & INFO_F_MEM, INFO_F_MEM);
	ck_assert_uint_eq(flags & INFO_F_CMDLINE, INFO_F_CMDLINE);
	ck_assert_uint_eq(flags & INFO_F_MMAP, INFO_F_MMAP);
	ck_assert_uint_eq(flags & INFO_F_LOADER_NAME, INFO_F_LOADER_NAME);
	ck_assert_uint_eq(get32(info + INFO_MEM_LOWER), 639);
	ck_assert_uint_eq(get32(info + INFO_MEM_UPPER), (TEST_RAM_SIZE - MIB) / 1024);
	ck_assert_str_eq((const char *)ram.base + get32(info + INFO_CMDLINE), "console=ttyS0 quiet");
	ck_assert_str_eq((const char *)ram.base + get32(info + INFO_LOADER_NAME), "btmon");

	const uint8_t *e = ram.base + get32(info + INFO_MMAP_ADDR);
	const uint8_t *end = e + get32(info + INFO_MMAP_LENGTH);
	e = check_mmap_entry(e, 0, 0x9fc00, 1);
	e = check_mmap_entry(e, 0x9fc00, 0x400, 2);
	e = check_mmap_entry(e, 0xf0000, 0x10000, 2);
	e = check_mmap_entry(e, 0x100000, TEST_RAM_SIZE - MIB, 1);
	ck_assert_ptr_eq(e, end);
}
END_TEST

START_TEST(test_multiboot_null_cmdline_is_empty_string)
{
	struct test_elf spec = test_elf_default();
	struct boot_state st;

	ck_assert_int_eq(test_load(test_build_elf(&spec), NULL, &st), BT_OK);
	ck_assert_str_eq((const char *)ram.base + get32(ram.base + st.ebx + INFO_CMDLINE), "");
}
END_TEST

/* ---- a.out kludge ---- */

START_TEST(test_multiboot_aout_kludge_loads_at_load_addr)
{
	struct boot_state st;
	size_t len = test_build_aout(0x200000, 0x1000, 0x200000 + 0x800, 0x200000 + 0x2000,
				     0x200080);

	memset(ram.base, 0xcc, ram.size);
	ck_assert_int_eq(test_load(len, "", &st), BT_OK);
	ck_assert_uint_eq(st.eip, 0x200080);
	ck_assert_uint_eq(st.eax, 0x2BADB002u);
	ck_assert_mem_eq(ram.base + 0x200000, img, 0x800);   /* load_end: only 2 KiB */
	for (uint32_t a = 0x200800; a < 0x202000; a++)
		ck_assert_uint_eq(ram.base[a], 0);
	ck_assert_uint_eq(ram.base[0x202000], 0xcc);
	ck_assert_uint_eq(st.image_start, 0x200000);
	ck_assert_uint_eq(st.image_end, 0x202000);
}
END_TEST

START_TEST(test_multiboot_aout_kludge_load_end_zero_loads_whole_file)
{
	struct boot_state st;
	size_t len = test_build_aout(0x100000, 0x1234, 0, 0, 0x100000);

	ck_assert_int_eq(test_load(len, "", &st), BT_OK);
	ck_assert_mem_eq(ram.base + 0x100000, img, 0x1234);
	ck_assert_uint_eq(st.image_end, 0x101234);
}
END_TEST

START_TEST(test_multiboot_rejects_aout_load_addr_above_header_addr)
{
	size_t len = test_build_aout(0x100000, 0x1000, 0, 0, 0x100000);

	put32(img + 0x40 + 16, 0x100080);   /* load_addr > header_addr */
	assert_load_fails(len, BT_ERR_FORMAT, "load_addr 0x00100080");
}
END_TEST

START_TEST(test_multiboot_rejects_aout_image_outside_ram)
{
	size_t len = test_build_aout(0xfff000, 0x1000, 0, 0x1001000, 0xfff000);

	assert_load_fails(len, BT_ERR_RANGE, "a.out-kludge image (load_addr 0x00fff000");
}
END_TEST

/* ---- bad ELF images ---- */

START_TEST(test_multiboot_rejects_truncated_elf_header)
{
	/* ELF identification, then the Multiboot header, then the file ends. */
	static const uint8_t ident[] = { 0x7f, 'E', 'L', 'F', ELFCLASS32, ELFDATA2LSB, 1 };

	memcpy(img, ident, sizeof ident);
	test_put_mb_header(img + 16, 0x3);
	assert_load_fails(40, BT_ERR_FORMAT, "truncated ELF: file is 40 bytes");
}
END_TEST

START_TEST(test_multiboot_rejects_truncated_program_header_table)
{
	struct test_elf spec = test_elf_default();
	size_t len = test_build_elf(&spec);

	put32(img + offsetof(Elf32_Ehdr, e_phoff), (uint32_t)len - 16);
	assert_load_fails(len, BT_ERR_FORMAT, "truncated ELF: program header table at offset 0x");
}
END_TEST

START_TEST(test_multiboot_rejects_truncated_segment_data)
{
	struct test_elf spec = test_elf_default();
	size_t len = test_build_elf(&spec);

	assert_load_fails(len - 0x100, BT_ERR_FORMAT, "truncated ELF: segment 0 data (offset 0x4000");
}
END_TEST

START_TEST(test_multiboot_rejects_elf64_class)
{
	struct test_elf spec = test_elf_default();
	size_t len = test_build_elf(&spec);

	img[EI_CLASS] = ELFCLASS64;
	assert_load_fails(len, BT_ERR_FORMAT, "ELF class 2 (64-bit) not supported");
}
END_TEST

START_TEST(test_multiboot_rejects_non_i386_machine)
{
	struct test_elf spec = test_elf_default();
	size_t len = test_build_elf(&spec);

	img[offsetof(Elf32_Ehdr, e_machine)] = EM_X86_64;
	assert_load_fails(len, BT_ERR_FORMAT, "not an i386 ELF (e_machine 62)");
}
END_TEST

START_TEST(test_multiboot_rejects_shared_object)
{
	struct test_elf spec = test_elf_default();
	size_t len = test_build_elf(&spec);

	img[offsetof(Elf32_Ehdr, e_type)] = ET_DYN;
	assert_load_fails(len, BT_ERR_FORMAT, "ELF type 3 is not ET_EXEC");
}
END_TEST

START_TEST(test_multiboot_rejects_filesz_above_memsz)
{
	struct test_elf spec = test_elf_default();

	spec.seg[0].memsz = 0x100;
	assert_load_fails(test_build_elf(&spec), BT_ERR_FORMAT, "p_filesz (6144 bytes) exceeds");
}
END_TEST

START_TEST(test_multiboot_rejects_entry_outside_segments)
{
	struct test_elf spec = test_elf_default();

	spec.entry = 0x400000;
	assert_load_fails(test_build_elf(&spec), BT_ERR_FORMAT,
			  "entry point 0x00400000 is not inside any loadable segment");
}
END_TEST

START_TEST(test_multiboot_rejects_segment_outside_ram)
{
	struct test_elf spec = test_elf_default();

	spec.seg[1] = (struct test_seg){ 0x08000000, 0x08000000, 0x1000, 0x1000 };
	spec.nseg = 2;
	assert_load_fails(test_build_elf(&spec), BT_ERR_RANGE,
			  "ELF segment 1 (paddr 0x08000000, 4096 bytes) lies outside guest RAM (16 MiB)");
}
END_TEST

START_TEST(test_multiboot_rejects_bss_running_past_ram_end)
{
	struct test_elf spec = test_elf_default();

	spec.seg[0] = (struct test_seg){ 0xfff000, 0xfff000, 0x800, 0x1001 };
	spec.entry = 0xfff000;
	assert_load_fails(test_build_elf(&spec), BT_ERR_RANGE, "lies outside guest RAM");
}
END_TEST

START_TEST(test_multiboot_rejects_segment_wrapping_4gib)
{
	struct test_elf spec = test_elf_default();

	spec.seg[0] = (struct test_seg){ 0xfffff000, 0xfffff000, 0x100, 0x2000 };
	spec.entry = 0xfffff000;
	assert_load_fails(test_build_elf(&spec), BT_ERR_RANGE,
			  "ELF segment 0 (paddr 0xfffff000, 8192 bytes) wraps past 4 GiB");
}
END_TEST

START_TEST(test_multiboot_rejects_segment_over_info_area)
{
	struct test_elf spec = test_elf_default();

	spec.seg[0] = (struct test_seg){ 0x8000, 0x8000, 0x100, 0x2000 };
	spec.entry = 0x8000;
	assert_load_fails(test_build_elf(&spec), BT_ERR_RANGE,
			  "overlaps the Multiboot information");
}
END_TEST

/* ---- bad Multiboot headers ---- */

START_TEST(test_multiboot_rejects_image_without_header_in_first_8k)
{
	struct test_elf spec = test_elf_default();

	spec.mb_offset = 8192;
	assert_load_fails(test_build_elf(&spec), BT_ERR_FORMAT,
			  "no Multiboot header in the first 8 KiB");
}
END_TEST

START_TEST(test_multiboot_rejects_header_straddling_8k_limit)
{
	struct test_elf spec = test_elf_default();

	spec.mb_offset = 8188;   /* magic inside, flags and checksum outside */
	assert_load_fails(test_build_elf(&spec), BT_ERR_FORMAT,
			  "no Multiboot header in the first 8 KiB");
}
END_TEST

START_TEST(test_multiboot_rejects_bad_checksum)
{
	struct test_elf spec = test_elf_default();
	size_t len = test_build_elf(&spec);

	img[spec.mb_offset + 8] ^= 1;
	assert_load_fails(len, BT_ERR_FORMAT, "Multiboot header at offset 0x100 has a bad checksum");
}
END_TEST

START_TEST(test_multiboot_rejects_unsupported_required_flag)
{
	struct test_elf spec = test_elf_default();

	spec.mb_flags = 0x3 | (1u << 5);
	assert_load_fails(test_build_elf(&spec), BT_ERR_FORMAT,
			  "requires unsupported feature (flags 0x00000023, bit 5)");
}
END_TEST

START_TEST(test_multiboot_rejects_non_elf_without_address_fields)
{
	memset(img, 0x90, 0x1000);
	test_put_mb_header(img + 0x20, 0x3);
	assert_load_fails(0x1000, BT_ERR_FORMAT, "not an ELF file");
}
END_TEST

START_TEST(test_multiboot_rejects_overlong_cmdline)
{
	struct test_elf spec = test_elf_default();
	size_t len = test_build_elf(&spec);
	static char cmdline[0x8000];
	struct boot_state st;

	memset(cmdline, 'x', sizeof cmdline - 1);
	ck_assert_int_eq(test_load(len, cmdline, &st), BT_ERR_RANGE);
	ck_assert_ptr_nonnull(strstr(err, "command line is 32767 bytes"));
}
END_TEST

static TCase *tcase_with(const char *name)
{
	TCase *tc = tcase_create(name);

	tcase_add_checked_fixture(tc, setup, teardown);
	return tc;
}

static Suite *multiboot_suite(void)
{
	Suite *s = suite_create("multiboot");
	TCase *elf = tcase_with("elf"), *info = tcase_with("info"), *aout = tcase_with("aout");
	TCase *bad_elf = tcase_with("bad_elf"), *bad_hdr = tcase_with("bad_header");

	tcase_add_test(elf, test_multiboot_loads_elf_segment_at_paddr);
	tcase_add_test(elf, test_multiboot_zero_fills_bss);
	tcase_add_test(elf, test_multiboot_translates_higher_half_entry_to_physical);
	tcase_add_test(elf, test_multiboot_accepts_video_mode_flag);
	tcase_add_test(elf, test_multiboot_leaves_ram_untouched_on_error);
	tcase_add_test(info, test_multiboot_entry_state_has_magic_in_eax);
	tcase_add_test(info, test_multiboot_info_has_mmap_and_cmdline);
	tcase_add_test(info, test_multiboot_null_cmdline_is_empty_string);
	tcase_add_test(aout, test_multiboot_aout_kludge_loads_at_load_addr);
	tcase_add_test(aout, test_multiboot_aout_kludge_load_end_zero_loads_whole_file);
	tcase_add_test(aout, test_multiboot_rejects_aout_load_addr_above_header_addr);
	tcase_add_test(aout, test_multiboot_rejects_aout_image_outside_ram);
	tcase_add_test(bad_elf, test_multiboot_rejects_truncated_elf_header);
	tcase_add_test(bad_elf, test_multiboot_rejects_truncated_program_header_table);
	tcase_add_test(bad_elf, test_multiboot_rejects_truncated_segment_data);
	tcase_add_test(bad_elf, test_multiboot_rejects_elf64_class);
	tcase_add_test(bad_elf, test_multiboot_rejects_non_i386_machine);
	tcase_add_test(bad_elf, test_multiboot_rejects_shared_object);
	tcase_add_test(bad_elf, test_multiboot_rejects_filesz_above_memsz);
	tcase_add_test(bad_elf, test_multiboot_rejects_entry_outside_segments);
	tcase_add_test(bad_elf, test_multiboot_rejects_segment_outside_ram);
	tcase_add_test(bad_elf, test_multiboot_rejects_bss_running_past_ram_end);
	tcase_add_test(bad_elf, test_multiboot_rejects_segment_wrapping_4gib);
	tcase_add_test(bad_elf, test_multiboot_rejects_segment_over_info_area);
	tcase_add_test(bad_hdr, test_multiboot_rejects_image_without_header_in_first_8k);
	tcase_add_test(bad_hdr, test_multiboot_rejects_header_straddling_8k_limit);
	tcase_add_test(bad_hdr, test_multiboot_rejects_bad_checksum);
	tcase_add_test(bad_hdr, test_multiboot_rejects_unsupported_required_flag);
	tcase_add_test(bad_hdr, test_multiboot_rejects_non_elf_without_address_fields);
	tcase_add_test(bad_hdr, test_multiboot_rejects_overlong_cmdline);
	suite_add_tcase(s, elf);
	suite_add_tcase(s, info);
	suite_add_tcase(s, aout);
	suite_add_tcase(s, bad_elf);
	suite_add_tcase(s, bad_hdr);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(multiboot_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

/*
 * multiboot.c — the Multiboot v1 boot loader, part of btmon's "firmware".
 *
 * Where it sits: before the first guest instruction, the monitor hands the
 * kernel image (a host buffer) and guest RAM (a host pointer + size) to
 * multiboot_load(), which places the kernel, writes the Multiboot information
 * structure and returns the CPU state to start from (MB §3.2: protected mode,
 * paging off, EAX = 0x2BADB002, EBX = address of the information structure).
 *
 *	struct boot_state st;
 *	char err[160];
 *	if (multiboot_load(img, len, "console=ttyS0", ram, &st, err, sizeof err))
 *		fprintf(stderr, "btmon: %s: %s\n", path, err);
 *
 * Two image kinds (MB §3.1): an ELF32 i386 executable whose PT_LOAD segments
 * are copied to their p_paddr, or any image whose header sets flag bit 16
 * ("a.out kludge") and so says itself where it goes.
 *
 * The loader works in two passes: every check first, then every write, so
 * guest RAM is untouched when it fails. Layouts: multiboot_abi.h; the error
 * line, size wording and PC memory map it shares with linux_boot.c:
 * boot_util.h.
 *
 * Guest-physical layout it builds (the info area, below the kernel's usual
 * 1 MiB and above the real-mode IVT/BDA page):
 *	0x9000  struct mb_info (88 bytes)
 *	0x9058  memory map, 4 entries of 24 bytes
 *	0x90B8  "btmon" (boot loader name)
 *	0x90C0  command line ... at most up to 0x10000
 */
#include "btmon/boot.h"

#include <assert.h>
#include <elf.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "boot_util.h"
#include "multiboot_abi.h"

/* Guest-physical addresses of the pieces of the information area. */
#define MB_INFO_ADDR    0x9000u
#define MB_MMAP_ADDR    0x9058u
#define MB_MMAP_COUNT   4u
#define MB_NAME_ADDR    0x90B8u
#define MB_CMDLINE_ADDR 0x90C0u
#define MB_INFO_LIMIT   0x10000u
#define MB_LOADER_NAME  "btmon"

_Static_assert(MB_MMAP_ADDR >= MB_INFO_ADDR + sizeof(struct mb_info), "info overlaps mmap");
_Static_assert(MB_NAME_ADDR >= MB_MMAP_ADDR + MB_MMAP_COUNT * sizeof(struct mb_mmap_entry),
	       "mmap overlaps loader name");
_Static_assert(MB_CMDLINE_ADDR >= MB_NAME_ADDR + sizeof MB_LOADER_NAME, "name overlaps cmdline");

/* A half-open range of guest-physical addresses [start, end). */
struct mb_range {
	uint64_t start, end;
};

/* The header found in the image and its file offset. */
struct mb_found {
	uint32_t offset;
	struct mb_header hdr;
};

/* Where the kernel goes: filled by the check pass, used by the write pass. */
struct mb_plan {
	uint32_t entry;
	struct mb_range image;          /* lowest to one past the highest byte */
	/* a.out kludge only */
	uint32_t aout_file_offset, aout_load_size, aout_mem_size;
};

/*
 * Find the Multiboot header: 4-byte aligned, wholly inside the first
 * MULTIBOOT_SEARCH_LIMIT bytes of the file, with a valid checksum (MB §3.1.1).
 * Fills found->hdr only as far as the file goes (the rest reads 0).
 */
static bt_status mb_find_header(const uint8_t *image, size_t len, struct mb_found *found,
				struct boot_err e)
{
	size_t limit = len < MULTIBOOT_SEARCH_LIMIT ? len : MULTIBOOT_SEARCH_LIMIT;
	size_t bad_offset = SIZE_MAX;   /* first magic with a wrong checksum */
	uint32_t bad_sum = 0;

	for (size_t off = 0; off + MB_HEADER_MIN_SIZE <= limit; off += 4) {
		uint32_t magic = boot_rd32(image + off);
		uint32_t sum = magic + boot_rd32(image + off + 4) + boot_rd32(image + off + 8);

		if (magic != MULTIBOOT_HEADER_MAGIC)
			continue;
		if (sum != 0) {
			if (bad_offset == SIZE_MAX) {
				bad_offset = off;
				bad_sum = sum;
			}
			continue;
		}
		size_t n = len - off < sizeof found->hdr ? len - off : sizeof found->hdr;
		memset(&found->hdr, 0, sizeof found->hdr);
		memcpy(&found->hdr, image + off, n);   /* little-endian host */
		found->offset = (uint32_t)off;
		return BT_OK;
	}
	if (bad_offset != SIZE_MAX)
		return boot_fail(e, BT_ERR_FORMAT,
				 "Multiboot header at offset 0x%zx has a bad checksum "
				 "(magic + flags + checksum = 0x%08" PRIx32 ", must be 0)",
				 bad_offset, bad_sum);
	return boot_fail(e, BT_ERR_FORMAT, "no Multiboot header in the first 8 KiB");
}

/* Refuse required feature bits (0-15) btmon cannot honour (MB §3.1.2). */
static bt_status mb_check_flags(const struct mb_found *f, struct boot_err e)
{
	uint32_t unsupported = f->hdr.flags & MB_HF_REQUIRED_MASK & ~MB_HF_SUPPORTED;

	if (unsupported == 0)
		return BT_OK;
	return boot_fail(e, BT_ERR_FORMAT,
			 "Multiboot header at offset 0x%" PRIx32 " requires unsupported feature "
			 "(flags 0x%08" PRIx32 ", bit %d): btmon supports bits 0, 1 and 2 only",
			 f->offset, f->hdr.flags, __builtin_ctz(unsupported));
}

/*
 * Check that [paddr, paddr + size) may receive a piece of the kernel: no wrap
 * past 4 GiB, inside RAM, clear of the information area `info`.
 * `what` names the piece for the error line.
 */
static bt_status mb_check_place(const char *what, uint64_t paddr, uint64_t size,
				struct boot_ram ram, struct mb_range info, struct boot_err e)
{
	char sz[32];
	uint64_t end = paddr + size;

	if (end > (uint64_t)1 << 32)
		return boot_fail(e, BT_ERR_RANGE, "%s wraps past 4 GiB", what);
	if (end > ram.size)
		return boot_fail(e, BT_ERR_RANGE, "%s lies outside guest RAM (%s)", what,
				 boot_size_str_exact(ram.size, sz, sizeof sz));
	if (size && paddr < info.end && end > info.start)
		return boot_fail(e, BT_ERR_RANGE,
				 "%s overlaps the Multiboot information btmon builds at "
				 "0x%05" PRIx64 "-0x%05" PRIx64, what, info.start, info.end);
	return BT_OK;
}

static void mb_plan_extend(struct mb_plan *p, uint64_t start, uint64_t end)
{
	if (start < p->image.start)
		p->image.start = start;
	if (end > p->image.end)
		p->image.end = end;
}

/* ---- ELF32 images (MB §3.1: "the OS image is in ELF format") ---- */

/* Check the ELF header: an i386 little-endian ELF32 executable whose program
 * header table lies inside the file. Copies it into *eh. */
static bt_status mb_elf_check_header(const uint8_t *image, size_t len, const struct mb_found *f,
				     Elf32_Ehdr *eh, struct boot_err e)
{
	if (len < SELFMAG || memcmp(image, ELFMAG, SELFMAG) != 0)
		return boot_fail(e, BT_ERR_FORMAT,
				 "not an ELF file, and the Multiboot header at offset 0x%" PRIx32
				 " does not set the address fields (flags bit 16)", f->offset);
	if (len < sizeof *eh)
		return boot_fail(e, BT_ERR_FORMAT,
				 "truncated ELF: file is %zu bytes, shorter than the %zu-byte "
				 "ELF header",
				 len, sizeof *eh);
	memcpy(eh, image, sizeof *eh);   /* little-endian host */
	if (eh->e_ident[EI_CLASS] != ELFCLASS32)
		return boot_fail(e, BT_ERR_FORMAT,
				 "ELF class %u (%s) not supported: Multiboot v1 kernels are ELF32",
				 eh->e_ident[EI_CLASS],
				 eh->e_ident[EI_CLASS] == ELFCLASS64 ? "64-bit" : "invalid");
	if (eh->e_ident[EI_DATA] != ELFDATA2LSB)
		return boot_fail(e, BT_ERR_FORMAT,
				 "ELF data encoding %u not supported: i386 images are "
				 "little-endian (1)",
				 eh->e_ident[EI_DATA]);
	if (eh->e_machine != EM_386)
		return boot_fail(e, BT_ERR_FORMAT, "not an i386 ELF (e_machine %u)", eh->e_machine);
	if (eh->e_type != ET_EXEC)
		return boot_fail(e, BT_ERR_FORMAT,
				 "ELF type %u is not ET_EXEC (2): Multiboot loads static "
				 "executables",
				 eh->e_type);
	if (eh->e_phnum == 0)
		return boot_fail(e, BT_ERR_FORMAT, "ELF has no program headers (e_phnum 0)");
	if (eh->e_phentsize < sizeof(Elf32_Phdr))
		return boot_fail(e, BT_ERR_FORMAT,
				 "ELF program header entry size %u is smaller than %zu bytes",
				 eh->e_phentsize, sizeof(Elf32_Phdr));
	if ((uint64_t)eh->e_phoff + (uint64_t)eh->e_phnum * eh->e_phentsize > len)
		return boot_fail(e, BT_ERR_FORMAT,
				 "truncated ELF: program header table at offset 0x%" PRIx32
				 " (e_phnum %u, e_phentsize %u) runs past end of file (%zu bytes)",
				 eh->e_phoff, eh->e_phnum, eh->e_phentsize, len);
	return BT_OK;
}

/* Program header i, copied out of the file (checked to lie inside it). */
static Elf32_Phdr mb_elf_phdr(const uint8_t *image, const Elf32_Ehdr *eh, unsigned i)
{
	Elf32_Phdr ph;

	memcpy(&ph, image + eh->e_phoff + (size_t)i * eh->e_phentsize, sizeof ph);
	return ph;
}

/* Segments that get loaded: PT_LOAD with something in memory. */
static bool mb_elf_loads(const Elf32_Phdr *ph)
{
	return ph->p_type == PT_LOAD && ph->p_memsz != 0;
}

/* Check loadable segment i (numbered by its program header index). */
static bt_status mb_elf_check_segment(unsigned i, const Elf32_Phdr *ph, size_t len,
				      struct boot_ram ram, struct mb_range info, struct boot_err e)
{
	char what[96];

	if (ph->p_filesz > ph->p_memsz)
		return boot_fail(e, BT_ERR_FORMAT,
				 "ELF segment %u: p_filesz (%" PRIu32 " bytes) exceeds p_memsz (%"
				 PRIu32 " bytes)", i, ph->p_filesz, ph->p_memsz);
	if ((uint64_t)ph->p_offset + ph->p_filesz > len)
		return boot_fail(e, BT_ERR_FORMAT,
				 "truncated ELF: segment %u data (offset 0x%" PRIx32 ", %" PRIu32
				 " bytes) runs past end of file (%zu bytes)",
				 i, ph->p_offset, ph->p_filesz, len);
	snprintf(what, sizeof what, "ELF segment %u (paddr 0x%08" PRIx32 ", %" PRIu32 " bytes)",
		 i, ph->p_paddr, ph->p_memsz);
	return mb_check_place(what, ph->p_paddr, ph->p_memsz, ram, info, e);
}

/*
 * Check an ELF kernel and plan its loading. The entry point is e_entry made
 * physical through the segment whose virtual range holds it, as GRUB does for
 * higher-half kernels linked at p_vaddr != p_paddr.
 */
static bt_status mb_elf_check(const uint8_t *image, size_t len, const struct mb_found *f,
			      struct boot_ram ram, struct mb_range info, struct mb_plan *plan,
			      struct boot_err e)
{
	Elf32_Ehdr eh;
	bool have_entry = false;
	bt_status st = mb_elf_check_header(image, len, f, &eh, e);

	if (st != BT_OK)
		return st;
	plan->image = (struct mb_range){ UINT64_MAX, 0 };
	for (unsigned i = 0; i < eh.e_phnum; i++) {
		Elf32_Phdr ph = mb_elf_phdr(image, &eh, i);

		if (!mb_elf_loads(&ph))
			continue;
		st = mb_elf_check_segment(i, &ph, len, ram, info, e);
		if (st != BT_OK)
			return st;
		mb_plan_extend(plan, ph.p_paddr, (uint64_t)ph.p_paddr + ph.p_memsz);
		if (!have_entry && eh.e_entry >= ph.p_vaddr &&
		    (uint64_t)eh.e_entry < (uint64_t)ph.p_vaddr + ph.p_memsz) {
			plan->entry = eh.e_entry - ph.p_vaddr + ph.p_paddr;
			have_entry = true;
		}
	}
	if (plan->image.end == 0)
		return boot_fail(e, BT_ERR_FORMAT, "ELF has no loadable (PT_LOAD) segments");
	if (!have_entry)
		return boot_fail(e, BT_ERR_FORMAT,
				 "ELF entry point 0x%08" PRIx32 " is not inside any loadable "
				 "segment",
				 eh.e_entry);
	return BT_OK;
}

/* Copy every loadable segment to its p_paddr and zero its bss (checked). */
static void mb_elf_copy(const uint8_t *image, struct boot_ram ram)
{
	Elf32_Ehdr eh;

	memcpy(&eh, image, sizeof eh);
	for (unsigned i = 0; i < eh.e_phnum; i++) {
		Elf32_Phdr ph = mb_elf_phdr(image, &eh, i);

		if (!mb_elf_loads(&ph))
			continue;
		memcpy(ram.base + ph.p_paddr, image + ph.p_offset, ph.p_filesz);
		memset(ram.base + ph.p_paddr + ph.p_filesz, 0, ph.p_memsz - ph.p_filesz);
	}
}

/* ---- a.out kludge: the header's address fields (MB §3.1.3) ---- */

/* Work out the file offset, loaded size and in-memory size (with bss) from
 * the header's address fields, checking them against the file. */
static bt_status mb_aout_sizes(size_t len, const struct mb_found *f, uint32_t *file_offset,
			       uint64_t *load_size, uint64_t *mem_size, struct boot_err e)
{
	const struct mb_header *h = &f->hdr;

	if (len - f->offset < MB_HEADER_ADDR_SIZE)
		return boot_fail(e, BT_ERR_FORMAT,
				 "truncated Multiboot header at offset 0x%" PRIx32
				 ": the address fields (flags bit 16) run past end of file "
				 "(%zu bytes)",
				 f->offset, len);
	if (h->load_addr > h->header_addr || h->header_addr - h->load_addr > f->offset)
		return boot_fail(e, BT_ERR_FORMAT,
				 "Multiboot header at offset 0x%" PRIx32 ": load_addr 0x%08" PRIx32
				 " does not lie in the file before header_addr 0x%08" PRIx32,
				 f->offset, h->load_addr, h->header_addr);
	*file_offset = f->offset - (h->header_addr - h->load_addr);
	if (h->load_end_addr == 0)
		*load_size = len - *file_offset;
	else if (h->load_end_addr < h->load_addr)
		return boot_fail(e, BT_ERR_FORMAT,
				 "Multiboot header: load_end_addr 0x%08" PRIx32
				 " is below load_addr 0x%08" PRIx32,
				 h->load_end_addr, h->load_addr);
	else
		*load_size = h->load_end_addr - h->load_addr;
	if (*file_offset + *load_size > len)
		return boot_fail(e, BT_ERR_FORMAT,
				 "truncated image: the Multiboot header loads %" PRIu64
				 " bytes from file offset 0x%" PRIx32 " but the file is %zu bytes",
				 *load_size, *file_offset, len);
	*mem_size = *load_size;
	if (h->bss_end_addr == 0)
		return BT_OK;
	if (h->bss_end_addr < h->load_addr + *load_size)
		return boot_fail(e, BT_ERR_FORMAT,
				 "Multiboot header: bss_end_addr 0x%08" PRIx32
				 " is below the end of the loaded image 0x%08" PRIx64,
				 h->bss_end_addr, h->load_addr + *load_size);
	*mem_size = h->bss_end_addr - h->load_addr;
	return BT_OK;
}

/* Check the header's address fields and plan the load. */
static bt_status mb_aout_check(size_t len, const struct mb_found *f, struct boot_ram ram,
			       struct mb_range info, struct mb_plan *plan, struct boot_err e)
{
	const struct mb_header *h = &f->hdr;
	char what[96], sz[32];
	uint64_t load_size = 0, mem_size = 0;
	bt_status st;

	st = mb_aout_sizes(len, f, &plan->aout_file_offset, &load_size, &mem_size, e);
	if (st != BT_OK)
		return st;
	snprintf(what, sizeof what, "a.out-kludge image (load_addr 0x%08" PRIx32 ", %" PRIu64
		 " bytes)", h->load_addr, mem_size);
	st = mb_check_place(what, h->load_addr, mem_size, ram, info, e);
	if (st != BT_OK)
		return st;
	if (h->entry_addr >= ram.size)
		return boot_fail(e, BT_ERR_RANGE, "Multiboot header: entry_addr 0x%08" PRIx32
				 " lies outside guest RAM (%s)", h->entry_addr,
				 boot_size_str_exact(ram.size, sz, sizeof sz));
	plan->aout_load_size = (uint32_t)load_size;   /* < 4 GiB: it fits in RAM */
	plan->aout_mem_size = (uint32_t)mem_size;
	plan->entry = h->entry_addr;
	plan->image = (struct mb_range){ h->load_addr, h->load_addr + mem_size };
	return BT_OK;
}

static void mb_aout_copy(const uint8_t *image, const struct mb_found *f,
			 const struct mb_plan *plan, struct boot_ram ram)
{
	uint8_t *dst = ram.base + f->hdr.load_addr;

	memcpy(dst, image + plan->aout_file_offset, plan->aout_load_size);
	memset(dst + plan->aout_load_size, 0, plan->aout_mem_size - plan->aout_load_size);
}

/* ---- the information structure (MB §3.3) ---- */

/* The guest-physical range the information area will occupy; fails if the
 * command line does not fit below MB_INFO_LIMIT. */
static bt_status mb_info_range(const char *cmdline, struct mb_range *out, struct boot_err e)
{
	size_t n = strlen(cmdline) + 1;

	if (n > MB_INFO_LIMIT - MB_CMDLINE_ADDR)
		return boot_fail(e, BT_ERR_RANGE,
				 "command line is %zu bytes, longer than the %u bytes btmon "
				 "reserves",
				 n - 1, MB_INFO_LIMIT - MB_CMDLINE_ADDR - 1);
	*out = (struct mb_range){ MB_INFO_ADDR, MB_CMDLINE_ADDR + n };
	return BT_OK;
}

static void mb_put_mmap(uint8_t *at, unsigned *count, uint64_t base, uint64_t end, uint32_t type)
{
	struct mb_mmap_entry ent = {
		.size = MB_MMAP_ENTRY_SIZE, .base_addr = base, .length = end - base, .type = type,
	};

	if (end <= base)
		return;
	memcpy(at + *count * sizeof ent, &ent, sizeof ent);
	(*count)++;
}

/* Write the information structure, memory map and strings into low RAM.
 * Assumes ram.size >= 1 MiB and a command line mb_info_range accepted. */
static void mb_info_write(struct boot_ram ram, const char *cmdline)
{
	struct mb_info info;
	unsigned n = 0;
	uint8_t *mmap = ram.base + MB_MMAP_ADDR;

	mb_put_mmap(mmap, &n, 0, BOOT_LOW_RAM_END, MB_MEMORY_AVAILABLE);
	mb_put_mmap(mmap, &n, BOOT_LOW_RAM_END, BOOT_EBDA_END, MB_MEMORY_RESERVED);
	mb_put_mmap(mmap, &n, BOOT_BIOS_START, BOOT_HIGH_START, MB_MEMORY_RESERVED);
	mb_put_mmap(mmap, &n, BOOT_HIGH_START, ram.size, MB_MEMORY_AVAILABLE);
	assert(n <= MB_MMAP_COUNT);
	memcpy(ram.base + MB_NAME_ADDR, MB_LOADER_NAME, sizeof MB_LOADER_NAME);
	memcpy(ram.base + MB_CMDLINE_ADDR, cmdline, strlen(cmdline) + 1);

	memset(&info, 0, sizeof info);
	info.flags = MB_IF_MEM | MB_IF_CMDLINE | MB_IF_MMAP | MB_IF_LOADER_NAME;
	info.mem_lower = BOOT_LOW_RAM_END / 1024;
	info.mem_upper = (ram.size - BOOT_HIGH_START) / 1024;
	info.cmdline = MB_CMDLINE_ADDR;
	info.mmap_length = n * (uint32_t)sizeof(struct mb_mmap_entry);
	info.mmap_addr = MB_MMAP_ADDR;
	info.boot_loader_name = MB_NAME_ADDR;
	memcpy(ram.base + MB_INFO_ADDR, &info, sizeof info);   /* little-endian host */
}

/* ---- entry point ---- */

bt_status multiboot_load(const uint8_t *image, size_t len, const char *cmdline,
			 struct boot_ram ram, struct boot_state *out,
			 char *err, size_t errlen)
{
	struct boot_err e = { err, errlen };
	struct mb_found found;
	struct mb_plan plan = { 0 };
	struct mb_range info;
	char sz[32];
	bt_status st;

	assert(ram.base && out && (image || len == 0));
	if (!cmdline)
		cmdline = "";
	if (ram.size < BOOT_HIGH_START)
		return boot_fail(e, BT_ERR_RANGE, "guest RAM (%s) is smaller than the 1 MiB "
				 "Multiboot needs", boot_size_str_exact(ram.size, sz, sizeof sz));
	st = mb_info_range(cmdline, &info, e);
	if (st == BT_OK)
		st = mb_find_header(image, len, &found, e);
	if (st == BT_OK)
		st = mb_check_flags(&found, e);
	if (st == BT_OK && (found.hdr.flags & MB_HF_ADDRESS))
		st = mb_aout_check(len, &found, ram, info, &plan, e);
	else if (st == BT_OK)
		st = mb_elf_check(image, len, &found, ram, info, &plan, e);
	if (st != BT_OK)
		return st;

	/* Every check passed: now write guest RAM. */
	if (found.hdr.flags & MB_HF_ADDRESS)
		mb_aout_copy(image, &found, &plan, ram);
	else
		mb_elf_copy(image, ram);
	mb_info_write(ram, cmdline);

	memset(out, 0, sizeof *out);
	out->eip = plan.entry;
	out->eax = MULTIBOOT_BOOT_MAGIC;
	out->ebx = MB_INFO_ADDR;
	out->image_start = (gpa_t)plan.image.start;
	out->image_end = (gpa_t)plan.image.end;   /* one past the last byte; <= ram.size */
	return BT_OK;
}

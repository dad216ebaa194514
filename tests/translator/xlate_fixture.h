/*
 * xlate_fixture.h — what the translator tests share: a fake guest memory
 * (guest-linear = guest-physical unless a test remaps a page, filled with
 * HLT), one translated block, its host code decoded twice — Zydis in 64-bit
 * mode and, as an independent opinion, Capstone, which must agree on every
 * instruction boundary — and predicates over the decoded host instructions.
 * fixture_mode is the TC_MODE_* the next translation is for (0: CPL 0, no
 * paging). Include it once per test program.
 */
#ifndef BTMON_TESTS_XLATE_FIXTURE_H
#define BTMON_TESTS_XLATE_FIXTURE_H

#include <capstone/capstone.h>
#include <check.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <Zydis/Zydis.h>

#include "btmon/translator.h"
#include "btmon/vcpu.h"

static uint32_t fixture_mode;

#define EIP0 0x1000u
#define GUEST_SIZE 0x10000u
#define MAX_HOST_INSNS 2048

#define VCPU_OFF(field) ((int64_t)offsetof(struct vcpu, field))

/* ---- the fake guest ---- */

static uint8_t guest_mem[GUEST_SIZE];
static gpa_t gpa_of_page[GUEST_SIZE / BT_PAGE_SIZE];

static inline uint32_t fake_fetch(void *ctx, gla_t la, uint8_t *buf, uint32_t len)
{
	(void)ctx;
	if (la >= GUEST_SIZE)
		return 0;
	if (len > GUEST_SIZE - la)
		len = GUEST_SIZE - la;
	memcpy(buf, guest_mem + la, len);
	return len;
}

static inline bool fake_gla_to_gpa(void *ctx, gla_t la, gpa_t *pa)
{
	(void)ctx;
	if (la >= GUEST_SIZE)
		return false;
	*pa = gpa_of_page[la / BT_PAGE_SIZE] | (la & ~BT_PAGE_MASK);
	return true;
}

static inline void reset_guest(void)
{
	memset(guest_mem, 0xf4, sizeof(guest_mem));    /* hlt */
	fixture_mode = 0;
	for (unsigned i = 0; i < BT_ARRAY_SIZE(gpa_of_page); i++)
		gpa_of_page[i] = i * BT_PAGE_SIZE;
}

/* ---- the translated block, decoded ---- */

struct host_insn {
	uint32_t off;
	ZydisDecodedInstruction in;
	ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
};

static struct xlate_block blk;
static struct host_insn hc[MAX_HOST_INSNS];
static unsigned nhc;

/* Decode blk's host code with Zydis and Capstone; both must agree. */
static inline void decode_host(void)
{
	ZydisDecoder dec;
	ZydisDecoderInit(&dec, ZYDIS_MACHINE_MODE_LONG_64, ZYDIS_STACK_WIDTH_64);
	nhc = 0;
	for (uint32_t off = 0; off < blk.desc.code_len; off += hc[nhc++].in.length) {
		ck_assert_uint_lt(nhc, MAX_HOST_INSNS);
		hc[nhc].off = off;
		ck_assert_msg(ZYAN_SUCCESS(ZydisDecoderDecodeFull(&dec, blk.code + off,
				blk.desc.code_len - off, &hc[nhc].in, hc[nhc].ops)),
			"Zydis cannot decode host code at +0x%x", off);
	}

	csh cs;
	cs_insn *ci = NULL;
	ck_assert_int_eq(cs_open(CS_ARCH_X86, CS_MODE_64, &cs), CS_ERR_OK);
	size_t n = cs_disasm(cs, blk.code, blk.desc.code_len, 0, 0, &ci);
	ck_assert_msg(n == nhc, "Capstone sees %zu host instructions, Zydis %u", n, nhc);
	for (size_t i = 0; i < n; i++)
		ck_assert_msg(ci[i].address == hc[i].off && ci[i].size == hc[i].in.length,
			"Capstone and Zydis disagree at +0x%x: %s %s (%u bytes) vs %u bytes",
			hc[i].off, ci[i].mnemonic, ci[i].op_str, ci[i].size, hc[i].in.length);
	cs_free(ci, n);
	cs_close(&cs);
}

/* Index of the host instruction starting at off, or nhc. */
static inline unsigned insn_at(uint32_t off)
{
	for (unsigned i = 0; i < nhc; i++)
		if (hc[i].off == off)
			return i;
	return nhc;
}

static inline bool is_boundary(uint32_t off)
{
	return off == blk.desc.code_len || insn_at(off) < nhc;
}

static inline void assert_verified(void)
{
	char err[256] = "";
	ck_assert_msg(xlate_verify(&blk.desc, blk.notes, blk.nnotes, err, sizeof(err)) == BT_OK,
		      "verifier rejects the block: %s", err);
}

static inline void place(gla_t eip, const uint8_t *bytes, size_t n)
{
	memcpy(guest_mem + eip, bytes, n);
}

/* Translate the block at eip without judging it yet. */
static inline void translate_raw(gla_t eip, unsigned max_insns)
{
	struct xlate_env env = { .fetch = fake_fetch, .gla_to_gpa = fake_gla_to_gpa,
				 .mode = fixture_mode, .max_insns = max_insns };
	ck_assert_int_eq(xlate_block(&env, eip, &blk), BT_OK);
	ck_assert_ptr_eq(blk.desc.code, blk.code);
	decode_host();
	for (unsigned k = 0; k < blk.nnotes; k++)
		if (blk.notes[k].host_len)
			ck_assert_msg(is_boundary(blk.notes[k].host_off) &&
				      is_boundary(blk.notes[k].host_off + blk.notes[k].host_len),
				      "note %u does not start and end on host instruction boundaries", k);
}

/* Place bytes at eip, translate, decode, verify. */
static inline void translate_at(gla_t eip, const uint8_t *bytes, size_t n)
{
	place(eip, bytes, n);
	translate_raw(eip, 0);
	assert_verified();
}

#define TRANSLATE(...) do { \
	static const uint8_t code_[] = { __VA_ARGS__ }; \
	translate_at(EIP0, code_, sizeof(code_)); \
} while (0)

/* Host instructions [*first, *end) of note k. */
static inline void note_insns(unsigned k, unsigned *first, unsigned *end)
{
	ck_assert_uint_lt(k, blk.nnotes);
	*first = insn_at(blk.notes[k].host_off);
	*end = insn_at(blk.notes[k].host_off + blk.notes[k].host_len);
	if (*end == nhc && blk.notes[k].host_off + blk.notes[k].host_len != blk.desc.code_len)
		ck_abort_msg("note %u ends inside a host instruction", k);
}

/* The first host instruction in [first, end) with mnemonic mn, or end. */
static inline unsigned find_mn(unsigned first, unsigned end, ZydisMnemonic mn)
{
	for (unsigned i = first; i < end; i++)
		if (hc[i].in.mnemonic == mn)
			return i;
	return end;
}

static inline const ZydisDecodedOperand *mem_op(unsigned i)
{
	for (unsigned j = 0; j < hc[i].in.operand_count; j++)
		if (hc[i].ops[j].type == ZYDIS_OPERAND_TYPE_MEMORY)
			return &hc[i].ops[j];
	return NULL;
}

/* Is instruction i's memory operand gs:[base + disp] with 32-bit addressing? */
static inline bool is_window_op(unsigned i, ZydisRegister base, int64_t disp)
{
	const ZydisDecodedOperand *m = mem_op(i);
	return m && m->mem.segment == ZYDIS_REGISTER_GS && hc[i].in.address_width == 32 &&
	       m->mem.base == base && m->mem.disp.value == disp;
}

/* Is instruction i's memory operand [r15 + disp] (a VirtualCPU field)? */
static inline bool is_vcpu_op(unsigned i, int64_t disp)
{
	const ZydisDecodedOperand *m = mem_op(i);
	return m && m->mem.base == ZYDIS_REGISTER_R15 && m->mem.index == ZYDIS_REGISTER_NONE &&
	       m->mem.disp.value == disp;
}

static inline bool is_mov_imm_to_vcpu(unsigned i, int64_t disp, uint64_t imm)
{
	return i < nhc && hc[i].in.mnemonic == ZYDIS_MNEMONIC_MOV && is_vcpu_op(i, disp) &&
	       hc[i].ops[1].type == ZYDIS_OPERAND_TYPE_IMMEDIATE && hc[i].ops[1].imm.value.u == imm;
}

static inline bool writes_esp(unsigned i)
{
	for (unsigned j = 0; j < hc[i].in.operand_count; j++)
		if (hc[i].ops[j].type == ZYDIS_OPERAND_TYPE_REGISTER &&
		    (hc[i].ops[j].actions & ZYDIS_OPERAND_ACTION_MASK_WRITE) &&
		    (hc[i].ops[j].reg.value == ZYDIS_REGISTER_ESP || hc[i].ops[j].reg.value == ZYDIS_REGISTER_RSP))
			return true;
	return false;
}

/* Is instruction i `lea esp, [rsp + delta]`? */
static inline bool is_lea_esp(unsigned i, int64_t delta)
{
	return i < nhc && hc[i].in.mnemonic == ZYDIS_MNEMONIC_LEA &&
	       hc[i].ops[0].reg.value == ZYDIS_REGISTER_ESP && hc[i].ops[1].mem.base == ZYDIS_REGISTER_RSP &&
	       hc[i].ops[1].mem.disp.value == delta;
}

/* INVARIANT under test (stack.c): every guest memory access of note k comes
 * before its first write to ESP, so a fault leaves ESP untouched. */
static inline void assert_memory_before_esp(unsigned k)
{
	unsigned first, end, i;
	note_insns(k, &first, &end);
	for (i = first; i < end && !writes_esp(i); i++)
		;
	for (; i < end; i++) {
		const ZydisDecodedOperand *m = mem_op(i);
		ck_assert_msg(!m || m->mem.type == ZYDIS_MEMOP_TYPE_AGEN,
			      "note %u accesses memory after changing ESP (+0x%x)", k, hc[i].off);
	}
}

#endif

/*
 * difftest.c — one differential comparison: run a sequence natively and
 * translated from the same state, compare everything the guest can see,
 * print a reproducer, shrink it.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <Zydis/Zydis.h>

#include "difftest.h"
#include "harness.h"

struct dt_ctx {
	struct native_ctx *nat;
	struct harness *h;
	uint8_t stack_fill[DT_STACK_CHECK];
	uint8_t placed[DT_PLACE_MAX + DT_CODE_MAX];
};

int dt_new(struct dt_ctx **out)
{
	struct dt_ctx *c = calloc(1, sizeof(*c));
	if (!c)
		return -1;
	if (native_new(&c->nat, DT_DATA_SIZE) != BT_OK || native_data_size(c->nat) != DT_DATA_SIZE)
		goto fail;
	struct harness_layout l = {
		.code_addr = native_code_addr(c->nat), .code_size = NATIVE_CODE_SIZE,
		.data_addr = native_data_addr(c->nat), .data_size = DT_DATA_SIZE,
		.stack_addr = native_stack_top(c->nat) - NATIVE_STACK_SIZE,
		.stack_size = NATIVE_STACK_SIZE,
	};
	if (harness_new(&c->h, &l) != BT_OK)
		goto fail;
	for (unsigned i = 0; i < DT_STACK_CHECK; i++)
		c->stack_fill[i] = (uint8_t)(0xa5 ^ (i * 37) ^ (i >> 7));
	*out = c;
	return 0;
fail:
	native_free(c->nat);
	free(c);
	return -1;
}

void dt_free(struct dt_ctx *c)
{
	if (!c)
		return;
	harness_free(c->h);
	native_free(c->nat);
	free(c);
}

uint32_t dt_data_addr(const struct dt_ctx *c) { return native_data_addr(c->nat); }
uint32_t dt_stack_top(const struct dt_ctx *c) { return native_stack_top(c->nat); }
uint32_t dt_code_addr(const struct dt_ctx *c) { return native_code_addr(c->nat); }

/* The top DT_STACK_CHECK bytes of each side's stack. */
static uint8_t *native_stack_check(struct dt_ctx *c)
{
	return (uint8_t *)(uintptr_t)(native_stack_top(c->nat) - DT_STACK_CHECK);
}

static uint8_t *xl_stack_check(struct dt_ctx *c)
{
	return harness_mem(c->h, native_stack_top(c->nat) - DT_STACK_CHECK, DT_STACK_CHECK);
}

static void add_diff(struct dt_result *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void add_diff(struct dt_result *r, const char *fmt, ...)
{
	size_t n = strlen(r->diff);
	va_list ap;
	va_start(ap, fmt);
	if (n < sizeof(r->diff) - 1)
		vsnprintf(r->diff + n, sizeof(r->diff) - n, fmt, ap);
	va_end(ap);
}

static const char *const gpr_names[8] = { "EAX", "ECX", "EDX", "EBX", "ESP", "EBP", "ESI", "EDI" };

/* Compare bytes [off, off+len) of two FXSAVE images. */
static void cmp_fx(struct dt_result *r, const char *what, unsigned off, unsigned len)
{
	if (memcmp(r->nat.fxsave + off, r->xl.fxsave + off, len) == 0)
		return;
	add_diff(r, "  %-6s native ", what);
	for (unsigned i = len; i-- > 0;)
		add_diff(r, "%02x", r->nat.fxsave[off + i]);
	add_diff(r, " translated ");
	for (unsigned i = len; i-- > 0;)
		add_diff(r, "%02x", r->xl.fxsave[off + i]);
	add_diff(r, "\n");
}

/*
 * The x87/SSE state, field by field (FXSAVE layout, SDM Vol. 1 §10.5.1).
 * Not compared: FIP, FCS, FDP, FDS (bytes 8–15, 16–23). They record where
 * the last x87 instruction and its memory operand were *as the CPU ran
 * them*: natively the guest's EIP and selectors 0x23/0x2b, translated the
 * host address of the copied instruction in the code arena and the 64-bit
 * mode selectors. They legitimately differ; guests that read them (FNSTENV,
 * FNSAVE) see the native ones only after an unmasked exception, which
 * btmon delivers from a restart point (DESIGN.md §4). MXCSR_MASK is the
 * CPU's and needs no comparison.
 */
static void cmp_fpu(struct dt_result *r)
{
	char name[8];
	cmp_fx(r, "FCW", 0, 2);
	cmp_fx(r, "FSW", 2, 2);
	cmp_fx(r, "FTW", 4, 1);
	cmp_fx(r, "FOP", 6, 2);
	cmp_fx(r, "MXCSR", NATIVE_FX_MXCSR, 4);
	for (int i = 0; i < 8; i++) {
		snprintf(name, sizeof(name), "ST%d", i);
		cmp_fx(r, name, NATIVE_FX_ST(i), 10);
	}
	for (int i = 0; i < 8; i++) {
		snprintf(name, sizeof(name), "XMM%d", i);
		cmp_fx(r, name, NATIVE_FX_XMM(i), 16);
	}
}

static void cmp_bytes(struct dt_result *r, const char *what, uint32_t base, const uint8_t *a,
		      const uint8_t *b, uint32_t len, uint32_t ign_off, uint32_t ign_len)
{
	unsigned shown = 0;
	for (uint32_t i = 0; i < len; i++) {
		if (a[i] == b[i] || (i >= ign_off && i < ign_off + ign_len))
			continue;
		if (shown++ < 8)
			add_diff(r, "  %s[+0x%x] (0x%08x) native %02x translated %02x\n", what, i, base + i,
				 a[i], b[i]);
	}
	if (shown > 8)
		add_diff(r, "  ... %u %s bytes differ in all\n", shown, what);
}

static void cmp_fault(struct dt_result *r)
{
	const struct native_fault *a = &r->nat_f, *b = &r->xl_f;
	if (!a->signo && !b->signo)
		return;
	/* #PF error codes: the user bit differs (CPL 3 natively, 0 translated). */
	uint32_t emask = a->vector == X86_EXC_PF ? (X86_PFEC_P | X86_PFEC_W) : 0xffffffffu;
	if (!a->signo == !b->signo && a->vector == b->vector && a->eip == b->eip &&
	    a->addr == b->addr && (a->error_code & emask) == (b->error_code & emask))
		return;
	add_diff(r, "  fault  native ");
	add_diff(r, a->signo ? "vector %u error %#x at %08x addr %08x" : "none", a->vector,
		 a->error_code, a->eip, a->addr);
	add_diff(r, ", translated ");
	add_diff(r, b->signo ? "vector %u error %#x at %08x addr %08x\n" : "none\n", b->vector,
		 b->error_code, b->eip, b->addr);
}

static void compare(struct dt_ctx *c, const struct dt_input *in, struct dt_result *r)
{
	if (r->xl_status != BT_OK)
		add_diff(r, "  translated run stopped: %s\n", r->xl_reason);
	cmp_fault(r);
	for (int i = 0; i < 8; i++)
		if (r->nat.gpr[i] != r->xl.gpr[i])
			add_diff(r, "  %-6s native %08x translated %08x\n", gpr_names[i], r->nat.gpr[i],
				 r->xl.gpr[i]);
	if (r->nat.eflags != r->xl.eflags)
		add_diff(r, "  EFLAGS native %08x translated %08x\n", r->nat.eflags, r->xl.eflags);
	cmp_fpu(r);
	cmp_bytes(r, "data", dt_data_addr(c), r->nat_data, r->xl_data, DT_DATA_SIZE, in->ign_off,
		  in->ign_len);
	cmp_bytes(r, "stack", dt_stack_top(c) - DT_STACK_CHECK, native_stack_check(c),
		  xl_stack_check(c), DT_STACK_CHECK, 0, 0);
}

/* The bytes both sides run: the code, or for in->place a JMP rel32 to the
 * code at that offset, INT3 filler between. */
static const uint8_t *placed(struct dt_ctx *c, const uint8_t *code, uint32_t *len, uint32_t place)
{
	if (place < 5 || place > DT_PLACE_MAX || *len > DT_CODE_MAX)
		return code;
	uint8_t *b = c->placed;
	uint32_t rel = place - 5;
	b[0] = 0xe9;
	memcpy(b + 1, &rel, 4);
	memset(b + 5, 0xcc, place - 5);
	memcpy(b + place, code, *len);
	*len += place;
	return b;
}

int dt_check(struct dt_ctx *c, const uint8_t *code, uint32_t len, const struct dt_input *in,
	     struct dt_result *r)
{
	code = placed(c, code, &len, in->place);
	r->diff[0] = '\0';
	r->xl_reason[0] = '\0';
	memcpy(native_data(c->nat), in->data, DT_DATA_SIZE);
	memcpy(native_stack_check(c), c->stack_fill, DT_STACK_CHECK);
	if (native_run(c->nat, code, len, &in->st, &r->nat, &r->nat_f) != BT_OK)
		return -1;
	memcpy(r->nat_data, native_data(c->nat), DT_DATA_SIZE);

	memcpy(xl_stack_check(c), c->stack_fill, DT_STACK_CHECK);
	bt_status s = harness_run(c->h, code, len, &in->st, &r->xl, &r->xl_f, in->data, r->xl_data);
	if (s == BT_ERR_INVAL)
		return -1;
	r->xl_status = s;
	if (s != BT_OK)
		snprintf(r->xl_reason, sizeof(r->xl_reason), "%s", harness_stop_reason(c->h));
	compare(c, in, r);
	return r->diff[0] ? 1 : 0;
}

void dt_disasm(FILE *out, const uint8_t *code, uint32_t len, uint32_t addr)
{
	ZydisDecoder dec;
	ZydisFormatter fmt;
	ZydisDecodedInstruction in;
	ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
	ZydisDecoderInit(&dec, ZYDIS_MACHINE_MODE_LONG_COMPAT_32, ZYDIS_STACK_WIDTH_32);
	ZydisFormatterInit(&fmt, ZYDIS_FORMATTER_STYLE_INTEL);
	for (uint32_t off = 0; off < len;) {
		char text[128];
		char hex[64] = "";
		uint32_t n = 1;
		if (ZYAN_SUCCESS(ZydisDecoderDecodeFull(&dec, code + off, len - off, &in, ops))) {
			n = in.length;
			ZydisFormatterFormatInstruction(&fmt, &in, ops, in.operand_count_visible, text,
							sizeof(text), addr + off, NULL);
		} else {
			snprintf(text, sizeof(text), "(bad)");
		}
		for (uint32_t i = 0; i < n && i < 15; i++)
			snprintf(hex + 3 * i, sizeof(hex) - 3 * i, "%02x ", code[off + i]);
		fprintf(out, "    %08x  %-45s %s\n", addr + off, hex, text);
		off += n;
	}
}

static void print_state(FILE *out, const char *label, const struct native_state *s,
			const struct native_fault *f)
{
	fprintf(out, "  %-11s", label);
	for (int i = 0; i < 8; i++)
		fprintf(out, "%s=%08x ", gpr_names[i], s->gpr[i]);
	fprintf(out, "EFLAGS=%08x\n", s->eflags);
	uint16_t fcw, fsw;
	uint32_t mxcsr;
	memcpy(&fcw, s->fxsave, 2);
	memcpy(&fsw, s->fxsave + 2, 2);
	memcpy(&mxcsr, s->fxsave + NATIVE_FX_MXCSR, 4);
	fprintf(out, "  %-11sFCW=%04x FSW=%04x FTW=%02x MXCSR=%08x", "", fcw, fsw, s->fxsave[4], mxcsr);
	if (f && f->signo)
		fprintf(out, "  FAULT vector %u error %#x at %08x addr %08x", f->vector, f->error_code,
			f->eip, f->addr);
	fprintf(out, "\n");
}

/* The non-zero x87 and XMM registers of a state (hex, high byte first). */
static void print_fp_regs(FILE *out, const struct native_state *s)
{
	static const uint8_t zero[16];
	for (int i = 0; i < 16; i++) {
		unsigned off = i < 8 ? NATIVE_FX_ST(i) : NATIVE_FX_XMM(i - 8), n = i < 8 ? 10 : 16;
		if (memcmp(s->fxsave + off, zero, n) == 0)
			continue;
		fprintf(out, "  %-11s%s%d=", "", i < 8 ? "ST" : "XMM", i % 8);
		for (unsigned b = n; b-- > 0;)
			fprintf(out, "%02x", s->fxsave[off + b]);
		fprintf(out, "\n");
	}
}

void dt_report(FILE *out, struct dt_ctx *c, const char *title, const uint8_t *code, uint32_t len,
	       const struct dt_input *in, const struct dt_result *r)
{
	fprintf(out, "%s\n  bytes:", title);
	for (uint32_t i = 0; i < len; i++)
		fprintf(out, " %02x", code[i]);
	fprintf(out, "\n");
	if (in->place >= 5)
		fprintf(out, "  placed at code+0x%x, entered by jmp rel32 from code+0\n", in->place);
	dt_disasm(out, code, len, dt_code_addr(c) + (in->place >= 5 ? in->place : 0));
	fprintf(out, "  data area at %08x, stack top %08x\n", dt_data_addr(c), dt_stack_top(c));
	print_state(out, "initial", &in->st, NULL);
	print_fp_regs(out, &in->st);
	print_state(out, "native", &r->nat, &r->nat_f);
	print_state(out, "translated", &r->xl, &r->xl_f);
	fprintf(out, "  differences:\n%s", r->diff[0] ? r->diff : "  none\n");
}

/* Instruction boundaries of code; false if it has a relative branch or
 * does not decode (then it is not shrunk). */
static bool boundaries(const uint8_t *code, uint32_t len, uint32_t *starts, unsigned *n)
{
	ZydisDecoder dec;
	ZydisDecodedInstruction in;
	ZydisDecoderInit(&dec, ZYDIS_MACHINE_MODE_LONG_COMPAT_32, ZYDIS_STACK_WIDTH_32);
	*n = 0;
	for (uint32_t off = 0; off < len; off += in.length) {
		if (!ZYAN_SUCCESS(ZydisDecoderDecodeInstruction(&dec, NULL, code + off, len - off, &in)) ||
		    (in.attributes & ZYDIS_ATTRIB_IS_RELATIVE))
			return false;
		starts[(*n)++] = off;
	}
	starts[*n] = len;
	return true;
}

uint32_t dt_shrink(struct dt_ctx *c, const uint8_t *code, uint32_t len, const struct dt_input *in,
		   uint8_t *out)
{
	static uint32_t starts[DT_CODE_MAX + 1];
	static struct dt_result r;
	uint8_t try[DT_CODE_MAX];
	unsigned n;
	memcpy(out, code, len);
	if (len > DT_CODE_MAX || !boundaries(code, len, starts, &n))
		return len;
	/* Drop one instruction at a time, last first, while it still mismatches;
	 * repeat until a pass drops nothing. */
	for (bool dropped = true; dropped && n > 1;) {
		dropped = false;
		for (unsigned i = n; i-- > 0 && n > 1;) {
			uint32_t a = starts[i], b = starts[i + 1];
			memcpy(try, out, a);
			memcpy(try + a, out + b, len - b);
			if (dt_check(c, try, len - (b - a), in, &r) != 1)
				continue;
			memcpy(out, try, len - (b - a));
			len -= b - a;
			dropped = true;
			if (!boundaries(out, len, starts, &n))
				return len;
		}
	}
	return len;
}

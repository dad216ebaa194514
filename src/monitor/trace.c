/*
 * trace.c — btmon --trace: what the translator and the monitor did, as text
 * for people or as JSON lines (one object per record) for scripts.
 *
 * Where it sits: the run loop calls trace_block after xlate_block produced a
 * new block, trace_exec before it enters a block, and trace_event for exits,
 * faults and cache operations. Every entry point first tests the category
 * mask (trace_on), so a disabled trace point costs one test.
 *
 * A translated block is shown guest instruction by guest instruction, each
 * beside the host code it became. Guest boundaries come from the translator
 * (Zydis); this file disassembles both sides again with Capstone, so a guest
 * instruction Capstone reads differently is flagged "(capstone: ...)" rather
 * than hidden. Host code that belongs to no guest instruction (the block-entry
 * poll, glue, the exit stubs) is shown under its own heading.
 *
 * Usage:
 *     struct trace t;
 *     if (trace_open(&t, TRACE_DEFAULT, TRACE_FMT_TEXT, NULL) != BT_OK) ...
 *     trace_begin(&t, "kernel.elf");
 *     trace_block(&t, &xb, b);
 *     trace_event(&t, TRACE_EXIT, eip, "exit", "emulate out dx, al (port 0x%x)", port);
 *     trace_close(&t);
 */
#include <capstone/capstone.h>
#include <stdlib.h>
#include <string.h>

#include "trace.h"

/* Text layout of a guest line: "  0x%08x  " bytes, disassembly, then "│". */
#define COL_BYTES 22
#define COL_ASM   28
#define COL_LEFT  (14 + COL_BYTES + 1 + COL_ASM)
#define COL_HOST_BYTES 26

#define ASM_MAX 192     /* one disassembled instruction, with any remark */
#define DETAIL_MAX 1024 /* one trace_event detail; longer ones are cut */

static const char *const exec_note =
	"exec: chaining and the indirect-branch table are off so that every block "
	"returns to the monitor and is printed (like QEMU's -d exec,nochain); "
	"guest code runs slower while tracing";

/* The name of the lowest category bit in cat. */
static const char *trace_cat_name(unsigned cat)
{
	if (cat & TRACE_TRANSLATE) return "translate";
	if (cat & TRACE_EXEC)      return "exec";
	if (cat & TRACE_EXIT)      return "exit";
	if (cat & TRACE_FAULT)     return "fault";
	if (cat & TRACE_CACHE)     return "cache";
	return "?";
}

/* ---- Capstone ---- */

/* Open one Capstone handle on the heap; NULL on failure. */
static void *trace_cs_open(cs_mode mode, bt_status *st)
{
	csh *h = malloc(sizeof(*h));
	cs_err e = h ? cs_open(CS_ARCH_X86, mode, h) : CS_ERR_MEM;

	if (e != CS_ERR_OK) {
		*st = e == CS_ERR_MEM ? BT_ERR_NOMEM : BT_ERR_HOST;
		free(h);
		return NULL;
	}
	cs_option(*h, CS_OPT_SYNTAX, CS_OPT_SYNTAX_INTEL);
	return h;
}

static void trace_cs_close(void **hp)
{
	if (*hp) {
		cs_close((csh *)*hp);
		free(*hp);
		*hp = NULL;
	}
}

/*
 * Disassemble the first instruction of code[0..len) at address addr with
 * handle hp into out ("mnemonic operands"). Returns its length, or 0 if
 * Capstone cannot decode it (out is then "(undecodable)").
 */
static uint32_t trace_dis(void *hp, const uint8_t *code, uint32_t len, uint64_t addr,
			  char *out, size_t outlen)
{
	cs_insn *insn;
	uint32_t size;

	snprintf(out, outlen, "(undecodable)");
	if (!hp || len == 0 || cs_disasm(*(csh *)hp, code, len, addr, 1, &insn) != 1)
		return 0;
	snprintf(out, outlen, "%s%s%s", insn->mnemonic, insn->op_str[0] ? " " : "",
		 insn->op_str);
	size = insn->size;
	cs_free(insn, 1);
	return size;
}

/* Bytes as hex into buf: "fa 8b 45" with sep ' ', "fa8b45" with sep 0. */
static void trace_hex(char *buf, size_t buflen, const uint8_t *p, uint32_t n, char sep)
{
	static const char digits[] = "0123456789abcdef";
	size_t o = 0;

	for (uint32_t i = 0; i < n && o + 4 <= buflen; i++) {
		if (sep && i)
			buf[o++] = sep;
		buf[o++] = digits[p[i] >> 4];
		buf[o++] = digits[p[i] & 15];
	}
	buf[o] = 0;
}

/* ---- JSON ---- */

/* Write s as a JSON string (NULL as null): quotes, backslashes and control
 * characters escaped; other bytes (UTF-8) as they are. */
static void json_str(FILE *f, const char *s)
{
	if (!s) {
		fputs("null", f);
		return;
	}
	fputc('"', f);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '"':  fputs("\\\"", f); break;
		case '\\': fputs("\\\\", f); break;
		case '\n': fputs("\\n", f); break;
		case '\r': fputs("\\r", f); break;
		case '\t': fputs("\\t", f); break;
		case '\b': fputs("\\b", f); break;
		case '\f': fputs("\\f", f); break;
		default:
			if (*p < 0x20 || *p == 0x7f)
				fprintf(f, "\\u%04x", *p);
			else
				fputc(*p, f);
		}
	}
	fputc('"', f);
}

/* Start a record: {"seq":N,"cat":"...","eip":"0x..." (the caller closes it). */
static void json_begin(struct trace *t, const char *cat, uint32_t eip)
{
	fprintf(t->out, "{\"seq\":%llu,\"cat\":", (unsigned long long)t->seq++);
	json_str(t->out, cat);
	fprintf(t->out, ",\"eip\":\"0x%08x\"", eip);
}

/* ---- open, close, header ---- */

bt_status trace_open(struct trace *t, unsigned mask, enum trace_format fmt, const char *path)
{
	bt_status st = BT_OK;

	memset(t, 0, sizeof(*t));
	t->fmt = fmt;
	t->out = stderr;
	if (path) {
		t->out = fopen(path, "w");
		if (!t->out)
			return BT_ERR_IO;
		t->own_out = true;
	}
	t->cs_guest = trace_cs_open(CS_MODE_32, &st);
	if (t->cs_guest)
		t->cs_host = trace_cs_open(CS_MODE_64, &st);
	if (!t->cs_host) {
		trace_close(t);
		return st;
	}
	t->mask = mask;
	return BT_OK;
}

void trace_close(struct trace *t)
{
	if (!t)
		return;
	trace_cs_close(&t->cs_guest);
	trace_cs_close(&t->cs_host);
	if (t->out)
		fflush(t->out);
	if (t->out && t->own_out)
		fclose(t->out);
	t->out = NULL;
	t->own_out = false;
	t->mask = 0;
}

void trace_begin(struct trace *t, const char *guest_name)
{
	static const unsigned cats[] = {
		TRACE_TRANSLATE, TRACE_EXEC, TRACE_EXIT, TRACE_FAULT, TRACE_CACHE,
	};
	bool json = t && t->fmt == TRACE_FMT_JSONL;
	const char *sep = "";

	if (!trace_on(t, TRACE_ALL))
		return;
	if (json) {
		fprintf(t->out, "{\"seq\":%llu,\"cat\":\"begin\",\"guest\":",
			(unsigned long long)t->seq++);
		json_str(t->out, guest_name);
		fputs(",\"cats\":[", t->out);
	} else {
		fprintf(t->out, "# btmon trace of %s: ", guest_name ? guest_name : "(built-in guest)");
	}
	for (size_t i = 0; i < BT_ARRAY_SIZE(cats); i++) {
		if (!(t->mask & cats[i]))
			continue;
		fprintf(t->out, json ? "%s\"%s\"" : "%s%s", sep, trace_cat_name(cats[i]));
		sep = json ? "," : ", ";
	}
	if (json) {
		fputs("],\"note\":", t->out);
		json_str(t->out, trace_on(t, TRACE_EXEC) ? exec_note : NULL);
		fputs("}\n", t->out);
	} else {
		fputc('\n', t->out);
		if (trace_on(t, TRACE_EXEC))
			fprintf(t->out, "# %s\n", exec_note);
	}
}

/* ---- blocks ---- */

/* What trace_block needs while it walks one block. */
struct trace_blk {
	struct trace *t;
	const struct xlate_block *xb;
	const struct tc_block *b;
	uint32_t code_len;      /* host code bytes that exist: min(code_len, XLATE_MAX_CODE) */
};

/*
 * Print host code [from, to) of the block, one instruction per line (text) or
 * as JSON array elements (jsonl). Bytes Capstone cannot decode are shown one
 * at a time, so the walk always makes progress and never leaves the range.
 */
static void trace_host_range(const struct trace_blk *k, uint32_t from, uint32_t to)
{
	char text[ASM_MAX], hex[64];
	bool json = k->t->fmt == TRACE_FMT_JSONL;
	FILE *f = k->t->out;

	if (to > k->code_len)
		to = k->code_len;
	for (uint32_t off = from; off < to;) {
		uint64_t addr = k->b ? (uint64_t)(uintptr_t)k->b->host + off : off;
		uint32_t n = trace_dis(k->t->cs_host, k->xb->code + off, to - off, addr,
				       text, sizeof(text));
		if (n == 0) {
			n = 1;
			snprintf(text, sizeof(text), ".byte 0x%02x (capstone: undecodable)",
				 k->xb->code[off]);
		}
		trace_hex(hex, sizeof(hex), k->xb->code + off, n, json ? 0 : ' ');
		if (json) {
			fprintf(f, "%s{\"off\":%u,\"bytes\":\"%s\",\"asm\":", off > from ? "," : "",
				off, hex);
			json_str(f, text);
			fputc('}', f);
		} else {
			fprintf(f, "%*s │   +0x%03x  %-*s %s\n", COL_LEFT, "", off,
				COL_HOST_BYTES, hex, text);
		}
		off += n;
	}
}

/* Print a heading (text) or open a JSON array "key":[ , then host [from, to). */
static void trace_host_section(const struct trace_blk *k, const char *heading,
			       const char *key, uint32_t from, uint32_t to)
{
	if (k->t->fmt == TRACE_FMT_JSONL) {
		fprintf(k->t->out, ",\"%s\":[", key);
		trace_host_range(k, from, to);
		fputc(']', k->t->out);
	} else if (from < to && from < k->code_len) {
		fprintf(k->t->out, "  %s\n", heading);
		trace_host_range(k, from, to);
	}
}

/* Where a note's host code ends, saturated so a bad note cannot wrap. */
static uint32_t trace_note_end(const struct xlate_note *n)
{
	uint64_t end = (uint64_t)n->host_off + n->host_len;
	return end > UINT32_MAX ? UINT32_MAX : (uint32_t)end;
}

/*
 * One guest instruction: its bytes, Capstone's reading of them, the rule and
 * its host code. Host code from glue_from up to the note's own belongs to no
 * guest instruction (glue): text shows it first, jsonl as the note's "glue".
 */
static void trace_note(const struct trace_blk *k, const struct xlate_note *n, bool first,
		       uint32_t glue_from)
{
	char text[ASM_MAX + 32], cs[ASM_MAX], hex[64];
	uint32_t len = n->len > sizeof(n->bytes) ? sizeof(n->bytes) : n->len;
	uint32_t got = trace_dis(k->t->cs_guest, n->bytes, len, n->eip, cs, sizeof(cs));
	const char *rule = xlate_rule_name(n->rule);
	FILE *f = k->t->out;

	/* Zydis decides the boundary; show Capstone's view when it disagrees. */
	if (got == len && len > 0)
		snprintf(text, sizeof(text), "%s", cs);
	else if (got == 0)
		snprintf(text, sizeof(text), "(capstone: %s)", len ? "undecodable" : "no bytes");
	else
		snprintf(text, sizeof(text), "(capstone: %s, %u bytes)", cs, got);
	trace_hex(hex, sizeof(hex), n->bytes, len, k->t->fmt == TRACE_FMT_JSONL ? 0 : ' ');

	if (k->t->fmt == TRACE_FMT_JSONL) {
		fprintf(f, "%s{\"eip\":\"0x%08x\",\"bytes\":\"%s\",\"asm\":", first ? "" : ",",
			n->eip, hex);
		json_str(f, text);
		fputs(",\"rule\":", f);
		json_str(f, rule);
		fputs(",\"why\":", f);
		json_str(f, n->why);
		fputs(",\"host\":[", f);
		trace_host_range(k, n->host_off, trace_note_end(n));
		fputc(']', f);
		if (!first && glue_from < n->host_off)
			trace_host_section(k, NULL, "glue", glue_from, n->host_off);
		fputc('}', f);
		return;
	}
	if (!first)
		trace_host_section(k, "glue:", NULL, glue_from, n->host_off);
	fprintf(f, "  0x%08x  %-*s %-*s │ %s%s%s\n", n->eip, COL_BYTES, hex, COL_ASM, text,
		rule ? rule : "?", n->why ? ": " : "", n->why ? n->why : "");
	if (trace_note_end(n) > k->code_len)
		fprintf(f, "%*s │   (host +0x%x..+0x%x lies outside the block's %u bytes)\n",
			COL_LEFT, "", n->host_off, trace_note_end(n), k->code_len);
	trace_host_range(k, n->host_off, trace_note_end(n));
}

/* The entry poll (host code before the first guest instruction's), then the
 * guest instructions with their host code; returns where the last one ends. */
static uint32_t trace_notes(const struct trace_blk *k, unsigned nnotes)
{
	uint32_t pos = nnotes ? k->xb->notes[0].host_off : 0;
	bool json = k->t->fmt == TRACE_FMT_JSONL;

	trace_host_section(k, "entry poll:", "prologue", 0, pos);
	if (json)
		fputs(",\"insns\":[", k->t->out);
	for (unsigned i = 0; i < nnotes; i++) {
		const struct xlate_note *n = &k->xb->notes[i];
		trace_note(k, n, i == 0, pos);
		if (trace_note_end(n) > pos)
			pos = trace_note_end(n);
	}
	if (json)
		fputc(']', k->t->out);
	return pos;
}

/* The block's patchable exits: guest target and the stub each starts at. */
static void trace_exits(const struct trace_blk *k)
{
	const struct tc_block_desc *d = &k->xb->desc;
	unsigned nexits = d->exits ? d->nexits : 0;
	bool json = k->t->fmt == TRACE_FMT_JSONL;
	FILE *f = k->t->out;

	if (nexits > XLATE_MAX_EXITS)
		nexits = XLATE_MAX_EXITS;
	fputs(json ? ",\"exits\":[" : "  exits:", f);
	for (unsigned i = 0; i < nexits; i++) {
		const struct tc_exit_desc *e = &d->exits[i];
		if (json)
			fprintf(f, "%s{\"target\":\"0x%08x\",\"stub_off\":%u,\"site_off\":%u}",
				i ? "," : "", e->target, e->stub_off, e->site_off);
		else
			fprintf(f, "%s → 0x%08x (stub +0x%x)", i ? "," : "", e->target, e->stub_off);
	}
	fputs(json ? "]" : nexits ? "\n" : " none\n", f);
}

void trace_block(struct trace *t, const struct xlate_block *xb, const struct tc_block *b)
{
	struct trace_blk k = { .t = t, .xb = xb, .b = b };
	const struct tc_block_desc *d;
	unsigned nnotes;
	uint32_t end;

	if (!trace_on(t, TRACE_TRANSLATE) || !xb)
		return;
	d = &xb->desc;
	k.code_len = d->code_len > XLATE_MAX_CODE ? XLATE_MAX_CODE : d->code_len;
	nnotes = xb->nnotes > XLATE_MAX_INSNS ? XLATE_MAX_INSNS : xb->nnotes;

	if (t->fmt == TRACE_FMT_JSONL) {
		json_begin(t, "translate", d->eip);
		fprintf(t->out, ",\"pa\":\"0x%08x\",\"cpl\":%u,\"host\":", d->key.pa,
			d->key.mode & TC_MODE_CPL_MASK);
		if (b)
			fprintf(t->out, "\"0x%llx\"", (unsigned long long)(uintptr_t)b->host);
		else
			fputs("null", t->out);
		fprintf(t->out, ",\"guest_insns\":%u,\"guest_bytes\":%u,\"host_bytes\":%u,\"end\":",
			nnotes, d->guest_len, d->code_len);
		json_str(t->out, xb->end_reason);
		end = trace_notes(&k, nnotes);
		trace_host_section(&k, NULL, "stubs", end, k.code_len);
		trace_exits(&k);
		fputs("}\n", t->out);
		return;
	}
	fprintf(t->out, "---- block 0x%08x (pa 0x%08x, cpl %u%s) — %u guest insns, "
		"%u guest bytes → %u host bytes", d->eip, d->key.pa,
		d->key.mode & TC_MODE_CPL_MASK, d->key.mode & TC_MODE_PG ? ", paging" : "",
		nnotes, d->guest_len, d->code_len);
	if (d->guest_len)
		fprintf(t->out, " (%.1fx)", (double)d->code_len / d->guest_len);
	if (b)   /* where perf and gdb will see it */
		fprintf(t->out, " at host %p", (const void *)b->host);
	fprintf(t->out, " — ends: %s\n", xb->end_reason ? xb->end_reason : "?");
	end = trace_notes(&k, nnotes);
	trace_host_section(&k, "exit stubs:", NULL, end, k.code_len);
	trace_exits(&k);
	t->seq++;
}

/* ---- exec and events ---- */

void trace_exec(struct trace *t, const struct tc_block *b)
{
	if (!trace_on(t, TRACE_EXEC) || !b)
		return;
	if (t->fmt == TRACE_FMT_JSONL) {
		json_begin(t, "exec", b->eip);
		fprintf(t->out, ",\"pa\":\"0x%08x\",\"host\":\"0x%llx\",\"n\":%llu}\n", b->key.pa,
			(unsigned long long)(uintptr_t)b->host, (unsigned long long)b->execs);
		return;
	}
	fprintf(t->out, "exec  0x%08x (pa 0x%08x) host %p  [n=%llu]\n", b->eip, b->key.pa,
		(void *)b->host, (unsigned long long)b->execs);
	t->seq++;
}

void trace_event(struct trace *t, unsigned cat, uint32_t eip, const char *kind,
		 const char *fmt, ...)
{
	char detail[DETAIL_MAX];
	va_list ap;

	if (!trace_on(t, cat))
		return;
	detail[0] = 0;
	if (fmt) {
		va_start(ap, fmt);
		int n = vsnprintf(detail, sizeof(detail), fmt, ap);
		va_end(ap);
		if (n >= (int)sizeof(detail))
			memcpy(detail + sizeof(detail) - 4, "...", 4);
	}
	if (!kind)
		kind = "?";
	if (t->fmt == TRACE_FMT_JSONL) {
		json_begin(t, trace_cat_name(cat), eip);
		fputs(",\"kind\":", t->out);
		json_str(t->out, kind);
		fputs(",\"detail\":", t->out);
		json_str(t->out, detail);
		fputs("}\n", t->out);
		return;
	}
	fprintf(t->out, "%s  0x%08x  %s: %s\n", trace_cat_name(cat), eip, kind, detail);
	t->seq++;
}

/*
 * test_trace.c — Check suite for btmon --trace (src/monitor/trace.c).
 *
 * A small translated block is built by hand (guest `cli` and
 * `mov eax, [ebp+8]`, host code written byte by byte, notes pointing at it),
 * traced into a temporary file, and the file is read back. The translator is
 * not linked: xlate_rule_name is a local stub. JSON lines are checked with a
 * minimal validating parser, so a broken escape or a missing comma fails.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "trace.h"

/* ---- fakes ---- */

/* Stub of the translator's rule names (src/translator is not linked). */
const char *xlate_rule_name(enum xlate_rule r)
{
	switch (r) {
	case XR_CLI:      return "cli";
	case XR_COPY_MEM: return "copy+gs";
	case XR_JCC:      return "jcc";
	default:          return "rule";
	}
}

/* A temporary trace file, read back after trace_close. */
struct tmp_trace {
	char path[64];
	struct trace t;
};

static void tmp_open(struct tmp_trace *tt, unsigned mask, enum trace_format fmt)
{
	strcpy(tt->path, "/tmp/btmon_test_trace_XXXXXX");
	int fd = mkstemp(tt->path);
	ck_assert_int_ge(fd, 0);
	close(fd);
	ck_assert_int_eq(trace_open(&tt->t, mask, fmt, tt->path), BT_OK);
}

/* Close the trace and return the whole file (caller frees). */
static char *tmp_read(struct tmp_trace *tt)
{
	trace_close(&tt->t);
	FILE *f = fopen(tt->path, "r");
	ck_assert_ptr_nonnull(f);
	fseek(f, 0, SEEK_END);
	long size = ftell(f);
	rewind(f);
	char *buf = calloc(1, size + 1);
	ck_assert_uint_eq(fread(buf, 1, size, f), (size_t)size);
	fclose(f);
	unlink(tt->path);
	return buf;
}

/*
 * A block at 0x00100010 the way the translator would describe it:
 *   +0x00  entry poll   (41 80 7f 30 00: cmp byte ptr [r15 + 0x30], 0)
 *   +0x05  cli        → 41 c7 47 24 00 00 00 00   mov dword ptr [r15 + 0x24], 0
 *   +0x0d  mov eax,[ebp+8] → 65 67 8b 45 08        mov eax, dword ptr gs:[ebp + 8]
 *   +0x12  exit stub    (e9 rel32 + 2 nops)
 */
static struct xlate_block *fake_block(void)
{
	static const uint8_t poll[] = { 0x41, 0x80, 0x7f, 0x30, 0x00 };
	static const uint8_t cli_host[] = { 0x41, 0xc7, 0x47, 0x24, 0, 0, 0, 0 };
	static const uint8_t mov_host[] = { 0x65, 0x67, 0x8b, 0x45, 0x08 };
	static const uint8_t stub[] = { 0xe9, 0, 0, 0, 0, 0x90, 0x90 };
	struct xlate_block *xb = calloc(1, sizeof(*xb));
	uint32_t o = 0;

	memcpy(xb->code + o, poll, sizeof(poll)), o += sizeof(poll);
	xb->notes[0] = (struct xlate_note){ .eip = 0x00100010, .len = 1, .bytes = { 0xfa },
		.rule = XR_CLI, .host_off = o, .host_len = sizeof(cli_host),
		.why = "VirtualCPU.IF = 0 (inline)" };
	memcpy(xb->code + o, cli_host, sizeof(cli_host)), o += sizeof(cli_host);
	xb->notes[1] = (struct xlate_note){ .eip = 0x00100011, .len = 3,
		.bytes = { 0x8b, 0x45, 0x08 }, .rule = XR_COPY_MEM, .host_off = o,
		.host_len = sizeof(mov_host), .why = "memory operand through the window" };
	memcpy(xb->code + o, mov_host, sizeof(mov_host)), o += sizeof(mov_host);
	xb->nnotes = 2;
	xb->exits[0] = (struct tc_exit_desc){ .site_off = o + 1, .stub_off = o,
		.target = 0x00100014 };
	memcpy(xb->code + o, stub, sizeof(stub)), o += sizeof(stub);

	xb->desc = (struct tc_block_desc){
		.key = { .pa = 0x00100010, .mode = 0 }, .eip = 0x00100010, .guest_len = 4,
		.code = xb->code, .code_len = o, .exits = xb->exits, .nexits = 1,
		.map = xb->map, .nmap = 0,
	};
	xb->end_reason = "page boundary";
	return xb;
}

/* ---- a minimal JSON validator: true if s[*i..] starts with one value ---- */

static bool json_value(const char *s, size_t *i);

static void json_ws(const char *s, size_t *i)
{
	while (s[*i] == ' ' || s[*i] == '\t' || s[*i] == '\r')
		(*i)++;
}

static bool json_string(const char *s, size_t *i)
{
	if (s[(*i)++] != '"')
		return false;
	for (;;) {
		unsigned char c = s[(*i)++];
		if (c == '"')
			return true;
		if (c < 0x20)   /* also catches the end of the string and raw newlines */
			return false;
		if (c == '\\') {
			c = s[(*i)++];
			if (c == 'u') {
				for (int k = 0; k < 4; k++)
					if (!strchr("0123456789abcdefABCDEF", s[(*i)++]) || !s[*i - 1])
						return false;
			} else if (!c || !strchr("\"\\/bfnrt", c)) {
				return false;
			}
		}
	}
}

/* Elements of an object (pairs) or array (values) up to the closing bracket. */
static bool json_members(const char *s, size_t *i, char close, bool pairs)
{
	json_ws(s, i);
	if (s[*i] == close)
		return (*i)++, true;
	for (;;) {
		json_ws(s, i);
		if (pairs) {
			if (!json_string(s, i))
				return false;
			json_ws(s, i);
			if (s[(*i)++] != ':')
				return false;
		}
		if (!json_value(s, i))
			return false;
		json_ws(s, i);
		char c = s[(*i)++];
		if (c == close)
			return true;
		if (c != ',')
			return false;
	}
}

static bool json_value(const char *s, size_t *i)
{
	json_ws(s, i);
	switch (s[*i]) {
	case '{': (*i)++; return json_members(s, i, '}', true);
	case '[': (*i)++; return json_members(s, i, ']', false);
	case '"': return json_string(s, i);
	case 'n': return strncmp(s + *i, "null", 4) == 0 && (*i += 4);
	case 't': return strncmp(s + *i, "true", 4) == 0 && (*i += 4);
	case 'f': return strncmp(s + *i, "false", 5) == 0 && (*i += 5);
	default: {
		size_t start = *i;
		if (s[*i] == '-')
			(*i)++;
		while (strchr("0123456789.eE+-", s[*i]) && s[*i])
			(*i)++;
		return *i > start;
	}
	}
}

/* Every line of buf is exactly one JSON object; returns the number of lines. */
static unsigned json_check_lines(const char *buf)
{
	unsigned lines = 0;
	for (const char *p = buf; *p;) {
		const char *nl = strchr(p, '\n');
		ck_assert_msg(nl != NULL, "last line not terminated: %s", p);
		char *line = strndup(p, nl - p);
		size_t i = 0;
		ck_assert_msg(line[0] == '{', "not an object: %s", line);
		ck_assert_msg(json_value(line, &i) && line[i] == 0, "bad JSON at %zu: %s", i, line);
		free(line);
		lines++;
		p = nl + 1;
	}
	return lines;
}

/* ---- TCase: text ---- */

START_TEST(test_trace_text_block_shows_guest_and_host_disassembly)
{
	struct tmp_trace tt;
	struct xlate_block *xb = fake_block();
	tmp_open(&tt, TRACE_TRANSLATE, TRACE_FMT_TEXT);
	trace_block(&tt.t, xb, NULL);
	char *out = tmp_read(&tt);

	ck_assert_ptr_nonnull(strstr(out, "---- block 0x00100010 (pa 0x00100010, cpl 0)"));
	ck_assert_ptr_nonnull(strstr(out, "2 guest insns, 4 guest bytes"));
	ck_assert_ptr_nonnull(strstr(out, "ends: page boundary"));
	ck_assert_ptr_nonnull(strstr(out, "  0x00100010  fa "));
	ck_assert_ptr_nonnull(strstr(out, " cli "));
	ck_assert_ptr_nonnull(strstr(out, "cli: VirtualCPU.IF = 0 (inline)"));
	ck_assert_ptr_nonnull(strstr(out, "41 c7 47 24 00 00 00 00"));
	ck_assert_ptr_nonnull(strstr(out, "mov dword ptr [r15 + 0x24], 0"));
	ck_assert_ptr_nonnull(strstr(out, "8b 45 08"));
	ck_assert_ptr_nonnull(strstr(out, "mov eax, dword ptr [ebp + 8]"));
	ck_assert_ptr_nonnull(strstr(out, "copy+gs: memory operand through the window"));
	ck_assert_ptr_nonnull(strstr(out, "mov eax, dword ptr gs:[ebp + 8]"));
	ck_assert_ptr_null(strstr(out, "(capstone:"));
	free(out);
	free(xb);
}
END_TEST

START_TEST(test_trace_text_block_shows_entry_poll_stubs_and_exits)
{
	struct tmp_trace tt;
	struct xlate_block *xb = fake_block();
	tmp_open(&tt, TRACE_TRANSLATE, TRACE_FMT_TEXT);
	trace_block(&tt.t, xb, NULL);
	char *out = tmp_read(&tt);

	char *poll = strstr(out, "  entry poll:\n");
	char *cli = strstr(out, " cli ");
	char *stubs = strstr(out, "  exit stubs:\n");
	ck_assert_ptr_nonnull(poll);
	ck_assert_ptr_nonnull(stubs);
	ck_assert(poll < cli);
	ck_assert(cli < stubs);
	ck_assert_ptr_nonnull(strstr(stubs, "e9 00 00 00 00"));
	ck_assert_ptr_nonnull(strstr(out, "+0x012"));
	ck_assert_ptr_nonnull(strstr(out, "  exits: → 0x00100014 (stub +0x12)\n"));
	free(out);
	free(xb);
}
END_TEST

START_TEST(test_trace_text_flags_length_capstone_disagrees_with)
{
	struct tmp_trace tt;
	struct xlate_block *xb = fake_block();
	xb->notes[0].len = 2;          /* "fa 8b": Zydis would never say so */
	xb->notes[0].bytes[1] = 0x8b;
	xb->notes[1].len = 2;          /* truncated mov: capstone cannot decode */
	tmp_open(&tt, TRACE_TRANSLATE, TRACE_FMT_TEXT);
	trace_block(&tt.t, xb, NULL);
	char *out = tmp_read(&tt);

	ck_assert_ptr_nonnull(strstr(out, "fa 8b "));
	ck_assert_ptr_nonnull(strstr(out, "(capstone: cli, 1 bytes)"));
	ck_assert_ptr_nonnull(strstr(out, "(capstone: undecodable)"));
	free(out);
	free(xb);
}
END_TEST

START_TEST(test_trace_text_exec_and_event_lines)
{
	struct tmp_trace tt;
	struct tc_block b = { .eip = 0x00100010, .key = { .pa = 0x00200010 }, .execs = 3,
			      .host = (uint8_t *)0x7f0000001000 };
	tmp_open(&tt, TRACE_EXEC | TRACE_EXIT, TRACE_FMT_TEXT);
	trace_begin(&tt.t, "demo");
	trace_exec(&tt.t, &b);
	trace_event(&tt.t, TRACE_EXIT, 0x00100020, "exit", "emulate out dx, al (port 0x%x)", 0x3f8);
	char *out = tmp_read(&tt);

	ck_assert_ptr_nonnull(strstr(out, "exec, exit"));
	ck_assert_ptr_nonnull(strstr(out, "chaining and the indirect-branch table are off"));
	ck_assert_ptr_nonnull(strstr(out, "exec  0x00100010 (pa 0x00200010) host 0x7f0000001000  [n=3]\n"));
	ck_assert_ptr_nonnull(strstr(out, "exit  0x00100020  exit: emulate out dx, al (port 0x3f8)\n"));
	free(out);
}
END_TEST

/* ---- TCase: jsonl ---- */

START_TEST(test_trace_jsonl_block_is_one_valid_object)
{
	struct tmp_trace tt;
	struct xlate_block *xb = fake_block();
	struct tc_block b = { .eip = 0x00100010, .host = (uint8_t *)0x7f0000001000 };
	tmp_open(&tt, TRACE_ALL, TRACE_FMT_JSONL);
	trace_block(&tt.t, xb, &b);
	char *out = tmp_read(&tt);

	ck_assert_uint_eq(json_check_lines(out), 1);
	ck_assert_ptr_nonnull(strstr(out, "{\"seq\":0,\"cat\":\"translate\",\"eip\":\"0x00100010\""));
	ck_assert_ptr_nonnull(strstr(out, "\"asm\":\"cli\",\"rule\":\"cli\""));
	ck_assert_ptr_nonnull(strstr(out, "\"bytes\":\"41c7472400000000\""));
	ck_assert_ptr_nonnull(strstr(out, "\"asm\":\"mov eax, dword ptr gs:[ebp + 8]\""));
	ck_assert_ptr_nonnull(strstr(out, "\"prologue\":[{\"off\":0,"));
	ck_assert_ptr_nonnull(strstr(out, "\"stubs\":[{\"off\":18,\"bytes\":\"e900000000\""));
	ck_assert_ptr_nonnull(strstr(out, "\"exits\":[{\"target\":\"0x00100014\",\"stub_off\":18"));
	free(out);
	free(xb);
}
END_TEST

START_TEST(test_trace_jsonl_every_record_parses_and_seq_counts)
{
	struct tmp_trace tt;
	struct xlate_block *xb = fake_block();
	struct tc_block b = { .eip = 0x00100010, .execs = 1 };
	tmp_open(&tt, TRACE_ALL, TRACE_FMT_JSONL);
	trace_begin(&tt.t, "a \"quoted\" guest");
	trace_block(&tt.t, xb, NULL);
	trace_exec(&tt.t, &b);
	trace_event(&tt.t, TRACE_CACHE, 0x00100020, "chain", "0x%08x -> 0x%08x", 1u, 2u);
	char *out = tmp_read(&tt);

	ck_assert_uint_eq(json_check_lines(out), 4);
	ck_assert_ptr_nonnull(strstr(out, "\"guest\":\"a \\\"quoted\\\" guest\""));
	ck_assert_ptr_nonnull(strstr(out, "{\"seq\":1,\"cat\":\"translate\""));
	ck_assert_ptr_nonnull(strstr(out, "{\"seq\":2,\"cat\":\"exec\",\"eip\":\"0x00100010\""));
	ck_assert_ptr_nonnull(strstr(out, "{\"seq\":3,\"cat\":\"cache\",\"eip\":\"0x00100020\","
				     "\"kind\":\"chain\",\"detail\":\"0x00000001 -> 0x00000002\"}\n"));
	free(out);
	free(xb);
}
END_TEST

START_TEST(test_trace_jsonl_escapes_quote_newline_and_control)
{
	struct tmp_trace tt;
	tmp_open(&tt, TRACE_FAULT, TRACE_FMT_JSONL);
	trace_event(&tt.t, TRACE_FAULT, 0x1000, "k\\ind", "say \"hi\"\nbye\t%c", 1);
	char *out = tmp_read(&tt);

	ck_assert_uint_eq(json_check_lines(out), 1);
	ck_assert_ptr_nonnull(strstr(out, "\"cat\":\"fault\""));
	ck_assert_ptr_nonnull(strstr(out, "\"kind\":\"k\\\\ind\""));
	ck_assert_ptr_nonnull(strstr(out, "\"detail\":\"say \\\"hi\\\"\\nbye\\t\\u0001\""));
	free(out);
}
END_TEST

/* ---- TCase: categories and odd input ---- */

START_TEST(test_trace_disabled_categories_print_nothing)
{
	struct tmp_trace tt;
	struct xlate_block *xb = fake_block();
	struct tc_block b = { .eip = 0x00100010 };
	tmp_open(&tt, TRACE_FAULT, TRACE_FMT_TEXT);
	trace_block(&tt.t, xb, &b);
	trace_exec(&tt.t, &b);
	trace_event(&tt.t, TRACE_EXIT, 0, "exit", "x");
	trace_event(&tt.t, TRACE_CACHE, 0, "flush", "x");
	char *out = tmp_read(&tt);

	ck_assert_str_eq(out, "");
	free(out);
	free(xb);
}
END_TEST

START_TEST(test_trace_zero_mask_prints_nothing_even_the_header)
{
	struct tmp_trace tt;
	tmp_open(&tt, 0, TRACE_FMT_JSONL);
	trace_begin(&tt.t, "demo");
	trace_event(&tt.t, TRACE_ALL, 0, "x", "y");
	char *out = tmp_read(&tt);

	ck_assert_str_eq(out, "");
	free(out);
}
END_TEST

START_TEST(test_trace_odd_input_does_not_crash)
{
	struct tmp_trace tt;
	struct xlate_block *xb = calloc(1, sizeof(*xb));   /* no notes, code_len 0 */
	tmp_open(&tt, TRACE_ALL, TRACE_FMT_TEXT);
	trace_block(&tt.t, NULL, NULL);
	trace_block(&tt.t, xb, NULL);
	trace_exec(&tt.t, NULL);
	trace_event(&tt.t, TRACE_EXIT, 0, NULL, NULL);
	xb->nnotes = 1;                                     /* a note past code_len */
	xb->notes[0] = (struct xlate_note){ .len = 200, .host_off = 0xfffffff0,
					    .host_len = 0x100 };
	xb->desc.code_len = 0xffffffff;                     /* more than the array */
	xb->desc.nexits = 99;                               /* with exits == NULL */
	trace_block(&tt.t, xb, NULL);
	char *out = tmp_read(&tt);

	ck_assert_ptr_nonnull(strstr(out, "0 guest insns"));
	ck_assert_ptr_nonnull(strstr(out, "exits: none"));
	ck_assert_ptr_nonnull(strstr(out, "lies outside the block"));
	free(out);

	trace_block(NULL, xb, NULL);                        /* no trace at all */
	trace_event(NULL, TRACE_EXIT, 0, "x", "y");
	trace_close(NULL);
	free(xb);
}
END_TEST

START_TEST(test_trace_open_unwritable_path_is_io_error)
{
	struct trace t;
	ck_assert_int_eq(trace_open(&t, TRACE_ALL, TRACE_FMT_TEXT, "/nonexistent/dir/trace"),
			 BT_ERR_IO);
	ck_assert(!trace_on(&t, TRACE_ALL));
	trace_close(&t);
}
END_TEST

static Suite *trace_suite(void)
{
	Suite *s = suite_create("trace");
	TCase *tc;

	tc = tcase_create("text");
	tcase_add_test(tc, test_trace_text_block_shows_guest_and_host_disassembly);
	tcase_add_test(tc, test_trace_text_block_shows_entry_poll_stubs_and_exits);
	tcase_add_test(tc, test_trace_text_flags_length_capstone_disagrees_with);
	tcase_add_test(tc, test_trace_text_exec_and_event_lines);
	suite_add_tcase(s, tc);

	tc = tcase_create("jsonl");
	tcase_add_test(tc, test_trace_jsonl_block_is_one_valid_object);
	tcase_add_test(tc, test_trace_jsonl_every_record_parses_and_seq_counts);
	tcase_add_test(tc, test_trace_jsonl_escapes_quote_newline_and_control);
	suite_add_tcase(s, tc);

	tc = tcase_create("categories");
	tcase_add_test(tc, test_trace_disabled_categories_print_nothing);
	tcase_add_test(tc, test_trace_zero_mask_prints_nothing_even_the_header);
	tcase_add_test(tc, test_trace_odd_input_does_not_crash);
	tcase_add_test(tc, test_trace_open_unwritable_path_is_io_error);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(trace_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

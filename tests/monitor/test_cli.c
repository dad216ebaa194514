/*
 * test_cli.c — unit tests for the command-line parser (src/monitor/cli.c):
 * defaults, -m sizes, error lines, boot files, trace options, QEMU-compatible
 * flags and the help/version actions. One TCase per concept.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

#define MiB (1ull << 20)
#define GiB (1ull << 30)

static struct btmon_options opts;
static char err[256];

/* Run cli_parse on args (NULL-terminated, argv[0] included) into opts and err. */
static bt_status parse_argv(const char *const *args)
{
	char *argv[32];
	int argc = 0;

	while (args[argc] != NULL) {
		ck_assert_int_lt(argc, 31);
		argv[argc] = (char *)args[argc];
		argc++;
	}
	argv[argc] = NULL;
	memset(err, 'x', sizeof(err));      /* catch a missing terminator */
	err[sizeof(err) - 1] = '\0';
	return cli_parse(argc, argv, &opts, err, sizeof(err));
}

/* PARSE("-m", "256M") parses "btmon -m 256M". */
#define PARSE(...) parse_argv((const char *const[]){ "btmon", __VA_ARGS__, NULL })

/* A readable temporary file standing in for a kernel image. */
static char tmpfile_path[64];

static void boot_setup(void)
{
	int fd;

	strcpy(tmpfile_path, "/tmp/btmon-test-cli-XXXXXX");   /* fresh under CK_FORK=no too */
	fd = mkstemp(tmpfile_path);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, "\x7f" "ELF", 4), 4);
	close(fd);
}

static void boot_teardown(void)
{
	unlink(tmpfile_path);
}

/* ---- defaults ---- */

START_TEST(test_cli_no_arguments_give_the_defaults)
{
	ck_assert_int_eq(parse_argv((const char *const[]){ "btmon", NULL }), BT_OK);
	ck_assert_int_eq(opts.action, CLI_RUN);
	ck_assert_ptr_null(opts.kernel);
	ck_assert_ptr_null(opts.append);
	ck_assert_ptr_null(opts.initrd);
	ck_assert_uint_eq(opts.mem_bytes, 128 * MiB);
	ck_assert(!opts.no_reboot);
	ck_assert_uint_eq(opts.trace, 0);
	ck_assert_ptr_null(opts.trace_file);
	ck_assert_int_eq(opts.trace_format, TRACE_FMT_TEXT);
	ck_assert(!opts.stats);
	ck_assert(!opts.verify);
	ck_assert_str_eq(err, "");
}
END_TEST

/* ---- -m ---- */

static const struct {
	const char *arg;
	uint64_t bytes;
} mem_cases[] = {
	{ "4194304B", 4 * MiB },
	{ "4096K",    4 * MiB },
	{ "4096k",    4 * MiB },
	{ "4096KB",   4 * MiB },
	{ "256M",     256 * MiB },
	{ "256m",     256 * MiB },
	{ "256MB",    256 * MiB },
	{ "1G",       1 * GiB },
	{ "1g",       1 * GiB },
	{ "1Gb",      1 * GiB },
	{ "3G",       3 * GiB },
	{ "2M",       2 * MiB },
	{ "size=64M", 64 * MiB },
};

START_TEST(test_cli_m_accepts_each_suffix)
{
	ck_assert_msg(PARSE("-m", mem_cases[_i].arg) == BT_OK, "-m %s: %s", mem_cases[_i].arg, err);
	ck_assert_uint_eq(opts.mem_bytes, mem_cases[_i].bytes);
}
END_TEST

START_TEST(test_cli_m_bare_number_is_mib)
{
	ck_assert_int_eq(PARSE("-m", "512"), BT_OK);
	ck_assert_uint_eq(opts.mem_bytes, 512 * MiB);
	ck_assert_int_eq(PARSE("-m", "size=64"), BT_OK);
	ck_assert_uint_eq(opts.mem_bytes, 64 * MiB);
}
END_TEST

START_TEST(test_cli_m_bad_size_error_mentions_the_value)
{
	ck_assert_int_eq(PARSE("-m", "12Q"), BT_ERR_INVAL);
	ck_assert_str_eq(err, "-m: bad size '12Q' (expected e.g. 128M, 1G)");
	ck_assert_int_eq(PARSE("-m", "lots"), BT_ERR_INVAL);
	ck_assert_str_eq(err, "-m: bad size 'lots' (expected e.g. 128M, 1G)");
	ck_assert_int_eq(PARSE("-m", "-5M"), BT_ERR_INVAL);
	ck_assert_int_eq(PARSE("-m", "128MM"), BT_ERR_INVAL);
	ck_assert_int_eq(PARSE("-m", "128 M"), BT_ERR_INVAL);
}
END_TEST

START_TEST(test_cli_m_more_than_3g_is_rejected)
{
	ck_assert_int_eq(PARSE("-m", "5G"), BT_ERR_INVAL);
	ck_assert_str_eq(err, "-m: 5G is more than the 3 GiB btmon supports");
	ck_assert_int_eq(PARSE("-m", "1T"), BT_ERR_INVAL);
	ck_assert_str_eq(err, "-m: 1T is more than the 3 GiB btmon supports");
	ck_assert_int_eq(PARSE("-m", "3073"), BT_ERR_INVAL);
	ck_assert_int_eq(PARSE("-m", "99999999999999999999999G"), BT_ERR_INVAL);
	ck_assert_ptr_nonnull(strstr(err, "more than the 3 GiB"));
}
END_TEST

START_TEST(test_cli_m_less_than_2m_is_rejected)
{
	ck_assert_int_eq(PARSE("-m", "1M"), BT_ERR_INVAL);
	ck_assert_str_eq(err, "-m: 1M is less than the 2 MiB btmon needs");
	ck_assert_int_eq(PARSE("-m", "0"), BT_ERR_INVAL);
}
END_TEST

START_TEST(test_cli_m_that_is_not_whole_pages_is_rejected)
{
	ck_assert_int_eq(PARSE("-m", "4097K"), BT_ERR_INVAL);
	ck_assert_str_eq(err, "-m: 4097K is not a multiple of 4 KiB");
}
END_TEST

/* ---- error lines ---- */

START_TEST(test_cli_unknown_option_is_named_with_a_help_hint)
{
	ck_assert_int_eq(PARSE("-foo"), BT_ERR_INVAL);
	ck_assert_str_eq(err, "unknown option '-foo' (see btmon --help)");
	ck_assert_int_eq(PARSE("--foo=bar"), BT_ERR_INVAL);
	ck_assert_str_eq(err, "unknown option '--foo' (see btmon --help)");
}
END_TEST

START_TEST(test_cli_flag_without_its_value_reports_missing_argument)
{
	ck_assert_int_eq(PARSE("-kernel"), BT_ERR_INVAL);
	ck_assert_str_eq(err, "-kernel: missing argument");
	ck_assert_int_eq(PARSE("--stats", "-m"), BT_ERR_INVAL);
	ck_assert_str_eq(err, "-m: missing argument");
	ck_assert_int_eq(PARSE("--trace-file="), BT_ERR_INVAL);
	ck_assert_str_eq(err, "--trace-file: missing argument");
}
END_TEST

START_TEST(test_cli_stray_positional_argument_is_rejected)
{
	ck_assert_int_eq(PARSE("disk.img"), BT_ERR_INVAL);
	ck_assert_str_eq(err, "unexpected argument 'disk.img' (use -kernel FILE to boot a kernel)");
	ck_assert_int_eq(PARSE("--trace", "exec"), BT_ERR_INVAL);
	ck_assert_ptr_nonnull(strstr(err, "unexpected argument 'exec'"));
}
END_TEST

START_TEST(test_cli_switch_given_a_value_is_rejected)
{
	ck_assert_int_eq(PARSE("--stats=1"), BT_ERR_INVAL);
	ck_assert_str_eq(err, "--stats: takes no argument");
}
END_TEST

START_TEST(test_cli_error_line_fits_a_small_buffer)
{
	char small[8] = "xxxxxxx";
	char *argv[] = { "btmon", "-bogus-option", NULL };

	ck_assert_int_eq(cli_parse(2, argv, &opts, small, sizeof(small)), BT_ERR_INVAL);
	ck_assert_str_eq(small, "unknown");
	ck_assert_int_eq(cli_parse(2, argv, &opts, NULL, 0), BT_ERR_INVAL);
}
END_TEST

/* ---- boot files ---- */

START_TEST(test_cli_missing_kernel_file_error_contains_strerror)
{
	char want[200];

	snprintf(want, sizeof(want), "-kernel: cannot read '/nonexistent/guest.elf': %s",
		 strerror(ENOENT));
	ck_assert_int_eq(PARSE("-kernel", "/nonexistent/guest.elf"), BT_ERR_INVAL);
	ck_assert_str_eq(err, want);
}
END_TEST

START_TEST(test_cli_missing_initrd_file_is_rejected)
{
	ck_assert_int_eq(PARSE("-initrd", "/nonexistent/initrd.img"), BT_ERR_INVAL);
	ck_assert_ptr_nonnull(strstr(err, "-initrd: cannot read '/nonexistent/initrd.img'"));
}
END_TEST

START_TEST(test_cli_kernel_that_is_a_directory_is_rejected)
{
	ck_assert_int_eq(PARSE("-kernel", "/tmp"), BT_ERR_INVAL);
	ck_assert_ptr_nonnull(strstr(err, strerror(EISDIR)));
}
END_TEST

START_TEST(test_cli_readable_kernel_initrd_and_append_are_stored)
{
	ck_assert_int_eq(PARSE("-kernel", tmpfile_path, "-initrd", tmpfile_path,
			       "-append", "console=ttyS0 quiet"), BT_OK);
	ck_assert_str_eq(opts.kernel, tmpfile_path);
	ck_assert_str_eq(opts.initrd, tmpfile_path);
	ck_assert_str_eq(opts.append, "console=ttyS0 quiet");
}
END_TEST

/* ---- tracing and statistics ---- */

START_TEST(test_cli_trace_alone_selects_translate_and_exit)
{
	ck_assert_int_eq(PARSE("--trace"), BT_OK);
	ck_assert_uint_eq(opts.trace, TRACE_TRANSLATE | TRACE_EXIT);
}
END_TEST

START_TEST(test_cli_trace_list_selects_exactly_exec_and_cache)
{
	ck_assert_int_eq(PARSE("--trace=exec,cache"), BT_OK);
	ck_assert_uint_eq(opts.trace, TRACE_EXEC | TRACE_CACHE);
}
END_TEST

START_TEST(test_cli_trace_all_selects_every_category)
{
	ck_assert_int_eq(PARSE("--trace=all"), BT_OK);
	ck_assert_uint_eq(opts.trace, TRACE_ALL);
}
END_TEST

START_TEST(test_cli_trace_repeats_add_up)
{
	ck_assert_int_eq(PARSE("--trace=fault", "--trace=cache"), BT_OK);
	ck_assert_uint_eq(opts.trace, TRACE_FAULT | TRACE_CACHE);
}
END_TEST

START_TEST(test_cli_trace_bogus_error_lists_valid_names)
{
	ck_assert_int_eq(PARSE("--trace=exec,bogus"), BT_ERR_INVAL);
	ck_assert_str_eq(err, "--trace: unknown category 'bogus' "
			      "(valid: translate, exec, exit, fault, cache, all)");
	ck_assert_int_eq(PARSE("--trace="), BT_ERR_INVAL);
	ck_assert_int_eq(PARSE("--trace=exec,,cache"), BT_ERR_INVAL);
}
END_TEST

START_TEST(test_cli_trace_file_takes_a_separate_or_equals_value)
{
	ck_assert_int_eq(PARSE("--trace-file", "t.txt"), BT_OK);
	ck_assert_str_eq(opts.trace_file, "t.txt");
	ck_assert_uint_eq(opts.trace, 0);   /* the file alone does not turn tracing on */
	ck_assert_int_eq(PARSE("--trace-file=/no/such/dir/t.txt"), BT_OK);
	ck_assert_str_eq(opts.trace_file, "/no/such/dir/t.txt");
}
END_TEST

START_TEST(test_cli_trace_format_jsonl_is_selected)
{
	ck_assert_int_eq(PARSE("--trace-format", "jsonl"), BT_OK);
	ck_assert_int_eq(opts.trace_format, TRACE_FMT_JSONL);
	ck_assert_int_eq(PARSE("--trace-format=jsonl", "--trace-format=text"), BT_OK);
	ck_assert_int_eq(opts.trace_format, TRACE_FMT_TEXT);
	ck_assert_int_eq(PARSE("--trace-format", "xml"), BT_ERR_INVAL);
	ck_assert_str_eq(err, "--trace-format: unknown format 'xml' (valid: text, jsonl)");
}
END_TEST

START_TEST(test_cli_stats_and_verify_are_switched_on)
{
	ck_assert_int_eq(PARSE("--stats", "--verify"), BT_OK);
	ck_assert(opts.stats);
	ck_assert(opts.verify);
}
END_TEST

/* ---- QEMU compatibility ---- */

START_TEST(test_cli_serial_stdio_is_accepted_and_a_file_rejected)
{
	ck_assert_int_eq(PARSE("-serial", "stdio"), BT_OK);
	ck_assert_int_eq(PARSE("-serial", "file:out.txt"), BT_ERR_INVAL);
	ck_assert_str_eq(err, "-serial: only 'stdio' is supported");
}
END_TEST

START_TEST(test_cli_enable_kvm_is_rejected_with_the_explanation)
{
	ck_assert_int_eq(PARSE("-enable-kvm"), BT_ERR_INVAL);
	ck_assert_str_eq(err, "btmon does not use KVM: it translates guest code (drop -enable-kvm)");
	ck_assert_int_eq(PARSE("-accel", "kvm"), BT_ERR_INVAL);
	ck_assert_str_eq(err, "btmon does not use KVM: it translates guest code (drop -accel kvm)");
}
END_TEST

START_TEST(test_cli_accel_tcg_is_accepted_and_others_rejected)
{
	ck_assert_int_eq(PARSE("-accel", "tcg"), BT_OK);
	ck_assert_int_eq(PARSE("-accel", "tcg,thread=single"), BT_OK);
	ck_assert_int_eq(PARSE("-accel", "xen"), BT_ERR_INVAL);
	ck_assert_str_eq(err, "-accel: only 'tcg' is supported (got 'xen')");
}
END_TEST

START_TEST(test_cli_machine_pc_and_isapc_are_accepted_and_q35_rejected)
{
	ck_assert_int_eq(PARSE("-machine", "pc"), BT_OK);
	ck_assert_int_eq(PARSE("-M", "isapc"), BT_OK);
	ck_assert_int_eq(PARSE("-machine", "type=pc"), BT_OK);
	ck_assert_int_eq(PARSE("-M", "q35"), BT_ERR_INVAL);
	ck_assert_str_eq(err, "-M: unknown machine 'q35' (btmon models only pc and isapc)");
}
END_TEST

START_TEST(test_cli_compatibility_flags_are_accepted)
{
	ck_assert_int_eq(PARSE("-nographic", "-display", "none", "-cpu", "pentium3",
			       "-no-reboot"), BT_OK);
	ck_assert(opts.no_reboot);
	ck_assert_int_eq(PARSE("-display", "gtk"), BT_ERR_INVAL);
	ck_assert_ptr_nonnull(strstr(err, "-display: only 'none'"));
}
END_TEST

START_TEST(test_cli_double_dash_aliases_match_single_dash)
{
	ck_assert_int_eq(PARSE("--m", "256M", "--append", "x", "--no-reboot", "--serial", "stdio",
			       "--nographic", "--machine=pc", "-stats", "-trace=exit"), BT_OK);
	ck_assert_uint_eq(opts.mem_bytes, 256 * MiB);
	ck_assert_str_eq(opts.append, "x");
	ck_assert(opts.no_reboot);
	ck_assert(opts.stats);
	ck_assert_uint_eq(opts.trace, TRACE_EXIT);
	ck_assert_int_eq(PARSE("--kernel", "/nonexistent"), BT_ERR_INVAL);
	ck_assert_ptr_nonnull(strstr(err, "--kernel: cannot read '/nonexistent'"));
	ck_assert_int_eq(PARSE("--enable-kvm"), BT_ERR_INVAL);
	ck_assert_ptr_nonnull(strstr(err, "(drop --enable-kvm)"));
}
END_TEST

/* ---- actions and usage ---- */

START_TEST(test_cli_help_and_version_set_the_action)
{
	static const char *const help[] = { "-h", "--help", "-help" };
	static const char *const version[] = { "-V", "--version", "-version" };

	for (size_t i = 0; i < 3; i++) {
		ck_assert_int_eq(PARSE(help[i]), BT_OK);
		ck_assert_int_eq(opts.action, CLI_HELP);
		ck_assert_int_eq(PARSE(version[i]), BT_OK);
		ck_assert_int_eq(opts.action, CLI_VERSION);
	}
}
END_TEST

START_TEST(test_cli_help_stops_parsing_what_follows)
{
	ck_assert_int_eq(PARSE("--help", "-bogus", "-m", "99G"), BT_OK);
	ck_assert_int_eq(opts.action, CLI_HELP);
}
END_TEST

START_TEST(test_cli_usage_has_each_group_and_the_examples)
{
	static const char *const want[] = {
		"Usage: btmon", "Machine:", "Boot:", "Tracing and statistics:", "Other:",
		"Examples:", "P6-class", "btmon --stats", "--trace=translate,exit --trace-file t.txt",
	};
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	ck_assert_ptr_nonnull(f);
	cli_usage(f);
	fclose(f);
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		ck_assert_msg(strstr(text, want[i]) != NULL, "usage lacks '%s'", want[i]);
	free(text);
}
END_TEST

static Suite *cli_suite(void)
{
	Suite *s = suite_create("monitor/cli");
	TCase *tc;

	tc = tcase_create("defaults");
	tcase_add_test(tc, test_cli_no_arguments_give_the_defaults);
	suite_add_tcase(s, tc);

	tc = tcase_create("memory size");
	tcase_add_loop_test(tc, test_cli_m_accepts_each_suffix, 0,
			    (int)(sizeof(mem_cases) / sizeof(mem_cases[0])));
	tcase_add_test(tc, test_cli_m_bare_number_is_mib);
	tcase_add_test(tc, test_cli_m_bad_size_error_mentions_the_value);
	tcase_add_test(tc, test_cli_m_more_than_3g_is_rejected);
	tcase_add_test(tc, test_cli_m_less_than_2m_is_rejected);
	tcase_add_test(tc, test_cli_m_that_is_not_whole_pages_is_rejected);
	suite_add_tcase(s, tc);

	tc = tcase_create("error lines");
	tcase_add_test(tc, test_cli_unknown_option_is_named_with_a_help_hint);
	tcase_add_test(tc, test_cli_flag_without_its_value_reports_missing_argument);
	tcase_add_test(tc, test_cli_stray_positional_argument_is_rejected);
	tcase_add_test(tc, test_cli_switch_given_a_value_is_rejected);
	tcase_add_test(tc, test_cli_error_line_fits_a_small_buffer);
	suite_add_tcase(s, tc);

	tc = tcase_create("boot files");
	tcase_add_checked_fixture(tc, boot_setup, boot_teardown);
	tcase_add_test(tc, test_cli_missing_kernel_file_error_contains_strerror);
	tcase_add_test(tc, test_cli_missing_initrd_file_is_rejected);
	tcase_add_test(tc, test_cli_kernel_that_is_a_directory_is_rejected);
	tcase_add_test(tc, test_cli_readable_kernel_initrd_and_append_are_stored);
	suite_add_tcase(s, tc);

	tc = tcase_create("tracing and statistics");
	tcase_add_test(tc, test_cli_trace_alone_selects_translate_and_exit);
	tcase_add_test(tc, test_cli_trace_list_selects_exactly_exec_and_cache);
	tcase_add_test(tc, test_cli_trace_all_selects_every_category);
	tcase_add_test(tc, test_cli_trace_repeats_add_up);
	tcase_add_test(tc, test_cli_trace_bogus_error_lists_valid_names);
	tcase_add_test(tc, test_cli_trace_file_takes_a_separate_or_equals_value);
	tcase_add_test(tc, test_cli_trace_format_jsonl_is_selected);
	tcase_add_test(tc, test_cli_stats_and_verify_are_switched_on);
	suite_add_tcase(s, tc);

	tc = tcase_create("qemu compatibility");
	tcase_add_test(tc, test_cli_serial_stdio_is_accepted_and_a_file_rejected);
	tcase_add_test(tc, test_cli_enable_kvm_is_rejected_with_the_explanation);
	tcase_add_test(tc, test_cli_accel_tcg_is_accepted_and_others_rejected);
	tcase_add_test(tc, test_cli_machine_pc_and_isapc_are_accepted_and_q35_rejected);
	tcase_add_test(tc, test_cli_compatibility_flags_are_accepted);
	tcase_add_test(tc, test_cli_double_dash_aliases_match_single_dash);
	suite_add_tcase(s, tc);

	tc = tcase_create("actions and usage");
	tcase_add_test(tc, test_cli_help_and_version_set_the_action);
	tcase_add_test(tc, test_cli_help_stops_parsing_what_follows);
	tcase_add_test(tc, test_cli_usage_has_each_group_and_the_examples);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(cli_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

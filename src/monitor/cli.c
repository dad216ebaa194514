/*
 * cli.c — btmon's command line: argv in, struct btmon_options out. The
 * first thing main() does; everything else reads only the options.
 *
 * Flags follow QEMU where QEMU has them (-kernel, -append, -m, -serial, ...)
 * and add btmon's own where not (--trace, --stats, --verify). Every flag takes
 * one or two dashes, and a value either as the next argument or after '=':
 *
 *     btmon -kernel guest.elf -m 256M --trace=translate,exit --trace-file=t.txt
 *
 * One table (cli_opts) lists every flag with the handler that applies it.
 * Parsing never exits and never prints: the first bad argument stops it with
 * BT_ERR_INVAL and one line in the caller's buffer, e.g. "-m: bad size '12Q'
 * (expected e.g. 128M, 1G)". -kernel and -initrd files are checked for
 * readability here so that the mistake is reported against its flag.
 */
#include "cli.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CLI_MEM_DEFAULT (128ull << 20)
#define CLI_MEM_MIN     (2ull << 20)    /* room for the BIOS area and a kernel */
#define CLI_MEM_MAX     (3ull << 30)    /* RAM stays below the 4 GiB hole */

/* Where the parser is: the output, the error buffer, the flag being applied. */
struct cli_ctx {
	struct btmon_options *o;
	char *err;
	size_t errlen;
	const char *flag;       /* argv element of the current flag */
	int flag_len;           /* its length up to any '=' (as typed, dashes kept) */
};

enum cli_arg {
	CLI_ARG_NONE,           /* a switch: "--stats=1" is an error */
	CLI_ARG_REQUIRED,       /* "-m 128M" or "-m=128M" */
	CLI_ARG_OPTIONAL,       /* only as "--trace=LIST"; "--trace" alone passes NULL */
};

/* One flag: its name without dashes and what to do with it. */
struct cli_opt {
	const char *name;
	enum cli_arg arg;
	bt_status (*apply)(struct cli_ctx *c, const char *val);
};

/* --trace category names. */
static const struct {
	const char *name;
	unsigned mask;
} cli_trace_names[] = {
	{ "translate", TRACE_TRANSLATE },
	{ "exec",      TRACE_EXEC },
	{ "exit",      TRACE_EXIT },
	{ "fault",     TRACE_FAULT },
	{ "cache",     TRACE_CACHE },
	{ "all",       TRACE_ALL },
};
#define CLI_TRACE_VALID "translate, exec, exit, fault, cache, all"

/* ---- error lines ---- */

__attribute__((format(printf, 2, 3)))
static bt_status cli_fail(struct cli_ctx *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->err, c->errlen, fmt, ap);
	va_end(ap);
	return BT_ERR_INVAL;
}

/* Like cli_fail, with "<flag as typed>: " in front. */
__attribute__((format(printf, 2, 3)))
static bt_status cli_flag_fail(struct cli_ctx *c, const char *fmt, ...)
{
	va_list ap;
	int n = snprintf(c->err, c->errlen, "%.*s: ", c->flag_len, c->flag);

	if (n >= 0 && (size_t)n < c->errlen) {
		va_start(ap, fmt);
		vsnprintf(c->err + n, c->errlen - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return BT_ERR_INVAL;
}

/* ---- value checks ---- */

/* BT_OK if path names a readable file that is not a directory. */
static bt_status cli_check_readable(struct cli_ctx *c, const char *path)
{
	struct stat st;
	int e = 0;

	if (access(path, R_OK) != 0)
		e = errno;
	else if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
		e = EISDIR;
	if (e)
		return cli_flag_fail(c, "cannot read '%s': %s", path, strerror(e));
	return BT_OK;
}

/*
 * Parse a QEMU-style size: decimal digits, then an optional suffix B (bytes)
 * or K, M, G, T (either case, optionally followed by B). No suffix means MiB,
 * as in QEMU's -m. Saturates to UINT64_MAX on overflow, so that huge values
 * fail the range check rather than the syntax check. False on bad syntax.
 */
static bool cli_parse_size(const char *s, uint64_t *out)
{
	static const char units[] = "BKMGT";
	const char *unit;
	unsigned shift = 20;
	unsigned long long n;
	char *end;

	if (!isdigit((unsigned char)*s))
		return false;
	errno = 0;
	n = strtoull(s, &end, 10);
	if (errno == ERANGE)
		n = ULLONG_MAX;
	if (*end != '\0') {
		unit = strchr(units, toupper((unsigned char)*end));
		if (unit == NULL)
			return false;
		shift = 10 * (unsigned)(unit - units);
		end++;
		if (shift != 0 && (*end == 'B' || *end == 'b'))
			end++;
		if (*end != '\0')
			return false;
	}
	*out = n > (UINT64_MAX >> shift) ? UINT64_MAX : (uint64_t)n << shift;
	return true;
}

/* The trace mask bit(s) of the category name s[0..len), or 0 if unknown. */
static unsigned cli_trace_lookup(const char *s, size_t len)
{
	for (size_t i = 0; i < BT_ARRAY_SIZE(cli_trace_names); i++)
		if (strlen(cli_trace_names[i].name) == len &&
		    strncmp(cli_trace_names[i].name, s, len) == 0)
			return cli_trace_names[i].mask;
	return 0;
}

/* ---- handlers, one per flag (or per group of aliases) ---- */

static bt_status opt_kernel(struct cli_ctx *c, const char *val)
{
	bt_status s = cli_check_readable(c, val);

	if (s == BT_OK)
		c->o->kernel = val;
	return s;
}

static bt_status opt_initrd(struct cli_ctx *c, const char *val)
{
	bt_status s = cli_check_readable(c, val);

	if (s == BT_OK)
		c->o->initrd = val;
	return s;
}

static bt_status opt_append(struct cli_ctx *c, const char *val)
{
	c->o->append = val;
	return BT_OK;
}

/* -m SIZE or -m size=SIZE. */
static bt_status opt_mem(struct cli_ctx *c, const char *val)
{
	const char *s = strncmp(val, "size=", 5) == 0 ? val + 5 : val;
	uint64_t bytes;

	if (!cli_parse_size(s, &bytes))
		return cli_flag_fail(c, "bad size '%s' (expected e.g. 128M, 1G)", s);
	if (bytes > CLI_MEM_MAX)
		return cli_flag_fail(c, "%s is more than the 3 GiB btmon supports", s);
	if (bytes < CLI_MEM_MIN)
		return cli_flag_fail(c, "%s is less than the 2 MiB btmon needs", s);
	if (bytes % BT_PAGE_SIZE != 0)
		return cli_flag_fail(c, "%s is not a multiple of 4 KiB", s);
	c->o->mem_bytes = bytes;
	return BT_OK;
}

static bt_status opt_serial(struct cli_ctx *c, const char *val)
{
	return strcmp(val, "stdio") == 0 ? BT_OK :
	       cli_flag_fail(c, "only 'stdio' is supported");
}

static bt_status opt_display(struct cli_ctx *c, const char *val)
{
	return strcmp(val, "none") == 0 ? BT_OK :
	       cli_flag_fail(c, "only 'none' is supported (btmon has no display)");
}

/* -machine pc, -M isapc, -machine type=pc: both boards are btmon's PC. */
static bt_status opt_machine(struct cli_ctx *c, const char *val)
{
	const char *type = strncmp(val, "type=", 5) == 0 ? val + 5 : val;

	if (strcmp(type, "pc") == 0 || strcmp(type, "isapc") == 0)
		return BT_OK;
	return cli_flag_fail(c, "unknown machine '%s' (btmon models only pc and isapc)", type);
}

static bt_status cli_fail_kvm(struct cli_ctx *c, const char *val)
{
	return cli_fail(c, "btmon does not use KVM: it translates guest code (drop %.*s%s%s)",
			c->flag_len, c->flag, val ? " " : "", val ? val : "");
}

static bt_status opt_enable_kvm(struct cli_ctx *c, const char *val)
{
	(void)val;
	return cli_fail_kvm(c, NULL);
}

/* -accel tcg[,props] is what btmon does anyway; -accel kvm is a mistake. */
static bt_status opt_accel(struct cli_ctx *c, const char *val)
{
	size_t n = strcspn(val, ",");

	if (n == 3 && strncmp(val, "tcg", 3) == 0)
		return BT_OK;
	if (n == 3 && strncmp(val, "kvm", 3) == 0)
		return cli_fail_kvm(c, val);
	return cli_flag_fail(c, "only 'tcg' is supported (got '%s')", val);
}

/* Flags accepted for QEMU compatibility that change nothing (-nographic, -cpu). */
static bt_status opt_ignore(struct cli_ctx *c, const char *val)
{
	(void)c;
	(void)val;
	return BT_OK;
}

static bt_status opt_no_reboot(struct cli_ctx *c, const char *val)
{
	(void)val;
	c->o->no_reboot = true;
	return BT_OK;
}

/* --trace adds the default categories, --trace=LIST adds LIST's; repeats add up. */
static bt_status opt_trace(struct cli_ctx *c, const char *val)
{
	unsigned mask = 0, bit;
	size_t n;

	if (val == NULL) {
		c->o->trace |= TRACE_DEFAULT;
		return BT_OK;
	}
	for (;; val += n + 1) {
		n = strcspn(val, ",");
		bit = cli_trace_lookup(val, n);
		if (bit == 0)
			return cli_flag_fail(c, "unknown category '%.*s' (valid: " CLI_TRACE_VALID ")",
					     (int)n, val);
		mask |= bit;
		if (val[n] == '\0')
			break;
	}
	c->o->trace |= mask;
	return BT_OK;
}

static bt_status opt_trace_file(struct cli_ctx *c, const char *val)
{
	c->o->trace_file = val;
	return BT_OK;
}

static bt_status opt_trace_format(struct cli_ctx *c, const char *val)
{
	if (strcmp(val, "text") == 0)
		c->o->trace_format = TRACE_FMT_TEXT;
	else if (strcmp(val, "jsonl") == 0)
		c->o->trace_format = TRACE_FMT_JSONL;
	else
		return cli_flag_fail(c, "unknown format '%s' (valid: text, jsonl)", val);
	return BT_OK;
}

static bt_status opt_stats(struct cli_ctx *c, const char *val)
{
	(void)val;
	c->o->stats = true;
	return BT_OK;
}

static bt_status opt_verify(struct cli_ctx *c, const char *val)
{
	(void)val;
	c->o->verify = true;
	return BT_OK;
}

static bt_status opt_help(struct cli_ctx *c, const char *val)
{
	(void)val;
	c->o->action = CLI_HELP;
	return BT_OK;
}

static bt_status opt_version(struct cli_ctx *c, const char *val)
{
	(void)val;
	c->o->action = CLI_VERSION;
	return BT_OK;
}

static const struct cli_opt cli_opts[] = {
	/* Boot */
	{ "kernel",       CLI_ARG_REQUIRED, opt_kernel },
	{ "append",       CLI_ARG_REQUIRED, opt_append },
	{ "initrd",       CLI_ARG_REQUIRED, opt_initrd },
	{ "no-reboot",    CLI_ARG_NONE,     opt_no_reboot },
	/* Machine */
	{ "m",            CLI_ARG_REQUIRED, opt_mem },
	{ "machine",      CLI_ARG_REQUIRED, opt_machine },
	{ "M",            CLI_ARG_REQUIRED, opt_machine },
	{ "cpu",          CLI_ARG_REQUIRED, opt_ignore },
	{ "serial",       CLI_ARG_REQUIRED, opt_serial },
	{ "nographic",    CLI_ARG_NONE,     opt_ignore },
	{ "display",      CLI_ARG_REQUIRED, opt_display },
	{ "accel",        CLI_ARG_REQUIRED, opt_accel },
	{ "enable-kvm",   CLI_ARG_NONE,     opt_enable_kvm },
	/* Tracing and statistics */
	{ "trace",        CLI_ARG_OPTIONAL, opt_trace },
	{ "trace-file",   CLI_ARG_REQUIRED, opt_trace_file },
	{ "trace-format", CLI_ARG_REQUIRED, opt_trace_format },
	{ "stats",        CLI_ARG_NONE,     opt_stats },
	{ "verify",       CLI_ARG_NONE,     opt_verify },
	/* Other */
	{ "help",         CLI_ARG_NONE,     opt_help },
	{ "h",            CLI_ARG_NONE,     opt_help },
	{ "version",      CLI_ARG_NONE,     opt_version },
	{ "V",            CLI_ARG_NONE,     opt_version },
};

static const struct cli_opt *cli_find(const char *name, size_t len)
{
	for (size_t i = 0; i < BT_ARRAY_SIZE(cli_opts); i++)
		if (strlen(cli_opts[i].name) == len && strncmp(cli_opts[i].name, name, len) == 0)
			return &cli_opts[i];
	return NULL;
}

/* Apply argv[*i] (and its value, advancing *i past it if it is separate). */
static bt_status cli_parse_one(struct cli_ctx *c, int argc, char **argv, int *i)
{
	const char *arg = argv[*i], *name, *eq, *val;
	const struct cli_opt *opt;
	size_t len;

	if (arg[0] != '-' || arg[1] == '\0')
		return cli_fail(c, "unexpected argument '%s' (use -kernel FILE to boot a kernel)", arg);
	name = arg + (arg[1] == '-' ? 2 : 1);
	eq = strchr(name, '=');
	len = eq ? (size_t)(eq - name) : strlen(name);
	c->flag = arg;
	c->flag_len = (int)((size_t)(name - arg) + len);
	opt = cli_find(name, len);
	if (opt == NULL)
		return cli_fail(c, "unknown option '%.*s' (see btmon --help)", c->flag_len, arg);

	val = eq ? eq + 1 : NULL;
	if (opt->arg == CLI_ARG_NONE && eq)
		return cli_flag_fail(c, "takes no argument");
	if (opt->arg == CLI_ARG_REQUIRED && !eq) {
		if (*i + 1 >= argc)
			return cli_flag_fail(c, "missing argument");
		val = argv[++*i];
	}
	if (opt->arg == CLI_ARG_REQUIRED && eq && *val == '\0')
		return cli_flag_fail(c, "missing argument");
	return opt->apply(c, val);
}

bt_status cli_parse(int argc, char **argv, struct btmon_options *o, char *err, size_t errlen)
{
	struct cli_ctx c = { .o = o, .err = err, .errlen = errlen };
	bt_status s;

	*o = (struct btmon_options){
		.action = CLI_RUN,
		.mem_bytes = CLI_MEM_DEFAULT,
		.trace_format = TRACE_FMT_TEXT,
	};
	if (errlen > 0)
		err[0] = '\0';
	/* --help and --version stop parsing: what follows them does not matter. */
	for (int i = 1; i < argc && o->action == CLI_RUN; i++) {
		s = cli_parse_one(&c, argc, argv, &i);
		if (s != BT_OK)
			return s;
	}
	return BT_OK;
}

void cli_usage(FILE *out)
{
	fputs(
"Usage: btmon [options] [-kernel FILE]\n"
"\n"
"Run a 32-bit x86 guest by translating its code to x86-64 (no KVM needed).\n"
"Without -kernel, btmon boots its small built-in demo guest.\n"
"Flags take one or two dashes (-kernel, --kernel); a value follows as the\n"
"next argument or after '=' (--trace-file=t.txt).\n"
"\n"
"Machine:\n"
"  -m SIZE             guest RAM, 2 MiB to 3 GiB (default 128M); a number with\n"
"                      an optional suffix K, M, G (a bare number is MiB);\n"
"                      -m size=SIZE also works\n"
"  -machine TYPE       pc or isapc (also -M); both give btmon's PC board\n"
"  -cpu MODEL          accepted for compatibility; btmon always models a\n"
"                      P6-class CPU\n"
"  -serial stdio       the COM1 port on stdin/stdout (the only mode)\n"
"  -nographic          accepted; btmon has no display\n"
"  -display none       accepted; btmon has no display\n"
"  -accel tcg          accepted; btmon always translates, so -enable-kvm and\n"
"                      -accel kvm are errors\n"
"\n"
"Boot:\n"
"  -kernel FILE        boot the kernel image FILE instead of the demo guest\n"
"  -append CMDLINE     the kernel command line\n"
"  -initrd FILE        an initial ramdisk (for Linux kernels)\n"
"  -no-reboot          exit when the guest reboots instead of restarting it\n"
"\n"
"Tracing and statistics:\n"
"  --trace[=LIST]      trace translation and execution; LIST is a comma-\n"
"                      separated subset of:\n"
"                        translate  each new block: guest code, host code\n"
"                        exec       each block executed (turns chaining off)\n"
"                        exit       each exit to the monitor, with its reason\n"
"                        fault      host faults and guest exceptions\n"
"                        cache      chaining, invalidation, flushes\n"
"                        all        all of the above\n"
"                      --trace alone means translate,exit; repeats add up\n"
"  --trace-file FILE   write the trace to FILE (default: stderr)\n"
"  --trace-format FMT  text (default) or jsonl (one JSON object per line)\n"
"  --stats             print statistics on stderr at exit\n"
"  --verify            check every translated block (slow)\n"
"\n"
"Other:\n"
"  -h, --help          print this help and exit\n"
"  -V, --version       print the version and exit\n"
"  btmon bench [...]   benchmark blocks natively, translated and under\n"
"                      trap-and-emulate (btmon bench --help)\n"
"  kill -USR1 PID      make a running btmon print where the guest is\n"
"\n"
"Examples:\n"
"  btmon                                     run the built-in demo guest\n"
"  btmon -kernel guest.elf -append \"x\"       boot guest.elf with command line x\n"
"  btmon --trace=translate,exit --trace-file t.txt\n"
"                                            trace new blocks and exits to t.txt\n"
"  btmon --stats                             run the demo, then print statistics\n",
	      out);
}

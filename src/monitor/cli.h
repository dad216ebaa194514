/*
 * cli.h — btmon's command line (src/monitor/cli.c): QEMU-compatible flags
 * where QEMU has them, btmon's own (--trace, --stats, --verify) where not.
 * Parsing never exits: bad input yields BT_ERR_INVAL and one error line.
 */
#ifndef BTMON_CLI_H
#define BTMON_CLI_H

#include <stdio.h>

#include "btmon/types.h"

/* Trace categories (bit mask), chosen with --trace=LIST. */
enum trace_cat {
	TRACE_TRANSLATE = 1u << 0,   /* each new block: guest code, host code, rules */
	TRACE_EXEC      = 1u << 1,   /* each block executed (turns chaining off) */
	TRACE_EXIT      = 1u << 2,   /* each exit to the monitor, with its reason */
	TRACE_FAULT     = 1u << 3,   /* host faults and guest exceptions */
	TRACE_CACHE     = 1u << 4,   /* chaining, invalidation, flushes */
};
#define TRACE_DEFAULT (TRACE_TRANSLATE | TRACE_EXIT)
#define TRACE_ALL     (TRACE_TRANSLATE | TRACE_EXEC | TRACE_EXIT | TRACE_FAULT | TRACE_CACHE)

enum trace_format { TRACE_FMT_TEXT, TRACE_FMT_JSONL };

enum cli_action {
	CLI_RUN,       /* boot a guest */
	CLI_HELP,      /* print usage to stdout, exit 0 */
	CLI_VERSION,   /* print version to stdout, exit 0 */
};

struct btmon_options {
	enum cli_action action;
	const char *kernel;        /* -kernel FILE; NULL: the built-in demo guest */
	const char *append;        /* -append CMDLINE; NULL: empty */
	const char *initrd;        /* -initrd FILE (accepted; used by the Linux loader) */
	uint64_t mem_bytes;        /* -m SIZE, default 128 MiB */
	bool no_reboot;            /* -no-reboot */
	unsigned trace;            /* enum trace_cat mask; 0 = off */
	const char *trace_file;    /* --trace-file FILE; NULL: stderr */
	enum trace_format trace_format;
	bool stats;                /* --stats: print statistics at exit (stderr) */
	bool verify;               /* --verify: check every translated block */
};

/*
 * Parse argv into *o (which it fully initialises, defaults first).
 * Returns BT_OK, or BT_ERR_INVAL with one line (no trailing newline) in err
 * saying what is wrong and where, e.g. "-m: bad size '12Q' (expected e.g. 128M, 1G)".
 */
bt_status cli_parse(int argc, char **argv, struct btmon_options *o, char *err, size_t errlen);

/* The --help text. */
void cli_usage(FILE *out);

#endif

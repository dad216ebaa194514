/*
 * bench_main.c — the `btmon bench` command line: pick the blocks (the
 * built-in catalogue, or some of it, plus raw blocks from files), measure
 * each in every mode (modes.c), print the table or JSON, write the SVG.
 *
 *	btmon bench                                   the whole catalogue
 *	btmon bench alu callret clisti                some of it
 *	btmon bench --block loop.bin --iterations 50000 --svg bench.svg
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench_int.h"
#include "btmon/bench.h"

#define MAX_USER_BLOCKS 8
#define DEFAULT_REPS 11u
#define USER_ITERATIONS 10000u

struct bench_opts {
	const char *names[64];        /* catalogue blocks asked for by name */
	size_t nnames;
	const char *files[MAX_USER_BLOCKS];
	size_t nfiles;
	uint32_t iterations;          /* 0: each block's own */
	unsigned reps;
	const char *svg;
	bool json, list, cpuid_faulting;
};

static void usage(FILE *f)
{
	fputs("usage: btmon bench [options] [NAME...]\n"
	      "Run 32-bit blocks natively, translated by btmon, and under a miniature\n"
	      "trap-and-emulate monitor; print RDTSC ticks per iteration and ratios.\n\n"
	      "  NAME...               only these catalogue blocks (see --list)\n"
	      "  --block FILE.bin      add a raw 32-bit block, run as the loop body\n"
	      "                        (EBX = 8 KiB scratch data, EBP = the block's address)\n"
	      "  --iterations N        iterations per timed run (default: per block)\n"
	      "  --repeats R           timed runs per mode; the median is reported (default 11)\n"
	      "  --svg FILE            write a log-scale bar chart\n"
	      "  --json                print JSON instead of the table\n"
	      "  --no-cpuid-faulting   let CPUID run natively under trap-and-emulate\n"
	      "  --list                list the catalogue\n"
	      "  --help                this text\n", f);
}

/* A decimal number in [min, max]. */
static bool parse_num(const char *s, unsigned long min, unsigned long max, unsigned long *out)
{
	char *end;
	errno = 0;
	unsigned long v = strtoul(s, &end, 10);
	if (errno || end == s || *end || s[0] == '-' || v < min || v > max)
		return false;
	*out = v;
	return true;
}

/* Parse argv (argv[0] is "bench"); 0 to go on, else the exit status. */
static int parse(int argc, char **argv, struct bench_opts *o)
{
	unsigned long v;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		bool has_val = i + 1 < argc;
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			usage(stdout);
			return -1;
		} else if (!strcmp(a, "--json")) {
			o->json = true;
		} else if (!strcmp(a, "--list")) {
			o->list = true;
		} else if (!strcmp(a, "--no-cpuid-faulting")) {
			o->cpuid_faulting = false;
		} else if (!strcmp(a, "--block") && has_val) {
			if (o->nfiles == MAX_USER_BLOCKS)
				return fprintf(stderr, "btmon bench: at most %d --block files\n",
					       MAX_USER_BLOCKS), 2;
			o->files[o->nfiles++] = argv[++i];
		} else if (!strcmp(a, "--iterations") && has_val) {
			if (!parse_num(argv[++i], 1, 100000000, &v))
				return fprintf(stderr, "btmon bench: --iterations %s: want a number "
					       "from 1 to 100000000\n", argv[i]), 2;
			o->iterations = (uint32_t)v;
		} else if (!strcmp(a, "--repeats") && has_val) {
			if (!parse_num(argv[++i], 1, BENCH_REPS_MAX - 1, &v))
				return fprintf(stderr, "btmon bench: --repeats %s: want a number from "
					       "1 to %u\n", argv[i], BENCH_REPS_MAX - 1), 2;
			o->reps = (unsigned)v;
		} else if (!strcmp(a, "--svg") && has_val) {
			o->svg = argv[++i];
		} else if (a[0] == '-') {
			fprintf(stderr, "btmon bench: %s: unknown option or missing value "
				"(try btmon bench --help)\n", a);
			return 2;
		} else if (o->nnames < BT_ARRAY_SIZE(o->names)) {
			o->names[o->nnames++] = a;
		}
	}
	return 0;
}

/* Read a raw block file into a heap block descriptor. */
static int load_user_block(const char *path, struct bench_block *b, uint32_t iterations)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		return fprintf(stderr, "btmon bench: --block: cannot read '%s': %s\n", path,
			       strerror(errno)), 2;
	uint8_t *code = malloc(BENCH_BLOCK_MAX + 1);
	size_t n = code ? fread(code, 1, BENCH_BLOCK_MAX + 1, f) : 0;
	int err = ferror(f);
	fclose(f);
	if (code == NULL || err || n == 0 || n > BENCH_BLOCK_MAX) {
		fprintf(stderr, "btmon bench: --block: '%s': %s\n", path, code == NULL ?
			"out of memory" : err ? "read error" : n == 0 ? "empty file" :
			"longer than the code area (64 KiB less the loop)");
		free(code);
		return 2;
	}
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	*b = (struct bench_block){ .name = base, .title = base, .code = code,
		.len = (uint32_t)n, .copies = 1, .iterations = iterations ? iterations : USER_ITERATIONS };
	return 0;
}

/* The blocks to run: the named (or all) catalogue blocks, then the files
 * (whose code the caller frees: owned[k] for file k). */
static int select_blocks(const struct bench_opts *o, struct bench_block *out, size_t *count,
			 const uint8_t **owned)
{
	size_t ncat, n = 0;
	const struct bench_block *cat = bench_catalogue(&ncat);

	for (size_t k = 0; k < o->nnames; k++) {
		size_t i;
		for (i = 0; i < ncat && strcmp(cat[i].name, o->names[k]) != 0; i++)
			;
		if (i == ncat)
			return fprintf(stderr, "btmon bench: no block '%s' in the catalogue "
				       "(btmon bench --list)\n", o->names[k]), 2;
	}
	for (size_t i = 0; i < ncat; i++) {
		bool want = o->nnames == 0 && o->nfiles == 0;
		for (size_t k = 0; k < o->nnames; k++)
			want |= strcmp(cat[i].name, o->names[k]) == 0;
		if (want)
			out[n++] = cat[i];
	}
	for (size_t k = 0; k < o->nfiles; k++) {
		int rc = load_user_block(o->files[k], &out[n], o->iterations);
		if (rc != 0)
			return rc;
		owned[k] = out[n++].code;
	}
	*count = n;
	return 0;
}

static void list_catalogue(void)
{
	size_t n;
	const struct bench_block *cat = bench_catalogue(&n);
	for (size_t i = 0; i < n; i++)
		printf("%-10s %-22s %8u iterations%s\n", cat[i].name, cat[i].title,
		       cat[i].iterations, cat[i].extra ? "  (extra)" : "");
}

static int run(const struct bench_opts *o, const struct bench_block *blocks, size_t n)
{
	struct bench_env *e;
	char err[256];
	struct bench_row *rows = calloc(n, sizeof(*rows));
	int rc = 0;

	if (rows == NULL)
		return fprintf(stderr, "btmon bench: out of memory\n"), 1;
	if (bench_env_new(&e, o->reps, o->cpuid_faulting, err, sizeof(err)) != BT_OK) {
		fprintf(stderr, "btmon bench: %s\n", err);
		free(rows);
		return 1;
	}
	bool progress = isatty(STDERR_FILENO);
	for (size_t i = 0; i < n; i++) {
		if (progress)
			fprintf(stderr, "\rbtmon bench: %-12s (%zu/%zu)", blocks[i].name, i + 1, n);
		bench_measure(e, &blocks[i], o->iterations ? o->iterations : blocks[i].iterations,
			      &rows[i]);
		for (int m = 0; m < BENCH_NMODES; m++)
			if (rows[i].mode[m].status == BENCH_FAILED)
				rc = 1;
	}
	if (progress)
		fprintf(stderr, "\r%50s\r", "");
	struct bench_run_info info = { o->reps, bench_env_cpuid_traps(e),
				       bench_ticks_per_cycle(e) };
	if (o->json)
		bench_print_json(stdout, rows, n, &info);
	else
		bench_print_table(stdout, rows, n, &info);
	if (o->svg && bench_write_svg(o->svg, rows, n) != BT_OK) {
		fprintf(stderr, "btmon bench: --svg: cannot write '%s': %s\n", o->svg, strerror(errno));
		rc = 1;
	}
	bench_env_free(e);
	free(rows);
	return rc;
}

int bench_main(int argc, char **argv)
{
	struct bench_opts o = { .reps = DEFAULT_REPS, .cpuid_faulting = true };
	int rc = parse(argc, argv, &o);
	if (rc != 0)
		return rc < 0 ? 0 : rc;
	if (o.list) {
		list_catalogue();
		return 0;
	}
	size_t ncat, n = 0;
	bench_catalogue(&ncat);
	struct bench_block *blocks = calloc(ncat + o.nfiles, sizeof(*blocks));
	if (blocks == NULL)
		return fprintf(stderr, "btmon bench: out of memory\n"), 1;
	const uint8_t *owned[MAX_USER_BLOCKS] = { NULL };
	rc = select_blocks(&o, blocks, &n, owned);
	if (rc == 0)
		rc = run(&o, blocks, n);
	for (size_t k = 0; k < o.nfiles; k++)
		free((void *)owned[k]);
	free(blocks);
	return rc;
}

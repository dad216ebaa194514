/*
 * difftest_main.c — btmon-difftest: long differential runs.
 *
 *   btmon-difftest --count N --seed S [--from I] [--verbose] [--curated] [--reports K]
 *   btmon-difftest --case NAME        every run of one curated sequence, both states
 *   btmon-difftest --known            the known departures (curated_known.S), one line each
 *
 * Runs N random sequences from seed S, starting with sequence I (a report
 * names "sequence I": --from I --count 1 runs it again), and with --curated
 * every curated sequence first. Prints progress every 10,000 sequences with
 * --verbose, a reproducer for each of the first K mismatches (default 20),
 * and a summary line "N sequences, M mismatches". Exit status 0 when there
 * were none, 1 otherwise, 2 for bad arguments.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "difftest.h"

static int usage(void)
{
	fprintf(stderr, "usage: btmon-difftest --count N --seed S [--from I] [--verbose] "
		"[--curated] [--reports K]\n       btmon-difftest --case NAME\n       btmon-difftest --known\n");
	return 2;
}

static bool number(const char *s, unsigned long long *out)
{
	char *end;
	if (!s || !*s)
		return false;
	*out = strtoull(s, &end, 0);
	return *end == '\0';
}

/* Every run of the curated sequence k, matching or not. */
static int show_case(struct dt_ctx *c, const struct dt_case *k)
{
	static struct dt_input in;
	static struct dt_result r;
	unsigned bad = 0;
	uint32_t len = (uint32_t)(k->end - k->code);
	for (unsigned s = 0; s < dt_seed_count(k->seeds); s++) {
		char title[128];
		dt_seed_state(c, k->seeds, s, &in);
		in.ign_off = k->ign_off;
		in.ign_len = k->ign_len;
		int v = dt_check(c, k->code, len, &in, &r);
		bad += v != 0;
		snprintf(title, sizeof(title), "%s %s #%u", v ? "MISMATCH" : "MATCH", k->name, s);
		dt_report(stdout, c, title, k->code, len, &in, &r);
	}
	return bad != 0;
}

static const struct dt_case *find_case(const char *name)
{
	unsigned n;
	const struct dt_case *k = dt_curated(&n);
	for (unsigned pass = 0; pass < 2; pass++, k = dt_known(&n))
		for (unsigned i = 0; i < n; i++)
			if (strcmp(k[i].name, name) == 0)
				return &k[i];
	return NULL;
}

/* One line per known departure: does it still differ? */
static int run_known(struct dt_ctx *c)
{
	unsigned n, still = 0;
	const struct dt_case *k = dt_known(&n);
	for (unsigned i = 0; i < n; i++) {
		unsigned runs, bad = dt_run_case(c, &k[i], NULL, 0, &runs);
		printf("%-40s %s (%u of %u runs differ)\n", k[i].name,
		       bad ? "still differs" : "NO LONGER DIFFERS", bad, runs);
		still += bad != 0;
	}
	printf("%u known departures, %u still differ\n", n, still);
	return 0;
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	unsigned long long count = 1000, seed = 1, reports = 20, from = 0;
	bool verbose = false, curated = false, known = false;
	const char *one = NULL;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--count") && i + 1 < argc) {
			if (!number(argv[++i], &count) || count > 0xffffffffull)
				return usage();
		} else if (!strcmp(argv[i], "--seed") && i + 1 < argc) {
			if (!number(argv[++i], &seed))
				return usage();
		} else if (!strcmp(argv[i], "--from") && i + 1 < argc) {
			if (!number(argv[++i], &from) || from > 0xffffffffull)
				return usage();
		} else if (!strcmp(argv[i], "--reports") && i + 1 < argc) {
			if (!number(argv[++i], &reports))
				return usage();
		} else if (!strcmp(argv[i], "--case") && i + 1 < argc) {
			one = argv[++i];
		} else if (!strcmp(argv[i], "--verbose")) {
			verbose = true;
		} else if (!strcmp(argv[i], "--known")) {
			known = true;
		} else if (!strcmp(argv[i], "--curated")) {
			curated = true;
		} else {
			return usage();
		}
	}
	struct dt_ctx *c;
	if (dt_new(&c) != 0) {
		fprintf(stderr, "btmon-difftest: cannot create the native context and the harness\n");
		return 1;
	}
	if (one || known) {
		const struct dt_case *k = one ? find_case(one) : NULL;
		int st = known ? run_known(c) : k ? show_case(c, k) : 2;
		if (one && !k)
			fprintf(stderr, "btmon-difftest: no curated sequence named '%s'\n", one);
		dt_free(c);
		return st;
	}
	double t0 = now();
	unsigned long long runs = 0, bad = 0;
	if (curated) {
		unsigned n;
		const struct dt_case *k = dt_curated(&n);
		for (unsigned i = 0; i < n; i++) {
			unsigned r;
			bad += dt_run_case(c, &k[i], stdout, (unsigned)reports, &r);
			runs += r;
		}
		printf("curated: %u sequences, %llu runs, %llu mismatches\n", n, runs, bad);
	}
	unsigned rbad = dt_run_random(c, seed, (unsigned)from, (unsigned)count, stdout, (unsigned)reports,
				      verbose ? 10000 : 0);
	double t = now() - t0;
	printf("%llu sequences, %llu mismatches (seed %llu, %.1f s, %.0f sequences/s)\n",
	       count, bad + rbad, seed, t, (double)(count + runs) / (t > 0 ? t : 1));
	dt_free(c);
	return bad + rbad == 0 ? 0 : 1;
}

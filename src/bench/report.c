/*
 * report.c — what `btmon bench` prints: the table (ticks per iteration and
 * the ratio to native for each mode, with Adams & Agesen's figures beside
 * it), the same as JSON for scripts (--json), and a log-scale bar chart as
 * hand-written SVG (--svg FILE).
 */
#include <math.h>
#include <string.h>

#include "bench_int.h"

static const char *const mode_key[BENCH_NMODES] = { "native", "translated", "trap_and_emulate" };
static const char *const mode_label[BENCH_NMODES] = { "native", "translated", "trap-and-emulate" };
static const char *const status_key[] = { "ok", "n/a", "incorrect", "failed" };

/* Adams & Agesen, "A Comparison of Software and Hardware Techniques for x86
 * Virtualization", ASPLOS 2006: nanobenchmarks in cycles. */
static const struct {
	const char *name;
	const char *ours;         /* the catalogue row to read beside it */
	unsigned native, software, hardware;
	const char *software_text;
} adams_agesen[] = {
	{ "call+ret", "callret", 11, 51, 11, "51" },
	{ "in", "in", 3209, 210, 15826, "~210" },
	{ "pgfault", NULL, 1093, 3927, 11242, "3927" },
};

static bool measured(const struct bench_result *r)
{
	return r->status == BENCH_OK || r->status == BENCH_INCORRECT;
}

/* Ticks per iteration, right-aligned in w columns. */
static void put_ticks(FILE *f, const struct bench_result *r, int w)
{
	if (!measured(r))
		fprintf(f, "%*s", w, r->status == BENCH_NA ? "n/a" : "failed");
	else if (fabs(r->ticks) >= 1000)
		fprintf(f, "%*.0f", w, r->ticks);
	else
		fprintf(f, "%*.1f", w, r->ticks);
}

static bool ratio_of(const struct bench_row *row, enum bench_mode m, double *ratio)
{
	const struct bench_result *n = &row->mode[BENCH_NATIVE], *r = &row->mode[m];
	if (!measured(n) || !measured(r) || n->ticks < 0.05)
		return false;
	*ratio = r->ticks / n->ticks;
	return true;
}

static void put_ratio(FILE *f, const struct bench_row *row, enum bench_mode m, int w)
{
	double q;
	if (!ratio_of(row, m, &q))
		fprintf(f, "%*s", w, "-");
	else
		fprintf(f, q >= 100 ? "%*.0f" : "%*.2f", w, q);
}

static const struct bench_row *find_row(const struct bench_row *rows, size_t n, const char *name)
{
	for (size_t i = 0; name && i < n; i++)
		if (strcmp(rows[i].block->name, name) == 0)
			return &rows[i];
	return NULL;
}

static void print_adams_agesen(FILE *f, const struct bench_row *rows, size_t n)
{
	fprintf(f, "\nAdams & Agesen (ASPLOS 2006), cycles:  native  software VMM  hardware VMM"
		"   | here (ticks): native  translated  trap\n");
	for (size_t i = 0; i < BT_ARRAY_SIZE(adams_agesen); i++) {
		fprintf(f, "  %-36s %6u  %11s  %12u   | ", adams_agesen[i].name,
			adams_agesen[i].native, adams_agesen[i].software_text,
			adams_agesen[i].hardware);
		const struct bench_row *r = find_row(rows, n, adams_agesen[i].ours);
		if (r == NULL) {
			fprintf(f, "(not in this catalogue)\n");
			continue;
		}
		fprintf(f, "%-8s", r->block->name);
		put_ticks(f, &r->mode[BENCH_NATIVE], 6);
		put_ticks(f, &r->mode[BENCH_XLAT], 12);
		put_ticks(f, &r->mode[BENCH_TRAP], 6);
		fputc('\n', f);
	}
}

/* The last column: how translated state compares, and the trap verdict. */
static void put_verdict(FILE *f, const struct bench_row *r)
{
	const struct bench_result *t = &r->mode[BENCH_TRAP];

	if (r->same_state == 1)
		fprintf(f, "same state as native");
	else if (r->same_state == 0)
		fprintf(f, "state DIFFERS from native");
	if (!r->block->sensitive || !measured(t))
		return;
	fprintf(f, "%s", t->status == BENCH_INCORRECT ? "trap+emul INCORRECT" :
		t->traps >= 0.5 ? "trapped, emulated" : "runs natively");
}

void bench_print_table(FILE *f, const struct bench_row *rows, size_t n,
		       const struct bench_run_info *info)
{
	fprintf(f, "btmon bench: TSC ticks per operation (median of %u runs, empty loop "
		"subtracted), ratio to native\n", info->reps);
	if (info->ticks_per_cycle > 0)
		fprintf(f, "(1 tick = %.2f core cycles here, from a dependent ADD chain)\n",
			1 / info->ticks_per_cycle);
	fprintf(f, "\n%-20s %10s %10s %7s %10s %7s %6s  %s\n", "block", "native", "translated",
		"ratio", "trap+emul", "ratio", "traps", "verdict");
	for (size_t i = 0; i < n; i++) {
		const struct bench_row *r = &rows[i];
		const struct bench_result *t = &r->mode[BENCH_TRAP];
		fprintf(f, "%-20.20s", r->block->title);
		put_ticks(f, &r->mode[BENCH_NATIVE], 11);
		put_ticks(f, &r->mode[BENCH_XLAT], 11);
		put_ratio(f, r, BENCH_XLAT, 8);
		put_ticks(f, t, 11);
		put_ratio(f, r, BENCH_TRAP, 8);
		if (measured(t))
			fprintf(f, " %6.0f  ", t->traps);
		else
			fprintf(f, " %6s  ", "-");
		put_verdict(f, r);
		fputc('\n', f);
	}
	fprintf(f, "\nNotes:\n");
	for (size_t i = 0; i < n; i++) {
		const struct bench_row *r = &rows[i];
		if (r->same_state == 0)
			fprintf(f, "  %-10s translated state %s\n", r->block->name, r->diff);
		for (int m = 0; m < BENCH_NMODES; m++) {
			const struct bench_result *res = &r->mode[m];
			if (res->note[0])
				fprintf(f, "  %-10s %s%s%s: %s\n", r->block->name, mode_label[m],
					res->status == BENCH_OK ? "" : " ",
					res->status == BENCH_OK ? "" : status_key[res->status],
					res->note);
		}
	}
	fprintf(f, "  CPUID under trap-and-emulate: %s\n", info->cpuid_traps ?
		"traps through CPUID faulting (arch_prctl ARCH_SET_CPUID), then emulated" :
		"does not trap (runs natively)");
	fprintf(f, "  ratios compare TSC ticks; translated code runs at guest CPL 0, the native "
		"and trap-and-emulate modes at CPL 3.\n");
	print_adams_agesen(f, rows, n);
}

/* ---- JSON ---- */

static void json_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fprintf(f, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			fprintf(f, "\\u%04x", (unsigned char)*s);
		else
			fputc(*s, f);
	}
	fputc('"', f);
}

static void json_result(FILE *f, const struct bench_row *row, enum bench_mode m)
{
	const struct bench_result *r = &row->mode[m];
	double q;

	fprintf(f, "\"%s\": {\"status\": \"%s\", \"ticks\": ", mode_key[m], status_key[r->status]);
	if (measured(r))
		fprintf(f, "%.2f", r->ticks);
	else
		fprintf(f, "null");
	if (ratio_of(row, m, &q))
		fprintf(f, ", \"ratio\": %.3f", q);
	else
		fprintf(f, ", \"ratio\": null");
	if (m == BENCH_TRAP && measured(r))
		fprintf(f, ", \"traps_per_iteration\": %.2f", r->traps);
	fprintf(f, ", \"note\": ");
	json_string(f, r->note);
	fputc('}', f);
}

void bench_print_json(FILE *f, const struct bench_row *rows, size_t n,
		      const struct bench_run_info *info)
{
	fprintf(f, "{\"unit\": \"tsc_ticks_per_operation\", \"repetitions\": %u, "
		"\"ticks_per_core_cycle\": %.3f, \"cpuid_traps\": %s,\n \"blocks\": [\n",
		info->reps, info->ticks_per_cycle, info->cpuid_traps ? "true" : "false");
	for (size_t i = 0; i < n; i++) {
		const struct bench_row *r = &rows[i];
		fprintf(f, "  {\"name\": ");
		json_string(f, r->block->name);
		fprintf(f, ", \"title\": ");
		json_string(f, r->block->title);
		fprintf(f, ", \"iterations\": %u, \"operations_per_iteration\": %u, "
			"\"same_state_as_native\": %s,\n   ", r->iterations, r->block->copies,
			r->same_state < 0 ? "null" : r->same_state ? "true" : "false");
		for (int m = 0; m < BENCH_NMODES; m++) {
			json_result(f, r, (enum bench_mode)m);
			fprintf(f, m + 1 < BENCH_NMODES ? ",\n   " : "}");
		}
		fprintf(f, "%s\n", i + 1 < n ? "," : "");
	}
	fprintf(f, " ],\n \"adams_agesen_2006_cycles\": {\"columns\": [\"native\", "
		"\"software_vmm\", \"hardware_vmm\"]");
	for (size_t i = 0; i < BT_ARRAY_SIZE(adams_agesen); i++)
		fprintf(f, ", \"%s\": [%u, %u, %u]", adams_agesen[i].name, adams_agesen[i].native,
			adams_agesen[i].software, adams_agesen[i].hardware);
	fprintf(f, "}}\n");
}

/* ---- SVG: one group of three horizontal bars per block, log scale ---- */

#define SVG_LABEL_W 170
#define SVG_PLOT_W  600
#define SVG_BAR_H   11
#define SVG_GROUP_H (3 * SVG_BAR_H + 10)
#define SVG_TOP     60

static const char *const mode_color[BENCH_NMODES] = { "#4e79a7", "#59a14f", "#e15759" };

/* Text content, XML-escaped (titles may be file names). */
static void svg_text(FILE *f, const char *s)
{
	for (; *s; s++) {
		if (*s == '<')
			fputs("&lt;", f);
		else if (*s == '>')
			fputs("&gt;", f);
		else if (*s == '&')
			fputs("&amp;", f);
		else
			fputc(*s, f);
	}
}

static double svg_x(double ticks, double decades)
{
	double v = ticks < 0.1 ? 0.1 : ticks;
	return SVG_LABEL_W + (log10(v) + 1) / decades * SVG_PLOT_W;
}

static void svg_bar(FILE *f, const struct bench_result *r, int m, double y, double decades)
{
	if (!measured(r)) {
		fprintf(f, "<text x=\"%d\" y=\"%.0f\" class=\"s\">%s</text>\n", SVG_LABEL_W + 4,
			y + SVG_BAR_H - 2, r->status == BENCH_NA ? "n/a" : "failed");
		return;
	}
	double x1 = svg_x(r->ticks, decades);
	fprintf(f, "<rect x=\"%d\" y=\"%.0f\" width=\"%.1f\" height=\"%d\" fill=\"%s\"%s/>\n",
		SVG_LABEL_W, y, x1 - SVG_LABEL_W + 1, SVG_BAR_H, mode_color[m],
		r->status == BENCH_INCORRECT ? " fill-opacity=\"0.35\" stroke=\"#e15759\"" : "");
	fprintf(f, "<text x=\"%.1f\" y=\"%.0f\" class=\"s\">%.*f%s</text>\n", x1 + 4,
		y + SVG_BAR_H - 2, r->ticks >= 100 ? 0 : 1, r->ticks,
		r->status == BENCH_INCORRECT ? " (incorrect)" : "");
}

bt_status bench_write_svg(const char *path, const struct bench_row *rows, size_t n)
{
	FILE *f = fopen(path, "w");
	double top = 10;

	if (f == NULL)
		return BT_ERR_IO;
	for (size_t i = 0; i < n; i++)
		for (int m = 0; m < BENCH_NMODES; m++)
			if (measured(&rows[i].mode[m]) && rows[i].mode[m].ticks > top)
				top = rows[i].mode[m].ticks;
	double decades = ceil(log10(top)) + 1.5;   /* from 0.1 to past the largest */
	int h = SVG_TOP + (int)n * SVG_GROUP_H + 40, w = SVG_LABEL_W + SVG_PLOT_W + 120;
	fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
		"font-family=\"sans-serif\" font-size=\"12\">\n<style>.s{font-size:10px}</style>\n"
		"<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n"
		"<text x=\"10\" y=\"20\" font-size=\"15\">btmon bench: TSC ticks per operation "
		"(log scale, median, empty loop subtracted)</text>\n", w, h);
	for (int m = 0; m < BENCH_NMODES; m++)
		fprintf(f, "<rect x=\"%d\" y=\"32\" width=\"12\" height=\"12\" fill=\"%s\"/>"
			"<text x=\"%d\" y=\"42\">%s</text>\n", SVG_LABEL_W + 150 * m,
			mode_color[m], SVG_LABEL_W + 150 * m + 16, mode_label[m]);
	for (int d = -1; d < (int)decades; d++) {
		double x = svg_x(pow(10, d), decades);
		fprintf(f, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#ccc\"/>"
			"<text x=\"%.1f\" y=\"%d\" class=\"s\" text-anchor=\"middle\">%g</text>\n",
			x, SVG_TOP - 6, x, h - 30, x, h - 18, pow(10, d));
	}
	for (size_t i = 0; i < n; i++) {
		double y = SVG_TOP + (double)i * SVG_GROUP_H;
		fprintf(f, "<text x=\"%d\" y=\"%.0f\" text-anchor=\"end\">",
			SVG_LABEL_W - 8, y + 1.5 * SVG_BAR_H + 4);
		svg_text(f, rows[i].block->title);
		fprintf(f, "</text>\n");
		for (int m = 0; m < BENCH_NMODES; m++)
			svg_bar(f, &rows[i].mode[m], m, y + m * SVG_BAR_H, decades);
	}
	fprintf(f, "</svg>\n");
	return fclose(f) == 0 ? BT_OK : BT_ERR_IO;
}

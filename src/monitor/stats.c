/*
 * stats.c — btmon --stats: what the translator, the cache, the monitor and
 * the devices did during the run, printed at exit.
 */
#include <stdio.h>

#include "monitor.h"

const char *run_exit_name(unsigned r);

static void print_ports(void *ctx, uint16_t base, uint16_t len, const char *name, uint64_t n)
{
	FILE *out = ctx;
	fprintf(out, "    %-16s 0x%04x-0x%04x %12llu accesses\n", name, base, base + len - 1,
		(unsigned long long)n);
}

static void print_translation(struct machine *m, FILE *out)
{
	const struct tc_stats *t = &m->tc.stats;
	fprintf(out, "translation:\n");
	fprintf(out, "  blocks translated        %12llu\n", (unsigned long long)t->blocks);
	fprintf(out, "  guest bytes / host bytes %12llu / %llu (expansion %.2fx)\n",
		(unsigned long long)t->guest_bytes, (unsigned long long)t->host_bytes,
		t->guest_bytes ? (double)t->host_bytes / (double)t->guest_bytes : 0.0);
	fprintf(out, "  guest instructions by rule:\n");
	for (unsigned r = 0; r < XR_NRULES; r++)
		if (m->stats.translated_by_rule[r])
			fprintf(out, "    %-16s %12llu\n", xlate_rule_name((enum xlate_rule)r),
				(unsigned long long)m->stats.translated_by_rule[r]);
}

static void print_cache(struct machine *m, FILE *out)
{
	const struct tc_stats *t = &m->tc.stats;
	fprintf(out, "cache:\n");
	fprintf(out, "  lookups hit / missed     %12llu / %llu\n", (unsigned long long)t->lookups_hit,
		(unsigned long long)t->lookups_miss);
	fprintf(out, "  chain patches / unchains %12llu / %llu\n", (unsigned long long)t->chains,
		(unsigned long long)t->unchains);
	fprintf(out, "  blocks invalidated       %12llu (%llu code pages written)\n",
		(unsigned long long)t->invalidated_blocks, (unsigned long long)t->invalidated_pages);
	fprintf(out, "  flushes                  %12llu\n", (unsigned long long)t->flushes);
	fprintf(out, "  arena used               %12zu of %zu bytes\n", m->tc.arena_used, m->tc.arena_size);
}

static void print_monitor(struct machine *m, FILE *out)
{
	fprintf(out, "monitor:\n  exits by reason:\n");
	for (unsigned r = 1; r < VCPU_EXIT_NREASONS; r++)
		fprintf(out, "    %-16s %12llu\n", run_exit_name(r), (unsigned long long)m->stats.exits[r]);
	fprintf(out, "  monitor procedures run (sensitive instructions), by kind:\n");
	for (unsigned i = 0; i <= ZYDIS_MNEMONIC_MAX_VALUE; i++)
		if (m->stats.emulated[i])
			fprintf(out, "    %-16s %12llu\n", ZydisMnemonicGetString((ZydisMnemonic)i),
				(unsigned long long)m->stats.emulated[i]);
	fprintf(out, "  decode cache hits / missed %10llu / %llu; next block known %llu\n",
		(unsigned long long)m->dcache.hits, (unsigned long long)m->dcache.misses,
		(unsigned long long)m->dcache.next_hits);
	fprintf(out, "  resumed mid-block        %12llu\n", (unsigned long long)m->stats.resumes);
	fprintf(out, "  code-page write faults   %12llu\n", (unsigned long long)m->stats.code_write_faults);
	fprintf(out, "  hole accesses emulated   %12llu\n", (unsigned long long)m->stats.mmio_emulated);
	for (unsigned v = 0; v < 32; v++)
		if (m->stats.exceptions[v])
			fprintf(out, "  guest exception %2u       %12llu\n", v,
				(unsigned long long)m->stats.exceptions[v]);
	fprintf(out, "memory:\n  window fills             %12llu (%llu pages)\n",
		(unsigned long long)m->mmu.stats.fills, (unsigned long long)m->mmu.stats.fill_pages);
	fprintf(out, "  code pages protected     %12llu\n", (unsigned long long)m->mmu.stats.code_protects);
	const struct mmu_stats *ms = &m->mmu.stats;
	fprintf(out, "  CR3 writes               %12llu (to a cached space %llu; spaces evicted %llu; "
		"all emptied %llu), INVLPGs %llu\n",
		(unsigned long long)ms->cr3_writes, (unsigned long long)ms->space_hits,
		(unsigned long long)ms->space_evictions, (unsigned long long)ms->flushes,
		(unsigned long long)ms->invlpgs);
	fprintf(out, "  spaces checked           %12llu; page tables found changed %llu; "
		"mappings dropped %llu\n",
		(unsigned long long)ms->space_checks, (unsigned long long)ms->pt_changed,
		(unsigned long long)ms->pt_dropped);
	fprintf(out, "  mapping budget           %12llu of vm.max_map_count %llu%s; budget resets %llu\n",
		(unsigned long long)m->mmu.map_budget, (unsigned long long)m->mmu.max_map_count,
		m->mmu.max_map_count != m->mmu.max_map_count_was ? " (raised from the host's default: root)" : "",
		(unsigned long long)m->mmu.stats.budget_resets);
	fprintf(out, "  guest page faults        %12llu, dirty-bit upgrades %llu, mapped at IRET %llu\n",
		(unsigned long long)m->mmu.stats.guest_pf, (unsigned long long)m->mmu.stats.dirty_upgrades,
		(unsigned long long)m->mmu.stats.prefills);
}

static void print_io(struct machine *m, FILE *out)
{
	const struct iobus_stats *s = iobus_stats(m->board.bus);
	fprintf(out, "ports:\n");
	iobus_foreach(m->board.bus, print_ports, out);
	fprintf(out, "  unclaimed reads / writes %12llu / %llu",
		(unsigned long long)s->unclaimed_reads, (unsigned long long)s->unclaimed_writes);
	if (s->unclaimed_reads || s->unclaimed_writes)
		fprintf(out, " (last port 0x%04x)", s->last_unclaimed_port);
	fprintf(out, "\n");
}

void stats_print(struct machine *m, FILE *out)
{
	fprintf(out, "==== btmon statistics ====\n");
	print_translation(m, out);
	print_cache(m, out);
	print_monitor(m, out);
	print_io(m, out);
}

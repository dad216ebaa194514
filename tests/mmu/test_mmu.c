/*
 * test_mmu.c — guest RAM, the window, lazy fills and code-page protection.
 * Accesses through the window are probed for real: a SIGSEGV handler with
 * sigsetjmp tells whether a host access faults.
 */
#include <check.h>
#include <setjmp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "btmon/mmu.h"
#include "btmon/x86.h"

static sigjmp_buf probe_env;

static void on_segv(int sig)
{
	(void)sig;
	siglongjmp(probe_env, 1);
}

/* True if writing one byte at p faults. */
static bool write_faults(volatile uint8_t *p)
{
	struct sigaction sa = { .sa_handler = on_segv }, old;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGSEGV, &sa, &old);
	bool faulted = true;
	if (sigsetjmp(probe_env, 1) == 0) {
		*p = *p;
		faulted = false;
	}
	sigaction(SIGSEGV, &old, NULL);
	return faulted;
}

/* True if reading one byte at p faults. */
static bool read_faults(volatile uint8_t *p)
{
	struct sigaction sa = { .sa_handler = on_segv }, old;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGSEGV, &sa, &old);
	bool faulted = true;
	if (sigsetjmp(probe_env, 1) == 0) {
		(void)*p;
		faulted = false;
	}
	sigaction(SIGSEGV, &old, NULL);
	return faulted;
}

static struct mmu m;

static void setup(void)
{
	ck_assert_int_eq(mmu_init(&m, 16u << 20), BT_OK);
}

static void teardown(void)
{
	mmu_fini(&m);
}

START_TEST(test_mmu_window_is_unmapped_until_first_touch)
{
	ck_assert(write_faults(m.window + 0x1000));
}
END_TEST

START_TEST(test_mmu_fill_maps_the_run_containing_the_address)
{
	ck_assert_int_eq(mmu_fault_classify(&m, 0x300123, true), MMU_FAULT_FILLED);
	ck_assert(!write_faults(m.window + 0x300123));
	/* the whole 2 MiB run, and it is the same memory as RAM */
	m.window[0x200000] = 0x5a;
	ck_assert_int_eq(m.ram[0x200000], 0x5a);
	ck_assert(write_faults(m.window + 0x400000));   /* next run: not yet */
	ck_assert_int_eq(m.stats.fills, 1);
}
END_TEST

START_TEST(test_mmu_spent_mapping_budget_resets_the_window)
{
	m.map_budget = 4;                         /* two fills' worth */
	ck_assert_int_eq(mmu_fault_classify(&m, 0x000000, true), MMU_FAULT_FILLED);
	ck_assert_int_eq(mmu_fault_classify(&m, 0x200000, true), MMU_FAULT_FILLED);
	m.window[0x200010] = 0x77;
	ck_assert_uint_eq(m.stats.budget_resets, 0);
	ck_assert_int_eq(mmu_fault_classify(&m, 0x400000, true), MMU_FAULT_FILLED);
	ck_assert_uint_eq(m.stats.budget_resets, 1);
	ck_assert(write_faults(m.window + 0x200010));      /* forgotten: refaults */
	ck_assert_int_eq(mmu_fault_classify(&m, 0x200010, false), MMU_FAULT_FILLED);
	ck_assert_uint_eq(m.window[0x200010], 0x77);        /* the same RAM behind it */
	ck_assert_uint_le(m.map_count, 4);
}
END_TEST

START_TEST(test_mmu_address_past_ram_is_a_hole)
{
	ck_assert_int_eq(mmu_fault_classify(&m, 16u << 20, false), MMU_FAULT_MMIO);
	ck_assert_int_eq(mmu_fault_classify(&m, 0xfee00000u, true), MMU_FAULT_MMIO);
	ck_assert_int_eq(m.stats.mmio_faults, 2);
}
END_TEST

START_TEST(test_mmu_access_past_4g_is_a_wrap)
{
	ck_assert_int_eq(mmu_fault_classify(&m, MMU_WINDOW_SIZE + 2, false), MMU_FAULT_WRAP);
}
END_TEST

START_TEST(test_mmu_code_page_is_read_only_and_reported)
{
	ck_assert_int_eq(mmu_fault_classify(&m, 0x1000, false), MMU_FAULT_FILLED);
	ck_assert_int_eq(mmu_protect_code(&m, 0x1000), BT_OK);
	ck_assert(mmu_is_code_page(&m, 0x1234));
	ck_assert(write_faults(m.window + 0x1234));
	ck_assert(!write_faults(m.window + 0x2000));    /* neighbour stays writable */
	ck_assert_int_eq(mmu_fault_classify(&m, 0x1234, true), MMU_FAULT_CODE_WRITE);
	ck_assert_int_eq(mmu_unprotect_code(&m, 0x1000), BT_OK);
	ck_assert(!write_faults(m.window + 0x1234));
}
END_TEST

START_TEST(test_mmu_fill_keeps_code_pages_read_only)
{
	/* protected before the run is mapped: the fill must honour it */
	ck_assert_int_eq(mmu_protect_code(&m, 0x5000), BT_OK);
	ck_assert_int_eq(mmu_fault_classify(&m, 0x6000, true), MMU_FAULT_FILLED);
	ck_assert(write_faults(m.window + 0x5000));
	ck_assert(!write_faults(m.window + 0x6000));
}
END_TEST

static gpa_t written[4];
static unsigned nwritten;

static void on_code_write(void *ctx, gpa_t page)
{
	(void)ctx;
	if (nwritten < 4)
		written[nwritten++] = page;
}

START_TEST(test_mmu_write_gla_crosses_pages_and_reports_code_pages)
{
	uint8_t buf[8] = { 1, 2, 3, 4, 5, 6, 7, 8 }, back[8];
	nwritten = 0;
	ck_assert_int_eq(mmu_protect_code(&m, 0x2000), BT_OK);
	ck_assert(mmu_write_gla(&m, 0x1ffc, buf, 8, on_code_write, NULL));
	ck_assert(mmu_read_gla(&m, 0x1ffc, back, 8));
	ck_assert_mem_eq(buf, back, 8);
	ck_assert_uint_eq(nwritten, 1);
	ck_assert_uint_eq(written[0], 0x2000);
}
END_TEST

START_TEST(test_mmu_access_without_ram_fails)
{
	uint8_t b[4];
	ck_assert(!mmu_read_gla(&m, (16u << 20) - 2, b, 4));
	gpa_t pa;
	ck_assert(!mmu_gla_to_gpa(&m, 16u << 20, &pa));
	ck_assert(mmu_gla_to_gpa(&m, 0x1234, &pa));
	ck_assert_uint_eq(pa, 0x1234);
}
END_TEST

START_TEST(test_mmu_rejects_impossible_sizes)
{
	struct mmu bad;
	ck_assert_int_eq(mmu_init(&bad, 0), BT_ERR_INVAL);
	ck_assert_int_eq(mmu_init(&bad, 4ull << 30), BT_ERR_INVAL);
}
END_TEST


/* ---- window cache: address spaces kept across CR3 writes ---------------- */

#define PD_A   0x10000u
#define PD_B   0x11000u
#define PT_A   0x12000u
#define PT_B   0x13000u
#define VA     0x00400000u          /* PDE 1, PTE 0 */
#define PAGE1  0x20000u
#define PAGE2  0x21000u
#define PAGE3  0x22000u

static void put32(gpa_t pa, uint32_t v)
{
	memcpy(m.ram + pa, &v, 4);
}

static uint32_t window32(gla_t la)
{
	uint32_t v;
	memcpy(&v, m.window + la, 4);
	return v;
}

/* Two address spaces mapping VA to different pages (user, writable). */
static void two_spaces(void)
{
	const uint32_t f = X86_PTE_P | X86_PTE_W | X86_PTE_U;
	put32(PD_A + 4, PT_A | f);
	put32(PT_A, PAGE1 | f);
	put32(PD_B + 4, PT_B | f);
	put32(PT_B, PAGE2 | f);
	put32(PAGE1, 0x11111111);
	put32(PAGE2, 0x22222222);
	put32(PAGE3, 0x33333333);
	mmu_set_paging(&m, X86_CR0_PE | X86_CR0_PG, PD_A, 0);
}

/* Touch VA in the current space: fill it if it faults. */
static uint32_t touch(void)
{
	if (read_faults(m.window + VA))
		ck_assert_int_eq(mmu_fault_classify(&m, VA, false), MMU_FAULT_FILLED);
	return window32(VA);
}

START_TEST(test_space_switch_back_keeps_mappings)
{
	two_spaces();
	ck_assert_uint_eq(touch(), 0x11111111);
	mmu_set_cr3(&m, PD_B);
	ck_assert_uint_eq(touch(), 0x22222222);
	uint64_t fills = m.stats.fills;
	mmu_set_cr3(&m, PD_A);
	ck_assert(!read_faults(m.window + VA));      /* still mapped: no refill */
	ck_assert_uint_eq(window32(VA), 0x11111111);
	ck_assert_uint_eq(m.stats.fills, fills);
	ck_assert_uint_eq(m.stats.space_hits, 1);   /* B was new; A was cached */
}
END_TEST

START_TEST(test_space_pte_changed_while_away_is_dropped)
{
	two_spaces();
	ck_assert_uint_eq(touch(), 0x11111111);
	mmu_set_cr3(&m, PD_B);
	put32(PT_A, PAGE3 | X86_PTE_P | X86_PTE_W | X86_PTE_U);   /* A's PTE, A not current */
	mmu_set_cr3(&m, PD_A);
	ck_assert_uint_eq(touch(), 0x33333333);       /* re-walked: the new page */
	ck_assert_uint_ge(m.stats.pt_dropped, 1);
}
END_TEST

START_TEST(test_space_pde_changed_while_away_is_dropped)
{
	two_spaces();
	ck_assert_uint_eq(touch(), 0x11111111);
	mmu_set_cr3(&m, PD_B);
	put32(PD_A + 4, 0);                            /* A's page table unhooked */
	mmu_set_cr3(&m, PD_A);
	ck_assert(read_faults(m.window + VA));
	ck_assert_int_eq(mmu_fault_classify(&m, VA, false), MMU_FAULT_GUEST_PF);
}
END_TEST

START_TEST(test_space_cr3_reload_drops_changed_entries)
{
	two_spaces();
	ck_assert_uint_eq(touch(), 0x11111111);
	put32(PT_A, PAGE3 | X86_PTE_P | X86_PTE_W | X86_PTE_U);
	ck_assert_uint_eq(window32(VA), 0x11111111);  /* a stale TLB entry is allowed ... */
	mmu_set_cr3(&m, PD_A);                         /* ... until the flush */
	ck_assert_uint_eq(touch(), 0x33333333);
}
END_TEST

START_TEST(test_space_accessed_bit_clear_keeps_mapping)
{
	two_spaces();
	ck_assert_uint_eq(touch(), 0x11111111);
	mmu_set_cr3(&m, PD_B);
	uint32_t pte;
	memcpy(&pte, m.ram + PT_A, 4);
	ck_assert(pte & X86_PTE_A);                    /* the fill set it */
	put32(PT_A, pte & ~X86_PTE_A);                 /* page aging: no flush needed */
	mmu_set_cr3(&m, PD_A);
	ck_assert(!read_faults(m.window + VA));
}
END_TEST

START_TEST(test_space_lru_eviction)
{
	two_spaces();
	ck_assert_uint_eq(touch(), 0x11111111);
	/* MMU_SPACES more address spaces (empty page directories): A is the
	 * least recently used one when the cache is full. */
	for (unsigned i = 0; i < MMU_SPACES; i++)
		mmu_set_cr3(&m, 0x40000u + i * BT_PAGE_SIZE);
	ck_assert_uint_ge(m.stats.space_evictions, 1);
	mmu_set_cr3(&m, PD_A);
	ck_assert(read_faults(m.window + VA));       /* evicted: refills */
	ck_assert_uint_eq(touch(), 0x11111111);
}
END_TEST

START_TEST(test_space_budget_evicts_other_spaces_first)
{
	two_spaces();
	ck_assert_uint_eq(touch(), 0x11111111);
	mmu_set_cr3(&m, PD_B);
	ck_assert_uint_eq(touch(), 0x22222222);
	m.map_budget = m.map_count;                    /* spent */
	mmu_set_cr3(&m, PD_A);
	put32(PT_A + 4, PAGE3 | X86_PTE_P | X86_PTE_W | X86_PTE_U);
	ck_assert_int_eq(mmu_fault_classify(&m, VA + BT_PAGE_SIZE, false), MMU_FAULT_FILLED);
	ck_assert_uint_eq(m.stats.budget_resets, 0);   /* B went, A stayed */
	ck_assert_uint_ge(m.stats.space_evictions, 1);
	ck_assert_uint_eq(window32(VA + BT_PAGE_SIZE), 0x33333333);
	mmu_set_cr3(&m, PD_B);
	ck_assert(read_faults(m.window + VA));
}
END_TEST

START_TEST(test_prefill_maps_what_the_handler_mapped)
{
	two_spaces();
	put32(PT_A, 0);                                /* not present: the guest's #PF */
	ck_assert_int_eq(mmu_fault_classify(&m, VA, true), MMU_FAULT_GUEST_PF);
	const uint32_t f = X86_PTE_P | X86_PTE_W | X86_PTE_U;
	put32(PT_A, PAGE1 | f);                        /* handler: no A/D yet */
	mmu_prefill(&m);
	ck_assert(read_faults(m.window + VA));          /* would have set A: left alone */
	uint32_t pte;
	memcpy(&pte, m.ram + PT_A, 4);
	ck_assert_uint_eq(pte, PAGE1 | f);
	ck_assert_int_eq(mmu_fault_classify(&m, VA, true), MMU_FAULT_FILLED);   /* the retry */
	mmu_set_cr3(&m, PD_A);
	put32(PT_A + 4, 0);
	ck_assert_int_eq(mmu_fault_classify(&m, VA + BT_PAGE_SIZE, true), MMU_FAULT_GUEST_PF);
	put32(PT_A + 4, PAGE2 | f | X86_PTE_A | X86_PTE_D);   /* Linux maps anonymous pages A|D */
	mmu_prefill(&m);
	ck_assert(!write_faults(m.window + VA + BT_PAGE_SIZE));
	ck_assert_uint_eq(window32(VA + BT_PAGE_SIZE), 0x22222222);
	ck_assert_uint_eq(m.stats.prefills, 1);
}
END_TEST

static Suite *mmu_suite(void)
{
	Suite *s = suite_create("mmu");
	TCase *w = tcase_create("window");
	tcase_add_checked_fixture(w, setup, teardown);
	tcase_add_test(w, test_mmu_window_is_unmapped_until_first_touch);
	tcase_add_test(w, test_mmu_fill_maps_the_run_containing_the_address);
	tcase_add_test(w, test_mmu_address_past_ram_is_a_hole);
	tcase_add_test(w, test_mmu_spent_mapping_budget_resets_the_window);
	tcase_add_test(w, test_mmu_access_past_4g_is_a_wrap);
	suite_add_tcase(s, w);
	TCase *c = tcase_create("code_pages");
	tcase_add_checked_fixture(c, setup, teardown);
	tcase_add_test(c, test_mmu_code_page_is_read_only_and_reported);
	tcase_add_test(c, test_mmu_fill_keeps_code_pages_read_only);
	suite_add_tcase(s, c);
	TCase *a = tcase_create("monitor_access");
	tcase_add_checked_fixture(a, setup, teardown);
	tcase_add_test(a, test_mmu_write_gla_crosses_pages_and_reports_code_pages);
	tcase_add_test(a, test_mmu_access_without_ram_fails);
	tcase_add_test(a, test_mmu_rejects_impossible_sizes);
	suite_add_tcase(s, a);
	TCase *sp = tcase_create("spaces");
	tcase_add_checked_fixture(sp, setup, teardown);
	tcase_add_test(sp, test_space_switch_back_keeps_mappings);
	tcase_add_test(sp, test_space_pte_changed_while_away_is_dropped);
	tcase_add_test(sp, test_space_pde_changed_while_away_is_dropped);
	tcase_add_test(sp, test_space_cr3_reload_drops_changed_entries);
	tcase_add_test(sp, test_space_accessed_bit_clear_keeps_mapping);
	tcase_add_test(sp, test_space_lru_eviction);
	tcase_add_test(sp, test_space_budget_evicts_other_spaces_first);
	tcase_add_test(sp, test_prefill_maps_what_the_handler_mapped);
	suite_add_tcase(s, sp);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(mmu_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

/*
 * sysbench.c — the machine and the timing harness the system microbenchmark
 * kernels share (see sysbench.h): command line, TSS, paging, the way into
 * and out of CPL 3, the TSC's rate against PIT channel 2, and the median of
 * several timed repetitions printed on COM1.
 */
#include "sysbench.h"

#include "console.h"

#define PAGE_ALIGNED __attribute__((aligned(4096)))

volatile uint32_t sb_pd_a[1024] PAGE_ALIGNED, sb_pd_b[1024] PAGE_ALIGNED;
volatile uint32_t sb_pt_low[1024] PAGE_ALIGNED;
volatile uint32_t sb_pt_test_a[1024] PAGE_ALIGNED, sb_pt_test_b[1024] PAGE_ALIGNED;

/* Multiboot copies the command line somewhere in low memory; keep our own
 * copy so it stays readable whatever the page tables map. */
static char cmdline[256];

uint32_t sysbench_kstack_top(void)
{
	return (uint32_t)(user_kstack + sizeof(user_kstack));   /* the TSS's ESP0 (user.c) */
}

/* a / b for a quotient that fits in 32 bits (else all ones), without libgcc. */
static uint32_t div_u64(uint64_t a, uint32_t b)
{
	uint32_t hi = (uint32_t)(a >> 32), lo = (uint32_t)a, q;
	if (hi >= b)
		return 0xffffffffu;
	__asm__("divl %2" : "=a"(q), "+d"(hi) : "rm"(b), "0"(lo) : "cc");
	return q;
}

/* TSC ticks per millisecond, timed against 50 ms of PIT channel 2 (mode 0,
 * gate on through port 0x61, output polled in bit 5), as Linux calibrates. */
static uint32_t tsc_khz_from_pit(void)
{
	outb(0x61, (uint8_t)((inb(0x61) & ~0x02) | 0x01));
	outb(0x43, 0xb0);                  /* channel 2, lobyte/hibyte, mode 0 */
	outb(0x42, 59659 & 0xff);          /* 59659 / 1193182 Hz = 50 ms */
	outb(0x42, 59659 >> 8);
	uint64_t t0 = rdtsc();
	while (!(inb(0x61) & 0x20))
		;
	return div_u64(rdtsc() - t0, 50);
}

bool sysbench_arg(const struct sysbench_args *a, const char *key, uint32_t lo, uint32_t hi,
		  uint32_t *out)
{
	const char *s = a->cmdline;
	while (*s) {
		while (*s == ' ')
			s++;
		const char *k = key, *w = s;
		while (*k && *w == *k)
			k++, w++;
		if (*k || *w != '=') {
			while (*s && *s != ' ')
				s++;
			continue;
		}
		uint32_t v = 0;
		const char *d = w + 1;
		for (; *d >= '0' && *d <= '9'; d++) {
			if (v > 100000000u)
				break;
			v = v * 10 + (uint32_t)(*d - '0');
		}
		if (d == w + 1 || (*d && *d != ' ') || v < lo || v > hi) {
			console_printf("bench: bad command line word \"%s=...\": want %u to %u\n", key, lo, hi);
			return false;
		}
		*out = v;
		return true;
	}
	return true;
}

bool sysbench_start(uint32_t magic, const struct mb_info *info, struct sysbench_args *a)
{
	console_init();
	cmdline[0] = 0;
	if (magic == MB_BOOT_MAGIC && info && (info->flags & MB_INFO_CMDLINE)) {
		const char *c = (const char *)(uintptr_t)info->cmdline;
		unsigned i = 0;
		while (c[i] && i < sizeof(cmdline) - 1) {
			cmdline[i] = c[i];
			i++;
		}
		cmdline[i] = 0;
	}
	a->cmdline = cmdline;
	a->n = 1000;
	a->reps = 31;
	uint32_t pit = 0;
	if (!sysbench_arg(a, "n", 1, 100000000u, &a->n) ||
	    !sysbench_arg(a, "reps", 1, SB_MAX_REPS, &a->reps) ||
	    !sysbench_arg(a, "pit", 0, 1, &pit))
		return false;

	idt_init();
	pic_mask_all();
	user_init();                       /* TSS (SS0:ESP0) and the INT 0x81 way back */
	if (pit)
		console_printf("bench: tsc_khz_pit=%u\n", tsc_khz_from_pit());
	return true;
}

void sysbench_paging_on(bool global)
{
	uint32_t g = global ? PTE_G : 0;
	for (unsigned i = 0; i < 1024; i++) {
		sb_pt_low[i] = i * 4096 | PTE_P | PTE_W | PTE_U | g;
		sb_pt_test_a[i] = sb_pt_test_b[i] = 0;
	}
	for (unsigned i = 0; i < 1024; i++)
		sb_pd_a[i] = sb_pd_b[i] = 0;
	sb_pd_a[0] = sb_pd_b[0] = (uint32_t)sb_pt_low | PTE_P | PTE_W | PTE_U;
	sb_pd_a[SB_LIN_PDE] = (uint32_t)sb_pt_test_a | PTE_P | PTE_W | PTE_U;
	sb_pd_b[SB_LIN_PDE] = (uint32_t)sb_pt_test_b | PTE_P | PTE_W | PTE_U;
	write_cr3((uint32_t)sb_pd_a);
	if (global)
		write_cr4(read_cr4() | CR4_PGE);
	write_cr0(read_cr0() | CR0_PG | CR0_WP);
}

void sysbench_set_gate(unsigned vec, void (*entry)(void), unsigned dpl)
{
	struct { uint16_t limit; uint32_t base; } __attribute__((packed)) r;
	__asm__ volatile("sidt %0" : "=m"(r));
	volatile uint16_t *g = (volatile uint16_t *)(uintptr_t)(r.base + vec * 8);
	g[0] = (uint16_t)(uint32_t)entry;
	g[3] = (uint16_t)((uint32_t)entry >> 16);
	idt_set_gate(vec, 0, dpl);
}

/* The run in progress: what the user-mode trampoline times. */
static struct {
	sysbench_body body;
	uint32_t n, reps;
	uint64_t ticks[SB_MAX_REPS + 1];
} job;

static void time_job(void)
{
	for (uint32_t r = 0; r <= job.reps; r++)   /* ticks[0]: the warm-up */
		job.ticks[r] = job.body(job.n);
}

static void user_time_job(void)
{
	time_job();
	USER_EXIT();
}

uint32_t sysbench_measure(const char *name, sysbench_body body, unsigned cpl,
			  const struct sysbench_args *a)
{
	uint32_t per[SB_MAX_REPS] = { 0 };
	job.body = body;
	job.n = a->n;
	job.reps = a->reps;
	if (cpl == 3)
		run_user(user_time_job);   /* user.c: IRET with IF set, every PIC line masked */
	else
		time_job();
	for (uint32_t r = 0; r < a->reps; r++) {   /* insertion sort of the timed reps */
		uint32_t v = div_u64(job.ticks[r + 1], a->n), i = r;
		for (; i > 0 && per[i - 1] > v; i--)
			per[i] = per[i - 1];
		per[i] = v;
	}
	uint32_t med = per[a->reps / 2];
	if (!(a->reps & 1))
		med = (uint32_t)(((uint64_t)per[a->reps / 2 - 1] + med) / 2);
	console_printf("bench: %s cycles_per_op=%u n=%u reps=%u min=%u max=%u warmup=%u\n", name, med,
		       a->n, a->reps, per[0], per[a->reps - 1], div_u64(job.ticks[0], a->n));
	return med;
}

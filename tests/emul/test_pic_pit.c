/*
 * test_pic_pit.c — Check suite for the 8259A PIC pair and the 8254 PIT with
 * port 0x61 (src/emul/{pic8259,pit8254}.c).
 *
 * The devices are driven through their io_ops as the bus would call them,
 * with a fake clock (a variable the test advances), a fake INTR sink that
 * records notify calls and a fake IRQ line that counts rising edges, so every
 * test is deterministic. One TCase per concept.
 */
#include <check.h>
#include <stdlib.h>

#include "btmon/devices.h"

#define PIT_HZ 1193182ull

/* ---- fakes ---- */

struct fake_intr {
	bool level;
	unsigned calls;
};

static void fake_intr_notify(void *ctx, bool intr)
{
	struct fake_intr *f = ctx;
	f->level = intr;
	f->calls++;
}

struct fake_irq {
	int level;
	unsigned rises;         /* 0→1 transitions seen */
};

static void fake_irq_set(void *ctx, unsigned line, int level)
{
	struct fake_irq *f = ctx;
	(void)line;
	if (level && !f->level)
		f->rises++;
	f->level = level;
}

static uint64_t fake_now;

static uint64_t fake_clock_now(void *ctx)
{
	(void)ctx;
	return fake_now;
}

/* When PIT tick `ticks` after time 0 falls: ceil(ticks * 1e9 / f). */
static uint64_t tick_ns(uint64_t ticks)
{
	return (uint64_t)(((unsigned __int128)ticks * 1000000000u + PIT_HZ - 1) / PIT_HZ);
}

/* ---- PIC helpers ---- */

static struct fake_intr intr;
static struct pic *pic;

static void master_out(unsigned port, uint8_t v) { pic_master_ops.write(pic, (uint16_t)port, 1, v); }
static void slave_out(unsigned port, uint8_t v) { pic_slave_ops.write(pic, (uint16_t)port, 1, v); }
static uint8_t master_in(unsigned port) { return (uint8_t)pic_master_ops.read(pic, (uint16_t)port, 1); }
static uint8_t slave_in(unsigned port) { return (uint8_t)pic_slave_ops.read(pic, (uint16_t)port, 1); }

/* Initialise both chips as Linux does, with the given master ICW4, and unmask all. */
static void pic_setup_icw4(uint8_t icw4)
{
	master_out(0, 0x11);    /* ICW1: edge, cascade, ICW4 follows */
	master_out(1, 0x20);    /* ICW2: vectors 0x20-0x27 */
	master_out(1, 0x04);    /* ICW3: slave on IRQ 2 */
	master_out(1, icw4);
	slave_out(0, 0x11);
	slave_out(1, 0x28);     /* vectors 0x28-0x2f */
	slave_out(1, 0x02);     /* slave ID 2 */
	slave_out(1, icw4);
	master_out(1, 0x00);
	slave_out(1, 0x00);
}

static void pic_setup(void)
{
	intr = (struct fake_intr){ 0 };
	pic = pic_new(fake_intr_notify, &intr);
	ck_assert_ptr_nonnull(pic);
	pic_setup_icw4(0x01);
}

static void pic_teardown(void)
{
	pic_free(pic);
	pic = NULL;
}

static void raise_irq(unsigned irq)
{
	struct irq_line l = pic_irq_line(pic, irq);
	irq_line_set(&l, 1);
}

static void pulse_irq(unsigned irq)
{
	struct irq_line l = pic_irq_line(pic, irq);
	irq_line_set(&l, 1);
	irq_line_set(&l, 0);
}

static uint8_t master_isr(void)
{
	master_out(0, 0x0B);    /* OCW3: read ISR */
	uint8_t v = master_in(0);
	master_out(0, 0x0A);    /* back to IRR */
	return v;
}

static uint8_t slave_isr(void)
{
	slave_out(0, 0x0B);
	uint8_t v = slave_in(0);
	slave_out(0, 0x0A);
	return v;
}

/* ---- PIC: initialisation ---- */

START_TEST(test_pic_icw2_sets_vector_base)
{
	pulse_irq(1);
	ck_assert(pic_intr(pic));
	ck_assert_uint_eq(pic_acknowledge(pic), 0x21);
	master_out(0, 0x20);
	pulse_irq(10);
	ck_assert_uint_eq(pic_acknowledge(pic), 0x2A);
}
END_TEST

START_TEST(test_pic_starts_with_every_line_masked)
{
	struct fake_intr f = { 0 };
	struct pic *p = pic_new(fake_intr_notify, &f);
	struct irq_line l = pic_irq_line(p, 0);

	irq_line_set(&l, 1);
	ck_assert(!pic_intr(p));
	ck_assert_uint_eq(pic_master_ops.read(p, 1, 1), 0xFF);
	ck_assert_uint_eq(pic_slave_ops.read(p, 1, 1), 0xFF);
	pic_free(p);
}
END_TEST

START_TEST(test_pic_imr_reads_back_on_data_port)
{
	master_out(1, 0xB5);
	slave_out(1, 0x3C);
	ck_assert_uint_eq(master_in(1), 0xB5);
	ck_assert_uint_eq(slave_in(1), 0x3C);
}
END_TEST

/* ---- PIC: requests, masking and priority ---- */

START_TEST(test_pic_masked_line_does_not_raise_intr)
{
	master_out(1, 0x08);            /* mask IRQ 3 */
	pulse_irq(3);
	ck_assert(!pic_intr(pic));
	ck_assert_uint_eq(intr.calls, 0);
	ck_assert_uint_eq(master_in(0), 0x08);  /* IRR still latched the edge */
	master_out(1, 0x00);
	ck_assert(pic_intr(pic));
	ck_assert_uint_eq(pic_acknowledge(pic), 0x23);
}
END_TEST

START_TEST(test_pic_irr_latches_edge_after_line_drops)
{
	pulse_irq(5);
	ck_assert(pic_intr(pic));
	ck_assert_uint_eq(pic_acknowledge(pic), 0x25);
	raise_irq(6);
	ck_assert_uint_eq(master_in(0), 0x40);
	raise_irq(6);                   /* still high: no new edge */
	master_out(0, 0x20);
	ck_assert_uint_eq(pic_acknowledge(pic), 0x26);
	master_out(0, 0x20);
	ck_assert(!pic_intr(pic));
}
END_TEST

START_TEST(test_pic_lower_priority_waits_for_eoi)
{
	pulse_irq(1);
	ck_assert_uint_eq(pic_acknowledge(pic), 0x21);
	pulse_irq(4);
	ck_assert(!pic_intr(pic));
	pulse_irq(0);                   /* higher than IRQ 1: nests */
	ck_assert(pic_intr(pic));
	ck_assert_uint_eq(pic_acknowledge(pic), 0x20);
	master_out(0, 0x20);
	master_out(0, 0x20);
	ck_assert(pic_intr(pic));
	ck_assert_uint_eq(pic_acknowledge(pic), 0x24);
}
END_TEST

START_TEST(test_pic_notify_called_on_intr_change)
{
	pulse_irq(3);
	ck_assert_uint_eq(intr.calls, 1);
	ck_assert(intr.level);
	pulse_irq(5);                   /* INTR already high: no call */
	ck_assert_uint_eq(intr.calls, 1);
	pic_acknowledge(pic);           /* IRQ 5 is blocked by IRQ 3 in service */
	ck_assert_uint_eq(intr.calls, 2);
	ck_assert(!intr.level);
	master_out(0, 0x20);
	ck_assert_uint_eq(intr.calls, 3);
	ck_assert(intr.level);
	ck_assert_uint_eq(pic_acknowledge(pic), 0x25);
	ck_assert(!intr.level);
}
END_TEST

/* ---- PIC: end of interrupt and rotation ---- */

START_TEST(test_pic_eoi_nested_clears_highest_isr)
{
	pulse_irq(3);
	ck_assert_uint_eq(pic_acknowledge(pic), 0x23);
	pulse_irq(1);
	ck_assert_uint_eq(pic_acknowledge(pic), 0x21);
	ck_assert_uint_eq(master_isr(), 0x0A);
	master_out(0, 0x20);            /* non-specific EOI */
	ck_assert_uint_eq(master_isr(), 0x08);
	master_out(0, 0x20);
	ck_assert_uint_eq(master_isr(), 0x00);
}
END_TEST

START_TEST(test_pic_specific_eoi_clears_named_level)
{
	pulse_irq(3);
	pic_acknowledge(pic);
	pulse_irq(1);
	pic_acknowledge(pic);
	master_out(0, 0x63);            /* specific EOI, level 3 */
	ck_assert_uint_eq(master_isr(), 0x02);
}
END_TEST

START_TEST(test_pic_rotate_on_eoi_makes_serviced_irq_lowest)
{
	pulse_irq(0);
	pic_acknowledge(pic);
	master_out(0, 0xA0);            /* rotate on non-specific EOI: IRQ 0 lowest */
	pulse_irq(0);
	pulse_irq(5);
	ck_assert_uint_eq(pic_acknowledge(pic), 0x25);
	master_out(0, 0xC4);            /* set priority: IRQ 4 lowest, so 5 highest */
	master_out(0, 0x20);
	ck_assert_uint_eq(pic_acknowledge(pic), 0x20);
}
END_TEST

START_TEST(test_pic_auto_eoi)
{
	pic_setup_icw4(0x03);           /* 8086 mode, auto-EOI */
	pulse_irq(1);
	pulse_irq(4);
	ck_assert_uint_eq(pic_acknowledge(pic), 0x21);
	ck_assert_uint_eq(master_isr(), 0x00);
	ck_assert(pic_intr(pic));       /* IRQ 4 is not blocked: nothing in service */
	ck_assert_uint_eq(pic_acknowledge(pic), 0x24);
	ck_assert(!pic_intr(pic));
}
END_TEST

/* ---- PIC: status reads and poll ---- */

START_TEST(test_pic_ocw3_reads_isr)
{
	pulse_irq(6);
	pic_acknowledge(pic);
	pulse_irq(7);
	ck_assert_uint_eq(master_in(0), 0x80);  /* IRR by default */
	master_out(0, 0x0B);
	ck_assert_uint_eq(master_in(0), 0x40);
	ck_assert_uint_eq(master_in(0), 0x40);  /* the selection sticks */
	master_out(0, 0x0A);
	ck_assert_uint_eq(master_in(0), 0x80);
}
END_TEST

START_TEST(test_pic_poll_command_acknowledges_highest_request)
{
	pulse_irq(6);
	pulse_irq(3);
	master_out(0, 0x0C);            /* OCW3: poll */
	ck_assert_uint_eq(master_in(0), 0x83);
	ck_assert_uint_eq(master_isr(), 0x08);
	master_out(0, 0x0C);
	ck_assert_uint_eq(master_in(0), 0x00);  /* IRQ 6 is below the one in service */
	ck_assert_uint_eq(master_in(0), 0x40);  /* one-shot: back to IRR */
}
END_TEST

/* ---- PIC: cascade and spurious interrupts ---- */

START_TEST(test_pic_slave_irq_delivers_through_master_irq2)
{
	pulse_irq(12);
	ck_assert(pic_intr(pic));
	ck_assert_uint_eq(master_in(0), 0x04);
	ck_assert_uint_eq(pic_acknowledge(pic), 0x2C);
	ck_assert_uint_eq(master_isr(), 0x04);
	ck_assert_uint_eq(slave_isr(), 0x10);
	pulse_irq(9);                   /* higher on the slave, but IRQ 2 is in service */
	ck_assert(!pic_intr(pic));
	slave_out(0, 0x20);
	master_out(0, 0x20);
	ck_assert(pic_intr(pic));
	ck_assert_uint_eq(pic_acknowledge(pic), 0x29);
}
END_TEST

START_TEST(test_pic_irq2_line_is_routed_to_irq9)
{
	pulse_irq(2);
	ck_assert_uint_eq(pic_acknowledge(pic), 0x29);
}
END_TEST

START_TEST(test_pic_spurious_irq7_when_request_vanishes)
{
	pulse_irq(3);
	ck_assert(pic_intr(pic));
	master_out(1, 0x08);            /* masked between INTR and INTA */
	ck_assert(!pic_intr(pic));
	ck_assert_uint_eq(pic_acknowledge(pic), 0x27);
	ck_assert_uint_eq(master_isr(), 0x00);
}
END_TEST

START_TEST(test_pic_slave_spurious_gives_irq15_and_sets_master_isr2)
{
	pulse_irq(12);
	slave_out(1, 0x10);             /* the slave's request vanishes... */
	ck_assert(pic_intr(pic));       /* ...but the master latched the cascade edge */
	ck_assert_uint_eq(pic_acknowledge(pic), 0x2F);
	ck_assert_uint_eq(master_isr(), 0x04);
	ck_assert_uint_eq(slave_isr(), 0x00);
}
END_TEST

START_TEST(test_pic_slave_auto_eoi_keeps_second_request)
{
	pic_setup_icw4(0x03);
	pulse_irq(9);
	pulse_irq(10);
	ck_assert_uint_eq(pic_acknowledge(pic), 0x29);
	ck_assert(pic_intr(pic));       /* slave INT stays up: master must see it again */
	ck_assert_uint_eq(pic_acknowledge(pic), 0x2A);
	ck_assert(!pic_intr(pic));
}
END_TEST

/* ---- PIT helpers ---- */

static struct fake_irq irq0;
static struct pit *pit;

static void pit_out8(unsigned port, uint8_t v) { pit_ops.write(pit, (uint16_t)port, 1, v); }
static uint8_t pit_in8(unsigned port) { return (uint8_t)pit_ops.read(pit, (uint16_t)port, 1); }
static uint8_t port61_in(void) { return (uint8_t)port61_ops.read(pit, 0, 1); }
static void port61_out(uint8_t v) { port61_ops.write(pit, 0, 1, v); }

/* Program channel `ch` in `mode`, word access, with count `n`. */
static void pit_program(unsigned ch, unsigned mode, uint16_t n)
{
	pit_out8(3, (uint8_t)(ch << 6 | 0x30 | mode << 1));
	pit_out8(ch, (uint8_t)n);
	pit_out8(ch, (uint8_t)(n >> 8));
}

static uint16_t pit_read_word(unsigned ch)
{
	uint8_t lo = pit_in8(ch);
	return (uint16_t)(lo | pit_in8(ch) << 8);
}

static void pit_setup(void)
{
	irq0 = (struct fake_irq){ 0 };
	fake_now = 1000;        /* not zero: catches code that assumes t = 0 */
	pit = pit_new((struct clock){ .now_ns = fake_clock_now },
		      (struct irq_line){ .set = fake_irq_set, .ctx = &irq0 });
	ck_assert_ptr_nonnull(pit);
}

static void pit_teardown(void)
{
	pit_free(pit);
	pit = NULL;
}

/* ---- PIT: channel 0 and IRQ 0 ---- */

START_TEST(test_pit_unprogrammed_counter_never_fires)
{
	ck_assert_uint_eq(pit_update(pit), UINT64_MAX);
	fake_now += 1000000000;
	ck_assert_uint_eq(pit_update(pit), UINT64_MAX);
	ck_assert_uint_eq(irq0.rises, 0);
}
END_TEST

START_TEST(test_pit_mode2_raises_irq0_every_period)
{
	const uint64_t t0 = fake_now, n = 1193;

	pit_program(0, 2, (uint16_t)n);
	for (uint64_t k = 1; k <= 5; k++) {
		fake_now = t0 + tick_ns(k * n) - 1;
		pit_update(pit);
		ck_assert_uint_eq(irq0.rises, k - 1);
		fake_now++;
		pit_update(pit);
		ck_assert_uint_eq(irq0.rises, k);
		ck_assert_int_eq(irq0.level, 0);        /* a pulse: the line rests low */
	}
}
END_TEST

START_TEST(test_pit_update_returns_next_edge)
{
	const uint64_t t0 = fake_now, n = 11932;

	pit_program(0, 2, (uint16_t)n);
	ck_assert_uint_eq(pit_update(pit), t0 + tick_ns(n));
	fake_now = t0 + tick_ns(n);
	ck_assert_uint_eq(pit_update(pit), t0 + tick_ns(2 * n));
	ck_assert_uint_eq(irq0.rises, 1);
}
END_TEST

START_TEST(test_pit_long_gap_coalesces_ticks)
{
	const uint64_t t0 = fake_now, n = 1193;

	pit_program(0, 2, (uint16_t)n);
	fake_now = t0 + tick_ns(1000 * n + 5);  /* a thousand periods late */
	ck_assert_uint_eq(pit_update(pit), t0 + tick_ns(1001 * n));
	ck_assert_uint_eq(irq0.rises, 1);
	ck_assert_uint_eq(pit_update(pit), t0 + tick_ns(1001 * n));
	ck_assert_uint_eq(irq0.rises, 1);
}
END_TEST

START_TEST(test_pit_mode0_fires_once)
{
	const uint64_t t0 = fake_now, n = 5000;

	pit_program(0, 0, (uint16_t)n);
	ck_assert_uint_eq(pit_update(pit), t0 + tick_ns(n));
	fake_now = t0 + tick_ns(n);
	ck_assert_uint_eq(pit_update(pit), UINT64_MAX);
	ck_assert_uint_eq(irq0.rises, 1);
	fake_now += tick_ns(200000);
	ck_assert_uint_eq(pit_update(pit), UINT64_MAX);
	ck_assert_uint_eq(irq0.rises, 1);
}
END_TEST

START_TEST(test_pit_mode4_rewritten_count_retriggers_oneshot)
{
	uint64_t t0 = fake_now;

	pit_out8(3, 0x38);              /* channel 0, word, mode 4: Linux one-shot */
	pit_out8(0, 100);
	pit_out8(0, 0);
	ck_assert_uint_eq(pit_update(pit), t0 + tick_ns(101));
	fake_now = t0 + tick_ns(50);
	t0 = fake_now;
	pit_out8(0, 200);
	pit_out8(0, 0);
	ck_assert_uint_eq(pit_update(pit), t0 + tick_ns(201));
	fake_now = t0 + tick_ns(201);
	ck_assert_uint_eq(pit_update(pit), UINT64_MAX);
	ck_assert_uint_eq(irq0.rises, 1);
}
END_TEST

START_TEST(test_pit_count_zero_means_65536)
{
	const uint64_t t0 = fake_now;

	pit_program(0, 2, 0);
	ck_assert_uint_eq(pit_update(pit), t0 + tick_ns(65536));
	ck_assert_uint_eq(pit_read_word(0), 0);
	fake_now = t0 + tick_ns(1);
	ck_assert_uint_eq(pit_read_word(0), 0xFFFF);
}
END_TEST

/* ---- PIT: counter access ---- */

START_TEST(test_pit_latch_command_freezes_count)
{
	const uint64_t t0 = fake_now;

	pit_program(0, 2, 10000);
	fake_now = t0 + tick_ns(100);
	pit_out8(3, 0x00);              /* latch channel 0 */
	fake_now = t0 + tick_ns(300);
	pit_out8(3, 0x00);              /* ignored: the first latch is unread */
	ck_assert_uint_eq(pit_read_word(0), 10000 - 100);
	ck_assert_uint_eq(pit_read_word(0), 10000 - 300);  /* live again */
}
END_TEST

START_TEST(test_pit_lohi_access_toggles)
{
	const uint64_t t0 = fake_now;

	pit_out8(3, 0x34);              /* channel 0, word, mode 2 */
	pit_out8(0, 0x34);
	ck_assert_uint_eq(pit_update(pit), UINT64_MAX);     /* half a count: not loaded */
	pit_out8(0, 0x12);
	ck_assert_uint_eq(pit_in8(0), 0x34);
	ck_assert_uint_eq(pit_in8(0), 0x12);
	fake_now = t0 + tick_ns(0x10);
	ck_assert_uint_eq(pit_in8(0), 0x24);
	ck_assert_uint_eq(pit_in8(0), 0x12);

	pit_out8(3, 0x54);              /* channel 1, LSB only, mode 2 */
	pit_out8(1, 0x80);
	ck_assert_uint_eq(pit_in8(1), 0x80);
	ck_assert_uint_eq(pit_in8(1), 0x80);
	pit_out8(3, 0x64);              /* channel 1, MSB only */
	pit_out8(1, 0x02);
	ck_assert_uint_eq(pit_in8(1), 0x02);
}
END_TEST

START_TEST(test_pit_readback_status_reports_mode_and_output)
{
	const uint64_t t0 = fake_now;

	pit_out8(3, 0x34);
	pit_out8(3, 0xE2);              /* read back status of channel 0 */
	ck_assert_uint_eq(pit_in8(0), 0x80 | 0x40 | 0x34);  /* OUT high, null count */
	pit_out8(0, 0x00);
	pit_out8(0, 0x01);
	pit_out8(3, 0xE2);
	ck_assert_uint_eq(pit_in8(0), 0x80 | 0x34);

	port61_out(0x01);
	pit_program(2, 0, 1000);
	pit_out8(3, 0xC8);              /* count and status of channel 2 */
	ck_assert_uint_eq(pit_in8(2), 0x30);                /* OUT low, mode 0 */
	ck_assert_uint_eq(pit_read_word(2), 1000);
	fake_now = t0 + tick_ns(1000);
	pit_out8(3, 0xE8);
	ck_assert_uint_eq(pit_in8(2), 0x80 | 0x30);
}
END_TEST

/* ---- PIT: channel 2 and port 0x61 ---- */

START_TEST(test_pit_channel2_gate_and_output_on_port61)
{
	const uint16_t n = 59659;       /* Linux's 50 ms calibration latch */

	port61_out(0x01);               /* gate high, speaker off */
	ck_assert_uint_eq(port61_in() & 0x03, 0x01);
	pit_out8(3, 0xB0);              /* channel 2, word, mode 0 */
	pit_out8(2, n & 0xFF);
	pit_out8(2, n >> 8);
	const uint64_t t0 = fake_now;
	ck_assert_uint_eq(port61_in() & 0x20, 0);
	fake_now = t0 + tick_ns(n) - 1;
	ck_assert_uint_eq(port61_in() & 0x20, 0);
	fake_now = t0 + tick_ns(n);
	ck_assert_uint_eq(port61_in() & 0x20, 0x20);
	ck_assert_uint_eq(irq0.rises, 0);       /* channel 2 is not IRQ 0 */
}
END_TEST

START_TEST(test_pit_channel2_gate_low_pauses_mode0)
{
	const uint64_t t0 = fake_now;

	port61_out(0x01);
	pit_program(2, 0, 1000);
	fake_now = t0 + tick_ns(400);
	port61_out(0x00);
	fake_now = t0 + tick_ns(5000);
	ck_assert_uint_eq(pit_read_word(2), 600);
	ck_assert_uint_eq(port61_in() & 0x20, 0);
	const uint64_t t1 = fake_now;
	port61_out(0x01);
	fake_now = t1 + tick_ns(600) - 1;
	ck_assert_uint_eq(port61_in() & 0x20, 0);
	fake_now = t1 + tick_ns(600);
	ck_assert_uint_eq(port61_in() & 0x20, 0x20);
}
END_TEST

START_TEST(test_pit_mode3_square_wave_output)
{
	static const struct { uint64_t tick; bool out; } even[] = {
		{ 0, true }, { 49, true }, { 50, false }, { 99, false }, { 100, true }, { 150, false },
	}, odd[] = {
		{ 0, true }, { 50, true }, { 51, false }, { 100, false }, { 101, true },
	};

	port61_out(0x01);
	uint64_t t0 = fake_now;
	pit_program(2, 3, 100);
	for (size_t i = 0; i < sizeof(even) / sizeof(even[0]); i++) {
		fake_now = t0 + tick_ns(even[i].tick);
		ck_assert_uint_eq(!!(port61_in() & 0x20), even[i].out);
	}
	fake_now = t0 + tick_ns(10);
	ck_assert_uint_eq(pit_read_word(2), 80);        /* decrements by two */
	t0 = fake_now;
	pit_program(2, 3, 101);
	for (size_t i = 0; i < sizeof(odd) / sizeof(odd[0]); i++) {
		fake_now = t0 + tick_ns(odd[i].tick);
		ck_assert_uint_eq(!!(port61_in() & 0x20), odd[i].out);
	}
}
END_TEST

START_TEST(test_pit_port61_refresh_bit_toggles_with_time)
{
	fake_now = 0;
	uint8_t a = port61_in() & 0x10;
	fake_now = tick_ns(18);
	uint8_t b = port61_in() & 0x10;
	fake_now = tick_ns(36);
	uint8_t c = port61_in() & 0x10;
	ck_assert_uint_ne(a, b);
	ck_assert_uint_eq(a, c);
	port61_out(0x03);
	ck_assert_uint_eq(port61_in() & 0x0F, 0x03);    /* speaker enable is stored */
}
END_TEST

/* ---- suite ---- */

static TCase *tcase_with(const char *name, bool pic_fixture)
{
	TCase *tc = tcase_create(name);
	if (pic_fixture)
		tcase_add_checked_fixture(tc, pic_setup, pic_teardown);
	else
		tcase_add_checked_fixture(tc, pit_setup, pit_teardown);
	return tc;
}

static Suite *pic_pit_suite(void)
{
	Suite *s = suite_create("pic_pit");
	TCase *tc;

	tc = tcase_with("pic_init", true);
	tcase_add_test(tc, test_pic_icw2_sets_vector_base);
	tcase_add_test(tc, test_pic_starts_with_every_line_masked);
	tcase_add_test(tc, test_pic_imr_reads_back_on_data_port);
	suite_add_tcase(s, tc);

	tc = tcase_with("pic_requests", true);
	tcase_add_test(tc, test_pic_masked_line_does_not_raise_intr);
	tcase_add_test(tc, test_pic_irr_latches_edge_after_line_drops);
	tcase_add_test(tc, test_pic_lower_priority_waits_for_eoi);
	tcase_add_test(tc, test_pic_notify_called_on_intr_change);
	suite_add_tcase(s, tc);

	tc = tcase_with("pic_eoi", true);
	tcase_add_test(tc, test_pic_eoi_nested_clears_highest_isr);
	tcase_add_test(tc, test_pic_specific_eoi_clears_named_level);
	tcase_add_test(tc, test_pic_rotate_on_eoi_makes_serviced_irq_lowest);
	tcase_add_test(tc, test_pic_auto_eoi);
	suite_add_tcase(s, tc);

	tc = tcase_with("pic_status", true);
	tcase_add_test(tc, test_pic_ocw3_reads_isr);
	tcase_add_test(tc, test_pic_poll_command_acknowledges_highest_request);
	suite_add_tcase(s, tc);

	tc = tcase_with("pic_cascade", true);
	tcase_add_test(tc, test_pic_slave_irq_delivers_through_master_irq2);
	tcase_add_test(tc, test_pic_irq2_line_is_routed_to_irq9);
	tcase_add_test(tc, test_pic_spurious_irq7_when_request_vanishes);
	tcase_add_test(tc, test_pic_slave_spurious_gives_irq15_and_sets_master_isr2);
	tcase_add_test(tc, test_pic_slave_auto_eoi_keeps_second_request);
	suite_add_tcase(s, tc);

	tc = tcase_with("pit_irq0", false);
	tcase_add_test(tc, test_pit_unprogrammed_counter_never_fires);
	tcase_add_test(tc, test_pit_mode2_raises_irq0_every_period);
	tcase_add_test(tc, test_pit_update_returns_next_edge);
	tcase_add_test(tc, test_pit_long_gap_coalesces_ticks);
	tcase_add_test(tc, test_pit_mode0_fires_once);
	tcase_add_test(tc, test_pit_mode4_rewritten_count_retriggers_oneshot);
	tcase_add_test(tc, test_pit_count_zero_means_65536);
	suite_add_tcase(s, tc);

	tc = tcase_with("pit_access", false);
	tcase_add_test(tc, test_pit_latch_command_freezes_count);
	tcase_add_test(tc, test_pit_lohi_access_toggles);
	tcase_add_test(tc, test_pit_readback_status_reports_mode_and_output);
	suite_add_tcase(s, tc);

	tc = tcase_with("pit_port61", false);
	tcase_add_test(tc, test_pit_channel2_gate_and_output_on_port61);
	tcase_add_test(tc, test_pit_channel2_gate_low_pauses_mode0);
	tcase_add_test(tc, test_pit_mode3_square_wave_output);
	tcase_add_test(tc, test_pit_port61_refresh_bit_toggles_with_time);
	suite_add_tcase(s, tc);

	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(pic_pit_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

/*
 * test_rtc8042pci.c — Check suite for the CMOS RTC, the i8042 keyboard
 * controller and the PCI configuration ports
 * (src/emul/{rtc146818,i8042,pci_host}.c).
 *
 * Devices are driven through their io_ops exactly as the bus would call them.
 * The clock is a variable the tests advance, the wall time a variable read when
 * the RTC is created, and the IRQ lines record their level and rising edges, so
 * every test is deterministic. One TCase per device concept.
 */
#include <check.h>
#include <stdlib.h>

#include "btmon/devices.h"

/* ---- fakes ---- */

static uint64_t fake_now_ns;
static int64_t fake_wall;

static uint64_t fake_clock_now(void *ctx)
{
	(void)ctx;
	return fake_now_ns;
}

static int64_t fake_wall_seconds(void *ctx)
{
	(void)ctx;
	return fake_wall;
}

struct fake_irq {
	int level;
	unsigned rises;                 /* 0 -> 1 transitions */
};

static void fake_irq_set(void *ctx, unsigned line, int level)
{
	struct fake_irq *i = ctx;
	(void)line;
	if (level && !i->level)
		i->rises++;
	i->level = level;
}

static unsigned fake_resets;

static void fake_request_reset(void *ctx)
{
	(void)ctx;
	fake_resets++;
}

#define MS 1000000ull
#define SEC 1000000000ull

/* ---- RTC fixture: created at 2024-02-29 13:45:30 UTC (a Thursday), clock 5 s ---- */

enum { SEC_REG = 0, SEC_ALARM = 1, MIN_REG = 2, MIN_ALARM = 3, HOUR_REG = 4, HOUR_ALARM = 5,
       WDAY_REG = 6, MDAY_REG = 7, MON_REG = 8, YEAR_REG = 9,
       REG_A = 0x0A, REG_B = 0x0B, REG_C = 0x0C, REG_D = 0x0D, CENTURY_REG = 0x32 };

#define FIXTURE_WALL 1709214330
#define T0 (5 * SEC)

static struct rtc *rtc;
static struct fake_irq irq8;

static void rtc_start(int64_t wall)
{
	fake_now_ns = T0;
	fake_wall = wall;
	irq8 = (struct fake_irq){ 0 };
	rtc = rtc_new((struct clock){ fake_clock_now, NULL }, fake_wall_seconds, NULL,
		      (struct irq_line){ fake_irq_set, &irq8, 8 });
	ck_assert_ptr_nonnull(rtc);
}

static void rtc_setup(void)
{
	rtc_start(FIXTURE_WALL);
}

static void rtc_teardown(void)
{
	rtc_free(rtc);
	rtc = NULL;
}

static uint8_t cmos_read(uint8_t index)
{
	rtc_ops.write(rtc, 0, 1, index);
	return (uint8_t)rtc_ops.read(rtc, 1, 1);
}

static void cmos_write(uint8_t index, uint8_t value)
{
	rtc_ops.write(rtc, 0, 1, index);
	rtc_ops.write(rtc, 1, 1, value);
}

/* ---- RTC: time registers ---- */

START_TEST(test_rtc_reads_wall_time_in_bcd)
{
	ck_assert_uint_eq(cmos_read(SEC_REG), 0x30);
	ck_assert_uint_eq(cmos_read(MIN_REG), 0x45);
	ck_assert_uint_eq(cmos_read(HOUR_REG), 0x13);
	ck_assert_uint_eq(cmos_read(WDAY_REG), 5);      /* Thursday, 1 = Sunday */
	ck_assert_uint_eq(cmos_read(MDAY_REG), 0x29);
	ck_assert_uint_eq(cmos_read(MON_REG), 0x02);
	ck_assert_uint_eq(cmos_read(YEAR_REG), 0x24);
}
END_TEST

START_TEST(test_rtc_binary_mode)
{
	cmos_write(REG_B, 0x06);                        /* 24 h, DM = binary */
	ck_assert_uint_eq(cmos_read(SEC_REG), 30);
	ck_assert_uint_eq(cmos_read(MIN_REG), 45);
	ck_assert_uint_eq(cmos_read(HOUR_REG), 13);
	ck_assert_uint_eq(cmos_read(MDAY_REG), 29);
	ck_assert_uint_eq(cmos_read(YEAR_REG), 24);
}
END_TEST

START_TEST(test_rtc_12_hour_mode_sets_pm_bit)
{
	cmos_write(REG_B, 0x00);                        /* 12 h, BCD */
	ck_assert_uint_eq(cmos_read(HOUR_REG), 0x81);   /* 1 PM */
	cmos_write(REG_B, 0x04);                        /* 12 h, binary */
	ck_assert_uint_eq(cmos_read(HOUR_REG), 0x81);
}
END_TEST

START_TEST(test_rtc_12_hour_mode_shows_midnight_as_12_am)
{
	rtc_free(rtc);
	rtc_start(FIXTURE_WALL - 13 * 3600);            /* 00:45:30 */
	cmos_write(REG_B, 0x00);
	ck_assert_uint_eq(cmos_read(HOUR_REG), 0x12);
}
END_TEST

START_TEST(test_rtc_seconds_advance_with_the_clock)
{
	fake_now_ns = T0 + 29 * SEC + 999 * MS;
	ck_assert_uint_eq(cmos_read(SEC_REG), 0x59);
	fake_now_ns = T0 + 30 * SEC;
	ck_assert_uint_eq(cmos_read(SEC_REG), 0x00);
	ck_assert_uint_eq(cmos_read(MIN_REG), 0x46);
}
END_TEST

START_TEST(test_rtc_rolls_over_into_new_century)
{
	rtc_free(rtc);
	rtc_start(946684799);                           /* 1999-12-31 23:59:59 */
	ck_assert_uint_eq(cmos_read(CENTURY_REG), 0x19);
	fake_now_ns = T0 + SEC;
	ck_assert_uint_eq(cmos_read(YEAR_REG), 0x00);
	ck_assert_uint_eq(cmos_read(CENTURY_REG), 0x20);
	ck_assert_uint_eq(cmos_read(MON_REG), 0x01);
	ck_assert_uint_eq(cmos_read(MDAY_REG), 0x01);
	ck_assert_uint_eq(cmos_read(HOUR_REG), 0x00);
	ck_assert_uint_eq(cmos_read(WDAY_REG), 7);      /* Saturday */
}
END_TEST

START_TEST(test_rtc_century_register)
{
	ck_assert_uint_eq(cmos_read(CENTURY_REG), 0x20);
	cmos_write(REG_B, 0x06);
	ck_assert_uint_eq(cmos_read(CENTURY_REG), 20);
}
END_TEST

START_TEST(test_rtc_set_bit_freezes_and_guest_time_sticks)
{
	cmos_write(REG_B, 0x82);                        /* SET, 24 h, BCD */
	fake_now_ns += 5 * SEC;
	ck_assert_uint_eq(cmos_read(SEC_REG), 0x30);    /* frozen */
	cmos_write(YEAR_REG, 0x30);
	cmos_write(MON_REG, 0x12);
	cmos_write(MDAY_REG, 0x25);
	cmos_write(HOUR_REG, 0x08);
	cmos_write(MIN_REG, 0x00);
	cmos_write(SEC_REG, 0x00);
	fake_now_ns += 3 * SEC;
	ck_assert_uint_eq(cmos_read(MIN_REG), 0x00);
	cmos_write(REG_B, 0x02);                        /* clear SET: the time runs from here */
	ck_assert_uint_eq(cmos_read(SEC_REG), 0x00);
	ck_assert_uint_eq(cmos_read(YEAR_REG), 0x30);
	fake_now_ns += 61 * SEC;
	ck_assert_uint_eq(cmos_read(SEC_REG), 0x01);
	ck_assert_uint_eq(cmos_read(MIN_REG), 0x01);
	ck_assert_uint_eq(cmos_read(HOUR_REG), 0x08);
	ck_assert_uint_eq(cmos_read(MDAY_REG), 0x25);
	ck_assert_uint_eq(cmos_read(MON_REG), 0x12);
	ck_assert_uint_eq(cmos_read(WDAY_REG), 4);      /* 2030-12-25 is a Wednesday */
}
END_TEST

START_TEST(test_rtc_write_while_running_keeps_second_phase)
{
	fake_now_ns = T0 + 400 * MS;
	cmos_write(MIN_REG, 0x10);
	ck_assert_uint_eq(cmos_read(MIN_REG), 0x10);
	ck_assert_uint_eq(cmos_read(SEC_REG), 0x30);
	fake_now_ns = T0 + SEC;                         /* the old boundary still ticks */
	ck_assert_uint_eq(cmos_read(SEC_REG), 0x31);
}
END_TEST

/* ---- RTC: status registers ---- */

START_TEST(test_rtc_uip_set_just_before_second_boundary)
{
	fake_now_ns = T0 + 500 * MS;
	ck_assert_uint_eq(cmos_read(REG_A) & 0x80, 0);
	fake_now_ns = T0 + SEC - 300000;                /* 300 us before: not yet */
	ck_assert_uint_eq(cmos_read(REG_A) & 0x80, 0);
	fake_now_ns = T0 + SEC - 100000;                /* 100 us before */
	ck_assert_uint_eq(cmos_read(REG_A), 0x80 | 0x26);
	ck_assert_uint_eq(cmos_read(SEC_REG), 0x30);    /* registers still valid */
	fake_now_ns = T0 + SEC + 1000;
	ck_assert_uint_eq(cmos_read(REG_A) & 0x80, 0);
	ck_assert_uint_eq(cmos_read(SEC_REG), 0x31);
}
END_TEST

START_TEST(test_rtc_uip_stays_clear_while_set)
{
	cmos_write(REG_B, 0x82);
	fake_now_ns = T0 + SEC - 100000;
	ck_assert_uint_eq(cmos_read(REG_A) & 0x80, 0);
}
END_TEST

START_TEST(test_rtc_status_d_reports_valid_time)
{
	ck_assert_uint_eq(cmos_read(REG_D), 0x80);
	cmos_write(REG_D, 0x00);
	ck_assert_uint_eq(cmos_read(REG_D), 0x80);
}
END_TEST

START_TEST(test_rtc_cmos_ram_reads_back)
{
	cmos_write(0x40, 0xA5);
	ck_assert_uint_eq(cmos_read(0x40), 0xA5);
	ck_assert_uint_eq(cmos_read(0x80 | 0x40), 0xA5);        /* bit 7: NMI mask only */
	rtc_set_cmos(rtc, 0x30, 0x12);                          /* extended memory size */
	rtc_set_cmos(rtc, 0x31, 0x34);
	ck_assert_uint_eq(cmos_read(0x30), 0x12);
	ck_assert_uint_eq(cmos_read(0x31), 0x34);
	cmos_write(0x7F, 0x5A);
	ck_assert_uint_eq(cmos_read(0x7F), 0x5A);
}
END_TEST

/* ---- RTC: interrupts ---- */

START_TEST(test_rtc_periodic_interrupt_at_1024hz_sets_pf_and_irq8)
{
	cmos_write(REG_B, 0x42);                        /* PIE, 24 h; A = 0x26: 1024 Hz */
	ck_assert_uint_eq(rtc_update(rtc), T0 + 976563);        /* 1/1024 s = 976562.5 ns */
	fake_now_ns = T0 + 976562;
	rtc_update(rtc);
	ck_assert_int_eq(irq8.level, 0);
	fake_now_ns = T0 + 976563;
	rtc_update(rtc);
	ck_assert_int_eq(irq8.level, 1);
	ck_assert_uint_eq(cmos_read(REG_C), 0x80 | 0x40);       /* IRQF | PF */
}
END_TEST

START_TEST(test_rtc_reading_c_clears_flags_and_lowers_irq)
{
	cmos_write(REG_B, 0x42);
	fake_now_ns = T0 + MS;
	rtc_update(rtc);
	ck_assert_int_eq(irq8.level, 1);
	ck_assert_uint_eq(cmos_read(REG_C) & 0xC0, 0xC0);
	ck_assert_int_eq(irq8.level, 0);
	ck_assert_uint_eq(cmos_read(REG_C), 0x00);
	fake_now_ns += MS;                              /* the next tick raises it again */
	rtc_update(rtc);
	ck_assert_int_eq(irq8.level, 1);
	ck_assert_uint_eq(irq8.rises, 2);
}
END_TEST

START_TEST(test_rtc_flags_rise_without_interrupts_enabled)
{
	fake_now_ns = T0 + SEC;
	ck_assert_uint_eq(cmos_read(REG_C), 0x40 | 0x10);       /* PF | UF, no IRQF */
	ck_assert_int_eq(irq8.level, 0);
}
END_TEST

START_TEST(test_rtc_enabling_interrupt_with_flag_pending_raises_irq8)
{
	fake_now_ns = T0 + SEC;
	rtc_update(rtc);                                /* UF now pending */
	ck_assert_int_eq(irq8.level, 0);
	cmos_write(REG_B, 0x12);                        /* UIE */
	ck_assert_int_eq(irq8.level, 1);
}
END_TEST

START_TEST(test_rtc_update_interrupt_fires_at_second_boundary)
{
	cmos_write(REG_A, 0x20);                        /* no periodic rate */
	cmos_write(REG_B, 0x12);                        /* UIE */
	fake_now_ns = T0 + SEC - 1;
	rtc_update(rtc);
	ck_assert_int_eq(irq8.level, 0);
	fake_now_ns = T0 + SEC;
	rtc_update(rtc);
	ck_assert_int_eq(irq8.level, 1);
	ck_assert_uint_eq(cmos_read(REG_C), 0x80 | 0x10);
}
END_TEST

START_TEST(test_rtc_alarm_interrupt_when_time_matches)
{
	cmos_write(REG_A, 0x20);
	cmos_write(SEC_ALARM, 0x33);
	cmos_write(MIN_ALARM, 0xC0);                    /* any minute */
	cmos_write(HOUR_ALARM, 0x13);
	cmos_write(REG_B, 0x22);                        /* AIE */
	fake_now_ns = T0 + 2 * SEC;                     /* 13:45:32 */
	rtc_update(rtc);
	ck_assert_int_eq(irq8.level, 0);
	cmos_read(REG_C);                               /* drop the UF of those updates */
	fake_now_ns = T0 + 3 * SEC;                     /* 13:45:33 */
	rtc_update(rtc);
	ck_assert_int_eq(irq8.level, 1);
	ck_assert_uint_eq(cmos_read(REG_C), 0x80 | 0x20 | 0x10);
}
END_TEST

START_TEST(test_rtc_alarm_seen_when_clock_skips_past_it)
{
	cmos_write(SEC_ALARM, 0x40);
	cmos_write(MIN_ALARM, 0x45);
	cmos_write(HOUR_ALARM, 0x13);
	cmos_write(REG_B, 0x22);                        /* AIE */
	fake_now_ns = T0 + 20 * SEC;                    /* 13:45:30 -> 13:45:50 in one step */
	rtc_update(rtc);
	ck_assert_int_eq(irq8.level, 1);
	ck_assert_uint_eq(cmos_read(REG_C) & 0x20, 0x20);
}
END_TEST

START_TEST(test_rtc_long_gap_coalesces_into_one_edge)
{
	cmos_write(REG_B, 0x52);                        /* PIE | UIE */
	fake_now_ns = T0 + 3600 * SEC + 123;
	rtc_update(rtc);
	ck_assert_uint_eq(irq8.rises, 1);
	ck_assert_uint_eq(cmos_read(REG_C), 0x80 | 0x40 | 0x10);
	ck_assert_uint_eq(cmos_read(REG_C), 0x00);
	ck_assert_uint_eq(cmos_read(HOUR_REG), 0x14);
}
END_TEST

START_TEST(test_rtc_update_returns_next_event)
{
	ck_assert_uint_eq(rtc_update(rtc), UINT64_MAX); /* nothing enabled */
	fake_now_ns = T0 + 300 * MS;
	cmos_write(REG_B, 0x12);                        /* UIE */
	ck_assert_uint_eq(rtc_update(rtc), T0 + SEC);
	cmos_write(REG_B, 0x52);                        /* PIE | UIE, 1024 Hz */
	/* 0.3 s = 307.2 ticks: the next is tick 308, at ceil(308e9 / 1024) ns. */
	ck_assert_uint_eq(rtc_update(rtc), T0 + 300781250);
	cmos_write(REG_A, 0x2F);                        /* RS 15: 2 Hz */
	ck_assert_uint_eq(rtc_update(rtc), T0 + 500 * MS);
	cmos_write(REG_B, 0x92);                        /* SET (and UIE, which SET clears) */
	ck_assert_uint_eq(cmos_read(REG_B), 0x82);
	ck_assert_uint_eq(rtc_update(rtc), UINT64_MAX);
}
END_TEST

/* ---- i8042 fixture ---- */

enum { STS_OBF = 0x01, STS_SYS = 0x04, STS_A2 = 0x08, STS_UNLOCK = 0x10,
       STS_AUXDATA = 0x20, STS_TIMEOUT = 0x40 };

static struct i8042 *kbc;
static struct fake_irq irq1, irq12;

static void kbc_setup(void)
{
	fake_resets = 0;
	irq1 = irq12 = (struct fake_irq){ 0 };
	kbc = i8042_new(fake_request_reset, NULL, (struct irq_line){ fake_irq_set, &irq1, 1 },
			(struct irq_line){ fake_irq_set, &irq12, 12 });
	ck_assert_ptr_nonnull(kbc);
}

static void kbc_teardown(void)
{
	i8042_free(kbc);
	kbc = NULL;
}

static uint8_t kbc_status(void)
{
	return (uint8_t)i8042_cmd_ops.read(kbc, 0, 1);
}

static void kbc_command(uint8_t cmd)
{
	i8042_cmd_ops.write(kbc, 0, 1, cmd);
}

static void kbc_write_data(uint8_t value)
{
	i8042_data_ops.write(kbc, 0, 1, value);
}

static uint8_t kbc_read_data(void)
{
	return (uint8_t)i8042_data_ops.read(kbc, 0, 1);
}

/* A command that answers one byte: the byte, after checking OBF was set. */
static uint8_t kbc_query(uint8_t cmd)
{
	kbc_command(cmd);
	ck_assert_uint_eq(kbc_status() & STS_OBF, STS_OBF);
	return kbc_read_data();
}

/* ---- i8042: controller commands ---- */

START_TEST(test_i8042_self_test_returns_0x55)
{
	ck_assert_uint_eq(kbc_status() & (STS_OBF | STS_SYS), 0);
	ck_assert_uint_eq(kbc_query(0xAA), 0x55);
	ck_assert_uint_eq(kbc_status() & (STS_OBF | STS_SYS), STS_SYS);
}
END_TEST

START_TEST(test_i8042_command_byte_round_trip)
{
	kbc_command(0x60);
	ck_assert_uint_eq(kbc_status() & STS_A2, STS_A2);
	kbc_write_data(0x47);
	ck_assert_uint_eq(kbc_status() & (STS_A2 | STS_OBF), 0);
	ck_assert_uint_eq(kbc_query(0x20), 0x47);
	ck_assert_uint_eq(kbc_status() & STS_OBF, 0);
	ck_assert_uint_eq(kbc_status() & STS_SYS, STS_SYS);     /* command byte bit 2 */
}
END_TEST

START_TEST(test_i8042_port_enables_show_in_command_byte)
{
	kbc_command(0xAE);
	kbc_command(0xA8);
	ck_assert_uint_eq(kbc_query(0x20) & 0x30, 0x00);
	kbc_command(0xA7);
	ck_assert_uint_eq(kbc_query(0x20) & 0x30, 0x20);
	kbc_command(0xAD);
	ck_assert_uint_eq(kbc_query(0x20) & 0x30, 0x30);
}
END_TEST

START_TEST(test_i8042_interface_tests_report_no_error)
{
	ck_assert_uint_eq(kbc_query(0xAB), 0x00);
	ck_assert_uint_eq(kbc_query(0xA9), 0x00);
}
END_TEST

START_TEST(test_i8042_status_reports_keyboard_unlocked)
{
	/* Linux warns "Keylock active" when bit 4 is clear. */
	ck_assert_uint_eq(kbc_status() & STS_UNLOCK, STS_UNLOCK);
}
END_TEST

/* ---- i8042: reset ---- */

START_TEST(test_i8042_fe_requests_reset)
{
	kbc_command(0xFF);                              /* pulses nothing */
	ck_assert_uint_eq(fake_resets, 0);
	kbc_command(0xFE);
	ck_assert_uint_eq(fake_resets, 1);
	kbc_command(0xF0);                              /* pulses bit 0 among others */
	ck_assert_uint_eq(fake_resets, 2);
	kbc_command(0xF1);
	ck_assert_uint_eq(fake_resets, 2);
}
END_TEST

START_TEST(test_i8042_output_port_bit0_low_requests_reset)
{
	kbc_command(0xD1);
	kbc_write_data(0x03);                           /* reset line high, A20 on */
	ck_assert_uint_eq(fake_resets, 0);
	ck_assert_uint_eq(kbc_query(0xD0) & 0x03, 0x03);
	kbc_command(0xD1);
	kbc_write_data(0x02);
	ck_assert_uint_eq(fake_resets, 1);
}
END_TEST

/* ---- i8042: devices (none attached) ---- */

START_TEST(test_i8042_no_keyboard_reports_timeout)
{
	kbc_command(0x60);
	kbc_write_data(0x01);                           /* keyboard interrupt on */
	kbc_write_data(0xF2);                           /* keyboard: identify */
	ck_assert_uint_eq(kbc_status() & (STS_OBF | STS_AUXDATA | STS_TIMEOUT),
			  STS_OBF | STS_TIMEOUT);
	ck_assert_int_eq(irq1.level, 1);
	ck_assert_int_eq(irq12.level, 0);
	ck_assert_uint_eq(kbc_read_data(), 0xFF);
	ck_assert_int_eq(irq1.level, 0);
	ck_assert_uint_eq(kbc_status() & (STS_OBF | STS_TIMEOUT), 0);
}
END_TEST

START_TEST(test_i8042_keyboard_irq_needs_command_byte_bit0)
{
	kbc_write_data(0xFF);                           /* power-on: interrupts off */
	ck_assert_uint_eq(kbc_status() & STS_OBF, STS_OBF);
	ck_assert_uint_eq(irq1.rises, 0);
	kbc_read_data();
	kbc_command(0x60);
	kbc_write_data(0x01);
	ck_assert_uint_eq(irq1.rises, 0);               /* buffer empty */
}
END_TEST

START_TEST(test_i8042_aux_loopback_returns_byte_on_irq12)
{
	kbc_command(0x60);
	kbc_write_data(0x02);                           /* aux interrupt on */
	kbc_command(0xD3);
	kbc_write_data(0xA5);
	ck_assert_uint_eq(kbc_status() & (STS_OBF | STS_AUXDATA | STS_TIMEOUT),
			  STS_OBF | STS_AUXDATA);
	ck_assert_int_eq(irq12.level, 1);
	ck_assert_int_eq(irq1.level, 0);
	ck_assert_uint_eq(kbc_read_data(), 0xA5);
	ck_assert_int_eq(irq12.level, 0);
}
END_TEST

START_TEST(test_i8042_no_mouse_reports_aux_timeout)
{
	kbc_command(0xD4);
	kbc_write_data(0xF2);                           /* mouse: identify */
	ck_assert_uint_eq(kbc_status() & (STS_OBF | STS_AUXDATA | STS_TIMEOUT),
			  STS_OBF | STS_AUXDATA | STS_TIMEOUT);
	ck_assert_uint_eq(kbc_read_data(), 0xFF);
}
END_TEST

/* ---- PCI configuration mechanism #1 ---- */

static struct pci_host *pci;

static void pci_setup(void)
{
	pci = pci_host_new();
	ck_assert_ptr_nonnull(pci);
}

static void pci_teardown(void)
{
	pci_host_free(pci);
	pci = NULL;
}

static uint32_t pci_address(unsigned bus, unsigned dev, unsigned fn, unsigned reg)
{
	return 0x80000000u | bus << 16 | dev << 11 | fn << 8 | reg;
}

START_TEST(test_pci_address_register_reads_back)
{
	ck_assert_uint_eq(pci_host_ops.read(pci, 0, 4), 0);
	pci_host_ops.write(pci, 0, 4, 0x80000000u);     /* Linux's pci_check_type1 */
	ck_assert_uint_eq(pci_host_ops.read(pci, 0, 4), 0x80000000u);
	pci_host_ops.write(pci, 0, 4, pci_address(3, 31, 7, 0xFC) | 0x7F000003u);
	ck_assert_uint_eq(pci_host_ops.read(pci, 0, 4), pci_address(3, 31, 7, 0xFC));
}
END_TEST

START_TEST(test_pci_empty_bus_reads_all_ones)
{
	static const unsigned devs[] = { 1, 7, 31 };
	for (unsigned i = 0; i < BT_ARRAY_SIZE(devs); i++) {
		pci_host_ops.write(pci, 0, 4, pci_address(0, devs[i], 0, 0x00));
		ck_assert_uint_eq(pci_host_ops.read(pci, 4, 4), 0xFFFFFFFFu);
	}
	pci_host_ops.write(pci, 0, 4, pci_address(0, 0, 1, 0x00));   /* bridge: one function */
	ck_assert_uint_eq(pci_host_ops.read(pci, 4, 4), 0xFFFFFFFFu);
	pci_host_ops.write(pci, 0, 4, pci_address(1, 0, 0, 0x00));   /* no bus 1 */
	ck_assert_uint_eq(pci_host_ops.read(pci, 4, 4), 0xFFFFFFFFu);
}
END_TEST

START_TEST(test_pci_host_bridge_answers_at_00_00_0)
{
	pci_host_ops.write(pci, 0, 4, pci_address(0, 0, 0, 0x00));
	ck_assert_uint_eq(pci_host_ops.read(pci, 4, 4), 0x12378086u);   /* Intel 440FX */
	pci_host_ops.write(pci, 0, 4, pci_address(0, 0, 0, 0x08));
	ck_assert_uint_eq(pci_host_ops.read(pci, 4, 4) >> 16, 0x0600u);  /* host bridge */
	pci_host_ops.write(pci, 0, 4, pci_address(0, 0, 0, 0x40));
	pci_host_ops.write(pci, 4, 4, 0x12345678u);                     /* dropped */
	ck_assert_uint_eq(pci_host_ops.read(pci, 4, 4), 0);
}
END_TEST

START_TEST(test_pci_byte_access_to_data_port)
{
	pci_host_ops.write(pci, 0, 4, pci_address(0, 0, 0, 0x00));
	ck_assert_uint_eq(pci_host_ops.read(pci, 4, 1), 0x86);
	ck_assert_uint_eq(pci_host_ops.read(pci, 5, 1), 0x80);
	ck_assert_uint_eq(pci_host_ops.read(pci, 6, 2), 0x1237);
	pci_host_ops.write(pci, 0, 4, pci_address(0, 3, 0, 0x08));
	for (uint16_t off = 4; off < 8; off++)
		ck_assert_uint_eq(pci_host_ops.read(pci, off, 1), 0xFF);
	ck_assert_uint_eq(pci_host_ops.read(pci, 4, 2), 0xFFFF);
	pci_host_ops.write(pci, 5, 1, 0x12);
	ck_assert_uint_eq(pci_host_ops.read(pci, 5, 1), 0xFF);
}
END_TEST

START_TEST(test_pci_narrow_access_to_address_port_is_not_configuration)
{
	pci_host_ops.write(pci, 0, 4, 0x80000000u);
	pci_host_ops.write(pci, 3, 1, 0x01);            /* Linux: outb(0x01, 0xCFB) */
	pci_host_ops.write(pci, 1, 1, 0x06);            /* 0xCF9: PIIX reset control */
	pci_host_ops.write(pci, 0, 2, 0x1234);
	ck_assert_uint_eq(pci_host_ops.read(pci, 0, 4), 0x80000000u);
	ck_assert_uint_eq(pci_host_ops.read(pci, 1, 1), 0xFF);
	ck_assert_uint_eq(pci_host_ops.read(pci, 0, 2), 0xFFFF);
}
END_TEST

/* ---- suite ---- */

static TCase *tcase_with(const char *name, void (*setup)(void), void (*teardown)(void))
{
	TCase *tc = tcase_create(name);
	tcase_add_checked_fixture(tc, setup, teardown);
	return tc;
}

static Suite *rtc8042pci_suite(void)
{
	Suite *s = suite_create("emul/rtc8042pci");
	TCase *tc;

	tc = tcase_with("rtc_time", rtc_setup, rtc_teardown);
	tcase_add_test(tc, test_rtc_reads_wall_time_in_bcd);
	tcase_add_test(tc, test_rtc_binary_mode);
	tcase_add_test(tc, test_rtc_12_hour_mode_sets_pm_bit);
	tcase_add_test(tc, test_rtc_12_hour_mode_shows_midnight_as_12_am);
	tcase_add_test(tc, test_rtc_seconds_advance_with_the_clock);
	tcase_add_test(tc, test_rtc_rolls_over_into_new_century);
	tcase_add_test(tc, test_rtc_century_register);
	tcase_add_test(tc, test_rtc_set_bit_freezes_and_guest_time_sticks);
	tcase_add_test(tc, test_rtc_write_while_running_keeps_second_phase);
	suite_add_tcase(s, tc);

	tc = tcase_with("rtc_status_and_ram", rtc_setup, rtc_teardown);
	tcase_add_test(tc, test_rtc_uip_set_just_before_second_boundary);
	tcase_add_test(tc, test_rtc_uip_stays_clear_while_set);
	tcase_add_test(tc, test_rtc_status_d_reports_valid_time);
	tcase_add_test(tc, test_rtc_cmos_ram_reads_back);
	suite_add_tcase(s, tc);

	tc = tcase_with("rtc_interrupts", rtc_setup, rtc_teardown);
	tcase_add_test(tc, test_rtc_periodic_interrupt_at_1024hz_sets_pf_and_irq8);
	tcase_add_test(tc, test_rtc_reading_c_clears_flags_and_lowers_irq);
	tcase_add_test(tc, test_rtc_flags_rise_without_interrupts_enabled);
	tcase_add_test(tc, test_rtc_enabling_interrupt_with_flag_pending_raises_irq8);
	tcase_add_test(tc, test_rtc_update_interrupt_fires_at_second_boundary);
	tcase_add_test(tc, test_rtc_alarm_interrupt_when_time_matches);
	tcase_add_test(tc, test_rtc_alarm_seen_when_clock_skips_past_it);
	tcase_add_test(tc, test_rtc_long_gap_coalesces_into_one_edge);
	tcase_add_test(tc, test_rtc_update_returns_next_event);
	suite_add_tcase(s, tc);

	tc = tcase_with("i8042_commands", kbc_setup, kbc_teardown);
	tcase_add_test(tc, test_i8042_self_test_returns_0x55);
	tcase_add_test(tc, test_i8042_command_byte_round_trip);
	tcase_add_test(tc, test_i8042_port_enables_show_in_command_byte);
	tcase_add_test(tc, test_i8042_interface_tests_report_no_error);
	tcase_add_test(tc, test_i8042_status_reports_keyboard_unlocked);
	suite_add_tcase(s, tc);

	tc = tcase_with("i8042_reset", kbc_setup, kbc_teardown);
	tcase_add_test(tc, test_i8042_fe_requests_reset);
	tcase_add_test(tc, test_i8042_output_port_bit0_low_requests_reset);
	suite_add_tcase(s, tc);

	tc = tcase_with("i8042_devices", kbc_setup, kbc_teardown);
	tcase_add_test(tc, test_i8042_no_keyboard_reports_timeout);
	tcase_add_test(tc, test_i8042_keyboard_irq_needs_command_byte_bit0);
	tcase_add_test(tc, test_i8042_aux_loopback_returns_byte_on_irq12);
	tcase_add_test(tc, test_i8042_no_mouse_reports_aux_timeout);
	suite_add_tcase(s, tc);

	tc = tcase_with("pci_config", pci_setup, pci_teardown);
	tcase_add_test(tc, test_pci_address_register_reads_back);
	tcase_add_test(tc, test_pci_empty_bus_reads_all_ones);
	tcase_add_test(tc, test_pci_host_bridge_answers_at_00_00_0);
	tcase_add_test(tc, test_pci_byte_access_to_data_port);
	tcase_add_test(tc, test_pci_narrow_access_to_address_port_is_not_configuration);
	suite_add_tcase(s, tc);

	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(rtc8042pci_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

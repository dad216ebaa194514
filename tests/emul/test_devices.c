/*
 * test_devices.c — Check suite for the port bus, the 16550A UART, the debug
 * ports and the board wiring (src/emul/{iobus,uart16550,debugport,board}.c).
 *
 * Devices are driven through their io_ops exactly as the bus would call them,
 * with a fake byte sink that records output and a fake IRQ line that records
 * the level, so every test is deterministic. One TCase per concept.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "btmon/board.h"
#include "btmon/devices.h"
#include "btmon/iobus.h"

/* ---- fakes ---- */

struct fake_sink {
	uint8_t data[256];
	size_t len;
};

static void fake_sink_put(void *ctx, uint8_t byte)
{
	struct fake_sink *s = ctx;
	if (s->len < sizeof(s->data))
		s->data[s->len++] = byte;
}

struct fake_irq {
	int level;
	unsigned line;
	unsigned calls;
};

static void fake_irq_set(void *ctx, unsigned line, int level)
{
	struct fake_irq *i = ctx;
	i->level = level;
	i->line = line;
	i->calls++;
}

/* A device that logs its accesses; reads return byte i = 0x10 + offset + i. */
struct fake_dev {
	struct { uint16_t offset; unsigned size; uint32_t value; bool write; } log[16];
	unsigned n;
};

static void fake_dev_log(struct fake_dev *d, uint16_t offset, unsigned size, uint32_t value, bool write)
{
	ck_assert_uint_lt(d->n, 16);
	d->log[d->n].offset = offset;
	d->log[d->n].size = size;
	d->log[d->n].value = value;
	d->log[d->n].write = write;
	d->n++;
}

static uint32_t fake_dev_read(void *dev, uint16_t offset, unsigned size)
{
	uint32_t v = 0;
	for (unsigned i = 0; i < size; i++)
		v |= (uint32_t)(0x10 + offset + i) << (8 * i);
	fake_dev_log(dev, offset, size, 0, false);
	return v | 0xDEAD0000u * (size < 4);    /* junk above `size`: the bus must mask it */
}

static void fake_dev_write(void *dev, uint16_t offset, unsigned size, uint32_t value)
{
	fake_dev_log(dev, offset, size, value, true);
}

static const struct io_ops fake_ops = { .read = fake_dev_read, .write = fake_dev_write };

/* ---- iobus ---- */

START_TEST(test_iobus_rejects_overlapping_ranges)
{
	struct iobus *bus = iobus_new();
	struct fake_dev a = { 0 }, b = { 0 };
	ck_assert_int_eq(iobus_map_pio(bus, 0x100, 8, &fake_ops, &a, "a"), BT_OK);
	ck_assert_int_eq(iobus_map_pio(bus, 0x107, 2, &fake_ops, &b, "b"), BT_ERR_OVERLAP);
	ck_assert_int_eq(iobus_map_pio(bus, 0x0FF, 2, &fake_ops, &b, "b"), BT_ERR_OVERLAP);
	ck_assert_int_eq(iobus_map_pio(bus, 0x0F0, 0x20, &fake_ops, &b, "b"), BT_ERR_OVERLAP);
	/* The rejected claims left the neighbouring ports free. */
	ck_assert_int_eq(iobus_map_pio(bus, 0x108, 1, &fake_ops, &b, "b"), BT_OK);
	ck_assert_int_eq(iobus_map_pio(bus, 0x0FF, 1, &fake_ops, &b, "b2"), BT_OK);
	iobus_free(bus);
}
END_TEST

START_TEST(test_iobus_rejects_empty_and_wrapping_ranges)
{
	struct iobus *bus = iobus_new();
	struct fake_dev a = { 0 };
	ck_assert_int_eq(iobus_map_pio(bus, 0x100, 0, &fake_ops, &a, "a"), BT_ERR_INVAL);
	ck_assert_int_eq(iobus_map_pio(bus, 0xFFFE, 3, &fake_ops, &a, "a"), BT_ERR_INVAL);
	ck_assert_int_eq(iobus_map_pio(bus, 0xFFFE, 2, &fake_ops, &a, "a"), BT_OK);
	iobus_free(bus);
}
END_TEST

START_TEST(test_iobus_device_sees_offset_into_its_range)
{
	struct iobus *bus = iobus_new();
	struct fake_dev d = { 0 };
	iobus_map_pio(bus, 0x3F8, 8, &fake_ops, &d, "dev");
	ck_assert_uint_eq(iobus_in(bus, 0x3FA, 2), 0x1312);
	iobus_out(bus, 0x3FF, 1, 0x1234);
	ck_assert_uint_eq(d.n, 2);
	ck_assert_uint_eq(d.log[0].offset, 2);
	ck_assert_uint_eq(d.log[0].size, 2);
	ck_assert_uint_eq(d.log[1].offset, 7);
	ck_assert_uint_eq(d.log[1].value, 0x34);        /* masked to the access size */
	ck_assert_uint_eq(iobus_stats(bus)->reads, 1);
	ck_assert_uint_eq(iobus_stats(bus)->writes, 1);
	iobus_free(bus);
}
END_TEST

START_TEST(test_iobus_unclaimed_read_returns_all_ones_and_counts)
{
	struct iobus *bus = iobus_new();
	ck_assert_uint_eq(iobus_in(bus, 0x1234, 1), 0xFF);
	ck_assert_uint_eq(iobus_in(bus, 0x1236, 2), 0xFFFF);
	ck_assert_uint_eq(iobus_in(bus, 0x5678, 4), 0xFFFFFFFFu);
	const struct iobus_stats *st = iobus_stats(bus);
	ck_assert_uint_eq(st->unclaimed_reads, 3);
	ck_assert_uint_eq(st->unclaimed_writes, 0);
	ck_assert_uint_eq(st->reads, 0);
	ck_assert_uint_eq(st->last_unclaimed_port, 0x5678);
	iobus_free(bus);
}
END_TEST

START_TEST(test_iobus_unclaimed_write_is_dropped_and_counted)
{
	struct iobus *bus = iobus_new();
	struct fake_dev d = { 0 };
	iobus_map_pio(bus, 0x60, 1, &fake_ops, &d, "dev");
	iobus_out(bus, 0x61, 4, 0xAABBCCDD);
	ck_assert_uint_eq(d.n, 0);
	ck_assert_uint_eq(iobus_stats(bus)->unclaimed_writes, 1);
	ck_assert_uint_eq(iobus_stats(bus)->last_unclaimed_port, 0x61);
	iobus_free(bus);
}
END_TEST

START_TEST(test_iobus_splits_access_past_range_end)
{
	struct iobus *bus = iobus_new();
	struct fake_dev d = { 0 };
	iobus_map_pio(bus, 0x100, 2, &fake_ops, &d, "dev");
	/* Byte 0 comes from offset 1; bytes 1-3 float. */
	ck_assert_uint_eq(iobus_in(bus, 0x101, 4), 0xFFFFFF11u);
	ck_assert_uint_eq(d.n, 1);
	ck_assert_uint_eq(d.log[0].offset, 1);
	ck_assert_uint_eq(d.log[0].size, 1);
	ck_assert_uint_eq(iobus_stats(bus)->unclaimed_reads, 3);
	ck_assert_uint_eq(iobus_stats(bus)->last_unclaimed_port, 0x104);
	iobus_free(bus);
}
END_TEST

START_TEST(test_iobus_splits_write_across_two_ranges)
{
	struct iobus *bus = iobus_new();
	struct fake_dev a = { 0 }, b = { 0 };
	iobus_map_pio(bus, 0x200, 2, &fake_ops, &a, "a");
	iobus_map_pio(bus, 0x202, 2, &fake_ops, &b, "b");
	iobus_out(bus, 0x201, 2, 0xBBAA);
	ck_assert_uint_eq(a.n, 1);
	ck_assert_uint_eq(a.log[0].offset, 1);
	ck_assert_uint_eq(a.log[0].value, 0xAA);
	ck_assert_uint_eq(b.n, 1);
	ck_assert_uint_eq(b.log[0].offset, 0);
	ck_assert_uint_eq(b.log[0].value, 0xBB);
	ck_assert_uint_eq(iobus_stats(bus)->unclaimed_writes, 0);
	iobus_free(bus);
}
END_TEST

struct foreach_rec {
	uint16_t base[4];
	uint64_t accesses[4];
	const char *name[4];
	unsigned n;
};

static void foreach_record(void *ctx, uint16_t base, uint16_t len, const char *name, uint64_t accesses)
{
	struct foreach_rec *r = ctx;
	(void)len;
	ck_assert_uint_lt(r->n, 4);
	r->base[r->n] = base;
	r->name[r->n] = name;
	r->accesses[r->n++] = accesses;
}

START_TEST(test_iobus_foreach_lists_ranges_in_port_order_with_counts)
{
	struct iobus *bus = iobus_new();
	struct fake_dev a = { 0 }, b = { 0 }, c = { 0 };
	iobus_map_pio(bus, 0x3F8, 8, &fake_ops, &a, "com1");
	iobus_map_pio(bus, 0x80, 1, &fake_ops, &b, "post");
	iobus_map_pio(bus, 0xFFFF, 1, &fake_ops, &c, "last");
	iobus_in(bus, 0x3F8, 1);
	iobus_out(bus, 0x3FD, 1, 0);
	iobus_in(bus, 0x80, 1);

	struct foreach_rec r = { 0 };
	iobus_foreach(bus, foreach_record, &r);
	ck_assert_uint_eq(r.n, 3);
	ck_assert_uint_eq(r.base[0], 0x80);
	ck_assert_uint_eq(r.base[1], 0x3F8);
	ck_assert_uint_eq(r.base[2], 0xFFFF);
	ck_assert_str_eq(r.name[1], "com1");
	ck_assert_uint_eq(r.accesses[0], 1);
	ck_assert_uint_eq(r.accesses[1], 2);
	ck_assert_uint_eq(r.accesses[2], 0);
	iobus_free(bus);
}
END_TEST

START_TEST(test_status_str_names_every_status)
{
	ck_assert_str_eq(bt_status_str(BT_OK), "success");
	ck_assert_str_eq(bt_status_str(BT_ERR_OVERLAP), "device range overlaps another");
	ck_assert_str_eq(bt_status_str((bt_status)999), "unknown status");
}
END_TEST

/* ---- UART fixture: driven through uart_ops as the bus would ---- */

enum { RBR = 0, IER = 1, IIR = 2, FCR = 2, LCR = 3, MCR = 4, LSR = 5, MSR = 6, SCR = 7 };

static struct uart *g_uart;
static struct fake_sink g_sink;
static struct fake_irq g_irq;

static void uart_setup(void)
{
	memset(&g_sink, 0, sizeof(g_sink));
	memset(&g_irq, 0, sizeof(g_irq));
	struct irq_line line = { .set = fake_irq_set, .ctx = &g_irq, .line = 4 };
	struct byte_sink sink = { .put = fake_sink_put, .ctx = &g_sink };
	g_uart = uart_new(line, sink);
	ck_assert_ptr_nonnull(g_uart);
}

static void uart_teardown(void)
{
	uart_free(g_uart);
	g_uart = NULL;
}

static uint8_t rd(uint16_t reg)
{
	return (uint8_t)uart_ops.read(g_uart, reg, 1);
}

static void wr(uint16_t reg, uint8_t value)
{
	uart_ops.write(g_uart, reg, 1, value);
}

/* ---- UART: transmit ---- */

START_TEST(test_uart_thr_write_reaches_sink)
{
	wr(RBR, 'h');
	wr(RBR, 'i');
	ck_assert_uint_eq(g_sink.len, 2);
	ck_assert_mem_eq(g_sink.data, "hi", 2);
}
END_TEST

START_TEST(test_uart_lsr_reports_transmitter_always_empty)
{
	ck_assert_uint_eq(rd(LSR), 0x60);
	wr(RBR, 'x');
	ck_assert_uint_eq(rd(LSR) & 0x60, 0x60);
}
END_TEST

/* ---- UART: registers ---- */

START_TEST(test_uart_dlab_switches_to_divisor_latch)
{
	wr(IER, 0x05);
	wr(LCR, 0x83);                  /* DLAB + 8N1 */
	wr(RBR, 0x01);                  /* DLL: 115200 baud */
	wr(IER, 0x00);                  /* DLM */
	ck_assert_uint_eq(rd(RBR), 0x01);
	ck_assert_uint_eq(rd(IER), 0x00);
	ck_assert_uint_eq(g_sink.len, 0);       /* nothing was transmitted */
	wr(LCR, 0x03);
	ck_assert_uint_eq(rd(IER), 0x05);       /* IER kept its value */
	ck_assert_uint_eq(rd(LCR), 0x03);
}
END_TEST

START_TEST(test_uart_scratch_register_holds_value)
{
	wr(SCR, 0x5A);
	ck_assert_uint_eq(rd(SCR), 0x5A);
	wr(SCR, 0xA5);
	ck_assert_uint_eq(rd(SCR), 0xA5);
}
END_TEST

START_TEST(test_uart_fcr_enables_fifos_reported_in_iir)
{
	ck_assert_uint_eq(rd(IIR), 0x01);
	wr(FCR, 0x07);
	ck_assert_uint_eq(rd(IIR), 0xC1);
	wr(FCR, 0x00);
	ck_assert_uint_eq(rd(IIR), 0x01);
}
END_TEST

START_TEST(test_uart_wide_access_touches_consecutive_registers)
{
	uart_ops.write(g_uart, LCR, 2, 0x0B03);         /* LCR = 0x03, MCR = 0x0B */
	ck_assert_uint_eq(rd(LCR), 0x03);
	ck_assert_uint_eq(rd(MCR), 0x0B);
	ck_assert_uint_eq(uart_ops.read(g_uart, LCR, 2), 0x0B03);
}
END_TEST

/* ---- UART: receive ---- */

START_TEST(test_uart_rx_bytes_set_data_ready_and_read_in_order)
{
	wr(FCR, 0x01);
	ck_assert(uart_push_rx(g_uart, 'a'));
	ck_assert(uart_push_rx(g_uart, 'b'));
	ck_assert_uint_eq(rd(LSR) & 0x01, 0x01);
	ck_assert_uint_eq(rd(RBR), 'a');
	ck_assert_uint_eq(rd(RBR), 'b');
	ck_assert_uint_eq(rd(LSR) & 0x01, 0x00);
}
END_TEST

START_TEST(test_uart_rx_fifo_raises_irq_when_enabled)
{
	wr(FCR, 0x01);                  /* FIFO on, trigger level 1 */
	wr(MCR, 0x08);                  /* OUT2: the PC's IRQ gate */
	uart_push_rx(g_uart, 'z');
	ck_assert_int_eq(g_irq.level, 0);       /* ERBFI still off */
	wr(IER, 0x01);
	ck_assert_int_eq(g_irq.level, 1);
	ck_assert_uint_eq(g_irq.line, 4);
	ck_assert_uint_eq(rd(IIR), 0xC4);       /* FIFOs + received data available */
	ck_assert_uint_eq(rd(RBR), 'z');
	ck_assert_int_eq(g_irq.level, 0);
	ck_assert_uint_eq(rd(IIR), 0xC1);
}
END_TEST

START_TEST(test_uart_irq_stays_low_without_out2)
{
	wr(IER, 0x01);
	uart_push_rx(g_uart, 'z');
	ck_assert_uint_eq(rd(IIR), 0x04);       /* pending inside the chip... */
	ck_assert_int_eq(g_irq.level, 0);       /* ...but gated off the bus */
	wr(MCR, 0x08);
	ck_assert_int_eq(g_irq.level, 1);
}
END_TEST

START_TEST(test_uart_iir_reports_timeout_below_trigger_level)
{
	wr(FCR, 0x81);                  /* FIFO on, trigger 8 */
	wr(IER, 0x01);
	for (int i = 0; i < 3; i++)
		uart_push_rx(g_uart, (uint8_t)i);
	ck_assert_uint_eq(rd(IIR), 0xCC);
	for (int i = 3; i < 8; i++)
		uart_push_rx(g_uart, (uint8_t)i);
	ck_assert_uint_eq(rd(IIR), 0xC4);
}
END_TEST

START_TEST(test_uart_rx_overflow_sets_overrun_and_line_status_irq)
{
	wr(FCR, 0x01);
	wr(IER, 0x05);                  /* ERBFI | ELSI */
	wr(MCR, 0x08);
	for (int i = 0; i < 16; i++)
		ck_assert(uart_push_rx(g_uart, (uint8_t)i));
	ck_assert(!uart_push_rx(g_uart, 0xEE));
	ck_assert_uint_eq(rd(IIR), 0xC6);       /* line status outranks data */
	ck_assert_uint_eq(rd(LSR) & 0x03, 0x03);
	ck_assert_uint_eq(rd(LSR) & 0x02, 0x00);        /* reading LSR cleared OE */
	ck_assert_uint_eq(rd(IIR), 0xC4);
	for (int i = 0; i < 16; i++)
		ck_assert_uint_eq(rd(RBR), i);  /* the FIFO kept the old bytes */
	ck_assert_int_eq(g_irq.level, 0);
}
END_TEST

START_TEST(test_uart_without_fifo_holds_one_byte)
{
	ck_assert(uart_push_rx(g_uart, 'a'));
	ck_assert(!uart_push_rx(g_uart, 'b'));
	ck_assert_uint_eq(rd(LSR) & 0x03, 0x03);
	ck_assert_uint_eq(rd(RBR), 'a');
}
END_TEST

START_TEST(test_uart_fcr_clear_rx_empties_fifo)
{
	wr(FCR, 0x01);
	uart_push_rx(g_uart, 'a');
	uart_push_rx(g_uart, 'b');
	wr(FCR, 0x03);
	ck_assert_uint_eq(rd(LSR) & 0x01, 0x00);
	uart_push_rx(g_uart, 'c');
	ck_assert_uint_eq(rd(RBR), 'c');
}
END_TEST

/* ---- UART: THR-empty interrupt ---- */

START_TEST(test_uart_iir_reports_thre_then_clears_on_read)
{
	wr(MCR, 0x08);
	wr(IER, 0x02);                  /* enabling ETBEI with THR empty raises it */
	ck_assert_int_eq(g_irq.level, 1);
	ck_assert_uint_eq(rd(IIR), 0x02);
	ck_assert_int_eq(g_irq.level, 0);
	ck_assert_uint_eq(rd(IIR), 0x01);
}
END_TEST

START_TEST(test_uart_thr_write_rearms_thre_interrupt)
{
	wr(MCR, 0x08);
	wr(IER, 0x02);
	rd(IIR);
	ck_assert_int_eq(g_irq.level, 0);
	wr(RBR, 'x');                   /* sent at once: THR empty again */
	ck_assert_int_eq(g_irq.level, 1);
	ck_assert_uint_eq(rd(IIR), 0x02);
}
END_TEST

START_TEST(test_uart_rx_data_outranks_thre_in_iir)
{
	wr(IER, 0x03);
	uart_push_rx(g_uart, 'q');
	ck_assert_uint_eq(rd(IIR), 0x04);
	ck_assert_uint_eq(rd(IIR), 0x04);       /* THRE not acknowledged by that */
	rd(RBR);
	ck_assert_uint_eq(rd(IIR), 0x02);
	ck_assert_uint_eq(rd(IIR), 0x01);
}
END_TEST

START_TEST(test_uart_disabling_etbei_lowers_irq)
{
	wr(MCR, 0x08);
	wr(IER, 0x02);
	ck_assert_int_eq(g_irq.level, 1);
	wr(IER, 0x00);
	ck_assert_int_eq(g_irq.level, 0);
	ck_assert_uint_eq(rd(IIR), 0x01);
}
END_TEST

/* ---- UART: loopback and modem status ---- */

START_TEST(test_uart_loopback_returns_written_byte)
{
	wr(MCR, 0x10);
	wr(RBR, 0xA5);
	ck_assert_uint_eq(g_sink.len, 0);
	ck_assert_uint_eq(rd(LSR) & 0x01, 0x01);
	ck_assert_uint_eq(rd(RBR), 0xA5);
	ck_assert(!uart_push_rx(g_uart, 'x'));  /* serial input disconnected */
	wr(MCR, 0x00);
	wr(RBR, 'o');
	ck_assert_uint_eq(g_sink.len, 1);
}
END_TEST

START_TEST(test_uart_loopback_mirrors_mcr_into_msr)
{
	ck_assert_uint_eq(rd(MSR), 0xB0);       /* no wire: a ready peer */
	wr(MCR, 0x10);
	ck_assert_uint_eq(rd(MSR) & 0xF0, 0x00);
	wr(MCR, 0x1F);                  /* DTR RTS OUT1 OUT2 LOOP */
	ck_assert_uint_eq(rd(MSR) & 0xF0, 0xF0);
	wr(MCR, 0x1B);                  /* RI falls: trailing edge */
	ck_assert_uint_eq(rd(MSR), 0xB4);
}
END_TEST

START_TEST(test_uart_msr_read_clears_deltas_and_modem_irq)
{
	wr(IER, 0x08);
	wr(MCR, 0x18);                  /* loop + OUT2: CTS and DSR drop, DCD stays */
	ck_assert_uint_eq(rd(IIR), 0x00);
	ck_assert_int_eq(g_irq.level, 1);
	ck_assert_uint_eq(rd(MSR) & 0x0F, 0x03);
	ck_assert_uint_eq(rd(MSR) & 0x0F, 0x00);
	ck_assert_uint_eq(rd(IIR), 0x01);
	ck_assert_int_eq(g_irq.level, 0);
}
END_TEST

/* ---- debug ports ---- */

struct exit_rec {
	int status;
	unsigned calls;
};

static void record_exit(void *ctx, int status)
{
	struct exit_rec *r = ctx;
	r->status = status;
	r->calls++;
}

START_TEST(test_debug_exit_status_is_value_shifted_or_one)
{
	struct exit_rec r = { 0 };
	struct debug_exit *d = debug_exit_new(record_exit, &r);
	debug_exit_ops.write(d, 0, 1, 0);
	ck_assert_int_eq(r.status, 1);
	debug_exit_ops.write(d, 0, 1, 0x10);
	ck_assert_int_eq(r.status, 0x21);
	ck_assert_uint_eq(r.calls, 2);
	ck_assert_uint_eq(debug_exit_ops.read(d, 0, 4), 0xFFFFFFFFu);
	debug_exit_free(d);
}
END_TEST

START_TEST(test_debug_exit_accepts_dword_write)
{
	struct exit_rec r = { 0 };
	struct debug_exit *d = debug_exit_new(record_exit, &r);
	debug_exit_ops.write(d, 0, 4, 0x1234);
	ck_assert_int_eq(r.status, 0x2469);
	debug_exit_ops.write(d, 0, 4, 0xFFFFFFFFu);
	ck_assert_int_ge(r.status, 0);          /* never a negative host status */
	debug_exit_free(d);
}
END_TEST

START_TEST(test_debug_console_writes_low_byte_and_reads_e9)
{
	struct fake_sink s = { 0 };
	struct debug_console *d = debug_console_new((struct byte_sink){ fake_sink_put, &s });
	debug_console_ops.write(d, 0, 1, 'O');
	debug_console_ops.write(d, 0, 2, 0x4B4B);
	ck_assert_uint_eq(s.len, 2);
	ck_assert_mem_eq(s.data, "OK", 2);
	ck_assert_uint_eq(debug_console_ops.read(d, 0, 1), 0xE9);
	debug_console_free(d);
}
END_TEST

START_TEST(test_post_port_reads_ff_and_ignores_writes)
{
	post_port_ops.write(NULL, 0, 1, 0x42);
	ck_assert_uint_eq(post_port_ops.read(NULL, 0, 1), 0xFF);
}
END_TEST

/* ---- board ---- */

static uint64_t board_clock_ns;

static uint64_t board_now(void *ctx)
{
	(void)ctx;
	return board_clock_ns;
}

static int64_t board_wall(void *ctx)
{
	(void)ctx;
	return 1700000000;
}

#define BOARD_CLOCK .clock = { board_now, NULL }, .wall_seconds = board_wall

START_TEST(test_board_maps_com1_and_debug_ports)
{
	struct fake_sink serial = { 0 }, con = { 0 };
	struct exit_rec r = { 0 };
	struct board_config cfg = {
		.serial_out = { fake_sink_put, &serial },
		.debugcon_out = { fake_sink_put, &con },
		.request_exit = record_exit,
		.ctx = &r,
		BOARD_CLOCK,
	};
	struct board b;
	ck_assert_int_eq(board_init(&b, &cfg), BT_OK);

	iobus_out(b.bus, 0x3F8, 1, 'S');
	ck_assert_uint_eq(serial.len, 1);
	ck_assert_uint_eq(serial.data[0], 'S');
	iobus_out(b.bus, 0x3FF, 1, 0x77);               /* COM1 scratch */
	ck_assert_uint_eq(iobus_in(b.bus, 0x3FF, 1), 0x77);

	iobus_out(b.bus, 0xE9, 1, 'C');
	ck_assert_uint_eq(con.len, 1);
	ck_assert_uint_eq(iobus_in(b.bus, 0xE9, 1), 0xE9);

	ck_assert_uint_eq(iobus_in(b.bus, 0x80, 1), 0xFF);
	iobus_out(b.bus, 0x80, 1, 0);

	iobus_out(b.bus, 0xF4, 4, 3);                   /* out dx, eax */
	ck_assert_uint_eq(r.calls, 1);
	ck_assert_int_eq(r.status, 7);

	ck_assert_uint_eq(iobus_stats(b.bus)->unclaimed_reads, 0);
	ck_assert_uint_eq(iobus_stats(b.bus)->unclaimed_writes, 0);
	ck_assert_uint_eq(iobus_in(b.bus, 0x2F8, 1), 0xFF);     /* no COM2 */
	board_fini(&b);
}
END_TEST

START_TEST(test_board_routes_pit_irq0_through_the_pic)
{
	struct board_config cfg = { BOARD_CLOCK };
	struct board b;
	board_clock_ns = 1000;
	ck_assert_int_eq(board_init(&b, &cfg), BT_OK);
	/* PIC: ICW1..4, vectors 0x20/0x28, unmask IRQ 0 only */
	iobus_out(b.bus, 0x20, 1, 0x11);
	iobus_out(b.bus, 0x21, 1, 0x20);
	iobus_out(b.bus, 0x21, 1, 0x04);
	iobus_out(b.bus, 0x21, 1, 0x01);
	iobus_out(b.bus, 0x21, 1, 0xfe);
	/* PIT channel 0, mode 2, count 1193 (~1 ms) */
	iobus_out(b.bus, 0x43, 1, 0x34);
	iobus_out(b.bus, 0x40, 1, 1193 & 0xff);
	iobus_out(b.bus, 0x40, 1, 1193 >> 8);
	uint64_t next = board_update(&b);
	ck_assert(!board_intr(&b));
	ck_assert_uint_gt(next, board_clock_ns);
	ck_assert_uint_lt(next, board_clock_ns + 2000000);
	board_clock_ns = next;
	board_update(&b);
	ck_assert(board_intr(&b));
	ck_assert_uint_eq(board_acknowledge(&b), 0x20);
	ck_assert(!board_intr(&b));
	board_fini(&b);
}
END_TEST

START_TEST(test_board_fini_leaves_board_empty)
{
	struct board_config cfg = { BOARD_CLOCK };
	struct board b;
	ck_assert_int_eq(board_init(&b, &cfg), BT_OK);
	ck_assert_ptr_nonnull(b.bus);
	ck_assert_ptr_nonnull(b.com1);
	board_fini(&b);
	ck_assert_ptr_null(b.bus);
	ck_assert_ptr_null(b.com1);
	ck_assert_ptr_null(b.dbg_exit);
	ck_assert_ptr_null(b.dbg_con);
	board_fini(&b);                                 /* twice is harmless */
}
END_TEST

/* ---- suite ---- */

static TCase *tcase_with(const char *name, bool uart_fixture)
{
	TCase *tc = tcase_create(name);
	if (uart_fixture)
		tcase_add_checked_fixture(tc, uart_setup, uart_teardown);
	return tc;
}

static Suite *devices_suite(void)
{
	Suite *s = suite_create("emul/devices");
	TCase *tc;

	tc = tcase_with("iobus", false);
	tcase_add_test(tc, test_iobus_rejects_overlapping_ranges);
	tcase_add_test(tc, test_iobus_rejects_empty_and_wrapping_ranges);
	tcase_add_test(tc, test_iobus_device_sees_offset_into_its_range);
	tcase_add_test(tc, test_iobus_unclaimed_read_returns_all_ones_and_counts);
	tcase_add_test(tc, test_iobus_unclaimed_write_is_dropped_and_counted);
	tcase_add_test(tc, test_iobus_splits_access_past_range_end);
	tcase_add_test(tc, test_iobus_splits_write_across_two_ranges);
	tcase_add_test(tc, test_iobus_foreach_lists_ranges_in_port_order_with_counts);
	tcase_add_test(tc, test_status_str_names_every_status);
	suite_add_tcase(s, tc);

	tc = tcase_with("uart_transmit", true);
	tcase_add_test(tc, test_uart_thr_write_reaches_sink);
	tcase_add_test(tc, test_uart_lsr_reports_transmitter_always_empty);
	suite_add_tcase(s, tc);

	tc = tcase_with("uart_registers", true);
	tcase_add_test(tc, test_uart_dlab_switches_to_divisor_latch);
	tcase_add_test(tc, test_uart_scratch_register_holds_value);
	tcase_add_test(tc, test_uart_fcr_enables_fifos_reported_in_iir);
	tcase_add_test(tc, test_uart_wide_access_touches_consecutive_registers);
	suite_add_tcase(s, tc);

	tc = tcase_with("uart_receive", true);
	tcase_add_test(tc, test_uart_rx_bytes_set_data_ready_and_read_in_order);
	tcase_add_test(tc, test_uart_rx_fifo_raises_irq_when_enabled);
	tcase_add_test(tc, test_uart_irq_stays_low_without_out2);
	tcase_add_test(tc, test_uart_iir_reports_timeout_below_trigger_level);
	tcase_add_test(tc, test_uart_rx_overflow_sets_overrun_and_line_status_irq);
	tcase_add_test(tc, test_uart_without_fifo_holds_one_byte);
	tcase_add_test(tc, test_uart_fcr_clear_rx_empties_fifo);
	suite_add_tcase(s, tc);

	tc = tcase_with("uart_thre_interrupt", true);
	tcase_add_test(tc, test_uart_iir_reports_thre_then_clears_on_read);
	tcase_add_test(tc, test_uart_thr_write_rearms_thre_interrupt);
	tcase_add_test(tc, test_uart_rx_data_outranks_thre_in_iir);
	tcase_add_test(tc, test_uart_disabling_etbei_lowers_irq);
	suite_add_tcase(s, tc);

	tc = tcase_with("uart_loopback_and_modem", true);
	tcase_add_test(tc, test_uart_loopback_returns_written_byte);
	tcase_add_test(tc, test_uart_loopback_mirrors_mcr_into_msr);
	tcase_add_test(tc, test_uart_msr_read_clears_deltas_and_modem_irq);
	suite_add_tcase(s, tc);

	tc = tcase_with("debug_ports", false);
	tcase_add_test(tc, test_debug_exit_status_is_value_shifted_or_one);
	tcase_add_test(tc, test_debug_exit_accepts_dword_write);
	tcase_add_test(tc, test_debug_console_writes_low_byte_and_reads_e9);
	tcase_add_test(tc, test_post_port_reads_ff_and_ignores_writes);
	suite_add_tcase(s, tc);

	tc = tcase_with("board", false);
	tcase_add_test(tc, test_board_maps_com1_and_debug_ports);
	tcase_add_test(tc, test_board_fini_leaves_board_empty);
	tcase_add_test(tc, test_board_routes_pit_irq0_through_the_pic);
	suite_add_tcase(s, tc);

	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(devices_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

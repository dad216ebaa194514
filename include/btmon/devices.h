/*
 * devices.h — the emulated PC's devices (src/emul). Each is a pure state
 * machine: it is created with the lines and sinks it drives, sees only offsets
 * into its own port range, and is wired to addresses by the board file.
 */
#ifndef BTMON_DEVICES_H
#define BTMON_DEVICES_H

#include "btmon/iobus.h"
#include "btmon/types.h"

/* An interrupt request line into an interrupt controller (level 0/1). */
struct irq_line {
	void (*set)(void *ctx, unsigned line, int level);
	void *ctx;
	unsigned line;
};

static inline void irq_line_set(const struct irq_line *l, int level)
{
	if (l && l->set)
		l->set(l->ctx, l->line, level);
}

/* A clock: nanoseconds on a monotonic timeline (the host's CLOCK_MONOTONIC in
 * btmon, a variable in tests). */
struct clock {
	uint64_t (*now_ns)(void *ctx);
	void *ctx;
};

static inline uint64_t clock_now(const struct clock *c)
{
	return c->now_ns(c->ctx);
}

/* A byte sink: where a device's output goes (stdout, a file, a test buffer). */
struct byte_sink {
	void (*put)(void *ctx, uint8_t byte);
	void *ctx;
};

/* ---- 16550A UART (8 ports). Transmit goes to `out`; receive via uart_push_rx. */
struct uart;
struct uart *uart_new(struct irq_line irq, struct byte_sink out);
void uart_free(struct uart *u);
extern const struct io_ops uart_ops;
/* Host side: a byte arrived for the guest. Returns false if the FIFO was full
 * (the byte is lost and LSR.OE set, as on the chip): check uart_rx_room first. */
bool uart_push_rx(struct uart *u, uint8_t byte);
/* Bytes the receive FIFO can take now (0 in loopback mode). */
unsigned uart_rx_room(const struct uart *u);

/* ---- Debug ports: isa-debug-exit (0xf4), the 0xe9 console, port 0x80. */
struct debug_exit;
/* Writing V to the port requests a machine exit with host status (V << 1) | 1, as QEMU. */
struct debug_exit *debug_exit_new(void (*request_exit)(void *ctx, int status), void *ctx);
void debug_exit_free(struct debug_exit *d);
extern const struct io_ops debug_exit_ops;

struct debug_console;
struct debug_console *debug_console_new(struct byte_sink out);
void debug_console_free(struct debug_console *d);
extern const struct io_ops debug_console_ops;   /* reads return 0xe9, as Bochs/QEMU */

extern const struct io_ops post_port_ops;

/* ---- Power-off: ACPI PM1a control (2 ports). Writing SLP_EN requests an exit with status 0. */
struct power_off;
struct power_off *power_off_new(void (*request_exit)(void *ctx, int status), void *ctx);
void power_off_free(struct power_off *p);
extern const struct io_ops power_off_ops;       /* port 0x80: writes ignored, reads 0xff */

/* ---- 8259A PIC pair (master 0x20–0x21, slave 0xA0–0xA1; slave on master IRQ 2).
 * Edge-triggered ISA lines: a 0→1 transition on an unmasked line sets IRR. */
struct pic;
/* notify(ctx, level) is called whenever the CPU's INTR input changes — from
 * inside port accesses, irq_line set() and pic_acknowledge, so it must only
 * record the change. */
struct pic *pic_new(void (*notify)(void *ctx, bool intr), void *ctx);
void pic_free(struct pic *p);
extern const struct io_ops pic_master_ops, pic_slave_ops;
/* The input for ISA IRQ 0–15 (IRQ 2 is the cascade: asking for it gives IRQ 9, as AT boards wire it). */
struct irq_line pic_irq_line(struct pic *p, unsigned irq);
/* INTR: an unmasked request is pending at a higher priority than any in service. */
bool pic_intr(const struct pic *p);
/* The CPU's interrupt acknowledge: returns the vector (ICW2 base + line) and
 * moves the request to ISR; a request that vanished gives the spurious IRQ 7/15 vector. */
uint8_t pic_acknowledge(struct pic *p);

/* ---- 8254 PIT (0x40–0x43) and port 0x61 (channel 2 gate and output, speaker). */
struct pit;
struct pit *pit_new(struct clock clk, struct irq_line irq0);
void pit_free(struct pit *p);
extern const struct io_ops pit_ops;      /* 4 ports: counters 0–2, control word */
extern const struct io_ops port61_ops;   /* 1 port, dev = the struct pit */
/* Raise IRQ 0 if a channel-0 output edge is due by now — at most one: edges
 * missed during a long gap are coalesced (lost ticks, as a late PIC would).
 * Returns the clock time of the next edge (UINT64_MAX if none will come).
 * Guest writes may move that time: call again after PIT port writes. */
uint64_t pit_update(struct pit *p);

/* ---- MC146818 CMOS RTC (0x70–0x71): host wall time, BCD or binary, 12/24 h,
 * status registers A–D, update-in-progress, periodic/alarm/update interrupts on IRQ 8. */
struct rtc;
struct rtc *rtc_new(struct clock clk, int64_t (*wall_seconds)(void *ctx), void *wall_ctx,
		    struct irq_line irq8);
void rtc_free(struct rtc *r);
extern const struct io_ops rtc_ops;
/* Raise due interrupts; returns the clock time of the next one (UINT64_MAX if none). */
uint64_t rtc_update(struct rtc *r);
/* CMOS bytes beyond the clock (e.g. memory size at 0x30/0x31, 0x34/0x35). */
void rtc_set_cmos(struct rtc *r, uint8_t index, uint8_t value);

/* ---- i8042 keyboard controller (0x60 data, 0x64 status/command): enough for
 * probing, self-test, the command byte, and reset (command 0xFE, or pulsing output
 * port bit 0 via 0xD1). No keyboard is attached. */
struct i8042;
struct i8042 *i8042_new(void (*request_reset)(void *ctx), void *ctx, struct irq_line irq1,
			struct irq_line irq12);
void i8042_free(struct i8042 *k);
extern const struct io_ops i8042_data_ops, i8042_cmd_ops;

/* ---- PCI configuration mechanism #1 (0xCF8 address, 0xCFC–0xCFF data) with an
 * empty bus: every function reads all-ones. */
struct pci_host;
struct pci_host *pci_host_new(void);
void pci_host_free(struct pci_host *h);
extern const struct io_ops pci_host_ops;  /* 8 ports from 0xCF8 */

#endif

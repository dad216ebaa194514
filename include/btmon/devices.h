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
/* Host side: a byte arrived for the guest. Returns false if the FIFO is full. */
bool uart_push_rx(struct uart *u, uint8_t byte);

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

#endif

/*
 * board.h — the emulated PC as one object: which devices exist and at which
 * port addresses. Only src/emul/board.c knows base addresses and IRQ numbers.
 */
#ifndef BTMON_BOARD_H
#define BTMON_BOARD_H

#include "btmon/devices.h"
#include "btmon/iobus.h"

struct board_config {
	struct byte_sink serial_out;    /* COM1 transmit */
	struct byte_sink debugcon_out;  /* port 0xe9 */
	struct clock clock;             /* drives the PIT and the RTC */
	int64_t (*wall_seconds)(void *ctx);  /* the RTC's wall time (Unix seconds) */
	/* The machine asks the monitor to stop (debug-exit, power-off). */
	void (*request_exit)(void *ctx, int status);
	/* The keyboard controller pulsed the CPU reset line. */
	void (*request_reset)(void *ctx);
	/* The PIC's INTR output changed (only record it: called from inside I/O). */
	void (*intr_changed)(void *ctx, bool intr);
	void *ctx;
};

struct board {
	struct iobus *bus;
	struct pic *pic;
	struct pit *pit;
	struct rtc *rtc;
	struct uart *com1;
	struct i8042 *kbc;
	struct pci_host *pci;
	struct debug_exit *dbg_exit;
	struct debug_console *dbg_con;
	struct power_off *power;
};

/* Create every device and map it. On failure nothing is left allocated. */
bt_status board_init(struct board *b, const struct board_config *cfg);
void board_fini(struct board *b);

/* Advance the timers to now (raising their IRQs); returns the clock time of
 * the next timer event (UINT64_MAX if none). */
uint64_t board_update(struct board *b);
/* The CPU's INTR input, and the interrupt acknowledge cycle (vector). */
bool board_intr(const struct board *b);
uint8_t board_acknowledge(struct board *b);

#endif

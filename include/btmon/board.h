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
	/* The machine asks the monitor to stop (debug-exit, reset with -no-reboot). */
	void (*request_exit)(void *ctx, int status);
	void *ctx;
};

struct board {
	struct iobus *bus;
	struct uart *com1;
	struct debug_exit *dbg_exit;
	struct debug_console *dbg_con;
	struct power_off *power;
};

/* Create every device and map it. On failure nothing is left allocated. */
bt_status board_init(struct board *b, const struct board_config *cfg);
void board_fini(struct board *b);

#endif

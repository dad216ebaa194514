/*
 * board.c — the emulated PC's wiring: which devices exist, at which ports,
 * on which IRQ. The only file that knows base addresses and IRQ numbers.
 *
 * Where it sits: the monitor calls board_init once before the first guest
 * instruction, routes every guest IN/OUT to b->bus, and calls board_fini at
 * the end. Devices never learn their own addresses.
 *
 * Port map:
 *     0x0080        POST code port (writes ignored; also used as an I/O delay)
 *     0x00f4-0x00f7 isa-debug-exit (4 ports, so `out dx, eax` lands whole)
 *     0x00e9        debug console ("port e9 hack")
 *     0x03f8-0x03ff COM1, 16550A UART, IRQ 4
 */
#include <string.h>

#include "btmon/board.h"

#define BOARD_POST_PORT     0x80
#define BOARD_DEBUG_EXIT    0xF4
#define BOARD_DEBUG_EXIT_N  4
#define BOARD_DEBUG_CON     0xE9
#define BOARD_COM1          0x3F8
#define BOARD_COM1_N        8
#define BOARD_COM1_IRQ      4
#define BOARD_PM1A_CNT      0x604   /* ACPI PM1a control, as QEMU's pc (PM base 0x600) */

/*
 * The line for ISA IRQ `irq`. There is no interrupt controller yet, so the line
 * goes nowhere (set == NULL is a valid, silent line). When the PIC exists, it
 * is created first in board_init and this returns its input, e.g.
 * `return pic_irq_line(b->pic, irq);`.
 */
static struct irq_line board_irq_line(struct board *b, unsigned irq)
{
	(void)b;
	return (struct irq_line){ .set = NULL, .ctx = NULL, .line = irq };
}

/* Claim every device's port range; stops at the first failure. */
static bt_status board_map_ports(struct board *b)
{
	bt_status st;

	st = iobus_map_pio(b->bus, BOARD_POST_PORT, 1, &post_port_ops, NULL, "post");
	if (st != BT_OK)
		return st;
	st = iobus_map_pio(b->bus, BOARD_DEBUG_CON, 1, &debug_console_ops, b->dbg_con, "debugcon");
	if (st != BT_OK)
		return st;
	st = iobus_map_pio(b->bus, BOARD_DEBUG_EXIT, BOARD_DEBUG_EXIT_N, &debug_exit_ops,
			   b->dbg_exit, "debug-exit");
	if (st != BT_OK)
		return st;
	st = iobus_map_pio(b->bus, BOARD_PM1A_CNT, 2, &power_off_ops, b->power, "acpi-pm1a-cnt");
	if (st != BT_OK)
		return st;
	return iobus_map_pio(b->bus, BOARD_COM1, BOARD_COM1_N, &uart_ops, b->com1, "com1");
}

/*
 * Build the machine into caller-allocated `b`. On success every field is set;
 * on failure nothing is left allocated, `b` is zeroed and the status returned.
 */
bt_status board_init(struct board *b, const struct board_config *cfg)
{
	bt_status st = BT_ERR_NOMEM;

	memset(b, 0, sizeof(*b));
	b->bus = iobus_new();
	if (!b->bus)
		goto fail;
	b->com1 = uart_new(board_irq_line(b, BOARD_COM1_IRQ), cfg->serial_out);
	if (!b->com1)
		goto free_bus;
	b->dbg_exit = debug_exit_new(cfg->request_exit, cfg->ctx);
	if (!b->dbg_exit)
		goto free_com1;
	b->dbg_con = debug_console_new(cfg->debugcon_out);
	if (!b->dbg_con)
		goto free_dbg_exit;
	b->power = power_off_new(cfg->request_exit, cfg->ctx);
	if (!b->power)
		goto free_dbg_con;
	st = board_map_ports(b);
	if (st != BT_OK)
		goto free_power;
	return BT_OK;

free_power:
	power_off_free(b->power);
free_dbg_con:
	debug_console_free(b->dbg_con);
free_dbg_exit:
	debug_exit_free(b->dbg_exit);
free_com1:
	uart_free(b->com1);
free_bus:
	iobus_free(b->bus);
fail:
	memset(b, 0, sizeof(*b));
	return st;
}

/* Free every device; safe on a partly built or already finished board. */
void board_fini(struct board *b)
{
	iobus_free(b->bus);             /* first: the bus points at the devices */
	debug_console_free(b->dbg_con);
	debug_exit_free(b->dbg_exit);
	power_off_free(b->power);
	uart_free(b->com1);
	memset(b, 0, sizeof(*b));
}

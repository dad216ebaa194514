/*
 * board.c — the emulated PC's wiring: which devices exist, at which ports,
 * on which IRQ. The only file that knows base addresses and IRQ numbers.
 *
 * Where it sits: the monitor calls board_init once before the first guest
 * instruction, routes every guest IN/OUT to b->bus, and calls board_fini at
 * the end. Devices never learn their own addresses.
 *
 * Port map:
 *     0x0020-0x0021 8259A master PIC           0x00a0-0x00a1 8259A slave PIC
 *     0x0040-0x0043 8254 PIT (IRQ 0)           0x0061        PIT ch.2 gate/speaker
 *     0x0060, 0x0064 i8042 (IRQ 1, 12; reset)  0x0070-0x0071 CMOS RTC (IRQ 8)
 *     0x0080        POST code port (writes ignored; also used as an I/O delay)
 *     0x00e9        debug console ("port e9 hack")
 *     0x00f4-0x00f7 isa-debug-exit (4 ports, so `out dx, eax` lands whole)
 *     0x03f8-0x03ff COM1, 16550A UART, IRQ 4
 *     0x0604-0x0605 ACPI PM1a control (power-off)
 *     0x0cf8-0x0cff PCI configuration mechanism #1 (a 440FX host bridge, nothing else)
 */
#include <stddef.h>
#include <stdint.h>
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
#define BOARD_PIC_MASTER    0x20
#define BOARD_PIC_SLAVE     0xA0
#define BOARD_PIT           0x40
#define BOARD_PIT_IRQ       0
#define BOARD_PORT61        0x61
#define BOARD_KBC_DATA      0x60
#define BOARD_KBC_CMD       0x64
#define BOARD_KBC_IRQ       1
#define BOARD_AUX_IRQ       12
#define BOARD_RTC           0x70
#define BOARD_RTC_IRQ       8
#define BOARD_PCI_CONF      0xCF8

/*
 * The line for ISA IRQ `irq`. There is no interrupt controller yet, so the line
 * goes nowhere (set == NULL is a valid, silent line). When the PIC exists, it
 * is created first in board_init and this returns its input, e.g.
 * `return pic_irq_line(b->pic, irq);`.
 */
static struct irq_line board_irq_line(struct board *b, unsigned irq)
{
	return pic_irq_line(b->pic, irq);
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
	static const struct { uint16_t base, len; const struct io_ops *ops; size_t dev; const char *name; } map[] = {
		{ BOARD_PIC_MASTER, 2, &pic_master_ops, offsetof(struct board, pic), "pic-master" },
		{ BOARD_PIC_SLAVE, 2, &pic_slave_ops, offsetof(struct board, pic), "pic-slave" },
		{ BOARD_PIT, 4, &pit_ops, offsetof(struct board, pit), "pit" },
		{ BOARD_PORT61, 1, &port61_ops, offsetof(struct board, pit), "port61" },
		{ BOARD_KBC_DATA, 1, &i8042_data_ops, offsetof(struct board, kbc), "i8042-data" },
		{ BOARD_KBC_CMD, 1, &i8042_cmd_ops, offsetof(struct board, kbc), "i8042-cmd" },
		{ BOARD_RTC, 2, &rtc_ops, offsetof(struct board, rtc), "rtc" },
		{ BOARD_PCI_CONF, 8, &pci_host_ops, offsetof(struct board, pci), "pci-conf1" },
	};
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		void *dev = *(void **)((char *)b + map[i].dev);
		st = iobus_map_pio(b->bus, map[i].base, map[i].len, map[i].ops, dev, map[i].name);
		if (st != BT_OK)
			return st;
	}
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
	b->pic = pic_new(cfg->intr_changed, cfg->ctx);
	if (!b->pic)
		goto free_bus;
	b->pit = pit_new(cfg->clock, board_irq_line(b, BOARD_PIT_IRQ));
	b->rtc = rtc_new(cfg->clock, cfg->wall_seconds, cfg->ctx, board_irq_line(b, BOARD_RTC_IRQ));
	b->kbc = i8042_new(cfg->request_reset, cfg->ctx, board_irq_line(b, BOARD_KBC_IRQ),
			   board_irq_line(b, BOARD_AUX_IRQ));
	b->pci = pci_host_new();
	if (!b->pit || !b->rtc || !b->kbc || !b->pci)
		goto free_chipset;
	b->com1 = uart_new(board_irq_line(b, BOARD_COM1_IRQ), cfg->serial_out);
	if (!b->com1)
		goto free_chipset;
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
free_chipset:
	pci_host_free(b->pci);
	i8042_free(b->kbc);
	rtc_free(b->rtc);
	pit_free(b->pit);
	pic_free(b->pic);
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
	pci_host_free(b->pci);
	i8042_free(b->kbc);
	rtc_free(b->rtc);
	pit_free(b->pit);
	pic_free(b->pic);
	memset(b, 0, sizeof(*b));
}

uint64_t board_update(struct board *b)
{
	uint64_t a = pit_update(b->pit), c = rtc_update(b->rtc);
	return a < c ? a : c;
}

bool board_intr(const struct board *b)
{
	return pic_intr(b->pic);
}

uint8_t board_acknowledge(struct board *b)
{
	return pic_acknowledge(b->pic);
}

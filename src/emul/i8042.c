/*
 * i8042.c — the PS/2 keyboard controller with nothing plugged in.
 *
 * Where it sits: board.c maps i8042_data_ops at 0x60 and i8042_cmd_ops at 0x64
 * (one port each, both on the same object) and wires ISA IRQs 1 and 12 and the
 * machine-reset request. Guests use it to probe for a keyboard and mouse, to
 * read and write the command byte, and to reset the machine.
 *
 * Model: a one-byte output buffer (the controller has no FIFO); commands run
 * at once, so the input buffer is never full (IBF always 0). The controller
 * itself answers its commands; a byte meant for a device goes nowhere, and the
 * controller reports what a PS/2-mode 8042 does when the device never clocks it
 * in: status bit 6 (timeout) with 0xFF in the output buffer (plus bit 5 for the
 * auxiliary port). Linux's atkbd/psmouse probes then fail within one command
 * timeout each (~200 ms) and stay quiet. The aux loopback (0xD3) works, so
 * Linux's AUX-port and MUX checks finish at once instead of timing out.
 *
 * IRQ 1 is high while the buffer holds keyboard-side data and command-byte bit 0
 * is set; IRQ 12 likewise for aux data and bit 1. Reading port 0x60 empties the
 * buffer and lowers the line.
 *
 * Reset: command 0xFE (any 0xF0-0xFE: pulse the output-port lines whose bit is
 * 0 — bit 0 is the CPU reset), or writing the output port (0xD1) with bit 0 low.
 * The callback runs inside the guest's OUT and must only record the request.
 */
#include <stdlib.h>

#include "btmon/devices.h"

/* Status register (read 0x64). */
#define STS_OBF     0x01u       /* output buffer full */
#define STS_IBF     0x02u       /* input buffer full: never, commands complete at once */
#define STS_SYS     0x04u       /* system flag: set by self-test, or command byte bit 2 */
#define STS_A2      0x08u       /* last write went to the command port */
#define STS_UNLOCK  0x10u       /* keyboard not inhibited by the keylock */
#define STS_AUXDATA 0x20u       /* the output byte came from the aux port */
#define STS_TIMEOUT 0x40u       /* the device did not answer */

/* Command byte (controller RAM byte 0). */
#define CTR_KBDINT  0x01u
#define CTR_AUXINT  0x02u
#define CTR_SYS     0x04u
#define CTR_KBDDIS  0x10u
#define CTR_AUXDIS  0x20u
#define CTR_XLATE   0x40u

/* Output port (0xD0/0xD1). */
#define OUT_RESET_N 0x01u       /* 0 = hold the CPU in reset */
#define OUT_A20     0x02u       /* stored; btmon does not mask A20 */
#define OUT_KBD_OBF 0x10u       /* wired to IRQ 1 */
#define OUT_AUX_OBF 0x20u       /* wired to IRQ 12 */
#define OUT_STORED  0xCFu       /* bits not driven by the buffer state */

enum {
	CMD_READ_RAM = 0x20,            /* 0x20-0x3F: read RAM byte (0x20: command byte) */
	CMD_WRITE_RAM = 0x60,           /* 0x60-0x7F: write RAM byte, data follows */
	CMD_AUX_DISABLE = 0xA7, CMD_AUX_ENABLE = 0xA8, CMD_AUX_TEST = 0xA9,
	CMD_SELF_TEST = 0xAA, CMD_KBD_TEST = 0xAB,
	CMD_KBD_DISABLE = 0xAD, CMD_KBD_ENABLE = 0xAE,
	CMD_READ_OUTPORT = 0xD0, CMD_WRITE_OUTPORT = 0xD1,
	CMD_WRITE_KBD_OBUF = 0xD2,      /* data byte appears as if from the keyboard */
	CMD_WRITE_AUX_OBUF = 0xD3,      /* ... as if from the aux device (loopback) */
	CMD_WRITE_AUX = 0xD4,           /* data byte goes to the aux device */
	CMD_PULSE_FIRST = 0xF0,         /* 0xF0-0xFF: pulse output lines, low nibble 0 = pulse */
	CMD_NONE = 0x100,               /* no command waiting for its data byte */
};

#define SELF_TEST_OK   0x55u
#define PORT_TEST_OK   0x00u
#define NO_DEVICE_BYTE 0xFFu
#define RAM_SIZE       32u

struct i8042 {
	void (*request_reset)(void *ctx);
	void *ctx;
	struct irq_line irq1, irq12;
	uint8_t ram[RAM_SIZE];          /* ram[0] is the command byte */
	uint8_t outport;
	uint8_t obuf;
	uint8_t obuf_status;            /* STS_AUXDATA | STS_TIMEOUT of the buffered byte */
	bool obf, sys, a2;
	unsigned pending;               /* command awaiting a data byte, or CMD_NONE */
	int irq1_level, irq12_level;
};

static void i8042_set_line(const struct irq_line *line, int *level, int want)
{
	if (*level != want) {
		*level = want;
		irq_line_set(line, want);
	}
}

/* Drive IRQ 1 and 12 from the buffer state and the command byte's enables. */
static void i8042_update_irq(struct i8042 *k)
{
	bool aux = k->obuf_status & STS_AUXDATA;
	i8042_set_line(&k->irq1, &k->irq1_level, k->obf && !aux && (k->ram[0] & CTR_KBDINT));
	i8042_set_line(&k->irq12, &k->irq12_level, k->obf && aux && (k->ram[0] & CTR_AUXINT));
}

/* Put a byte in the output buffer (replacing any unread one). */
static void i8042_output(struct i8042 *k, uint8_t byte, uint8_t status)
{
	k->obuf = byte;
	k->obuf_status = status;
	k->obf = true;
}

static void i8042_reset_machine(struct i8042 *k)
{
	if (k->request_reset)
		k->request_reset(k->ctx);
}

static uint8_t i8042_status(const struct i8042 *k)
{
	return (uint8_t)((k->obf ? STS_OBF | k->obuf_status : 0) | (k->sys ? STS_SYS : 0) |
			 (k->a2 ? STS_A2 : 0) | STS_UNLOCK);
}

static uint8_t i8042_read_outport(const struct i8042 *k)
{
	bool aux = k->obuf_status & STS_AUXDATA;
	return (uint8_t)((k->outport & OUT_STORED) | (k->obf && !aux ? OUT_KBD_OBF : 0) |
			 (k->obf && aux ? OUT_AUX_OBF : 0));
}

static void i8042_command(struct i8042 *k, uint8_t cmd)
{
	k->pending = CMD_NONE;          /* a command cancels one awaiting data */
	if (cmd >= CMD_READ_RAM && cmd < CMD_READ_RAM + RAM_SIZE) {
		i8042_output(k, k->ram[cmd - CMD_READ_RAM], 0);
		return;
	}
	if ((cmd >= CMD_WRITE_RAM && cmd < CMD_WRITE_RAM + RAM_SIZE) ||
	    (cmd >= CMD_WRITE_OUTPORT && cmd <= CMD_WRITE_AUX)) {
		k->pending = cmd;
		return;
	}
	if (cmd >= CMD_PULSE_FIRST) {
		if (!(cmd & OUT_RESET_N))
			i8042_reset_machine(k);
		return;
	}
	switch (cmd) {
	case CMD_AUX_DISABLE: k->ram[0] |= CTR_AUXDIS; break;
	case CMD_AUX_ENABLE:  k->ram[0] &= (uint8_t)~CTR_AUXDIS; break;
	case CMD_KBD_DISABLE: k->ram[0] |= CTR_KBDDIS; break;
	case CMD_KBD_ENABLE:  k->ram[0] &= (uint8_t)~CTR_KBDDIS; break;
	case CMD_AUX_TEST:
	case CMD_KBD_TEST:    i8042_output(k, PORT_TEST_OK, 0); break;
	case CMD_SELF_TEST:
		k->sys = true;
		i8042_output(k, SELF_TEST_OK, 0);
		break;
	case CMD_READ_OUTPORT: i8042_output(k, i8042_read_outport(k), 0); break;
	default: break;                 /* unsupported: no answer, as a busy controller */
	}
}

/* A data byte: the parameter of a pending command, or a byte for the keyboard. */
static void i8042_data(struct i8042 *k, uint8_t byte)
{
	unsigned cmd = k->pending;

	k->pending = CMD_NONE;
	if (cmd >= CMD_WRITE_RAM && cmd < CMD_WRITE_RAM + RAM_SIZE) {
		k->ram[cmd - CMD_WRITE_RAM] = byte;
		if (cmd == CMD_WRITE_RAM)
			k->sys = byte & CTR_SYS;
		return;
	}
	switch (cmd) {
	case CMD_WRITE_OUTPORT:
		k->outport = byte;
		if (!(byte & OUT_RESET_N))
			i8042_reset_machine(k);
		break;
	case CMD_WRITE_KBD_OBUF: i8042_output(k, byte, 0); break;
	case CMD_WRITE_AUX_OBUF: i8042_output(k, byte, STS_AUXDATA); break;
	case CMD_WRITE_AUX:
		i8042_output(k, NO_DEVICE_BYTE, STS_AUXDATA | STS_TIMEOUT);
		break;
	default:                        /* to the keyboard, which is not there */
		i8042_output(k, NO_DEVICE_BYTE, STS_TIMEOUT);
		break;
	}
}

/* io_ops: one port each; only the low byte of a wider access counts. */
static uint32_t i8042_data_read(void *dev, uint16_t offset, unsigned size)
{
	struct i8042 *k = dev;
	(void)offset;
	(void)size;

	k->obf = false;                 /* the byte stays readable, as on the chip */
	i8042_update_irq(k);
	return k->obuf;
}

static void i8042_data_write(void *dev, uint16_t offset, unsigned size, uint32_t value)
{
	struct i8042 *k = dev;
	(void)offset;
	(void)size;

	k->a2 = false;
	i8042_data(k, (uint8_t)value);
	i8042_update_irq(k);
}

static uint32_t i8042_cmd_read(void *dev, uint16_t offset, unsigned size)
{
	(void)offset;
	(void)size;
	return i8042_status(dev);
}

static void i8042_cmd_write(void *dev, uint16_t offset, unsigned size, uint32_t value)
{
	struct i8042 *k = dev;
	(void)offset;
	(void)size;

	k->a2 = true;
	i8042_command(k, (uint8_t)value);
	i8042_update_irq(k);
}

const struct io_ops i8042_data_ops = { .read = i8042_data_read, .write = i8042_data_write };
const struct io_ops i8042_cmd_ops = { .read = i8042_cmd_read, .write = i8042_cmd_write };

/* A controller at power-on, before any firmware: both interfaces disabled,
 * interrupts off, translation on, SYS clear until a self-test; reset and A20
 * lines high. `request_reset` may be NULL. */
struct i8042 *i8042_new(void (*request_reset)(void *ctx), void *ctx, struct irq_line irq1,
			struct irq_line irq12)
{
	struct i8042 *k = calloc(1, sizeof(*k));
	if (!k)
		return NULL;
	k->request_reset = request_reset;
	k->ctx = ctx;
	k->irq1 = irq1;
	k->irq12 = irq12;
	k->ram[0] = CTR_XLATE | CTR_AUXDIS | CTR_KBDDIS;
	k->outport = OUT_RESET_N | OUT_A20 | 0xC0u;     /* keyboard clock and data idle high */
	k->pending = CMD_NONE;
	return k;
}

void i8042_free(struct i8042 *k)
{
	free(k);
}

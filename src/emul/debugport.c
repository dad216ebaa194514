/*
 * debugport.c — the three debug ports guests use to talk to their emulator.
 *
 * Where it sits: board.c maps these on the iobus; guest IN/OUT reach them as
 * offsets into their ranges.
 *
 *   isa-debug-exit (board: 0xf4)  writing V asks the monitor to stop the
 *       machine with host exit status (V << 1) | 1, as QEMU's isa-debug-exit,
 *       so a guest can never report plain 0. Any width and any offset in the
 *       range; reads return all-ones. Test guests report pass/fail here.
 *   debug console (board: 0xe9)   the Bochs/QEMU "port e9 hack": writes put the
 *       low byte on a byte sink; reads return 0xe9 so guests can detect it.
 *   POST port (board: 0x80)       firmware progress codes and I/O delays:
 *       writes are ignored, reads return 0xff. Stateless, so it has no object.
 */
#include <stdint.h>
#include <stdlib.h>

#include "btmon/devices.h"

/* ---- isa-debug-exit ---- */

struct debug_exit {
	void (*request_exit)(void *ctx, int status);
	void *ctx;
};

static uint32_t debug_exit_read(void *dev, uint16_t offset, unsigned size)
{
	(void)dev;
	(void)offset;
	(void)size;
	return 0xFFFFFFFFu;
}

/* Status (V << 1) | 1, kept within 31 bits so it stays a non-negative int. */
static void debug_exit_write(void *dev, uint16_t offset, unsigned size, uint32_t value)
{
	struct debug_exit *d = dev;
	(void)offset;
	(void)size;

	uint32_t status = ((value << 1) | 1u) & (uint32_t)INT32_MAX;
	if (d->request_exit)
		d->request_exit(d->ctx, (int)status);
}

const struct io_ops debug_exit_ops = { .read = debug_exit_read, .write = debug_exit_write };

/* `request_exit` is called from inside the guest's OUT; it must only record the
 * request (the monitor stops the vCPU after the instruction). */
struct debug_exit *debug_exit_new(void (*request_exit)(void *ctx, int status), void *ctx)
{
	struct debug_exit *d = calloc(1, sizeof(*d));
	if (!d)
		return NULL;
	d->request_exit = request_exit;
	d->ctx = ctx;
	return d;
}

void debug_exit_free(struct debug_exit *d)
{
	free(d);
}

/* ---- port 0xe9 debug console ---- */

#define DEBUG_CONSOLE_MAGIC 0xE9u       /* what a read returns: "console present" */

struct debug_console {
	struct byte_sink out;
};

static uint32_t debug_console_read(void *dev, uint16_t offset, unsigned size)
{
	(void)dev;
	(void)offset;
	(void)size;
	return DEBUG_CONSOLE_MAGIC;
}

static void debug_console_write(void *dev, uint16_t offset, unsigned size, uint32_t value)
{
	struct debug_console *d = dev;
	(void)offset;
	(void)size;

	if (d->out.put)
		d->out.put(d->out.ctx, (uint8_t)value);
}

const struct io_ops debug_console_ops = { .read = debug_console_read, .write = debug_console_write };

struct debug_console *debug_console_new(struct byte_sink out)
{
	struct debug_console *d = calloc(1, sizeof(*d));
	if (!d)
		return NULL;
	d->out = out;
	return d;
}

void debug_console_free(struct debug_console *d)
{
	free(d);
}

/* ---- port 0x80 POST codes ---- */

static uint32_t post_port_read(void *dev, uint16_t offset, unsigned size)
{
	(void)dev;
	(void)offset;
	(void)size;
	return 0xFF;
}

static void post_port_write(void *dev, uint16_t offset, unsigned size, uint32_t value)
{
	(void)dev;
	(void)offset;
	(void)size;
	(void)value;
}

const struct io_ops post_port_ops = { .read = post_port_read, .write = post_port_write };

/*
 * power.c — the power-off switch: the ACPI PM1a control register a PC with
 * a PIIX4 power-management function exposes (QEMU's `pc` machine at port
 * 0x604, two bytes). Writing SLP_EN (bit 13) puts the machine in the sleep
 * state SLP_TYP selects; btmon treats every sleep state as power-off, which
 * ends btmon with status 0 — how a guest says "done, all good" (the
 * isa-debug-exit port can only produce odd statuses).
 */
#include <stdlib.h>

#include "btmon/devices.h"

#define PM1_SLP_EN (1u << 13)

struct power_off {
	void (*request_exit)(void *ctx, int status);
	void *ctx;
	uint16_t pm1_cnt;
};

static uint32_t power_read(void *dev, uint16_t offset, unsigned size)
{
	struct power_off *p = dev;
	uint32_t v = p->pm1_cnt;
	if (offset == 1)
		v >>= 8;
	return size == 1 ? (v & 0xff) : (v & 0xffff);
}

static void power_write(void *dev, uint16_t offset, unsigned size, uint32_t value)
{
	struct power_off *p = dev;
	if (offset == 1 && size == 1)
		value <<= 8;
	p->pm1_cnt = (uint16_t)(value & ~PM1_SLP_EN);   /* SLP_EN reads back as 0 */
	if ((value & PM1_SLP_EN) && p->request_exit)
		p->request_exit(p->ctx, 0);
}

const struct io_ops power_off_ops = { .read = power_read, .write = power_write };

struct power_off *power_off_new(void (*request_exit)(void *ctx, int status), void *ctx)
{
	struct power_off *p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->request_exit = request_exit;
	p->ctx = ctx;
	return p;
}

void power_off_free(struct power_off *p)
{
	free(p);
}

/*
 * boot_util.h — private to src/emul: what the two boot loaders share
 * (multiboot.c, linux_boot.c): the PC memory map they both report, the
 * error line they write on failure, and little helpers for reading images.
 *
 *	struct boot_err e = { err, errlen };
 *	char sz[32];
 *	return boot_fail(e, BT_ERR_RANGE, "guest RAM (%s) is too small",
 *			 boot_size_str_exact(ram.size, sz, sizeof sz));
 */
#ifndef BTMON_EMUL_BOOT_UTIL_H
#define BTMON_EMUL_BOOT_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include "btmon/types.h"

#define BOOT_MIB (1024u * 1024u)

/* The low-memory layout both loaders report (a PC with a 1 KiB EBDA):
 * RAM [0, BOOT_LOW_RAM_END), EBDA reserved up to BOOT_EBDA_END, the BIOS
 * area [BOOT_BIOS_START, BOOT_HIGH_START) reserved, RAM again from 1 MiB. */
#define BOOT_LOW_RAM_END 0x9FC00u    /* 639 KiB of conventional memory */
#define BOOT_EBDA_END    0xA0000u
#define BOOT_BIOS_START  0xF0000u
#define BOOT_HIGH_START  0x100000u

/* Where a loader's error line goes: the caller's buffer (NULL or length 0:
 * nowhere). */
struct boot_err {
	char *buf;
	size_t len;
};

/* Write one formatted line (no newline) into e and return status. */
bt_status boot_fail(struct boot_err e, bt_status status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Write bytes for an error line into buf and return buf: "256 MiB",
 * "16.05 MiB" (1 MiB or more), "640 KiB" or "1000 bytes" (0 reads
 * "0 bytes"). */
const char *boot_size_str(uint64_t bytes, char *buf, size_t len);

/* The same in the largest unit that divides bytes exactly: "256 MiB",
 * "1536 KiB", "1000 bytes" (0 reads "0 MiB"). */
const char *boot_size_str_exact(uint64_t bytes, char *buf, size_t len);

/* The little-endian 32-bit value at p (any alignment). */
static inline uint32_t boot_rd32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

#endif

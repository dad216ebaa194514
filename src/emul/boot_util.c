/*
 * boot_util.c — the error line and size wording the boot loaders share
 * (boot_util.h). Runs before the first guest instruction, on the monitor's
 * side; touches neither guest RAM nor the image.
 */
#include "boot_util.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>

bt_status boot_fail(struct boot_err e, bt_status status, const char *fmt, ...)
{
	va_list ap;

	if (e.buf && e.len) {
		va_start(ap, fmt);
		vsnprintf(e.buf, e.len, fmt, ap);
		va_end(ap);
	}
	return status;
}

/* fraction: sizes of 1 MiB or more that are not whole MiB as "16.05 MiB",
 * and 0 as "0 bytes". */
static const char *size_str(uint64_t bytes, bool fraction, char *buf, size_t len)
{
	if (bytes % BOOT_MIB == 0 && (bytes != 0 || !fraction))
		snprintf(buf, len, "%" PRIu64 " MiB", bytes / BOOT_MIB);
	else if (bytes >= BOOT_MIB && fraction)
		snprintf(buf, len, "%.2f MiB", (double)bytes / BOOT_MIB);
	else if (bytes != 0 && bytes % 1024 == 0)
		snprintf(buf, len, "%" PRIu64 " KiB", bytes / 1024);
	else
		snprintf(buf, len, "%" PRIu64 " bytes", bytes);
	return buf;
}

const char *boot_size_str(uint64_t bytes, char *buf, size_t len)
{
	return size_str(bytes, true, buf, len);
}

const char *boot_size_str_exact(uint64_t bytes, char *buf, size_t len)
{
	return size_str(bytes, false, buf, len);
}

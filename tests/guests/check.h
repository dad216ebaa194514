/*
 * check.h — how the test guests in tests/guests/ report: one line per check
 * on COM1, "ok   <what>" or "FAIL <what>: got X want Y", and a summary.
 * Header-only (static functions) because every guest is one C file plus the
 * common start.S/console.c/mem.c.
 *
 *	check_eq("add eax, ebx", got, 0x1234);   // prints and counts
 *	if (!check_quiet("case", got, want))     // prints only a failure
 *		bad++;
 *	check_eq(check_cat(buf, sizeof buf, "jz", " rel8"), got, want);
 *	return check_summary("alu_flags");       // 0 if nothing failed, else 1
 *
 * The expected values a guest passes are constants derived outside btmon (by
 * running the same code on the host CPU, or under QEMU, or from the SDM), so
 * a check can fail; never compare a translated result with another result of
 * the same translated code.
 */
#ifndef GUEST_CHECK_H
#define GUEST_CHECK_H

#include <stdbool.h>
#include <stdint.h>

#include "console.h"

static unsigned check_passed, check_failed;

/* Count and print one failure. */
static inline void check_fail(const char *what, uint32_t got, uint32_t want)
{
	check_failed++;
	console_printf("FAIL %s: got 0x%x want 0x%x\n", what, got, want);
}

/* got == want: print "ok   what"; otherwise "FAIL what: got .. want ..".
 * Returns whether it passed. */
static inline bool check_eq(const char *what, uint32_t got, uint32_t want)
{
	if (got != want) {
		check_fail(what, got, want);
		return false;
	}
	check_passed++;
	console_printf("ok   %s\n", what);
	return true;
}

/* Like check_eq, but silent when it passes (for table-driven checks that
 * print one "ok" line for the whole table). */
static inline bool check_quiet(const char *what, uint32_t got, uint32_t want)
{
	if (got != want) {
		check_fail(what, got, want);
		return false;
	}
	check_passed++;
	return true;
}

/* A condition with no single value to show. */
static inline bool check_true(const char *what, bool cond)
{
	return check_eq(what, cond, 1);
}

/* a followed by b in buf (size n, truncated): names for table-driven checks. */
static inline const char *check_cat(char *buf, unsigned n, const char *a, const char *b)
{
	unsigned i = 0;

	while (*a && i + 1 < n)
		buf[i++] = *a++;
	while (*b && i + 1 < n)
		buf[i++] = *b++;
	buf[i] = '\0';
	return buf;
}

/* Print the totals; the guest's return value: 0 if every check passed. */
static inline int check_summary(const char *guest)
{
	console_printf("%s: %u passed, %u failed\n", guest, check_passed, check_failed);
	return check_failed ? 1 : 0;
}

#endif

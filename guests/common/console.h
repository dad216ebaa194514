/*
 * console.h — output for guest kernels: COM1 (16550A at 0x3F8) and the
 * isa-debug-exit port (0xF4) through which a guest reports its result.
 *
 *	console_init();
 *	console_printf("primes below %u: %u\n", n, count);
 *	debug_exit(failed ? 1 : 0);
 */
#ifndef GUEST_CONSOLE_H
#define GUEST_CONSOLE_H

#include <stdint.h>

#define COM1_BASE        0x3F8
#define DEBUG_EXIT_PORT  0xF4

/* Program COM1 for 115200 baud, 8N1, FIFOs on. Optional: output works
 * without it on QEMU and btmon, but real hardware wants it. */
void console_init(void);

/* Write one byte to COM1, waiting for the transmit holding register to be
 * empty (LSR bit 5) first. '\n' is sent as is. */
void console_putc(char c);
void console_puts(const char *s);
/* "0x" and eight hex digits. */
void console_put_hex(uint32_t v);
void console_put_dec(uint32_t v);

/* A small printf: %s %c %d %u %x %p %%, with an optional 0 flag and width
 * for the numbers ("%08x"). Nothing else. */
void console_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Write value to the debug-exit port (host status (value << 1) | 1), then
 * halt forever if the port did not stop the machine. */
__attribute__((noreturn)) void debug_exit(int value);

#endif

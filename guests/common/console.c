/*
 * console.c — COM1 polling output and debug-exit for guest kernels (see
 * console.h). Every byte is a port write btmon's UART model must see; the
 * LSR poll before each byte is the port read a real driver does.
 */
#include "console.h"

#include <stdarg.h>
#include <stdbool.h>

#include "io.h"

/* 16550A registers, as offsets from COM1_BASE. */
#define UART_THR 0   /* transmit holding (write, DLAB = 0) */
#define UART_DLL 0   /* divisor latch low (DLAB = 1) */
#define UART_IER 1   /* interrupt enable (DLAB = 0) */
#define UART_DLM 1   /* divisor latch high (DLAB = 1) */
#define UART_FCR 2   /* FIFO control (write) */
#define UART_LCR 3   /* line control; bit 7 = DLAB */
#define UART_MCR 4   /* modem control */
#define UART_LSR 5   /* line status */
#define UART_LSR_THRE (1u << 5)   /* transmit holding register empty */

void console_init(void)
{
	outb(COM1_BASE + UART_IER, 0x00);   /* no interrupts: we poll */
	outb(COM1_BASE + UART_LCR, 0x80);   /* DLAB on */
	outb(COM1_BASE + UART_DLL, 0x01);   /* divisor 1: 115200 baud */
	outb(COM1_BASE + UART_DLM, 0x00);
	outb(COM1_BASE + UART_LCR, 0x03);   /* DLAB off, 8 data bits, no parity, 1 stop */
	outb(COM1_BASE + UART_FCR, 0x07);   /* enable and clear both FIFOs */
	outb(COM1_BASE + UART_MCR, 0x03);   /* DTR, RTS */
}

void console_putc(char c)
{
	while (!(inb(COM1_BASE + UART_LSR) & UART_LSR_THRE))
		;
	outb(COM1_BASE + UART_THR, (uint8_t)c);
}

void console_puts(const char *s)
{
	while (*s)
		console_putc(*s++);
}

/* Print v in base (10 or 16), at least width digits padded with pad. */
static void console_put_num(uint32_t v, unsigned base, int width, char pad)
{
	char buf[12];
	int n = 0;

	do {
		buf[n++] = "0123456789abcdef"[v % base];
		v /= base;
	} while (v);
	while (width-- > n)
		console_putc(pad);
	while (n)
		console_putc(buf[--n]);
}

void console_put_hex(uint32_t v)
{
	console_puts("0x");
	console_put_num(v, 16, 8, '0');
}

void console_put_dec(uint32_t v)
{
	console_put_num(v, 10, 0, ' ');
}

/* Print one conversion c with its argument. */
static void console_put_conv(char c, va_list *ap, int width, char pad)
{
	int d;

	switch (c) {
	case 's': {
		const char *s = va_arg(*ap, const char *);
		console_puts(s ? s : "(null)");
		break;
	}
	case 'c':
		console_putc((char)va_arg(*ap, int));
		break;
	case 'd':
		d = va_arg(*ap, int);
		if (d < 0) {
			console_putc('-');
			width--;
		}
		console_put_num(d < 0 ? 0u - (uint32_t)d : (uint32_t)d, 10, width, pad);
		break;
	case 'u':
		console_put_num(va_arg(*ap, unsigned), 10, width, pad);
		break;
	case 'x':
		console_put_num(va_arg(*ap, unsigned), 16, width, pad);
		break;
	case 'p':
		console_put_hex((uint32_t)(uintptr_t)va_arg(*ap, void *));
		break;
	default:
		console_putc('%');
		console_putc(c);
		break;
	}
}

void console_printf(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	for (; *fmt; fmt++) {
		int width = 0;
		char pad = ' ';

		if (*fmt != '%' || fmt[1] == '\0') {
			console_putc(*fmt);
			continue;
		}
		if (*++fmt == '%') {
			console_putc('%');
			continue;
		}
		if (*fmt == '0')
			pad = *fmt++;
		while (*fmt >= '0' && *fmt <= '9')
			width = width * 10 + (*fmt++ - '0');
		if (*fmt == '\0')
			break;
		console_put_conv(*fmt, &ap, width, pad);
	}
	va_end(ap);
}

void debug_exit(int value)
{
	outl(DEBUG_EXIT_PORT, (uint32_t)value);
	for (;;) {
		cli();
		hlt();
	}
}

/*
 * console.c — the host side of the serial console: stdin to COM1's receive
 * FIFO, and the terminal.
 *
 * A reader thread reads stdin and queues bytes; it wakes the vCPU thread
 * (the same signal the device timer uses, plus an eventfd a halted vCPU
 * polls) and the vCPU moves bytes into the UART as its FIFO has room
 * (console_drain, from irq.c). Devices are only ever touched by the vCPU
 * thread. When stdin is a terminal it is put in raw input mode (output
 * processing stays on) and restored on every way out; Ctrl-A starts an
 * escape as in QEMU: Ctrl-A x quits, Ctrl-A h lists the escapes, Ctrl-A
 * Ctrl-A sends a Ctrl-A. When stdin is a pipe or a file its bytes are fed
 * to the guest as they come, and the guest keeps running after EOF.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <termios.h>
#include <unistd.h>

#include "monitor.h"

#define CONSOLE_RING 8192
#define CTRL_A 0x01

static struct {
	bool active, is_tty, raw, escape;
	struct termios saved;
	pthread_t reader;
	pthread_mutex_t lock;
	uint8_t ring[CONSOLE_RING];
	unsigned head, count;
	int wake_fd;                 /* eventfd: input arrived (a halted vCPU polls it) */
	atomic_int quit;
	atomic_int eof;              /* the reader saw EOF: no more input can come */
	atomic_int fresh;            /* input (or a quit) arrived since the last drain */
} con = { .lock = PTHREAD_MUTEX_INITIALIZER, .wake_fd = -1 };

static void restore_terminal(void)
{
	if (con.raw) {
		tcsetattr(STDIN_FILENO, TCSANOW, &con.saved);
		con.raw = false;
	}
}

static void on_fatal_signal(int sig)
{
	restore_terminal();
	signal(sig, SIG_DFL);
	raise(sig);
}

static void raw_mode(void)
{
	struct termios t;
	if (tcgetattr(STDIN_FILENO, &con.saved) != 0)
		return;
	t = con.saved;
	t.c_iflag &= ~(tcflag_t)(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR | IGNCR | ICRNL | IXON);
	t.c_lflag &= ~(tcflag_t)(ECHO | ECHONL | ICANON | ISIG | IEXTEN);
	t.c_cflag = (t.c_cflag & ~(tcflag_t)(CSIZE | PARENB)) | CS8;
	t.c_cc[VMIN] = 1;
	t.c_cc[VTIME] = 0;
	if (tcsetattr(STDIN_FILENO, TCSANOW, &t) != 0)
		return;
	con.raw = true;
	atexit(restore_terminal);
	static const int sigs[] = { SIGTERM, SIGHUP, SIGQUIT, SIGABRT };
	for (size_t i = 0; i < BT_ARRAY_SIZE(sigs); i++)
		signal(sigs[i], on_fatal_signal);
}

static void queue_byte(uint8_t b)
{
	pthread_mutex_lock(&con.lock);
	if (con.count < CONSOLE_RING) {
		con.ring[(con.head + con.count) % CONSOLE_RING] = b;
		con.count++;
	}
	pthread_mutex_unlock(&con.lock);
}

static void escape_help(void)
{
	static const char help[] =
		"\r\nC-a h    print this help\r\nC-a x    exit btmon\r\n"
		"C-a C-a  send C-a to the guest\r\n";
	if (write(STDERR_FILENO, help, sizeof(help) - 1) < 0)
		return;
}

/* A byte typed on the terminal: Ctrl-A escapes, or input for the guest. */
static void typed(uint8_t b)
{
	if (!con.escape) {
		if (b == CTRL_A)
			con.escape = true;
		else
			queue_byte(b);
		return;
	}
	con.escape = false;
	if (b == 'x' || b == 'X')
		atomic_store(&con.quit, 1);
	else if (b == 'h' || b == 'H' || b == '?')
		escape_help();
	else if (b == CTRL_A)
		queue_byte(CTRL_A);
}

static void *reader_main(void *arg)
{
	(void)arg;
	uint8_t buf[256];
	for (;;) {
		ssize_t n = read(STDIN_FILENO, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			atomic_store(&con.eof, 1);   /* the guest keeps running */
			break;
		}
		for (ssize_t i = 0; i < n; i++) {
			if (con.is_tty)
				typed(buf[i]);
			else
				queue_byte(buf[i]);
		}
		uint64_t one = 1;
		atomic_store(&con.fresh, 1);
		if (write(con.wake_fd, &one, sizeof(one)) < 0)
			break;
		irq_kick();
	}
	return NULL;
}

bt_status console_init(struct machine *m)
{
	(void)m;
	con.is_tty = isatty(STDIN_FILENO);
	con.wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (con.wake_fd < 0)
		return BT_ERR_HOST;
	if (con.is_tty)
		raw_mode();
	/* The reader must not take the monitor's signals. */
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	int rc = pthread_create(&con.reader, NULL, reader_main, NULL);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		restore_terminal();
		return BT_ERR_HOST;
	}
	pthread_detach(con.reader);
	con.active = true;
	return BT_OK;
}

void console_fini(void)
{
	restore_terminal();
}

int console_wake_fd(void)
{
	return con.wake_fd;
}

void console_drain(struct machine *m)
{
	uint64_t ignored;
	/* Cheap when nothing arrived: no system call (this runs after many exits). */
	if (!con.active || (!atomic_exchange(&con.fresh, 0) && con.count == 0))
		return;
	if (read(con.wake_fd, &ignored, sizeof(ignored)) < 0 && errno != EAGAIN)
		return;
	if (atomic_load(&con.quit))
		machine_stop(m, 0, false, "C-a x: quit");
	pthread_mutex_lock(&con.lock);
	unsigned room = uart_rx_room(m->board.com1);
	while (con.count > 0 && room-- > 0) {
		uart_push_rx(m->board.com1, con.ring[con.head]);
		con.head = (con.head + 1) % CONSOLE_RING;
		con.count--;
	}
	pthread_mutex_unlock(&con.lock);
}

bool console_can_wake(void)
{
	return con.active && !atomic_load(&con.eof);
}

bool console_pending(void)
{
	pthread_mutex_lock(&con.lock);
	bool any = con.count > 0;
	pthread_mutex_unlock(&con.lock);
	return any;
}

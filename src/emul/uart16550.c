/*
 * uart16550.c — a 16550A UART (the PC's COM port) as a pure state machine.
 *
 * Where it sits: board.c maps it at a COM base (0x3f8 for COM1, 8 ports) and
 * gives it an IRQ line and a byte sink; the guest's IN/OUT reach it through
 * iobus as offsets 0..7; the host pushes received bytes with uart_push_rx.
 *
 * Model: the host is infinitely fast, so a byte written to THR is handed to the
 * sink at once and LSR.THRE|TEMT are always set. Receive goes through a 16-byte
 * FIFO (1 byte deep while FIFOs are disabled, as a 16450). Line errors other
 * than overrun never happen. The interrupt output follows the chip's priority
 * order, and the PC gates it with MCR.OUT2 before it reaches the PIC:
 *
 *     irq level = (IIR reports a pending source) && MCR.OUT2
 *
 * The character-timeout interrupt is approximated: data below the FIFO trigger
 * level is reported at once as a timeout (IIR 0xC) instead of after four
 * character times. With no wire attached, the modem inputs read as a ready
 * peer (CTS, DSR, DCD asserted) except in loopback, where they follow MCR.
 *
 * Register map (offset, DLAB = LCR bit 7), per the NS16550A data sheet:
 *     0  RBR (read) / THR (write)        DLL when DLAB
 *     1  IER                             DLM when DLAB
 *     2  IIR (read) / FCR (write)
 *     3  LCR    4  MCR    5  LSR    6  MSR    7  SCR
 */
#include <stdlib.h>

#include "btmon/devices.h"

enum {
	UART_RBR = 0, UART_IER = 1, UART_IIR = 2, UART_LCR = 3,
	UART_MCR = 4, UART_LSR = 5, UART_MSR = 6, UART_SCR = 7,
	UART_NREGS = 8,
	UART_FIFO_SIZE = 16,
};

/* IER: interrupt enables. */
#define IER_ERBFI 0x01u         /* received data available (and timeout) */
#define IER_ETBEI 0x02u         /* transmitter holding register empty */
#define IER_ELSI  0x04u         /* receiver line status */
#define IER_EDSSI 0x08u         /* modem status */
#define IER_MASK  0x0Fu

/* IIR: bit 0 is 0 while an interrupt is pending; bits 1-3 name the source. */
#define IIR_NONE    0x01u
#define IIR_RLS     0x06u       /* receiver line status (priority 1) */
#define IIR_RDA     0x04u       /* received data at trigger level (2) */
#define IIR_TIMEOUT 0x0Cu       /* character timeout (2) */
#define IIR_THRE    0x02u       /* THR empty (3) */
#define IIR_MSR     0x00u       /* modem status (4) */
#define IIR_FIFOS   0xC0u       /* both bits set when FIFOs are enabled */

/* FCR: FIFO control (write-only). Bits 1-7 count only when bit 0 is written 1. */
#define FCR_ENABLE   0x01u
#define FCR_CLEAR_RX 0x02u
#define FCR_CLEAR_TX 0x04u      /* no TX FIFO to clear: bytes leave at once */

#define LCR_DLAB 0x80u          /* divisor latch access */

/* MCR: modem control outputs. */
#define MCR_DTR  0x01u
#define MCR_RTS  0x02u
#define MCR_OUT1 0x04u
#define MCR_OUT2 0x08u          /* on the PC, gates the IRQ output */
#define MCR_LOOP 0x10u
#define MCR_MASK 0x1Fu

/* LSR: line status. */
#define LSR_DR     0x01u        /* data ready */
#define LSR_OE     0x02u        /* overrun error */
#define LSR_PE     0x04u
#define LSR_FE     0x08u
#define LSR_BI     0x10u
#define LSR_THRE   0x20u
#define LSR_TEMT   0x40u
#define LSR_ERRORS (LSR_OE | LSR_PE | LSR_FE | LSR_BI)

/* MSR: deltas in bits 0-3, line states in bits 4-7. */
#define MSR_DCTS 0x01u
#define MSR_DDSR 0x02u
#define MSR_TERI 0x04u          /* RI went from on to off */
#define MSR_DDCD 0x08u
#define MSR_CTS  0x10u
#define MSR_DSR  0x20u
#define MSR_RI   0x40u
#define MSR_DCD  0x80u
#define MSR_IDLE_PEER (MSR_CTS | MSR_DSR | MSR_DCD)

struct uart {
	struct irq_line irq;
	struct byte_sink out;
	uint8_t rx[UART_FIFO_SIZE];     /* ring buffer */
	unsigned rx_head, rx_count;
	uint8_t rbr;                    /* last byte read, returned when empty */
	uint8_t ier, lcr, mcr, scr;
	uint8_t lsr_errors;             /* sticky LSR error bits, cleared by reading LSR */
	uint8_t msr_lines, msr_delta;   /* MSR bits 4-7 and 0-3 */
	uint16_t divisor;
	bool fifo_enabled;
	unsigned rx_trigger;            /* 1, 4, 8 or 14 bytes */
	bool thre_pending;              /* THRE interrupt latched, until IIR read or THR write */
	int irq_level;                  /* last level driven on irq */
};

/* Receive FIFO depth: 16 with FIFOs enabled, 1 (a holding register) without. */
static unsigned uart_rx_capacity(const struct uart *u)
{
	return u->fifo_enabled ? UART_FIFO_SIZE : 1;
}

static void uart_rx_clear(struct uart *u)
{
	u->rx_head = 0;
	u->rx_count = 0;
}

/* Queue a received byte; on a full FIFO the byte is lost and LSR.OE set. */
static bool uart_rx_enqueue(struct uart *u, uint8_t byte)
{
	if (u->rx_count >= uart_rx_capacity(u)) {
		u->lsr_errors |= LSR_OE;
		return false;
	}
	u->rx[(u->rx_head + u->rx_count) % UART_FIFO_SIZE] = byte;
	u->rx_count++;
	return true;
}

static uint8_t uart_rx_dequeue(struct uart *u)
{
	if (u->rx_count) {
		u->rbr = u->rx[u->rx_head];
		u->rx_head = (u->rx_head + 1) % UART_FIFO_SIZE;
		u->rx_count--;
	}
	return u->rbr;
}

/* The highest-priority pending source, as IIR bits 0-3. */
static uint8_t uart_iir_source(const struct uart *u)
{
	if ((u->ier & IER_ELSI) && (u->lsr_errors & LSR_ERRORS))
		return IIR_RLS;
	if ((u->ier & IER_ERBFI) && u->rx_count) {
		bool below = u->fifo_enabled && u->rx_count < u->rx_trigger;
		return below ? IIR_TIMEOUT : IIR_RDA;
	}
	if ((u->ier & IER_ETBEI) && u->thre_pending)
		return IIR_THRE;
	if ((u->ier & IER_EDSSI) && u->msr_delta)
		return IIR_MSR;
	return IIR_NONE;
}

/* Drive the IRQ line to match the state; called after every access. */
static void uart_update_irq(struct uart *u)
{
	int level = uart_iir_source(u) != IIR_NONE && (u->mcr & MCR_OUT2);
	if (level != u->irq_level) {
		u->irq_level = level;
		irq_line_set(&u->irq, level);
	}
}

/* Modem inputs: a ready peer, or in loopback the MCR outputs wired back. */
static uint8_t uart_modem_inputs(const struct uart *u)
{
	if (!(u->mcr & MCR_LOOP))
		return MSR_IDLE_PEER;
	return ((u->mcr & MCR_RTS) ? MSR_CTS : 0) | ((u->mcr & MCR_DTR) ? MSR_DSR : 0) |
	       ((u->mcr & MCR_OUT1) ? MSR_RI : 0) | ((u->mcr & MCR_OUT2) ? MSR_DCD : 0);
}

/* Latch new modem input states and record which changed in the delta bits. */
static void uart_sample_modem(struct uart *u)
{
	uint8_t now = uart_modem_inputs(u);
	uint8_t changed = now ^ u->msr_lines;

	if (changed & MSR_CTS)
		u->msr_delta |= MSR_DCTS;
	if (changed & MSR_DSR)
		u->msr_delta |= MSR_DDSR;
	if ((changed & MSR_RI) && !(now & MSR_RI))
		u->msr_delta |= MSR_TERI;
	if (changed & MSR_DCD)
		u->msr_delta |= MSR_DDCD;
	u->msr_lines = now;
}

/* A byte leaves through THR: to the sink, or back to RX in loopback. */
static void uart_transmit(struct uart *u, uint8_t byte)
{
	if (u->mcr & MCR_LOOP)
		uart_rx_enqueue(u, byte);
	else if (u->out.put)
		u->out.put(u->out.ctx, byte);
	/* Writing THR clears the THRE interrupt; the byte moves out at once, so
	 * THR is empty again and the interrupt is raised anew. */
	u->thre_pending = true;
}

static void uart_write_ier(struct uart *u, uint8_t value)
{
	uint8_t ier = value & IER_MASK;
	/* Enabling ETBEI while THR is empty (always, here) raises THRE at once;
	 * disabling it drops the latch. Guests (Windows, Linux probing) rely on it. */
	if ((ier & IER_ETBEI) && !(u->ier & IER_ETBEI))
		u->thre_pending = true;
	else if (!(ier & IER_ETBEI))
		u->thre_pending = false;
	u->ier = ier;
}

static void uart_write_fcr(struct uart *u, uint8_t value)
{
	static const unsigned trigger[4] = { 1, 4, 8, 14 };
	bool enable = value & FCR_ENABLE;

	if (enable != u->fifo_enabled) {        /* a mode change empties the FIFOs */
		uart_rx_clear(u);
		u->fifo_enabled = enable;
	}
	if (!enable)
		return;
	if (value & FCR_CLEAR_RX)
		uart_rx_clear(u);
	u->rx_trigger = trigger[value >> 6];
}

static void uart_write_reg(struct uart *u, unsigned reg, uint8_t value)
{
	bool dlab = u->lcr & LCR_DLAB;

	switch (reg) {
	case UART_RBR:
		if (dlab)
			u->divisor = (uint16_t)((u->divisor & 0xFF00u) | value);
		else
			uart_transmit(u, value);
		break;
	case UART_IER:
		if (dlab)
			u->divisor = (uint16_t)((u->divisor & 0x00FFu) | (value << 8));
		else
			uart_write_ier(u, value);
		break;
	case UART_IIR: uart_write_fcr(u, value); break;
	case UART_LCR: u->lcr = value; break;
	case UART_MCR:
		u->mcr = value & MCR_MASK;
		uart_sample_modem(u);
		break;
	case UART_SCR: u->scr = value; break;
	default: break;         /* LSR and MSR are read-only here */
	}
}

static uint8_t uart_read_iir(struct uart *u)
{
	uint8_t source = uart_iir_source(u);
	if (source == IIR_THRE)         /* reading IIR acknowledges THRE */
		u->thre_pending = false;
	return source | (u->fifo_enabled ? IIR_FIFOS : 0);
}

static uint8_t uart_read_lsr(struct uart *u)
{
	uint8_t lsr = u->lsr_errors | LSR_THRE | LSR_TEMT | (u->rx_count ? LSR_DR : 0);
	u->lsr_errors = 0;
	return lsr;
}

static uint8_t uart_read_reg(struct uart *u, unsigned reg)
{
	bool dlab = u->lcr & LCR_DLAB;
	uint8_t v;

	switch (reg) {
	case UART_RBR: return dlab ? (uint8_t)u->divisor : uart_rx_dequeue(u);
	case UART_IER: return dlab ? (uint8_t)(u->divisor >> 8) : u->ier;
	case UART_IIR: return uart_read_iir(u);
	case UART_LCR: return u->lcr;
	case UART_MCR: return u->mcr;
	case UART_LSR: return uart_read_lsr(u);
	case UART_MSR:
		v = u->msr_lines | u->msr_delta;
		u->msr_delta = 0;
		return v;
	default:       return u->scr;
	}
}

/* io_ops: an 8-bit device; wider accesses act on consecutive registers. */
static uint32_t uart_io_read(void *dev, uint16_t offset, unsigned size)
{
	struct uart *u = dev;
	uint32_t value = 0;

	for (unsigned i = 0; i < size && offset + i < UART_NREGS; i++)
		value |= (uint32_t)uart_read_reg(u, offset + i) << (i * 8);
	uart_update_irq(u);
	return value;
}

static void uart_io_write(void *dev, uint16_t offset, unsigned size, uint32_t value)
{
	struct uart *u = dev;

	for (unsigned i = 0; i < size && offset + i < UART_NREGS; i++)
		uart_write_reg(u, offset + i, (uint8_t)(value >> (i * 8)));
	uart_update_irq(u);
}

const struct io_ops uart_ops = { .read = uart_io_read, .write = uart_io_write };

/* A UART in its power-on state: 9600 baud divisor, FIFOs off, IRQ low. */
struct uart *uart_new(struct irq_line irq, struct byte_sink out)
{
	struct uart *u = calloc(1, sizeof(*u));
	if (!u)
		return NULL;
	u->irq = irq;
	u->out = out;
	u->divisor = 12;                /* 1.8432 MHz / 16 / 12 = 9600 baud */
	u->rx_trigger = 1;
	u->msr_lines = MSR_IDLE_PEER;
	return u;
}

void uart_free(struct uart *u)
{
	free(u);
}

/*
 * Host side: a byte arrived on the serial input. Returns false if it was not
 * received: the FIFO was full (the byte is lost and LSR.OE is set, as on the
 * chip) or the UART is in loopback, where the serial input is disconnected.
 */
unsigned uart_rx_room(const struct uart *u)
{
	if (u->mcr & MCR_LOOP)
		return 0;
	return uart_rx_capacity(u) - u->rx_count;
}

bool uart_push_rx(struct uart *u, uint8_t byte)
{
	if (u->mcr & MCR_LOOP)
		return false;
	bool ok = uart_rx_enqueue(u, byte);
	uart_update_irq(u);
	return ok;
}

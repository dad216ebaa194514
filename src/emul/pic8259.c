/*
 * pic8259.c — the PC's pair of cascaded 8259A interrupt controllers.
 *
 * Where it sits: board.c maps the master at 0x20 and the slave at 0xA0 (two
 * ports each, both io_ops take the struct pic), hands pic_irq_line(pic, n) to
 * the devices on ISA IRQ n, and gives pic_new a notify callback that tells the
 * monitor when the CPU's INTR input changes. When the guest can take an
 * interrupt the monitor calls pic_acknowledge() for the vector:
 *
 *     pic = pic_new(monitor_kick, vcpu);
 *     pit = pit_new(clock, pic_irq_line(pic, 0));
 *     ...  if (pic_intr(pic) && guest IF)  vector = pic_acknowledge(pic);
 *
 * Model (per the Intel 8259A data sheet, edge-triggered as on ISA):
 *  - IRR bit n latches on a 0→1 transition of input n and stays set until the
 *    request is acknowledged, even if the line drops first. A 1→0→1 pulse is
 *    therefore enough to request an interrupt. IRR is cleared by ICW1 (the
 *    edge-sense latch is reset) and by acknowledge; IMR does not clear it.
 *  - Priority is fixed with IRQ 0 highest until rotated (OCW2 rotate and
 *    set-priority commands and rotate-in-auto-EOI are implemented).
 *  - INTR = the highest unmasked IRR bit outranks the highest ISR bit (in
 *    special mask mode, masked ISR bits do not count). Special fully nested
 *    mode, level triggering (ICW1.LTIM), buffered mode and 8080 call vectors
 *    are stored but behave as the PC's settings (edge, 8086 vectors).
 *  - The slave's INT output drives master input 2 like any other line, so the
 *    master latches its rising edges. Acknowledging master IRQ 2 takes the
 *    vector from the slave. If the slave's request vanished meanwhile (masked)
 *    the slave answers with its spurious vector base+7 while the master keeps
 *    ISR bit 2, as real hardware does; the guest must EOI the master only.
 *  - A request that vanished on the master gives the master's base+7 and sets
 *    no ISR bit (the "spurious IRQ 7" Linux counts).
 *  - The poll command (OCW3.P) makes the next command-port read return
 *    0x80 | level and acknowledge that level, or 0 if nothing is pending.
 *
 * Power-on state: as a PC BIOS leaves the pair (vectors 0x08/0x70, slave on
 * IRQ 2, 8086 mode) except that every line is masked until the guest says
 * otherwise.
 */
#include <assert.h>
#include <stdlib.h>

#include "btmon/devices.h"

enum {
	PIC_MASTER = 0,
	PIC_SLAVE = 1,
	PIC_CASCADE_IRQ = 2,    /* master input the slave's INT drives */
	PIC_NONE = 8,           /* "no IRQ" from the priority search */
	PIC_PORT_CMD = 0,       /* offset 0: ICW1, OCW2, OCW3; reads IRR/ISR/poll */
	PIC_PORT_DATA = 1,      /* offset 1: ICW2-4, OCW1; reads IMR */
	PIC_NPORTS = 2,
};

/* ICW1 (command port, bit 4 set). */
#define ICW1_IC4  0x01u         /* ICW4 follows */
#define ICW1_SNGL 0x02u         /* single chip: no ICW3 */
#define ICW1_SEL  0x10u         /* this is ICW1 */
/* ICW4. */
#define ICW4_8086 0x01u
#define ICW4_AEOI 0x02u         /* automatic EOI on acknowledge */
/* OCW2 (command port, bits 4-3 = 00): R, SL, EOI in bits 7-5, level in 2-0. */
#define OCW2_EOI  0x20u
#define OCW2_SL   0x40u         /* a specific level is named */
#define OCW2_R    0x80u         /* rotate */
#define OCW2_LEVEL(v) ((v) & 7u)
/* OCW3 (command port, bits 4-3 = 01). */
#define OCW3_SEL  0x08u
#define OCW3_RIS  0x01u         /* with RR: read ISR (1) or IRR (0) */
#define OCW3_RR   0x02u         /* the read-register select is valid */
#define OCW3_POLL 0x04u
#define OCW3_SMM  0x20u         /* special mask mode on/off ... */
#define OCW3_ESMM 0x40u         /* ... if this bit is set */
#define POLL_INT  0x80u         /* poll word: a request was pending */

/* Which initialisation word the data port expects next. */
enum pic_init { INIT_DONE, INIT_ICW2, INIT_ICW3, INIT_ICW4 };

struct pic_chip {
	uint8_t irr, isr, imr;
	uint8_t inputs;         /* last level of each input, for edge detection */
	uint8_t base;           /* ICW2: vector of IRQ 0 (low 3 bits zero) */
	uint8_t icw1, icw3, icw4;
	uint8_t lowest;         /* the IRQ with the lowest priority (7 unless rotated) */
	enum pic_init init;
	bool read_isr;          /* OCW3: command-port reads return ISR, not IRR */
	bool poll;              /* OCW3: the next command-port read is a poll */
	bool special_mask;
	bool rotate_aeoi;       /* rotate priority on automatic EOI */
};

struct pic {
	struct pic_chip chip[2];
	void (*notify)(void *ctx, bool intr);
	void *ctx;
	bool intr;              /* INTR as last reported through notify */
};

/* Priority rank of `irq`: 0 is the highest. */
static unsigned pic_rank(const struct pic_chip *c, unsigned irq)
{
	return (irq - c->lowest - 1u) & 7u;
}

/* The highest-priority IRQ whose bit is set in `bits`, or PIC_NONE. */
static unsigned pic_highest(const struct pic_chip *c, unsigned bits)
{
	for (unsigned rank = 0; rank < 8; rank++) {
		unsigned irq = (c->lowest + 1u + rank) & 7u;
		if (bits & (1u << irq))
			return irq;
	}
	return PIC_NONE;
}

/* The request this chip would hand over on INTA now, or PIC_NONE: the highest
 * unmasked IRR bit, if it outranks every level in service. */
static unsigned pic_chip_pending(const struct pic_chip *c)
{
	unsigned req = pic_highest(c, c->irr & ~c->imr);
	if (req == PIC_NONE)
		return PIC_NONE;
	unsigned blocking = c->special_mask ? c->isr & ~c->imr : c->isr;
	unsigned cur = pic_highest(c, blocking);
	if (cur != PIC_NONE && pic_rank(c, cur) <= pic_rank(c, req))
		return PIC_NONE;
	return req;
}

/* Drive input `irq` to `level`; a rising edge latches the IRR bit. */
static void pic_chip_input(struct pic_chip *c, unsigned irq, int level)
{
	uint8_t bit = (uint8_t)(1u << irq);

	if (level && !(c->inputs & bit))
		c->irr |= bit;
	c->inputs = level ? c->inputs | bit : c->inputs & (uint8_t)~bit;
}

/* INTA (or a poll read) on one chip: move the pending request from IRR to ISR
 * (not to ISR in auto-EOI mode) and return it, or PIC_NONE if nothing is
 * pending any more: a spurious acknowledge, which sets no ISR bit. */
static unsigned pic_chip_ack(struct pic_chip *c)
{
	unsigned irq = pic_chip_pending(c);
	if (irq == PIC_NONE)
		return PIC_NONE;
	c->irr &= (uint8_t)~(1u << irq);
	if (!(c->icw4 & ICW4_AEOI))
		c->isr |= (uint8_t)(1u << irq);
	else if (c->rotate_aeoi)
		c->lowest = (uint8_t)irq;
	return irq;
}

/* Recompute the cascade line and INTR after any state change; tell the
 * monitor if INTR changed. */
static void pic_update(struct pic *p)
{
	int slave_int = pic_chip_pending(&p->chip[PIC_SLAVE]) != PIC_NONE;
	pic_chip_input(&p->chip[PIC_MASTER], PIC_CASCADE_IRQ, slave_int);

	bool intr = pic_chip_pending(&p->chip[PIC_MASTER]) != PIC_NONE;
	if (intr != p->intr) {
		p->intr = intr;
		if (p->notify)
			p->notify(p->ctx, intr);
	}
}

/* ICW1 starts initialisation: per the data sheet the edge-sense latches are
 * reset (a line already high must fall and rise again), IMR is cleared, IR7
 * gets the lowest priority, special mask mode is cleared and status reads
 * select IRR; without IC4 the ICW4 functions are all zero. */
static void pic_write_icw1(struct pic_chip *c, uint8_t value)
{
	c->icw1 = value;
	c->init = INIT_ICW2;
	c->irr = 0;
	c->isr = 0;
	c->imr = 0;
	c->lowest = 7;
	c->read_isr = false;
	c->poll = false;
	c->special_mask = false;
	c->rotate_aeoi = false;
	if (!(value & ICW1_IC4))
		c->icw4 = 0;
}

/* OCW2: end of interrupt and priority rotation. */
static void pic_write_ocw2(struct pic_chip *c, uint8_t value)
{
	unsigned level = OCW2_LEVEL(value);

	switch (value & (OCW2_R | OCW2_SL | OCW2_EOI)) {
	case OCW2_EOI:                          /* non-specific EOI */
	case OCW2_R | OCW2_EOI:                 /* rotate on non-specific EOI */
		level = pic_highest(c, c->isr);
		if (level == PIC_NONE)
			return;
		c->isr &= (uint8_t)~(1u << level);
		if (value & OCW2_R)
			c->lowest = (uint8_t)level;
		break;
	case OCW2_SL | OCW2_EOI:                /* specific EOI */
		c->isr &= (uint8_t)~(1u << level);
		break;
	case OCW2_R | OCW2_SL | OCW2_EOI:       /* rotate on specific EOI */
		c->isr &= (uint8_t)~(1u << level);
		c->lowest = (uint8_t)level;
		break;
	case OCW2_R | OCW2_SL:                  /* set priority: level becomes lowest */
		c->lowest = (uint8_t)level;
		break;
	case OCW2_R:                            /* rotate in auto-EOI mode: set */
		c->rotate_aeoi = true;
		break;
	case 0:                                 /* rotate in auto-EOI mode: clear */
		c->rotate_aeoi = false;
		break;
	default:                                /* SL alone: no operation */
		break;
	}
}

/* OCW3: status-read select, poll, special mask mode. */
static void pic_write_ocw3(struct pic_chip *c, uint8_t value)
{
	if (value & OCW3_RR)
		c->read_isr = value & OCW3_RIS;
	if (value & OCW3_ESMM)
		c->special_mask = value & OCW3_SMM;
	c->poll = value & OCW3_POLL;
}

/* Data port: the remaining initialisation words, then OCW1 (the mask). */
static void pic_write_data(struct pic_chip *c, uint8_t value)
{
	bool icw4 = c->icw1 & ICW1_IC4;

	switch (c->init) {
	case INIT_ICW2:
		c->base = value & 0xF8u;
		if (!(c->icw1 & ICW1_SNGL))
			c->init = INIT_ICW3;
		else
			c->init = icw4 ? INIT_ICW4 : INIT_DONE;
		break;
	case INIT_ICW3:
		c->icw3 = value;
		c->init = icw4 ? INIT_ICW4 : INIT_DONE;
		break;
	case INIT_ICW4:
		c->icw4 = value;
		c->init = INIT_DONE;
		break;
	case INIT_DONE:
		c->imr = value;
		break;
	}
}

static void pic_write_reg(struct pic_chip *c, unsigned port, uint8_t value)
{
	if (port == PIC_PORT_DATA)
		pic_write_data(c, value);
	else if (value & ICW1_SEL)
		pic_write_icw1(c, value);
	else if (value & OCW3_SEL)
		pic_write_ocw3(c, value);
	else
		pic_write_ocw2(c, value);
}

static uint8_t pic_read_reg(struct pic_chip *c, unsigned port)
{
	if (port == PIC_PORT_DATA)
		return c->imr;
	if (c->poll) {
		c->poll = false;
		unsigned irq = pic_chip_ack(c);
		return irq == PIC_NONE ? 0 : (uint8_t)(POLL_INT | irq);
	}
	return c->read_isr ? c->isr : c->irr;
}

/* io_ops: 8-bit registers; a 16-bit access covers both ports in turn. */
static uint32_t pic_io_read(struct pic *p, unsigned which, uint16_t offset, unsigned size)
{
	uint32_t value = 0;

	for (unsigned i = 0; i < size; i++) {
		uint32_t byte = 0xFF;
		if (offset + i < PIC_NPORTS)
			byte = pic_read_reg(&p->chip[which], offset + i);
		value |= byte << (i * 8);
	}
	pic_update(p);
	return value;
}

static void pic_io_write(struct pic *p, unsigned which, uint16_t offset, unsigned size,
			 uint32_t value)
{
	for (unsigned i = 0; i < size && offset + i < PIC_NPORTS; i++)
		pic_write_reg(&p->chip[which], offset + i, (uint8_t)(value >> (i * 8)));
	pic_update(p);
}

static uint32_t pic_master_read(void *dev, uint16_t offset, unsigned size)
{
	return pic_io_read(dev, PIC_MASTER, offset, size);
}

static void pic_master_write(void *dev, uint16_t offset, unsigned size, uint32_t value)
{
	pic_io_write(dev, PIC_MASTER, offset, size, value);
}

static uint32_t pic_slave_read(void *dev, uint16_t offset, unsigned size)
{
	return pic_io_read(dev, PIC_SLAVE, offset, size);
}

static void pic_slave_write(void *dev, uint16_t offset, unsigned size, uint32_t value)
{
	pic_io_write(dev, PIC_SLAVE, offset, size, value);
}

const struct io_ops pic_master_ops = { .read = pic_master_read, .write = pic_master_write };
const struct io_ops pic_slave_ops = { .read = pic_slave_read, .write = pic_slave_write };

static void pic_chip_reset(struct pic_chip *c, uint8_t base, uint8_t icw3)
{
	pic_write_icw1(c, ICW1_SEL | ICW1_IC4);
	c->base = base;
	c->icw3 = icw3;
	c->icw4 = ICW4_8086;
	c->imr = 0xFF;
	c->init = INIT_DONE;
}

struct pic *pic_new(void (*notify)(void *ctx, bool intr), void *ctx)
{
	struct pic *p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->notify = notify;
	p->ctx = ctx;
	pic_chip_reset(&p->chip[PIC_MASTER], 0x08, 1u << PIC_CASCADE_IRQ);
	pic_chip_reset(&p->chip[PIC_SLAVE], 0x70, PIC_CASCADE_IRQ);
	return p;
}

void pic_free(struct pic *p)
{
	free(p);
}

/* irq_line callback: `line` is the ISA IRQ number 0-15. */
static void pic_set_input(void *ctx, unsigned line, int level)
{
	struct pic *p = ctx;

	assert(line < 16);
	pic_chip_input(&p->chip[line >> 3], line & 7u, level);
	pic_update(p);
}

/* Master input 2 carries the slave, so a device asking for ISA IRQ 2 gets
 * IRQ 9, where AT-class boards route the bus's IRQ 2 pin. */
struct irq_line pic_irq_line(struct pic *p, unsigned irq)
{
	assert(irq < 16);
	if (irq == PIC_CASCADE_IRQ)
		irq = 9;
	return (struct irq_line){ .set = pic_set_input, .ctx = p, .line = irq };
}

bool pic_intr(const struct pic *p)
{
	return pic_chip_pending(&p->chip[PIC_MASTER]) != PIC_NONE;
}

/*
 * The CPU's two INTA cycles. Returns the vector of the highest-priority
 * pending request and moves it to ISR (both chips' ISRs for a slave IRQ).
 * Spurious cases: nothing pending on the master gives master base+7 with no
 * ISR bit; a cascade request whose slave request vanished gives slave base+7
 * with master ISR bit 2 set.
 */
uint8_t pic_acknowledge(struct pic *p)
{
	struct pic_chip *m = &p->chip[PIC_MASTER], *s = &p->chip[PIC_SLAVE];
	unsigned irq = pic_chip_ack(m);
	uint8_t vector;

	if (irq == PIC_NONE) {
		vector = (uint8_t)(m->base + 7);
	} else if (irq == PIC_CASCADE_IRQ && !(m->icw1 & ICW1_SNGL)) {
		unsigned slave_irq = pic_chip_ack(s);
		vector = (uint8_t)(s->base + (slave_irq == PIC_NONE ? 7 : slave_irq));
		/* The slave's INT falls during INTA: if it still (or in auto-EOI
		 * mode, again) has a request, the master sees a fresh edge. */
		m->inputs &= (uint8_t)~(1u << PIC_CASCADE_IRQ);
	} else {
		vector = (uint8_t)(m->base + irq);
	}
	pic_update(p);
	return vector;
}

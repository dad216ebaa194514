/*
 * pit8254.c — the 8254 programmable interval timer and system port 0x61.
 *
 * Where it sits: board.c maps pit_ops at 0x40 (counters 0-2 at offsets 0-2,
 * the control word at 3) and port61_ops at 0x61, both on the same struct pit,
 * and wires channel 0's output to IRQ 0. The monitor calls pit_update() when
 * the time it last returned has passed (and after guest writes to the PIT, as
 * they can move that time), so IRQ 0 fires on the timeline of the clock:
 *
 *     pit = pit_new(host_clock, pic_irq_line(pic, 0));
 *     deadline = pit_update(pit);          // arm a host timer for `deadline`
 *
 * Model: the counters are not stepped; each remembers when it started and
 * derives its count and OUT level from the clock (1193182 Hz input, tick k of
 * a run falls at start + ceil(k * 1e9 / 1193182) ns). `d` below is the number
 * of ticks counted since the count was loaded and N the count (0 means 65536):
 *
 *   mode 0  OUT low, rises when d reaches N and stays high (one IRQ 0)
 *   mode 1  one-shot: a gate rise starts it, OUT low until d reaches N
 *   mode 2  rate generator: OUT low for the last tick of every N, a rising
 *           edge every N ticks
 *   mode 3  square wave: OUT high for ceil(N/2) ticks, low for floor(N/2),
 *           count read back decrementing by two (even values)
 *   mode 4  software strobe: OUT low for one tick at d == N (IRQ at N + 1)
 *   mode 5  as 4, started by a gate rise
 *
 * Gate (channel 2 only; 0 and 1 are tied high): low pauses modes 0 and 4 and
 * forces OUT high in modes 2 and 3; a rise resumes 0 and 4, reloads 2 and 3,
 * and triggers 1 and 5. Simplifications: a count written while modes 2/3 run
 * restarts the period at once instead of at its end; BCD counting is stored
 * (and reported in status) but counts in binary; null count reads 1 from the
 * control word until the counter is loaded (the count is written, or in modes
 * 1/5 triggered), not for the extra clock of the real chip.
 *
 * IRQ 0: each rising edge of channel 0's OUT is delivered as a pulse on the
 * line (set 1, set 0), which an edge-triggered PIC latches; the line rests
 * low. Lost-tick policy: one pit_update delivers at most ONE edge, however
 * many periods passed since the previous call — the PIC could latch no more
 * than one anyway, and a guest that fell behind catches up from its clock
 * source instead of taking a storm of stale ticks.
 *
 * Port 0x61 (read): bit 0 gate 2, bit 1 speaker enable, bits 2-3 as written,
 * bit 4 the DRAM refresh toggle (flips every 18 PIT ticks, ~15.1 µs, derived
 * from the clock), bit 5 channel 2 OUT. Bits 6-7 (parity/IOCHK errors) read 0.
 */
#include <stdlib.h>

#include "btmon/devices.h"

#define PIT_HZ            1193182ull
#define NS_PER_S          1000000000ull
#define PIT_NONE          UINT64_MAX    /* no such tick */
#define PIT_REFRESH_TICKS 18u           /* the BIOS's counter 1 refresh period */

enum { PIT_NCHANNELS = 3, PIT_PORT_CONTROL = 3, PIT_NPORTS = 4 };

/* Control word (offset 3): SC1 SC0 RW1 RW0 M2 M1 M0 BCD. */
#define CW_SELECT(v)   ((unsigned)(v) >> 6)    /* 3 = read-back command */
#define CW_RW(v)       (((unsigned)(v) >> 4) & 3u)
#define CW_MODE(v)     (((unsigned)(v) >> 1) & 7u)
#define CW_PROGRAMMED  0x3Fu                   /* RW, mode, BCD: reported in status */
enum { RW_LATCH, RW_LSB, RW_MSB, RW_WORD };    /* word = LSB then MSB */
/* Read-back command: 1 1 /COUNT /STATUS CNT2 CNT1 CNT0 0 (active-low latches). */
#define RB_NO_COUNT    0x20u
#define RB_NO_STATUS   0x10u
#define RB_CHANNEL(i)  (2u << (i))
/* Status byte: OUT, null count, then the programmed bits. */
#define ST_OUT         0x80u
#define ST_NULL_COUNT  0x40u

/* Port 0x61. */
#define P61_GATE2      0x01u
#define P61_STORED     0x0Fu    /* gate 2, speaker data enable, parity/IOCHK enables */
#define P61_REFRESH    0x10u
#define P61_OUT2       0x20u

struct pit_channel {
	uint8_t ctrl;           /* CW_PROGRAMMED bits of the last control word */
	uint8_t mode;           /* 0-5 (6 and 7 alias 2 and 3) */
	uint32_t reload;        /* N, 1..65536 */
	bool loaded;            /* a count was written since the control word */
	bool triggered;         /* modes 1 and 5: the gate rose since then */
	bool gate;
	bool running;           /* counting now (loaded, gate allows, triggered) */
	uint64_t run_start;     /* clock time the current run began */
	uint64_t frozen;        /* ticks counted before run_start (gate pauses) */
	uint64_t delivered;     /* channel 0: tick of the last edge given to IRQ 0 */
	uint8_t write_lsb;      /* word access: the LSB waiting for its MSB */
	bool write_msb;         /* word access: the next write is the MSB */
	bool read_msb;          /* word access: the next live read is the MSB */
	uint16_t latch;         /* latched count, held until read */
	bool latched, latch_msb;
	uint8_t status;         /* latched status byte, read before a latched count */
	bool status_latched;
};

struct pit {
	struct clock clk;
	struct irq_line irq0;
	struct pit_channel ch[PIT_NCHANNELS];
	uint8_t port61;         /* P61_STORED bits as written */
};

/* Whole PIT ticks in `ns` nanoseconds (exact, no 64-bit overflow). */
static uint64_t pit_ns_to_ticks(uint64_t ns)
{
	return ns / NS_PER_S * PIT_HZ + ns % NS_PER_S * PIT_HZ / NS_PER_S;
}

/* The least ns with pit_ns_to_ticks(ns) >= ticks: when tick `ticks` falls. */
static uint64_t pit_ticks_to_ns(uint64_t ticks)
{
	return ticks / PIT_HZ * NS_PER_S + (ticks % PIT_HZ * NS_PER_S + PIT_HZ - 1) / PIT_HZ;
}

static bool pit_is_triggered_mode(const struct pit_channel *c)
{
	return c->mode == 1 || c->mode == 5;
}

/* Ticks counted since the count was loaded, at clock time `now`. */
static uint64_t pit_ticks(const struct pit_channel *c, uint64_t now)
{
	uint64_t d = c->frozen;
	if (c->running && now > c->run_start)
		d += pit_ns_to_ticks(now - c->run_start);
	return d;
}

/* The OUT pin after `d` ticks. */
static bool pit_out(const struct pit_channel *c, uint64_t d)
{
	uint64_t n = c->reload;

	if (!c->loaded)
		return c->mode != 0;    /* the control word sets OUT low in mode 0, else high */
	switch (c->mode) {
	case 0: return d >= n;
	case 1: return !c->triggered || d >= n;
	case 2: return !c->gate || d % n != n - 1;
	case 3: return !c->gate || d % n < (n + 1) / 2;
	case 4: return d != n;
	default: return !c->triggered || d != n;
	}
}

/* The counting element after `d` ticks, as a read would see it. */
static uint16_t pit_count(const struct pit_channel *c, uint64_t d)
{
	uint64_t n = c->reload, phase;

	if (!c->loaded)
		return (uint16_t)n;
	switch (c->mode) {
	case 2:
		return (uint16_t)(n - d % n);
	case 3:
		phase = d % n;
		if (phase >= (n + 1) / 2)
			phase -= (n + 1) / 2;
		return (uint16_t)((n - 2 * phase) & 0xFFFEu);
	default:                /* one-shot modes keep counting down and wrap */
		return (uint16_t)(n - d);
	}
}

/* The tick of the first rising edge of OUT after tick `after`, or PIT_NONE. */
static uint64_t pit_next_rise(const struct pit_channel *c, uint64_t after)
{
	uint64_t n = c->reload, edge;

	if (!c->running)
		return PIT_NONE;
	switch (c->mode) {
	case 2:
	case 3:
		return (after / n + 1) * n;
	case 0:
	case 1:
		edge = n;
		break;
	default:
		edge = n + 1;   /* strobe: low at N, back high one tick later */
		break;
	}
	return edge > after ? edge : PIT_NONE;
}

/* Start counting from N at `now` (count written, or gate reload/trigger). */
static void pit_restart(struct pit_channel *c, uint64_t now)
{
	c->frozen = 0;
	c->delivered = 0;
	c->run_start = now;
	c->running = pit_is_triggered_mode(c) ? c->triggered : c->gate;
}

/* A complete count was written. Modes 1 and 5 wait for a gate rise. */
static void pit_load(struct pit_channel *c, uint16_t value, uint64_t now)
{
	c->reload = value ? value : 0x10000u;
	c->loaded = true;
	if (!pit_is_triggered_mode(c))
		pit_restart(c, now);
}

static void pit_set_gate(struct pit_channel *c, bool gate, uint64_t now)
{
	if (gate == c->gate)
		return;
	if (!gate && c->running && !pit_is_triggered_mode(c)) {
		c->frozen = pit_ticks(c, now);  /* pause */
		c->running = false;
	}
	c->gate = gate;
	if (!gate || !c->loaded)
		return;
	switch (c->mode) {
	case 0:
	case 4:                 /* resume where it paused */
		c->run_start = now;
		c->running = true;
		break;
	case 1:
	case 5:                 /* trigger (or retrigger) */
		c->triggered = true;
		pit_restart(c, now);
		break;
	default:                /* 2, 3: reload and start a new period */
		pit_restart(c, now);
		break;
	}
}

/* Counter latch command: the first latch holds until it has been read. */
static void pit_latch_count(struct pit_channel *c, uint64_t now)
{
	if (c->latched)
		return;
	c->latch = pit_count(c, pit_ticks(c, now));
	c->latched = true;
	c->latch_msb = false;
}

static void pit_latch_status(struct pit_channel *c, uint64_t now)
{
	if (c->status_latched)
		return;
	bool null_count = !c->loaded || (pit_is_triggered_mode(c) && !c->triggered);
	c->status = (uint8_t)((pit_out(c, pit_ticks(c, now)) ? ST_OUT : 0) |
			      (null_count ? ST_NULL_COUNT : 0) | c->ctrl);
	c->status_latched = true;
}

static void pit_write_control(struct pit *p, uint8_t value, uint64_t now)
{
	if (CW_SELECT(value) == 3) {            /* read-back */
		for (unsigned i = 0; i < PIT_NCHANNELS; i++) {
			if (!(value & RB_CHANNEL(i)))
				continue;
			if (!(value & RB_NO_COUNT))
				pit_latch_count(&p->ch[i], now);
			if (!(value & RB_NO_STATUS))
				pit_latch_status(&p->ch[i], now);
		}
		return;
	}
	struct pit_channel *c = &p->ch[CW_SELECT(value)];
	if (CW_RW(value) == RW_LATCH) {
		pit_latch_count(c, now);
		return;
	}
	/* A control word stops the counter until a new count is written. */
	c->ctrl = value & CW_PROGRAMMED;
	c->mode = (uint8_t)(CW_MODE(value) > 5 ? CW_MODE(value) - 4 : CW_MODE(value));
	c->loaded = false;
	c->triggered = false;
	c->running = false;
	c->frozen = 0;
	c->delivered = 0;
	c->write_msb = false;
	c->read_msb = false;
}

static void pit_write_counter(struct pit_channel *c, uint8_t value, uint64_t now)
{
	switch (CW_RW(c->ctrl)) {
	case RW_LSB:
		pit_load(c, value, now);
		break;
	case RW_MSB:
		pit_load(c, (uint16_t)(value << 8), now);
		break;
	default:
		if (!c->write_msb) {
			c->write_lsb = value;
			c->write_msb = true;
			if (c->mode == 0) {     /* the first byte stops mode 0: OUT low */
				c->loaded = false;
				c->running = false;
			}
		} else {
			c->write_msb = false;
			pit_load(c, (uint16_t)(value << 8 | c->write_lsb), now);
		}
		break;
	}
}

/* A counter read: a latched status first, then a latched count, else the live
 * count; word access alternates LSB and MSB. */
static uint8_t pit_read_counter(struct pit_channel *c, uint64_t now)
{
	unsigned rw = CW_RW(c->ctrl);
	uint16_t value;
	bool msb;

	if (c->status_latched) {
		c->status_latched = false;
		return c->status;
	}
	if (c->latched) {
		value = c->latch;
		msb = rw == RW_MSB || (rw == RW_WORD && c->latch_msb);
		if (rw == RW_WORD && !c->latch_msb)
			c->latch_msb = true;
		else
			c->latched = false;
	} else {
		value = pit_count(c, pit_ticks(c, now));
		msb = rw == RW_MSB || (rw == RW_WORD && c->read_msb);
		if (rw == RW_WORD)
			c->read_msb = !c->read_msb;
	}
	return (uint8_t)(msb ? value >> 8 : value);
}

/*
 * Deliver channel 0's rising edges due by `now` as at most one pulse on IRQ 0
 * (see the lost-tick policy above). Returns the tick of the next edge, or
 * PIT_NONE.
 */
static uint64_t pit_deliver(struct pit *p, uint64_t now)
{
	struct pit_channel *c = &p->ch[0];
	uint64_t d = pit_ticks(c, now);
	uint64_t edge = pit_next_rise(c, c->delivered);

	if (edge != PIT_NONE && edge <= d) {
		irq_line_set(&p->irq0, 1);
		irq_line_set(&p->irq0, 0);
		c->delivered = d;
		edge = pit_next_rise(c, d);
	}
	return edge;
}

uint64_t pit_update(struct pit *p)
{
	const struct pit_channel *c = &p->ch[0];
	uint64_t edge = pit_deliver(p, clock_now(&p->clk));

	if (edge == PIT_NONE)
		return UINT64_MAX;
	return c->run_start + pit_ticks_to_ns(edge - c->frozen);
}

static uint32_t pit_io_read(void *dev, uint16_t offset, unsigned size)
{
	struct pit *p = dev;
	uint64_t now = clock_now(&p->clk);
	uint32_t value = 0;

	for (unsigned i = 0; i < size; i++) {
		uint32_t byte = 0xFF;   /* the control port does not read back */
		if (offset + i < PIT_PORT_CONTROL)
			byte = pit_read_counter(&p->ch[offset + i], now);
		value |= byte << (i * 8);
	}
	return value;
}

static void pit_io_write(void *dev, uint16_t offset, unsigned size, uint32_t value)
{
	struct pit *p = dev;
	uint64_t now = clock_now(&p->clk);

	/* Edges due under the old programming are not lost by reprogramming. */
	pit_deliver(p, now);
	for (unsigned i = 0; i < size && offset + i < PIT_NPORTS; i++) {
		uint8_t byte = (uint8_t)(value >> (i * 8));
		if (offset + i == PIT_PORT_CONTROL)
			pit_write_control(p, byte, now);
		else
			pit_write_counter(&p->ch[offset + i], byte, now);
	}
}

const struct io_ops pit_ops = { .read = pit_io_read, .write = pit_io_write };

static uint32_t port61_read(void *dev, uint16_t offset, unsigned size)
{
	struct pit *p = dev;
	uint64_t now = clock_now(&p->clk);
	const struct pit_channel *c2 = &p->ch[2];
	uint8_t value = p->port61 & P61_STORED;
	(void)offset;
	(void)size;

	if (pit_ns_to_ticks(now) / PIT_REFRESH_TICKS & 1u)
		value |= P61_REFRESH;
	if (pit_out(c2, pit_ticks(c2, now)))
		value |= P61_OUT2;
	return value;
}

static void port61_write(void *dev, uint16_t offset, unsigned size, uint32_t value)
{
	struct pit *p = dev;
	(void)offset;
	(void)size;

	p->port61 = (uint8_t)(value & P61_STORED);
	pit_set_gate(&p->ch[2], value & P61_GATE2, clock_now(&p->clk));
}

const struct io_ops port61_ops = { .read = port61_read, .write = port61_write };

/* Counters start unprogrammed (mode 0, word access, no count): no IRQ 0 until
 * the guest writes a count. Gates 0 and 1 are tied high, gate 2 starts low. */
struct pit *pit_new(struct clock clk, struct irq_line irq0)
{
	struct pit *p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->clk = clk;
	p->irq0 = irq0;
	for (unsigned i = 0; i < PIT_NCHANNELS; i++) {
		p->ch[i].ctrl = RW_WORD << 4;
		p->ch[i].reload = 0x10000u;
		p->ch[i].gate = i != 2;
	}
	return p;
}

void pit_free(struct pit *p)
{
	free(p);
}

/*
 * iobus.c — the port-I/O dispatch table of the emulated PC.
 *
 * Where it sits: the monitor's IN/OUT procedures call iobus_in/iobus_out with
 * a guest port and size; this file finds the device that claimed the port and
 * calls its io_ops with an *offset* into the device's own range. The board file
 * (board.c) is the only place that registers ranges.
 *
 * Design: every registered range gets a slot in `ranges`, and `owner` maps each
 * of the 65536 ports to (slot + 1), 0 meaning unclaimed — so a lookup is one
 * array load. An access of size 2 or 4 that does not fit entirely inside one
 * range (it runs past the end, or touches unclaimed ports) is split into byte
 * accesses, each dispatched on its own, and the bytes are reassembled
 * little-endian. Reads of unclaimed ports return all-ones, writes are dropped;
 * both are counted in iobus_stats.
 *
 * Usage:
 *     struct iobus *bus = iobus_new();
 *     iobus_map_pio(bus, 0x3f8, 8, &uart_ops, uart, "com1");
 *     uint8_t lsr = iobus_in(bus, 0x3fd, 1);
 *
 * bt_status_str, shared by every module, also lives at the bottom of this file.
 */
#include <assert.h>
#include <stdlib.h>

#include "btmon/iobus.h"

#define IOBUS_NPORTS 0x10000u
/* owner[] stores slot + 1 in 16 bits, so at most 0xFFFF ranges. */
#define IOBUS_MAX_RANGES 0xFFFFu

struct io_range {
	uint16_t base, len;
	const struct io_ops *ops;
	void *dev;
	const char *name;
	uint64_t accesses;              /* device calls, after any byte split */
};

struct iobus {
	struct io_range *ranges;        /* in registration order */
	size_t nranges, cap;
	struct iobus_stats stats;
	/* INVARIANT: owner[p] == 0, or ranges[owner[p] - 1] contains port p. */
	uint16_t owner[IOBUS_NPORTS];
};

/* All-ones of `size` bytes: what a floating ISA bus reads back. */
static uint32_t iobus_ones(unsigned size)
{
	return size >= 4 ? 0xFFFFFFFFu : (1u << (size * 8)) - 1u;
}

static void iobus_check_size(unsigned size)
{
	assert(size == 1 || size == 2 || size == 4);
	(void)size;
}

struct iobus *iobus_new(void)
{
	return calloc(1, sizeof(struct iobus));
}

void iobus_free(struct iobus *bus)
{
	if (!bus)
		return;
	free(bus->ranges);
	free(bus);
}

/* Make room for one more range. BT_ERR_NOMEM if the host or the table is full. */
static bt_status iobus_grow(struct iobus *bus)
{
	if (bus->nranges < bus->cap)
		return BT_OK;
	if (bus->cap >= IOBUS_MAX_RANGES)
		return BT_ERR_NOMEM;
	size_t cap = bus->cap ? bus->cap * 2 : 16;
	if (cap > IOBUS_MAX_RANGES)
		cap = IOBUS_MAX_RANGES;
	struct io_range *r = realloc(bus->ranges, cap * sizeof(*r));
	if (!r)
		return BT_ERR_NOMEM;
	bus->ranges = r;
	bus->cap = cap;
	return BT_OK;
}

/*
 * Claim ports [base, base+len) for `dev`. `ops` and `name` are borrowed and
 * must outlive the bus (normally a const table and a string literal).
 * BT_ERR_INVAL for len 0, a range that wraps past 0xFFFF or NULL ops;
 * BT_ERR_OVERLAP if any port is already claimed (nothing is changed then).
 */
bt_status iobus_map_pio(struct iobus *bus, uint16_t base, uint16_t len,
			const struct io_ops *ops, void *dev, const char *name)
{
	uint32_t end = (uint32_t)base + len;    /* one past the last port */

	if (!bus || !ops || len == 0 || end > IOBUS_NPORTS)
		return BT_ERR_INVAL;
	for (uint32_t p = base; p < end; p++)
		if (bus->owner[p])
			return BT_ERR_OVERLAP;
	bt_status st = iobus_grow(bus);
	if (st != BT_OK)
		return st;

	bus->ranges[bus->nranges] = (struct io_range){
		.base = base, .len = len, .ops = ops, .dev = dev,
		.name = name ? name : "?",
	};
	bus->nranges++;
	for (uint32_t p = base; p < end; p++)
		bus->owner[p] = (uint16_t)bus->nranges;
	return BT_OK;
}

/* The range owning `port`, or NULL if unclaimed. */
static struct io_range *iobus_lookup(struct iobus *bus, uint16_t port)
{
	uint16_t slot = bus->owner[port];
	return slot ? &bus->ranges[slot - 1] : NULL;
}

/* True if [port, port+size) lies inside r (never wraps past 0xFFFF). */
static bool iobus_fits(const struct io_range *r, uint16_t port, unsigned size)
{
	return (uint32_t)port + size <= (uint32_t)r->base + r->len;
}

/* True if no port of [port, port+size) is claimed (ports wrap at 16 bits). */
static bool iobus_all_unclaimed(const struct iobus *bus, uint16_t port, unsigned size)
{
	for (unsigned i = 0; i < size; i++)
		if (bus->owner[(uint16_t)(port + i)])
			return false;
	return true;
}

static void iobus_note_unclaimed(struct iobus *bus, uint16_t port, bool is_write)
{
	if (is_write)
		bus->stats.unclaimed_writes++;
	else
		bus->stats.unclaimed_reads++;
	bus->stats.last_unclaimed_port = port;
}

/* One access that fits inside r: call the device with an offset. */
static uint32_t iobus_read_range(struct iobus *bus, struct io_range *r,
				 uint16_t port, unsigned size)
{
	bus->stats.reads++;
	r->accesses++;
	if (!r->ops->read)
		return iobus_ones(size);
	return r->ops->read(r->dev, (uint16_t)(port - r->base), size) & iobus_ones(size);
}

static void iobus_write_range(struct iobus *bus, struct io_range *r,
			      uint16_t port, unsigned size, uint32_t value)
{
	bus->stats.writes++;
	r->accesses++;
	if (r->ops->write)
		r->ops->write(r->dev, (uint16_t)(port - r->base), size, value & iobus_ones(size));
}

/*
 * Guest IN of `size` (1, 2 or 4) bytes at `port`. Ports of a split access wrap
 * at 0xFFFF. Returns the value zero-extended to 32 bits.
 */
uint32_t iobus_in(struct iobus *bus, uint16_t port, unsigned size)
{
	iobus_check_size(size);
	struct io_range *r = iobus_lookup(bus, port);
	if (r && iobus_fits(r, port, size))
		return iobus_read_range(bus, r, port, size);
	if (iobus_all_unclaimed(bus, port, size)) {
		iobus_note_unclaimed(bus, port, false);
		return iobus_ones(size);
	}

	/* Straddles a range boundary: one byte access per port, little-endian. */
	uint32_t value = 0;
	for (unsigned i = 0; i < size; i++) {
		uint16_t p = (uint16_t)(port + i);
		uint32_t byte;
		r = iobus_lookup(bus, p);
		if (r) {
			byte = iobus_read_range(bus, r, p, 1);
		} else {
			iobus_note_unclaimed(bus, p, false);
			byte = 0xFF;
		}
		value |= byte << (i * 8);
	}
	return value;
}

/* Guest OUT of the low `size` (1, 2 or 4) bytes of `value` at `port`. */
void iobus_out(struct iobus *bus, uint16_t port, unsigned size, uint32_t value)
{
	iobus_check_size(size);
	struct io_range *r = iobus_lookup(bus, port);
	if (r && iobus_fits(r, port, size)) {
		iobus_write_range(bus, r, port, size, value);
		return;
	}
	if (iobus_all_unclaimed(bus, port, size)) {
		iobus_note_unclaimed(bus, port, true);
		return;
	}

	for (unsigned i = 0; i < size; i++) {
		uint16_t p = (uint16_t)(port + i);
		r = iobus_lookup(bus, p);
		if (r)
			iobus_write_range(bus, r, p, 1, (value >> (i * 8)) & 0xFF);
		else
			iobus_note_unclaimed(bus, p, true);
	}
}

const struct iobus_stats *iobus_stats(const struct iobus *bus)
{
	return &bus->stats;
}

/* Walk the port table so ranges come out in port order, whatever the
 * registration order was. */
void iobus_foreach(const struct iobus *bus,
		   void (*fn)(void *ctx, uint16_t base, uint16_t len, const char *name, uint64_t accesses),
		   void *ctx)
{
	uint32_t p = 0;
	while (p < IOBUS_NPORTS) {
		uint16_t slot = bus->owner[p];
		if (!slot) {
			p++;
			continue;
		}
		const struct io_range *r = &bus->ranges[slot - 1];
		fn(ctx, r->base, r->len, r->name, r->accesses);
		p = (uint32_t)r->base + r->len;
	}
}

/* ---- Shared by every module (declared in btmon/types.h). ---- */

const char *bt_status_str(bt_status s)
{
	switch (s) {
	case BT_OK:              return "success";
	case BT_ERR_NOMEM:       return "out of memory";
	case BT_ERR_INVAL:       return "invalid argument";
	case BT_ERR_HOST:        return "host system call failed";
	case BT_ERR_IO:          return "host file I/O failed";
	case BT_ERR_FORMAT:      return "malformed image";
	case BT_ERR_RANGE:       return "does not fit guest RAM";
	case BT_ERR_NOSPACE:     return "code cache full";
	case BT_ERR_UNSUPPORTED: return "unsupported guest code";
	case BT_ERR_FETCH:       return "guest code fetch faulted";
	case BT_ERR_OVERLAP:     return "device range overlaps another";
	}
	return "unknown status";
}

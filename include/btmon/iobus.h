/*
 * iobus.h — the port-I/O dispatch table (src/emul/iobus.c).
 *
 * Devices register a range of ports with one handler pair and only ever see an
 * *offset* into their own range; the board file (src/emul/board.c) alone knows
 * base addresses. Registration rejects overlaps. Reads of unclaimed ports
 * return all-ones and writes are dropped; both are counted (for --stats).
 */
#ifndef BTMON_IOBUS_H
#define BTMON_IOBUS_H

#include "btmon/types.h"

/* One handler signature for every device (size is 1, 2 or 4 bytes). */
struct io_ops {
	uint32_t (*read)(void *dev, uint16_t offset, unsigned size);
	void (*write)(void *dev, uint16_t offset, unsigned size, uint32_t value);
};

struct iobus;

struct iobus_stats {
	uint64_t reads, writes;                 /* claimed accesses */
	uint64_t unclaimed_reads, unclaimed_writes;
	uint16_t last_unclaimed_port;
};

struct iobus *iobus_new(void);
void iobus_free(struct iobus *bus);

/* Claim ports [base, base+len) for `dev`. BT_ERR_OVERLAP if any port is taken. */
bt_status iobus_map_pio(struct iobus *bus, uint16_t base, uint16_t len,
			const struct io_ops *ops, void *dev, const char *name);

/* Guest IN/OUT. An access that runs past the end of a range is split into bytes. */
uint32_t iobus_in(struct iobus *bus, uint16_t port, unsigned size);
void iobus_out(struct iobus *bus, uint16_t port, unsigned size, uint32_t value);

const struct iobus_stats *iobus_stats(const struct iobus *bus);

/* Call fn for each registered range, in port order (for --stats and the trace). */
void iobus_foreach(const struct iobus *bus,
		   void (*fn)(void *ctx, uint16_t base, uint16_t len, const char *name, uint64_t accesses),
		   void *ctx);

#endif

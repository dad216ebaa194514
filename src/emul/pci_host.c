/*
 * pci_host.c — PCI configuration mechanism #1 in front of an empty bus.
 *
 * Where it sits: board.c maps pci_host_ops at 0xCF8 (8 ports). Guests probe
 * here for PCI: Linux's pci_check_type1 writes 0x80000000 to 0xCF8 and expects
 * to read it back, then scans for functions.
 *
 *   offset 0-3 (0xCF8)  CONFIG_ADDRESS, 32-bit accesses only:
 *        31 enable | 30-24 reserved (0) | 23-16 bus | 15-11 device |
 *        10-8 function | 7-2 register (dword) | 1-0 zero
 *      A byte or word access here is not a configuration access: on a PC it
 *      reaches other chipset registers (0xCF9 is the PIIX reset control), none
 *      of which btmon has, so it reads all-ones and writes are dropped.
 *   offset 4-7 (0xCFC)  CONFIG_DATA: a byte/word/dword window onto the dword
 *      CONFIG_ADDRESS selects, at byte offset (port - 0xCFC).
 *
 * Only the host bridge answers: bus 0, device 0, function 0 is an Intel
 * 440FX (8086:1237, class 06.00), as on QEMU's pc machine — Linux accepts
 * mechanism #1 only if it finds a host bridge (pci_sanity_check). Its
 * registers read as a bridge with nothing configured; writes are dropped.
 * Every other function reads all-ones (a master abort). With the enable bit
 * clear the data port is plain unclaimed I/O: all-ones as well.
 *
 * Usage:
 *     outl(0xCF8, 0x80000000 | bus << 16 | dev << 11 | fn << 8 | reg);
 *     uint16_t vendor = inw(0xCFC);          // 0xFFFF: nothing there
 */
#include <stdlib.h>

#include "btmon/devices.h"

#define PCI_ADDR_OFFSET   0u
#define PCI_DATA_OFFSET   4u
#define PCI_ADDR_ENABLE   0x80000000u
#define PCI_ADDR_WRITABLE 0x80FFFFFCu   /* enable, bus, device, function, register */

struct pci_host {
	uint32_t address;               /* CONFIG_ADDRESS */
};

static uint32_t pci_ones(unsigned size)
{
	return size >= 4 ? 0xFFFFFFFFu : (1u << (size * 8)) - 1u;
}

/* The configuration dword at `address` (enable bit set). */
static uint32_t pci_config_read(const struct pci_host *h, uint32_t address)
{
	(void)h;
	if ((address & 0x00FFFF00u) != 0)       /* not bus 0, device 0, function 0 */
		return 0xFFFFFFFFu;
	switch (address & 0xFCu) {
	case 0x00: return 0x12378086u;          /* device 440FX, vendor Intel */
	case 0x04: return 0x02000006u;          /* status: medium DEVSEL; memory + bus master on */
	case 0x08: return 0x06000002u;          /* class 06.00 (host bridge), revision 2 */
	case 0x0C: return 0x00000000u;          /* header type 0, single function */
	default:   return 0x00000000u;
	}
}

static uint32_t pci_host_read(void *dev, uint16_t offset, unsigned size)
{
	const struct pci_host *h = dev;

	if (offset < PCI_DATA_OFFSET)
		return offset == PCI_ADDR_OFFSET && size == 4 ? h->address : pci_ones(size);
	if (!(h->address & PCI_ADDR_ENABLE))
		return pci_ones(size);
	unsigned shift = (offset - PCI_DATA_OFFSET) * 8;
	return (pci_config_read(h, h->address) >> shift) & pci_ones(size);
}

static void pci_host_write(void *dev, uint16_t offset, unsigned size, uint32_t value)
{
	struct pci_host *h = dev;

	if (offset == PCI_ADDR_OFFSET && size == 4)
		h->address = value & PCI_ADDR_WRITABLE;
	/* Other address-port widths: not ours. Data writes: no function to take them. */
}

const struct io_ops pci_host_ops = { .read = pci_host_read, .write = pci_host_write };

struct pci_host *pci_host_new(void)
{
	return calloc(1, sizeof(struct pci_host));
}

void pci_host_free(struct pci_host *h)
{
	free(h);
}

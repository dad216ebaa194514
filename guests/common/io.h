/*
 * io.h — x86 port I/O and a few privileged one-liners for guest kernels.
 * Each is one sensitive instruction that btmon must intercept (IN/OUT, CLI,
 * STI, PUSHF/POPF, HLT), so guests and tests can name exactly what they run.
 */
#ifndef GUEST_IO_H
#define GUEST_IO_H

#include <stdint.h>

#define EFLAGS_CF (1u << 0)
#define EFLAGS_IF (1u << 9)    /* interrupt enable */
#define EFLAGS_DF (1u << 10)

static inline void outb(uint16_t port, uint8_t v)
{
	__asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port) : "memory");
}

static inline uint8_t inb(uint16_t port)
{
	uint8_t v;

	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port) : "memory");
	return v;
}

static inline void outw(uint16_t port, uint16_t v)
{
	__asm__ volatile("outw %0, %1" : : "a"(v), "Nd"(port) : "memory");
}

static inline uint16_t inw(uint16_t port)
{
	uint16_t v;

	__asm__ volatile("inw %1, %0" : "=a"(v) : "Nd"(port) : "memory");
	return v;
}

static inline void outl(uint16_t port, uint32_t v)
{
	__asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port) : "memory");
}

static inline uint32_t inl(uint16_t port)
{
	uint32_t v;

	__asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port) : "memory");
	return v;
}

static inline void cli(void)
{
	__asm__ volatile("cli" : : : "memory");
}

static inline void sti(void)
{
	__asm__ volatile("sti" : : : "memory");
}

static inline void hlt(void)
{
	__asm__ volatile("hlt" : : : "memory");
}

/* EFLAGS as PUSHF shows it. */
static inline uint32_t read_eflags(void)
{
	uint32_t f;

	__asm__ volatile("pushfl; popl %0" : "=r"(f) : : "memory");
	return f;
}

/* Load EFLAGS with POPF (at CPL 0 this may change IF). */
static inline void write_eflags(uint32_t f)
{
	__asm__ volatile("pushl %0; popfl" : : "r"(f) : "memory", "cc");
}

/* Let x87 and SSE instructions run natively: CR0.MP set, CR0.EM and CR0.TS
 * clear, CR4.OSFXSR and CR4.OSXMMEXCPT set. */
static inline void sse_enable(void)
{
	uint32_t cr0, cr4;

	__asm__ volatile("movl %%cr0, %0" : "=r"(cr0));
	cr0 = (cr0 & ~((1u << 2) | (1u << 3))) | (1u << 1);
	__asm__ volatile("movl %0, %%cr0" : : "r"(cr0) : "memory");
	__asm__ volatile("movl %%cr4, %0" : "=r"(cr4));
	cr4 |= (1u << 9) | (1u << 10);
	__asm__ volatile("movl %0, %%cr4" : : "r"(cr4) : "memory");
}

#endif

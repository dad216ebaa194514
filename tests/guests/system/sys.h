/*
 * sys.h — what the system-level test guests share: an IDT with C handlers,
 * descriptor helpers, and the check/report macros. Each test guest exercises
 * one feature (interrupts, paging, ...) and returns 0 only if all checks pass.
 */
#ifndef GUEST_SYS_H
#define GUEST_SYS_H

#include <stdint.h>

#include "console.h"
#include "io.h"

/* The frame every vector's stub builds before calling the C dispatcher. */
struct trap_frame {
	uint32_t edi, esi, ebp, esp0, ebx, edx, ecx, eax;   /* pushad */
	uint32_t vector, error;
	uint32_t eip, cs, eflags;
	uint32_t user_esp, user_ss;    /* only after a change of privilege */
};

typedef void (*trap_handler)(struct trap_frame *f);

/* Install a 256-entry IDT (interrupt gates, DPL 0, selector 0x10) whose
 * vectors all reach the dispatcher; unhandled vectors fail the test. */
void idt_init(void);
void idt_set_handler(unsigned vector, trap_handler h);
/* Make vector's gate a trap gate and/or callable from CPL 3. */
void idt_set_gate(unsigned vector, int trap, unsigned dpl);

extern unsigned sys_failures;

#define CHECK(cond, ...) do {                                         \
	if (cond) {                                                   \
		console_printf("ok   " __VA_ARGS__);                    \
	} else {                                                      \
		console_printf("FAIL " __VA_ARGS__);                    \
		sys_failures++;                                       \
	}                                                             \
	console_putc('\n');                                           \
} while (0)

static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}

#endif

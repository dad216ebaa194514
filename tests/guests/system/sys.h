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

/* The GDT idt_init installs. Kernel code and data keep the selectors of
 * btmon's boot GDT; the user segments and the TSS slot suit SYSENTER/SYSEXIT
 * (SYSENTER_CS = SEL_KCODE: SS = +8, user CS = +16, user SS = +24). */
#define SEL_KCODE  0x10
#define SEL_KDATA  0x18
#define SEL_UCODE  0x23       /* DPL 3, RPL 3 */
#define SEL_UDATA  0x2b
#define SEL_TSS    0x30
#define SEL_SPARE  0x38       /* 0x38..0x78: free for the tests */
/* Descriptor access bytes (P | DPL | S | type) and the flags nibble. */
#define DESC_KCODE 0x9a       /* present, DPL 0, code, readable */
#define DESC_KDATA 0x92       /* present, DPL 0, data, writable */
#define DESC_UCODE 0xfa
#define DESC_UDATA 0xf2
#define DESC_TSS32 0x89       /* present, 32-bit TSS, available */
#define DESC_4K32  0xc        /* G (limit in 4 KiB units) | D/B (32-bit) */

/* Write GDT slot sel (limit: 20 bits). */
void gdt_set(unsigned sel, uint32_t base, uint32_t limit, uint8_t access, uint8_t flags);

/* Load the GDT above (CS = SEL_KCODE, data segments SEL_KDATA) and a
 * 256-entry IDT (interrupt gates, DPL 0, selector SEL_KCODE) whose vectors
 * all reach the dispatcher; unhandled vectors fail the test. */
void idt_init(void);
void idt_set_handler(unsigned vector, trap_handler h);
/* Make vector's gate a trap gate and/or callable from CPL 3. */
void idt_set_gate(unsigned vector, int trap, unsigned dpl);
/* Set or clear the gate's present bit (a not-present gate raises #NP). */
void idt_set_present(unsigned vector, int present);
/* Reload IDTR with the table's base and the given limit (idt_init: 0x7ff). */
void idt_load(uint16_t limit);

/* The 8259 pair remapped to vectors 0x20..0x2f with every line masked:
 * firmware (QEMU's SeaBIOS) leaves IRQ 0 unmasked on vector 8. */
void pic_mask_all(void);

/*
 * Expected faults. trap_record, installed as a vector's handler, stores the
 * frame in last_trap; if trap_resume is set it continues there (once), so a
 * test can skip a faulting instruction. SITE_BEGIN/SITE_END bracket one
 * instruction in inline asm, recording its address (site_at) and the next
 * instruction's (site_after), and arm trap_resume with the latter:
 *
 *	trap_expect();
 *	__asm__ volatile(SITE_BEGIN "ud2" SITE_END ::: "memory");
 *	CHECK(last_trap.vector == 6 && last_trap.eip == site_at, "...");
 */
struct trap_record {
	uint32_t count, vector, error, eip, cs, eflags;
	uint32_t user_esp, user_ss;   /* when the trap came from CPL 3 */
	uint32_t cr2;
};
extern volatile struct trap_record last_trap;
extern volatile uint32_t trap_resume, site_at, site_after;
void trap_record(struct trap_frame *f);
/* Forget the last trap and disarm trap_resume. */
void trap_expect(void);

#define SITE_BEGIN "movl $91f, site_at\n\tmovl $92f, site_after\n\tmovl $92f, trap_resume\n91:\t"
#define SITE_END   "\n92:\n\t"

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

static inline uint32_t read_cr0(void) { uint32_t v; __asm__ volatile("mov %%cr0, %0" : "=r"(v)); return v; }
static inline uint32_t read_cr2(void) { uint32_t v; __asm__ volatile("mov %%cr2, %0" : "=r"(v)); return v; }
static inline uint32_t read_cr3(void) { uint32_t v; __asm__ volatile("mov %%cr3, %0" : "=r"(v)); return v; }
static inline uint32_t read_cr4(void) { uint32_t v; __asm__ volatile("mov %%cr4, %0" : "=r"(v)); return v; }
static inline void write_cr0(uint32_t v) { __asm__ volatile("mov %0, %%cr0" : : "r"(v) : "memory"); }
static inline void write_cr3(uint32_t v) { __asm__ volatile("mov %0, %%cr3" : : "r"(v) : "memory"); }
static inline void write_cr4(uint32_t v) { __asm__ volatile("mov %0, %%cr4" : : "r"(v) : "memory"); }
static inline void invlpg(const volatile void *p) { __asm__ volatile("invlpg (%0)" : : "r"(p) : "memory"); }

/* user.c: CPL 3. user_init loads a TSS (ESP0 = the top of user_kstack) and
 * the INT 0x81 gate; run_user IRETs to fn at CPL 3 on a user stack and
 * returns once fn does USER_EXIT(). */
extern uint8_t user_kstack[8192];
void user_init(void);
void run_user(void (*fn)(void));
void run_user_flags(void (*fn)(void), uint32_t eflags);   /* e.g. IOPL 3: 0x3202 */
#define USER_EXIT() do { __asm__ volatile("int $0x81"); __builtin_unreachable(); } while (0)

static inline void wrmsr(uint32_t msr, uint64_t v)
{
	__asm__ volatile("wrmsr" : : "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)));
}

static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}

#endif

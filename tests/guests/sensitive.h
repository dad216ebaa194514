/*
 * sensitive.h — what the sensitive guest's checks (sensitive.c) share with
 * its descriptor tables and trap handler (sensitive_traps.c, whose entry
 * stubs are in sensitive_idt.S).
 *
 *	sens_load_tables(&gdtr, &idtr);          // own GDT and IDT, segments reloaded
 *	SENS_FAULT("ud2", at, "r"(0));           // at = the faulting instruction
 *	check_eq("#UD", sens_last.vec, 6);
 */
#ifndef GUEST_SENSITIVE_H
#define GUEST_SENSITIVE_H

#include <stdint.h>

#define SEL_CODE   0x08         /* flat code, execute/read */
#define SEL_DATA   0x10         /* flat data */
#define SEL_FS     0x18         /* data based at FS_BASE */
#define SEL_GS     0x20         /* data based at GS_BASE */
#define FS_BASE    0x200000u
#define GS_BASE    0x300000u

#define VEC_INTGATE  0x40       /* IDT: 32-bit interrupt gate (clears IF) */
#define VEC_TRAPGATE 0x41       /* IDT: 32-bit trap gate (keeps IF) */

struct __attribute__((packed)) sens_dtr {
	uint16_t limit;
	uint32_t base;
};

/* What the trap handler saw last; count counts every entry. */
struct sens_event {
	uint32_t count, vec, err, eip, cs, eflags;
	uint32_t eflags_inside;                         /* PUSHF in the handler */
	uint32_t ebx, esi, edi, ebp, esp, stack_top;    /* at the interrupted instruction */
};
extern volatile struct sens_event sens_last;
/* Nonzero: the handler continues there instead of at the saved EIP (for
 * faults, whose saved EIP is the faulting instruction). Used once. */
extern volatile uint32_t sens_resume;
/* Nonzero: the handler sets CF in the EFLAGS image IRET loads. Used once. */
extern volatile uint32_t sens_set_cf;

/* Load the GDT (then far JMP to reload CS, DS ES SS GS = SEL_DATA,
 * FS = SEL_FS) and the IDT; *gdtr and *idtr get what was loaded. Vectors
 * other than 3, 4 and the gates are fatal unless sens_resume is set. */
void sens_load_tables(struct sens_dtr *gdtr, struct sens_dtr *idtr);

/* Run insn, which must fault; the handler resumes after it. at gets the
 * address of insn (what the saved EIP of a fault must be). */
#define SENS_FAULT(insn, at, ...)                                              \
	__asm__ volatile("movl $2f, sens_resume\n\t"                           \
			 "movl $1f, %0\n"                                      \
			 "1:\t" insn "\n"                                      \
			 "2:" : "=&r"(at) : __VA_ARGS__)

#endif

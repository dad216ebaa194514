/*
 * trap_switch.S — the 64-bit half of the trap monitor's switch into 32-bit
 * compatibility mode and back (the 32-bit half is the program's prologue
 * and epilogue, loop.c; the landing stub is emitted by trap.c). The same
 * scheme as src/native/switch.S.
 *
 *   bench_trap_enter(ctl, entry_rsp)
 *	save the callee-saved registers and RSP (ctl->host_rsp), DS/ES and the
 *	caller's x87/SSE state; DS = ES = 0x2b; RSP = the lretq frame C made
 *	(RIP = program, CS = 0x23, then EFLAGS for the prologue's POPFD);
 *	far-return into the program.
 *
 *   bench_trap_ret64
 *	where every run comes back, RSP = ctl->host_rsp, CS = 0x33: from the
 *	epilogue through the landing stub, or from the fault handler. Clears
 *	RFLAGS, gives back the x87/SSE state, DS/ES and the callee-saved
 *	registers, and returns from bench_trap_enter.
 */
#include "bench_int.h"

#define SEL_DS 0x2b

	.text

	.globl bench_trap_enter
	.hidden bench_trap_enter
	.type bench_trap_enter, @function
bench_trap_enter:
	push	%rbp
	push	%rbx
	push	%r12
	push	%r13
	push	%r14
	push	%r15
	push	%rdi			/* ctl, for bench_trap_ret64 */
	mov	%rsp, BC_HOST_RSP(%rdi)
	mov	%ds, %eax
	mov	%ax, BC_HOST_DS(%rdi)
	mov	%es, %eax
	mov	%ax, BC_HOST_ES(%rdi)
	fxsave	BC_HOST_FX(%rdi)
	mov	$SEL_DS, %eax
	mov	%eax, %ds
	mov	%eax, %es
	mov	%rsi, %rsp
	lretq				/* to the program's prologue */
	.size bench_trap_enter, .-bench_trap_enter

	.globl bench_trap_ret64
	.hidden bench_trap_ret64
	.type bench_trap_ret64, @function
bench_trap_ret64:
	pushq	$2			/* RFLAGS: only the reserved bit (DF=0) */
	popfq
	mov	(%rsp), %rdi
	fxrstor	BC_HOST_FX(%rdi)
	movzwl	BC_HOST_DS(%rdi), %eax
	mov	%eax, %ds
	movzwl	BC_HOST_ES(%rdi), %eax
	mov	%eax, %es
	pop	%rdi
	pop	%r15
	pop	%r14
	pop	%r13
	pop	%r12
	pop	%rbx
	pop	%rbp
	ret
	.size bench_trap_ret64, .-bench_trap_ret64

	.section .note.GNU-stack, "", @progbits

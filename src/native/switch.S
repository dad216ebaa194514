/*
 * switch.S — the 64-bit half of the switch into 32-bit compatibility mode
 * and back (the 32-bit half is emitted by stubs.c into low memory).
 *
 *   native_enter(low, entry_rsp)
 *	save the C callee-saved registers and RSP (in low->host_rsp), the
 *	caller's DS/ES and x87/SSE state; load the block's x87/SSE state and
 *	DS = ES = 0x2b; switch RSP to entry_rsp, the low frame C prepared
 *	(RIP = entry stub, CS = 0x23, then EFLAGS) and far-return through it.
 *	The entry stub pops EFLAGS, loads the GPRs and jumps to the block.
 *
 *   native_ret64
 *	where every run comes back, with RSP = low->host_rsp and CS = 0x33:
 *	from the exit stub via the low landing stub (jmp *low->ret64), or from
 *	the fault handler, which edits the signal context to land here. GPRs
 *	and EFLAGS were already saved by either; this clears RFLAGS (DF, AC,
 *	TF), saves the block's x87/SSE state, gives back the caller's, its
 *	DS/ES and callee-saved registers, and returns from native_enter.
 */
#include "native_int.h"

	.text

	.globl native_enter
	.hidden native_enter
	.type native_enter, @function
native_enter:
	push	%rbp
	push	%rbx
	push	%r12
	push	%r13
	push	%r14
	push	%r15
	push	%rdi			/* low, for native_ret64 */
	mov	%rsp, NL_HOST_RSP(%rdi)
	mov	%ds, %eax
	mov	%ax, NL_HOST_DS(%rdi)
	mov	%es, %eax
	mov	%ax, NL_HOST_ES(%rdi)
	fxsave	NL_HOST_FX(%rdi)
	cmpb	$0, NL_HAS_AVX(%rdi)
	je	1f
	vzeroupper
1:	fxrstor	NL_FX(%rdi)
	mov	$NATIVE_SEL_DS, %eax
	mov	%eax, %ds
	mov	%eax, %es
	mov	%rsi, %rsp
	lretq				/* to the 32-bit entry stub */
	.size native_enter, .-native_enter

	.globl native_ret64
	.hidden native_ret64
	.type native_ret64, @function
native_ret64:
	pushq	$2			/* RFLAGS: only the reserved bit */
	popfq
	mov	(%rsp), %rdi
	fxsave	NL_FX(%rdi)
	cmpb	$0, NL_HAS_AVX(%rdi)
	je	1f
	vzeroupper
1:	fxrstor	NL_HOST_FX(%rdi)
	movzwl	NL_HOST_DS(%rdi), %eax
	mov	%eax, %ds
	movzwl	NL_HOST_ES(%rdi), %eax
	mov	%eax, %es
	pop	%rdi
	pop	%r15
	pop	%r14
	pop	%r13
	pop	%r12
	pop	%rbx
	pop	%rbp
	ret
	.size native_ret64, .-native_ret64

	.section .note.GNU-stack, "", @progbits

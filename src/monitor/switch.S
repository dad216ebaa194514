/*
 * switch.S — the world switch between the monitor (C, on its own stack) and
 * translated guest code (host RSP = guest ESP, R15 = VirtualCPU).
 *
 *   vcpu_enter(v, code)  save the C callee-saved registers, load the guest's
 *                        x87/SSE state, RFLAGS (arithmetic flags + DF) and
 *                        GPRs from the VirtualCPU, jump to code.
 *   vcpu_exit_common     reached by `jmp [r15+exit_tramp]` from an exit stub:
 *                        save guest ESP, switch to the monitor stack, save
 *                        RFLAGS (pushfq is safe now), GPRs and x87/SSE, give
 *                        C a clean state (DF=0, default FPU/MXCSR), return
 *                        exit_reason from vcpu_enter.
 *   vcpu_fault_exit      where the signal handler sends a faulting guest: the
 *                        handler already stored GPRs/RFLAGS from the signal
 *                        context; only x87/SSE remains to save.
 *   vcpu_ibt_empty       what an empty indirect-branch-table slot points at.
 */
#include "btmon/vcpu.h"

	.text

	.globl vcpu_enter
	.type vcpu_enter, @function
vcpu_enter:
	push	%rbp
	push	%rbx
	push	%r12
	push	%r13
	push	%r14
	push	%r15
	sub	$8, %rsp
	mov	%rdi, %r15
	mov	%rsp, VCPU_HOST_RSP(%r15)
	mov	%rsi, %r14
	cmpb	$0, btm_host_has_avx(%rip)
	je	1f
	vzeroupper
1:	fxrstor	VCPU_FXSAVE(%r15)
	pushq	VCPU_RFLAGS(%r15)
	popfq
	mov	VCPU_GPR(0)(%r15), %eax
	mov	VCPU_GPR(1)(%r15), %ecx
	mov	VCPU_GPR(2)(%r15), %edx
	mov	VCPU_GPR(3)(%r15), %ebx
	mov	VCPU_GPR(5)(%r15), %ebp
	mov	VCPU_GPR(6)(%r15), %esi
	mov	VCPU_GPR(7)(%r15), %edi
	mov	VCPU_GPR(4)(%r15), %esp
	jmp	*%r14
	.globl vcpu_enter_end
vcpu_enter_end:
	.size vcpu_enter, .-vcpu_enter

	.globl vcpu_exit_common
	.type vcpu_exit_common, @function
vcpu_exit_common:
	mov	%esp, VCPU_GPR(4)(%r15)
	mov	VCPU_HOST_RSP(%r15), %rsp
	pushfq
	popq	VCPU_RFLAGS(%r15)
	mov	%eax, VCPU_GPR(0)(%r15)
	mov	%ecx, VCPU_GPR(1)(%r15)
	mov	%edx, VCPU_GPR(2)(%r15)
	mov	%ebx, VCPU_GPR(3)(%r15)
	mov	%ebp, VCPU_GPR(5)(%r15)
	mov	%esi, VCPU_GPR(6)(%r15)
	mov	%edi, VCPU_GPR(7)(%r15)
	/* fall through */
vcpu_return_to_c:
	fxsave	VCPU_FXSAVE(%r15)
	fninit
	ldmxcsr	btm_host_mxcsr(%rip)
	cld
	mov	VCPU_EXIT_REASON(%r15), %eax
	add	$8, %rsp
	pop	%r15
	pop	%r14
	pop	%r13
	pop	%r12
	pop	%rbx
	pop	%rbp
	ret
	.globl vcpu_exit_end
vcpu_exit_end:
	.size vcpu_exit_common, .-vcpu_exit_common

	.globl vcpu_fault_exit
	.type vcpu_fault_exit, @function
vcpu_fault_exit:
	mov	VCPU_HOST_RSP(%r15), %rsp
	jmp	vcpu_return_to_c
	.size vcpu_fault_exit, .-vcpu_fault_exit

	.globl vcpu_ibt_empty
	.type vcpu_ibt_empty, @function
vcpu_ibt_empty:
	mov	%r14d, VCPU_EXIT_EIP(%r15)
	movl	$VCPU_EXIT_INDIRECT_NUM, VCPU_EXIT_REASON(%r15)
	jmp	vcpu_exit_common
	.size vcpu_ibt_empty, .-vcpu_ibt_empty

	.section .note.GNU-stack, "", @progbits

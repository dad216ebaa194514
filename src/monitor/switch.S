/*
 * switch.S — the world switch between the monitor (C, on its own stack) and
 * translated guest code (host RSP = guest ESP, R15 = VirtualCPU).
 *
 *   vcpu_enter(v, code)  save the C callee-saved registers, load the guest's
 *                        SSE (and if needed x87) state, RFLAGS (arithmetic
 *                        flags + DF) and GPRs from the VirtualCPU, jump to code.
 *   vcpu_exit_common     reached by `jmp [r15+exit_tramp]` from an exit stub:
 *                        save guest ESP, switch to the monitor stack, save
 *                        RFLAGS (pushfq is safe now), GPRs, XMM0–15 and
 *                        MXCSR, give C a clean state (DF=0, the host MXCSR),
 *                        return exit_reason from vcpu_enter.
 *   vcpu_fault_exit      where the signal handler sends a faulting guest: the
 *                        handler already stored GPRs/RFLAGS from the signal
 *                        context; only XMM/MXCSR remain to save.
 *   vcpu_fpu_sync(v)     complete v->fxsave (the x87 part) before C reads or
 *                        writes it.
 *   vcpu_ibt_empty       what an empty indirect-branch-table slot points at.
 *
 * Lazy x87 (FXSAVE + FXRSTOR were ~150 of a ~350-tick exit): C code clobbers
 * the XMM registers and relies on MXCSR, so an exit stores XMM0–15 and MXCSR
 * into v->fxsave, but it leaves the x87 registers (FCW, FSW, tags, ST0–7)
 * as the guest left them, because the monitor never executes an x87
 * instruction, and records that they are v's (btm_fpu_live = v). The next
 * vcpu_enter of that vCPU then loads only XMM0–15 and MXCSR; anything else
 * (a first entry, a reset, another vCPU's state in the registers) loads the
 * whole image with FXRSTOR.
 * INVARIANT: while btm_fpu_live == v, bytes 0–23 and 32–159 of v->fxsave
 * (x87) are stale: call vcpu_fpu_sync(v) before reading or writing the
 * image, and no monitor code runs an x87/MMX instruction (btmon's own code
 * has none: no long double; glibc uses x87 only for long double).
 */
#include "btmon/vcpu.h"

/* RFLAGS bits (x86.h, which is not assembler-safe). */
#define FL_ARITH 0x8d5          /* OF SF ZF AF PF CF */
#define FL_FIXED 0x2
#define FL_IF    0x200

/* FXSAVE image offsets (SDM Vol. 1 §10.5.1). */
#define FX_MXCSR 24
#define FX_XMM(i) (160 + 16 * (i))

/* XMM0–15 <-> the image at \base (16-byte aligned). */
.macro xmm_store base
	.irp i, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15
	movaps	%xmm\i, VCPU_FXSAVE+FX_XMM(\i)(\base)
	.endr
.endm
.macro xmm_load base
	.irp i, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15
	movaps	VCPU_FXSAVE+FX_XMM(\i)(\base), %xmm\i
	.endr
.endm

	.bss
	.align 8
	.globl btm_fpu_live
btm_fpu_live:                   /* the vCPU whose x87 state is in the registers */
	.quad 0

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
1:	cmp	btm_fpu_live(%rip), %r15
	jne	2f
	xmm_load %r15
	mov	VCPU_FXSAVE+FX_MXCSR(%r15), %eax
	cmp	btm_host_mxcsr(%rip), %eax      /* C runs with the host's */
	je	3f
	ldmxcsr	VCPU_FXSAVE+FX_MXCSR(%r15)
	jmp	3f
2:	fxrstor	VCPU_FXSAVE(%r15)
	/*
	 * RFLAGS. POPFQ costs ~20 cycles; when only the arithmetic flags differ
	 * from the monitor's (DF is 0, TF, AC and the rest are the host's, IF and
	 * bit 1 set) SAHF loads SF ZF AF PF CF and an ADD sets OF.
	 */
3:	mov	VCPU_RFLAGS(%r15), %rax
	mov	%eax, %ecx
	and	$~(FL_ARITH | FL_FIXED), %ecx
	cmp	$FL_IF, %ecx
	jne	5f
	mov	%eax, %ecx
	shr	$11, %ecx            /* OF */
	and	$1, %ecx
	neg	%ecx
	and	$0x7f, %ecx          /* 0x7f + 1 overflows, 0 + 1 does not */
	add	$1, %cl
	mov	%al, %ah
	sahf
	jmp	6f
5:	pushq	VCPU_RFLAGS(%r15)
	popfq
6:	mov	VCPU_GPR(0)(%r15), %eax
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
	xmm_store %r15
	stmxcsr	VCPU_FXSAVE+FX_MXCSR(%r15)
	mov	%r15, btm_fpu_live(%rip)
	mov	VCPU_FXSAVE+FX_MXCSR(%r15), %eax
	cmp	btm_host_mxcsr(%rip), %eax
	je	1f
	ldmxcsr	btm_host_mxcsr(%rip)
1:	cld
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

/*
 * vcpu_fpu_sync(v): if the x87 registers still hold v's state, put v's XMM
 * registers and MXCSR back, FXSAVE the whole state into v->fxsave, and
 * leave C what the ABI promises (empty x87 stack, FCW 0x37f, host MXCSR).
 * The next vcpu_enter of v loads the whole image.
 */
	.globl vcpu_fpu_sync
	.type vcpu_fpu_sync, @function
vcpu_fpu_sync:
	cmp	btm_fpu_live(%rip), %rdi
	jne	1f
	xmm_load %rdi
	ldmxcsr	VCPU_FXSAVE+FX_MXCSR(%rdi)
	fxsave	VCPU_FXSAVE(%rdi)
	fninit
	ldmxcsr	btm_host_mxcsr(%rip)
	movq	$0, btm_fpu_live(%rip)
1:	ret
	.size vcpu_fpu_sync, .-vcpu_fpu_sync

	.globl vcpu_ibt_empty
	.type vcpu_ibt_empty, @function
vcpu_ibt_empty:
	mov	%r14d, VCPU_EXIT_EIP(%r15)
	movl	$VCPU_EXIT_INDIRECT_NUM, VCPU_EXIT_REASON(%r15)
	jmp	vcpu_exit_common
	.size vcpu_ibt_empty, .-vcpu_ibt_empty

	.section .note.GNU-stack, "", @progbits

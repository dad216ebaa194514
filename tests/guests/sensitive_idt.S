/*
 * sensitive_idt.S — the exception and interrupt entry stubs of the
 * sensitive guest (sensitive.c installs them in its IDT).
 *
 * One stub per vector 0..31 and for 0x40 and 0x41. Each makes the stack look
 * the same whether or not the CPU pushed an error code (pushing 0 where it
 * did not), pushes its vector and enters sens_common, which saves the
 * registers with PUSHAD and calls
 *	void sens_trap(struct sens_frame *f);
 * with f pointing at the PUSHAD image: EDI ESI EBP ESP EBX EDX ECX EAX,
 * vector, error code, then EIP CS EFLAGS as the CPU pushed them (CPL 0 to
 * CPL 0: no stack switch). sens_trap may edit the frame; IRET then loads it.
 */

	.text
	.irp v,0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31,64,65
sens_stub_\v:
	/* the CPU pushes an error code for #DF #TS #NP #SS #GP #PF #AC #CP #VC #SX */
	.if (\v == 8) || (\v == 10) || (\v == 11) || (\v == 12) || (\v == 13) || (\v == 14) || (\v == 17) || (\v == 21) || (\v == 29) || (\v == 30)
	.else
	pushl $0
	.endif
	pushl $\v
	jmp sens_common
	.endr

sens_common:
	pushal
	cld
	pushl %esp              /* struct sens_frame * */
	call sens_trap
	addl $4, %esp
	popal
	addl $8, %esp           /* vector, error code */
	iret

	/* Handler addresses for sensitive.c to put into IDT gates. */
	.section .rodata
	.p2align 2
	.globl sens_stubs, sens_stub_intgate, sens_stub_trapgate
sens_stubs:
	.irp v,0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	.long sens_stub_\v
	.endr
sens_stub_intgate:
	.long sens_stub_64
sens_stub_trapgate:
	.long sens_stub_65

	.section .note.GNU-stack, "", @progbits

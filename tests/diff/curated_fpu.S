/*
 * curated_fpu.S — curated sequences for the x87 FPU, MMX, SSE and SSE2.
 * The data area holds 16 doubles at +0x00, 16 floats at +0x80 and integers
 * at +0xc0 (curated.c); DT_SEEDS_FPU varies the x87 stack and rounding,
 * DT_SEEDS_SSE the XMM registers and MXCSR.
 *
 * FNSTENV/FNSAVE/FXSAVE images hold the x87 instruction and operand
 * pointers, which legitimately differ (see cmp_fpu in difftest.c): those
 * bytes are excluded through the SEQ's ignore range.
 */
#define DT_TABLE .data.rel.ro.dt_cases_fpu
#include "curated.inc"

	TABLE_BEGIN dt_cases_fpu

/* ---- x87 ---- */
SEQ fld_fst_forms, DT_SEEDS_FPU
	fld qword ptr [ebx]
	fld dword ptr [ebx+0x80]
	fld st(1)
	fild dword ptr [ebx+0xc0]
	fild word ptr [ebx+0xc4]
	fild qword ptr [ebx+0xc8]
	fstp qword ptr [edi]
	fstp dword ptr [edi+8]
	fstp tbyte ptr [edi+16]
	fistp dword ptr [edi+32]
	fist word ptr [edi+36]
	fistp qword ptr [edi+40]
	fld tbyte ptr [edi+16]
	fstp st(0)
END fld_fst_forms
SEQ fld_constants, DT_SEEDS_FPU
	fld1
	fldz
	fldpi
	fldl2e
	fldl2t
	fldlg2
	fldln2
	fstp qword ptr [edi]
	fstp qword ptr [edi+8]
	fstp tbyte ptr [edi+16]
END fld_constants
SEQ fpu_arith, DT_SEEDS_FPU
	fld qword ptr [ebx+8]
	fld qword ptr [ebx+16]
	fadd st, st(1)
	fmul st(1), st
	fsub qword ptr [ebx+24]
	fsubr dword ptr [ebx+0x84]
	fdiv st, st(1)
	fdivr st(1), st
	fiadd dword ptr [ebx+0xc0]
	fimul word ptr [ebx+0xc4]
	faddp st(1), st
	fld qword ptr [ebx+0x48]
	fmulp st(1), st
	fld qword ptr [ebx+0x50]
	fsubp st(1), st
	fld qword ptr [ebx+0x58]
	fdivrp st(1), st
	fstp qword ptr [edi]
END fpu_arith
SEQ fpu_arith_each_pair, DT_SEEDS_FPU
	fld qword ptr [ebx+0x10]
	fld qword ptr [ebx+0x30]
	fdiv st, st(1)
	fld qword ptr [ebx+0x38]
	fsub st, st(2)
	fld qword ptr [ebx+0x28]
	fmul st, st(1)
	fld qword ptr [ebx+0x18]
	fadd st, st(2)
END fpu_arith_each_pair
SEQ fpu_math, DT_SEEDS_FPU
	fld qword ptr [ebx+0x40]
	fsqrt
	fabs
	fchs
	frndint
	fld1
	fscale
	fprem
	fprem1
	fxtract
	fld qword ptr [ebx+0x08]
	fsin
	fcos
	fptan
	fpatan
	f2xm1
	fyl2x
	fld qword ptr [ebx+0x48]
	fyl2xp1
	fsincos
END fpu_math
SEQ fxch_fcom_fstsw, DT_SEEDS_FPU
	fld qword ptr [ebx]
	fld qword ptr [ebx+8]
	fxch st(1)
	fcom st(1)
	fstsw ax
	fcomp qword ptr [ebx+16]
	fnstsw word ptr [edi]
	fucom st(1)
	fnstsw word ptr [edi+2]
	ftst
	fxam
	fnstsw ax
	fucompp
	fnstsw word ptr [edi+4]
END fxch_fcom_fstsw
SEQ fcomi_fcmov, DT_SEEDS_FPU
	fld qword ptr [ebx+0x10]
	fld qword ptr [ebx+0x18]
	fcomi st, st(1)                    /* EFLAGS from the x87 */
	fcmovb st, st(1)
	fcmovnbe st, st(2)
	fucomi st, st(2)
	fcmove st, st(3)
	fcomip st, st(1)
	fucomip st, st(1)
END fcomi_fcmov
SEQ fnstenv_fldenv, DT_SEEDS_FPU, 0x80c, 16
	fld1
	fnstenv [edi]                      /* FIP/FCS/FOP/FDP/FDS not compared */
	fldz
	fldenv [edi]
	fnstcw word ptr [edi+0x40]
END fnstenv_fldenv
SEQ fnsave_frstor, DT_SEEDS_FPU, 0x80c, 16
	fldpi
	fnsave [edi]                       /* then FNINIT */
	fld1
	frstor [edi]
	fadd st, st(1)
END fnsave_frstor
SEQ fpu_rounding_control, DT_SEEDS_FPU
	fnstcw word ptr [edi]
	or word ptr [edi], 0x0c00          /* round toward zero */
	fldcw word ptr [edi]
	fld qword ptr [ebx+0x40]
	frndint
	fist dword ptr [edi+4]
	and word ptr [edi], 0xfcff         /* single precision */
	fldcw word ptr [edi]
	fld qword ptr [ebx+0x48]
	fdiv st, st(1)
	fstp tbyte ptr [edi+16]
END fpu_rounding_control
SEQ fpu_masked_exceptions, DT_SEEDS_FPU
	fld1
	fldz
	fdivp st(1), st                    /* zero divide: inf, ZE */
	fld qword ptr [ebx+0x38]
	fsqrt
	fld qword ptr [ebx+0x68]
	fmul st, st(0)                     /* overflow / underflow / denormal */
	fnstsw ax
	fnclex
END fpu_masked_exceptions
SEQ fpu_stack_overflow, DT_SEEDS_FPU
	fld1
	fld1
	fld1
	fld1
	fld1
	fld1
	fld1
	fld1
	fld1                               /* the ninth: stack fault */
	fnstsw ax
	fstp st(0)
END fpu_stack_overflow
SEQ fpu_control_misc, DT_SEEDS_FPU
	ffree st(2)
	fincstp
	fdecstp
	fdecstp
	fwait
	fnop
	fnclex
	fninit
	fld qword ptr [ebx]
END fpu_control_misc
SEQ fbld_fbstp, DT_SEEDS_FPU
	fbld tbyte ptr [ebx+0xd0]
	fbstp tbyte ptr [edi]
	fild dword ptr [ebx+0xc0]
	fbstp tbyte ptr [edi+16]
END fbld_fbstp
SEQ fpu_unmasked_mf, DT_SEEDS_ONE
	fnstcw word ptr [edi]
	and word ptr [edi], 0xfffb         /* unmask zero divide */
	fldcw word ptr [edi]
	fld1
	fldz
	fdivp st(1), st                    /* ES pending */
	inc eax
	fld1                               /* #MF (CR0.NE=1) here */
END fpu_unmasked_mf

/* ---- MMX ---- */
SEQ mmx_ops, DT_SEEDS_SSE
	movq mm0, qword ptr [ebx]
	movq mm1, qword ptr [ebx+0xc0]
	paddb mm0, mm1
	pmullw mm0, qword ptr [ebx+8]
	psubusw mm1, mm0
	punpcklbw mm0, mm1
	psrlq mm0, 3
	pcmpeqd mm1, mm0
	movd eax, mm1
	movq qword ptr [edi], mm0
	movd mm2, ecx
	packsswb mm2, mm0
	emms
END mmx_ops

/* ---- SSE ---- */
SEQ sse_packed_single, DT_SEEDS_SSE
	movaps xmm0, xmmword ptr [ebx+0x80]
	movups xmm1, xmmword ptr [ebx+0x84]
	addps xmm0, xmm1
	mulps xmm1, xmm2
	divps xmm2, xmm0
	sqrtps xmm3, xmm1
	maxps xmm4, xmm0
	minps xmm5, xmm1
	cmpps xmm6, xmm0, 1
	rcpps xmm7, xmm0
	rsqrtps xmm6, xmm1
	movaps xmmword ptr [edi], xmm0
	movups xmmword ptr [edi+0x11], xmm3
END sse_packed_single
SEQ sse_scalar_and_shuffles, DT_SEEDS_SSE
	movss xmm0, dword ptr [ebx+0x88]
	addss xmm0, xmm1
	subss xmm2, dword ptr [ebx+0x8c]
	shufps xmm3, xmm0, 0x1b
	unpcklps xmm4, xmm3
	unpckhps xmm5, xmm4
	movhlps xmm6, xmm5
	movlhps xmm7, xmm6
	andps xmm1, xmm2
	xorps xmm2, xmm3
	andnps xmm3, xmm4
	orps xmm4, xmm5
	movmskps eax, xmm4
	comiss xmm0, xmm1                  /* EFLAGS */
	ucomiss xmm2, dword ptr [ebx+0x90]
	cvtsi2ss xmm5, ecx
	cvtss2si edx, xmm0
	cvttss2si esi, xmm1
	movss dword ptr [edi], xmm5
END sse_scalar_and_shuffles
SEQ sse_mxcsr, DT_SEEDS_SSE
	stmxcsr dword ptr [edi]
	or dword ptr [edi], 0x6000         /* round toward zero */
	ldmxcsr dword ptr [edi]
	cvtss2si eax, xmm0
	cvtps2pi mm0, xmm1
	stmxcsr dword ptr [edi+4]
	emms
END sse_mxcsr
SEQ sse_misaligned_gp, DT_SEEDS_SSE
	movaps xmm0, xmmword ptr [ebx+8]   /* #GP: not 16-byte aligned */
END sse_misaligned_gp
SEQ sse_unmasked_xm, DT_SEEDS_ONE
	movapd xmm0, xmmword ptr [ebx]     /* 1.5, -2.25 */
	xorps xmm1, xmm1
	stmxcsr dword ptr [edi]
	and dword ptr [edi], 0xfffffdff    /* unmask zero divide */
	ldmxcsr dword ptr [edi]
	divpd xmm0, xmm1                   /* #XM (CR4.OSXMMEXCPT=1) */
END sse_unmasked_xm

/* ---- SSE2 ---- */
SEQ sse2_packed_double, DT_SEEDS_SSE
	movapd xmm0, xmmword ptr [ebx]
	movupd xmm1, xmmword ptr [ebx+0x18]
	addpd xmm0, xmm1
	subpd xmm1, xmm2
	mulpd xmm2, xmmword ptr [ebx+0x20]
	divpd xmm3, xmm0
	sqrtpd xmm4, xmm1
	maxpd xmm5, xmm2
	minsd xmm6, xmm3
	cmppd xmm7, xmm0, 3
	andpd xmm1, xmm4
	unpcklpd xmm2, xmm3
	shufpd xmm3, xmm0, 1
	movmskpd eax, xmm3
	comisd xmm0, xmm1
	ucomisd xmm2, qword ptr [ebx+0x28]
	movapd xmmword ptr [edi], xmm0
END sse2_packed_double
SEQ sse2_conversions, DT_SEEDS_SSE
	cvtsi2sd xmm0, eax
	cvtsi2sd xmm1, dword ptr [ebx+0xc0]
	cvtsd2si ecx, xmm2
	cvttsd2si edx, xmm3
	cvtps2pd xmm4, xmm5
	cvtpd2ps xmm5, xmm6
	cvtdq2ps xmm6, xmm7
	cvttps2dq xmm7, xmm0
	cvtps2dq xmm0, xmm1
	cvtpd2dq xmm1, xmm2
	cvttpd2dq xmm2, xmmword ptr [ebx+0x30]
	cvtdq2pd xmm3, xmm4
	cvtsd2ss xmm4, xmm5
	cvtss2sd xmm5, dword ptr [ebx+0x94]
	cvtpi2pd xmm6, mm0
	cvtpd2pi mm1, xmm7
	emms
END sse2_conversions
SEQ sse2_integer, DT_SEEDS_SSE
	movdqa xmm0, xmmword ptr [ebx+0xc0]
	movdqu xmm1, xmmword ptr [ebx+0x3]
	pshufd xmm2, xmm0, 0x1b
	pshuflw xmm3, xmm1, 0x4e
	pshufhw xmm4, xmm2, 0xb1
	punpcklbw xmm5, xmm0
	punpckhqdq xmm6, xmm1
	paddq xmm0, xmm1
	psubusb xmm1, xmm2
	pmuludq xmm2, xmm3
	pmaddwd xmm3, xmm4
	psllq xmm4, 3
	psrldq xmm5, 5
	pslldq xmm6, 7
	psraw xmm7, xmm0
	pcmpeqb xmm0, xmm1
	pcmpgtd xmm1, xmm2
	pmovmskb eax, xmm0
	pavgb xmm2, xmm3
	psadbw xmm3, xmm4
	pminub xmm4, xmm5
	pmaxsw xmm5, xmm6
	packuswb xmm6, xmm7
	pextrw ecx, xmm6, 3
	pinsrw xmm7, edx, 5
	movd esi, xmm7
	movd xmm0, ebp
	movq xmm1, qword ptr [ebx+8]
	movq qword ptr [edi], xmm2
	movdqa xmmword ptr [edi+0x10], xmm3
	movq2dq xmm4, mm0
	movdq2q mm1, xmm5
	emms
END sse2_integer
SEQ sse_stores_and_hints, DT_SEEDS_SSE
	movntps xmmword ptr [edi], xmm0
	movntdq xmmword ptr [edi+0x10], xmm1
	movnti dword ptr [edi+0x20], eax
	movntq qword ptr [edi+0x28], mm0
	sfence
	lfence
	mfence
	clflush byte ptr [ebx+0x40]
	prefetchnta byte ptr [ebx]
	prefetcht0 byte ptr [ebx+0x1000]
	prefetcht1 byte ptr [ebx+0x3000]   /* no fault: a hint */
	emms
END sse_stores_and_hints
/* MASKMOVQ/MASKMOVDQU store to DS:[EDI] implicitly (here data+0x800). */
SEQ maskmovq_implicit_edi, DT_SEEDS_SSE
	maskmovq mm1, mm2
	emms
END maskmovq_implicit_edi
SEQ maskmovdqu_implicit_edi, DT_SEEDS_SSE
	maskmovdqu xmm1, xmm2
END maskmovdqu_implicit_edi
SEQ sse_straddles_page, DT_SEEDS_SSE
	movdqu xmm0, xmmword ptr [ebx+0xff8]
	movups xmmword ptr [ebx+0xffc], xmm1
	movsd xmm2, qword ptr [ebx+0xffc]
	fld qword ptr [ebx+0xffc]
	fstp tbyte ptr [ebx+0xff9]
END sse_straddles_page

	TABLE_END

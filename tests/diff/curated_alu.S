/*
 * curated_alu.S — curated sequences: ALU and flags, shifts and rotates,
 * MUL/IMUL/DIV/IDIV (with #DE), bit operations, SETcc/CMOVcc/Jcc on every
 * condition, LOOP/JECXZ, XCHG/CMPXCHG/XADD/CMPXCHG8B, BSWAP, conversions,
 * and the opcodes 64-bit mode lacks (DAA…AAD, SALC, ARPL, BOUND).
 * Registers on entry: see DT_SEEDS_* in difftest.h (EBX/ESI/EDI/EBP point
 * into the data area).
 */
#define DT_TABLE .data.rel.ro.dt_cases_alu
#include "curated.inc"

	TABLE_BEGIN dt_cases_alu

/* ---- two-operand ALU, every width and form ---- */
SEQ add_r32, DT_SEEDS_ALU2
	add eax, ecx
END add_r32
SEQ adc_r32, DT_SEEDS_ALU2
	adc eax, ecx
END adc_r32
SEQ sub_r32, DT_SEEDS_ALU2
	sub eax, ecx
END sub_r32
SEQ sbb_r32, DT_SEEDS_ALU2
	sbb eax, ecx
END sbb_r32
SEQ and_r32, DT_SEEDS_ALU2
	and eax, ecx
END and_r32
SEQ or_r32, DT_SEEDS_ALU2
	or eax, ecx
END or_r32
SEQ xor_r32, DT_SEEDS_ALU2
	xor eax, ecx
END xor_r32
SEQ cmp_r32, DT_SEEDS_ALU2
	cmp eax, ecx
END cmp_r32
SEQ test_r32, DT_SEEDS_ALU2
	test eax, ecx
END test_r32
SEQ adc_r8_high, DT_SEEDS_ALU2
	adc ah, cl
END adc_r8_high
SEQ sbb_r8, DT_SEEDS_ALU2
	sbb al, ch
END sbb_r8
SEQ sub_r16, DT_SEEDS_ALU2
	sub ax, cx
END sub_r16
SEQ adc_r16, DT_SEEDS_ALU2
	adc cx, ax
END adc_r16
SEQ cmp_r8, DT_SEEDS_ALU2
	cmp cl, al
END cmp_r8
SEQ alu_mem, DT_SEEDS_ALU2
	add dword ptr [ebx+0x40], eax      /* 01 /r */
	adc eax, dword ptr [ebx+0x44]      /* 13 /r */
	sub word ptr [ebx+0x48], cx        /* 66 29 /r */
	xor byte ptr [ebx+0x4c], cl        /* 30 /r */
	sbb cl, byte ptr [ebx+0x4d]        /* 1a /r */
	or dword ptr [esi+0x10], ecx
	and ecx, dword ptr [edi-4]
	cmp dword ptr [ebp+8], eax
END alu_mem
SEQ alu_imm, DT_SEEDS_ALU2
	add eax, 0x7f                      /* 83 /0 ib */
	adc ecx, 0x80000000                /* 81 /2 id */
	sub al, 0x80                       /* 2c ib */
	sbb cx, -2                         /* 66 83 /3 ib */
	and eax, 0xff00ff00
	or cl, 0x81
	xor ecx, -1
	cmp al, 0x7f
	.byte 0x82, 0xc0, 0x05             /* add al, 5 through 0x82 (invalid in 64-bit mode) */
	.byte 0x82, 0xd1, 0xf0             /* adc cl, 0xf0 through 0x82 */
	test ecx, 0x00010001
END alu_imm
SEQ alu_imm_mem, DT_SEEDS_ALU2
	add dword ptr [ebx+0x50], 0x12345678
	sub byte ptr [ebx+0x54], 0x80
	adc word ptr [ebx+0x56], 0x7fff
	cmp dword ptr [ebx+0x58], -1
	.byte 0x82, 0x6b, 0x5c, 0x33       /* sub byte ptr [ebx+0x5c], 0x33 through 0x82 */
	lock add dword ptr [ebx+0x60], eax
	lock sbb byte ptr [ebx+0x64], cl
END alu_imm_mem

/* ---- one-operand ALU ---- */
SEQ inc_dec_r32, DT_SEEDS_ALU1
	inc eax                            /* 40: a REX prefix in 64-bit mode */
	dec ecx                            /* 49 */
	inc edx
	dec eax
	inc edi
	dec esi
END inc_dec_r32
SEQ inc_r16_r8_mem, DT_SEEDS_ALU1
	inc ax                             /* 66 40 */
	dec al                             /* fe c8 */
	inc byte ptr [ebx]
	dec word ptr [ebx+2]
	inc dword ptr [ebx+4]
	lock dec dword ptr [ebx+8]
END inc_r16_r8_mem
SEQ inc_only, DT_SEEDS_ALU1
	inc eax
END inc_only
SEQ dec_only, DT_SEEDS_ALU1
	dec eax
END dec_only
SEQ neg_r32, DT_SEEDS_ALU1
	neg eax
END neg_r32
SEQ neg_not_mixed, DT_SEEDS_ALU1
	neg al
	not eax
	neg ax
	not byte ptr [ebx+3]
	neg dword ptr [ebx+8]
	lock not word ptr [ebx+12]
END neg_not_mixed

/* ---- shifts and rotates: CL counts 0, 1, 31, 32 and above ---- */
SEQ shl_cl, DT_SEEDS_SHIFT
	shl eax, cl
END shl_cl
SEQ shr_cl, DT_SEEDS_SHIFT
	shr eax, cl
END shr_cl
SEQ sar_cl, DT_SEEDS_SHIFT
	sar eax, cl
END sar_cl
SEQ rol_cl, DT_SEEDS_SHIFT
	rol eax, cl
END rol_cl
SEQ ror_cl, DT_SEEDS_SHIFT
	ror eax, cl
END ror_cl
SEQ rcl_cl, DT_SEEDS_SHIFT
	rcl eax, cl
END rcl_cl
SEQ rcr_cl, DT_SEEDS_SHIFT
	rcr eax, cl
END rcr_cl
SEQ shl_r8_cl, DT_SEEDS_SHIFT
	shl al, cl
END shl_r8_cl
SEQ rcl_r8_cl, DT_SEEDS_SHIFT
	rcl al, cl
END rcl_r8_cl
SEQ rcr_r16_cl, DT_SEEDS_SHIFT
	rcr ax, cl
END rcr_r16_cl
SEQ rol_r16_cl, DT_SEEDS_SHIFT
	rol ax, cl
END rol_r16_cl
SEQ sar_r8_cl, DT_SEEDS_SHIFT
	sar ah, cl
END sar_r8_cl
SEQ shld_cl, DT_SEEDS_SHIFT
	shld eax, edx, cl
END shld_cl
SEQ shrd_cl, DT_SEEDS_SHIFT
	shrd eax, edx, cl
END shrd_cl
SEQ shld_r16_cl, DT_SEEDS_SHIFT
	shld ax, dx, cl
END shld_r16_cl
SEQ shrd_r16_cl, DT_SEEDS_SHIFT
	shrd ax, dx, cl
END shrd_r16_cl
SEQ shift_mem_cl, DT_SEEDS_SHIFT
	shl dword ptr [ebx+8], cl
	rcr byte ptr [ebx+9], cl
	sar word ptr [ebx+10], cl
	shrd dword ptr [ebx+12], edx, cl
END shift_mem_cl
SEQ shift_imm_0, DT_SEEDS_ALU1
	shl eax, 0                         /* c1 /4 00: flags unchanged */
END shift_imm_0
SEQ shift_imm_1, DT_SEEDS_ALU1
	shl eax, 1                         /* d1 /4 */
	rcr ecx, 1
	sar edx, 1
END shift_imm_1
SEQ shift_imm_1_long, DT_SEEDS_ALU1
	.byte 0xc1, 0xe0, 0x01             /* shl eax, 1 in the c1 form */
	.byte 0xc1, 0xd9, 0x01             /* rcr ecx, 1 in the c1 form */
END shift_imm_1_long
SEQ shift_imm_31, DT_SEEDS_ALU1
	shr eax, 31
END shift_imm_31
SEQ shift_imm_32, DT_SEEDS_ALU1
	sar eax, 32                        /* masked to 0 */
END shift_imm_32
SEQ shift_imm_33, DT_SEEDS_ALU1
	rol eax, 33
	rcl ecx, 33
END shift_imm_33
SEQ shift_imm_r8, DT_SEEDS_ALU1
	rcr al, 9
	rol ah, 17
	shl cl, 8
END shift_imm_r8
SEQ shrd_imm, DT_SEEDS_ALU1
	shrd eax, edx, 7
	shld ecx, eax, 31
	shld dx, ax, 20                    /* count > 16: undefined result, defined by the CPU */
END shrd_imm

/* ---- multiply and divide, including #DE ---- */
SEQ mul_r32, DT_SEEDS_DIV
	mul ecx
END mul_r32
SEQ imul_r32, DT_SEEDS_DIV
	imul ecx
END imul_r32
SEQ imul_2op, DT_SEEDS_DIV
	imul eax, ecx
END imul_2op
SEQ imul_3op, DT_SEEDS_DIV
	imul eax, ecx, 7
	imul edx, eax, 0x12345
	imul cx, ax, -3
END imul_3op
SEQ mul_r8_r16, DT_SEEDS_DIV
	mul cl
	imul cx
END mul_r8_r16
SEQ mul_mem, DT_SEEDS_DIV
	mul dword ptr [ebx+0xc0]
	imul eax, dword ptr [ebx+0xc4]
	imul byte ptr [ebx+0xc8]
END mul_mem
SEQ div_r32, DT_SEEDS_DIV
	div ecx
END div_r32
SEQ idiv_r32, DT_SEEDS_DIV
	idiv ecx
END idiv_r32
SEQ div_r8, DT_SEEDS_DIV
	div cl
END div_r8
SEQ idiv_r16, DT_SEEDS_DIV
	idiv cx
END idiv_r16
SEQ div_mem, DT_SEEDS_DIV
	mov dword ptr [ebx+0xf0], ecx
	div dword ptr [ebx+0xf0]
END div_mem
SEQ div_after_work, DT_SEEDS_DIV
	add edi, 4                         /* state before the faulting DIV must be kept */
	mov dword ptr [edi], eax
	idiv ecx
	mov esi, eax
END div_after_work

/* ---- bit operations ---- */
SEQ bt_r32, DT_SEEDS_ALU2
	bt eax, ecx
END bt_r32
SEQ bts_r32, DT_SEEDS_ALU2
	bts eax, ecx
END bts_r32
SEQ btr_r32, DT_SEEDS_ALU2
	btr eax, ecx
END btr_r32
SEQ btc_r32, DT_SEEDS_ALU2
	btc eax, ecx
END btc_r32
SEQ bt_r16, DT_SEEDS_ALU2
	btc ax, cx
END bt_r16
SEQ bt_imm, DT_SEEDS_ALU1
	bt eax, 5
	bts eax, 31
	btr eax, 40                        /* taken mod 32 */
	btc ax, 17                         /* mod 16 */
	bt dword ptr [ebx+0x10], 33
	lock bts dword ptr [ebx+0x14], 3
END bt_imm
SEQ bt_mem_reg, DT_SEEDS_BITMEM
	bt dword ptr [ebx+0x1000], ecx     /* bit offset reaches the whole area */
END bt_mem_reg
SEQ bts_mem_reg, DT_SEEDS_BITMEM
	lock bts dword ptr [ebx+0x1000], ecx
END bts_mem_reg
SEQ btr_btc_mem_reg, DT_SEEDS_BITMEM
	btr dword ptr [ebx+0x1000], ecx
	btc word ptr [ebx+0x1000], cx
END btr_btc_mem_reg
SEQ bsf_r32, DT_SEEDS_ALU2
	bsf eax, ecx                       /* source 0: destination unchanged, ZF=1 */
END bsf_r32
SEQ bsr_r32, DT_SEEDS_ALU2
	bsr eax, ecx
END bsr_r32
SEQ bsf_bsr_r16_mem, DT_SEEDS_ALU2
	bsf ax, cx
	bsr dx, word ptr [ebx+0x1c]
	bsf ecx, dword ptr [ebx+0xc0]
END bsf_bsr_r16_mem

/* ---- conditions: SETcc / CMOVcc / Jcc on all 16, from all flag patterns ---- */
SEQ setcc_all, DT_SEEDS_FLAGS
	seto byte ptr [edi]
	setno byte ptr [edi+1]
	setb byte ptr [edi+2]
	setae byte ptr [edi+3]
	sete byte ptr [edi+4]
	setne byte ptr [edi+5]
	setbe byte ptr [edi+6]
	seta byte ptr [edi+7]
	sets byte ptr [edi+8]
	setns byte ptr [edi+9]
	setp byte ptr [edi+10]
	setnp byte ptr [edi+11]
	setl byte ptr [edi+12]
	setge byte ptr [edi+13]
	setle byte ptr [edi+14]
	setg byte ptr [edi+15]
	setz al
	setle ch
END setcc_all

.macro CMOV_ONE cc, k
	cmov\cc eax, edx
	mov dword ptr [edi+4*\k], eax
	cmov\cc cx, word ptr [ebx+2*\k]
	mov eax, esi
.endm
SEQ cmovcc_all, DT_SEEDS_FLAGS
	mov eax, esi
	CMOV_ONE o, 0
	CMOV_ONE no, 1
	CMOV_ONE b, 2
	CMOV_ONE ae, 3
	CMOV_ONE e, 4
	CMOV_ONE ne, 5
	CMOV_ONE be, 6
	CMOV_ONE a, 7
	CMOV_ONE s, 8
	CMOV_ONE ns, 9
	CMOV_ONE p, 10
	CMOV_ONE np, 11
	CMOV_ONE l, 12
	CMOV_ONE ge, 13
	CMOV_ONE le, 14
	CMOV_ONE g, 15
END cmovcc_all

/* Each taken Jcc skips one flag-free LEA: EAX collects a bit per condition. */
.macro JCC_ONE cc, k
	j\cc 1f
	lea eax, [eax + (1 << \k)]
1:
.endm
SEQ jcc_all_short, DT_SEEDS_FLAGS
	JCC_ONE o, 0
	JCC_ONE no, 1
	JCC_ONE b, 2
	JCC_ONE ae, 3
	JCC_ONE e, 4
	JCC_ONE ne, 5
	JCC_ONE be, 6
	JCC_ONE a, 7
	JCC_ONE s, 8
	JCC_ONE ns, 9
	JCC_ONE p, 10
	JCC_ONE np, 11
	JCC_ONE l, 12
	JCC_ONE ge, 13
	JCC_ONE le, 14
	JCC_ONE g, 15
END jcc_all_short
.macro JCC_NEAR cc, k
	.byte 0x0f, 0x80 + \k              /* jcc rel32 over the LEA */
	.long 1f - 2f
2:	lea eax, [eax + (1 << \k)]
1:
.endm
SEQ jcc_all_near, DT_SEEDS_FLAGS
	JCC_NEAR o, 0
	JCC_NEAR no, 1
	JCC_NEAR b, 2
	JCC_NEAR ae, 3
	JCC_NEAR e, 4
	JCC_NEAR ne, 5
	JCC_NEAR be, 6
	JCC_NEAR a, 7
	JCC_NEAR s, 8
	JCC_NEAR ns, 9
	JCC_NEAR p, 10
	JCC_NEAR np, 11
	JCC_NEAR l, 12
	JCC_NEAR ge, 13
	JCC_NEAR le, 14
	JCC_NEAR g, 15
END jcc_all_near
SEQ jcc_backward_loop, DT_SEEDS_ALU1
	mov ecx, 5
1:	add eax, ecx
	dec ecx
	jnz 1b
END jcc_backward_loop
SEQ jecxz_loop, DT_SEEDS_COUNT
	jecxz 2f
1:	lea eax, [eax+ecx]
	loop 1b
2:	lea edx, [edx+1]
END jecxz_loop
SEQ loope_loopne, DT_SEEDS_COUNT
	jecxz 2f
	xor edx, edx
1:	inc edx
	cmp edx, 5
	loopne 1b
	jecxz 2f
3:	cmp edx, edx
	loope 3b
2:
END loope_loopne
SEQ jmp_short_near, DT_SEEDS_ONE
	jmp 1f
	ud2
1:	.byte 0xe9
	.long 2                            /* jmp rel32 */
	ud2
	inc eax
END jmp_short_near

/* ---- exchange and atomic ---- */
SEQ xchg_forms, DT_SEEDS_ALU2
	xchg eax, ecx                      /* 91 */
	xchg al, ch
	xchg dword ptr [ebx+0x10], eax     /* implicitly locked */
	xchg cx, ax
	xchg word ptr [ebx+0x14], dx
END xchg_forms
SEQ cmpxchg_reg, DT_SEEDS_ALU2
	cmpxchg ecx, edx                   /* equal when EAX == ECX */
END cmpxchg_reg
SEQ cmpxchg_mem, DT_SEEDS_ALU2
	cmpxchg dword ptr [ebx+0x20], edx  /* data: not equal */
	mov dword ptr [ebx+0x24], eax
	lock cmpxchg dword ptr [ebx+0x24], ecx /* equal */
	cmpxchg byte ptr [ebx+0x28], cl
	cmpxchg word ptr [ebx+0x2a], cx
END cmpxchg_mem
SEQ xadd_forms, DT_SEEDS_ALU2
	xadd eax, ecx
	xadd dword ptr [ebx+0x30], ecx
	lock xadd word ptr [ebx+0x34], ax
	xadd cl, ah
END xadd_forms
SEQ cmpxchg8b_forms, DT_SEEDS_ALU2
	cmpxchg8b qword ptr [ebx+0x38]     /* not equal: EDX:EAX loaded */
	mov dword ptr [ebx+0x40], eax
	mov dword ptr [ebx+0x44], edx
	lock cmpxchg8b qword ptr [ebx+0x40] /* equal: ECX:EBX stored */
END cmpxchg8b_forms
SEQ bswap_all, DT_SEEDS_ALU2
	bswap eax
	bswap ecx
	bswap edx
	bswap esi
	bswap esi
END bswap_all

/* ---- conversions and flag instructions ---- */
SEQ cwde_cdq_cbw_cwd, DT_SEEDS_ALU1
	cdq
	mov ecx, eax
	cbw
	cwd
	mov esi, eax
	cwde
END cwde_cdq_cbw_cwd
SEQ lahf_sahf, DT_SEEDS_FLAGS
	lahf
	mov ecx, eax
	mov ah, 0xd5
	sahf
	mov edx, eax
	mov ah, 0
	sahf
END lahf_sahf
SEQ flag_ops, DT_SEEDS_FLAGS
	cmc
	setc al
	stc
	setc ah
	clc
	cmc
	std
	cld
	std                                /* DF=1 at the end */
END flag_ops
SEQ movzx_movsx, DT_SEEDS_ALU2
	movzx edx, cl
	movsx esi, ch
	movzx ecx, ax
	movsx eax, al
	movzx edi, byte ptr [ebx+0x81]
	movsx ebp, word ptr [ebx+0x7f]
END movzx_movsx
SEQ nops, DT_SEEDS_ONE
	nop
	.byte 0x66, 0x90                   /* xchg ax, ax */
	.byte 0x0f, 0x1f, 0x00             /* nop dword ptr [eax]: no access */
	.byte 0x0f, 0x1f, 0x44, 0x00, 0x00
	pause
	.byte 0xf3, 0x0f, 0x1e, 0xfb       /* endbr32: a NOP on the modelled CPU */
END nops

/* ---- opcodes invalid (or different) in 64-bit mode: monitor procedures ---- */
SEQ daa_only, DT_SEEDS_ALU1
	daa
END daa_only
SEQ das_only, DT_SEEDS_ALU1
	das
END das_only
SEQ aam_aad, DT_SEEDS_ALU1
	aam
	aad
	aam 7
	aad 3
END aam_aad
/* AAA/AAS: SF, ZF and PF ("undefined") come from the final AL, after the
 * AND 0x0F (EAX=0x80, AAA: AL=0, ZF=PF=1, SF=0). */
SEQ aaa_only, DT_SEEDS_ALU1
	aaa
END aaa_only
SEQ aas_only, DT_SEEDS_ALU1
	aas
END aas_only
/* AAD imm8: CF, AF and OF ("undefined") as for the 8-bit ADD of AL and
 * AH*imm8 (AX=0x40e0, AAD 0x6a: AL=0x60, CF=OF=1); base 10 often hides it. */
SEQ aad_imm_undefined_flags, DT_SEEDS_ALU1
	aad 0x6a
END aad_imm_undefined_flags
SEQ aam_zero_de, DT_SEEDS_ONE
	aam 0                              /* #DE */
END aam_zero_de
SEQ salc_only, DT_SEEDS_FLAGS
	.byte 0xd6                         /* salc: AL = CF ? 0xff : 0 */
END salc_only
SEQ arpl_forms, DT_SEEDS_ALU2
	arpl ax, cx
	arpl word ptr [ebx+0x10], cx
END arpl_forms
SEQ bound_in_and_out, DT_SEEDS_ALU1
	mov dword ptr [ebx+0x20], 0x10
	mov dword ptr [ebx+0x24], 0x7fff
	.byte 0x62, 0x43, 0x20             /* bound eax, [ebx+0x20]: #BR unless 0x10 <= EAX <= 0x7fff */
END bound_in_and_out

	TABLE_END

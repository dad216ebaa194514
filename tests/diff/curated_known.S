/*
 * curated_known.S — sequences that show btmon bugs this tester found, one
 * per bug, with the diagnosis. They are kept out of the pass/fail tables
 * (the files under src/translator and the monitor procedures belong to other
 * changes); the default suite runs them and prints whether each still
 * reproduces, so a fix is noticed and the sequence can move to its class's
 * file. `btmon-difftest --case NAME` shows both final states.
 */
#define DT_TABLE .data.rel.ro.dt_cases_known
#include "curated.inc"

	TABLE_BEGIN dt_cases_known

/* fault.c: after a host fault inside a string instruction, ESI and EDI are
 * both un-biased from the host RSI/RDI (TC_MAP_STRING), but emit_string
 * (translator/sensitive.c) biases only the registers the instruction uses:
 * STOS/SCAS leave RSI = guest ESI, LODS leaves RDI = guest EDI. So a #PF in
 * REP STOS reports ESI - window base as the guest's ESI (and LODS, EDI). */
SEQ known_rep_stos_fault_clobbers_esi, DT_SEEDS_ONE
	lea edi, [ebx+DT_DATA_SIZE-0x10]
	mov ecx, 0x40
	rep stosb                          /* #PF at the end of the data area */
END known_rep_stos_fault_clobbers_esi
SEQ known_rep_lods_fault_clobbers_edi, DT_SEEDS_ONE
	lea esi, [ebx+DT_DATA_SIZE-0x10]
	mov ecx, 0x40
	rep lodsb
END known_rep_lods_fault_clobbers_edi

/* 16-bit PUSHA/POPA (66 60 / 66 61) go to the monitor ("pusha (16-bit) →
 * monitor") but no monitor procedure implements them: the machine stops
 * with "not supported by btmon yet". */
SEQ known_pushaw_popaw, DT_SEEDS_RANDOM
	.byte 0x66, 0x60                   /* pushaw */
	not eax
	.byte 0x66, 0x61                   /* popaw */
END known_pushaw_popaw

/* FXSAVE copied verbatim runs in 64-bit mode, where it also stores XMM8–15
 * into image bytes 288–415, which a 32-bit FXSAVE leaves untouched: guest
 * memory is overwritten (with zeros, or what an earlier guest FXRSTOR put
 * there — the world switch carries XMM8–15 in the VirtualCPU's image).
 * FIP/FDP (bytes 8–23) are excluded from the comparison. */
SEQ known_fxsave_stores_xmm8_15, DT_SEEDS_SSE, 0x808, 16
	fldpi
	fxsave [edi]
	fninit
	fxrstor [edi]
END known_fxsave_stores_xmm8_15

/* MASKMOVQ/MASKMOVDQU store to DS:[EDI] implicitly; the translator copies
 * them like innocuous register instructions, so in 64-bit mode they would
 * store to host [RDI] outside the window. --verify catches it ("memory
 * operand is neither gs:[addr32] nor ...") and stops the guest. */
SEQ known_maskmovq_implicit_edi, DT_SEEDS_SSE
	maskmovq mm1, mm2
	emms
END known_maskmovq_implicit_edi
SEQ known_maskmovdqu_implicit_edi, DT_SEEDS_SSE
	maskmovdqu xmm1, xmm2
END known_maskmovdqu_implicit_edi

/* The AAA/AAS monitor procedures compute SF, ZF and PF ("undefined") from
 * AL before the final AND 0x0F; this CPU sets them from the final AL
 * (EAX=0x80, AAA: AL=0, native ZF=PF=1, btmon SF=1). Results are right. */
SEQ known_aaa_only, DT_SEEDS_ALU1
	aaa
END known_aaa_only
SEQ known_aas_only, DT_SEEDS_ALU1
	aas
END known_aas_only

/* AAD imm8 (monitor procedure): this CPU sets CF, AF and OF ("undefined")
 * as for the 8-bit ADD of AL and AH*imm8 (AX=0x40e0, AAD 0x6a: AL=0x60,
 * native CF=OF=1), btmon leaves them clear. With base 10 they often agree. */
SEQ known_aad_undefined_flags, DT_SEEDS_ALU1
	aad 0x6a
END known_aad_undefined_flags

/* An instruction with a memory operand gets 65 67 (and, for an absolute
 * [disp32], a SIB byte) in front: a guest instruction of 14 bytes (13 with
 * [disp32]) — legal, here thanks to redundant REP prefixes — becomes 16 host
 * bytes, over the 15-byte limit. --verify stops ("undecodable host bytes");
 * without it the host would raise #UD. Found by the random run (seed 3003,
 * sequence 3795325: f3 f2 f3 81 3d <disp32> <imm32>). */
SEQ known_long_insn_with_memop_over_15_bytes, DT_SEEDS_ONE
	.byte 0xf3, 0xf2, 0xf3, 0xf2, 0x81, 0xbb  /* cmp dword ptr [ebx+0x1010], 0x12345678 */
	.long 0x1010, 0x12345678
END known_long_insn_with_memop_over_15_bytes
SEQ known_long_insn_with_abs_memop_over_15_bytes, DT_SEEDS_ABS
	.byte 0xf3, 0xf2, 0xf3, 0x81, 0x3d        /* cmp dword ptr [DT_DATA_ADDR+0x1aea], 0xb2a7055a */
	.long DT_DATA_ADDR + 0x1aea, 0xb2a7055a
END known_long_insn_with_abs_memop_over_15_bytes

	TABLE_END

/*
 * curated_mem.S — curated sequences that address memory: string ops with
 * REP counts 0..N in both directions, PUSH/POP/CALL/RET/ENTER/LEAVE/PUSHA/
 * POPA, LEA and every addressing form, absolute addresses, accesses that
 * straddle a page boundary, and accesses that fault (#PF) on the guard
 * pages around the data area and the stack.
 *
 * Not here, because the native side cannot run them the same way: accesses
 * through FS/GS with a non-zero base (a null FS/GS faults in compatibility
 * mode, and the host's FS base is glibc's TLS) and accesses that wrap at
 * 4 GiB (the native runner owns no memory at 0xFFFFxxxx / 0x0000xxxx).
 */
#define DT_TABLE .data.rel.ro.dt_cases_mem
#include "curated.inc"

	TABLE_BEGIN dt_cases_mem

/* ---- string operations: ESI = data+0x400, EDI = data+0x800, ECX = count ---- */
SEQ rep_movsb, DT_SEEDS_COUNT
	rep movsb
END rep_movsb
SEQ rep_movsd, DT_SEEDS_COUNT
	rep movsd                          /* 0x900 dwords: past the data area -> #PF mid-way */
END rep_movsd
SEQ rep_movsw, DT_SEEDS_COUNT
	rep movsw
END rep_movsw
SEQ movs_single, DT_SEEDS_COUNT
	movsb
	movsw
	movsd
	.byte 0x3e
	movsd                              /* ds: override (the default) */
END movs_single
SEQ rep_stosb, DT_SEEDS_COUNT_NF
	mov al, 0x5a
	rep stosb
END rep_stosb
SEQ rep_stosd, DT_SEEDS_COUNT_NF
	mov eax, 0xdeadbeef
	rep stosd
END rep_stosd
SEQ lods_forms, DT_SEEDS_COUNT_NF
	lodsb
	lodsw
	lodsd
	rep lodsb                          /* ECX times: AL = the last byte */
END lods_forms
SEQ repe_cmpsb_equal_prefix, DT_SEEDS_COUNT
	push ecx
	push esi
	push edi
	mov ecx, 16
	rep movsb                          /* 16 equal bytes (in the seed's direction) */
	pop edi
	pop esi
	pop ecx
	repe cmpsb
END repe_cmpsb_equal_prefix
SEQ repne_cmpsd, DT_SEEDS_COUNT
	repne cmpsd
END repne_cmpsd
SEQ repne_scasb_found, DT_SEEDS_COUNT
	mov al, byte ptr [edi+5]
	repne scasb
END repne_scasb_found
SEQ repe_scasd, DT_SEEDS_COUNT
	mov eax, dword ptr [edi]
	repe scasd
END repe_scasd
SEQ rep_movsb_overlap, DT_SEEDS_COUNT
	lea edi, [esi+3]                   /* overlapping forward copy: byte by byte semantics */
	rep movsb
END rep_movsb_overlap
SEQ rep_stos_page_cross, DT_SEEDS_COUNT_NF
	lea edi, [ebx+0xff0]
	mov eax, ecx
	rep stosw
END rep_stos_page_cross

/* A #PF inside REP STOS/LODS: the guest's ESI (STOS) or EDI (LODS), which
 * the instruction does not use, is reported unchanged (the fault path
 * un-biases only the registers the string rule biased). */
SEQ rep_stos_fault_keeps_esi, DT_SEEDS_ONE
	lea edi, [ebx+DT_DATA_SIZE-0x10]
	mov ecx, 0x40
	rep stosb                          /* #PF at the end of the data area */
END rep_stos_fault_keeps_esi
SEQ rep_lods_fault_keeps_edi, DT_SEEDS_ONE
	lea esi, [ebx+DT_DATA_SIZE-0x10]
	mov ecx, 0x40
	rep lodsb
END rep_lods_fault_keeps_edi

/* ---- the stack: ESP = stack top - 0x200 ---- */
SEQ push_pop_forms, DT_SEEDS_RANDOM
	push eax
	push 0x12345678                    /* 68 id */
	push -5                            /* 6a ib */
	push dword ptr [ebx+4]
	pop ecx
	pop dword ptr [ebx+8]
	pop edx
	.byte 0x66, 0x50                   /* push ax */
	.byte 0x66, 0x59                   /* pop cx */
	pop eax
END push_pop_forms
SEQ push_esp_pop_esp_mem, DT_SEEDS_RANDOM
	push esp                           /* the value before the push */
	pop eax
	push dword ptr [esp+4]             /* address computed before ESP moves */
	pop dword ptr [esp]                /* address computed after ESP moves */
	pop dword ptr [esp+8]
	push esp
	pop esp                            /* ESP = the popped value */
END push_esp_pop_esp_mem
SEQ pop_to_esp_loaded, DT_SEEDS_ONE
	lea eax, [esp-0x40]
	push eax
	pop esp
	push ecx
	pop edx
END pop_to_esp_loaded
SEQ pop_past_stack_top, DT_SEEDS_ONE
	add esp, DT_STACK_SLACK - 4
	pop eax                            /* the last dword */
	pop ecx                            /* the guard page: #PF, ECX unchanged */
END pop_past_stack_top
SEQ push_into_guard, DT_SEEDS_ONE
	mov esp, ebx                       /* the data area's first byte */
	push eax                           /* #PF below the data area, ESP unchanged */
END push_into_guard
SEQ push_straddles_stack_page, DT_SEEDS_ONE
	sub esp, 0xe02                     /* ESP-4 straddles a page boundary */
	push eax
	pop ecx
	push word ptr [ebx]
END push_straddles_stack_page
SEQ call_pop, DT_SEEDS_ONE
	call 1f
1:	pop eax                            /* the address of 1: */
END call_pop
SEQ call_ret, DT_SEEDS_RANDOM
	call 2f
	jmp 3f
2:	add eax, ecx
	ret
3:	lea edx, [edx+1]
END call_ret
SEQ call_ret_imm, DT_SEEDS_RANDOM
	push eax
	push ecx
	call 2f
	jmp 3f
2:	ret 8                              /* pops the two arguments too */
3:	inc edx
END call_ret_imm
SEQ call_indirect_reg_mem, DT_SEEDS_ONE
	call 1f
1:	pop eax
	.byte 0x05
	.long 5f - 1b                      /* add eax, 5f - 1b */
	call eax                           /* call-ind through a register */
	mov dword ptr [ebx+0x60], eax
	call dword ptr [ebx+0x60]          /* and through memory */
	.byte 0x05
	.long 6f - 5f                      /* add eax, 6f - 5f */
	jmp eax                            /* jmp-ind */
	ud2
5:	inc ecx
	ret
6:	inc edx
END call_indirect_reg_mem
SEQ nested_calls, DT_SEEDS_RANDOM
	call 1f
	jmp 4f
1:	call 2f
	ret
2:	call 3f
	ret
3:	add eax, 3
	ret
4:
END nested_calls
SEQ enter_leave_0, DT_SEEDS_RANDOM
	enter 0x10, 0
	mov dword ptr [ebp-4], eax
	mov ecx, esp
	leave
END enter_leave_0
SEQ enter_leave_nested, DT_SEEDS_RANDOM
	enter 8, 1
	mov eax, dword ptr [ebp-4]
	enter 4, 3                         /* copies two frame pointers from [ebp-4], [ebp-8] */
	mov ecx, esp
	leave
	leave
END enter_leave_nested
SEQ enter_big_nesting, DT_SEEDS_ONE
	enter 0x20, 31
	mov ecx, esp
	leave
END enter_big_nesting
SEQ pushad_popad, DT_SEEDS_RANDOM
	pushad
	xor eax, eax
	not ecx
	neg edx
	popad
END pushad_popad
SEQ pushad_then_pops, DT_SEEDS_RANDOM
	pushad
	pop eax                            /* EDI */
	pop ecx                            /* ESI */
	pop edx                            /* EBP */
	pop esi                            /* ESP before PUSHAD */
	popad                              /* from whatever lies above */
END pushad_then_pops
SEQ popad_skips_esp, DT_SEEDS_RANDOM
	push 1
	push 2
	push 3
	push 0x11111111                    /* the ESP slot: ignored */
	push 5
	push 6
	push 7
	push 8
	popad
END popad_skips_esp
SEQ pushaw_popaw, DT_SEEDS_RANDOM
	.byte 0x66, 0x60                   /* pushaw */
	not eax
	.byte 0x66, 0x61                   /* popaw */
END pushaw_popaw

/* ---- LEA: every addressing form (no access, so any register values) ---- */
SEQ lea_forms, DT_SEEDS_ALU2
	lea edx, [ecx]
	lea esi, [ecx+8]
	lea edi, [ecx-0x80]
	lea ebp, [ecx+0x12345678]
	lea ebx, [ecx+eax]
	lea edx, [ecx+eax*2+5]
	lea esi, [eax*4]
	lea edi, [eax*8+0x1000]
	lea ebp, [esp+4]
	lea ebx, [ebp]
	lea ecx, [ebp+ecx*4]
	lea eax, [0x12345678]
	lea edx, [eax+eax*8]
	lea cx, [esi+edi]                  /* 16-bit destination */
	lea esp, [esp]
END lea_forms

/* ---- memory addressing forms, each one really accessing the data area ---- */
SEQ addressing_forms, DT_SEEDS_ONE
	mov ecx, 3
	mov edx, 0x10
	mov eax, dword ptr [ebx]           /* [base] */
	add eax, dword ptr [ebx+ecx]       /* [base+index] */
	add eax, dword ptr [ebx+ecx*2+4]   /* SIB, disp8 */
	add eax, dword ptr [ebx+ecx*4+0x100] /* SIB, disp32 */
	add eax, dword ptr [ebx+ecx*8-4+0x200]
	mov dword ptr [esp], eax           /* [esp]: SIB with no index */
	add eax, dword ptr [esp+ecx*4]
	add eax, dword ptr [ebp+8]         /* [ebp+disp8]: SS by default */
	add eax, dword ptr [ebp+ecx]
	mov word ptr [edi+ecx*2], ax
	add byte ptr [ebx+edx], cl
	add eax, dword ptr [edx*4+ebx]
	add eax, dword ptr [esi+0x7fc]
	sub eax, dword ptr [edx+ebp-0x10]
	.byte 0x26
	mov dword ptr [edi+4], eax         /* es: override */
	.byte 0x36
	add eax, dword ptr [ebx+8]         /* ss: override */
	.byte 0x2e
	add eax, dword ptr [ebx+12]        /* cs: override, a read (flat on both sides) */
	xlatb                              /* [ebx+al] */
END addressing_forms
SEQ xlat_all, DT_SEEDS_ALU2
	xlatb
END xlat_all
SEQ absolute_forms, DT_SEEDS_ABS
	mov eax, dword ptr [DT_DATA_ADDR + 0x10]     /* a1: moffs */
	mov byte ptr [DT_DATA_ADDR + 0x20], al       /* a2: moffs */
	mov ax, word ptr [DT_DATA_ADDR + 0x22]       /* 66 a1 */
	mov ecx, dword ptr [DT_DATA_ADDR + 0x30]     /* 8b 0d: [disp32], RIP-relative in 64-bit mode */
	add dword ptr [DT_DATA_ADDR + 0x40], ecx
	movzx edx, byte ptr [DT_DATA_ADDR + 0x44]
	inc dword ptr [DT_DATA_ADDR + 0x48]
END absolute_forms
SEQ absolute_index, DT_SEEDS_ABS
	mov ecx, 5
	mov eax, dword ptr [DT_DATA_ADDR + ecx*4]    /* SIB, no base */
	mov dword ptr [DT_DATA_ADDR + 0x100 + ecx*8], eax
END absolute_index

/* 14 (13 with [disp32]) bytes, legal thanks to redundant REP prefixes: with
 * 65 67 (and a SIB byte for [disp32]) in front the host instruction would be
 * over 15 bytes (random seed 3003, sequence 3795325: f3 f2 f3 81 3d ...). */
SEQ long_insn_with_memop, DT_SEEDS_ONE
	.byte 0xf3, 0xf2, 0xf3, 0xf2, 0x81, 0xbb  /* cmp dword ptr [ebx+0x1010], 0x12345678 */
	.long 0x1010, 0x12345678
END long_insn_with_memop
SEQ long_insn_with_abs_memop, DT_SEEDS_ABS
	.byte 0xf3, 0xf2, 0xf3, 0x81, 0x3d        /* cmp dword ptr [DT_DATA_ADDR+0x1aea], 0xb2a7055a */
	.long DT_DATA_ADDR + 0x1aea, 0xb2a7055a
END long_insn_with_abs_memop

/* ---- accesses that straddle the page boundary at data+0x1000 ----
 * Not locked ones (XCHG, LOCK): a locked access across a cache line is a
 * split lock, which Linux 6.x answers by sleeping and serialising the task
 * (one native run here stalled for 114 s) — and it slows the whole host. */
SEQ straddle_loads_stores, DT_SEEDS_RANDOM
	mov eax, dword ptr [ebx+0xffd]
	mov dword ptr [ebx+0xffe], ecx
	add word ptr [ebx+0xfff], cx
	movzx edx, word ptr [ebx+0xfff]
	cmpxchg dword ptr [ebx+0xffd], esi
END straddle_loads_stores
SEQ straddle_cmpxchg8b, DT_SEEDS_ALU2
	cmpxchg8b qword ptr [ebx+0xffc]
	mov dword ptr [ebx+0xffa], eax
	mov dword ptr [ebx+0xffe], edx
	cmpxchg8b qword ptr [ebx+0xffa]
END straddle_cmpxchg8b
SEQ straddle_rep_movsd, DT_SEEDS_COUNT
	lea esi, [ebx+0xf01]
	lea edi, [ebx+0xffe]
	rep movsd
END straddle_rep_movsd

/* ---- faults on the guard pages: #PF with CR2, state at the instruction ---- */
SEQ pf_load_past_data, DT_SEEDS_ONE
	inc eax
	mov ecx, dword ptr [ebx+DT_DATA_SIZE]
	inc edx
END pf_load_past_data
SEQ pf_load_straddles_guard, DT_SEEDS_ONE
	mov ecx, dword ptr [ebx+DT_DATA_SIZE-2]
END pf_load_straddles_guard
SEQ pf_store_straddles_guard, DT_SEEDS_ONE
	mov dword ptr [ebx+DT_DATA_SIZE-2], 0x11223344 /* nothing written */
END pf_store_straddles_guard
SEQ pf_below_data, DT_SEEDS_ONE
	add dword ptr [ebx-2], eax
END pf_below_data
SEQ pf_rmw_after_work, DT_SEEDS_ONE
	mov dword ptr [ebx], eax
	add ecx, edx
	lock or dword ptr [ebx+DT_DATA_SIZE+0x10], ecx
END pf_rmw_after_work
SEQ pf_code_area_is_mapped, DT_SEEDS_ONE
	call 1f
1:	pop esi
	mov eax, dword ptr [esi-5]         /* reading own code: the call */
END pf_code_area_is_mapped
SEQ ud2_fault, DT_SEEDS_ONE
	inc eax
	ud2
END ud2_fault

	TABLE_END

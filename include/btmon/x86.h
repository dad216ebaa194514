/*
 * x86.h — the guest architecture: IA-32 as the guest sees it. Every bit named,
 * with the Intel SDM (Vol. 3A unless noted) section it comes from.
 */
#ifndef BTMON_X86_H
#define BTMON_X86_H

#include <stdint.h>

/* EFLAGS (SDM Vol. 1 §3.4.3) */
#define X86_FL_CF   (1u << 0)   /* carry */
#define X86_FL_FIXED1 (1u << 1) /* reserved, always 1 */
#define X86_FL_PF   (1u << 2)   /* parity */
#define X86_FL_AF   (1u << 4)   /* adjust */
#define X86_FL_ZF   (1u << 6)   /* zero */
#define X86_FL_SF   (1u << 7)   /* sign */
#define X86_FL_TF   (1u << 8)   /* trap (single step) — virtual */
#define X86_FL_IF   (1u << 9)   /* interrupt enable — virtual */
#define X86_FL_DF   (1u << 10)  /* direction — lives in host RFLAGS */
#define X86_FL_OF   (1u << 11)  /* overflow */
#define X86_FL_IOPL (3u << 12)  /* I/O privilege level — virtual */
#define X86_FL_IOPL_SHIFT 12
#define X86_FL_NT   (1u << 14)  /* nested task — virtual */
#define X86_FL_RF   (1u << 16)  /* resume — virtual */
#define X86_FL_VM   (1u << 17)  /* virtual-8086 — virtual (unsupported) */
#define X86_FL_AC   (1u << 18)  /* alignment check — virtual (host CR0.AM is on) */
#define X86_FL_VIF  (1u << 19)  /* virtual interrupt flag — virtual */
#define X86_FL_VIP  (1u << 20)  /* virtual interrupt pending — virtual */
#define X86_FL_ID   (1u << 21)  /* CPUID detection — virtual */

/* Bits that live in host RFLAGS while guest code runs. */
#define X86_FL_ARITH (X86_FL_CF | X86_FL_PF | X86_FL_AF | X86_FL_ZF | X86_FL_SF | X86_FL_OF)
#define X86_FL_HOST  (X86_FL_ARITH | X86_FL_DF)
/* Bits kept only in the VirtualCPU (DESIGN.md §10), IF apart. */
#define X86_FL_VIRTUAL (X86_FL_TF | X86_FL_IOPL | X86_FL_NT | X86_FL_RF | X86_FL_VM | \
			X86_FL_AC | X86_FL_VIF | X86_FL_VIP | X86_FL_ID)

/* CR0 (§2.5) */
#define X86_CR0_PE (1u << 0)    /* protection enable */
#define X86_CR0_MP (1u << 1)    /* monitor coprocessor */
#define X86_CR0_EM (1u << 2)    /* x87 emulation */
#define X86_CR0_TS (1u << 3)    /* task switched */
#define X86_CR0_ET (1u << 4)    /* extension type (always 1 on P6) */
#define X86_CR0_NE (1u << 5)    /* numeric error */
#define X86_CR0_WP (1u << 16)   /* supervisor write protect */
#define X86_CR0_AM (1u << 18)   /* alignment mask */
#define X86_CR0_NW (1u << 29)   /* not write-through */
#define X86_CR0_CD (1u << 30)   /* cache disable */
#define X86_CR0_PG (1u << 31)   /* paging */

/* CR4 (§2.5) */
#define X86_CR4_VME (1u << 0)
#define X86_CR4_PVI (1u << 1)
#define X86_CR4_TSD (1u << 2)   /* RDTSC privileged */
#define X86_CR4_DE  (1u << 3)
#define X86_CR4_PSE (1u << 4)   /* 4 MiB pages */
#define X86_CR4_PAE (1u << 5)
#define X86_CR4_MCE (1u << 6)
#define X86_CR4_PGE (1u << 7)   /* global pages */
#define X86_CR4_PCE (1u << 8)
#define X86_CR4_OSFXSR (1u << 9)
#define X86_CR4_OSXMMEXCPT (1u << 10)

/* Paging, 32-bit two-level (§4.3): linear = dir(10) | table(10) | offset(12). */
#define X86_PDE_INDEX(la) (((la) >> 22) & 0x3ffu)
#define X86_PTE_INDEX(la) (((la) >> 12) & 0x3ffu)
#define X86_PTE_P   (1u << 0)   /* present */
#define X86_PTE_W   (1u << 1)   /* writable */
#define X86_PTE_U   (1u << 2)   /* user accessible */
#define X86_PTE_PWT (1u << 3)
#define X86_PTE_PCD (1u << 4)
#define X86_PTE_A   (1u << 5)   /* accessed */
#define X86_PTE_D   (1u << 6)   /* dirty (PTE, or PDE with PS) */
#define X86_PDE_PS  (1u << 7)   /* 4 MiB page (CR4.PSE) */
#define X86_PTE_G   (1u << 8)   /* global (CR4.PGE) */
#define X86_PTE_FRAME 0xfffff000u
#define X86_PDE_FRAME_4M 0xffc00000u

/* #PF error code (§4.7) */
#define X86_PFEC_P (1u << 0)    /* 0: not present, 1: protection */
#define X86_PFEC_W (1u << 1)    /* write access */
#define X86_PFEC_U (1u << 2)    /* CPL 3 access */
#define X86_PFEC_RSVD (1u << 3)
#define X86_PFEC_I (1u << 4)    /* instruction fetch */

/* Exception vectors (§6.3.1) */
enum x86_vector {
	X86_EXC_DE = 0,  /* divide error */
	X86_EXC_DB = 1,  /* debug */
	X86_EXC_NMI = 2,
	X86_EXC_BP = 3,  /* breakpoint (INT3) */
	X86_EXC_OF = 4,  /* overflow (INTO) */
	X86_EXC_BR = 5,  /* BOUND range */
	X86_EXC_UD = 6,  /* invalid opcode */
	X86_EXC_NM = 7,  /* device not available */
	X86_EXC_DF = 8,  /* double fault (error code 0) */
	X86_EXC_TS = 10, /* invalid TSS (error code) */
	X86_EXC_NP = 11, /* segment not present (error code) */
	X86_EXC_SS = 12, /* stack fault (error code) */
	X86_EXC_GP = 13, /* general protection (error code) */
	X86_EXC_PF = 14, /* page fault (error code, CR2) */
	X86_EXC_MF = 16, /* x87 error */
	X86_EXC_AC = 17, /* alignment check (error code) */
	X86_EXC_MC = 18,
	X86_EXC_XM = 19, /* SIMD floating point */
};
/* Vectors that push an error code (§6.13). */
#define X86_EXC_HAS_ERRCODE(v) ((v) == 8 || ((v) >= 10 && (v) <= 14) || (v) == 17)

/* Segment selectors (§3.4.2) */
#define X86_SEL_RPL(s) ((s) & 3u)
#define X86_SEL_TI     (1u << 2)  /* 1: LDT */
#define X86_SEL_INDEX(s) ((s) >> 3)

/* Segment descriptor, as two dwords lo/hi (§3.4.5) */
#define X86_DESC_BASE(lo, hi)  (((lo) >> 16) | (((hi) & 0xffu) << 16) | ((hi) & 0xff000000u))
#define X86_DESC_LIMIT(lo, hi) (((lo) & 0xffffu) | ((hi) & 0x000f0000u))
#define X86_DESC_TYPE(hi) (((hi) >> 8) & 0xfu)
#define X86_DESC_S   (1u << 12)   /* in hi: 1 = code/data, 0 = system */
#define X86_DESC_DPL(hi) (((hi) >> 13) & 3u)
#define X86_DESC_P   (1u << 15)   /* present */
#define X86_DESC_AVL (1u << 20)
#define X86_DESC_DB  (1u << 22)   /* default operand size 32 */
#define X86_DESC_G   (1u << 23)   /* limit in 4 KiB units */
/* Type field for S=1: bit 3 = code, bit 1 = writable (data) / readable (code),
 * bit 2 = expand-down (data) / conforming (code), bit 0 = accessed. */
#define X86_TYPE_CODE 0x8u
#define X86_TYPE_RW   0x2u
#define X86_TYPE_EC   0x4u
#define X86_TYPE_ACCESSED 0x1u

/* Gate descriptors (§6.11): types for S=0 */
#define X86_GATE_TASK    0x5u
#define X86_GATE_INT32   0xeu
#define X86_GATE_TRAP32  0xfu
#define X86_GATE_INT16   0x6u
#define X86_GATE_TRAP16  0x7u

/* Segment register numbers as the hardware encodes them in ModRM.reg. */
enum x86_seg { X86_ES = 0, X86_CS = 1, X86_SS = 2, X86_DS = 3, X86_FS = 4, X86_GS = 5, X86_NSEG = 6 };

/* General registers, hardware encoding order. */
enum x86_gpr { X86_EAX, X86_ECX, X86_EDX, X86_EBX, X86_ESP, X86_EBP, X86_ESI, X86_EDI };

/* MSRs (SDM Vol. 4) */
#define X86_MSR_TSC            0x10u
#define X86_MSR_APIC_BASE      0x1bu
#define X86_MSR_SYSENTER_CS    0x174u
#define X86_MSR_SYSENTER_ESP   0x175u
#define X86_MSR_SYSENTER_EIP   0x176u
#define X86_MSR_PAT            0x277u
#define X86_MSR_PLATFORM_ID    0x17u
#define X86_MSR_BIOS_SIGN_ID   0x8bu    /* microcode update signature */
#define X86_MSR_PERFCTR0       0xc1u    /* P6 performance counters */
#define X86_MSR_PERFCTR1       0xc2u
#define X86_MSR_EVNTSEL0       0x186u
#define X86_MSR_EVNTSEL1       0x187u

#endif

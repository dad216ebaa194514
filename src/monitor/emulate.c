/*
 * emulate.c — monitor procedures for sensitive instructions that leave
 * translated code (VCPU_EXIT_EMULATE): decode the guest instruction again,
 * check privilege, act on the VirtualCPU or the device bus, advance EIP.
 * This file has the dispatcher, operand helpers and the I/O, CPUID and MSR
 * procedures; system-state procedures are in emulate_sys.c.
 */
#include <string.h>
#include <x86intrin.h>

#include "emulate.h"

bool emulate_decode(struct machine *m, gla_t eip, ZydisDecodedInstruction *in,
		    ZydisDecodedOperand *ops)
{
	uint8_t buf[15];
	uint32_t n = 15;
	while (n > 0 && !mmu_read_gla(&m->mmu, eip, buf, n))
		n--;
	return n > 0 && ZYAN_SUCCESS(ZydisDecoderDecodeFull(&m->dec, buf, n, in, ops));
}

/* Zydis numbers the registers a 32-bit guest has in runs, in encoding order
 * (EnumRegister.h): AL..BH, AX..DI, EAX..EDI, ES..GS. These helpers keep
 * the exit path out of ZydisRegisterGetClass/GetId, which are library calls. */
static inline bool reg_in(ZydisRegister r, ZydisRegister first, ZydisRegister last)
{
	return r >= first && r <= last;
}

/* The GPR a 16- or 32-bit address register names (its ID). */
static inline uint32_t addr_reg(const struct vcpu *v, ZydisRegister r)
{
	if (reg_in(r, ZYDIS_REGISTER_EAX, ZYDIS_REGISTER_EDI))
		return v->gpr[r - ZYDIS_REGISTER_EAX];
	return v->gpr[ZydisRegisterGetId(r)];
}

gla_t emulate_ea(struct machine *m, const ZydisDecodedOperand *op)
{
	const struct vcpu *v = m->vcpu;
	uint32_t a = (uint32_t)op->mem.disp.value;
	if (op->mem.base != ZYDIS_REGISTER_NONE)
		a += addr_reg(v, op->mem.base);
	if (op->mem.index != ZYDIS_REGISTER_NONE)
		a += addr_reg(v, op->mem.index) * (op->mem.scale ? op->mem.scale : 1);
	if (op->mem.segment == ZYDIS_REGISTER_FS)
		a += v->seg[X86_FS].base;
	else if (op->mem.segment == ZYDIS_REGISTER_GS)
		a += v->seg[X86_GS].base;
	return a;
}

uint32_t emu_reg_read(const struct vcpu *v, ZydisRegister r)
{
	if (reg_in(r, ZYDIS_REGISTER_EAX, ZYDIS_REGISTER_EDI))
		return v->gpr[r - ZYDIS_REGISTER_EAX];
	if (reg_in(r, ZYDIS_REGISTER_AX, ZYDIS_REGISTER_DI))
		return v->gpr[r - ZYDIS_REGISTER_AX] & 0xffff;
	if (reg_in(r, ZYDIS_REGISTER_AL, ZYDIS_REGISTER_BH)) {
		unsigned id = r - ZYDIS_REGISTER_AL;
		return id < 4 ? v->gpr[id] & 0xff : (v->gpr[id - 4] >> 8) & 0xff;
	}
	if (reg_in(r, ZYDIS_REGISTER_ES, ZYDIS_REGISTER_GS))
		return v->seg[r - ZYDIS_REGISTER_ES].sel;
	return 0;
}

void emu_reg_write(struct vcpu *v, ZydisRegister r, uint32_t val)
{
	if (reg_in(r, ZYDIS_REGISTER_EAX, ZYDIS_REGISTER_EDI)) {
		v->gpr[r - ZYDIS_REGISTER_EAX] = val;
	} else if (reg_in(r, ZYDIS_REGISTER_AX, ZYDIS_REGISTER_DI)) {
		uint32_t *g = &v->gpr[r - ZYDIS_REGISTER_AX];
		*g = (*g & 0xffff0000u) | (val & 0xffff);
	} else if (reg_in(r, ZYDIS_REGISTER_AL, ZYDIS_REGISTER_BH)) {
		unsigned id = r - ZYDIS_REGISTER_AL;
		if (id < 4)
			v->gpr[id] = (v->gpr[id] & ~0xffu) | (val & 0xff);
		else
			v->gpr[id - 4] = (v->gpr[id - 4] & ~0xff00u) | ((val & 0xff) << 8);
	}
}

static unsigned cpl_access(const struct machine *m)
{
	return m->vcpu->cpl == 3 ? MMU_ACC_USER : 0;
}

bool emu_read_mem(struct machine *m, gla_t la, void *buf, uint32_t len)
{
	if (mmu_copy_from_gla(&m->mmu, la, buf, len, cpl_access(m)))
		return true;
	deliver_mmu_fault(m);
	return false;
}

bool emu_write_mem(struct machine *m, gla_t la, const void *buf, uint32_t len)
{
	if (mmu_copy_to_gla(&m->mmu, la, buf, len, cpl_access(m), machine_code_written, m))
		return true;
	deliver_mmu_fault(m);
	return false;
}

bool emu_operand_read(struct machine *m, const ZydisDecodedOperand *op, uint32_t *out)
{
	switch (op->type) {
	case ZYDIS_OPERAND_TYPE_REGISTER:
		*out = emu_reg_read(m->vcpu, op->reg.value);
		return true;
	case ZYDIS_OPERAND_TYPE_IMMEDIATE:
		*out = (uint32_t)op->imm.value.u;
		return true;
	case ZYDIS_OPERAND_TYPE_MEMORY: {
		*out = 0;
		return emu_read_mem(m, emulate_ea(m, op), out, op->size / 8);
	}
	default:
		return false;
	}
}

bool emu_operand_write(struct machine *m, const ZydisDecodedOperand *op, uint32_t val)
{
	if (op->type == ZYDIS_OPERAND_TYPE_REGISTER) {
		emu_reg_write(m->vcpu, op->reg.value, val);
		return true;
	}
	return emu_write_mem(m, emulate_ea(m, op), &val, op->size / 8);
}

bool emu_require_cpl0(struct machine *m)
{
	if (m->vcpu->cpl == 0)
		return true;
	deliver_exception(m, X86_EXC_GP, true, 0);
	return false;
}

static unsigned iopl(const struct vcpu *v)
{
	return (v->vflags & X86_FL_IOPL) >> X86_FL_IOPL_SHIFT;
}

static bool io_allowed(struct machine *m)
{
	if (m->vcpu->cpl <= iopl(m->vcpu))
		return true;
	deliver_exception(m, X86_EXC_GP, true, 0);   /* no TSS I/O bitmap yet */
	return false;
}

static enum emu_result op_in_out(struct machine *m, const struct emu_insn *e)
{
	struct vcpu *v = m->vcpu;
	bool is_in = e->in.mnemonic == ZYDIS_MNEMONIC_IN;
	const ZydisDecodedOperand *port_op = is_in ? &e->ops[1] : &e->ops[0];
	const ZydisDecodedOperand *data_op = is_in ? &e->ops[0] : &e->ops[1];
	uint16_t port = (uint16_t)(port_op->type == ZYDIS_OPERAND_TYPE_IMMEDIATE
				   ? port_op->imm.value.u : v->gpr[X86_EDX]);
	unsigned size = data_op->size / 8;
	if (!io_allowed(m))
		return EMU_EXCEPTION;
	m->stats.port_io++;
	if (is_in)
		emu_reg_write(v, data_op->reg.value, iobus_in(m->board.bus, port, size));
	else
		iobus_out(m->board.bus, port, size, emu_reg_read(v, data_op->reg.value));
	return EMU_NEXT;
}

/* INS/OUTS, with or without REP: one element per iteration, ECX counts. */
static enum emu_result op_string_io(struct machine *m, const struct emu_insn *e)
{
	struct vcpu *v = m->vcpu;
	ZydisMnemonic mn = e->in.mnemonic;
	bool is_in = mn == ZYDIS_MNEMONIC_INSB || mn == ZYDIS_MNEMONIC_INSW || mn == ZYDIS_MNEMONIC_INSD;
	unsigned size = e->in.operand_width / 8;
	if (mn == ZYDIS_MNEMONIC_INSB || mn == ZYDIS_MNEMONIC_OUTSB)
		size = 1;
	bool rep = e->in.attributes & ZYDIS_ATTRIB_HAS_REP;
	int step = (v->rflags & X86_FL_DF) ? -(int)size : (int)size;
	uint16_t port = (uint16_t)v->gpr[X86_EDX];
	if (!io_allowed(m))
		return EMU_EXCEPTION;
	m->stats.port_io++;
	while (!rep || v->gpr[X86_ECX] != 0) {
		uint32_t val = 0;
		if (is_in) {
			val = iobus_in(m->board.bus, port, size);
			if (!emu_write_mem(m, v->gpr[X86_EDI], &val, size))
				return EMU_EXCEPTION;
			v->gpr[X86_EDI] += (uint32_t)step;
		} else {
			if (!emu_read_mem(m, v->gpr[X86_ESI] + v->seg[X86_DS].base, &val, size))
				return EMU_EXCEPTION;
			iobus_out(m->board.bus, port, size, val);
			v->gpr[X86_ESI] += (uint32_t)step;
		}
		if (!rep)
			break;
		v->gpr[X86_ECX]--;
	}
	return EMU_NEXT;
}

static enum emu_result op_cpuid(struct machine *m, const struct emu_insn *e)
{
	(void)e;
	uint32_t *r = m->vcpu->gpr;
	cpuid_model(r[X86_EAX], r[X86_ECX], &r[X86_EAX], &r[X86_EBX], &r[X86_ECX], &r[X86_EDX]);
	return EMU_NEXT;
}

static enum emu_result op_rdmsr_wrmsr(struct machine *m, const struct emu_insn *e)
{
	struct vcpu *v = m->vcpu;
	bool wr = e->in.mnemonic == ZYDIS_MNEMONIC_WRMSR;
	uint64_t val = ((uint64_t)v->gpr[X86_EDX] << 32) | v->gpr[X86_EAX];
	uint64_t *reg = NULL;
	if (!emu_require_cpl0(m))
		return EMU_EXCEPTION;
	switch (v->gpr[X86_ECX]) {
	case X86_MSR_SYSENTER_CS:  reg = &v->msr_sysenter_cs; break;
	case X86_MSR_SYSENTER_ESP: reg = &v->msr_sysenter_esp; break;
	case X86_MSR_SYSENTER_EIP: reg = &v->msr_sysenter_eip; break;
	case X86_MSR_TSC:
		if (wr)
			return EMU_NEXT;   /* the TSC is the host's: writes are ignored */
		val = __rdtsc();
		break;
	case X86_MSR_PAT:
		if (wr)
			return EMU_NEXT;
		val = 0x0007040600070406ull;   /* the power-on default */
		break;
	case X86_MSR_PLATFORM_ID:
	case X86_MSR_BIOS_SIGN_ID:         /* microcode revision: none loaded */
		if (wr)
			return EMU_NEXT;
		val = 0;
		break;
	case X86_MSR_PERFCTR0: case X86_MSR_PERFCTR1:
	case X86_MSR_EVNTSEL0: case X86_MSR_EVNTSEL1:
		/* P6 performance counters: registers that hold what is written;
		 * no event is ever counted. */
		reg = &v->msr_perf[(v->gpr[X86_ECX] & 0x100) ? 2 + (v->gpr[X86_ECX] & 1)
							       : (v->gpr[X86_ECX] - 1) & 1];
		break;
	default:
		deliver_exception(m, X86_EXC_GP, true, 0);
		return EMU_EXCEPTION;
	}
	if (reg && wr)
		*reg = val;
	else if (reg)
		val = *reg;
	if (!wr) {
		v->gpr[X86_EAX] = (uint32_t)val;
		v->gpr[X86_EDX] = (uint32_t)(val >> 32);
	}
	return EMU_NEXT;
}

/* RDPMC: the P6 counters hold what WRMSR put there (nothing is counted).
 * CPL > 0 needs CR4.PCE. */
static enum emu_result op_rdpmc(struct machine *m, const struct emu_insn *e)
{
	(void)e;
	struct vcpu *v = m->vcpu;
	uint32_t n = v->gpr[X86_ECX];
	if ((v->cpl != 0 && !(v->cr4 & X86_CR4_PCE)) || n > 1) {
		deliver_exception(m, X86_EXC_GP, true, 0);
		return EMU_EXCEPTION;
	}
	uint64_t val = v->msr_perf[n] & 0xffffffffffull;   /* 40-bit counters */
	v->gpr[X86_EAX] = (uint32_t)val;
	v->gpr[X86_EDX] = (uint32_t)(val >> 32);
	return EMU_NEXT;
}

static enum emu_result op_hlt(struct machine *m, const struct emu_insn *e)
{
	if (!emu_require_cpl0(m))
		return EMU_EXCEPTION;
	/* Interrupt delivery pushes the address after HLT. */
	m->vcpu->eip += e->in.length;
	irq_halt(m);
	return EMU_JUMPED;
}

static enum emu_result op_nop_cpl0(struct machine *m, const struct emu_insn *e)
{
	(void)e;
	return emu_require_cpl0(m) ? EMU_NEXT : EMU_EXCEPTION;
}

static enum emu_result op_invlpg(struct machine *m, const struct emu_insn *e)
{
	if (!emu_require_cpl0(m))
		return EMU_EXCEPTION;
	gla_t la = emulate_ea(m, &e->ops[0]);
	uint32_t span = mmu_invlpg(&m->mmu, la);
	/* Blocks that start in the page before may run into this one. */
	gla_t base = la & ~(span - 1);
	if (base >= BT_PAGE_SIZE)
		vcpu_ibt_flush_range(m->vcpu, base - BT_PAGE_SIZE, span + BT_PAGE_SIZE);
	else
		vcpu_ibt_flush_range(m->vcpu, base, span);
	return EMU_NEXT;
}

static const struct emu_row io_rows[] = {
	{ ZYDIS_MNEMONIC_IN, op_in_out }, { ZYDIS_MNEMONIC_OUT, op_in_out },
	{ ZYDIS_MNEMONIC_INSB, op_string_io }, { ZYDIS_MNEMONIC_INSW, op_string_io },
	{ ZYDIS_MNEMONIC_INSD, op_string_io }, { ZYDIS_MNEMONIC_OUTSB, op_string_io },
	{ ZYDIS_MNEMONIC_OUTSW, op_string_io }, { ZYDIS_MNEMONIC_OUTSD, op_string_io },
	{ ZYDIS_MNEMONIC_CPUID, op_cpuid }, { ZYDIS_MNEMONIC_RDMSR, op_rdmsr_wrmsr },
	{ ZYDIS_MNEMONIC_WRMSR, op_rdmsr_wrmsr }, { ZYDIS_MNEMONIC_HLT, op_hlt },
	{ ZYDIS_MNEMONIC_RDPMC, op_rdpmc },
	{ ZYDIS_MNEMONIC_WBINVD, op_nop_cpl0 }, { ZYDIS_MNEMONIC_INVD, op_nop_cpl0 },
	{ ZYDIS_MNEMONIC_INVLPG, op_invlpg },
};

/* The monitor procedure for a decoded instruction (NULL: not supported). */
static emu_fn dispatch(const struct emu_insn *e)
{
	for (size_t i = 0; i < BT_ARRAY_SIZE(io_rows); i++)
		if (io_rows[i].mn == e->in.mnemonic)
			return io_rows[i].fn;
	emu_fn fn = emulate_sys_lookup(e);
	if (!fn)
		fn = emulate_seg_lookup(e);
	if (!fn)
		fn = emulate_legacy_lookup(e);
	return fn;
}

static unsigned fetch_access(const struct machine *m)
{
	return MMU_ACC_FETCH | (m->vcpu->cpl == 3 ? MMU_ACC_USER : 0);
}

/*
 * The instruction at eip, fetched as the CPU would (one page walk, a second
 * only if it runs into the next page), from the decode cache if it holds
 * these bytes, else decoded and dispatched now. *pa: eip's guest-physical
 * address. NULL after delivering #PF (fetch) or #UD (no valid instruction).
 */
static struct dcache_entry *fetch_insn(struct machine *m, gla_t eip, gpa_t *pa)
{
	struct dcache *c = &m->dcache;
	if (!mmu_translate(&m->mmu, eip, fetch_access(m), pa)) {
		deliver_mmu_fault(m);
		return NULL;
	}
	uint32_t avail = BT_PAGE_SIZE - (eip & (BT_PAGE_SIZE - 1));
	if (avail > DCACHE_MAX_LEN)
		avail = DCACHE_MAX_LEN;
	const uint8_t *code = m->mmu.ram + *pa;   /* avail bytes, all in eip's page */
	struct dcache_entry *d = dcache_lookup(c, eip, code, avail);
	if (d)
		return d;
	ZyanStatus s = dcache_fill(c, &m->dec, eip, code, avail, &d);
	if (s == ZYDIS_STATUS_NO_MORE_DATA && avail < DCACHE_MAX_LEN) {
		/* It runs into the next page: fetch that too (this may #PF). */
		uint8_t buf[DCACHE_MAX_LEN];
		gpa_t pa1;
		if (!mmu_translate(&m->mmu, eip + avail, fetch_access(m), &pa1)) {
			deliver_mmu_fault(m);
			return NULL;
		}
		memcpy(buf, code, avail);
		memcpy(buf + avail, m->mmu.ram + pa1, DCACHE_MAX_LEN - avail);
		s = dcache_fill(c, &m->dec, eip, buf, DCACHE_MAX_LEN, &d);
	}
	if (!ZYAN_SUCCESS(s)) {
		deliver_exception(m, X86_EXC_UD, false, 0);
		return NULL;
	}
	d->fn = dispatch(&d->e);
	return d;
}

/* What address translation and the block key depend on, besides memory. */
struct fetch_ctx {
	uint32_t cr0, cr3, cr4, cpl;
};

static struct fetch_ctx fetch_ctx_of(const struct vcpu *v)
{
	return (struct fetch_ctx){ v->cr0, v->cr3, v->cr4, v->cpl };
}

static bool fetch_ctx_same(struct fetch_ctx a, struct fetch_ctx b)
{
	return ((a.cr0 ^ b.cr0) | (a.cr3 ^ b.cr3) | (a.cr4 ^ b.cr4) | (a.cpl ^ b.cpl)) == 0;
}

/*
 * After a procedure that continued the guest (EMU_NEXT, EMU_JUMPED): the
 * block at the new EIP if it is translated already, else NULL (the run loop
 * looks it up, translating or raising a fetch fault after any interrupt).
 * At the next instruction in the same page, with no CR0/CR3/CR4 write, CPL
 * change or INVLPG in between, the walk that fetched this instruction still
 * tells where it is (a page-table entry written without INVLPG may be used
 * either way, as by a TLB); elsewhere a fetch translation finds it. The
 * block is remembered in the cache entry, so a site that keeps continuing
 * at the same place (SYSENTER, a port I/O loop) finds it with a few compares.
 */
static struct tc_block *next_block(struct machine *m, struct dcache_entry *d, gla_t eip, gpa_t pa,
				   struct fetch_ctx before, enum emu_result r)
{
	struct vcpu *v = m->vcpu;
	gpa_t next_pa;
	if ((r != EMU_NEXT && r != EMU_JUMPED) || m->stop || m->reset_requested)
		return NULL;
	if (r == EMU_NEXT && fetch_ctx_same(fetch_ctx_of(v), before) &&
	    d->e.in.mnemonic != ZYDIS_MNEMONIC_INVLPG && !((v->eip ^ eip) & BT_PAGE_MASK))
		next_pa = pa + d->len;
	else if (!mmu_translate(&m->mmu, v->eip, fetch_access(m), &next_pa))
		return NULL;
	struct tc_block *b = machine_block_cached(m, v->eip, next_pa, d->next, d->next_flushes);
	if (b && b == d->next)
		m->dcache.next_hits++;
	d->next = b;
	d->next_flushes = m->tc.stats.flushes;
	return b;
}

static __attribute__((noinline, cold)) void stop_unsupported(struct machine *m, const struct emu_insn *e,
							      gla_t eip)
{
	char text[96];
	emu_format(m, e, text, sizeof(text));
	machine_stop(m, 1, true, "guest instruction '%s' at 0x%08x is not supported by btmon yet",
		     text, eip);
}

struct tc_block *emulate_insn(struct machine *m)
{
	struct vcpu *v = m->vcpu;
	gla_t eip = v->eip;
	gpa_t pa;
	struct dcache_entry *d = fetch_insn(m, eip, &pa);
	if (!d)
		return NULL;
	m->stats.emulated[d->e.in.mnemonic]++;
	if (!d->fn) {
		stop_unsupported(m, &d->e, eip);
		return NULL;
	}
	/* INVARIANT: no monitor procedure decodes through the cache, so d
	 * stays this instruction's entry while its procedure runs. */
	struct fetch_ctx before = fetch_ctx_of(v);
	enum emu_result r = d->fn(m, &d->e);
	if (r == EMU_NEXT)
		v->eip = eip + d->len;
	return next_block(m, d, eip, pa, before, r);
}

void emu_format(struct machine *m, const struct emu_insn *e, char *buf, size_t len)
{
	ZydisFormatter f;
	ZydisFormatterInit(&f, ZYDIS_FORMATTER_STYLE_INTEL);
	if (!ZYAN_SUCCESS(ZydisFormatterFormatInstruction(&f, &e->in, e->ops, e->in.operand_count_visible,
							   buf, len, m->vcpu->eip, NULL)))
		snprintf(buf, len, "?");
}

/*
 * trap_emulate.c — the miniature monitor's procedures: what it does with an
 * instruction that trapped (#GP at CPL 3), on the virtual CPU state it keeps
 * (struct bench_vcpu) and the guest registers the native runner's fault
 * hook hands over (struct native_trap).
 *
 * The semantics are btmon's own (src/monitor/emulate*.c and the inline CLI/STI
 * rules): CLI/STI write the virtual IF; IN/OUT go through the emulated PC's
 * port bus (unclaimed ports read all-ones); MOV CRn reads and writes the
 * virtual control registers (btmon would also reset its shadow windows on a
 * CR3 write; this monitor has no shadow MMU, so its CR3 cost is the trap
 * alone); CPUID answers with the virtual CPU's leaves, which modes.c takes
 * from btmon itself; HLT returns at once, since no interrupt is ever pending
 * here. Runs inside the runner's signal handler: no allocation, no locks, no
 * stdio.
 */
#include "btmon/x86.h"
#include "trap.h"

/* GPR id (ModRM order, as enum native_gpr) of the trapped context. */
static uint32_t gpr(const struct native_trap *t, unsigned id)
{
	return t->gpr[id & 7];
}

static void set_gpr(struct native_trap *t, unsigned id, uint32_t v)
{
	t->gpr[id & 7] = v;
}

void bench_vcpu_reset(struct bench_vcpu *v)
{
	v->vif = 0;
	v->cr0 = X86_CR0_PE | X86_CR0_PG;
	v->cr2 = 0;
	v->cr3 = 0x1000;
	v->cr4 = 0;
	v->traps = 0;
	v->cr3_writes = 0;
}

void bench_vcpu_init(struct bench_vcpu *v, struct iobus *bus)
{
	v->bus = bus;
	v->ncpuid = 0;
	ZydisDecoderInit(&v->dec, ZYDIS_MACHINE_MODE_LONG_COMPAT_32, ZYDIS_STACK_WIDTH_32);
	bench_vcpu_reset(v);
}

/* The port of IN/OUT: an imm8 or DX. */
static uint16_t io_port(const ZydisDecodedOperand *op, const struct native_trap *t)
{
	if (op->type == ZYDIS_OPERAND_TYPE_IMMEDIATE)
		return (uint16_t)op->imm.value.u;
	return (uint16_t)gpr(t, NATIVE_EDX);
}

/* IN AL/AX/EAX, imm8|DX: merge the port's value into the accumulator. */
static bool emulate_in(struct bench_vcpu *v, const ZydisDecodedOperand *ops,
		       struct native_trap *t)
{
	unsigned size = ops[0].size / 8;
	uint32_t mask = size == 4 ? 0xffffffffu : (1u << (8 * size)) - 1;
	uint32_t val = iobus_in(v->bus, io_port(&ops[1], t), size) & mask;

	set_gpr(t, NATIVE_EAX, (gpr(t, NATIVE_EAX) & ~mask) | val);
	return true;
}

/* OUT imm8|DX, AL/AX/EAX */
static bool emulate_out(struct bench_vcpu *v, const ZydisDecodedOperand *ops,
			struct native_trap *t)
{
	unsigned size = ops[1].size / 8;
	uint32_t mask = size == 4 ? 0xffffffffu : (1u << (8 * size)) - 1;

	iobus_out(v->bus, io_port(&ops[0], t), size, gpr(t, NATIVE_EAX) & mask);
	return true;
}

static uint32_t *control_reg(struct bench_vcpu *v, ZydisRegister r)
{
	switch (r) {
	case ZYDIS_REGISTER_CR0: return &v->cr0;
	case ZYDIS_REGISTER_CR2: return &v->cr2;
	case ZYDIS_REGISTER_CR3: return &v->cr3;
	case ZYDIS_REGISTER_CR4: return &v->cr4;
	default: return NULL;
	}
}

/* MOV CRn, r32 / MOV r32, CRn */
static bool emulate_mov_cr(struct bench_vcpu *v, const ZydisDecodedOperand *ops,
			   struct native_trap *t)
{
	if (ops[0].type != ZYDIS_OPERAND_TYPE_REGISTER || ops[1].type != ZYDIS_OPERAND_TYPE_REGISTER)
		return false;
	uint32_t *to_cr = control_reg(v, ops[0].reg.value);
	uint32_t *from_cr = control_reg(v, ops[1].reg.value);
	if (to_cr != NULL) {
		*to_cr = gpr(t, (unsigned)ZydisRegisterGetId(ops[1].reg.value));
		if (to_cr == &v->cr3)
			v->cr3_writes++;
		return true;
	}
	if (from_cr != NULL) {
		set_gpr(t, (unsigned)ZydisRegisterGetId(ops[0].reg.value), *from_cr);
		return true;
	}
	return false;
}

/* CPUID: the virtual CPU's leaf for EAX; unknown leaves read 0, as btmon's. */
static bool emulate_cpuid(struct bench_vcpu *v, struct native_trap *t)
{
	uint32_t leaf = gpr(t, NATIVE_EAX), r[4] = { 0, 0, 0, 0 };

	for (unsigned i = 0; i < v->ncpuid; i++)
		if (v->cpuid[i][0] == leaf)
			for (unsigned k = 0; k < 4; k++)
				r[k] = v->cpuid[i][1 + k];
	set_gpr(t, NATIVE_EAX, r[0]);
	set_gpr(t, NATIVE_EBX, r[1]);
	set_gpr(t, NATIVE_ECX, r[2]);
	set_gpr(t, NATIVE_EDX, r[3]);
	return true;
}

bool bench_vcpu_emulate(struct bench_vcpu *v, struct native_trap *t)
{
	const void *ip = (const void *)(uintptr_t)t->eip;
	ZydisDecodedInstruction in;
	ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
	bool ok;

	if (!ZYAN_SUCCESS(ZydisDecoderDecodeFull(&v->dec, ip, ZYDIS_MAX_INSTRUCTION_LENGTH,
						 &in, ops)))
		return false;
	switch (in.mnemonic) {
	case ZYDIS_MNEMONIC_CLI:   v->vif = 0; ok = true; break;
	case ZYDIS_MNEMONIC_STI:   v->vif = X86_FL_IF; ok = true; break;
	case ZYDIS_MNEMONIC_HLT:   ok = true; break;
	case ZYDIS_MNEMONIC_IN:    ok = emulate_in(v, ops, t); break;
	case ZYDIS_MNEMONIC_OUT:   ok = emulate_out(v, ops, t); break;
	case ZYDIS_MNEMONIC_MOV:   ok = emulate_mov_cr(v, ops, t); break;
	case ZYDIS_MNEMONIC_CPUID: ok = emulate_cpuid(v, t); break;
	default:                   ok = false; break;
	}
	if (!ok)
		return false;
	t->eip += in.length;
	v->traps++;
	return true;
}

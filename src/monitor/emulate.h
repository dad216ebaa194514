/*
 * emulate.h — private to src/monitor: the monitor-procedure table shared by
 * emulate.c (dispatch, I/O, CPUID, MSRs) and emulate_sys.c (system state).
 * struct emu_insn, enum emu_result and emu_fn are in decode_cache.h (the
 * decode cache keeps them), which monitor.h includes.
 */
#ifndef BTMON_EMULATE_H
#define BTMON_EMULATE_H

#include <stdio.h>

#include "monitor.h"

struct emu_row {
	ZydisMnemonic mn;
	emu_fn fn;
};

emu_fn emulate_sys_lookup(const struct emu_insn *e);
emu_fn emulate_seg_lookup(const struct emu_insn *e);
emu_fn emulate_legacy_lookup(const struct emu_insn *e);
void emu_format(struct machine *m, const struct emu_insn *e, char *buf, size_t len);

uint32_t emu_reg_read(const struct vcpu *v, ZydisRegister r);
void emu_reg_write(struct vcpu *v, ZydisRegister r, uint32_t val);
/* Guest memory by linear address; on failure a #GP is delivered. */
bool emu_read_mem(struct machine *m, gla_t la, void *buf, uint32_t len);
bool emu_write_mem(struct machine *m, gla_t la, const void *buf, uint32_t len);
bool emu_operand_read(struct machine *m, const ZydisDecodedOperand *op, uint32_t *out);
bool emu_operand_write(struct machine *m, const ZydisDecodedOperand *op, uint32_t val);
/* #GP(0) unless CPL is 0. */
bool emu_require_cpl0(struct machine *m);

/* cpuid.c: the modelled CPU. */
void cpuid_model(uint32_t leaf, uint32_t subleaf, uint32_t *a, uint32_t *b, uint32_t *c, uint32_t *d);

#endif

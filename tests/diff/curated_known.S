/*
 * curated_known.S — sequences where btmon knowingly departs from the CPU
 * (docs/ARCHITECTURE.md, "Departures from DESIGN.md"), one per departure.
 * They are kept out of the pass/fail tables; the default suite runs them and
 * prints whether each still differs, so a change in behaviour is noticed
 * (`btmon-difftest --known`; `btmon-difftest --case NAME` shows both final
 * states). A bug the tester finds is fixed, and its sequence goes to its
 * class's file (curated_{alu,mem,fpu}.S), not here.
 */
#define DT_TABLE .data.rel.ro.dt_cases_known
#include "curated.inc"

	TABLE_BEGIN dt_cases_known

/* FXSAVE copied verbatim runs in 64-bit mode, where it also stores XMM8–15
 * into image bytes 288–415, which a 32-bit FXSAVE leaves untouched: guest
 * memory is overwritten with zeros (XMM8–15 are always zero while guest
 * code runs). FIP/FDP (bytes 8–23) are excluded from the comparison. */
SEQ known_fxsave_stores_xmm8_15, DT_SEEDS_SSE, 0x808, 16
	fldpi
	fxsave [edi]
	fninit
	fxrstor [edi]
END known_fxsave_stores_xmm8_15

	TABLE_END

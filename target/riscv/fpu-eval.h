/* One F/D instruction on given operands, outside any machine: what the
 * hart computes, for tests that compare Amber with another implementation
 * (a differential test against QEMU) or probe single cases. */
#ifndef TARGET_RISCV_FPU_EVAL_H
#define TARGET_RISCV_FPU_EVAL_H

#include <stdbool.h>
#include <stdint.h>

typedef struct FPUEval {
    uint64_t value;              /* the destination register's new bits */
    bool to_x;                   /* the destination is an x register */
    unsigned fflags;             /* flags raised (from clear) */
} FPUEval;

/* Executes the 32-bit computational F/D instruction insn (not a load or
 * store; its register numbers are ignored) with rs1, rs2, rs3 as its source
 * operands: f-register bits (a single as it sits in the register, so an
 * unboxed one reads as the canonical NaN), or x-register bits for rs1 of
 * fcvt.s/d.w/wu/l/lu and fmv.w/d.x. frm is the dynamic rounding mode used
 * when the instruction's rm is 7. Returns false when the hart would raise
 * an illegal-instruction exception (reserved encoding or rounding mode). */
bool fpu_eval(uint32_t insn, uint64_t rs1, uint64_t rs2, uint64_t rs3, unsigned frm,
              FPUEval *out);

#endif

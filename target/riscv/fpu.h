/* The F and D extensions inside the CPU: how an FP instruction travels from
 * the decoder (translate-fp.c) to the executor (exec-fp.c) in one OP_FP
 * micro-op, and the FP state helpers (fpu-state.c). Not for use outside the
 * CPU. The arithmetic itself is the soft-float (softfloat.h). */
#ifndef TARGET_RISCV_FPU_H
#define TARGET_RISCV_FPU_H

#include "target/riscv/tb.h"

/* FP instruction kinds (MicroOp.aux bits 0-7). */
enum {
    FOP_LOAD, FOP_STORE,         /* flw/fld, fsw/fsd (fmt gives the size) */
    FOP_FMA,                     /* variant: 0 fmadd, 1 fmsub, 2 fnmsub, 3 fnmadd */
    FOP_ADD, FOP_SUB, FOP_MUL, FOP_DIV, FOP_SQRT,
    FOP_SGNJ,                    /* variant: 0 j, 1 jn, 2 jx */
    FOP_MINMAX,                  /* variant: 0 min, 1 max */
    FOP_CVT_FF,                  /* fmt is the destination format */
    FOP_CMP,                     /* variant: 0 fle, 1 flt, 2 feq */
    FOP_CVT_IF,                  /* float to integer; variant: 0 w, 1 wu, 2 l, 3 lu */
    FOP_CVT_FI,                  /* integer to float; variant as above */
    FOP_MV_XF, FOP_CLASS, FOP_MV_FX,
};

/* MicroOp.aux of an OP_FP: kind, format (0 S, 1 D), rm, whether the
 * instruction rounds (and so checks rm), variant, rs3. */
#define FP_AUX(fop, fmt, rm, uses_rm, var, rs3) \
    ((uint32_t)(fop) | (uint32_t)(fmt) << 8 | (uint32_t)(rm) << 9 | (uint32_t)(uses_rm) << 12 | \
     (uint32_t)(var) << 13 | (uint32_t)(rs3) << 16)
#define FP_AUX_FOP(aux)     ((aux) & 0xff)
#define FP_AUX_FMT(aux)     (((aux) >> 8) & 1)
#define FP_AUX_RM(aux)      (((aux) >> 9) & 7)
#define FP_AUX_USES_RM(aux) (((aux) >> 12) & 1)
#define FP_AUX_VAR(aux)     (((aux) >> 13) & 3)
#define FP_AUX_RS3(aux)     (((aux) >> 16) & 31)

#define FCSR_FFLAGS_MASK 0x1fu
#define FCSR_FRM_SHIFT   5
#define FCSR_MASK        0xffu

/* ---- translate-fp.c ---- */
/* Decodes the 32-bit FP opcodes (LOAD-FP, STORE-FP, the four FMA, OP-FP)
 * into d (op OP_FP, aux in d->fp); leaves d as OP_ILLEGAL for reserved
 * encodings. */
void translate_decode_fp(uint32_t insn, DecodedInsn *d);
/* c.fld, c.fsd, c.fldsp, c.fsdsp; other halfwords leave d untouched. */
void translate_decode_fp_c(uint32_t c, DecodedInsn *d);

/* ---- exec-fp.c ---- */
/* Runs one OP_FP micro-op: EXCP_NONE, or the exception with *tval set
 * (illegal when FS is Off or the rounding mode is invalid, memory faults). */
int exec_fp(RISCVCPU *cpu, const TB *tb, const MicroOp *op, uint64_t *tval);
/* Its register-to-register part on any state (no FS check): EXCP_NONE, or
 * EXCP_ILLEGAL_INSN for an invalid dynamic rounding mode. */
int exec_fp_compute(CPURISCVState *env, uint32_t aux, unsigned rd, unsigned rs1, unsigned rs2);

/* ---- fpu-state.c ---- */
/* fflags, frm and fcsr (csr.c's table): illegal while FS is Off; a write
 * makes the FP state Dirty. */
int riscv_fp_csr_read(RISCVCPU *cpu, int csrno, uint64_t *val);
int riscv_fp_csr_write(RISCVCPU *cpu, int csrno, uint64_t val);

/* mstatus with SD recomputed from FS and XS. */
static inline uint64_t riscv_mstatus_sd(uint64_t mstatus)
{
    bool dirty = (mstatus & MSTATUS_FS) == MSTATUS_FS || (mstatus & MSTATUS_XS) == MSTATUS_XS;
    return dirty ? mstatus | MSTATUS_SD : mstatus & ~MSTATUS_SD;
}

static inline void riscv_fs_set_dirty(CPURISCVState *env)
{
    env->mstatus |= MSTATUS_FS | MSTATUS_SD;
}

#endif

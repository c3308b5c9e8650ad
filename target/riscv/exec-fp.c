/* The executor's FP instructions: one out-of-line call per OP_FP micro-op.
 * The FS check lives here rather than in the dispatch loop, so integer code
 * never tests it; FS only changes through CSR writes and traps, which end
 * the block, so checking when the instruction runs is exact. */
#include <string.h>

#include "target/riscv/fpu.h"
#include "target/riscv/softfloat.h"

#define BOX_S 0xffffffff00000000ull

/* A single is used only when properly NaN-boxed; otherwise it reads as the
 * canonical NaN. */
static uint64_t fp_get(const CPURISCVState *env, unsigned fmt, unsigned r)
{
    uint64_t v = env->fpr[r];
    if (fmt == SF_D) {
        return v;
    }
    return (v & BOX_S) == BOX_S ? (uint32_t)v : SF_QNAN_S;
}

static void fp_put(CPURISCVState *env, unsigned fmt, unsigned r, uint64_t v)
{
    env->fpr[r] = fmt == SF_D ? v : BOX_S | (uint32_t)v;
    riscv_fs_set_dirty(env);
}

static void fp_put_x(CPURISCVState *env, unsigned rd, uint64_t v)
{
    if (rd) {
        env->gpr[rd] = v;
    }
}

/* As the dispatch loop's slow paths: the counters are wound back to this
 * instruction while a device may look at time. */
static void fp_count_adjust(RISCVCPU *cpu, int64_t adj)
{
    cpu->env.icount += (uint64_t)adj;
    cpu->env.instret += (uint64_t)adj;
}

static int fp_mem(RISCVCPU *cpu, const TB *tb, const MicroOp *op, bool store, unsigned size,
                  uint64_t *val, uint64_t *tval)
{
    uint64_t va = cpu->env.gpr[op->rs1] + (uint64_t)op->imm;
    const TLBEntry *e = &cpu->tlb[cpu->mmu_idx_data][(va >> PAGE_BITS) & (TLB_SIZE - 1)];
    uint64_t key = va & (PAGE_MASK | (size - 1));

    if (key == (store ? e->tag_write : e->tag_read)) {
        void *host = (void *)(uintptr_t)(va + e->addend);
        if (store) {
            memcpy(host, val, size);    /* little-endian host, as exec.c */
        } else {
            *val = 0;
            memcpy(val, host, size);
        }
        return EXCP_NONE;
    }
    int64_t adj = (int64_t)tb->n_insns - op->idx;
    fp_count_adjust(cpu, -adj);
    cpu->tbc->cur_tb = (TB *)tb;
    int r = store ? riscv_store_slow(cpu, va, size, *val, tval)
                  : riscv_load_slow(cpu, va, size, val, tval);
    cpu->tbc->cur_tb = NULL;
    fp_count_adjust(cpu, adj);
    return r;
}

/* The register-to-register work, inlined into exec_fp (the hot path: one
 * call per FP micro-op, not two) and behind exec_fp_compute. */
static inline __attribute__((always_inline)) int
fp_compute(CPURISCVState *env, uint32_t aux, unsigned rd, unsigned rs1, unsigned rs2)
{
    unsigned fop = FP_AUX_FOP(aux), fmt = FP_AUX_FMT(aux), var = FP_AUX_VAR(aux);
    int rm = (int)FP_AUX_RM(aux);
    unsigned fl = 0;
    uint64_t a, b, v;

    if (FP_AUX_USES_RM(aux)) {
        if (rm == 7) {
            rm = (int)(env->fcsr >> FCSR_FRM_SHIFT) & 7;
        }
        if (rm > SF_RMM) {
            return EXCP_ILLEGAL_INSN;
        }
    }
    switch (fop) {
    case FOP_MV_XF:
        v = env->fpr[rs1];
        fp_put_x(env, rd, fmt == SF_D ? v : (uint64_t)(int64_t)(int32_t)v);
        return EXCP_NONE;
    case FOP_MV_FX:
        fp_put(env, fmt, rd, env->gpr[rs1]);
        return EXCP_NONE;
    case FOP_CLASS:
        fp_put_x(env, rd, sf_class((int)fmt, fp_get(env, fmt, rs1)));
        return EXCP_NONE;
    case FOP_CVT_FI:
        fp_put(env, fmt, rd, sf_from_int((int)fmt, env->gpr[rs1], var < 2 ? 32 : 64, var & 1,
                                         rm, &fl));
        break;
    case FOP_CVT_IF:
        v = sf_to_int((int)fmt, fp_get(env, fmt, rs1), var < 2 ? 32 : 64, var & 1, rm, &fl);
        fp_put_x(env, rd, v);
        break;
    case FOP_CVT_FF:
        fp_put(env, fmt, rd, sf_convert((int)fmt, (int)!fmt, fp_get(env, !fmt, rs1), rm, &fl));
        break;
    case FOP_CMP:
        a = fp_get(env, fmt, rs1);
        b = fp_get(env, fmt, rs2);
        v = var == 2 ? sf_eq((int)fmt, a, b, &fl) : var == 1 ? sf_lt((int)fmt, a, b, &fl)
                                                             : sf_le((int)fmt, a, b, &fl);
        fp_put_x(env, rd, v);
        break;
    case FOP_SGNJ: {
        uint64_t sign = fmt == SF_D ? 1ull << 63 : 1ull << 31;
        a = fp_get(env, fmt, rs1);
        b = fp_get(env, fmt, rs2);
        v = var == 0 ? (a & ~sign) | (b & sign) : var == 1 ? (a & ~sign) | (~b & sign)
                                                            : a ^ (b & sign);
        fp_put(env, fmt, rd, v);
        return EXCP_NONE;
    }
    default:
        a = fp_get(env, fmt, rs1);
        b = fp_get(env, fmt, rs2);
        /* NX is sticky: handed in, the fast path need not decide it again
         * (fma's only way to it). The result is written either way, so
         * the FS=Dirty below changes nothing. */
        fl = env->fcsr & SF_NX;
        switch (fop) {
        case FOP_ADD:  v = sf_add((int)fmt, a, b, rm, &fl); break;
        case FOP_SUB:  v = sf_sub((int)fmt, a, b, rm, &fl); break;
        case FOP_MUL:  v = sf_mul((int)fmt, a, b, rm, &fl); break;
        case FOP_DIV:  v = sf_div((int)fmt, a, b, rm, &fl); break;
        case FOP_SQRT: v = sf_sqrt((int)fmt, a, rm, &fl); break;
        case FOP_MINMAX:
            v = var ? sf_max((int)fmt, a, b, &fl) : sf_min((int)fmt, a, b, &fl);
            break;
        default:       /* FOP_FMA */
            v = sf_fma((int)fmt, a, b, fp_get(env, fmt, FP_AUX_RS3(aux)), var >= 2, var & 1,
                       rm, &fl);
            break;
        }
        fp_put(env, fmt, rd, v);
        break;
    }
    if (fl) {
        /* raising a flag writes fcsr: the FP state is Dirty (as Spike does) */
        env->fcsr |= fl;
        riscv_fs_set_dirty(env);
    }
    return EXCP_NONE;
}

int exec_fp_compute(CPURISCVState *env, uint32_t aux, unsigned rd, unsigned rs1, unsigned rs2)
{
    return fp_compute(env, aux, rd, rs1, rs2);
}

int exec_fp(RISCVCPU *cpu, const TB *tb, const MicroOp *op, uint64_t *tval)
{
    CPURISCVState *env = &cpu->env;
    unsigned fop = FP_AUX_FOP(op->aux), fmt = FP_AUX_FMT(op->aux);
    uint64_t v;
    int r;

    cpu->tb_invalidated = false;
    if (!(env->mstatus & MSTATUS_FS)) {
        *tval = op->insn;
        return EXCP_ILLEGAL_INSN;
    }
    switch (fop) {
    case FOP_LOAD:
        r = fp_mem(cpu, tb, op, false, fmt == SF_D ? 8 : 4, &v, tval);
        if (r != EXCP_NONE) {
            return r;
        }
        fp_put(env, fmt, op->rd, v);
        return EXCP_NONE;
    case FOP_STORE:
        v = env->fpr[op->rs2];  /* fsw stores the low bits, boxed or not */
        return fp_mem(cpu, tb, op, true, fmt == SF_D ? 8 : 4, &v, tval);
    default:
        r = fp_compute(env, op->aux, op->rd, op->rs1, op->rs2);
        if (r != EXCP_NONE) {
            *tval = op->insn;
        }
        return r;
    }
}

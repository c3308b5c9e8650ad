/* What host code calls (target/riscv/jit-gen.c): the slow paths of loads and
 * stores, F/D instructions, and the pure operations it does not inline. The
 * slow paths are the dispatch loop's (target/riscv/exec.c), counting
 * included: the counters are wound back to the instruction while a device
 * may look at time, and an access that invalidated the running block or
 * ended the slice leaves it after the instruction. */
#include "target/riscv/fpu.h"
#include "target/riscv/jit-internal.h"

static void count_adjust(RISCVCPU *cpu, int64_t adj)
{
    cpu->env.icount += (uint64_t)adj;
    cpu->env.instret += (uint64_t)adj;
}

static int exit_excp(JitExit *ex, const MicroOp *op, TB *tb, uint64_t vpc, int cause,
                     uint64_t tval)
{
    ex->kind = JIT_EXIT_EXCP;
    ex->arg = (uint32_t)(op - tb->ops);
    ex->tb = tb;
    ex->vpc = vpc;
    ex->cause = cause;
    ex->tval = tval;
    return 1;
}

/* After a slow access: leave after op when the block is gone or the slice
 * is over (an interrupt line was raised, the monitor asked). */
static int after_slow(RISCVCPU *cpu, JitExit *ex, const MicroOp *op, TB *tb, uint64_t vpc)
{
    if (cpu->tb_invalidated || cpu->env.icount >= cpu->icount_limit) {
        ex->kind = JIT_EXIT_NEXT;
        ex->arg = (uint32_t)(op - tb->ops);
        ex->tb = tb;
        ex->vpc = vpc;
        return 1;
    }
    return 0;
}

int jit_helper_load(RISCVCPU *cpu, uint64_t va, const MicroOp *op, TB *tb, JitExit *ex,
                    uint64_t vpc)
{
    static const uint8_t sizes[] = { 1, 2, 4, 8, 1, 2, 4 };
    unsigned size = op->opc == OP_LOAD_X0 ? op->aux : sizes[op->opc - OP_LB];
    int64_t adj = (int64_t)tb->n_insns - op->idx;
    uint64_t v = 0, tval = 0;

    count_adjust(cpu, -adj);
    cpu->tbc->cur_tb = tb;
    cpu->tb_invalidated = false;
    int r = riscv_load_slow(cpu, va, size, &v, &tval);
    cpu->tbc->cur_tb = NULL;
    count_adjust(cpu, adj);
    if (r != EXCP_NONE) {
        return exit_excp(ex, op, tb, vpc, r, tval);
    }
    if (op->opc != OP_LOAD_X0 && op->rd) {
        uint64_t *rd = &cpu->env.gpr[op->rd];
        switch (op->opc) {
        case OP_LB:  *rd = (uint64_t)(int64_t)(int8_t)v; break;
        case OP_LH:  *rd = (uint64_t)(int64_t)(int16_t)v; break;
        case OP_LW:  *rd = (uint64_t)(int64_t)(int32_t)v; break;
        case OP_LBU: *rd = (uint8_t)v; break;
        case OP_LHU: *rd = (uint16_t)v; break;
        case OP_LWU: *rd = (uint32_t)v; break;
        default:     *rd = v; break;
        }
    }
    return after_slow(cpu, ex, op, tb, vpc);
}

int jit_helper_store(RISCVCPU *cpu, uint64_t va, const MicroOp *op, TB *tb, JitExit *ex,
                     uint64_t vpc)
{
    static const uint8_t sizes[] = { 1, 2, 4, 8 };
    unsigned size = sizes[op->opc - OP_SB];
    int64_t adj = (int64_t)tb->n_insns - op->idx;
    uint64_t tval = 0;

    count_adjust(cpu, -adj);
    cpu->tbc->cur_tb = tb;
    cpu->tb_invalidated = false;
    int r = riscv_store_slow(cpu, va, size, cpu->env.gpr[op->rs2], &tval);
    cpu->tbc->cur_tb = NULL;
    count_adjust(cpu, adj);
    if (r != EXCP_NONE) {
        return exit_excp(ex, op, tb, vpc, r, tval);
    }
    return after_slow(cpu, ex, op, tb, vpc);
}

int jit_helper_fp(RISCVCPU *cpu, uint64_t unused, const MicroOp *op, TB *tb, JitExit *ex,
                  uint64_t vpc)
{
    uint64_t tval = 0;
    (void)unused;
    int r = exec_fp(cpu, tb, op, &tval);
    if (r != EXCP_NONE) {
        return exit_excp(ex, op, tb, vpc, r, tval);
    }
    return after_slow(cpu, ex, op, tb, vpc);
}

/* ---- pure operations, as the dispatch loop defines them ---- */

static uint64_t p_div(uint64_t ua, uint64_t ub)
{
    int64_t a = (int64_t)ua, b = (int64_t)ub;
    return b == 0 ? ~0ull : (a == INT64_MIN && b == -1) ? (uint64_t)a : (uint64_t)(a / b);
}

static uint64_t p_divu(uint64_t a, uint64_t b)
{
    return b == 0 ? ~0ull : a / b;
}

static uint64_t p_rem(uint64_t ua, uint64_t ub)
{
    int64_t a = (int64_t)ua, b = (int64_t)ub;
    return b == 0 ? (uint64_t)a : (a == INT64_MIN && b == -1) ? 0 : (uint64_t)(a % b);
}

static uint64_t p_remu(uint64_t a, uint64_t b)
{
    return b == 0 ? a : a % b;
}

static uint64_t p_divw(uint64_t ua, uint64_t ub)
{
    int32_t a = (int32_t)ua, b = (int32_t)ub;
    int32_t r = b == 0 ? -1 : (a == INT32_MIN && b == -1) ? a : a / b;
    return (uint64_t)(int64_t)r;
}

static uint64_t p_divuw(uint64_t ua, uint64_t ub)
{
    uint32_t a = (uint32_t)ua, b = (uint32_t)ub;
    return b == 0 ? ~0ull : (uint64_t)(int64_t)(int32_t)(a / b);
}

static uint64_t p_remw(uint64_t ua, uint64_t ub)
{
    int32_t a = (int32_t)ua, b = (int32_t)ub;
    int32_t r = b == 0 ? a : (a == INT32_MIN && b == -1) ? 0 : a % b;
    return (uint64_t)(int64_t)r;
}

static uint64_t p_remuw(uint64_t ua, uint64_t ub)
{
    uint32_t a = (uint32_t)ua, b = (uint32_t)ub;
    return (uint64_t)(int64_t)(int32_t)(b == 0 ? a : a % b);
}

#define BM_WRAP(name, fn, form, mn) \
    static uint64_t p_##name(uint64_t a, uint64_t b) { (void)b; return fn(a, b); }
BITMANIP_OPS(BM_WRAP)
#undef BM_WRAP

JitPureFn jit_pure_fn(unsigned opc)
{
    switch (opc) {
    case OP_DIV:   return p_div;
    case OP_DIVU:  return p_divu;
    case OP_REM:   return p_rem;
    case OP_REMU:  return p_remu;
    case OP_DIVW:  return p_divw;
    case OP_DIVUW: return p_divuw;
    case OP_REMW:  return p_remw;
    case OP_REMUW: return p_remuw;
#define BM_FN(name, fn, form, mn) case OP_##name: return p_##name;
    BITMANIP_OPS(BM_FN)
#undef BM_FN
    default:       return NULL;
    }
}

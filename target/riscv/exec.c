/* The dispatch loop: direct-threaded execution of translation blocks with
 * GNU computed goto, block chaining, inline software-TLB loads and stores,
 * and the slow paths (MMIO, CSRs, atomics, system instructions, traps).
 *
 * Counting: a block adds its instruction count to env.icount/instret when it
 * is entered. Before any call that can observe time (slow memory access, CSR)
 * the counts are wound back to the current instruction and restored after, so
 * cpu_get_icount() is exact inside device callbacks. Leaving a block early
 * removes the instructions that did not run (a faulting one does not retire). */
#include "target/riscv/fpu.h"
#include "target/riscv/tb.h"

#define likely(x)   __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)

#define JC_MASK ((1u << TB_JC_BITS) - 1)
/* Traps in a row without a retired instruction before cpu_exec gives the
 * main loop a turn (a guest whose trap vector faults must not hang us). */
#define EXEC_MAX_STUCK_TRAPS 64

/* Winds the counters back to instruction op (adj > 0) or forward again. */
static inline void exec_count_adjust(RISCVCPU *cpu, int64_t adj)
{
    cpu->env.icount += (uint64_t)adj;
    cpu->env.instret += (uint64_t)adj;
}

static inline int64_t exec_pending(const TB *tb, const MicroOp *op)
{
    return (int64_t)tb->n_insns - op->idx;
}

static __attribute__((noinline)) int
exec_load_slow(RISCVCPU *cpu, const TB *tb, const MicroOp *op, uint64_t va,
               unsigned size, uint64_t *val, uint64_t *tval)
{
    int64_t adj = exec_pending(tb, op);
    exec_count_adjust(cpu, -adj);
    cpu->tbc->cur_tb = (TB *)tb;
    cpu->tb_invalidated = false;
    int r = riscv_load_slow(cpu, va, size, val, tval);
    cpu->tbc->cur_tb = NULL;
    exec_count_adjust(cpu, adj);
    return r;
}

static __attribute__((noinline)) int
exec_store_slow(RISCVCPU *cpu, const TB *tb, const MicroOp *op, uint64_t va,
                unsigned size, uint64_t val, uint64_t *tval)
{
    int64_t adj = exec_pending(tb, op);
    exec_count_adjust(cpu, -adj);
    cpu->tbc->cur_tb = (TB *)tb;
    cpu->tb_invalidated = false;
    int r = riscv_store_slow(cpu, va, size, val, tval);
    cpu->tbc->cur_tb = NULL;
    exec_count_adjust(cpu, adj);
    return r;
}

static __attribute__((noinline)) int exec_csr(RISCVCPU *cpu, const TB *tb, const MicroOp *op)
{
    uint64_t *x = cpu->env.gpr;
    bool is_imm = op->opc >= OP_CSRRWI;
    uint64_t src = is_imm ? (uint64_t)op->imm : x[op->rs1];
    uint64_t old = 0, val, mask;
    uint64_t *oldp = &old;
    bool write = true;

    switch (is_imm ? op->opc - OP_CSRRWI + OP_CSRRW : op->opc) {
    case OP_CSRRW:
        val = src;
        mask = ~0ull;
        if (op->rd == 0) {
            oldp = NULL;        /* no read side effects */
        }
        break;
    case OP_CSRRS:
        val = ~0ull;
        mask = src;
        write = op->rs1 != 0;
        break;
    default:
        val = 0;
        mask = src;
        write = op->rs1 != 0;
        break;
    }
    int64_t adj = exec_pending(tb, op);
    exec_count_adjust(cpu, -adj);
    int r = riscv_csr_access(cpu, op->aux, oldp, val, mask, write);
    exec_count_adjust(cpu, adj);
    if (r == EXCP_NONE && op->rd) {
        x[op->rd] = old;
    }
    return r;
}

static uint64_t exec_amo_op(unsigned f5, unsigned size, uint64_t a, uint64_t b)
{
    int64_t sa = size == 4 ? (int32_t)a : (int64_t)a;
    int64_t sb = size == 4 ? (int32_t)b : (int64_t)b;
    uint64_t ua = size == 4 ? (uint32_t)a : a;
    uint64_t ub = size == 4 ? (uint32_t)b : b;

    switch (f5) {
    case AMO_SWAP: return b;
    case AMO_ADD:  return a + b;
    case AMO_XOR:  return a ^ b;
    case AMO_AND:  return a & b;
    case AMO_OR:   return a | b;
    case AMO_MIN:  return sa < sb ? a : b;
    case AMO_MAX:  return sa > sb ? a : b;
    case AMO_MINU: return ua < ub ? a : b;
    default:       return ua > ub ? a : b;  /* AMO_MAXU */
    }
}

/* LR, SC and AMOs through a physical address. One hart runs at a time, so
 * an AMO is atomic as it is; a waiting hart's reservation is broken by the
 * others' writes to its page, which go through memory_write while it waits
 * (cpu_resv_protect). */
static __attribute__((noinline)) int
exec_amo(RISCVCPU *cpu, const TB *tb, const MicroOp *op, uint64_t *tval)
{
    CPURISCVState *env = &cpu->env;
    unsigned f5 = op->aux & 0xff, size = op->aux >> 8;
    uint64_t va = env->gpr[op->rs1], pa, old = 0, res;
    int64_t adj = exec_pending(tb, op);
    int r;

    exec_count_adjust(cpu, -adj);
    cpu->tbc->cur_tb = (TB *)tb;
    cpu->tb_invalidated = false;
    *tval = va;
    r = riscv_translate_amo(cpu, va, size, op->opc == OP_LR, &pa);
    if (r != EXCP_NONE) {
        goto out;
    }
    if (op->opc == OP_LR) {
        if (!riscv_phys_read(cpu, pa, size, &old)) {
            r = EXCP_LOAD_ACCESS;
            goto out;
        }
        env->load_res = pa;
        env->load_res_valid = 1;
        res = old;
    } else if (op->opc == OP_SC) {
        res = 1;
        if (env->load_res_valid && env->load_res == pa) {
            if (!riscv_phys_write(cpu, pa, size, env->gpr[op->rs2])) {
                r = EXCP_STORE_ACCESS;
                goto out;
            }
            res = 0;
        }
        env->load_res_valid = 0;
    } else {
        if (!riscv_phys_read(cpu, pa, size, &old)) {
            r = EXCP_STORE_ACCESS;
            goto out;
        }
        uint64_t v = exec_amo_op(f5, size, old, env->gpr[op->rs2]);
        if (!riscv_phys_write(cpu, pa, size, v)) {
            r = EXCP_STORE_ACCESS;
            goto out;
        }
        res = old;
    }
    if (op->rd) {
        env->gpr[op->rd] = size == 4 ? (uint64_t)(int64_t)(int32_t)res : res;
    }
out:
    cpu->tbc->cur_tb = NULL;
    exec_count_adjust(cpu, adj);
    return r;
}

void cpu_set_icount_limit(RISCVCPU *cpu, uint64_t limit)
{
    cpu->icount_limit = limit;
    /* In exact mode no block entered below the guard can cross the limit. */
    cpu->jit_guard = !cpu->icount_exact ? limit : limit > TB_MAX_INSNS ? limit - TB_MAX_INSNS : 0;
}

CPUExitReason cpu_exec(RISCVCPU *cpu, uint64_t max_insns)
{
    static const void *const labels[OP_COUNT] = {
#define TB_OP_LABEL(name, ...) [OP_##name] = &&L_##name,
        TB_FOR_EACH_OP(TB_OP_LABEL)
#undef TB_OP_LABEL
    };
    CPURISCVState *const env = &cpu->env;
    TBCache *const c = cpu->tbc;
    uint64_t *const x = env->gpr;
    TLBEntry *tlbd;
    const MicroOp *op;
    TB *tb, *prev;
    uint64_t tb_vpc, npc, tval, v, va;
    uint64_t stuck_icount = ~0ull;
    unsigned stuck = 0, slot = 0, prev_slot = 0;
    int cause;

    c->labels = labels;
    x[0] = 0;
    if (unlikely(cpu->dbg && cpu->dbg->gen != cpu->dbg_gen)) {
        riscv_debug_sync(cpu);   /* the debugger changed its breakpoints */
    }
    if (!cpu->dbg_step) {        /* a debugger's step holds interrupts off */
        riscv_check_interrupts(cpu);
    }
    if (env->halted) {
        return CPU_EXIT_HALTED;
    }
    uint64_t limit = env->icount + max_insns;
    if (limit < env->icount) {
        limit = UINT64_MAX;
    }
    cpu_set_icount_limit(cpu, limit);
    npc = env->pc;

#define NEXT() do { op++; goto *op->handler; } while (0)
#define RD  x[op->rd]
#define RS1 x[op->rs1]
#define RS2 x[op->rs2]

lookup_nochain:
    prev = NULL;
lookup:
    if (unlikely(cpu->translation_changed)) {
        cpu->translation_changed = false;
        if (cpu->jc_stale) {
            cpu->jc_stale = false;
            exec_jc_clear(c);
            c->jc_satp = env->satp;
        } else if (env->satp != c->jc_satp) {
            exec_jc_switch(c, env->satp);
        }
    }
    tlbd = cpu->tlb[cpu->mmu_idx_data];
    {
        JCEntry *je = &c->jc[(npc >> 1) & JC_MASK];
        TB *nt = je->tb;
        if (unlikely(je->pc != npc || !nt->valid || nt->priv != env->priv)) {
            uint64_t gen = c->gen;
            env->pc = npc;
            nt = exec_find_tb(cpu, npc, &cause, &tval);
            if (!nt) {
                goto raise;
            }
            if (gen != c->gen) {
                prev = NULL;    /* the arena was reset: prev is gone */
            }
        }
        if (prev && prev->chain_ok[prev_slot] && nt->page2 == TB_NO_PAGE2) {
            prev->jmp[prev_slot] = nt;
            cpu->stats.tb_chained++;
            if (c->jit) {
                jit_link(c->jit, prev, prev_slot, nt);   /* the host code's jump too */
            }
        }
        tb = nt;
        tb_vpc = npc;
    }
enter:
    /* The one check per block: slice end, exit request, interrupt window. */
    if (unlikely(env->icount + tb->n_insns > cpu->icount_limit)) {
        if (env->icount >= cpu->icount_limit) {
            env->pc = tb_vpc;
            goto out_limit;
        }
        if (cpu->icount_exact) {
            /* The block crosses the limit: run a copy cut at it. */
            env->pc = tb_vpc;
            tb = exec_find_tb_capped(cpu, tb_vpc, (unsigned)(cpu->icount_limit - env->icount),
                                     &cause, &tval);
            prev = NULL;
            if (!tb) {
                goto raise;
            }
        }
    }
    env->icount += tb->n_insns;
    env->instret += tb->n_insns;
    op = tb->ops;
    if (tb_jit_ready(c, tb)) {
        goto jit_run;
    }
    goto *op->handler;

chain:
    {
        TB *nt = tb->jmp[slot];
        if (likely(nt != NULL) && likely(nt->valid)) {
            if (c->jit) {
                jit_link(c->jit, tb, slot, nt);   /* both may have host code by now */
            }
            tb = nt;
            tb_vpc = npc;
            goto enter;
        }
        prev = tb;
        prev_slot = slot;
        goto lookup;
    }

    /* ---- integer ---- */
L_LI:
L_LUI:   RD = (uint64_t)op->imm; NEXT();
L_MV:    RD = RS1; NEXT();
L_AUIPC: RD = tb_vpc + (uint64_t)op->imm; NEXT();
L_ADDI:  RD = RS1 + (uint64_t)op->imm; NEXT();
L_SLTI:  RD = (int64_t)RS1 < op->imm; NEXT();
L_SLTIU: RD = RS1 < (uint64_t)op->imm; NEXT();
L_XORI:  RD = RS1 ^ (uint64_t)op->imm; NEXT();
L_ORI:   RD = RS1 | (uint64_t)op->imm; NEXT();
L_ANDI:  RD = RS1 & (uint64_t)op->imm; NEXT();
L_SLLI:  RD = RS1 << op->imm; NEXT();
L_SRLI:  RD = RS1 >> op->imm; NEXT();
L_SRAI:  RD = (uint64_t)((int64_t)RS1 >> op->imm); NEXT();
L_ADDIW: RD = (uint64_t)(int64_t)(int32_t)(RS1 + (uint64_t)op->imm); NEXT();
L_SLLIW: RD = (uint64_t)(int64_t)(int32_t)((uint32_t)RS1 << op->imm); NEXT();
L_SRLIW: RD = (uint64_t)(int64_t)(int32_t)((uint32_t)RS1 >> op->imm); NEXT();
L_SRAIW: RD = (uint64_t)(int64_t)((int32_t)RS1 >> op->imm); NEXT();
L_ADD:   RD = RS1 + RS2; NEXT();
L_SUB:   RD = RS1 - RS2; NEXT();
L_SLL:   RD = RS1 << (RS2 & 63); NEXT();
L_SLT:   RD = (int64_t)RS1 < (int64_t)RS2; NEXT();
L_SLTU:  RD = RS1 < RS2; NEXT();
L_XOR:   RD = RS1 ^ RS2; NEXT();
L_SRL:   RD = RS1 >> (RS2 & 63); NEXT();
L_SRA:   RD = (uint64_t)((int64_t)RS1 >> (RS2 & 63)); NEXT();
L_OR:    RD = RS1 | RS2; NEXT();
L_AND:   RD = RS1 & RS2; NEXT();
L_ADDW:  RD = (uint64_t)(int64_t)(int32_t)(RS1 + RS2); NEXT();
L_SUBW:  RD = (uint64_t)(int64_t)(int32_t)(RS1 - RS2); NEXT();
L_SLLW:  RD = (uint64_t)(int64_t)(int32_t)((uint32_t)RS1 << (RS2 & 31)); NEXT();
L_SRLW:  RD = (uint64_t)(int64_t)(int32_t)((uint32_t)RS1 >> (RS2 & 31)); NEXT();
L_SRAW:  RD = (uint64_t)(int64_t)((int32_t)RS1 >> (RS2 & 31)); NEXT();

    /* ---- M: division by zero and overflow as the spec defines them ---- */
L_MUL:    RD = RS1 * RS2; NEXT();
L_MULH:   RD = (uint64_t)(((__int128)(int64_t)RS1 * (__int128)(int64_t)RS2) >> 64); NEXT();
L_MULHSU: RD = (uint64_t)(((__int128)(int64_t)RS1 * (__int128)RS2) >> 64); NEXT();
L_MULHU:  RD = (uint64_t)(((unsigned __int128)RS1 * RS2) >> 64); NEXT();
L_DIV: {
        int64_t a = (int64_t)RS1, b = (int64_t)RS2;
        RD = b == 0 ? ~0ull : (a == INT64_MIN && b == -1) ? (uint64_t)a : (uint64_t)(a / b);
        NEXT();
    }
L_DIVU: {
        uint64_t a = RS1, b = RS2;
        RD = b == 0 ? ~0ull : a / b;
        NEXT();
    }
L_REM: {
        int64_t a = (int64_t)RS1, b = (int64_t)RS2;
        RD = b == 0 ? (uint64_t)a : (a == INT64_MIN && b == -1) ? 0 : (uint64_t)(a % b);
        NEXT();
    }
L_REMU: {
        uint64_t a = RS1, b = RS2;
        RD = b == 0 ? a : a % b;
        NEXT();
    }
L_MULW: RD = (uint64_t)(int64_t)(int32_t)(RS1 * RS2); NEXT();
L_DIVW: {
        int32_t a = (int32_t)RS1, b = (int32_t)RS2;
        int32_t r = b == 0 ? -1 : (a == INT32_MIN && b == -1) ? a : a / b;
        RD = (uint64_t)(int64_t)r;
        NEXT();
    }
L_DIVUW: {
        uint32_t a = (uint32_t)RS1, b = (uint32_t)RS2;
        RD = b == 0 ? ~0ull : (uint64_t)(int64_t)(int32_t)(a / b);
        NEXT();
    }
L_REMW: {
        int32_t a = (int32_t)RS1, b = (int32_t)RS2;
        int32_t r = b == 0 ? a : (a == INT32_MIN && b == -1) ? 0 : a % b;
        RD = (uint64_t)(int64_t)r;
        NEXT();
    }
L_REMUW: {
        uint32_t a = (uint32_t)RS1, b = (uint32_t)RS2;
        RD = (uint64_t)(int64_t)(int32_t)(b == 0 ? a : a % b);
        NEXT();
    }

    /* ---- Zba/Zbb/Zbc/Zbs (target/riscv/bitmanip.h) ---- */
#define BM_SRC_RR RS2
#define BM_SRC_RI ((uint64_t)op->imm)
#define BM_SRC_R  0
#define BM_LABEL(name, fn, form, mn) L_##name: RD = fn(RS1, BM_SRC_##form); NEXT();
    BITMANIP_OPS(BM_LABEL)
#undef BM_LABEL

    /* ---- loads and stores: inline TLB hit, else the slow path ----
     * After a slow access leave the block if it invalidated the block or a
     * device asked for an exit (e.g. raised an interrupt line). */
#define LOAD(name, type, size) \
L_##name: \
    va = RS1 + (uint64_t)op->imm; \
    { \
        const TLBEntry *e = &tlbd[(va >> PAGE_BITS) & (TLB_SIZE - 1)]; \
        if (likely((va & (PAGE_MASK | (size - 1))) == e->tag_read)) { \
            RD = (uint64_t)(int64_t)*(const type *)(uintptr_t)(va + e->addend); \
            NEXT(); \
        } \
    } \
    cause = exec_load_slow(cpu, tb, op, va, size, &v, &tval); \
    if (unlikely(cause != EXCP_NONE)) { \
        goto excp; \
    } \
    RD = (uint64_t)(int64_t)(type)v; \
    if (unlikely(cpu->tb_invalidated || env->icount >= cpu->icount_limit)) { \
        goto leave_next; \
    } \
    NEXT();

    LOAD(LB, int8_t, 1)
    LOAD(LH, int16_t, 2)
    LOAD(LW, int32_t, 4)
    LOAD(LD, uint64_t, 8)
    LOAD(LBU, uint8_t, 1)
    LOAD(LHU, uint16_t, 2)
    LOAD(LWU, uint32_t, 4)

#define STORE(name, type, size) \
L_##name: \
    va = RS1 + (uint64_t)op->imm; \
    { \
        const TLBEntry *e = &tlbd[(va >> PAGE_BITS) & (TLB_SIZE - 1)]; \
        if (likely((va & (PAGE_MASK | (size - 1))) == e->tag_write)) { \
            *(type *)(uintptr_t)(va + e->addend) = (type)RS2; \
            NEXT(); \
        } \
    } \
    cause = exec_store_slow(cpu, tb, op, va, size, RS2, &tval); \
    if (unlikely(cause != EXCP_NONE)) { \
        goto excp; \
    } \
    if (unlikely(cpu->tb_invalidated || env->icount >= cpu->icount_limit)) { \
        goto leave_next; \
    } \
    NEXT();

    STORE(SB, uint8_t, 1)
    STORE(SH, uint16_t, 2)
    STORE(SW, uint32_t, 4)
    STORE(SD, uint64_t, 8)

L_LOAD_X0:
    /* A load into x0 still faults and has MMIO side effects. */
    cause = exec_load_slow(cpu, tb, op, RS1 + (uint64_t)op->imm, op->aux, &v, &tval);
    if (unlikely(cause != EXCP_NONE)) {
        goto excp;
    }
    if (unlikely(cpu->tb_invalidated || env->icount >= cpu->icount_limit)) {
        goto leave_next;
    }
    NEXT();

L_LR:
L_SC:
L_AMO:
    cause = exec_amo(cpu, tb, op, &tval);
    if (unlikely(cause != EXCP_NONE)) {
        goto excp;
    }
    if (unlikely(cpu->tb_invalidated || env->icount >= cpu->icount_limit)) {
        goto leave_next;
    }
    NEXT();

    /* ---- F and D (exec-fp.c): a store may hit code or a device ---- */
L_FP:
    cause = exec_fp(cpu, tb, op, &tval);
    if (unlikely(cause != EXCP_NONE)) {
        goto excp;
    }
    if (unlikely(cpu->tb_invalidated || env->icount >= cpu->icount_limit)) {
        goto leave_next;
    }
    NEXT();

    /* ---- control flow: static targets chain, indirect ones look up ---- */
/* Each exit site has its own copy of the chained entry, so the host's
 * indirect branch predictor sees one jump per guest branch, not one for all. */
#define CHAIN_TO(target, n) \
    do { \
        TB *nt_ = tb->jmp[n]; \
        npc = (target); \
        if (likely(nt_ != NULL) && likely(nt_->valid) && \
            likely(env->icount + nt_->n_insns <= cpu->icount_limit)) { \
            tb = nt_; \
            tb_vpc = npc; \
            env->icount += nt_->n_insns; \
            env->instret += nt_->n_insns; \
            op = nt_->ops; \
            if (tb_jit_ready(c, nt_)) { \
                goto jit_run; \
            } \
            goto *op->handler; \
        } \
        slot = (n); \
        goto chain; \
    } while (0)

#define BRANCH(name, cond) \
L_##name: \
    if (cond) { \
        CHAIN_TO(tb_vpc + (uint64_t)op->imm, 0); \
    } \
    CHAIN_TO(tb_vpc + op->aux, 1);

    BRANCH(BEQ, RS1 == RS2)
    BRANCH(BNE, RS1 != RS2)
    BRANCH(BLT, (int64_t)RS1 < (int64_t)RS2)
    BRANCH(BGE, (int64_t)RS1 >= (int64_t)RS2)
    BRANCH(BLTU, RS1 < RS2)
    BRANCH(BGEU, RS1 >= RS2)
    BRANCH(BEQZ, RS1 == 0)
    BRANCH(BNEZ, RS1 != 0)

L_JAL:
    RD = tb_vpc + op->aux;
    CHAIN_TO(tb_vpc + (uint64_t)op->imm, 0);
L_J:
L_GOTO:
    CHAIN_TO(tb_vpc + (uint64_t)op->imm, 0);
L_JALR:
    npc = (RS1 + (uint64_t)op->imm) & ~1ull;
    RD = tb_vpc + op->aux;
    goto lookup_nochain;
L_JR:
    npc = (RS1 + (uint64_t)op->imm) & ~1ull;
    goto lookup_nochain;

    /* ---- system ---- */
L_FENCE:
    NEXT();
L_FENCE_I:
    /* Every write to a code page already invalidated the blocks it hit (the
     * code bitmap sees stores, DMA and AMOs), so only the block ends here. */
    goto leave_next;
L_ECALL:
    cause = EXCP_ECALL_U + env->priv;
    tval = 0;
    goto excp;
L_EBREAK:
    cause = EXCP_BREAKPOINT;
    tval = tb_vpc + op->pc_off;
    goto excp;
L_ILLEGAL:
    cause = EXCP_ILLEGAL_INSN;
    tval = op->insn;
    goto excp;
L_MRET:
L_SRET:
    env->pc = tb_vpc + op->pc_off;
    cause = op->opc == OP_MRET ? riscv_do_mret(cpu) : riscv_do_sret(cpu);
    if (cause != EXCP_NONE) {
        tval = op->insn;
        goto excp;
    }
    npc = env->pc;
    goto lookup_nochain;
L_WFI:
    env->pc = tb_vpc + op->pc_off;
    cause = riscv_do_wfi(cpu);
    if (cause != EXCP_NONE) {
        tval = op->insn;
        goto excp;
    }
    if (env->halted) {
        env->pc = tb_vpc + op->pc_off + op->len;
        return CPU_EXIT_HALTED;
    }
    goto leave_next;
L_SFENCE_VMA:
    env->pc = tb_vpc + op->pc_off;
    cause = riscv_do_sfence_vma(cpu, RS1, op->rs1 != 0, RS2, op->rs2 != 0);
    if (cause != EXCP_NONE) {
        tval = op->insn;
        goto excp;
    }
    exec_jc_clear(c);   /* mappings may have changed under the same satp */
    c->jc_satp = env->satp;
    goto leave_next;
L_CSRRW:
L_CSRRS:
L_CSRRC:
L_CSRRWI:
L_CSRRSI:
L_CSRRCI:
    env->pc = tb_vpc + op->pc_off;
    cause = exec_csr(cpu, tb, op);
    if (cause != EXCP_NONE) {
        tval = op->insn;
        goto excp;
    }
    goto leave_next;

    /* ---- debug log (-d exec/cpu): only in blocks translated with it on ---- */
L_TRACE:
    exec_log_tb(cpu, tb, tb_vpc);
    NEXT();

    /* ---- Sdtrig: only in blocks translated while an execute trigger is
     * armed (one instruction each), so unarmed code pays nothing ---- */
L_TRIGGER:
    if (unlikely(riscv_trigger_exec_hit(cpu, tb_vpc))) {
        cause = EXCP_BREAKPOINT;
        tval = tb_vpc;
        goto excp;
    }
    NEXT();

    /* ---- a debugger's breakpoint: only in blocks translated while it
     * was set; stops before the instruction retires ---- */
L_DEBUG_BP:
    if (unlikely(riscv_debug_bp_hit(cpu, tb_vpc + op->pc_off,
                                    env->icount - (uint64_t)exec_pending(tb, op)))) {
        exec_count_adjust(cpu, -exec_pending(tb, op));
        env->pc = tb_vpc + op->pc_off;
        return CPU_EXIT_DEBUG;
    }
    NEXT();

    /* ---- leaving a block in the middle ---- */
leave_next:
    /* continue after op, in a fresh lookup (the block may be stale) */
    exec_count_adjust(cpu, -(exec_pending(tb, op) - 1));
    npc = tb_vpc + op->pc_off + op->len;
    goto lookup_nochain;

excp:
    exec_count_adjust(cpu, -exec_pending(tb, op));
    env->pc = tb_vpc + op->pc_off;
    if (unlikely(cause == EXCP_DEBUG)) {
        return CPU_EXIT_DEBUG;   /* a watchpoint: the access has not happened */
    }
raise:
    riscv_raise_exception(cpu, cause, tval);
    if (unlikely(cpu->dbg_step)) {
        return CPU_EXIT_LIMIT;   /* a step that traps ends at the vector */
    }
    if (env->icount != stuck_icount) {
        stuck_icount = env->icount;
        stuck = 0;
    } else if (++stuck >= EXEC_MAX_STUCK_TRAPS) {
        goto out_limit;
    }
    npc = env->pc;
    goto lookup_nochain;

    /* ---- host code (target/riscv/jit.h): it counted as `enter` does and
     * comes back with the place the interpreter goes on from ---- */
jit_run:
    {
        JitExit ex;
        jit_run(c->jit, cpu, tb, tb_vpc, &ex);
        tb = ex.tb;
        switch (ex.kind) {
        case JIT_EXIT_OP:
            tb_vpc = ex.vpc;
            op = &tb->ops[ex.arg];
            goto *op->handler;
        case JIT_EXIT_NEXT:
            tb_vpc = ex.vpc;
            op = &tb->ops[ex.arg];
            goto leave_next;
        case JIT_EXIT_EXCP:
            tb_vpc = ex.vpc;
            op = &tb->ops[ex.arg];
            cause = ex.cause;
            tval = ex.tval;
            goto excp;
        case JIT_EXIT_CHAIN:
            npc = ex.npc;
            slot = ex.arg;
            goto chain;
        case JIT_EXIT_ENTER:
            tb_vpc = ex.vpc;
            goto enter;
        default:
            npc = ex.npc;
            goto lookup_nochain;
        }
    }

out_limit:
    if (!cpu->dbg_step) {
        riscv_check_interrupts(cpu);
    }
    return cpu->icount_limit == limit ? CPU_EXIT_LIMIT : CPU_EXIT_REQUEST;
#undef NEXT
#undef RD
#undef RS1
#undef RS2
}

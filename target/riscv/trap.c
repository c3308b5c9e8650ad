/* Trap entry and return: exceptions, interrupts, mret/sret, wfi and
 * sfence.vma, and the MMU index that follows from priv and mstatus. */
#include "target/riscv/cpu-internal.h"
#include "util/log.h"

#define MCAUSE_INTERRUPT (1ull << 63)

/* Highest priority first (privileged spec 3.1.9). */
static const int riscv_irq_order[] = {
    IRQ_M_EXT, IRQ_M_SOFT, IRQ_M_TIMER, IRQ_S_EXT, IRQ_S_SOFT, IRQ_S_TIMER,
};

void riscv_update_mmu_idx(RISCVCPU *cpu)
{
    const CPURISCVState *env = &cpu->env;
    static const uint8_t by_priv[4] = { MMU_IDX_U, MMU_IDX_S, MMU_IDX_M, MMU_IDX_M };
    unsigned priv = env->priv & 3;
    cpu->mmu_idx_fetch = by_priv[priv];
    /* MPRV makes M-mode loads and stores behave as in mode MPP. */
    if (priv == PRV_M && (env->mstatus & MSTATUS_MPRV)) {
        priv = (env->mstatus & MSTATUS_MPP) >> 11;
    }
    if (priv == PRV_S && (env->mstatus & MSTATUS_SUM)) {
        cpu->mmu_idx_data = MMU_IDX_S_SUM;
    } else {
        cpu->mmu_idx_data = by_priv[priv];
    }
}

static void riscv_set_priv(RISCVCPU *cpu, unsigned priv)
{
    cpu->env.priv = priv;
    riscv_update_mmu_idx(cpu);
    cpu->translation_changed = true;
}

static void riscv_take_trap(RISCVCPU *cpu, bool irq, int cause, uint64_t tval)
{
    CPURISCVState *env = &cpu->env;
    uint64_t deleg = irq ? env->mideleg : env->medeleg;
    uint64_t mcause = (uint64_t)cause | (irq ? MCAUSE_INTERRUPT : 0);
    uint64_t s = env->mstatus;
    uint64_t tvec;

    if (log_enabled(cpu->log, LOG_INT)) {
        riscv_log_trap(cpu, irq, cause, tval);
    }
    if (env->priv <= PRV_S && cause < 64 && ((deleg >> cause) & 1)) {
        env->scause = mcause;
        env->sepc = env->pc;
        env->stval = tval;
        s = (s & ~MSTATUS_SPIE) | ((s & MSTATUS_SIE) ? MSTATUS_SPIE : 0);
        s = (s & ~(MSTATUS_SIE | MSTATUS_SPP)) | (env->priv == PRV_S ? MSTATUS_SPP : 0);
        tvec = env->stvec;
        env->mstatus = s;
        riscv_set_priv(cpu, PRV_S);
    } else {
        env->mcause = mcause;
        env->mepc = env->pc;
        env->mtval = tval;
        s = (s & ~MSTATUS_MPIE) | ((s & MSTATUS_MIE) ? MSTATUS_MPIE : 0);
        s = (s & ~(MSTATUS_MIE | MSTATUS_MPP)) | ((uint64_t)env->priv << 11);
        tvec = env->mtvec;
        env->mstatus = s;
        riscv_set_priv(cpu, PRV_M);
    }
    /* Vectored mode applies to interrupts only. */
    env->pc = (tvec & ~3ull) + (irq && (tvec & 1) ? 4ull * (uint64_t)cause : 0);
    env->halted = 0;
}

void riscv_raise_exception(RISCVCPU *cpu, int cause, uint64_t tval)
{
    cpu->stats.exceptions++;
    riscv_take_trap(cpu, false, cause, tval);
}

bool riscv_check_interrupts(RISCVCPU *cpu)
{
    CPURISCVState *env = &cpu->env;
    uint64_t pending = env->mip & env->mie;
    if (!pending) {
        return false;
    }
    /* WFI wakes on any locally enabled interrupt, even if globally masked. */
    env->halted = 0;
    uint64_t enabled = 0;
    if (env->priv < PRV_M || (env->mstatus & MSTATUS_MIE)) {
        enabled |= pending & ~env->mideleg;
    }
    if (env->priv < PRV_S || (env->priv == PRV_S && (env->mstatus & MSTATUS_SIE))) {
        enabled |= pending & env->mideleg;
    }
    if (!enabled) {
        return false;
    }
    for (unsigned i = 0; i < sizeof(riscv_irq_order) / sizeof(riscv_irq_order[0]); i++) {
        int n = riscv_irq_order[i];
        if ((enabled >> n) & 1) {
            cpu->stats.interrupts++;
            cpu->stats.irq_taken[n]++;
            riscv_take_trap(cpu, true, n, 0);
            return true;
        }
    }
    return false;
}

/* After a return lowered the privilege or re-enabled interrupts, one may be
 * deliverable right away: make the executor look. */
static void riscv_return_done(RISCVCPU *cpu)
{
    if (cpu->env.mip & cpu->env.mie) {
        cpu->icount_limit = 0;
        cpu->jit_guard = 0;
    }
}

int riscv_do_mret(RISCVCPU *cpu)
{
    CPURISCVState *env = &cpu->env;
    if (env->priv != PRV_M) {
        return EXCP_ILLEGAL_INSN;
    }
    uint64_t s = env->mstatus;
    unsigned mpp = (s & MSTATUS_MPP) >> 11;
    s = (s & ~MSTATUS_MIE) | ((s & MSTATUS_MPIE) ? MSTATUS_MIE : 0);
    s |= MSTATUS_MPIE;
    s &= ~MSTATUS_MPP;                      /* MPP = U, the least privileged mode */
    if (mpp != PRV_M) {
        s &= ~MSTATUS_MPRV;
    }
    env->mstatus = s;
    env->pc = env->mepc;
    riscv_set_priv(cpu, mpp);
    riscv_return_done(cpu);
    return EXCP_NONE;
}

int riscv_do_sret(RISCVCPU *cpu)
{
    CPURISCVState *env = &cpu->env;
    if (env->priv < PRV_S || (env->priv == PRV_S && (env->mstatus & MSTATUS_TSR))) {
        return EXCP_ILLEGAL_INSN;
    }
    uint64_t s = env->mstatus;
    unsigned spp = (s & MSTATUS_SPP) ? PRV_S : PRV_U;
    s = (s & ~MSTATUS_SIE) | ((s & MSTATUS_SPIE) ? MSTATUS_SIE : 0);
    s |= MSTATUS_SPIE;
    s &= ~(MSTATUS_SPP | MSTATUS_MPRV);     /* SRET always lands below M */
    env->mstatus = s;
    env->pc = env->sepc;
    riscv_set_priv(cpu, spp);
    riscv_return_done(cpu);
    return EXCP_NONE;
}

int riscv_do_wfi(RISCVCPU *cpu)
{
    CPURISCVState *env = &cpu->env;
    /* With S-mode implemented, WFI in U-mode is always illegal; TW makes it
     * illegal in S-mode too (our time limit is zero). */
    if (env->priv == PRV_U || (env->priv == PRV_S && (env->mstatus & MSTATUS_TW))) {
        return EXCP_ILLEGAL_INSN;
    }
    if (!(env->mip & env->mie)) {
        env->halted = 1;
    }
    return EXCP_NONE;
}

int riscv_do_sfence_vma(RISCVCPU *cpu, uint64_t vaddr, bool has_vaddr,
                        uint64_t asid, bool has_asid)
{
    CPURISCVState *env = &cpu->env;
    if (env->priv == PRV_U || (env->priv == PRV_S && (env->mstatus & MSTATUS_TVM))) {
        return EXCP_ILLEGAL_INSN;
    }
    /* Kept TLBs are keyed by satp, not ASID: an ASID-only fence flushes
     * all, and a page's fence applies to every kept TLB. */
    if (has_vaddr) {
        cpu_tlb_flush_vpage(cpu, vaddr);
    } else {
        cpu_tlb_flush(cpu);
    }
    cpu->translation_changed = true;
    cpu->jc_stale = true;
    return EXCP_NONE;
}

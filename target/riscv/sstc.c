/* Sstc: the stimecmp CSR. While menvcfg.STCE is set, mip.STIP is
 * time >= stimecmp, a pure function of the virtual clock like the CLINT's
 * MTIP: a timer on the hart's clock at the exact deadline makes the main
 * loop stop the CPU when it turns on, so the interrupt lands at the same
 * instruction on every run. With STCE clear, STIP is M-mode's to write and
 * stimecmp is not reachable from S. */
#include "target/riscv/csr.h"

#define SSTC_NS_PER_TICK 100     /* time counts at the CLINT's 10 MHz */

static void sstc_timer_cb(void *opaque)
{
    riscv_sstc_update(opaque);
}

/* The timer lives on the hart's clock, which the board sets after
 * cpu_init: it is bound on first use. */
static Timer *sstc_timer(RISCVCPU *cpu)
{
    if (!cpu->clock) {
        return NULL;
    }
    if (cpu->stimer.clock != cpu->clock) {
        timer_init(&cpu->stimer, cpu->clock, "stimecmp", sstc_timer_cb, cpu);
    }
    return &cpu->stimer;
}

/* Arms the timer for time == stimecmp, or disarms it when that lies
 * beyond the end of virtual time. */
static void sstc_arm(RISCVCPU *cpu, Timer *t)
{
    uint64_t cmp = cpu->env.stimecmp;
    if (cmp > (CLOCK_NEVER - 1) / SSTC_NS_PER_TICK) {
        timer_del(t);
    } else {
        timer_mod(t, cmp * SSTC_NS_PER_TICK);
    }
}

void riscv_sstc_update(RISCVCPU *cpu)
{
    Timer *t = sstc_timer(cpu);
    if (!t) {
        return;
    }
    if (!(cpu->env.menvcfg & MENVCFG_STCE)) {
        timer_del(t);
        return;
    }
    if (riscv_csr_time(cpu) >= cpu->env.stimecmp) {
        timer_del(t);
        cpu_irq_handler(cpu, IRQ_S_TIMER, 1);
        return;
    }
    cpu_irq_handler(cpu, IRQ_S_TIMER, 0);
    sstc_arm(cpu, t);
}

void riscv_sstc_rearm(RISCVCPU *cpu)
{
    Timer *t = sstc_timer(cpu);
    if (!t) {
        return;
    }
    if (cpu->env.menvcfg & MENVCFG_STCE) {
        /* A deadline already passed fires at once and recomputes STIP. */
        sstc_arm(cpu, t);
    } else {
        timer_del(t);
    }
}

/* M always; S only with mcounteren.TM and menvcfg.STCE (U never: the
 * number is an S-level CSR). */
static int sstc_allowed(RISCVCPU *cpu)
{
    const CPURISCVState *env = &cpu->env;
    if (env->priv == PRV_M) {
        return EXCP_NONE;
    }
    if (!(env->mcounteren & COUNTEREN_TM) || !(env->menvcfg & MENVCFG_STCE)) {
        return EXCP_ILLEGAL_INSN;
    }
    return EXCP_NONE;
}

static int read_stimecmp(RISCVCPU *cpu, int csrno, uint64_t *val)
{
    if (sstc_allowed(cpu) != EXCP_NONE) {
        return EXCP_ILLEGAL_INSN;
    }
    *val = cpu->env.stimecmp;
    return EXCP_NONE;
}

static int write_stimecmp(RISCVCPU *cpu, int csrno, uint64_t val)
{
    if (sstc_allowed(cpu) != EXCP_NONE) {
        return EXCP_ILLEGAL_INSN;
    }
    cpu->env.stimecmp = val;
    riscv_sstc_update(cpu);
    /* STIP may have turned on under an enabled sie.STIE. */
    riscv_csr_irq_recheck(cpu);
    return EXCP_NONE;
}

static const CSRInfo csr_sstc[] = {
    { CSR_STIMECMP, "stimecmp", 0, 0, read_stimecmp, write_stimecmp },
};

const CSRTable csr_table_sstc = CSR_TABLE(csr_sstc);

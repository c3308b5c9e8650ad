/* The harts' round-robin scheduler (doc/smp.md). One hart runs at a time,
 * for a quantum of MACHINE_QUANTUM instructions, in hartid order; a hart in
 * WFI is passed over until an interrupt wakes it. Which hart runs follows
 * from the guest state and the saved turn (sched_cur, sched_left), never
 * from host timing, so the same inputs give the same run. */
#include "hw/riscv/machine.h"

uint64_t machine_icount(void *opaque)
{
    Machine *m = opaque;
    uint64_t n = 0;
    for (int h = 0; h < m->nr_harts; h++) {
        n += cpu_get_icount(&m->harts[h]);
    }
    return n;
}

void machine_request_exit(Machine *m)
{
    /* Only one runs; asking the others is harmless (cpu_exec resets it). */
    for (int h = 0; h < m->nr_harts; h++) {
        cpu_request_exit(&m->harts[h]);
    }
}

static void sched_next(Machine *m)
{
    m->sched_cur = (m->sched_cur + 1) % (uint32_t)m->nr_harts;
    m->sched_left = MACHINE_QUANTUM;
}

CPUExitReason machine_exec(Machine *m, uint64_t max_insns)
{
    if (m->nr_harts == 1) {
        m->debug_hart = 0;
        return cpu_exec(&m->harts[0], max_insns);
    }
    uint64_t budget = max_insns;
    int idle = 0;                /* harts in a row that were waiting in WFI */
    while (budget) {
        if (m->sched_left == 0) {
            m->sched_left = MACHINE_QUANTUM;
        }
        if (m->debug_run_mask && !(m->debug_run_mask & (1u << m->sched_cur))) {
            /* A debugger holds this hart: the turn passes, nothing runs. */
            sched_next(m);
            continue;
        }
        RISCVCPU *cpu = &m->harts[m->sched_cur];
        uint64_t n = budget < m->sched_left ? budget : m->sched_left;
        uint64_t before = cpu->env.icount;
        cpu_resv_release(cpu);
        CPUExitReason r = cpu_exec(cpu, n);
        cpu_resv_protect(cpu);   /* the others may run before it does again */
        if (r == CPU_EXIT_DEBUG) {
            m->debug_hart = (int)m->sched_cur;
        }
        /* A block may run past the limit: the excess counts too. */
        uint64_t ran = cpu->env.icount - before;
        budget -= ran < budget ? ran : budget;
        m->sched_left -= ran < m->sched_left ? ran : m->sched_left;
        if (r == CPU_EXIT_HALTED) {
            idle = ran ? 1 : idle + 1;
            sched_next(m);
            if (idle >= (m->debug_run_mask ? __builtin_popcount(m->debug_run_mask) : m->nr_harts)) {
                return CPU_EXIT_HALTED;
            }
            continue;
        }
        idle = 0;
        if (m->sched_left == 0) {
            sched_next(m);
        }
        if (r != CPU_EXIT_LIMIT || ran < n) {
            /* An exit request (device, monitor, signal) or a hart stuck in
             * traps: the main loop has a turn, the turn resumes after. */
            return r == CPU_EXIT_LIMIT ? CPU_EXIT_REQUEST : r;
        }
    }
    return CPU_EXIT_LIMIT;
}

/* A timer armed during a slice with a deadline before the slice's end (a
 * guest's stimecmp or mtimecmp write, a device): the running hart stops
 * where the deadline falls (with exact positions at it, else at the end of
 * the block that reaches it), as QEMU's icount stops the CPU for a timer
 * that now expires sooner. Otherwise it would fire at the slice's end, up
 * to a slice late (a 250 Hz tick would come every 8 ms instead of 4), and
 * with exact positions where it fires would depend on how the slices were
 * cut (other timers, a replay's events, a back end's timers that a replay
 * does not have). */
static void machine_clock_deadline(void *opaque, uint64_t expire_ns)
{
    Machine *m = opaque;
    RISCVCPU *cpu = &m->harts[m->nr_harts == 1 ? 0 : m->sched_cur];
    if (m->clock.mode != CLOCK_MODE_ICOUNT) {
        return;
    }
    uint64_t d = clock_ns_to_icount_delta(&m->clock, expire_ns);
    uint64_t at = cpu->env.icount + d;
    if (at >= cpu->env.icount && at < cpu->icount_limit) {
        cpu_set_icount_limit(cpu, at);  /* outside a slice: cpu_exec sets its own */
    }
}

void machine_set_icount_exact(Machine *m, bool exact)
{
    for (int h = 0; h < m->nr_harts; h++) {
        m->harts[h].icount_exact = exact;
    }
    m->clock.deadline_cb = machine_clock_deadline;
    m->clock.deadline_opaque = m;
}

CPUExitReason machine_run_to(Machine *m, uint64_t pos)
{
    for (;;) {
        uint64_t now = machine_icount(m);
        if (now >= pos) {
            return CPU_EXIT_LIMIT;
        }
        CPUExitReason r = machine_exec(m, pos - now);
        if (r != CPU_EXIT_LIMIT && r != CPU_EXIT_REQUEST) {
            return r;
        }
        if (r == CPU_EXIT_REQUEST && machine_icount(m) == now) {
            return r;            /* asked to stop, and nothing ran */
        }
    }
}

/* The board's side of a debugger (hw/riscv/machine.h): stepping one hart
 * outside the round-robin turn and resuming all of them. Breakpoints and
 * watchpoints are in m->debug, which every hart reads (cpu-debug.h); a
 * hart that stops at one makes machine_exec return CPU_EXIT_DEBUG with
 * m->debug_hart naming it. */
#include "hw/riscv/machine.h"

CPUExitReason machine_debug_step(Machine *m, int h)
{
    RISCVCPU *cpu = &m->harts[h];
    cpu_debug_apply(cpu, true);
    cpu_debug_resume(cpu);
    /* Another hart's store may break the reservation only while it waits,
     * so it is released while it runs (as machine_exec does). */
    if (m->nr_harts > 1) {
        cpu_resv_release(cpu);
    }
    CPUExitReason r = cpu_exec(cpu, 1);
    m->debug_steps++;
    if (m->nr_harts > 1) {
        cpu_resv_protect(cpu);
    }
    if (r == CPU_EXIT_DEBUG) {
        m->debug_hart = h;
    }
    return r;
}

void machine_debug_resume(Machine *m)
{
    for (int h = 0; h < m->nr_harts; h++) {
        cpu_debug_apply(&m->harts[h], false);
        cpu_debug_resume(&m->harts[h]);
    }
}

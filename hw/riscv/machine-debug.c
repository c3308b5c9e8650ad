/* The board's side of a debugger (hw/riscv/machine.h): stepping one hart
 * outside the round-robin turn, resuming all of them, and writing
 * registers and memory. Breakpoints and
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
    /* Step mode ends with the step: whatever runs the machine next (gdb's
     * continue, the monitor's cont after gdb left) takes interrupts and
     * runs whole blocks. Each step costs a cache flush at both ends,
     * which a thousand stepi pay in well under a second. */
    cpu_debug_apply(cpu, false);
    if (r == CPU_EXIT_DEBUG) {
        m->debug_hart = h;
    }
    return r;
}

void machine_debug_resume(Machine *m, uint32_t run_mask)
{
    uint32_t all = (1u << m->nr_harts) - 1;
    m->debug_run_mask = (run_mask & all) == all ? 0 : run_mask & all;
    for (int h = 0; h < m->nr_harts; h++) {
        cpu_debug_apply(&m->harts[h], false);
        cpu_debug_resume(&m->harts[h]);
    }
}

bool machine_debug_write_reg(Machine *m, int h, int regno, const uint8_t *v, unsigned len)
{
    if (h < 0 || h >= m->nr_harts || regno < 0 || regno > CPU_GDB_PRIV ||
        !cpu_gdb_write_reg(&m->harts[h], regno, v, len)) {
        return false;
    }
    m->debug_writes++;
    return true;
}

bool machine_debug_write_mem(Machine *m, int h, uint64_t vaddr, const void *buf, uint64_t len)
{
    if (h < 0 || h >= m->nr_harts) {
        return false;
    }
    m->debug_writes++;           /* a fault may come after some bytes were written */
    return len == 0 || cpu_memory_rw_debug(&m->harts[h], vaddr, (void *)buf, len, true);
}

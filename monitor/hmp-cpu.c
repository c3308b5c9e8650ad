/* The monitor's current hart: `cpu N` selects it, `info cpus` lists every
 * hart with a `*` at it; info registers, info mem, info tlb, x (virtual
 * addresses) and $register in expressions use it. QEMU keeps the same
 * choice per monitor. */
#include <unistd.h>

#include "hw/riscv/machine.h"
#include "monitor/monitor-int.h"

RISCVCPU *hmp_cpu_current(Monitor *mon)
{
    Machine *m = hmp_machine(mon);
    if (!m) {
        return NULL;
    }
    /* A monitor outliving a smaller machine never points past its harts. */
    int i = mon->cpu_index < m->nr_harts ? mon->cpu_index : 0;
    return &m->harts[i];
}

void hmp_cpu(Monitor *mon, const MonArgs *a)
{
    Machine *m = hmp_machine(mon);
    if (!m) {
        return;
    }
    int64_t i = mon_arg_int(a, "index", -1);
    if (i < 0 || i >= m->nr_harts) {
        monitor_error(mon, "invalid CPU index");
        return;
    }
    mon->cpu_index = (int)i;
}

void hmp_info_cpus(Monitor *mon, const MonArgs *a)
{
    Machine *m = hmp_machine(mon);
    if (!m) {
        return;
    }
    const RISCVCPU *cur = hmp_cpu_current(mon);
    /* One host thread runs every hart, as QEMU's round-robin TCG. */
    for (int h = 0; h < m->nr_harts; h++) {
        const RISCVCPU *cpu = &m->harts[h];
        monitor_printf(mon, "%c CPU #%d: pc=0x%016llx thread_id=%d%s\n", cpu == cur ? '*' : ' ',
                       h, (unsigned long long)cpu->env.pc, (int)getpid(),
                       cpu->env.halted ? " (halted)" : "");
    }
}

/* info registers, mtree, qtree, jit, chardev, and $register lookup for
 * expressions. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hw/riscv/machine.h"
#include "monitor/monitor-int.h"


static bool csr_read(RISCVCPU *cpu, const char *name, uint64_t *val)
{
    int csr = cpu_csr_by_name(name);
    return csr >= 0 && cpu_csr_peek(cpu, csr, val);
}

void hmp_info_registers(Monitor *mon, const MonArgs *a)
{
    RISCVCPU *cpu = hmp_cpu_current(mon);
    if (!cpu) {
        return;
    }
    char buf[2048];
    if (mon_arg_flag(a, 'a')) {
        /* QEMU: every hart, each after a "CPU#N" line. */
        Machine *m = hmp_machine(mon);
        for (int h = 0; h < m->nr_harts; h++) {
            monitor_printf(mon, "\nCPU#%d\n", h);
            cpu_dump_state(&m->harts[h], m->harts[h].env.pc, buf, sizeof(buf));
            monitor_puts(mon, buf);
            if (cpu_dump_fpu(&m->harts[h], false, buf, sizeof(buf))) {
                monitor_puts(mon, buf);
            }
        }
        return;
    }
    cpu_dump_state(cpu, cpu->env.pc, buf, sizeof(buf));
    monitor_puts(mon, buf);
    /* The FP registers follow while FS is not Off (QEMU shows them always;
     * a hart without FP state in use keeps QEMU's integer-only layout). */
    if (cpu_dump_fpu(cpu, false, buf, sizeof(buf))) {
        monitor_puts(mon, buf);
    }
}

bool hmp_reg_lookup(void *opaque, const char *name, uint64_t *val)
{
    Monitor *mon = opaque;
    if (!hmp_machine_or_null(mon)) {
        return false;
    }
    RISCVCPU *cpu = hmp_cpu_current(mon);
    CPURISCVState *env = &cpu->env;
    if (!strcmp(name, "pc")) {
        *val = env->pc;
        return true;
    }
    if (!strcmp(name, "priv")) {
        *val = env->priv;
        return true;
    }
    if (!strcmp(name, "fp")) {
        *val = env->gpr[8];
        return true;
    }
    if (name[0] == 'x' && name[1]) {
        char *end;
        long n = strtol(name + 1, &end, 10);
        if (!*end && n >= 0 && n < 32 && (name[1] != '0' || !name[2])) {
            *val = env->gpr[n];
            return true;
        }
    }
    for (int i = 0; i < 32; i++) {
        if (!strcmp(name, cpu_gpr_names[i])) {
            *val = env->gpr[i];
            return true;
        }
    }
    return csr_read(cpu, name, val);
}

static int region_cmp(const void *a, const void *b)
{
    const MemoryRegion *x = *(const MemoryRegion *const *)a;
    const MemoryRegion *y = *(const MemoryRegion *const *)b;
    if (x->base != y->base) {
        return x->base < y->base ? -1 : 1;
    }
    return y->priority - x->priority;
}

static const char *kind_name(MemoryRegionKind k)
{
    return k == MR_RAM ? "ram" : k == MR_ROM ? "rom" : "i/o";
}

/* Regions sorted by address (a stable picture for transcripts). */
static int sorted_regions(PhysMemory *mem, MemoryRegion **out)
{
    int n = mem->nr_regions;
    for (int i = 0; i < n; i++) {
        out[i] = &mem->regions[i];
    }
    qsort(out, (size_t)n, sizeof(out[0]), region_cmp);
    return n;
}

void hmp_info_mtree(Monitor *mon, const MonArgs *a)
{
    Machine *m = hmp_machine(mon);
    if (!m) {
        return;
    }
    MemoryRegion *r[MEMORY_MAX_REGIONS];
    int n = sorted_regions(&m->mem, r);
    monitor_puts(mon, "address-space: memory\n"
                      "  0000000000000000-ffffffffffffffff (prio 0, i/o): system\n");
    for (int i = 0; i < n; i++) {
        monitor_printf(mon, "    %016llx-%016llx (prio %d, %s): %s\n",
                       (unsigned long long)r[i]->base,
                       (unsigned long long)(r[i]->base + r[i]->size - 1), r[i]->priority,
                       kind_name(r[i]->kind), r[i]->name ? r[i]->name : "");
    }
    monitor_puts(mon, "\n");
}

void hmp_info_qtree(Monitor *mon, const MonArgs *a)
{
    Machine *m = hmp_machine(mon);
    if (!m) {
        return;
    }
    MemoryRegion *r[MEMORY_MAX_REGIONS];
    int n = sorted_regions(&m->mem, r);
    monitor_puts(mon, "bus: main-system-bus\n  type System\n");
    monitor_puts(mon, "  dev: riscv.hart_array, id \"\"\n    num-harts = 1 (0x1)\n"
                      "    hartid-base = 0 (0x0)\n");
    for (int i = 0; i < n; i++) {
        if (r[i]->kind != MR_MMIO) {
            continue;
        }
        monitor_printf(mon, "  dev: %s, id \"\"\n    mmio %016llx/%016llx\n",
                       r[i]->name ? r[i]->name : "?", (unsigned long long)r[i]->base,
                       (unsigned long long)r[i]->size);
    }
}

/* The back end and, with the JIT, its code caches (all harts summed). */
static void hmp_info_jit_host(Monitor *mon, Machine *m)
{
    CPUJitInfo sum, one;
    int harts = 0;
    memset(&sum, 0, sizeof(sum));
    for (int h = 0; h < m->nr_harts; h++) {
        if (!cpu_jit_info(&m->harts[h], &one)) {
            continue;
        }
        harts++;
        sum.code_size += one.code_size;
        sum.code_used += one.code_used;
        sum.blocks += one.blocks;
        sum.blocks_total += one.blocks_total;
        sum.interpreted_blocks += one.interpreted_blocks;
        sum.links += one.links;
        sum.unlinks += one.unlinks;
        sum.flushes += one.flushes;
        sum.entries += one.entries;
        sum.slots += one.slots;
        sum.linked += one.linked;
        sum.exits_to_interpreter += one.exits_to_interpreter;
        sum.exits_slow += one.exits_slow;
        sum.exits_unlinked += one.exits_unlinked;
        sum.exits_indirect += one.exits_indirect;
    }
    if (!harts) {
        monitor_printf(mon, "Back end            interpreter\n");
        return;
    }
    monitor_printf(mon, "Back end            x86-64 JIT (%d of %d harts)\n", harts, m->nr_harts);
    monitor_printf(mon, "JIT code size       %llu KiB\n", (unsigned long long)(sum.code_size >> 10));
    monitor_printf(mon, "JIT code used       %llu KiB\n", (unsigned long long)(sum.code_used >> 10));
    monitor_printf(mon, "JIT blocks          %llu (%llu since start, %llu interpreted)\n",
                   (unsigned long long)sum.blocks, (unsigned long long)sum.blocks_total,
                   (unsigned long long)sum.interpreted_blocks);
    monitor_printf(mon, "JIT direct jumps    %llu patched, %llu restored\n",
                   (unsigned long long)sum.links, (unsigned long long)sum.unlinks);
    monitor_printf(mon, "JIT chain rate      %llu%% of exit slots linked (%llu of %llu)\n",
                   (unsigned long long)(sum.slots ? sum.linked * 100 / sum.slots : 0),
                   (unsigned long long)sum.linked, (unsigned long long)sum.slots);
    monitor_printf(mon, "JIT entries         %llu from the dispatch loop\n",
                   (unsigned long long)sum.entries);
    monitor_printf(mon, "JIT exits           %llu to the interpreter, %llu slow, %llu unlinked, "
                   "%llu indirect\n", (unsigned long long)sum.exits_to_interpreter,
                   (unsigned long long)sum.exits_slow, (unsigned long long)sum.exits_unlinked,
                   (unsigned long long)sum.exits_indirect);
    monitor_printf(mon, "JIT flush count     %llu\n", (unsigned long long)sum.flushes);
}

void hmp_info_jit(Monitor *mon, const MonArgs *a)
{
    Machine *m = hmp_machine(mon);
    if (!m) {
        return;
    }
    const CPUStats *s = &m->harts[0].stats;
    const CPURISCVState *env = &m->harts[0].env;
    monitor_printf(mon, "Translation buffer state:\n");
    monitor_printf(mon, "TB count            %llu\n", (unsigned long long)s->tb_translated);
    monitor_printf(mon, "TB lookups          %llu\n", (unsigned long long)s->tb_lookups);
    monitor_printf(mon, "TB lookup hits      %llu (%llu%%)\n", (unsigned long long)s->tb_hits,
                   (unsigned long long)(s->tb_lookups ? s->tb_hits * 100 / s->tb_lookups : 0));
    monitor_printf(mon, "TB direct jumps     %llu\n", (unsigned long long)s->tb_chained);
    monitor_printf(mon, "TB invalidated      %llu\n", (unsigned long long)s->tb_invalidated);
    monitor_printf(mon, "TB flush count      %llu\n", (unsigned long long)s->tb_flushes);
    hmp_info_jit_host(mon, m);
    monitor_printf(mon, "\nTLB state:\n");
    monitor_printf(mon, "TLB misses          %llu\n", (unsigned long long)s->tlb_misses);
    monitor_printf(mon, "TLB flush count     %llu\n", (unsigned long long)s->tlb_flushes);
    monitor_printf(mon, "\nExecution:\n");
    monitor_printf(mon, "instructions        %llu\n", (unsigned long long)env->instret);
    monitor_printf(mon, "MMIO accesses       %llu\n", (unsigned long long)s->mmio_accesses);
    monitor_printf(mon, "exceptions          %llu\n", (unsigned long long)s->exceptions);
    monitor_printf(mon, "interrupts          %llu\n", (unsigned long long)s->interrupts);
}

void hmp_info_chardev(Monitor *mon, const MonArgs *a)
{
    Machine *m = mon->hub->machine;
    if (m) {
        const char *what = m->serial0.fd_out < 0 && m->serial0.fd_in < 0 ? "null" : "fd";
        monitor_printf(mon, "%s: filename=%s\n", m->serial0.name ? m->serial0.name : "serial0",
                       mon->hub->serial_desc ? mon->hub->serial_desc : what);
    }
    for (Monitor *x = mon->hub->monitors; x; x = x->next) {
        if (x->kind != MON_KIND_BUFFER) {
            monitor_printf(mon, "%s: filename=%s\n", x->name, x->desc);
        }
    }
}

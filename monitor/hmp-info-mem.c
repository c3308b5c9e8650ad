/* info mem, info tlb, info roms, info irq: the guest's view of memory and
 * interrupts, in QEMU's layouts where QEMU has them for riscv. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hw/riscv/machine.h"
#include "monitor/hmp.h"

/* Enough for any real kernel's tables (a 1 GiB linear map of 4 KiB pages is
 * 262144 leaves), small enough that a hostile table cannot hang the monitor. */
#define INFO_MEM_MAX_PTES (1ull << 22)

static bool print_range(void *opaque, uint64_t va, uint64_t pa, uint64_t size, unsigned attr)
{
    Monitor *mon = opaque;
    /* PTE bits 1..7: R W X U G A D. */
    monitor_printf(mon, "%016llx %016llx %016llx %c%c%c%c%c%c%c\n", (unsigned long long)va,
                   (unsigned long long)pa, (unsigned long long)size,
                   attr & 0x02 ? 'r' : '-', attr & 0x04 ? 'w' : '-', attr & 0x08 ? 'x' : '-',
                   attr & 0x10 ? 'u' : '-', attr & 0x20 ? 'g' : '-', attr & 0x40 ? 'a' : '-',
                   attr & 0x80 ? 'd' : '-');
    return true;
}

void hmp_info_mem(Monitor *mon, const MonArgs *a)
{
    RISCVCPU *cpu = hmp_cpu_current(mon);
    if (!cpu) {
        return;
    }
    unsigned mode = cpu->env.satp >> 60;
    if (mode == 0) {
        monitor_puts(mon, "No translation or protection\n");
        return;
    }
    if (mode != 8 && mode != 9) {
        monitor_puts(mon, "Unsupported MMU mode\n");   /* not reachable: satp refuses it */
        return;
    }
    monitor_puts(mon, "vaddr            paddr            size             attr\n"
                      "---------------- ---------------- ---------------- -------\n");
    if (cpu_mem_map(cpu, print_range, mon, INFO_MEM_MAX_PTES) == 2) {
        monitor_printf(mon, "(stopped after %llu page table entries)\n",
                       (unsigned long long)INFO_MEM_MAX_PTES);
    }
}

void hmp_info_tlb(Monitor *mon, const MonArgs *a)
{
    RISCVCPU *cpu = hmp_cpu_current(mon);
    if (!cpu) {
        return;
    }
    static const char *const idx_name[MMU_IDX_COUNT] = { "U", "S", "S+SUM", "M" };
    monitor_puts(mon, "mmu   slot vaddr            paddr            fast\n");
    for (int i = 0; i < MMU_IDX_COUNT; i++) {
        for (int j = 0; j < TLB_SIZE; j++) {
            const TLBEntry *e = &cpu->tlb[i][j];
            uint64_t tag = e->tag_read != TLB_INVALID ? e->tag_read
                         : e->tag_write != TLB_INVALID ? e->tag_write : e->tag_exec;
            if (tag == TLB_INVALID) {
                continue;
            }
            monitor_printf(mon, "%-5s %4d %016llx %016llx %c%c%c\n", idx_name[i], j,
                           (unsigned long long)tag, (unsigned long long)e->paddr,
                           e->tag_read != TLB_INVALID ? 'r' : '-',
                           e->tag_write != TLB_INVALID ? 'w' : '-',
                           e->tag_exec != TLB_INVALID ? 'x' : '-');
        }
    }
}

static int blob_cmp(const void *x, const void *y)
{
    const MachineBlob *a = *(const MachineBlob *const *)x, *b = *(const MachineBlob *const *)y;
    return a->addr < b->addr ? -1 : a->addr > b->addr;
}

void hmp_info_roms(Monitor *mon, const MonArgs *a)
{
    Machine *m = hmp_machine(mon);
    if (!m) {
        return;
    }
    /* The boot ROM as QEMU's virt board names its two blobs. */
    monitor_printf(mon, "addr=%016llx size=0x%06x mem=rom name=\"mrom.reset\"\n",
                   (unsigned long long)VIRT_MROM_BASE, 0x28);
    monitor_printf(mon, "addr=%016llx size=0x%06x mem=rom name=\"mrom.finfo\"\n",
                   (unsigned long long)VIRT_MROM_BASE + 0x28, 0x30);
    const MachineBlob *b[MACHINE_MAX_BLOBS];
    int n = m->nr_blobs;
    for (int i = 0; i < n; i++) {
        b[i] = &m->blobs[i];
    }
    qsort(b, (size_t)n, sizeof(b[0]), blob_cmp);
    for (int i = 0; i < n; i++) {
        char name[600];
        if (!b[i]->path) {
            snprintf(name, sizeof(name), "fdt");
        } else if (b[i]->seg >= 0) {
            snprintf(name, sizeof(name), "%s ELF program header segment %d", b[i]->path,
                     b[i]->seg);
        } else {
            snprintf(name, sizeof(name), "%s", b[i]->path);
        }
        MemoryRegion *r = memory_find(&m->mem, b[i]->addr);
        monitor_printf(mon, "addr=%016llx size=0x%06llx mem=%s name=\"%s\"\n",
                       (unsigned long long)b[i]->addr, (unsigned long long)b[i]->len,
                       r && r->kind == MR_ROM ? "rom" : "ram", name);
    }
}

static void print_counts(Monitor *mon, const char *name, const uint64_t *count, int n)
{
    monitor_printf(mon, "IRQ statistics for %s:\n", name);
    for (int i = 0; i < n; i++) {
        if (count[i]) {
            monitor_printf(mon, "%2d: %llu\n", i, (unsigned long long)count[i]);
        }
    }
}

void hmp_info_irq(Monitor *mon, const MonArgs *a)
{
    Machine *m = hmp_machine(mon);
    if (!m) {
        return;
    }
    const CPUStats *s = &m->harts[0].stats;
    print_counts(mon, "riscv.sifive.plic", m->plic.irq_count, PLIC_NUM_SOURCES);
    /* The CLINT's lines, by hart (one): how often each was raised. */
    print_counts(mon, "riscv.aclint.swi", &s->irq_raised[IRQ_M_SOFT], 1);
    print_counts(mon, "riscv.aclint.mtimer", &s->irq_raised[IRQ_M_TIMER], 1);
    /* The hart: interrupts taken, by cause (QEMU has no such section). */
    print_counts(mon, "riscv.hart", s->irq_taken, 16);
}

/* The virtual memory map for the monitor's info mem: a side-effect-free walk
 * of the current Sv39/Sv48 page tables (no A/D updates, no faults, no PMP),
 * with neighbouring leaves merged into ranges as QEMU's riscv mem_info_svxx
 * does. The tables are the guest's, so the walk is bounded. */
#include "target/riscv/cpu-internal.h"

#define PTE_V 0x01u
#define PTE_R 0x02u
#define PTE_W 0x04u
#define PTE_X 0x08u
#define PTE_PPN_SHIFT 10
#define PTE_PPN_MASK ((1ull << 44) - 1)

typedef struct MapWalk {
    RISCVCPU *cpu;
    CPUMemMapFn fn;
    void *opaque;
    unsigned va_bits;
    uint64_t budget;             /* PTEs left to read */
    bool stopped;                /* fn asked to stop, or the budget ran out */
    /* The range being merged (size 0: none yet). */
    uint64_t vbase, pbase, size;
    unsigned attr;
} MapWalk;

static void map_emit(MapWalk *w)
{
    if (w->size && !w->stopped && !w->fn(w->opaque, w->vbase, w->pbase, w->size, w->attr)) {
        w->stopped = true;
    }
    w->size = 0;
}

static void map_leaf(MapWalk *w, uint64_t va, uint64_t pa, uint64_t size, unsigned attr)
{
    if (w->size && attr == w->attr && w->vbase + w->size == va && w->pbase + w->size == pa) {
        w->size += size;
        return;
    }
    map_emit(w);
    w->vbase = va;
    w->pbase = pa;
    w->size = size;
    w->attr = attr;
}

static void map_table(MapWalk *w, uint64_t table, uint64_t va, int level)
{
    unsigned shift = PAGE_BITS + 9 * (unsigned)level;
    for (uint64_t i = 0; i < 512 && !w->stopped; i++) {
        if (w->budget == 0) {
            map_emit(w);
            w->stopped = true;
            return;
        }
        w->budget--;
        uint64_t pte;
        if (!memory_rw(w->cpu->mem, table + i * 8, &pte, 8, false, true)) {
            continue;           /* a table outside RAM/ROM maps nothing we can show */
        }
        uint64_t start = va + (i << shift);
        /* Canonical form: the bits above va_bits copy the top one. */
        start = (uint64_t)((int64_t)(start << (64 - w->va_bits)) >> (64 - w->va_bits));
        uint64_t pa = ((pte >> PTE_PPN_SHIFT) & PTE_PPN_MASK) << PAGE_BITS;
        if (!(pte & PTE_V)) {
            continue;
        }
        if (pte & (PTE_R | PTE_W | PTE_X)) {
            map_leaf(w, start, pa, 1ull << shift, (unsigned)(pte & 0xff));
        } else if (level > 0) {
            map_table(w, pa, start, level - 1);
        }
    }
}

int cpu_mem_map(RISCVCPU *cpu, CPUMemMapFn fn, void *opaque, uint64_t max_ptes)
{
    unsigned mode = cpu->env.satp >> 60;
    if (mode != 8 && mode != 9) {
        return mode == 0 ? 0 : -1;
    }
    int levels = mode == 8 ? 3 : 4;
    MapWalk w = {
        .cpu = cpu, .fn = fn, .opaque = opaque, .va_bits = 12 + 9 * (unsigned)levels,
        .budget = max_ptes,
    };
    map_table(&w, (cpu->env.satp & PTE_PPN_MASK) << PAGE_BITS, 0, levels - 1);
    bool cut = w.budget == 0 && w.stopped;
    map_emit(&w);
    return cut ? 2 : 1;
}

/* Debugger breakpoints, watchpoints and single-stepping on the hart
 * (cpu-debug.h). A breakpoint is a micro-op the translator puts in front
 * of the instruction at its address (OP_DEBUG_BP, exec.c), so guest memory
 * stays as the guest wrote it; a watchpoint keeps loads and stores on the
 * slow path, which checks them before the access (mmu.c). Both stop the
 * hart before the instruction retires, with exact instruction counts.
 *
 * Blocks remember nothing of the set they were built for; the hart keeps a
 * signature of it instead (dbg_bp_sig) and drops its translated code when
 * the set differs at the next cpu_exec. gdb removes and re-inserts every
 * breakpoint around each stop: the set is then the same and costs nothing. */
#include "target/riscv/tb.h"

/* ---- the table ---- */

bool cpu_debug_bp_at(const CPUDebugPoints *d, uint64_t addr)
{
    int lo = 0, hi = d->nr_bp;
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        if (d->bp[mid] == addr) {
            return true;
        }
        if (d->bp[mid] < addr) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return false;
}

bool cpu_debug_bp_insert(CPUDebugPoints *d, uint64_t addr)
{
    if (cpu_debug_bp_at(d, addr)) {
        return true;             /* gdb may insert one twice (Z0 and Z1) */
    }
    if (d->nr_bp == CPU_DEBUG_MAX_BP) {
        return false;
    }
    int i = d->nr_bp;
    while (i > 0 && d->bp[i - 1] > addr) {
        d->bp[i] = d->bp[i - 1];
        i--;
    }
    d->bp[i] = addr;
    d->nr_bp++;
    d->gen++;
    return true;
}

bool cpu_debug_bp_remove(CPUDebugPoints *d, uint64_t addr)
{
    for (int i = 0; i < d->nr_bp; i++) {
        if (d->bp[i] == addr) {
            for (int j = i + 1; j < d->nr_bp; j++) {
                d->bp[j - 1] = d->bp[j];
            }
            d->nr_bp--;
            d->gen++;
            return true;
        }
    }
    return false;
}

bool cpu_debug_wp_insert(CPUDebugPoints *d, uint64_t addr, uint64_t len, unsigned kind)
{
    if (d->nr_wp == CPU_DEBUG_MAX_WP || len == 0 || (kind & ~3u) || !kind) {
        return false;
    }
    d->wp[d->nr_wp++] = (CPUWatchpoint){ .addr = addr, .len = len, .kind = kind };
    d->gen++;
    return true;
}

bool cpu_debug_wp_remove(CPUDebugPoints *d, uint64_t addr, uint64_t len, unsigned kind)
{
    for (int i = 0; i < d->nr_wp; i++) {
        const CPUWatchpoint *w = &d->wp[i];
        if (w->addr == addr && w->len == len && w->kind == kind) {
            for (int j = i + 1; j < d->nr_wp; j++) {
                d->wp[j - 1] = d->wp[j];
            }
            d->nr_wp--;
            d->gen++;
            return true;
        }
    }
    return false;
}

void cpu_debug_clear(CPUDebugPoints *d)
{
    d->nr_bp = 0;
    d->nr_wp = 0;
    d->gen++;
}

/* ---- the hart ---- */

static uint64_t debug_bp_signature(const CPUDebugPoints *d)
{
    /* FNV-1a over the sorted addresses; 0 stands for "no breakpoints". */
    if (!d || !d->nr_bp) {
        return 0;
    }
    uint64_t h = 0xcbf29ce484222325ull;
    for (int i = 0; i < d->nr_bp; i++) {
        h = (h ^ d->bp[i]) * 0x100000001b3ull;
    }
    return h | 1;
}

void riscv_debug_sync(RISCVCPU *cpu)
{
    const CPUDebugPoints *d = cpu->dbg;
    cpu->dbg_gen = d ? d->gen : 0;
    uint64_t sig = debug_bp_signature(d);
    if (sig != cpu->dbg_bp_sig) {
        cpu->dbg_bp_sig = sig;
        cpu_tb_flush(cpu);
    }
    bool watch = d && d->nr_wp > 0;
    if (watch != cpu->dbg_watch) {
        cpu->dbg_watch = watch;
        cpu_tlb_flush(cpu);      /* entries with or without fast-path tags */
    }
}

void cpu_debug_attach(RISCVCPU *cpu, const CPUDebugPoints *d)
{
    cpu->dbg = d;
    riscv_debug_sync(cpu);
}

void cpu_debug_apply(RISCVCPU *cpu, bool step)
{
    if (step != cpu->dbg_step) {
        cpu->dbg_step = step;
        cpu_tb_flush(cpu);       /* blocks of one instruction, or not */
    }
    riscv_debug_sync(cpu);
}

void cpu_debug_resume(RISCVCPU *cpu)
{
    cpu->dbg_skip = true;
    cpu->dbg_skip_pc = cpu->env.pc;
    cpu->dbg_skip_icount = cpu->env.icount;
    cpu->dbg_hit = CPU_DEBUG_HIT_NONE;
}

bool riscv_debug_bp_hit(RISCVCPU *cpu, uint64_t pc, uint64_t icount)
{
    if (!cpu->dbg || !cpu_debug_bp_at(cpu->dbg, pc)) {
        return false;
    }
    if (cpu->dbg_skip && pc == cpu->dbg_skip_pc && icount == cpu->dbg_skip_icount) {
        return false;
    }
    cpu->dbg_hit = CPU_DEBUG_HIT_BREAK;
    return true;
}

int riscv_debug_watch_check(RISCVCPU *cpu, uint64_t vaddr, unsigned size, unsigned kinds)
{
    const CPUDebugPoints *d = cpu->dbg;
    if (!d) {
        return EXCP_NONE;
    }
    for (int i = 0; i < d->nr_wp; i++) {
        const CPUWatchpoint *w = &d->wp[i];
        /* Any byte of the access inside [addr, addr + len). */
        bool overlap = vaddr - w->addr < w->len || w->addr - vaddr < size;
        if (overlap && (w->kind & kinds)) {
            cpu->dbg_hit = CPU_DEBUG_HIT_WATCH;
            cpu->dbg_watch_addr = w->addr;
            cpu->dbg_watch_kind = w->kind;
            return EXCP_DEBUG;
        }
    }
    return EXCP_NONE;
}

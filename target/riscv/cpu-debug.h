/* What a debugger (the GDB stub) sets on the harts: breakpoints and
 * watchpoints by virtual address, and single-stepping. This is debugger
 * state, not guest state: it lives beside the machine, no VM state section
 * carries it, and the guest never sees it in its memory (breakpoints are
 * checked by translated code, never written into RAM as ebreak).
 *
 * One CPUDebugPoints serves every hart of a machine (gdb's breakpoints are
 * global); each hart points to it (cpu->dbg) and translates its blocks for
 * the set it last applied (cpu_debug_apply). */
#ifndef TARGET_RISCV_CPU_DEBUG_H
#define TARGET_RISCV_CPU_DEBUG_H

#include <stdbool.h>
#include <stdint.h>

#define CPU_DEBUG_MAX_BP 64
#define CPU_DEBUG_MAX_WP 16

/* Watchpoint kinds: gdb's Z2 (write), Z3 (read), Z4 (access). */
enum {
    CPU_WATCH_WRITE = 1,
    CPU_WATCH_READ = 2,
    CPU_WATCH_ACCESS = 3,
};

typedef struct CPUWatchpoint {
    uint64_t addr;
    uint64_t len;                /* 1 .. 2^63 bytes */
    unsigned kind;               /* CPU_WATCH_* */
} CPUWatchpoint;

typedef struct CPUDebugPoints {
    uint64_t bp[CPU_DEBUG_MAX_BP];   /* sorted, each address once */
    int nr_bp;
    CPUWatchpoint wp[CPU_DEBUG_MAX_WP];
    int nr_wp;
    uint64_t gen;                /* bumped by every edit: harts re-check */
} CPUDebugPoints;

/* Why cpu_exec returned CPU_EXIT_DEBUG (RISCVCPU.dbg_hit). */
typedef enum CPUDebugHit {
    CPU_DEBUG_HIT_NONE,
    CPU_DEBUG_HIT_BREAK,         /* env.pc is the breakpoint's address */
    CPU_DEBUG_HIT_WATCH,         /* env.pc is the accessing instruction */
} CPUDebugHit;

/* Table edits (no effect on a hart until cpu_debug_apply). Return false
 * when the table is full (insert) or nothing matched (remove). */
bool cpu_debug_bp_insert(CPUDebugPoints *d, uint64_t addr);
bool cpu_debug_bp_remove(CPUDebugPoints *d, uint64_t addr);
bool cpu_debug_wp_insert(CPUDebugPoints *d, uint64_t addr, uint64_t len, unsigned kind);
bool cpu_debug_wp_remove(CPUDebugPoints *d, uint64_t addr, uint64_t len, unsigned kind);
void cpu_debug_clear(CPUDebugPoints *d);
bool cpu_debug_bp_at(const CPUDebugPoints *d, uint64_t addr);

#endif

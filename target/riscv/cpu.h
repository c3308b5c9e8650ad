/* The RV64 hart: architectural state (saved by VM state, plain fields only)
 * and host-side execution state (TLB, translation cache, counters: rebuilt,
 * never saved). The public API at the bottom is what the board, the main
 * loop and the monitor use. */
#ifndef TARGET_RISCV_CPU_H
#define TARGET_RISCV_CPU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "emu/clock.h"
#include "emu/memory.h"
#include "target/riscv/cpu-debug.h"
#include "savevm/vmstate.h"
#include "util/error.h"
#include "util/log.h"

enum { PRV_U = 0, PRV_S = 1, PRV_M = 3 };

/* mip / mie bit numbers */
enum {
    IRQ_S_SOFT = 1, IRQ_M_SOFT = 3,
    IRQ_S_TIMER = 5, IRQ_M_TIMER = 7,
    IRQ_S_EXT = 9, IRQ_M_EXT = 11,
};

/* Exception causes (mcause without the interrupt bit). */
enum {
    EXCP_INSN_MISALIGNED = 0, EXCP_INSN_ACCESS = 1, EXCP_ILLEGAL_INSN = 2,
    EXCP_BREAKPOINT = 3, EXCP_LOAD_MISALIGNED = 4, EXCP_LOAD_ACCESS = 5,
    EXCP_STORE_MISALIGNED = 6, EXCP_STORE_ACCESS = 7, EXCP_ECALL_U = 8,
    EXCP_ECALL_S = 9, EXCP_ECALL_M = 11, EXCP_INSN_PAGE_FAULT = 12,
    EXCP_LOAD_PAGE_FAULT = 13, EXCP_STORE_PAGE_FAULT = 15,
};
#define EXCP_NONE (-1)

/* Architectural state of one hart. Everything here is guest-visible state and
 * is saved/restored as it is; nothing here may be a host pointer or a cache. */
typedef struct CPURISCVState {
    uint64_t gpr[32];
    uint64_t pc;
    uint8_t priv;                /* PRV_U, PRV_S or PRV_M */
    uint8_t halted;              /* in WFI, waiting for an interrupt */

    uint64_t mstatus;            /* sstatus is a view of it */
    uint64_t misa;
    uint64_t medeleg, mideleg;
    uint64_t mie;                /* sie is a view */
    uint64_t mip;                /* sip is a view; device lines set bits here */
    uint64_t mtvec, mscratch, mepc, mcause, mtval;
    uint64_t mcounteren, mcountinhibit, menvcfg;
    uint64_t stvec, sscratch, sepc, scause, stval, satp;
    uint64_t scounteren, senvcfg;
    uint64_t pmpcfg[2];          /* pmpcfg0 and pmpcfg2 (RV64) */
    uint64_t pmpaddr[16];
    uint64_t stimecmp;           /* Sstc */
    /* Sdtrig: two mcontrol (type 2) triggers. tdata1 holds only the bits a
     * write can set (m, s, u, execute, store, load); reads add the type. */
    uint64_t tselect;
    uint64_t tdata1[2];
    uint64_t tdata2[2];          /* the address compared */

    /* Virtual time base: instructions executed plus time skipped in WFI.
     * mtime and all timers derive from it in icount mode. */
    uint64_t icount;
    uint64_t instret;            /* instructions retired (minstret/instret) */
    uint64_t minstret_delta;     /* guest writes to minstret: value - instret */
    uint64_t mcycle_delta;       /* guest writes to mcycle: value - instret */

    uint64_t load_res;           /* LR reservation address */
    uint8_t load_res_valid;

    /* F and D: singles are NaN-boxed (upper 32 bits all ones). */
    uint64_t fpr[32];
    uint32_t fcsr;               /* frm (7:5) and fflags (4:0) */
} CPURISCVState;

/* Software TLB entry. A tag is the page-aligned virtual address with which the
 * access is allowed, or TLB_INVALID. Fast path for an access of `size` bytes:
 *     e = &cpu->tlb[mmu_idx][(va >> PAGE_BITS) & (TLB_SIZE - 1)];
 *     if ((va & (PAGE_MASK | (size - 1))) == e->tag_read) host = va + e->addend;
 * so a misaligned access never matches and takes the slow path. A tag is set
 * only for RAM/ROM pages the access may touch directly: tag_write only when
 * memory_page_write_fast() allows it; MMIO pages never get a tag. */
typedef struct TLBEntry {
    uint64_t tag_read;
    uint64_t tag_write;
    uint64_t tag_exec;
    uintptr_t addend;            /* host address - guest virtual address */
    uint64_t paddr;              /* physical page address (for flushes by page) */
} TLBEntry;

#define TLB_INVALID  (~0ull)
#define TLB_BITS     8
#define TLB_SIZE     (1 << TLB_BITS)

/* MMU indexes: one TLB per kind of access permission context. */
enum {
    MMU_IDX_U = 0,               /* user */
    MMU_IDX_S = 1,               /* supervisor, SUM=0 */
    MMU_IDX_S_SUM = 2,           /* supervisor, SUM=1 (may touch user pages) */
    MMU_IDX_M = 3,               /* machine: no translation */
    MMU_IDX_COUNT = 4,
};

/* Counters shown by the monitor ("info tcg"-style view). */
typedef struct CPUStats {
    uint64_t tb_translated;      /* blocks translated */
    uint64_t tb_lookups;         /* blocks looked up in the cache */
    uint64_t tb_hits;            /* ... and found */
    uint64_t tb_chained;         /* direct links made between blocks */
    uint64_t tb_capped;          /* blocks cut short for an exact stop (icount_exact) */
    uint64_t tb_invalidated;     /* blocks invalidated (SMC, fence.i, ...) */
    uint64_t tb_flushes;         /* whole-cache flushes */
    uint64_t tlb_misses;         /* slow-path TLB fills */
    uint64_t tlb_flushes;
    uint64_t mmio_accesses;
    uint64_t exceptions;
    uint64_t interrupts;
    uint64_t irq_raised[16];     /* device lines raised (0 -> 1), by mip bit */
    uint64_t irq_taken[16];      /* interrupts taken, by cause */
} CPUStats;

struct TBCache;
typedef struct TLBSpace TLBSpace;

typedef struct RISCVCPU {
    CPURISCVState env;           /* saved state */

    /* ---- host side, never saved ---- */
    PhysMemory *mem;
    VirtClock *clock;            /* the machine's clock (the time CSR) */
    const Log *log;              /* where -d items go (log_none until the board sets it) */
    uint64_t model_misa;         /* this hart's misa, which a loaded one must match */
    uint32_t hartid;             /* mhartid: the board's numbering, not saved */
    /* The page whose writes this hart watches for its reservation while it
     * waits for its turn (cpu_resv_protect), or RESV_NONE. */
    uint64_t resv_page;
    TLBEntry tlb[MMU_IDX_COUNT][TLB_SIZE];
    uint8_t mmu_idx_data;        /* MMU index for loads/stores (MPRV applied) */
    uint8_t mmu_idx_fetch;       /* MMU index for instruction fetch */
    struct TBCache *tbc;         /* translation cache (target/riscv/exec.c) */
    uint16_t csr_index[4096];    /* CSR number -> (table << 8 | entry) + 1 (0: none) */
    /* cpu_exec() returns once env.icount reaches this; set to 0 to ask the
     * executor to stop at the next block boundary (interrupt, monitor). */
    uint64_t icount_limit;
    /* Host code's linked block entries go back to the dispatch loop once
     * env.icount reaches this: icount_limit, or in exact mode
     * icount_limit - TB_MAX_INSNS (no block entered below it can cross the
     * limit); zeroed wherever icount_limit is. One compare per block. */
    uint64_t jit_guard;
    /* Exact stops (record/replay, reverse execution): a block that would
     * run past icount_limit is translated again, cut to the instructions
     * left, so cpu_exec stops at the limit itself, not at the end of the
     * block that crosses it. */
    bool icount_exact;
    bool tb_invalidated;         /* the running block was invalidated: leave it */
    /* Set by trap/CSR code when translation-relevant state changed (priv, satp,
     * mstatus MPRV/SUM/MXR): cached block lookups must be redone. */
    bool translation_changed;
    /* Set with translation_changed when virtual-to-physical fetch mappings
     * may have changed (sfence.vma, PMP, state load): the jump cache, keyed
     * by virtual pc, is cleared with every copy kept for other address
     * spaces. A satp write alone switches caches instead (exec-jc.c).
     * Privilege and mstatus changes do not set it: cached blocks carry
     * their privilege, and SUM/MXR/MPRV do not affect fetch. */
    bool jc_stale;
    /* Set by reverse execution around a restore, whose RAM pages told the
     * translator themselves (memory_ram_written): a state change then
     * keeps translated code, which is keyed by physical address and
     * privilege (machine_load_keeps_code). */
    bool load_keeps_code;
    /* Sstc: raises STIP when time reaches stimecmp; armed while STCE=1
     * (target/riscv/sstc.c). */
    Timer stimer;
    /* Sdtrig: which kinds of trigger are enabled (TRIGGER_ARMED_*). Zero
     * keeps execution on its fast paths (target/riscv/trigger.c). */
    uint8_t trigger_armed;
    /* Debugger (cpu-debug.c): the machine's breakpoints and watchpoints
     * (NULL: none). Blocks are translated for the breakpoints of dbg_bp_sig
     * and, while dbg_step, hold one instruction; dbg_watch keeps loads and
     * stores off the TLB fast path. The instruction at dbg_skip_pc when
     * dbg_skip_icount instructions have retired (where gdb resumed) does
     * not stop at its own breakpoint. dbg_hit says why cpu_exec returned
     * CPU_EXIT_DEBUG; a watchpoint's address and kind are beside it. */
    const CPUDebugPoints *dbg;
    uint64_t dbg_gen;            /* dbg->gen when last looked at */
    uint64_t dbg_bp_sig;
    bool dbg_step;
    bool dbg_watch;
    bool dbg_skip;
    uint64_t dbg_skip_pc, dbg_skip_icount;
    CPUDebugHit dbg_hit;
    uint64_t dbg_watch_addr;
    unsigned dbg_watch_kind;
    CPUStats stats;
    /* The TLBs of address spaces the hart left (tlb-space.c): */
    uint64_t tlb_satp;           /* the satp tlb was filled under */
    TLBSpace *tlb_spaces;        /* NULL until the first switch */
    uint64_t tlb_clock;
} RISCVCPU;

/* Why cpu_exec() returned. */
typedef enum CPUExitReason {
    CPU_EXIT_LIMIT,              /* icount reached the limit */
    CPU_EXIT_HALTED,             /* WFI with no interrupt pending */
    CPU_EXIT_REQUEST,            /* cpu_request_exit() */
    CPU_EXIT_DEBUG,              /* a debugger's breakpoint or watchpoint (dbg_hit) */
} CPUExitReason;

/* ---- public API ---- */
/* False with err set when the translation cache cannot be allocated. */
bool cpu_init(RISCVCPU *cpu, PhysMemory *mem, Error *err);
void cpu_destroy(RISCVCPU *cpu);
/* Power-on / system reset state: M-mode at reset_pc, misa = RV64IMAFDCSU, FS Off. */
void cpu_reset(RISCVCPU *cpu, uint64_t reset_pc);
/* Runs until env.icount >= env.icount(at entry) + max_insns, WFI, or an exit
 * request. Interrupts are taken between blocks. With icount_exact the run
 * ends at env.icount == entry + max_insns exactly (unless it stops sooner). */
CPUExitReason cpu_exec(RISCVCPU *cpu, uint64_t max_insns);
/* Stop at the next block boundary. */
void cpu_request_exit(RISCVCPU *cpu);
/* The running slice ends at instruction count limit (a timer's deadline
 * that falls inside it); the JIT's entry guard follows. */
void cpu_set_icount_limit(RISCVCPU *cpu, uint64_t limit);
/* IRQHandler for device lines: n is the mip bit (IRQ_M_EXT, IRQ_M_TIMER, ...). */
void cpu_irq_handler(void *opaque, int n, int level);
/* Precise instruction count, usable from device callbacks during execution. */
uint64_t cpu_get_icount(void *opaque /* RISCVCPU * */);
/* riscv,isa for the device tree: "rv64" and misa's letters in canonical
 * order, then the implemented multi-letter extensions, '_'-separated
 * (target/riscv/cpu-isa.c). Writes at most len bytes, NUL-terminated;
 * returns the full length. */
size_t cpu_isa_string(const RISCVCPU *cpu, char *buf, size_t len);
/* Drop host-side caches after the architectural state was replaced (loadvm,
 * reset): TLB and translated blocks. */
void cpu_state_changed(RISCVCPU *cpu);
void cpu_tlb_flush(RISCVCPU *cpu);
/* Between turns (machine-sched.c): only other harts can break a
 * reservation, and only while its hart waits. protect: the hart stops
 * running; if it holds a reservation, writes to its page go through the
 * slow path, which breaks it if they touch its set. release: it runs
 * again (its own stores need no watching). */
void cpu_resv_protect(RISCVCPU *cpu);
void cpu_resv_release(RISCVCPU *cpu);
#define RESV_NONE (~0ull)
void cpu_tb_flush(RISCVCPU *cpu);
/* The back end: on = x86-64 host code for translated blocks (the JIT,
 * target/riscv/jit.h), off = the interpreter alone. Drops every translated
 * block. False with err set when the host has no JIT or its code cache
 * cannot be mapped. */
bool cpu_jit_set(RISCVCPU *cpu, bool on, Error *err);
/* How many times a block runs in the interpreter before the JIT makes its
 * host code (default 8; 0: at its first run, as the tests use). */
void cpu_jit_threshold(RISCVCPU *cpu, unsigned n);
/* This build has a JIT for this host (x86-64). */
bool cpu_jit_available(void);
/* info jit: the code cache of a hart running the JIT (false: interpreter). */
typedef struct CPUJitInfo {
    uint64_t code_size, code_used;   /* bytes */
    uint64_t blocks;                 /* blocks with host code since the last flush */
    uint64_t blocks_total;
    uint64_t interpreted_blocks;     /* left to the interpreter (-d exec, triggers) */
    uint64_t links, unlinks;         /* direct jumps patched, and restored */
    uint64_t flushes;
    uint64_t entries;                /* host code entered from the dispatch loop */
    uint64_t slots;                  /* exit slots with a patchable jump */
    uint64_t linked;                 /* ... of them linked now (the chain rate) */
    uint64_t exits_to_interpreter;   /* at a micro-op host code does not emit */
    uint64_t exits_slow;             /* after a slow access or at a fault */
    uint64_t exits_unlinked;         /* at a block end not (yet) linked */
    uint64_t exits_indirect;         /* jalr: the target looked up */
} CPUJitInfo;
bool cpu_jit_info(const RISCVCPU *cpu, CPUJitInfo *info);
/* Debugger access (monitor x/, p): translates with the current satp/priv
 * without side effects (no A/D updates, no faults raised). */
bool cpu_virt_to_phys_debug(RISCVCPU *cpu, uint64_t vaddr, uint64_t *paddr);
bool cpu_memory_rw_debug(RISCVCPU *cpu, uint64_t vaddr, void *buf, uint64_t len, bool is_write);
/* CSR name for display; NULL if unknown. Also lookup by name (-1 if none). */
const char *cpu_csr_name(int csrno);
int cpu_csr_by_name(const char *name);
/* Reads a CSR for the monitor without privilege checks or side effects. */
bool cpu_csr_peek(RISCVCPU *cpu, int csrno, uint64_t *val);
extern const char *const cpu_gpr_names[32];   /* ABI names: zero, ra, sp, ... */
/* info mem: calls fn(opaque, vaddr, paddr, size, attr) for each range of the
 * current page tables, neighbouring leaves with the same attributes (the
 * PTE's low 8 bits: V R W X U G A D) merged, in virtual address order.
 * Reads at most max_ptes entries (the guest may build a table that maps the
 * same tables over and over); fn returns false to stop. Returns 0 when satp
 * is Bare, -1 for a mode Amber has no walker for, 1 after a full walk, 2 when
 * max_ptes cut it short. No side effects (no A/D updates, no faults). */
typedef bool (*CPUMemMapFn)(void *opaque, uint64_t vaddr, uint64_t paddr, uint64_t size,
                            unsigned attr);
int cpu_mem_map(RISCVCPU *cpu, CPUMemMapFn fn, void *opaque, uint64_t max_ptes);
/* QEMU's riscv register dump (info registers, -d cpu) with pc as given:
 * " pc       0000000080000000\n", the CSRs, then x0..x31 four to a line.
 * Writes at most len bytes (NUL-terminated); returns the length. */
size_t cpu_dump_state(RISCVCPU *cpu, uint64_t pc, char *buf, size_t len);
/* The mask of cpu->log changed from old: flushes translated code when the
 * translation-time items (in_asm, exec, cpu) changed. */
void cpu_log_mask_changed(RISCVCPU *cpu, unsigned old);
/* info registers' FP part, QEMU's layout: " fcsr     %016x" then
 * "f0/ft0" .. "f31/ft11" four to a line. Empty unless FS is not Off or
 * `all` is set. Writes at most len bytes (NUL-terminated); returns the
 * length. */
size_t cpu_dump_fpu(RISCVCPU *cpu, bool all, char *buf, size_t len);

/* ---- debugger (cpu-debug.c, cpu-gdb.c) ---- */
/* Points the hart at the machine's debug points (NULL: none), then
 * cpu_debug_apply makes the hart act on their current contents: drops
 * translated code built for another breakpoint set or step mode, and TLB
 * fast paths while watchpoints are set. step: blocks of one instruction,
 * and cpu_exec(cpu, 1) runs exactly one instruction (a trap taken by it
 * ends the step at the vector) with interrupts held off, as QEMU's
 * default single-step. */
void cpu_debug_attach(RISCVCPU *cpu, const CPUDebugPoints *d);
void cpu_debug_apply(RISCVCPU *cpu, bool step);
/* Execution resumes here: a breakpoint at the current pc is not taken by
 * the first instruction (gdb continues from a breakpoint it stopped at). */
void cpu_debug_resume(RISCVCPU *cpu);
/* gdb's register numbers (those of its riscv target: x0..x31 0-31, pc 32,
 * f0..f31 33-64, CSR n at 65 + n, priv 4161). Read: the value's bytes
 * (little-endian) into buf, returns their number (8), or 0 for a number
 * that is no register. Write: false for an unknown number. CSRs are read
 * and written without privilege checks, with the write's side effects. */
#define CPU_GDB_PC      32
#define CPU_GDB_F0      33
#define CPU_GDB_CSR0    65
#define CPU_GDB_PRIV    (CPU_GDB_CSR0 + 4096)
unsigned cpu_gdb_read_reg(RISCVCPU *cpu, int regno, uint8_t *buf);
bool cpu_gdb_write_reg(RISCVCPU *cpu, int regno, const uint8_t *buf, unsigned len);
/* The target description gdb reads with qXfer:features:read (annex
 * "target.xml" and the files it includes); NULL for an unknown annex. */
const char *cpu_gdb_xml(const char *annex);

/* Its state table (the section's fields, versions and subsections). */
extern const VMStateDescription vmstate_riscv_cpu;

#endif

/* The contract between the executor (target/riscv/translate.c, target/riscv/exec.c) and the
 * privileged architecture (target/riscv/cpu.c, target/riscv/csr.c, target/riscv/trap.c, target/riscv/mmu.c).
 * Not for use outside the CPU. */
#ifndef TARGET_RISCV_CPU_INTERNAL_H
#define TARGET_RISCV_CPU_INTERNAL_H

#include "target/riscv/cpu.h"

/* CSR numbers used across the CPU */
#define CSR_FFLAGS   0x001
#define CSR_FRM      0x002
#define CSR_FCSR     0x003
#define CSR_SSTATUS  0x100
#define CSR_SIE      0x104
#define CSR_STVEC    0x105
#define CSR_SCOUNTEREN 0x106
#define CSR_SENVCFG  0x10a
#define CSR_SSCRATCH 0x140
#define CSR_SEPC     0x141
#define CSR_SCAUSE   0x142
#define CSR_STVAL    0x143
#define CSR_SIP      0x144
#define CSR_SATP     0x180
#define CSR_MSTATUS  0x300
#define CSR_MISA     0x301
#define CSR_MEDELEG  0x302
#define CSR_MIDELEG  0x303
#define CSR_MIE      0x304
#define CSR_MTVEC    0x305
#define CSR_MCOUNTEREN 0x306
#define CSR_MENVCFG  0x30a
#define CSR_MCOUNTINHIBIT 0x320
#define CSR_MSCRATCH 0x340
#define CSR_MEPC     0x341
#define CSR_MCAUSE   0x342
#define CSR_MTVAL    0x343
#define CSR_MIP      0x344
#define CSR_PMPCFG0  0x3a0
#define CSR_PMPADDR0 0x3b0
#define CSR_MCYCLE   0xb00
#define CSR_MINSTRET 0xb02
#define CSR_CYCLE    0xc00
#define CSR_TIME     0xc01
#define CSR_INSTRET  0xc02
#define CSR_MVENDORID 0xf11
#define CSR_MARCHID  0xf12
#define CSR_MIMPID   0xf13
#define CSR_MHARTID  0xf14

/* mstatus fields */
#define MSTATUS_SIE   (1ull << 1)
#define MSTATUS_MIE   (1ull << 3)
#define MSTATUS_SPIE  (1ull << 5)
#define MSTATUS_UBE   (1ull << 6)
#define MSTATUS_MPIE  (1ull << 7)
#define MSTATUS_SPP   (1ull << 8)
#define MSTATUS_MPP   (3ull << 11)
#define MSTATUS_FS    (3ull << 13)
#define MSTATUS_XS    (3ull << 15)
#define MSTATUS_MPRV  (1ull << 17)
#define MSTATUS_SUM   (1ull << 18)
#define MSTATUS_MXR   (1ull << 19)
#define MSTATUS_TVM   (1ull << 20)
#define MSTATUS_TW    (1ull << 21)
#define MSTATUS_TSR   (1ull << 22)
#define MSTATUS_UXL   (3ull << 32)
#define MSTATUS_SXL   (3ull << 34)
#define MSTATUS_SD    (1ull << 63)

/* misa extension bits */
#define MISA_D        (1ull << ('D' - 'A'))
#define MISA_F        (1ull << ('F' - 'A'))

/* Memory access kinds for the slow path and the page walker. */
typedef enum MMUAccess {
    MMU_READ = 0,
    MMU_WRITE = 1,
    MMU_FETCH = 2,
} MMUAccess;

/* ---- provided by the privileged side (cpu.c, csr.c, trap.c, mmu.c) ---- */

/* Enters the trap handler for exception `cause` with mtval/stval = tval.
 * env.pc must hold the address of the faulting instruction (the executor sets
 * it, and env.icount/instret count only retired instructions). Sets env.pc to
 * the vector, switches priv, updates mstatus, the TLB index fields and
 * translation_changed. */
void riscv_raise_exception(RISCVCPU *cpu, int cause, uint64_t tval);

/* If an interrupt is pending and enabled for the current privilege, takes it
 * (env.pc must be the next instruction to execute) and returns true. Also
 * clears env.halted when any interrupt is pending in mip & mie. */
bool riscv_check_interrupts(RISCVCPU *cpu);

/* CSR access for csrrw/csrrs/csrrc(i): reads the old value into *old (if old is
 * not NULL), then writes (old & ~mask) | (val & mask) when `write` is true.
 * Privilege and read-only checks as in the spec. Returns EXCP_NONE or
 * EXCP_ILLEGAL_INSN. After it returns, the executor must leave the block if
 * cpu->translation_changed is set or cpu->icount_limit was cleared. */
/* Fills cpu->csr_index from the CSR table (at cpu_init). */
void riscv_csr_index_build(RISCVCPU *cpu);
int riscv_csr_access(RISCVCPU *cpu, int csrno, uint64_t *old, uint64_t val,
                     uint64_t mask, bool write);

/* mret / sret: check privilege (TSR), restore, set env.pc. Returns EXCP_NONE
 * or EXCP_ILLEGAL_INSN (env.pc untouched then). */
int riscv_do_mret(RISCVCPU *cpu);
int riscv_do_sret(RISCVCPU *cpu);
/* wfi: EXCP_ILLEGAL_INSN when TW forbids it; else sets env.halted when no
 * interrupt is pending (mip & mie == 0) and returns EXCP_NONE. The executor
 * then ends the block with env.pc = next instruction. */
int riscv_do_wfi(RISCVCPU *cpu);
/* sfence.vma rs1, rs2 (vaddr, asid; has_* false when the register was x0):
 * privilege and TVM checks, then flushes the TLB. */
int riscv_do_sfence_vma(RISCVCPU *cpu, uint64_t vaddr, bool has_vaddr,
                        uint64_t asid, bool has_asid);

/* Slow-path memory access: translation (filling the TLB entry when the page
 * allows a fast path), PMP, MMIO dispatch, misaligned and page-crossing
 * accesses (done byte by byte, atomically with respect to faults: no partial
 * store when the second page faults). Values are zero-extended; the executor
 * sign-extends. Returns EXCP_NONE or the exception cause; on a fault tval is
 * the faulting virtual address (stored in *tval). A store to a page with
 * translated code calls back into the executor (cpu_invalidate_code) which may
 * set cpu->tb_invalidated. */
int riscv_load_slow(RISCVCPU *cpu, uint64_t vaddr, unsigned size, uint64_t *val,
                    uint64_t *tval);
int riscv_store_slow(RISCVCPU *cpu, uint64_t vaddr, unsigned size, uint64_t val,
                     uint64_t *tval);
/* Atomics: translate for a read-modify-write (needs write permission, must
 * be naturally aligned: otherwise EXCP_STORE_MISALIGNED for AMOs and
 * EXCP_LOAD_MISALIGNED for LR). Returns the physical address. Accesses then go
 * through riscv_phys_rw(). */
int riscv_translate_amo(RISCVCPU *cpu, uint64_t vaddr, unsigned size, bool is_lr,
                        uint64_t *paddr);
bool riscv_phys_read(RISCVCPU *cpu, uint64_t paddr, unsigned size, uint64_t *val);
bool riscv_phys_write(RISCVCPU *cpu, uint64_t paddr, unsigned size, uint64_t val);
/* Instruction fetch translation for the translator: physical address of
 * vaddr and a host pointer to the start of its page (NULL when the page is not
 * RAM/ROM: then fetch faults with EXCP_INSN_ACCESS). Returns EXCP_NONE or the
 * exception (page fault / access fault). */
int riscv_translate_fetch(RISCVCPU *cpu, uint64_t vaddr, uint64_t *paddr,
                          uint8_t **page_host);
/* Recomputes mmu_idx_data/mmu_idx_fetch from priv and mstatus. */
void riscv_update_mmu_idx(RISCVCPU *cpu);
/* Removes every TLB entry mapping physical page `paddr` for writes (called
 * when translated code is created from that page). */
void riscv_tlb_flush_phys_write(RISCVCPU *cpu, uint64_t paddr);

/* ---- tlb-space.c: the TLB kept per address space ---- */
/* The hart now translates under satp: the current TLB is kept as the old
 * address space's, and the new one's comes back if it was kept. */
void cpu_tlb_switch(RISCVCPU *cpu, uint64_t satp);
/* sfence.vma of one page: in the current TLB and every kept one. */
void cpu_tlb_flush_vpage(RISCVCPU *cpu, uint64_t vaddr);
/* Every kept TLB is dropped (cpu_tlb_flush). */
void tlb_space_drop_all(RISCVCPU *cpu);

/* ---- Sstc (sstc.c) ---- */

/* Recomputes STIP from time and stimecmp and arms the hart's timer for the
 * deadline while menvcfg.STCE is set; with STCE clear, only disarms. */
void riscv_sstc_update(RISCVCPU *cpu);
/* After a load: re-arms the timer for the loaded stimecmp without reading
 * the clock (the clock section loads after the CPU's). */
void riscv_sstc_rearm(RISCVCPU *cpu);

/* ---- Sdtrig (trigger.c) ---- */

#define TRIGGER_ARMED_EXEC 1     /* blocks carry OP_TRIGGER, one insn each */
#define TRIGGER_ARMED_MEM  2     /* no fast-path TLB tags: accesses go slow */
/* Recomputes cpu->trigger_armed from tdata1 and drops the translated
 * blocks or TLB entries that were built for the other setting. */
void riscv_trigger_update(RISCVCPU *cpu);
/* An execute trigger matches the instruction at pc in the current mode. */
bool riscv_trigger_exec_hit(RISCVCPU *cpu, uint64_t pc);
#define TRIGGER_LOAD  1          /* mcontrol's load and store bits */
#define TRIGGER_STORE 2
/* An access of size bytes at vaddr of kinds `kinds` (TRIGGER_LOAD and/or
 * TRIGGER_STORE: an AMO is both) matches a trigger: returns
 * EXCP_BREAKPOINT with *tval = vaddr, else EXCP_NONE. Called only while
 * TRIGGER_ARMED_MEM is set. */
int riscv_trigger_mem_check(RISCVCPU *cpu, uint64_t vaddr, unsigned size, unsigned kinds,
                            uint64_t *tval);

/* ---- debugger (cpu-debug.c) ---- */

/* Not an exception: a debugger's watchpoint matched the access. The
 * executor stops before the instruction (CPU_EXIT_DEBUG). */
#define EXCP_DEBUG 0x10000
/* Re-reads cpu->dbg after its table changed (gen): flushes blocks built
 * for another breakpoint set, TLB fast paths when watchpoints came or
 * went. cpu_exec calls it when dbg->gen moved. */
void riscv_debug_sync(RISCVCPU *cpu);
/* A breakpoint at pc stops the instruction that would retire as number
 * icount (not the one gdb resumed at); sets dbg_hit. */
bool riscv_debug_bp_hit(RISCVCPU *cpu, uint64_t pc, uint64_t icount);
/* A watchpoint of kinds (CPU_WATCH_READ and/or CPU_WATCH_WRITE) overlaps
 * the access: EXCP_DEBUG with dbg_hit and the watchpoint recorded. Called
 * only while cpu->dbg_watch is set. */
int riscv_debug_watch_check(RISCVCPU *cpu, uint64_t vaddr, unsigned size, unsigned kinds);

/* ---- debug log hooks (cpu-log.c), called only when their item is on ---- */

/* -d int: QEMU's riscv_cpu_do_interrupt line, before the trap is taken. */
void riscv_log_trap(RISCVCPU *cpu, bool irq, int cause, uint64_t tval);

/* ---- provided by the executor (translate.c, exec.c) ---- */

/* Invalidates translated blocks overlapping [paddr, paddr+len); sets
 * cpu->tb_invalidated if the running block is among them. Registered as the
 * memory layer's code_write hook. */
void cpu_invalidate_code(void *opaque /* RISCVCPU * */, uint64_t paddr, uint64_t len);
bool exec_init(RISCVCPU *cpu, Error *err);
void exec_destroy(RISCVCPU *cpu);

#endif

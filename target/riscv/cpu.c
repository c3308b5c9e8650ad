/* The hart's lifecycle and the host-facing helpers: setup, reset, interrupt
 * lines, TLB flushing and debugger access. CSRs live in csr.c, traps in
 * trap.c, address translation in mmu.c. */
#include "target/riscv/cpu-internal.h"

#include <stdlib.h>
#include <string.h>

#define MISA_EXT(c) (1ull << ((c) - 'A'))
#define MISA_VALUE ((2ull << 62) | MISA_EXT('A') | MISA_EXT('C') | MISA_EXT('D') | \
                    MISA_EXT('F') | MISA_EXT('I') | MISA_EXT('M') | MISA_EXT('S') | \
                    MISA_EXT('U'))

const char *const cpu_gpr_names[32] = {
    "zero", "ra", "sp", "gp", "tp", "t0", "t1", "t2",
    "s0", "s1", "a0", "a1", "a2", "a3", "a4", "a5",
    "a6", "a7", "s2", "s3", "s4", "s5", "s6", "s7",
    "s8", "s9", "s10", "s11", "t3", "t4", "t5", "t6",
};

/* The memory layer's hook: fast-path writes must be withdrawn. */
static void cpu_mem_tlb_flush(void *opaque)
{
    cpu_tlb_flush(opaque);
}

static void cpu_mem_page_watch(void *opaque, uint64_t paddr)
{
    riscv_tlb_flush_phys_write(opaque, paddr);
}

/* The reservation set: the naturally aligned doubleword LR read. */
#define RESV_SET_MASK (~7ull)

/* A write (another hart's store or AMO, an SC, DMA) hit a page with a
 * reservation: it breaks ours if it touched our set. */
static void cpu_mem_resv_write(void *opaque, uint64_t paddr, uint64_t len)
{
    RISCVCPU *cpu = opaque;
    uint64_t set = cpu->env.load_res & RESV_SET_MASK;
    if (cpu->env.load_res_valid && paddr < set + 8 && set < paddr + len) {
        cpu->env.load_res_valid = 0;
    }
}

bool cpu_init(RISCVCPU *cpu, PhysMemory *mem, Error *err)
{
    memset(cpu, 0, sizeof(*cpu));
    cpu->mem = mem;
    cpu->resv_page = RESV_NONE;
    cpu->log = &log_none;
    riscv_csr_index_build(cpu);
    if (!exec_init(cpu, err)) {
        return false;
    }
    MemoryListener l = {
        .code_write = cpu_invalidate_code,
        .tlb_flush = cpu_mem_tlb_flush,
        .page_watch = cpu_mem_page_watch,
        .resv_write = cpu_mem_resv_write,
        .opaque = cpu,
    };
    if (!memory_add_listener(mem, &l)) {
        exec_destroy(cpu);
        error_setf(err, "too many harts on one memory (at most %d)", MEMORY_MAX_LISTENERS);
        return false;
    }
    cpu_reset(cpu, 0);
    return true;
}

void cpu_destroy(RISCVCPU *cpu)
{
    if (cpu->stimer.clock) {
        timer_del(&cpu->stimer);
    }
    if (cpu->mem) {
        cpu_resv_release(cpu);
    }
    exec_destroy(cpu);
    free(cpu->tlb_spaces);
    cpu->tlb_spaces = NULL;
    if (cpu->mem) {
        memory_remove_listener(cpu->mem, cpu);
    }
}

void cpu_reset(RISCVCPU *cpu, uint64_t reset_pc)
{
    CPURISCVState *env = &cpu->env;
    /* The time base survives a reset: virtual time must never go backwards. */
    uint64_t icount = env->icount;
    memset(env, 0, sizeof(*env));
    env->icount = icount;
    env->misa = cpu->model_misa = MISA_VALUE;
    env->mstatus = (2ull << 32) | (2ull << 34);   /* UXL = SXL = 64-bit */
    env->priv = PRV_M;
    env->pc = reset_pc;
    cpu_state_changed(cpu);
    riscv_sstc_update(cpu);     /* STCE is 0: disarms */
    riscv_trigger_update(cpu);
}

void cpu_request_exit(RISCVCPU *cpu)
{
    cpu->icount_limit = 0;
    cpu->jit_guard = 0;
}

void cpu_irq_handler(void *opaque, int n, int level)
{
    RISCVCPU *cpu = opaque;
    if (n < 0 || n >= 64) {
        return;
    }
    if (level) {
        if (n < 16 && !(cpu->env.mip & (1ull << n))) {
            cpu->stats.irq_raised[n]++;     /* info irq */
        }
        cpu->env.mip |= 1ull << n;
    } else {
        cpu->env.mip &= ~(1ull << n);
    }
    if (cpu->env.mip & cpu->env.mie) {
        cpu->env.halted = 0;
        cpu->icount_limit = 0;
        cpu->jit_guard = 0;
    }
}

void cpu_state_changed(RISCVCPU *cpu)
{
    cpu_tlb_flush(cpu);
    if (cpu->tbc && !cpu->load_keeps_code) {
        cpu_tb_flush(cpu);
    }
    riscv_update_mmu_idx(cpu);
    cpu->translation_changed = true;
    cpu->jc_stale = true;
}

void cpu_resv_protect(RISCVCPU *cpu)
{
    cpu_resv_release(cpu);
    if (cpu->env.load_res_valid) {
        cpu->resv_page = cpu->env.load_res & PAGE_MASK;
        memory_get_resv_page(cpu->mem, cpu->resv_page);
    }
}

void cpu_resv_release(RISCVCPU *cpu)
{
    if (cpu->resv_page != RESV_NONE) {
        memory_put_resv_page(cpu->mem, cpu->resv_page);
        cpu->resv_page = RESV_NONE;
    }
}

void cpu_tlb_flush(RISCVCPU *cpu)
{
    /* TLB_INVALID is all ones, so a byte fill gives it in every tag. */
    memset(cpu->tlb, 0xff, sizeof(cpu->tlb));
    tlb_space_drop_all(cpu);
    cpu->tlb_satp = cpu->env.satp;
    cpu->stats.tlb_flushes++;
}

bool cpu_memory_rw_debug(RISCVCPU *cpu, uint64_t vaddr, void *buf, uint64_t len, bool is_write)
{
    uint8_t *b = buf;
    while (len > 0) {
        uint64_t pa;
        uint64_t chunk = PAGE_SIZE - (vaddr & (PAGE_SIZE - 1));
        if (chunk > len) {
            chunk = len;
        }
        if (!cpu_virt_to_phys_debug(cpu, vaddr, &pa) ||
            !memory_rw(cpu->mem, pa, b, chunk, is_write, true)) {
            return false;
        }
        b += chunk;
        vaddr += chunk;
        len -= chunk;
    }
    return true;
}

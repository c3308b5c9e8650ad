/* Address translation: Sv39/Sv48 page walks (A/D bits updated in memory),
 * PMP, the software TLB fill, and the slow path for loads, stores, atomics
 * and instruction fetch. Guests control every input here, so every failure
 * is a fault for the guest, never for the host. */
#include "target/riscv/cpu-internal.h"

#include <string.h>

#include "util/log.h"

#define PTE_V (1ull << 0)
#define PTE_R (1ull << 1)
#define PTE_W (1ull << 2)
#define PTE_X (1ull << 3)
#define PTE_U (1ull << 4)
#define PTE_A (1ull << 6)
#define PTE_D (1ull << 7)
#define PTE_PPN_SHIFT 10
#define PTE_PPN_MASK ((1ull << 44) - 1)
#define PTE_RESERVED (0x3ffull << 54)    /* N, PBMT and reserved: unsupported */

#define SATP_PPN_MASK ((1ull << 44) - 1)

#define PMP_R 0x01
#define PMP_W 0x02
#define PMP_X 0x04
#define PMP_L 0x80
#define PMP_A_SHIFT 3
enum { PMP_OFF, PMP_TOR, PMP_NA4, PMP_NAPOT };

#define PMP_ENTRIES 16

/* Result of a successful translation. */
typedef struct MMUResult {
    uint64_t paddr;
    /* What the leaf allows without a fault or an A/D update, for the TLB. */
    bool can_read, can_write, can_exec;
} MMUResult;

static const int mmu_page_fault[] = {
    [MMU_READ] = EXCP_LOAD_PAGE_FAULT, [MMU_WRITE] = EXCP_STORE_PAGE_FAULT,
    [MMU_FETCH] = EXCP_INSN_PAGE_FAULT,
};
static const int mmu_access_fault[] = {
    [MMU_READ] = EXCP_LOAD_ACCESS, [MMU_WRITE] = EXCP_STORE_ACCESS,
    [MMU_FETCH] = EXCP_INSN_ACCESS,
};

static unsigned mmu_idx_priv(int idx)
{
    switch (idx) {
    case MMU_IDX_U: return PRV_U;
    case MMU_IDX_M: return PRV_M;
    default: return PRV_S;
    }
}

/* ---- PMP ---- */

/* Checks [addr, addr+len) for `access` in mode priv. The lowest-numbered
 * entry that overlaps any byte decides; it must cover every byte. */
static bool pmp_check(const CPURISCVState *env, uint64_t addr, uint64_t len,
                      MMUAccess access, unsigned priv)
{
    static const uint8_t need[] = { [MMU_READ] = PMP_R, [MMU_WRITE] = PMP_W,
                                    [MMU_FETCH] = PMP_X };
    uint64_t last = addr + len - 1;
    if (last < addr) {
        return false;
    }
    /* No entry configured (bare-metal guests, M-mode firmware before it
     * sets PMP): one test instead of a walk over every entry per TLB fill. */
    if (!(env->pmpcfg[0] | env->pmpcfg[1])) {
        return priv == PRV_M;
    }
    for (unsigned i = 0; i < PMP_ENTRIES; i++) {
        uint8_t cfg = env->pmpcfg[i / 8] >> (8 * (i % 8));
        uint64_t lo, hi;        /* inclusive bounds */
        switch ((cfg >> PMP_A_SHIFT) & 3) {
        case PMP_TOR:
            lo = i ? env->pmpaddr[i - 1] << 2 : 0;
            hi = env->pmpaddr[i] << 2;
            if (lo >= hi) {
                continue;
            }
            hi--;
            break;
        case PMP_NA4:
            lo = env->pmpaddr[i] << 2;
            hi = lo + 3;
            break;
        case PMP_NAPOT: {
            uint64_t a = env->pmpaddr[i];
            unsigned t = __builtin_ctzll(~a);   /* trailing ones; a < 2^54 */
            lo = (a & ~((1ull << t) - 1)) << 2;
            hi = lo + (8ull << t) - 1;
            break;
        }
        default:
            continue;
        }
        if (last < lo || addr > hi) {
            continue;
        }
        if (addr < lo || last > hi) {
            return false;       /* partial match */
        }
        if (priv == PRV_M && !(cfg & PMP_L)) {
            return true;
        }
        return (cfg & need[access]) != 0;
    }
    return priv == PRV_M;
}

/* ---- page walk ---- */

/* Translates vaddr for `access` in MMU context idx. With `debug`, only
 * validity matters: no permission checks and no A/D updates. */
static int mmu_walk(RISCVCPU *cpu, uint64_t vaddr, MMUAccess access, int idx,
                    bool debug, MMUResult *res)
{
    CPURISCVState *env = &cpu->env;
    unsigned priv = mmu_idx_priv(idx);
    unsigned mode = env->satp >> 60;
    unsigned levels;

    if (priv == PRV_M || mode == 0) {
        res->paddr = vaddr;
        res->can_read = res->can_write = res->can_exec = true;
        return EXCP_NONE;
    }
    levels = mode == 8 ? 3 : 4;
    /* The unused upper bits must copy the top bit of the virtual address. */
    unsigned va_bits = 12 + 9 * levels;
    int64_t ext = (int64_t)(vaddr << (64 - va_bits)) >> (64 - va_bits);
    if ((uint64_t)ext != vaddr) {
        return mmu_page_fault[access];
    }

    uint64_t table = (env->satp & SATP_PPN_MASK) << PAGE_BITS;
    for (int level = levels - 1; level >= 0; level--) {
        unsigned shift = PAGE_BITS + 9 * level;
        uint64_t pte_addr = table + ((vaddr >> shift) & 511) * 8;
        uint64_t pte;
        MemoryRegion *r = memory_find(cpu->mem, pte_addr);
        /* Page tables live in RAM or ROM; implicit accesses are S-mode for PMP. */
        if (!r || r->kind == MR_MMIO ||
            !pmp_check(env, pte_addr, 8, MMU_READ, PRV_S) ||
            !memory_read(cpu->mem, pte_addr, 8, &pte)) {
            return mmu_access_fault[access];
        }
        if (!(pte & PTE_V) || (!(pte & PTE_R) && (pte & PTE_W)) || (pte & PTE_RESERVED)) {
            return mmu_page_fault[access];
        }
        uint64_t ppn = (pte >> PTE_PPN_SHIFT) & PTE_PPN_MASK;
        if (!(pte & (PTE_R | PTE_X))) {
            table = ppn << PAGE_BITS;
            continue;
        }
        /* A superpage's physical base must be aligned to its size. */
        if (ppn & ((1ull << (9 * level)) - 1)) {
            return mmu_page_fault[access];
        }
        uint64_t page_mask = (1ull << shift) - 1;
        res->paddr = ((ppn << PAGE_BITS) & ~page_mask) | (vaddr & page_mask);
        if (debug) {
            return EXCP_NONE;
        }

        bool mxr = (env->mstatus & MSTATUS_MXR) != 0;
        bool u_ok;
        if (priv == PRV_U) {
            u_ok = (pte & PTE_U) != 0;
        } else {
            u_ok = !(pte & PTE_U) || idx == MMU_IDX_S_SUM;
        }
        bool r_ok = u_ok && ((pte & PTE_R) || (mxr && (pte & PTE_X)));
        bool w_ok = u_ok && (pte & PTE_W);
        /* S-mode never executes user pages, whatever SUM says. */
        bool x_ok = (pte & PTE_X) && (priv == PRV_U ? (pte & PTE_U) : !(pte & PTE_U));
        bool ok = access == MMU_READ ? r_ok : access == MMU_WRITE ? w_ok : x_ok;
        if (!ok) {
            return mmu_page_fault[access];
        }
        uint64_t npte = pte | PTE_A | (access == MMU_WRITE ? PTE_D : 0);
        if (npte != pte) {
            /* Hardware A/D update: a store to the PTE, so PMP must allow it
             * and the memory layer's dirty/code bookkeeping must see it. */
            if (r->kind != MR_RAM || !pmp_check(env, pte_addr, 8, MMU_WRITE, PRV_S) ||
                !memory_write(cpu->mem, pte_addr, 8, npte)) {
                return mmu_access_fault[access];
            }
            pte = npte;
        }
        res->can_read = r_ok;
        res->can_write = w_ok && (pte & PTE_D);
        res->can_exec = x_ok;
        return EXCP_NONE;
    }
    return mmu_page_fault[access];
}

/* ---- TLB ---- */

static void tlb_fill(RISCVCPU *cpu, int idx, uint64_t vaddr, const MMUResult *res)
{
    CPURISCVState *env = &cpu->env;
    uint64_t vpage = vaddr & PAGE_MASK;
    uint64_t ppage = res->paddr & PAGE_MASK;
    TLBEntry *e = &cpu->tlb[idx][(vaddr >> PAGE_BITS) & (TLB_SIZE - 1)];
    unsigned priv = mmu_idx_priv(idx);
    bool is_rom = false;

    e->tag_read = e->tag_write = e->tag_exec = TLB_INVALID;
    uint8_t *host = memory_page_host(cpu->mem, ppage, &is_rom);
    if (!host) {
        return;                 /* MMIO or nothing: always the slow path */
    }
    e->addend = (uintptr_t)host - (uintptr_t)vpage;
    e->paddr = ppage;
    /* An armed load/store trigger sees every access in the slow path. */
    bool data_fast = !(cpu->trigger_armed & TRIGGER_ARMED_MEM) && !cpu->dbg_watch;
    if (data_fast && res->can_read && pmp_check(env, ppage, PAGE_SIZE, MMU_READ, priv)) {
        e->tag_read = vpage;
    }
    if (data_fast && res->can_write && !is_rom && memory_page_write_fast(cpu->mem, ppage) &&
        pmp_check(env, ppage, PAGE_SIZE, MMU_WRITE, priv)) {
        e->tag_write = vpage;
    }
    if (res->can_exec && pmp_check(env, ppage, PAGE_SIZE, MMU_FETCH, priv)) {
        e->tag_exec = vpage;
    }
}

/* -d mmu: QEMU's riscv_cpu_tlb_fill lines for a failed translation (Amber
 * logs failures only; QEMU also logs every successful fill). ret is QEMU's
 * TRANSLATE_FAIL (1) for a page fault, TRANSLATE_PMP_FAIL (2) for an access
 * fault (PMP, or page tables outside memory). */
static __attribute__((noinline)) void
mmu_log_fault(RISCVCPU *cpu, uint64_t vaddr, MMUAccess access, int idx, int cause,
              int ret, uint64_t paddr)
{
    log_printf(cpu->log, "riscv_cpu_tlb_fill ad %llx rw %d mmu_idx %d\n"
               "riscv_cpu_tlb_fill address=%llx ret %d physical 0x%016llx prot 0 "
               "(satp %016llx, cause %d)\n",
               (unsigned long long)vaddr, (int)access, idx, (unsigned long long)vaddr, ret,
               (unsigned long long)paddr, (unsigned long long)cpu->env.satp, cause);
}

/* -d guest_errors: a CPU access no region accepted, in the words of QEMU's
 * memory_region_access_valid. */
static __attribute__((noinline)) void
mmu_log_bad_access(RISCVCPU *cpu, uint64_t paddr, unsigned size, bool is_write)
{
    MemoryRegion *r = memory_find(cpu->mem, paddr);
    const char *why = !r ? "unassigned" : (is_write && r->kind == MR_ROM) ? "read-only"
                                                                          : "rejected";
    log_printf(cpu->log, "Invalid %s at addr 0x%llX, size %u, region '%s', reason: %s\n",
               is_write ? "write" : "read", (unsigned long long)paddr, size,
               r && r->name ? r->name : "(none)", why);
}

/* Translation plus PMP for len bytes inside one page; fills the TLB. */
static int mmu_translate(RISCVCPU *cpu, uint64_t vaddr, unsigned len, MMUAccess access,
                         int idx, uint64_t *paddr)
{
    MMUResult res;
    cpu->stats.tlb_misses++;
    int r = mmu_walk(cpu, vaddr, access, idx, false, &res);
    if (r != EXCP_NONE) {
        if (log_enabled(cpu->log, LOG_MMU)) {
            mmu_log_fault(cpu, vaddr, access, idx, r, r == mmu_access_fault[access] ? 2 : 1, 0);
        }
        return r;
    }
    if (!pmp_check(&cpu->env, res.paddr, len, access, mmu_idx_priv(idx))) {
        if (log_enabled(cpu->log, LOG_MMU)) {
            mmu_log_fault(cpu, vaddr, access, idx, mmu_access_fault[access], 2, res.paddr);
        }
        return mmu_access_fault[access];
    }
    tlb_fill(cpu, idx, vaddr, &res);
    *paddr = res.paddr;
    return EXCP_NONE;
}

/* ---- physical access ---- */

static bool mmu_is_mmio(RISCVCPU *cpu, uint64_t paddr)
{
    if (memory_in_ram(cpu->mem, paddr, 1) &&
        !(cpu->mem->page_flags[(paddr - cpu->mem->ram->base) >> PAGE_BITS] & MEM_PAGE_IO)) {
        return false;
    }
    MemoryRegion *r = memory_find(cpu->mem, paddr);
    return r && r->kind == MR_MMIO;
}

bool riscv_phys_read(RISCVCPU *cpu, uint64_t paddr, unsigned size, uint64_t *val)
{
    if (mmu_is_mmio(cpu, paddr)) {
        cpu->stats.mmio_accesses++;
    }
    if (!memory_read(cpu->mem, paddr, size, val)) {
        if (log_enabled(cpu->log, LOG_GUEST_ERROR)) {
            mmu_log_bad_access(cpu, paddr, size, false);
        }
        return false;
    }
    return true;
}

bool riscv_phys_write(RISCVCPU *cpu, uint64_t paddr, unsigned size, uint64_t val)
{
    if (mmu_is_mmio(cpu, paddr)) {
        cpu->stats.mmio_accesses++;
    }
    if (!memory_write(cpu->mem, paddr, size, val)) {
        if (log_enabled(cpu->log, LOG_GUEST_ERROR)) {
            mmu_log_bad_access(cpu, paddr, size, true);
        }
        return false;
    }
    return true;
}

/* ---- slow-path loads and stores ---- */

/* Splits an access into at most two page-local parts and translates both
 * before any byte moves, so a fault on the second page leaves memory alone. */
static int mmu_translate_parts(RISCVCPU *cpu, uint64_t vaddr, unsigned size, MMUAccess access,
                               uint64_t pa[2], unsigned len[2], uint64_t *tval)
{
    int idx = cpu->mmu_idx_data;
    unsigned first = PAGE_SIZE - (vaddr & (PAGE_SIZE - 1));
    len[0] = first < size ? first : size;
    len[1] = size - len[0];
    for (int i = 0; i < 2 && len[i]; i++) {
        uint64_t va = i ? (vaddr & PAGE_MASK) + PAGE_SIZE : vaddr;
        int r = mmu_translate(cpu, va, len[i], access, idx, &pa[i]);
        if (r != EXCP_NONE) {
            *tval = i ? va : vaddr;
            return r;
        }
    }
    return EXCP_NONE;
}

int riscv_load_slow(RISCVCPU *cpu, uint64_t vaddr, unsigned size, uint64_t *val,
                    uint64_t *tval)
{
    uint64_t pa[2];
    unsigned len[2];
    if ((cpu->trigger_armed & TRIGGER_ARMED_MEM) &&
        riscv_trigger_mem_check(cpu, vaddr, size, TRIGGER_LOAD, tval) != EXCP_NONE) {
        return EXCP_BREAKPOINT;
    }
    if (cpu->dbg_watch && riscv_debug_watch_check(cpu, vaddr, size, CPU_WATCH_READ) != EXCP_NONE) {
        return EXCP_DEBUG;
    }
    int r = mmu_translate_parts(cpu, vaddr, size, MMU_READ, pa, len, tval);
    if (r != EXCP_NONE) {
        return r;
    }
    if ((vaddr & (size - 1)) == 0) {
        if (!riscv_phys_read(cpu, pa[0], size, val)) {
            *tval = vaddr;
            return EXCP_LOAD_ACCESS;
        }
        return EXCP_NONE;
    }
    /* Misaligned: byte by byte, little-endian. */
    uint64_t v = 0;
    for (unsigned i = 0; i < size; i++) {
        uint64_t b;
        uint64_t a = i < len[0] ? pa[0] + i : pa[1] + (i - len[0]);
        if (!riscv_phys_read(cpu, a, 1, &b)) {
            *tval = vaddr;
            return EXCP_LOAD_ACCESS;
        }
        v |= (b & 0xff) << (8 * i);
    }
    *val = v;
    return EXCP_NONE;
}

int riscv_store_slow(RISCVCPU *cpu, uint64_t vaddr, unsigned size, uint64_t val,
                     uint64_t *tval)
{
    uint64_t pa[2];
    unsigned len[2];
    if ((cpu->trigger_armed & TRIGGER_ARMED_MEM) &&
        riscv_trigger_mem_check(cpu, vaddr, size, TRIGGER_STORE, tval) != EXCP_NONE) {
        return EXCP_BREAKPOINT;
    }
    if (cpu->dbg_watch && riscv_debug_watch_check(cpu, vaddr, size, CPU_WATCH_WRITE) != EXCP_NONE) {
        return EXCP_DEBUG;
    }
    int r = mmu_translate_parts(cpu, vaddr, size, MMU_WRITE, pa, len, tval);
    if (r != EXCP_NONE) {
        return r;
    }
    if ((vaddr & (size - 1)) == 0) {
        if (!riscv_phys_write(cpu, pa[0], size, val)) {
            *tval = vaddr;
            return EXCP_STORE_ACCESS;
        }
        return EXCP_NONE;
    }
    /* Misaligned: refuse up front when a part is not writable memory, so
     * no byte is stored before the access fault. MMIO gets single bytes. */
    for (int i = 0; i < 2 && len[i]; i++) {
        MemoryRegion *reg = memory_find(cpu->mem, pa[i]);
        MemoryRegion *end = memory_find(cpu->mem, pa[i] + len[i] - 1);
        if (!reg || reg != end || reg->kind == MR_ROM) {
            *tval = vaddr;
            return EXCP_STORE_ACCESS;
        }
    }
    for (unsigned i = 0; i < size; i++) {
        uint64_t a = i < len[0] ? pa[0] + i : pa[1] + (i - len[0]);
        if (!riscv_phys_write(cpu, a, 1, (val >> (8 * i)) & 0xff)) {
            *tval = vaddr;
            return EXCP_STORE_ACCESS;
        }
    }
    return EXCP_NONE;
}

int riscv_translate_amo(RISCVCPU *cpu, uint64_t vaddr, unsigned size, bool is_lr,
                        uint64_t *paddr)
{
    uint64_t tval;
    /* An address breakpoint outranks misalignment and page faults. An AMO
     * both loads and stores; SC, which cannot be told apart here, matches
     * load triggers too. */
    if ((cpu->trigger_armed & TRIGGER_ARMED_MEM) &&
        riscv_trigger_mem_check(cpu, vaddr, size,
                                is_lr ? TRIGGER_LOAD : TRIGGER_LOAD | TRIGGER_STORE,
                                &tval) != EXCP_NONE) {
        return EXCP_BREAKPOINT;
    }
    if (cpu->dbg_watch &&
        riscv_debug_watch_check(cpu, vaddr, size,
                                is_lr ? CPU_WATCH_READ : CPU_WATCH_READ | CPU_WATCH_WRITE) != EXCP_NONE) {
        return EXCP_DEBUG;
    }
    if (vaddr & (size - 1)) {
        return is_lr ? EXCP_LOAD_MISALIGNED : EXCP_STORE_MISALIGNED;
    }
    int idx = cpu->mmu_idx_data;
    if (is_lr) {
        int r = mmu_translate(cpu, vaddr, size, MMU_READ, idx, paddr);
        if (r == EXCP_NONE && !memory_find(cpu->mem, *paddr)) {
            r = EXCP_LOAD_ACCESS;
        }
        return r;
    }
    /* An AMO reads too: PMP must grant both. */
    int r = mmu_translate(cpu, vaddr, size, MMU_WRITE, idx, paddr);
    if (r != EXCP_NONE) {
        return r;
    }
    MemoryRegion *reg = memory_find(cpu->mem, *paddr);
    if (!reg || reg->kind == MR_ROM ||
        !pmp_check(&cpu->env, *paddr, size, MMU_READ, mmu_idx_priv(idx))) {
        return EXCP_STORE_ACCESS;
    }
    return EXCP_NONE;
}

int riscv_translate_fetch(RISCVCPU *cpu, uint64_t vaddr, uint64_t *paddr,
                          uint8_t **page_host)
{
    /* The smallest instruction is two bytes (C), checked for PMP. */
    int r = mmu_translate(cpu, vaddr, 2, MMU_FETCH, cpu->mmu_idx_fetch, paddr);
    if (r != EXCP_NONE) {
        return r;
    }
    *page_host = memory_page_host(cpu->mem, *paddr, NULL);
    return EXCP_NONE;
}

/* ---- debugger ---- */

bool cpu_virt_to_phys_debug(RISCVCPU *cpu, uint64_t vaddr, uint64_t *paddr)
{
    MMUResult res;
    if (mmu_walk(cpu, vaddr, MMU_READ, cpu->mmu_idx_data, true, &res) != EXCP_NONE) {
        return false;
    }
    *paddr = res.paddr;
    return true;
}

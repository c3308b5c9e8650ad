/* Page walks, permissions, PMP, the TLB fill rules and the slow paths
 * (mmu.c), on page tables built in a real PhysMemory. */
#include "target/riscv/cpu-internal.h"
#include "tests/unit/unit.h"

#include <stdlib.h>
#include <string.h>

#define RAM_BASE 0x80000000ull
#define ROOT     0x80100000ull       /* Sv39 level 2 */
#define L1       0x80101000ull
#define L0       0x80102000ull
#define ROM_BASE 0x1000ull
#define MMIO_BASE 0x10000000ull

#define V (1ull << 0)
#define R (1ull << 1)
#define W (1ull << 2)
#define X (1ull << 3)
#define U (1ull << 4)
#define A (1ull << 6)
#define D (1ull << 7)

static PhysMemory mem;
static RISCVCPU *cpu;
static unsigned mmio_reads, mmio_writes;

static bool dev_read(void *opaque, uint64_t off, unsigned size, uint64_t *val)
{
    mmio_reads++;
    *val = 0x55 + off;
    return true;
}

static bool dev_write(void *opaque, uint64_t off, unsigned size, uint64_t val)
{
    mmio_writes++;
    return true;
}

static const MemoryRegionOps dev_ops = { .read = dev_read, .write = dev_write };

static void put64(uint64_t pa, uint64_t v)
{
    CU_ASSERT_FATAL(memory_rw(&mem, pa, &v, 8, true, false));
}

static uint64_t get64(uint64_t pa)
{
    uint64_t v = 0;
    CU_ASSERT(memory_rw(&mem, pa, &v, 8, false, false));
    return v;
}

static uint64_t pte(uint64_t pa, uint64_t flags)
{
    return ((pa >> 12) << 10) | flags;
}

static void set_priv(unsigned priv)
{
    cpu->env.priv = priv;
    riscv_update_mmu_idx(cpu);
}

static int wr(int csr, uint64_t v)
{
    return riscv_csr_access(cpu, csr, NULL, v, ~0ull, true);
}

/* PMP entry 0 granting everything to S/U. */
static void pmp_allow_all(void)
{
    CU_ASSERT_EQUAL(wr(CSR_PMPADDR0, (1ull << 54) - 1), EXCP_NONE);
    CU_ASSERT_EQUAL(wr(CSR_PMPCFG0, 0x1f), EXCP_NONE);
}

static void setup(void)
{
    mmio_reads = mmio_writes = 0;
    memory_init(&mem);
    CU_ASSERT_PTR_NOT_NULL_FATAL(memory_add_ram(&mem, "ram", RAM_BASE, 4 << 20));
    CU_ASSERT_PTR_NOT_NULL_FATAL(memory_add_rom(&mem, "rom", ROM_BASE, 0x1000));
    CU_ASSERT_PTR_NOT_NULL_FATAL(memory_add_mmio(&mem, "dev", MMIO_BASE, 0x1000, &dev_ops, NULL, 0));
    cpu = calloc(1, sizeof(*cpu));
    CU_ASSERT_PTR_NOT_NULL_FATAL(cpu);
    CU_ASSERT_FATAL(cpu_init(cpu, &mem, NULL));
    cpu_reset(cpu, RAM_BASE);

    /* Sv39 tables: root[0] -> L1, L1[0] -> L0 (4 KiB pages at 0x1000 * n). */
    put64(ROOT + 0 * 8, pte(L1, V));
    put64(L1 + 0 * 8, pte(L0, V));
    put64(L0 + 1 * 8, pte(0x80200000, V | R | W));                 /* no A/D yet */
    put64(L0 + 2 * 8, pte(0x80201000, V | R | W | U | A | D));     /* user */
    put64(L0 + 3 * 8, pte(0x80202000, V | X | A));                 /* execute-only */
    put64(L0 + 4 * 8, pte(0x80203000, V | R | W | X | A | D));
    put64(L0 + 5 * 8, pte(0x80204000, V | W | A | D));             /* W without R */
    /* 6: invalid */
    put64(L0 + 7 * 8, pte(0x80205000, V | R | W | A | D));         /* 8: invalid */
    put64(L0 + 9 * 8, pte(MMIO_BASE, V | R | W | X | A | D));
    put64(L0 + 10 * 8, pte(ROM_BASE, V | R | W | X | A | D));
    put64(L0 + 11 * 8, pte(0x40000000, V | R | W | A | D));        /* no memory there */
    put64(L0 + 12 * 8, pte(0x80206000, V | R | A));                /* read-only */
    put64(L1 + 1 * 8, pte(0x80200000, V | R | W | A | D));         /* 2 MiB at 0x200000 */
    put64(L1 + 2 * 8, pte(0x80201000, V | R | W | A | D));         /* misaligned superpage */
    put64(L1 + 3 * 8, pte(0x100000000000ull, V));                  /* table outside RAM */
    put64(ROOT + 1 * 8, pte(0x80000000, V | R | W | X | A | D));   /* 1 GiB at 0x40000000 */
}

static void enter_sv39_s(void)
{
    pmp_allow_all();
    CU_ASSERT_EQUAL(wr(CSR_SATP, (8ull << 60) | (ROOT >> 12)), EXCP_NONE);
    set_priv(PRV_S);
}

static void teardown(void)
{
    cpu_destroy(cpu);
    free(cpu);
    memory_destroy(&mem);
}

static TLBEntry *tlbe(int idx, uint64_t va)
{
    return &cpu->tlb[idx][(va >> PAGE_BITS) & (TLB_SIZE - 1)];
}

static int ld(uint64_t va, unsigned size, uint64_t *val, uint64_t *tval)
{
    return riscv_load_slow(cpu, va, size, val, tval);
}

static int st(uint64_t va, unsigned size, uint64_t val, uint64_t *tval)
{
    return riscv_store_slow(cpu, va, size, val, tval);
}

static void test_machine_physical(void)
{
    uint64_t v, tval;
    setup();
    CU_ASSERT_EQUAL(st(0x80300010, 8, 0x1122334455667788ull, &tval), EXCP_NONE);
    CU_ASSERT_EQUAL(ld(0x80300010, 4, &v, &tval), EXCP_NONE);
    CU_ASSERT_EQUAL(v, 0x55667788);
    TLBEntry *e = tlbe(MMU_IDX_M, 0x80300000);
    CU_ASSERT_EQUAL(e->tag_read, 0x80300000);
    CU_ASSERT_EQUAL(e->tag_write, 0x80300000);
    CU_ASSERT_EQUAL(e->paddr, 0x80300000);
    CU_ASSERT_EQUAL(*(uint32_t *)(uintptr_t)(0x80300010 + e->addend), 0x55667788);
    /* code on the page withdraws the fast write path and keeps it away */
    memory_set_code_page(&mem, 0x80300000);
    riscv_tlb_flush_phys_write(cpu, 0x80300000);
    CU_ASSERT_EQUAL(e->tag_write, TLB_INVALID);
    CU_ASSERT_EQUAL(e->tag_read, 0x80300000);
    CU_ASSERT_EQUAL(st(0x80300018, 8, 1, &tval), EXCP_NONE);
    CU_ASSERT_EQUAL(e->tag_write, TLB_INVALID);
    CU_ASSERT_EQUAL(get64(0x80300018), 1);
    /* dirty logging withdraws every fast write through the memory hook */
    uint64_t flushes = cpu->stats.tlb_flushes;
    CU_ASSERT_EQUAL(st(0x80310000, 8, 1, &tval), EXCP_NONE);
    CU_ASSERT_EQUAL(tlbe(MMU_IDX_M, 0x80310000)->tag_write, 0x80310000);
    memory_dirty_log_start(&mem, MEMORY_DIRTY_MIGRATION);
    CU_ASSERT_EQUAL(cpu->stats.tlb_flushes, flushes + 1);
    CU_ASSERT_EQUAL(tlbe(MMU_IDX_M, 0x80310000)->tag_write, TLB_INVALID);
    teardown();
}

static void test_pmp(void)
{
    uint64_t v, tval;
    setup();
    /* entries implemented but none configured: S/U fail, M succeeds */
    set_priv(PRV_S);
    CU_ASSERT_EQUAL(ld(0x80000000, 8, &v, &tval), EXCP_LOAD_ACCESS);
    CU_ASSERT_EQUAL(tval, 0x80000000);
    set_priv(PRV_M);
    CU_ASSERT_EQUAL(ld(0x80000000, 8, &v, &tval), EXCP_NONE);

    /* TOR [0x80000000, 0x80100000) read-only for S */
    wr(CSR_PMPADDR0, 0x80000000 >> 2);
    wr(CSR_PMPADDR0 + 1, 0x80100000 >> 2);
    wr(CSR_PMPCFG0, 0x0900);
    set_priv(PRV_S);
    CU_ASSERT_EQUAL(ld(0x80000100, 8, &v, &tval), EXCP_NONE);
    CU_ASSERT_EQUAL(st(0x80000100, 8, 0, &tval), EXCP_STORE_ACCESS);
    CU_ASSERT_EQUAL(ld(0x80100000, 8, &v, &tval), EXCP_LOAD_ACCESS);
    CU_ASSERT_EQUAL(ld(0x800ffffc, 8, &v, &tval), EXCP_LOAD_ACCESS);   /* partly outside */
    uint64_t pa;
    uint8_t *host;
    CU_ASSERT_EQUAL(riscv_translate_fetch(cpu, 0x80000000, &pa, &host), EXCP_INSN_ACCESS);
    CU_ASSERT_EQUAL(tlbe(MMU_IDX_S, 0x80000000)->tag_read, 0x80000000);
    CU_ASSERT_EQUAL(tlbe(MMU_IDX_S, 0x80000000)->tag_write, TLB_INVALID);

    /* NA4 over the first word of a page: the page gets no fast path, but
     * the rest of the page is still decided by later entries */
    set_priv(PRV_M);
    wr(CSR_PMPADDR0 + 2, 0x80200000 >> 2);
    wr(CSR_PMPADDR0 + 3, (1ull << 54) - 1);
    wr(CSR_PMPCFG0, 0x1f100900);     /* 2: NA4 no access, 3: NAPOT all */
    set_priv(PRV_S);
    CU_ASSERT_EQUAL(ld(0x80200000, 4, &v, &tval), EXCP_LOAD_ACCESS);
    CU_ASSERT_EQUAL(ld(0x80200004, 4, &v, &tval), EXCP_NONE);
    CU_ASSERT_EQUAL(tlbe(MMU_IDX_S, 0x80200000)->tag_read, TLB_INVALID);
    CU_ASSERT_EQUAL(ld(0x80201000, 4, &v, &tval), EXCP_NONE);
    CU_ASSERT_EQUAL(tlbe(MMU_IDX_S, 0x80201000)->tag_read, 0x80201000);

    /* a locked entry binds M too */
    set_priv(PRV_M);
    CU_ASSERT_EQUAL(ld(0x80200000, 4, &v, &tval), EXCP_NONE);
    wr(CSR_PMPCFG0, 0x1f900900);
    CU_ASSERT_EQUAL(ld(0x80200000, 4, &v, &tval), EXCP_LOAD_ACCESS);
    CU_ASSERT_EQUAL(ld(0x80200004, 4, &v, &tval), EXCP_NONE);
    teardown();
}

static void test_sv39_ad_bits(void)
{
    uint64_t v, tval;
    setup();
    put64(0x80200008, 0xabcdef);
    enter_sv39_s();
    CU_ASSERT_EQUAL(cpu->mmu_idx_data, MMU_IDX_S);
    CU_ASSERT_EQUAL(ld(0x1008, 8, &v, &tval), EXCP_NONE);
    CU_ASSERT_EQUAL(v, 0xabcdef);
    uint64_t p = get64(L0 + 8);
    CU_ASSERT(p & A);
    CU_ASSERT_FALSE(p & D);
    TLBEntry *e = tlbe(MMU_IDX_S, 0x1000);
    CU_ASSERT_EQUAL(e->tag_read, 0x1000);
    CU_ASSERT_EQUAL(e->tag_write, TLB_INVALID);     /* D clear: stores go slow */
    CU_ASSERT_EQUAL(e->tag_exec, TLB_INVALID);
    CU_ASSERT_EQUAL(e->paddr, 0x80200000);
    CU_ASSERT_EQUAL(st(0x1010, 8, 7, &tval), EXCP_NONE);
    CU_ASSERT(get64(L0 + 8) & D);
    CU_ASSERT_EQUAL(get64(0x80200010), 7);
    CU_ASSERT_EQUAL(e->tag_write, 0x1000);
    /* a PTE write goes through memory_write: dirty logging sees it */
    CU_ASSERT(memory_page_dirty(&mem, MEMORY_DIRTY_MIGRATION, (L0 - RAM_BASE) >> PAGE_BITS));
    /* read-only page */
    CU_ASSERT_EQUAL(st(0xc000, 4, 1, &tval), EXCP_STORE_PAGE_FAULT);
    CU_ASSERT_EQUAL(tval, 0xc000);
    CU_ASSERT_EQUAL(ld(0xc000, 4, &v, &tval), EXCP_NONE);
    /* sfence.vma with an address drops just that page */
    CU_ASSERT_EQUAL(riscv_do_sfence_vma(cpu, 0x1234, true, 0, false), EXCP_NONE);
    CU_ASSERT_EQUAL(e->tag_read, TLB_INVALID);
    CU_ASSERT_EQUAL(tlbe(MMU_IDX_S, 0xc000)->tag_read, 0xc000);
    CU_ASSERT_EQUAL(riscv_do_sfence_vma(cpu, 0, false, 0, false), EXCP_NONE);
    CU_ASSERT_EQUAL(tlbe(MMU_IDX_S, 0xc000)->tag_read, TLB_INVALID);
    teardown();
}

static void test_user_sum_mxr(void)
{
    uint64_t v, tval, pa;
    uint8_t *host;
    setup();
    enter_sv39_s();
    CU_ASSERT_EQUAL(ld(0x2000, 8, &v, &tval), EXCP_LOAD_PAGE_FAULT);
    set_priv(PRV_M);
    wr(CSR_MSTATUS, MSTATUS_SUM);
    set_priv(PRV_S);
    CU_ASSERT_EQUAL(cpu->mmu_idx_data, MMU_IDX_S_SUM);
    CU_ASSERT_EQUAL(ld(0x2000, 8, &v, &tval), EXCP_NONE);
    CU_ASSERT_EQUAL(st(0x2000, 8, 1, &tval), EXCP_NONE);
    CU_ASSERT_EQUAL(tlbe(MMU_IDX_S_SUM, 0x2000)->tag_write, 0x2000);
    CU_ASSERT_EQUAL(tlbe(MMU_IDX_S, 0x2000)->tag_read, TLB_INVALID);
    /* S never executes user pages, SUM or not */
    CU_ASSERT_EQUAL(riscv_translate_fetch(cpu, 0x2000, &pa, &host), EXCP_INSN_PAGE_FAULT);

    /* U: user pages only */
    set_priv(PRV_U);
    CU_ASSERT_EQUAL(cpu->mmu_idx_data, MMU_IDX_U);
    CU_ASSERT_EQUAL(ld(0x2008, 8, &v, &tval), EXCP_NONE);
    CU_ASSERT_EQUAL(ld(0x4000, 8, &v, &tval), EXCP_LOAD_PAGE_FAULT);
    CU_ASSERT_EQUAL(riscv_translate_fetch(cpu, 0x4000, &pa, &host), EXCP_INSN_PAGE_FAULT);
    CU_ASSERT_EQUAL(riscv_translate_fetch(cpu, 0x2000, &pa, &host), EXCP_INSN_PAGE_FAULT);

    /* execute-only page: readable with MXR only */
    set_priv(PRV_S);
    CU_ASSERT_EQUAL(ld(0x3000, 8, &v, &tval), EXCP_LOAD_PAGE_FAULT);
    CU_ASSERT_EQUAL(riscv_translate_fetch(cpu, 0x3000, &pa, &host), EXCP_NONE);
    CU_ASSERT_EQUAL(pa, 0x80202000);
    CU_ASSERT_PTR_EQUAL(host, mem.ram->host + 0x202000);
    CU_ASSERT_EQUAL(tlbe(MMU_IDX_S, 0x3000)->tag_exec, 0x3000);
    CU_ASSERT_EQUAL(tlbe(MMU_IDX_S, 0x3000)->tag_read, TLB_INVALID);
    set_priv(PRV_M);
    wr(CSR_MSTATUS, MSTATUS_MXR);
    set_priv(PRV_S);
    CU_ASSERT_EQUAL(ld(0x3000, 8, &v, &tval), EXCP_NONE);
    CU_ASSERT_EQUAL(st(0x3000, 8, 0, &tval), EXCP_STORE_PAGE_FAULT);
    /* clearing MXR must not leave a readable cached entry behind */
    set_priv(PRV_M);
    wr(CSR_MSTATUS, 0);
    set_priv(PRV_S);
    CU_ASSERT_EQUAL(tlbe(MMU_IDX_S, 0x3000)->tag_read, TLB_INVALID);
    CU_ASSERT_EQUAL(ld(0x3000, 8, &v, &tval), EXCP_LOAD_PAGE_FAULT);

    /* MPRV: M loads and stores translated as S */
    set_priv(PRV_M);
    wr(CSR_MSTATUS, MSTATUS_MPRV | (1ull << 11));
    CU_ASSERT_EQUAL(ld(0x4000, 8, &v, &tval), EXCP_NONE);
    CU_ASSERT_EQUAL(ld(0x2000, 8, &v, &tval), EXCP_LOAD_PAGE_FAULT);
    CU_ASSERT_EQUAL(riscv_translate_fetch(cpu, 0x80000000, &pa, &host), EXCP_NONE);
    CU_ASSERT_EQUAL(pa, 0x80000000);
    teardown();
}

static void test_bad_ptes(void)
{
    uint64_t v, tval;
    setup();
    enter_sv39_s();
    CU_ASSERT_EQUAL(ld(0x5000, 8, &v, &tval), EXCP_LOAD_PAGE_FAULT);       /* W, no R */
    CU_ASSERT_EQUAL(st(0x6008, 8, 0, &tval), EXCP_STORE_PAGE_FAULT);      /* invalid */
    CU_ASSERT_EQUAL(tval, 0x6008);
    put64(L0 + 6 * 8, pte(0x80200000, V | R | A | (1ull << 61)));         /* PBMT bits */
    CU_ASSERT_EQUAL(ld(0x6000, 8, &v, &tval), EXCP_LOAD_PAGE_FAULT);
    put64(L0 + 13 * 8, pte(0x80200000, V));                                /* L0 non-leaf */
    CU_ASSERT_EQUAL(ld(0xd000, 8, &v, &tval), EXCP_LOAD_PAGE_FAULT);
    /* malformed tables: outside memory is an access fault, never a crash */
    CU_ASSERT_EQUAL(ld(0x600000, 8, &v, &tval), EXCP_LOAD_ACCESS);
    CU_ASSERT_EQUAL(ld(0xb000, 8, &v, &tval), EXCP_LOAD_ACCESS);
    CU_ASSERT_EQUAL(tval, 0xb000);
    /* non-canonical address */
    CU_ASSERT_EQUAL(ld(0x4000000000ull, 8, &v, &tval), EXCP_LOAD_PAGE_FAULT);
    CU_ASSERT_EQUAL(ld(0xffffffc000000000ull, 8, &v, &tval), EXCP_LOAD_PAGE_FAULT);
    set_priv(PRV_M);
    CU_ASSERT_EQUAL(wr(CSR_SATP, (8ull << 60) | ((1ull << 44) - 1)), EXCP_NONE);
    set_priv(PRV_S);
    CU_ASSERT_EQUAL(ld(0x1000, 8, &v, &tval), EXCP_LOAD_ACCESS);
    /* a table entry that points at a device is not walked */
    set_priv(PRV_M);
    CU_ASSERT_EQUAL(wr(CSR_SATP, (8ull << 60) | (MMIO_BASE >> 12)), EXCP_NONE);
    set_priv(PRV_S);
    CU_ASSERT_EQUAL(ld(0x1000, 8, &v, &tval), EXCP_LOAD_ACCESS);
    CU_ASSERT_EQUAL(mmio_reads, 0);
    teardown();
}

static void test_superpages(void)
{
    uint64_t v, tval, pa;
    setup();
    put64(0x80212340, 0x42);
    put64(0x80300000, 0x43);
    enter_sv39_s();
    CU_ASSERT_EQUAL(ld(0x212340, 8, &v, &tval), EXCP_NONE);
    CU_ASSERT_EQUAL(v, 0x42);
    TLBEntry *e = tlbe(MMU_IDX_S, 0x212000);
    CU_ASSERT_EQUAL(e->tag_read, 0x212000);      /* one 4 KiB piece */
    CU_ASSERT_EQUAL(e->paddr, 0x80212000);
    CU_ASSERT_EQUAL(tlbe(MMU_IDX_S, 0x213000)->tag_read, TLB_INVALID);
    CU_ASSERT_EQUAL(ld(0x40300000, 8, &v, &tval), EXCP_NONE);   /* 1 GiB page */
    CU_ASSERT_EQUAL(v, 0x43);
    CU_ASSERT(cpu_virt_to_phys_debug(cpu, 0x40300008, &pa));
    CU_ASSERT_EQUAL(pa, 0x80300008);
    /* superpage whose physical base is not aligned */
    CU_ASSERT_EQUAL(ld(0x400000, 8, &v, &tval), EXCP_LOAD_PAGE_FAULT);
    CU_ASSERT_EQUAL(st(0x400000, 8, 0, &tval), EXCP_STORE_PAGE_FAULT);
    teardown();
}

static void test_sv48(void)
{
    uint64_t v, tval;
    setup();
    /* one more level on top of the Sv39 root: va 0x8000000000 + x */
    uint64_t top = 0x80110000;
    put64(top + 1 * 8, pte(ROOT, V));
    put64(0x80203008, 0x77);
    pmp_allow_all();
    CU_ASSERT_EQUAL(wr(CSR_SATP, (9ull << 60) | (top >> 12)), EXCP_NONE);
    set_priv(PRV_S);
    CU_ASSERT_EQUAL(ld(0x8000004008ull, 8, &v, &tval), EXCP_NONE);  /* L0[4] */
    CU_ASSERT_EQUAL(v, 0x77);
    CU_ASSERT_EQUAL(ld(0x4008, 8, &v, &tval), EXCP_LOAD_PAGE_FAULT);  /* top[0] invalid */
    CU_ASSERT_EQUAL(ld(0x800000000000ull, 8, &v, &tval), EXCP_LOAD_PAGE_FAULT);
    teardown();
}

static void test_crossing_and_misaligned(void)
{
    uint64_t v, tval;
    setup();
    put64(0x80205ff8, 0x0807060504030201ull);
    enter_sv39_s();
    /* second page invalid: fault on it, and no byte of the store lands */
    CU_ASSERT_EQUAL(st(0x7ffc, 8, ~0ull, &tval), EXCP_STORE_PAGE_FAULT);
    CU_ASSERT_EQUAL(tval, 0x8000);
    CU_ASSERT_EQUAL(get64(0x80205ff8), 0x0807060504030201ull);
    CU_ASSERT_EQUAL(ld(0x7ffc, 8, &v, &tval), EXCP_LOAD_PAGE_FAULT);
    /* misaligned inside a page */
    CU_ASSERT_EQUAL(ld(0x7ff9, 4, &v, &tval), EXCP_NONE);
    CU_ASSERT_EQUAL(v, 0x05040302);
    CU_ASSERT_EQUAL(st(0x7ffb, 2, 0xaabb, &tval), EXCP_NONE);
    CU_ASSERT_EQUAL(get64(0x80205ff8), 0x080706aabb030201ull);
    /* crossing two mapped pages (0x3000 is X-only: use the 2 MiB mapping) */
    put64(0x80201ff8, 0x1122334455667788ull);
    put64(0x80202000, 0x99aabbccddeeff00ull);
    CU_ASSERT_EQUAL(ld(0x201ffc, 8, &v, &tval), EXCP_NONE);
    CU_ASSERT_EQUAL(v, 0xddeeff0011223344ull);
    CU_ASSERT_EQUAL(st(0x201ffe, 4, 0xcafef00d, &tval), EXCP_NONE);
    CU_ASSERT_EQUAL(get64(0x80201ff8), 0xf00d334455667788ull);
    CU_ASSERT_EQUAL(get64(0x80202000), 0x99aabbccddeecafeull);
    teardown();
}

static void test_mmio_rom_amo(void)
{
    uint64_t v, tval, pa;
    uint8_t *host;
    setup();
    enter_sv39_s();
    CU_ASSERT_EQUAL(ld(0x9004, 4, &v, &tval), EXCP_NONE);
    CU_ASSERT_EQUAL(v, 0x59);
    CU_ASSERT_EQUAL(st(0x9004, 4, 1, &tval), EXCP_NONE);
    CU_ASSERT_EQUAL(mmio_reads, 1);
    CU_ASSERT_EQUAL(mmio_writes, 1);
    CU_ASSERT_EQUAL(cpu->stats.mmio_accesses, 2);
    TLBEntry *e = tlbe(MMU_IDX_S, 0x9000);
    CU_ASSERT_EQUAL(e->tag_read, TLB_INVALID);
    CU_ASSERT_EQUAL(e->tag_write, TLB_INVALID);
    CU_ASSERT_EQUAL(riscv_translate_fetch(cpu, 0x9000, &pa, &host), EXCP_NONE);
    CU_ASSERT_PTR_NULL(host);

    /* ROM: readable with a fast path, writes are access faults */
    CU_ASSERT_EQUAL(ld(0xa000, 8, &v, &tval), EXCP_NONE);
    CU_ASSERT_EQUAL(tlbe(MMU_IDX_S, 0xa000)->tag_read, 0xa000);
    CU_ASSERT_EQUAL(tlbe(MMU_IDX_S, 0xa000)->tag_exec, 0xa000);
    CU_ASSERT_EQUAL(tlbe(MMU_IDX_S, 0xa000)->tag_write, TLB_INVALID);
    CU_ASSERT_EQUAL(st(0xa000, 8, 0, &tval), EXCP_STORE_ACCESS);
    CU_ASSERT_EQUAL(st(0xa003, 4, 0, &tval), EXCP_STORE_ACCESS);
    CU_ASSERT_EQUAL(tval, 0xa003);

    /* atomics */
    CU_ASSERT_EQUAL(riscv_translate_amo(cpu, 0x4004, 8, false, &pa), EXCP_STORE_MISALIGNED);
    CU_ASSERT_EQUAL(riscv_translate_amo(cpu, 0x4004, 8, true, &pa), EXCP_LOAD_MISALIGNED);
    CU_ASSERT_EQUAL(riscv_translate_amo(cpu, 0x4008, 8, false, &pa), EXCP_NONE);
    CU_ASSERT_EQUAL(pa, 0x80203008);
    CU_ASSERT(riscv_phys_write(cpu, pa, 8, 99));
    CU_ASSERT(riscv_phys_read(cpu, pa, 8, &v));
    CU_ASSERT_EQUAL(v, 99);
    CU_ASSERT_EQUAL(riscv_translate_amo(cpu, 0xc000, 4, true, &pa), EXCP_NONE);
    CU_ASSERT_EQUAL(riscv_translate_amo(cpu, 0xc000, 4, false, &pa), EXCP_STORE_PAGE_FAULT);
    CU_ASSERT_EQUAL(riscv_translate_amo(cpu, 0x6000, 4, true, &pa), EXCP_LOAD_PAGE_FAULT);
    CU_ASSERT_EQUAL(riscv_translate_amo(cpu, 0xa000, 4, false, &pa), EXCP_STORE_ACCESS);
    teardown();
}

static void test_debug_access(void)
{
    uint64_t pa;
    char buf[8] = "abcdefg";
    char back[8] = { 0 };
    setup();
    enter_sv39_s();
    CU_ASSERT(cpu_virt_to_phys_debug(cpu, 0x1234, &pa));
    CU_ASSERT_EQUAL(pa, 0x80200234);
    CU_ASSERT_FALSE(get64(L0 + 8) & A);          /* no side effects */
    CU_ASSERT(cpu_virt_to_phys_debug(cpu, 0x2000, &pa));   /* permissions ignored */
    CU_ASSERT_FALSE(cpu_virt_to_phys_debug(cpu, 0x6000, &pa));
    CU_ASSERT(cpu_memory_rw_debug(cpu, 0x1ffc, buf, 8, true));
    CU_ASSERT(cpu_memory_rw_debug(cpu, 0x1ffc, back, 8, false));
    CU_ASSERT_STRING_EQUAL(back, "abcdefg");
    CU_ASSERT_EQUAL(memcmp(mem.ram->host + 0x200ffc, "abcd", 4), 0);
    CU_ASSERT_EQUAL(memcmp(mem.ram->host + 0x201000, "efg", 4), 0);
    CU_ASSERT_FALSE(cpu_memory_rw_debug(cpu, 0x5ffc, back, 8, false) &&
                    cpu_memory_rw_debug(cpu, 0x9000, back, 4, false));
    CU_ASSERT_FALSE(cpu_memory_rw_debug(cpu, 0x6000, back, 4, false));
    teardown();
}

/* ---- info mem: cpu_mem_map ---- */

typedef struct MapRange {
    uint64_t va, pa, size;
    unsigned attr;
} MapRange;

static MapRange ranges[64];
static int nr_ranges, stop_after;

static bool collect(void *opaque, uint64_t va, uint64_t pa, uint64_t size, unsigned attr)
{
    if (nr_ranges < 64) {
        ranges[nr_ranges++] = (MapRange){ va, pa, size, attr };
    }
    return nr_ranges != stop_after;
}

static const MapRange *find_range(uint64_t va)
{
    for (int i = 0; i < nr_ranges; i++) {
        if (ranges[i].va == va) {
            return &ranges[i];
        }
    }
    return NULL;
}

static void test_mem_map(void)
{
    setup();
    nr_ranges = 0;
    stop_after = -1;
    CU_ASSERT_EQUAL(cpu_mem_map(cpu, collect, NULL, 1000000), 0);     /* Bare */
    CU_ASSERT_EQUAL(nr_ranges, 0);
    /* Three neighbouring pages with the same attributes merge into one. */
    for (int i = 0; i < 3; i++) {
        put64(L0 + (20 + i) * 8, pte(0x80210000 + i * 0x1000ull, V | R | W | A | D));
    }
    /* ... a fourth with other attributes does not. */
    put64(L0 + 23 * 8, pte(0x80213000, V | R | A));
    uint64_t before = get64(L0 + 1 * 8);
    enter_sv39_s();
    CU_ASSERT_EQUAL(cpu_mem_map(cpu, collect, NULL, 1000000), 1);
    const MapRange *r = find_range(0x14000);
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    CU_ASSERT_EQUAL(r->pa, 0x80210000);
    CU_ASSERT_EQUAL(r->size, 0x3000);
    CU_ASSERT_EQUAL(r->attr, V | R | W | A | D);
    r = find_range(0x17000);
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    CU_ASSERT_EQUAL(r->size, 0x1000);
    CU_ASSERT_EQUAL(r->attr, V | R | A);
    /* A 2 MiB page, the misaligned superpage as the PTE says, a 1 GiB page. */
    r = find_range(0x200000);
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    CU_ASSERT_EQUAL(r->pa, 0x80200000);
    CU_ASSERT_EQUAL(r->size, 0x200000);
    r = find_range(0x40000000);
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    CU_ASSERT_EQUAL(r->pa, 0x80000000);
    CU_ASSERT_EQUAL(r->size, 0x40000000);
    /* Invalid entries are not shown; ranges come in address order. */
    CU_ASSERT_PTR_NULL(find_range(0x6000));
    CU_ASSERT_PTR_NULL(find_range(0x8000));
    for (int i = 1; i < nr_ranges; i++) {
        CU_ASSERT(ranges[i].va >= ranges[i - 1].va + ranges[i - 1].size);
    }
    /* No side effects: the A/D-less PTE is unchanged, nothing faulted. */
    CU_ASSERT_EQUAL(get64(L0 + 1 * 8), before);
    /* The callback can stop the walk. */
    nr_ranges = 0;
    stop_after = 2;
    CU_ASSERT_EQUAL(cpu_mem_map(cpu, collect, NULL, 1000000), 1);
    CU_ASSERT_EQUAL(nr_ranges, 2);
    teardown();
}

static void test_mem_map_hostile(void)
{
    setup();
    /* Every root entry points to the root again as a table: 512^3 entries
     * to read in Sv39 unless the walk is bounded. */
    for (int i = 0; i < 512; i++) {
        put64(ROOT + i * 8, pte(ROOT, V));
    }
    enter_sv39_s();
    nr_ranges = 0;
    stop_after = -1;
    CU_ASSERT_EQUAL(cpu_mem_map(cpu, collect, NULL, 100000), 2);
    CU_ASSERT_EQUAL(nr_ranges, 0);
    /* A root table beyond memory maps nothing, without an error. */
    CU_ASSERT_EQUAL(wr(CSR_SATP, (8ull << 60) | (0x100000000000ull >> 12)), EXCP_NONE);
    CU_ASSERT_EQUAL(cpu_mem_map(cpu, collect, NULL, 100000), 1);
    CU_ASSERT_EQUAL(nr_ranges, 0);
    teardown();
}

static const UnitTest tests[] = {
    { "M-mode physical access and fast-path rules", test_machine_physical },
    { "PMP matching, priorities and locks", test_pmp },
    { "Sv39 walk, A/D updates, TLB tags", test_sv39_ad_bits },
    { "U/S permissions, SUM, MXR, MPRV", test_user_sum_mxr },
    { "invalid and malformed page tables", test_bad_ptes },
    { "info mem map: ranges, merging, no side effects", test_mem_map },
    { "info mem map: bounded on hostile tables", test_mem_map_hostile },
    { "superpages", test_superpages },
    { "Sv48", test_sv48 },
    { "page-crossing and misaligned accesses", test_crossing_and_misaligned },
    { "MMIO, ROM and atomics", test_mmio_rom_amo },
    { "debugger access", test_debug_access },
    { NULL, NULL },
};

int main(void)
{
    return unit_run("mmu", tests);
}

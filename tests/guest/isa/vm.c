/* isa-vm: Sv39 paging run from S and U mode with page faults taken in M
 * (or delegated to S): 4K / 2M / 1G pages, misaligned superpages, R/W/X
 * and U permissions, SUM, MXR, A/D bits updated by hardware (QEMU 7.2
 * behaviour), sfence.vma, MPRV, non-canonical addresses, satp mode
 * switching Bare / Sv39 / Sv48 (Sv48 checked only if satp accepts it). */
#include "test.h"
#include "strap.h"

#define PTE_V 1UL
#define PTE_R 2UL
#define PTE_W 4UL
#define PTE_X 8UL
#define PTE_U 16UL
#define PTE_G 32UL
#define PTE_A 64UL
#define PTE_D 128UL
#define PTE(pa, fl) ((((uint64_t)(pa)) >> 12) << 10 | (fl))
#define LEAF (PTE_V | PTE_A | PTE_D)

static uint64_t root[512] __attribute__((aligned(4096)));
static uint64_t l1[512] __attribute__((aligned(4096)));
static uint64_t l0[512] __attribute__((aligned(4096)));
static uint64_t root48[512] __attribute__((aligned(4096)));
static uint64_t pg[8][512] __attribute__((aligned(4096)));

#define VA_BASE 0x40000000UL
#define VA(i) (VA_BASE + (uint64_t)(i) * 4096)
#define VA_MEGA 0x40200000UL
#define VA_MEGA_BAD 0x40400000UL
#define PA_MEGA 0x80600000UL
#define VA_GIGA_RO 0xc0000000UL       /* 1G alias of RAM, read-only */
#define VA_USER 0x100000000UL         /* 1G alias of RAM, U=1 RWX */
#define VA_GIGA_BAD 0x140000000UL
#define SATP_SV39 (8UL << 60)
#define SATP_SV48 (9UL << 60)
#define USER(p) ((long (*)(long))((uintptr_t)(p) - RAM_BASE + VA_USER))

/* S-mode helpers (identity mapped) */
static long s_ld(long va)
{
    long v;
    __asm__ volatile("li %0, -1\n ld %0, 0(%1)" : "=&r"(v) : "r"(va) : "memory");
    return v;
}
static long s_sd(long va)
{
    __asm__ volatile("sd %0, 0(%0)" :: "r"(va) : "memory");
    return 0;
}
static long s_call(long va) { return ((long (*)(void))va)(); }
static long s_sfence_ld(long va)
{
    __asm__ volatile("sfence.vma" ::: "memory");
    return s_ld(va);
}
static long s_sfence_va_ld(long va)
{
    __asm__ volatile("sfence.vma %0, zero" :: "r"(va) : "memory");
    return s_ld(va);
}

/* snippets on their own page, run through the U alias (4-byte insns only) */
long u_ld(long), u_sd(long), u_ret(long), x_ret42(void);
__asm__(
    "   .section .text.page, \"ax\"\n"
    "   .balign 4096\n"
    "   .option push\n   .option norvc\n"
    "   .globl u_ld, u_sd, u_ret, x_ret42\n"
    "x_ret42:\n   li a0, 42\n   ret\n"
    "u_ld:\n   mv t0, a0\n   li a0, -1\n   ld a0, 0(t0)\n   li a7, 0x5a5a\n   ecall\n"
    "u_sd:\n   sd a0, 0(a0)\n   li a0, 0\n   li a7, 0x5a5a\n   ecall\n"
    "u_ret:\n   li a0, -2\n   li a7, 0x5a5a\n   ecall\n"
    "   .option pop\n   .text\n");

static void build_tables(void)
{
    memset(root, 0, sizeof root);
    memset(l1, 0, sizeof l1);
    memset(l0, 0, sizeof l0);
    root[1] = PTE(l1, PTE_V);
    root[2] = PTE(RAM_BASE, LEAF | PTE_R | PTE_W | PTE_X);            /* identity 1G */
    root[3] = PTE(RAM_BASE, LEAF | PTE_R);                            /* 1G read-only alias */
    root[4] = PTE(RAM_BASE, LEAF | PTE_R | PTE_W | PTE_X | PTE_U);    /* U alias */
    root[5] = PTE(RAM_BASE + 0x200000, LEAF | PTE_R);                 /* misaligned 1G */
    l1[0] = PTE(l0, PTE_V);
    l1[1] = PTE(PA_MEGA, LEAF | PTE_R | PTE_W);                       /* 2M page */
    l1[2] = PTE(PA_MEGA + 0x1000, LEAF | PTE_R);                      /* misaligned 2M */
    l0[0] = PTE(pg[0], LEAF | PTE_R | PTE_W);
    l0[1] = PTE(pg[1], LEAF | PTE_R);
    l0[2] = PTE(pg[2], LEAF | PTE_X);
    l0[3] = PTE(pg[3], PTE_V | PTE_R | PTE_W);                        /* A = D = 0 */
    l0[4] = 0;                                                        /* invalid */
    l0[5] = PTE(pg[5], LEAF | PTE_R | PTE_W | PTE_U);
    l0[6] = PTE(pg[6], LEAF | PTE_W);                                 /* W without R: reserved */
    l0[7] = PTE(pg[0], LEAF | PTE_R);
    l0[8] = PTE((uintptr_t)x_ret42 & ~0xfffUL, LEAF | PTE_X);         /* code page */
    l0[9] = PTE(pg[3], PTE_V | PTE_R | PTE_W | PTE_A);                /* A = 1, D = 0 */
    for (int i = 0; i < 8; i++)
        pg[i][0] = 0x1000 + i;
    *(volatile uint64_t *)(PA_MEGA + 0x1238) = 0xabcdef;
    __asm__ volatile("sfence.vma" ::: "memory");
}

#define FAULT(name, mode, fn, arg, cause, tv) do { trap_arm(); \
    run_lower(mode, fn, (long)(arg)); check_trap(name, cause, tv, 0); } while (0)

int main(void)
{
    test_start("isa-vm");
    pmp_open_all();
    build_tables();

    csr_write(satp, SATP_SV39 | ((uintptr_t)root >> 12));
    check_eq("satp Sv39 reads back", csr_read(satp), SATP_SV39 | ((uintptr_t)root >> 12));
    ok(1, "M mode unaffected by satp");

    /* 4K pages */
    check_eq("S load via 4K page", run_lower(MODE_S, s_ld, VA(0)), 0x1000);
    check_eq("S load via 4K page + offset", run_lower(MODE_S, s_ld, VA(0) + 8), 0);
    trap_arm();
    run_lower(MODE_S, s_sd, VA(0) + 16);
    check_no_trap("S store to RW page");
    check_eq("  ... store reached the physical page", pg[0][2], VA(0) + 16);
    check_eq("S load via R-only page", run_lower(MODE_S, s_ld, VA(1)), 0x1001);
    FAULT("S store to R-only page -> cause 15", MODE_S, s_sd, VA(1), 15, VA(1));
    FAULT("S load from X-only page -> cause 13", MODE_S, s_ld, VA(2), 13, VA(2));
    csr_set(mstatus, MSTATUS_MXR);
    check_eq("S load from X-only page with MXR", run_lower(MODE_S, s_ld, VA(2)), 0x1002);
    csr_clear(mstatus, MSTATUS_MXR);
    FAULT("S load from invalid PTE -> cause 13", MODE_S, s_ld, VA(4) + 0x10, 13, VA(4) + 0x10);
    FAULT("S store to invalid PTE -> cause 15", MODE_S, s_sd, VA(4), 15, VA(4));
    FAULT("S fetch from invalid PTE -> cause 12", MODE_S, s_call, VA(4), 12, VA(4));
    FAULT("S fetch from non-X page -> cause 12", MODE_S, s_call, VA(0), 12, VA(0));
    FAULT("PTE with W=1 R=0 -> load page fault", MODE_S, s_ld, VA(6), 13, VA(6));
    check_eq("S fetch from X page", run_lower(MODE_S, s_call, VA(8) + ((uintptr_t)x_ret42 & 0xfff)), 42);

    /* U bit and SUM */
    FAULT("S load from U page without SUM -> 13", MODE_S, s_ld, VA(5), 13, VA(5));
    csr_set(mstatus, MSTATUS_SUM);
    check_eq("S load from U page with SUM", run_lower(MODE_S, s_ld, VA(5)), 0x1005);
    FAULT("S fetch from U page even with SUM -> 12", MODE_S, s_call, (uintptr_t)USER(x_ret42), 12,
          (uintptr_t)USER(x_ret42));
    csr_clear(mstatus, MSTATUS_SUM);
    check_eq("U load from U page", run_lower(MODE_U, USER(u_ld), VA(5)), 0x1005);
    FAULT("U load from S page -> 13", MODE_U, USER(u_ld), VA(0), 13, VA(0));
    FAULT("U store to S page -> 15", MODE_U, USER(u_sd), VA(0), 15, VA(0));
    trap_arm();
    trap.resume = (uintptr_t)USER(u_ret);
    long r = run_lower(MODE_U, (long (*)(long))(VA(8) + ((uintptr_t)x_ret42 & 0xfff)), 0);
    check_trap("U fetch from S page -> 12", 12, VA(8) + ((uintptr_t)x_ret42 & 0xfff), 0);
    check_eq("  ... resumed in U", r, -2);

    /* superpages */
    check_eq("S load via 2M page", run_lower(MODE_S, s_ld, VA_MEGA + 0x1238), 0xabcdef);
    FAULT("misaligned 2M superpage -> 13", MODE_S, s_ld, VA_MEGA_BAD + 8, 13, VA_MEGA_BAD + 8);
    check_eq("S load via 1G page", run_lower(MODE_S, s_ld, VA_GIGA_RO + ((uintptr_t)&pg[1][0] - RAM_BASE)), 0x1001);
    FAULT("store to read-only 1G page -> 15", MODE_S, s_sd, VA_GIGA_RO + ((uintptr_t)&pg[7][0] - RAM_BASE), 15,
          VA_GIGA_RO + ((uintptr_t)&pg[7][0] - RAM_BASE));
    FAULT("misaligned 1G superpage -> 13", MODE_S, s_ld, VA_GIGA_BAD, 13, VA_GIGA_BAD);
    FAULT("non-canonical address -> 13", MODE_S, s_ld, 0x0000008000000000UL, 13, 0x0000008000000000UL);

    /* A/D bits: QEMU 7.2 sets them in hardware */
    trap_arm();
    r = run_lower(MODE_S, s_ld, VA(3));
    check_no_trap("load with A=0 does not fault (hardware A/D update)");
    check_eq("  ... value", r, 0x1003);
    ok(l0[3] & PTE_A, "  ... A bit set by hardware");
    ok(!(l0[3] & PTE_D), "  ... D bit still clear after a load");
    trap_arm();
    run_lower(MODE_S, s_sd, VA(3) + 8);
    check_no_trap("store with D=0 does not fault");
    ok(l0[3] & PTE_D, "  ... D bit set by hardware");
    trap_arm();
    run_lower(MODE_S, s_sd, VA(9) + 16);
    check_no_trap("store with A=1 D=0 (second mapping)");
    ok(l0[9] & PTE_D, "  ... D bit set on the second PTE");

    /* sfence.vma */
    check_eq("sfence: old mapping", run_lower(MODE_S, s_ld, VA(7)), 0x1000);
    l0[7] = PTE(pg[4], LEAF | PTE_R);
    check_eq("sfence.vma (all) sees the new PTE", run_lower(MODE_S, s_sfence_ld, VA(7)), 0x1004);
    l0[7] = PTE(pg[1], LEAF | PTE_R);
    check_eq("sfence.vma va sees the new PTE", run_lower(MODE_S, s_sfence_va_ld, VA(7)), 0x1001);
    l0[7] = 0;
    __asm__ volatile("sfence.vma" ::: "memory");
    FAULT("removed PTE faults after sfence.vma", MODE_S, s_ld, VA(7), 13, VA(7));

    /* MPRV: M-mode loads translated with MPP = S */
    {
        uint64_t v;
        csr_clear(mstatus, MSTATUS_MPP);
        csr_set(mstatus, 1UL << 11);
        csr_set(mstatus, MSTATUS_MPRV);
        v = *(volatile uint64_t *)VA(1);
        csr_clear(mstatus, MSTATUS_MPRV);
        check_eq("M load with MPRV=1 MPP=S is translated", v, 0x1001);
    }

    /* delegated page fault */
    s_setup();
    csr_write(medeleg, 1UL << 13);
    trap_arm();
    run_lower(MODE_S, s_ld, VA(4));
    csr_write(medeleg, 0);
    check_no_trap("delegated load page fault not seen by M");
    check_eq("  ... scause = 13", s_rec.cause, 13);
    check_eq("  ... stval = address", s_rec.tval, VA(4));

    /* satp modes */
    csr_write(satp, 0);
    check_eq("satp = Bare", csr_read(satp), 0);
    check_eq("Bare: S load of a physical address", run_lower(MODE_S, s_ld, (long)&pg[2][0]), 0x1002);
    csr_write(satp, SATP_SV39 | ((uintptr_t)root >> 12));
    __asm__ volatile("sfence.vma" ::: "memory");
    check_eq("back to Sv39", run_lower(MODE_S, s_ld, VA(1)), 0x1001);
    memset(root48, 0, sizeof root48);
    root48[0] = PTE(root, PTE_V);       /* VA < 512 GiB: level 3 index 0 -> the Sv39 tree */
    uint64_t before = csr_read(satp);
    csr_write(satp, SATP_SV48 | ((uintptr_t)root48 >> 12));
    __asm__ volatile("sfence.vma" ::: "memory");
    if ((csr_read(satp) >> 60) == 9) {
        check_eq("Sv48: translation through 4 levels", run_lower(MODE_S, s_ld, VA(1)), 0x1001);
        check_eq("Sv48: 1G page at level 1", run_lower(MODE_S, s_ld, VA_GIGA_RO + ((uintptr_t)&pg[5][0] - RAM_BASE)), 0x1005);
    } else {
        check_eq("Sv48 unsupported: satp write ignored", csr_read(satp), before);
        ok(1, "Sv48 unsupported (skipped translation check)");
    }
    csr_write(satp, SATP_SV39 | ((uintptr_t)root >> 12));
    before = csr_read(satp);
    csr_write(satp, (15UL << 60) | 0x1234);
    check_eq("satp with reserved mode 15: write ignored", csr_read(satp), before);
    csr_write(satp, 0);
    __asm__ volatile("sfence.vma" ::: "memory");
    return test_finish();
}

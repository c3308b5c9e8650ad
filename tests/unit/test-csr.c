/* CSR access rules, views and masks, and trap entry/return (csr.c, trap.c). */
#include "target/riscv/csr.h"
#include "tests/unit/unit.h"

#include <stdlib.h>
#include <string.h>

static PhysMemory mem;
static RISCVCPU *cpu;
static VirtClock clock;          /* the time CSR reads it: icount-driven */

static void setup(void)
{
    memory_init(&mem);
    CU_ASSERT_PTR_NOT_NULL_FATAL(memory_add_ram(&mem, "ram", 0x80000000, 1 << 20));
    cpu = calloc(1, sizeof(*cpu));
    CU_ASSERT_PTR_NOT_NULL_FATAL(cpu);
    CU_ASSERT_FATAL(cpu_init(cpu, &mem, NULL));
    clock_init(&clock, CLOCK_MODE_ICOUNT, 0, cpu_get_icount, cpu);
    cpu->clock = &clock;
    cpu_reset(cpu, 0x80000000);
}

static void teardown(void)
{
    cpu_destroy(cpu);
    free(cpu);
    memory_destroy(&mem);
}

static int rd(int csr, uint64_t *v)
{
    return riscv_csr_access(cpu, csr, v, 0, 0, false);
}

static uint64_t rdv(int csr)
{
    uint64_t v = 0xdeadbeef;
    CU_ASSERT_EQUAL(rd(csr, &v), EXCP_NONE);
    return v;
}

static int wr(int csr, uint64_t v)
{
    return riscv_csr_access(cpu, csr, NULL, v, ~0ull, true);
}

static void set_priv(unsigned priv)
{
    cpu->env.priv = priv;
    riscv_update_mmu_idx(cpu);
}

static void test_reset_and_ids(void)
{
    setup();
    CU_ASSERT_EQUAL(rdv(CSR_MISA), 0x800000000014112dull);
    CU_ASSERT_EQUAL(rdv(CSR_MSTATUS), 0xa00000000ull);
    CU_ASSERT_EQUAL(rdv(CSR_MVENDORID), 0);
    CU_ASSERT_EQUAL(rdv(CSR_MARCHID), 0);
    CU_ASSERT_EQUAL(rdv(CSR_MIMPID), 0);
    CU_ASSERT_EQUAL(rdv(CSR_MHARTID), 0);
    CU_ASSERT_EQUAL(rdv(0xf15), 0);
    CU_ASSERT_EQUAL(cpu->env.priv, PRV_M);
    CU_ASSERT_EQUAL(cpu->env.pc, 0x80000000);
    CU_ASSERT_EQUAL(cpu->mmu_idx_data, MMU_IDX_M);
    /* misa ignores writes */
    CU_ASSERT_EQUAL(wr(CSR_MISA, 0), EXCP_NONE);
    CU_ASSERT_EQUAL(rdv(CSR_MISA), 0x800000000014112dull);
    teardown();
}

static void test_illegal_numbers(void)
{
    /* What OpenSBI probes, and other unimplemented extensions. */
    static const int bad[] = {
        0x3c0, 0x3ef, 0xb01, 0xb20, 0x321, 0x322, 0xda0, 0xfb0, 0x30c, 0x004, 0x005,
        0x008, 0x3a1, 0x3a3, 0x600, 0x680, 0x7b0, 0x7a5, 0x34a, 0x15d, 0xc20, 0xc80,
        0x5a8, 0xb83, 0x7a8,
    };
    setup();
    for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        uint64_t v;
        CU_ASSERT_EQUAL(rd(bad[i], &v), EXCP_ILLEGAL_INSN);
        CU_ASSERT_EQUAL(wr(bad[i], 1), EXCP_ILLEGAL_INSN);
        CU_ASSERT_PTR_NULL(cpu_csr_name(bad[i]));
    }
    teardown();
}

static void test_privilege_and_readonly(void)
{
    uint64_t v;
    setup();
    /* read-only numbers trap on write even in M; reads are fine */
    CU_ASSERT_EQUAL(wr(CSR_MHARTID, 0), EXCP_ILLEGAL_INSN);
    CU_ASSERT_EQUAL(wr(CSR_CYCLE, 0), EXCP_ILLEGAL_INSN);
    CU_ASSERT_EQUAL(riscv_csr_access(cpu, CSR_MHARTID, &v, 0, 0, false), EXCP_NONE);
    set_priv(PRV_S);
    CU_ASSERT_EQUAL(rd(CSR_MSTATUS, &v), EXCP_ILLEGAL_INSN);
    CU_ASSERT_EQUAL(rd(CSR_PMPADDR0, &v), EXCP_ILLEGAL_INSN);
    CU_ASSERT_EQUAL(rd(CSR_SSTATUS, &v), EXCP_NONE);
    CU_ASSERT_EQUAL(wr(CSR_SSCRATCH, 42), EXCP_NONE);
    set_priv(PRV_U);
    CU_ASSERT_EQUAL(rd(CSR_SSTATUS, &v), EXCP_ILLEGAL_INSN);
    CU_ASSERT_EQUAL(rd(CSR_SSCRATCH, &v), EXCP_ILLEGAL_INSN);
    CU_ASSERT_EQUAL(cpu->env.sscratch, 42);
    teardown();
}

static void test_mstatus_sstatus(void)
{
    setup();
    CU_ASSERT_EQUAL(wr(CSR_MSTATUS, ~0ull), EXCP_NONE);
    uint64_t m = rdv(CSR_MSTATUS);
    /* FS is writable (misa has F) and SD follows it; XS stays 0, UXL/SXL
     * stay 2, UBE 0 */
    CU_ASSERT_EQUAL(m & (MSTATUS_FS | MSTATUS_SD), MSTATUS_FS | MSTATUS_SD);
    CU_ASSERT_EQUAL(m & (MSTATUS_XS | MSTATUS_UBE), 0);
    CU_ASSERT_EQUAL(m & (MSTATUS_UXL | MSTATUS_SXL), 0xa00000000ull);
    CU_ASSERT_EQUAL(m & MSTATUS_MPP, MSTATUS_MPP);
    CU_ASSERT(m & MSTATUS_MPRV && m & MSTATUS_TSR && m & MSTATUS_TVM && m & MSTATUS_TW);
    /* MPP=2 is reserved: the field keeps its value */
    CU_ASSERT_EQUAL(wr(CSR_MSTATUS, (m & ~MSTATUS_MPP) | (2ull << 11)), EXCP_NONE);
    CU_ASSERT_EQUAL(rdv(CSR_MSTATUS) & MSTATUS_MPP, MSTATUS_MPP);
    /* sstatus shows only S fields and writes only those */
    CU_ASSERT_EQUAL(wr(CSR_MSTATUS, 0), EXCP_NONE);
    CU_ASSERT_EQUAL(rdv(CSR_SSTATUS), 2ull << 32);
    CU_ASSERT_EQUAL(wr(CSR_SSTATUS, ~0ull), EXCP_NONE);
    CU_ASSERT_EQUAL(rdv(CSR_SSTATUS), (2ull << 32) | MSTATUS_SIE | MSTATUS_SPIE | MSTATUS_SPP |
                    MSTATUS_FS | MSTATUS_SD | MSTATUS_SUM | MSTATUS_MXR);
    CU_ASSERT_EQUAL(rdv(CSR_MSTATUS) & (MSTATUS_MIE | MSTATUS_MPP | MSTATUS_MPRV | MSTATUS_TVM), 0);
    teardown();
}

static void test_mprv_sum_mmu_idx(void)
{
    setup();
    cpu->translation_changed = false;
    CU_ASSERT_EQUAL(wr(CSR_MSTATUS, MSTATUS_MPRV | (1ull << 11)), EXCP_NONE);
    CU_ASSERT_EQUAL(cpu->mmu_idx_data, MMU_IDX_S);
    CU_ASSERT_EQUAL(cpu->mmu_idx_fetch, MMU_IDX_M);
    CU_ASSERT(cpu->translation_changed);
    CU_ASSERT_EQUAL(wr(CSR_MSTATUS, MSTATUS_MPRV | MSTATUS_SUM | (1ull << 11)), EXCP_NONE);
    CU_ASSERT_EQUAL(cpu->mmu_idx_data, MMU_IDX_S_SUM);
    CU_ASSERT_EQUAL(wr(CSR_MSTATUS, MSTATUS_MPRV), EXCP_NONE);
    CU_ASSERT_EQUAL(cpu->mmu_idx_data, MMU_IDX_U);
    CU_ASSERT_EQUAL(wr(CSR_MSTATUS, 0), EXCP_NONE);
    CU_ASSERT_EQUAL(cpu->mmu_idx_data, MMU_IDX_M);
    teardown();
}

static void test_deleg_masks(void)
{
    setup();
    CU_ASSERT_EQUAL(wr(CSR_MEDELEG, ~0ull), EXCP_NONE);
    CU_ASSERT_EQUAL(rdv(CSR_MEDELEG), 0xb3ffull);
    CU_ASSERT_EQUAL(rdv(CSR_MEDELEG) & (1ull << EXCP_ECALL_M), 0);
    CU_ASSERT_EQUAL(wr(CSR_MIDELEG, ~0ull), EXCP_NONE);
    CU_ASSERT_EQUAL(rdv(CSR_MIDELEG), 0x222);
    CU_ASSERT_EQUAL(wr(CSR_MIE, ~0ull), EXCP_NONE);
    CU_ASSERT_EQUAL(rdv(CSR_MIE), 0xaaa);
    teardown();
}

static void test_ie_ip_views(void)
{
    setup();
    /* M may write SSIP/STIP/SEIP only; M bits follow device lines */
    CU_ASSERT_EQUAL(wr(CSR_MIP, ~0ull), EXCP_NONE);
    CU_ASSERT_EQUAL(rdv(CSR_MIP), 0x222);
    cpu_irq_handler(cpu, IRQ_M_TIMER, 1);
    CU_ASSERT_EQUAL(rdv(CSR_MIP), 0x2a2);
    CU_ASSERT_EQUAL(wr(CSR_MIP, 0), EXCP_NONE);
    CU_ASSERT_EQUAL(rdv(CSR_MIP), 0x080);
    cpu_irq_handler(cpu, IRQ_M_TIMER, 0);
    CU_ASSERT_EQUAL(rdv(CSR_MIP), 0);

    /* sie/sip see only delegated bits; sip writes only SSIP */
    CU_ASSERT_EQUAL(wr(CSR_MIE, 0xaaa), EXCP_NONE);
    CU_ASSERT_EQUAL(rdv(CSR_SIE), 0);
    CU_ASSERT_EQUAL(wr(CSR_MIDELEG, 0x022), EXCP_NONE);
    CU_ASSERT_EQUAL(rdv(CSR_SIE), 0x022);
    CU_ASSERT_EQUAL(wr(CSR_SIE, 0), EXCP_NONE);
    CU_ASSERT_EQUAL(rdv(CSR_MIE), 0xa88);
    set_priv(PRV_S);
    CU_ASSERT_EQUAL(wr(CSR_SIP, ~0ull), EXCP_NONE);
    set_priv(PRV_M);
    CU_ASSERT_EQUAL(rdv(CSR_MIP), 0x002);
    CU_ASSERT_EQUAL(rdv(CSR_SIP), 0x002);
    CU_ASSERT_EQUAL(wr(CSR_MIP, 0x200), EXCP_NONE);
    CU_ASSERT_EQUAL(rdv(CSR_SIP), 0);       /* SEIP not delegated */
    teardown();
}

static void test_irq_wakes_executor(void)
{
    setup();
    cpu->icount_limit = 1000;
    cpu->env.halted = 1;
    cpu_irq_handler(cpu, IRQ_M_TIMER, 1);   /* not enabled: nothing */
    CU_ASSERT_EQUAL(cpu->icount_limit, 1000);
    CU_ASSERT_EQUAL(cpu->env.halted, 1);
    CU_ASSERT_EQUAL(wr(CSR_MIE, 1ull << IRQ_M_TIMER), EXCP_NONE);
    /* enabled in mie but MIE=0 in M: no need to leave the block */
    CU_ASSERT_EQUAL(cpu->icount_limit, 1000);
    CU_ASSERT_EQUAL(wr(CSR_MSTATUS, MSTATUS_MIE), EXCP_NONE);
    CU_ASSERT_EQUAL(cpu->icount_limit, 0);
    cpu->icount_limit = 1000;
    cpu_irq_handler(cpu, IRQ_M_EXT, 0);
    cpu_irq_handler(cpu, IRQ_M_TIMER, 1);
    CU_ASSERT_EQUAL(cpu->icount_limit, 0);
    CU_ASSERT_EQUAL(cpu->env.halted, 0);
    cpu_request_exit(cpu);
    CU_ASSERT_EQUAL(cpu->icount_limit, 0);
    teardown();
}

static void test_satp_tvm(void)
{
    uint64_t v;
    setup();
    uint64_t sv39 = (8ull << 60) | 0x80100;
    CU_ASSERT_EQUAL(wr(CSR_SATP, sv39), EXCP_NONE);
    CU_ASSERT_EQUAL(rdv(CSR_SATP), sv39);
    /* Sv57 and reserved modes leave satp unchanged */
    CU_ASSERT_EQUAL(wr(CSR_SATP, (10ull << 60) | 5), EXCP_NONE);
    CU_ASSERT_EQUAL(rdv(CSR_SATP), sv39);
    CU_ASSERT_EQUAL(wr(CSR_SATP, (1ull << 60) | 5), EXCP_NONE);
    CU_ASSERT_EQUAL(rdv(CSR_SATP), sv39);
    CU_ASSERT_EQUAL(wr(CSR_SATP, (9ull << 60) | 7), EXCP_NONE);
    CU_ASSERT_EQUAL(rdv(CSR_SATP), (9ull << 60) | 7);
    /* a satp change flushes the TLB */
    cpu->tlb[MMU_IDX_S][3].tag_read = 0x3000;
    CU_ASSERT_EQUAL(wr(CSR_SATP, 0), EXCP_NONE);
    CU_ASSERT_EQUAL(cpu->tlb[MMU_IDX_S][3].tag_read, TLB_INVALID);
    CU_ASSERT(cpu->translation_changed);
    CU_ASSERT_EQUAL(wr(CSR_MSTATUS, MSTATUS_TVM), EXCP_NONE);
    set_priv(PRV_S);
    CU_ASSERT_EQUAL(rd(CSR_SATP, &v), EXCP_ILLEGAL_INSN);
    CU_ASSERT_EQUAL(wr(CSR_SATP, sv39), EXCP_ILLEGAL_INSN);
    CU_ASSERT_EQUAL(riscv_do_sfence_vma(cpu, 0, false, 0, false), EXCP_ILLEGAL_INSN);
    set_priv(PRV_M);
    CU_ASSERT_EQUAL(wr(CSR_MSTATUS, 0), EXCP_NONE);
    set_priv(PRV_S);
    CU_ASSERT_EQUAL(wr(CSR_SATP, sv39), EXCP_NONE);
    CU_ASSERT_EQUAL(riscv_do_sfence_vma(cpu, 0, false, 0, false), EXCP_NONE);
    set_priv(PRV_U);
    CU_ASSERT_EQUAL(riscv_do_sfence_vma(cpu, 0, false, 0, false), EXCP_ILLEGAL_INSN);
    teardown();
}

static void test_epc_tvec(void)
{
    setup();
    CU_ASSERT_EQUAL(wr(CSR_MEPC, 0x80000003), EXCP_NONE);
    CU_ASSERT_EQUAL(rdv(CSR_MEPC), 0x80000002);
    CU_ASSERT_EQUAL(wr(CSR_SEPC, 0x1001), EXCP_NONE);
    CU_ASSERT_EQUAL(rdv(CSR_SEPC), 0x1000);
    CU_ASSERT_EQUAL(wr(CSR_MTVEC, 0x80000101), EXCP_NONE);
    CU_ASSERT_EQUAL(rdv(CSR_MTVEC), 0x80000101);
    CU_ASSERT_EQUAL(wr(CSR_MTVEC, 0x80000202), EXCP_NONE);    /* reserved mode */
    CU_ASSERT_EQUAL(rdv(CSR_MTVEC), 0x80000101);
    CU_ASSERT_EQUAL(wr(CSR_STVEC, 0x80000400), EXCP_NONE);
    CU_ASSERT_EQUAL(rdv(CSR_STVEC), 0x80000400);
    teardown();
}

static void test_counters(void)
{
    uint64_t v;
    setup();
    cpu->env.instret = 100;
    CU_ASSERT_EQUAL(rdv(CSR_MINSTRET), 100);
    CU_ASSERT_EQUAL(rdv(CSR_MCYCLE), 100);
    CU_ASSERT_EQUAL(wr(CSR_MINSTRET, 1000), EXCP_NONE);
    cpu->env.instret++;                     /* the csrw retires */
    CU_ASSERT_EQUAL(rdv(CSR_MINSTRET), 1000);
    CU_ASSERT_EQUAL(rdv(CSR_INSTRET), 1000);
    CU_ASSERT_EQUAL(wr(CSR_MCOUNTEREN, ~0ull), EXCP_NONE);
    CU_ASSERT_EQUAL(rdv(CSR_MCOUNTEREN), 0xffffffffull);   /* CY TM IR HPM3..31 */
    CU_ASSERT_EQUAL(wr(CSR_MCOUNTEREN, 1), EXCP_NONE);
    set_priv(PRV_S);
    CU_ASSERT_EQUAL(rd(CSR_CYCLE, &v), EXCP_NONE);
    CU_ASSERT_EQUAL(rd(CSR_TIME, &v), EXCP_ILLEGAL_INSN);
    CU_ASSERT_EQUAL(rd(CSR_INSTRET, &v), EXCP_ILLEGAL_INSN);
    CU_ASSERT_EQUAL(rd(CSR_MCYCLE, &v), EXCP_ILLEGAL_INSN);
    set_priv(PRV_U);
    CU_ASSERT_EQUAL(rd(CSR_CYCLE, &v), EXCP_ILLEGAL_INSN);
    cpu->env.scounteren = 1;
    CU_ASSERT_EQUAL(rd(CSR_CYCLE, &v), EXCP_NONE);
    set_priv(PRV_M);
    CU_ASSERT_EQUAL(rd(CSR_TIME, &v), EXCP_NONE);
    teardown();
}

/* mcountinhibit freezes minstret/mcycle where they are; clearing it lets
 * them count on from there. The writing csrw itself still counts. */
static void test_counter_inhibit(void)
{
    setup();
    cpu->env.instret = 500;
    CU_ASSERT_EQUAL(wr(CSR_MCOUNTINHIBIT, 0x4), EXCP_NONE);    /* IR */
    cpu->env.instret++;                     /* the csrw retires */
    CU_ASSERT_EQUAL(rdv(CSR_MCOUNTINHIBIT), 0x4);
    CU_ASSERT_EQUAL(rdv(CSR_MINSTRET), 501);
    cpu->env.instret += 1000;               /* instructions run: minstret stays */
    CU_ASSERT_EQUAL(rdv(CSR_MINSTRET), 501);
    CU_ASSERT_EQUAL(rdv(CSR_MCYCLE), 1501);  /* CY not inhibited */
    /* A write while inhibited sets the frozen value. */
    CU_ASSERT_EQUAL(wr(CSR_MINSTRET, 7000), EXCP_NONE);
    cpu->env.instret++;
    CU_ASSERT_EQUAL(rdv(CSR_MINSTRET), 7000);
    CU_ASSERT_EQUAL(wr(CSR_MCOUNTINHIBIT, 0x1), EXCP_NONE);    /* IR off, CY on */
    cpu->env.instret++;                     /* inhibited while it executed */
    CU_ASSERT_EQUAL(rdv(CSR_MINSTRET), 7000);
    uint64_t cy = rdv(CSR_MCYCLE);
    CU_ASSERT_EQUAL(cy, 1503);
    cpu->env.instret += 10;
    CU_ASSERT_EQUAL(rdv(CSR_MINSTRET), 7010);
    CU_ASSERT_EQUAL(rdv(CSR_MCYCLE), cy);
    CU_ASSERT_EQUAL(wr(CSR_MCOUNTINHIBIT, ~0ull), EXCP_NONE);  /* WARL: CY and IR only */
    CU_ASSERT_EQUAL(rdv(CSR_MCOUNTINHIBIT), 0x5);
    teardown();
}

/* Zihpm as QEMU shows it: counters 3..31 read 0 under the same gating as
 * cycle; the machine counters and event selectors are WARL zero. */
static void test_hpm_counters(void)
{
    uint64_t v;
    setup();
    CU_ASSERT_EQUAL(rdv(CSR_HPMCOUNTER3), 0);
    CU_ASSERT_EQUAL(rdv(CSR_HPMCOUNTER3 + 28), 0);          /* hpmcounter31 */
    CU_ASSERT_EQUAL(wr(CSR_HPMCOUNTER3, 1), EXCP_ILLEGAL_INSN);
    CU_ASSERT_EQUAL(wr(CSR_MHPMCOUNTER3, 5), EXCP_NONE);
    CU_ASSERT_EQUAL(rdv(CSR_MHPMCOUNTER3), 0);
    CU_ASSERT_EQUAL(wr(CSR_MHPMEVENT3 + 28, 7), EXCP_NONE);  /* mhpmevent31 */
    CU_ASSERT_EQUAL(rdv(CSR_MHPMEVENT3 + 28), 0);
    CU_ASSERT_EQUAL(cpu_csr_by_name("mhpmevent17"), 0x331);
    CU_ASSERT_STRING_EQUAL(cpu_csr_name(0xc1f), "hpmcounter31");
    CU_ASSERT_STRING_EQUAL(cpu_csr_name(0xb1f), "mhpmcounter31");
    CU_ASSERT_TRUE(cpu_csr_peek(cpu, CSR_HPMCOUNTER3 + 1, &v));
    /* S needs mcounteren's bit for the counter, U scounteren's too */
    set_priv(PRV_S);
    CU_ASSERT_EQUAL(rd(CSR_HPMCOUNTER3, &v), EXCP_ILLEGAL_INSN);
    CU_ASSERT_EQUAL(rd(CSR_MHPMCOUNTER3, &v), EXCP_ILLEGAL_INSN);
    cpu->env.mcounteren = 1ull << 3;
    CU_ASSERT_EQUAL(rd(CSR_HPMCOUNTER3, &v), EXCP_NONE);
    CU_ASSERT_EQUAL(v, 0);
    CU_ASSERT_EQUAL(rd(CSR_HPMCOUNTER3 + 1, &v), EXCP_ILLEGAL_INSN);
    set_priv(PRV_U);
    CU_ASSERT_EQUAL(rd(CSR_HPMCOUNTER3, &v), EXCP_ILLEGAL_INSN);
    cpu->env.scounteren = 1ull << 3;
    CU_ASSERT_EQUAL(rd(CSR_HPMCOUNTER3, &v), EXCP_NONE);
    cpu->env.mcounteren = 0;
    CU_ASSERT_EQUAL(rd(CSR_HPMCOUNTER3, &v), EXCP_ILLEGAL_INSN);
    set_priv(PRV_S);
    CU_ASSERT_EQUAL(wr(CSR_SCOUNTEREN, ~0ull), EXCP_NONE);
    CU_ASSERT_EQUAL(rdv(CSR_SCOUNTEREN), 0xffffffffull);
    teardown();
}

static void test_pmp_csrs(void)
{
    setup();
    CU_ASSERT_EQUAL(wr(CSR_PMPADDR0 + 15, ~0ull), EXCP_NONE);
    CU_ASSERT_EQUAL(rdv(CSR_PMPADDR0 + 15), (1ull << 54) - 1);
    /* W without R reads back without W; reserved bits 5-6 dropped */
    CU_ASSERT_EQUAL(wr(CSR_PMPCFG0, 0x62), EXCP_NONE);
    CU_ASSERT_EQUAL(rdv(CSR_PMPCFG0), 0);
    /* a locked entry ignores writes to itself and to its address */
    CU_ASSERT_EQUAL(wr(CSR_PMPADDR0 + 1, 0x1000), EXCP_NONE);
    CU_ASSERT_EQUAL(wr(CSR_PMPCFG0, 0x8b00), EXCP_NONE);   /* entry 1: L, TOR, R|W */
    CU_ASSERT_EQUAL(wr(CSR_PMPCFG0, 0), EXCP_NONE);
    CU_ASSERT_EQUAL(rdv(CSR_PMPCFG0), 0x8b00);
    CU_ASSERT_EQUAL(wr(CSR_PMPADDR0 + 1, 0x2000), EXCP_NONE);
    CU_ASSERT_EQUAL(rdv(CSR_PMPADDR0 + 1), 0x1000);
    CU_ASSERT_EQUAL(wr(CSR_PMPADDR0, 0x10), EXCP_NONE);     /* TOR bottom of a locked entry */
    CU_ASSERT_EQUAL(rdv(CSR_PMPADDR0), 0);
    CU_ASSERT_EQUAL(wr(CSR_PMPCFG0 + 2, 0x1f), EXCP_NONE);
    CU_ASSERT_EQUAL(rdv(CSR_PMPCFG0 + 2), 0x1f);
    teardown();
}

static void test_names(void)
{
    uint64_t v;
    CU_ASSERT_STRING_EQUAL(cpu_csr_name(CSR_MSTATUS), "mstatus");
    CU_ASSERT_STRING_EQUAL(cpu_csr_name(CSR_PMPADDR0 + 15), "pmpaddr15");
    CU_ASSERT_EQUAL(cpu_csr_by_name("satp"), CSR_SATP);
    CU_ASSERT_EQUAL(cpu_csr_by_name("MEPC"), CSR_MEPC);
    CU_ASSERT_EQUAL(cpu_csr_by_name("nosuch"), -1);
    setup();
    set_priv(PRV_U);
    CU_ASSERT(cpu_csr_peek(cpu, CSR_MSTATUS, &v));
    CU_ASSERT_EQUAL(v, 0xa00000000ull);
    CU_ASSERT(cpu_csr_peek(cpu, CSR_CYCLE, &v));
    CU_ASSERT_FALSE(cpu_csr_peek(cpu, 0x3c0, &v));
    teardown();
}

static void test_trap_delegation(void)
{
    setup();
    wr(CSR_MTVEC, 0x80001000);
    wr(CSR_STVEC, 0x80002000);
    wr(CSR_MEDELEG, 1ull << EXCP_ECALL_U | 1ull << EXCP_LOAD_PAGE_FAULT);
    wr(CSR_MSTATUS, MSTATUS_SIE | MSTATUS_MIE);

    /* U ecall, delegated: to S with SPP=U, SPIE=SIE, SIE=0 */
    set_priv(PRV_U);
    cpu->env.pc = 0x4000;
    riscv_raise_exception(cpu, EXCP_ECALL_U, 0);
    CU_ASSERT_EQUAL(cpu->env.priv, PRV_S);
    CU_ASSERT_EQUAL(cpu->env.pc, 0x80002000);
    CU_ASSERT_EQUAL(cpu->env.sepc, 0x4000);
    CU_ASSERT_EQUAL(cpu->env.scause, EXCP_ECALL_U);
    uint64_t s = cpu->env.mstatus;
    CU_ASSERT(s & MSTATUS_SPIE);
    CU_ASSERT_FALSE(s & (MSTATUS_SIE | MSTATUS_SPP));
    CU_ASSERT(s & MSTATUS_MIE);
    CU_ASSERT_EQUAL(cpu->mmu_idx_fetch, MMU_IDX_S);
    CU_ASSERT_EQUAL(cpu->stats.exceptions, 1);

    /* S ecall, not delegable: to M with MPP=S */
    cpu->env.pc = 0x80002010;
    riscv_raise_exception(cpu, EXCP_ECALL_S, 0);
    CU_ASSERT_EQUAL(cpu->env.priv, PRV_M);
    CU_ASSERT_EQUAL(cpu->env.pc, 0x80001000);
    CU_ASSERT_EQUAL(cpu->env.mepc, 0x80002010);
    CU_ASSERT_EQUAL(cpu->env.mcause, EXCP_ECALL_S);
    s = cpu->env.mstatus;
    CU_ASSERT_EQUAL((s & MSTATUS_MPP) >> 11, PRV_S);
    CU_ASSERT(s & MSTATUS_MPIE);
    CU_ASSERT_FALSE(s & MSTATUS_MIE);

    /* a delegated cause raised in M stays in M */
    riscv_raise_exception(cpu, EXCP_LOAD_PAGE_FAULT, 0x1234);
    CU_ASSERT_EQUAL(cpu->env.mtval, 0x1234);
    CU_ASSERT_EQUAL((cpu->env.mstatus & MSTATUS_MPP) >> 11, PRV_M);

    /* mret back to S with MPRV set: MPRV cleared, MIE restored from MPIE */
    cpu->env.mstatus = (cpu->env.mstatus & ~MSTATUS_MPP) | (1ull << 11) | MSTATUS_MPRV |
                       MSTATUS_MPIE;
    cpu->env.mepc = 0x80002014;
    CU_ASSERT_EQUAL(riscv_do_mret(cpu), EXCP_NONE);
    CU_ASSERT_EQUAL(cpu->env.priv, PRV_S);
    CU_ASSERT_EQUAL(cpu->env.pc, 0x80002014);
    s = cpu->env.mstatus;
    CU_ASSERT(s & MSTATUS_MIE);
    CU_ASSERT(s & MSTATUS_MPIE);
    CU_ASSERT_FALSE(s & (MSTATUS_MPRV | MSTATUS_MPP));

    /* sret back to U: SIE from SPIE, SPIE=1, SPP=U */
    cpu->env.sepc = 0x4004;
    CU_ASSERT_EQUAL(riscv_do_sret(cpu), EXCP_NONE);
    CU_ASSERT_EQUAL(cpu->env.priv, PRV_U);
    CU_ASSERT_EQUAL(cpu->env.pc, 0x4004);
    CU_ASSERT(cpu->env.mstatus & MSTATUS_SIE);
    CU_ASSERT(cpu->env.mstatus & MSTATUS_SPIE);
    CU_ASSERT_EQUAL(cpu->mmu_idx_data, MMU_IDX_U);

    /* returns from the wrong mode */
    CU_ASSERT_EQUAL(riscv_do_sret(cpu), EXCP_ILLEGAL_INSN);
    CU_ASSERT_EQUAL(riscv_do_mret(cpu), EXCP_ILLEGAL_INSN);
    set_priv(PRV_S);
    CU_ASSERT_EQUAL(riscv_do_mret(cpu), EXCP_ILLEGAL_INSN);
    cpu->env.mstatus |= MSTATUS_TSR;
    CU_ASSERT_EQUAL(riscv_do_sret(cpu), EXCP_ILLEGAL_INSN);
    CU_ASSERT_EQUAL(cpu->env.pc, 0x4004);
    teardown();
}

static void test_interrupts(void)
{
    setup();
    wr(CSR_MTVEC, 0x80001001);              /* vectored */
    wr(CSR_STVEC, 0x80002001);
    wr(CSR_MIE, 0xaaa);
    cpu->env.pc = 0x80000100;

    /* pending but MIE=0 in M: not taken, but wakes WFI */
    cpu->env.halted = 1;
    cpu_irq_handler(cpu, IRQ_M_TIMER, 1);
    cpu->env.halted = 1;
    CU_ASSERT_FALSE(riscv_check_interrupts(cpu));
    CU_ASSERT_EQUAL(cpu->env.halted, 0);

    /* priority: MEI before MTI; vectored target */
    cpu_irq_handler(cpu, IRQ_M_EXT, 1);
    wr(CSR_MSTATUS, MSTATUS_MIE);
    CU_ASSERT(riscv_check_interrupts(cpu));
    CU_ASSERT_EQUAL(cpu->env.mcause, (1ull << 63) | IRQ_M_EXT);
    CU_ASSERT_EQUAL(cpu->env.pc, 0x80001000 + 4 * IRQ_M_EXT);
    CU_ASSERT_EQUAL(cpu->env.mepc, 0x80000100);
    CU_ASSERT_EQUAL(cpu->stats.interrupts, 1);
    CU_ASSERT_FALSE(riscv_check_interrupts(cpu));     /* MIE now 0 */
    cpu_irq_handler(cpu, IRQ_M_EXT, 0);

    /* in S, M interrupts are taken regardless of MIE */
    cpu->env.mstatus = 2ull << 32 | 2ull << 34;
    set_priv(PRV_S);
    cpu->env.pc = 0x80200000;
    CU_ASSERT(riscv_check_interrupts(cpu));
    CU_ASSERT_EQUAL(cpu->env.mcause, (1ull << 63) | IRQ_M_TIMER);
    CU_ASSERT_EQUAL(cpu->env.priv, PRV_M);
    cpu_irq_handler(cpu, IRQ_M_TIMER, 0);

    /* delegated STI: not in M, not in S with SIE=0, taken from U */
    wr(CSR_MIDELEG, 0x222);
    wr(CSR_MIP, 1ull << IRQ_S_TIMER);
    wr(CSR_MSTATUS, MSTATUS_MIE);
    CU_ASSERT_FALSE(riscv_check_interrupts(cpu));
    set_priv(PRV_S);
    CU_ASSERT_FALSE(riscv_check_interrupts(cpu));
    set_priv(PRV_U);
    cpu->env.pc = 0x4000;
    CU_ASSERT(riscv_check_interrupts(cpu));
    CU_ASSERT_EQUAL(cpu->env.priv, PRV_S);
    CU_ASSERT_EQUAL(cpu->env.scause, (1ull << 63) | IRQ_S_TIMER);
    CU_ASSERT_EQUAL(cpu->env.pc, 0x80002000 + 4 * IRQ_S_TIMER);
    CU_ASSERT_EQUAL(cpu->env.sepc, 0x4000);
    /* SEI beats SSI beats STI */
    cpu->env.mip |= 0x222;
    cpu->env.mstatus |= MSTATUS_SIE;
    CU_ASSERT(riscv_check_interrupts(cpu));
    CU_ASSERT_EQUAL(cpu->env.scause, (1ull << 63) | IRQ_S_EXT);
    teardown();
}

static void test_wfi(void)
{
    setup();
    CU_ASSERT_EQUAL(riscv_do_wfi(cpu), EXCP_NONE);
    CU_ASSERT_EQUAL(cpu->env.halted, 1);
    cpu->env.halted = 0;
    wr(CSR_MIE, 1ull << IRQ_M_SOFT);
    cpu_irq_handler(cpu, IRQ_M_SOFT, 1);
    CU_ASSERT_EQUAL(riscv_do_wfi(cpu), EXCP_NONE);
    CU_ASSERT_EQUAL(cpu->env.halted, 0);   /* pending and enabled in mie: no halt */
    set_priv(PRV_U);
    CU_ASSERT_EQUAL(riscv_do_wfi(cpu), EXCP_ILLEGAL_INSN);
    set_priv(PRV_S);
    CU_ASSERT_EQUAL(riscv_do_wfi(cpu), EXCP_NONE);
    cpu->env.mstatus |= MSTATUS_TW;
    CU_ASSERT_EQUAL(riscv_do_wfi(cpu), EXCP_ILLEGAL_INSN);
    teardown();
}

static void test_reset_clears(void)
{
    setup();
    wr(CSR_MSCRATCH, 5);
    wr(CSR_SATP, 8ull << 60);
    cpu->env.gpr[5] = 7;
    cpu->env.load_res_valid = 1;
    cpu_irq_handler(cpu, IRQ_M_TIMER, 1);
    set_priv(PRV_U);
    cpu_reset(cpu, 0x1000);
    CU_ASSERT_EQUAL(cpu->env.mscratch, 0);
    CU_ASSERT_EQUAL(cpu->env.satp, 0);
    CU_ASSERT_EQUAL(cpu->env.gpr[5], 0);
    CU_ASSERT_EQUAL(cpu->env.load_res_valid, 0);
    CU_ASSERT_EQUAL(cpu->env.mip, 0);
    CU_ASSERT_EQUAL(cpu->env.priv, PRV_M);
    CU_ASSERT_EQUAL(cpu->env.pc, 0x1000);
    CU_ASSERT_EQUAL(cpu->mmu_idx_data, MMU_IDX_M);
    teardown();
}

static const UnitTest tests[] = {
    { "reset state and ids", test_reset_and_ids },
    { "unimplemented CSRs are illegal", test_illegal_numbers },
    { "privilege and read-only rules", test_privilege_and_readonly },
    { "mstatus and the sstatus view", test_mstatus_sstatus },
    { "MPRV/SUM select the MMU index", test_mprv_sum_mmu_idx },
    { "delegation and enable masks", test_deleg_masks },
    { "mip/mie and the sip/sie views", test_ie_ip_views },
    { "interrupt lines stop the executor", test_irq_wakes_executor },
    { "satp modes and TVM", test_satp_tvm },
    { "xepc and xtvec", test_epc_tvec },
    { "counters and counter enables", test_counters },
    { "mcountinhibit freezes counters", test_counter_inhibit },
    { "hpm counters: zero, gated", test_hpm_counters },
    { "pmpcfg/pmpaddr WARL and locks", test_pmp_csrs },
    { "names and peek", test_names },
    { "trap delegation, stacking and returns", test_trap_delegation },
    { "interrupt enables, priority, vectoring", test_interrupts },
    { "wfi", test_wfi },
    { "reset", test_reset_clears },
    { NULL, NULL },
};

int main(void)
{
    return unit_run("csr", tests);
}

/* isa-irq: interrupts.  CLINT machine timer (mtimecmp) and software (msip)
 * interrupts, mip/mie, WFI wake-up (with and without MIE), priority,
 * vectored mtvec, interrupts preempting lower modes regardless of MIE,
 * mideleg delegation of SSIP/STIP to S mode, delegated interrupts taken in
 * U mode regardless of sstatus.SIE. */
#include "test.h"
#include "strap.h"

static volatile uint64_t vec_hit[2];
static volatile uint64_t order[4];
static volatile int norder;

void vec_table(void);
__asm__(
    "   .text\n"
    "   .balign 256\n"
    "   .option push\n   .option norvc\n"
    "vec_table:\n"
    "   j trap_entry\n"          /* 0: exceptions */
    "   j vec_other\n   j vec_other\n   j vec_other\n   j vec_other\n"
    "   j vec_other\n   j vec_other\n"
    "   j vec_mti\n"             /* 7 */
    "   j vec_other\n   j vec_other\n   j vec_other\n   j vec_other\n"
    "   .option pop\n"
    "vec_mti:\n"
    "   csrw sscratch, t0\n   la t0, vec_hit\n   sd t0, 0(t0)\n"
    "   csrr t0, sscratch\n   j trap_entry\n"
    "vec_other:\n"
    "   csrw sscratch, t0\n   la t0, vec_hit\n   sd t0, 8(t0)\n"
    "   csrr t0, sscratch\n   j trap_entry\n");

static void record_hook(uint64_t cause, struct trap_frame *f)
{
    (void)f;
    uint64_t c = cause & 63;
    if (norder < 4)
        order[norder++] = cause;
    if (c == 7)
        set_mtimecmp(~0UL);
    else if (c == 3)
        MMIO32(CLINT_MSIP) = 0;
}

static long f_s_enable(long bits)
{
    csr_set(sie, bits);
    csr_set(sstatus, MSTATUS_SIE);
    for (volatile int i = 0; i < 100; i++)
        ;
    csr_clear(sstatus, MSTATUS_SIE);
    csr_clear(sie, bits);
    return 0;
}
static long f_spin(long n)
{
    for (volatile long i = 0; i < n; i++)
        ;
    return n;
}
static long f_s_pending_sie0(long a)
{
    (void)a;
    csr_set(sie, MIP_SSIP);      /* SIE stays 0: must not be taken */
    for (volatile int i = 0; i < 100; i++)
        ;
    long pending = (long)(csr_read(sip) & MIP_SSIP);
    csr_clear(sip, MIP_SSIP);
    csr_clear(sie, MIP_SSIP);
    return pending;
}

static void wait_irq(int before, uint64_t limit)
{
    uint64_t start = mtime();
    while (irq.count == before && mtime() - start < limit)
        __asm__ volatile("wfi");
}

int main(void)
{
    test_start("isa-irq");
    pmp_open_all();
    set_mtimecmp(~0UL);
    csr_write(mie, 0);

    /* --- mip reflects the CLINT lines --- */
    set_mtimecmp(0);
    ok(csr_read(mip) & MIP_MTIP, "mip.MTIP set when mtime >= mtimecmp");
    set_mtimecmp(~0UL);
    ok(!(csr_read(mip) & MIP_MTIP), "mip.MTIP clear after mtimecmp = max");
    MMIO32(CLINT_MSIP) = 1;
    ok(csr_read(mip) & MIP_MSIP, "mip.MSIP set by CLINT msip");
    check_eq("msip reads back 1", MMIO32(CLINT_MSIP), 1);
    MMIO32(CLINT_MSIP) = 0;
    ok(!(csr_read(mip) & MIP_MSIP), "mip.MSIP clear after msip = 0");
    {
        uint64_t a = mtime();
        for (volatile int i = 0; i < 10000; i++)
            ;
        ok(mtime() > a, "mtime advances");
        MMIO64(CLINT_MTIMECMP) = 0x1122334455667788ULL;
        check_eq("mtimecmp 64-bit read/write", MMIO64(CLINT_MTIMECMP), 0x1122334455667788ULL);
        MMIO32(CLINT_MTIMECMP) = 0xffffffff;
        MMIO32(CLINT_MTIMECMP + 4) = 0xffffffff;
        check_eq("mtimecmp 32-bit halves", MMIO64(CLINT_MTIMECMP), ~0UL);
    }

    /* --- machine timer interrupt via WFI --- */
    int c = irq.count;
    csr_write(mie, MIP_MTIP);
    set_mtimecmp(mtime() + 2000);
    csr_set(mstatus, MSTATUS_MIE);
    wait_irq(c, 50000000);
    csr_clear(mstatus, MSTATUS_MIE);
    check_eq("timer interrupt taken once", irq.count - c, 1);
    check_eq("mcause = interrupt 7 (MTI)", irq.cause, CAUSE_IRQ | 7);
    check_eq("trap from M with MIE: MPIE=1 MPP=M", irq.mstatus & (MSTATUS_MPIE | MSTATUS_MPP), MSTATUS_MPIE | MSTATUS_MPP);
    ok(irq.epc >= 0x80000000UL && irq.epc < 0x80100000UL, "mepc points into code");

    /* WFI wakes on a pending enabled interrupt even with MIE = 0 */
    c = irq.count;
    set_mtimecmp(mtime() + 2000);
    uint64_t t0 = mtime();
    while (!(csr_read(mip) & MIP_MTIP) && mtime() - t0 < 50000000)
        __asm__ volatile("wfi");
    ok(csr_read(mip) & MIP_MTIP, "wfi with MIE=0 returns when MTIP pending");
    check_eq("no handler while MIE=0", irq.count - c, 0);
    /* enabling MIE now takes it */
    csr_set(mstatus, MSTATUS_MIE);
    __asm__ volatile("nop");
    csr_clear(mstatus, MSTATUS_MIE);
    check_eq("pending MTI taken when MIE set", irq.count - c, 1);

    /* --- machine software interrupt --- */
    c = irq.count;
    csr_write(mie, MIP_MSIP);
    csr_set(mstatus, MSTATUS_MIE);
    MMIO32(CLINT_MSIP) = 1;
    for (volatile int i = 0; i < 10 && irq.count == c; i++)
        ;
    csr_clear(mstatus, MSTATUS_MIE);
    check_eq("software interrupt taken once", irq.count - c, 1);
    check_eq("mcause = interrupt 3 (MSI)", irq.cause, CAUSE_IRQ | 3);
    check_eq("handler cleared msip", MMIO32(CLINT_MSIP), 0);

    /* --- priority: MSI before MTI --- */
    irq_hook = record_hook;
    norder = 0;
    csr_write(mie, MIP_MSIP | MIP_MTIP);
    set_mtimecmp(0);
    MMIO32(CLINT_MSIP) = 1;
    csr_set(mstatus, MSTATUS_MIE);
    __asm__ volatile("nop\n nop");
    csr_clear(mstatus, MSTATUS_MIE);
    check_eq("two interrupts taken", norder, 2);
    check_eq("MSI first", order[0], CAUSE_IRQ | 3);
    check_eq("MTI second", order[1], CAUSE_IRQ | 7);

    /* --- vectored mtvec --- */
    csr_write(mtvec, (uintptr_t)vec_table | 1);
    check_eq("mtvec vectored mode reads back", csr_read(mtvec), (uintptr_t)vec_table | 1);
    norder = 0;
    vec_hit[0] = vec_hit[1] = 0;
    csr_write(mie, MIP_MTIP);
    set_mtimecmp(0);
    csr_set(mstatus, MSTATUS_MIE);
    __asm__ volatile("nop\n nop");
    csr_clear(mstatus, MSTATUS_MIE);
    ok(vec_hit[0] != 0, "vectored: MTI entered at base + 4*7");
    ok(vec_hit[1] == 0, "vectored: no other vector used");
    check_eq("vectored: handler ran", norder, 1);
    trap_arm();
    __asm__ volatile("ecall");
    check_trap("vectored: exceptions use base", 11, 0, 0);
    __asm__ volatile("la t0, trap_entry\n csrw mtvec, t0" ::: "t0");
    irq_hook = 0;

    /* --- M interrupts preempt S/U regardless of mstatus.MIE --- */
    c = irq.count;
    csr_write(mie, MIP_MSIP);
    MMIO32(CLINT_MSIP) = 1;
    run_lower(MODE_S, f_spin, 100);
    check_eq("MSI taken while in S with MIE=0", irq.count - c, 1);
    check_eq("  ... MPP = S", (irq.mstatus >> 11) & 3, 1);
    c = irq.count;
    csr_write(mie, MIP_MTIP);
    set_mtimecmp(0);
    run_lower(MODE_U, f_spin, 100);
    check_eq("MTI taken while in U with MIE=0", irq.count - c, 1);
    check_eq("  ... MPP = U", (irq.mstatus >> 11) & 3, 0);
    csr_write(mie, 0);

    /* --- mideleg: supervisor software interrupt --- */
    csr_write(mideleg, MIP_SSIP | MIP_STIP);
    check_eq("mideleg SSIP|STIP writable", csr_read(mideleg) & (MIP_SSIP | MIP_STIP), MIP_SSIP | MIP_STIP);
    s_setup();
    c = irq.count;
    csr_set(mip, MIP_SSIP);
    run_lower(MODE_S, f_s_enable, MIP_SSIP);
    check_eq("delegated SSI handled in S once", s_rec.count, 1);
    check_eq("scause = interrupt 1", s_rec.cause, CAUSE_IRQ | 1);
    check_eq("M did not see it", irq.count - c, 0);
    ok(!(csr_read(mip) & MIP_SSIP), "S handler cleared sip.SSIP");
    /* SSIP raised by S itself through sip */
    s_setup();
    csr_set(mip, 0);
    {
        long r = run_lower(MODE_S, f_s_pending_sie0, 0);
        ok(r == 0, "no SSIP pending before S writes sip");
    }
    s_setup();
    csr_set(mip, MIP_SSIP);
    {
        long r = run_lower(MODE_S, f_s_pending_sie0, 0);
        check_eq("SSI pending in S with SIE=0 is not taken", s_rec.count, 0);
        ok(r != 0, "  ... and shows in sip");
    }
    /* delegated SSI while in U: taken in S even with SIE=0 */
    s_setup();
    csr_set(sie, MIP_SSIP);
    csr_clear(mstatus, MSTATUS_SIE);
    csr_set(mip, MIP_SSIP);
    run_lower(MODE_U, f_spin, 100);
    csr_clear(sie, MIP_SSIP);
    check_eq("delegated SSI taken from U with SIE=0", s_rec.count, 1);
    check_eq("  ... scause = interrupt 1", s_rec.cause, CAUSE_IRQ | 1);
    check_eq("  ... SPP = U", (s_rec.status >> 8) & 1, 0);
    /* supervisor timer interrupt: M raises mip.STIP */
    s_setup();
    c = irq.count;
    csr_set(mip, MIP_STIP);
    ok(csr_read(sip) & MIP_STIP, "sip shows STIP set by M");
    run_lower(MODE_S, f_s_enable, MIP_STIP);
    csr_clear(mip, MIP_STIP);
    check_eq("delegated STI handled in S once", s_rec.count, 1);
    check_eq("scause = interrupt 5", s_rec.cause, CAUSE_IRQ | 5);
    check_eq("M did not see STI", irq.count - c, 0);
    /* not delegated: SSIP goes to M */
    csr_write(mideleg, 0);
    s_setup();
    c = irq.count;
    csr_write(mie, MIP_SSIP);
    csr_set(mip, MIP_SSIP);
    run_lower(MODE_S, f_spin, 100);
    csr_clear(mip, MIP_SSIP);
    csr_write(mie, 0);
    check_eq("undelegated SSI goes to M", irq.count - c, 1);
    check_eq("  ... mcause = interrupt 1", irq.cause, CAUSE_IRQ | 1);
    check_eq("  ... S handler not used", s_rec.count, 0);

    return test_finish();
}

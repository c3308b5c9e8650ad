/* isa-rv64b: Zba/Zbb/Zbc/Zbs on the vectors of gen_bvectors.py, pause,
 * Sstc (STIP and the timer interrupt from stimecmp) and Sdtrig address
 * breakpoints (execute in M and U, load, store, disarming). Built with
 * -march=..._zba_zbb_zbc_zbs_zihintpause.
 *
 * diff-qemu.sh compares this output with QEMU 7.2's, so it checks only
 * what both agree on; where QEMU 7.2 differs (ctzw of a zero low word,
 * mtval of a trigger breakpoint (0 there), tinfo, hpm counters, M writes
 * to STIP under STCE) the unit tests check Amber. */
#include "test.h"
#include "bvectors.h"

#define CSR_STIMECMP 0x14d
#define CSR_MENVCFG  0x30a
#define CSR_TSELECT  0x7a0
#define CSR_TDATA1   0x7a1
#define CSR_TDATA2   0x7a2
#define CSR_TINFO    0x7a4
/* One more expansion so the numbers, not the names, reach csr_read's #. */
#define csrr(n) csr_read(n)
#define csrw(n, v) csr_write(n, v)
#define csrs(n, v) csr_set(n, v)
#define csrc(n, v) csr_clear(n, v)
#define MENVCFG_STCE (1UL << 63)
#define MIP_STIP     (1UL << 5)
#define TYPE2        (2UL << 60)
#define T_LOAD 0x1UL
#define T_STORE 0x2UL
#define T_EXEC 0x4UL
#define T_U 0x8UL
#define T_M 0x40UL

#define RR(op, a, b, exp) do { \
    uint64_t r, x = (a), y = (b); \
    __asm__ volatile(op " %0, %1, %2" : "=r"(r) : "r"(x), "r"(y)); \
    check_eq(op " " #a ", " #b, r, exp); } while (0);
#define RI(op, a, sh, exp) do { \
    uint64_t r, x = (a); \
    __asm__ volatile(op " %0, %1, " #sh : "=r"(r) : "r"(x)); \
    check_eq(op " " #a ", " #sh, r, exp); } while (0);
#define R1(op, a, exp) do { \
    uint64_t r, x = (a); \
    __asm__ volatile(op " %0, %1" : "=r"(r) : "r"(x)); \
    check_eq(op " " #a, r, exp); } while (0);

/* bp_fn(a) = a + 3: two 4-byte adds a breakpoint can skip one of. */
long bp_fn(long a);
__asm__(".text\n .balign 4\n .globl bp_fn\nbp_fn:\n .option push\n .option norvc\n"
        " addi a0, a0, 1\n addi a0, a0, 2\n ret\n .option pop\n");

static volatile uint64_t watched[2];

static void trigger(unsigned n, uint64_t ctl, uint64_t addr)
{
    csrw(CSR_TSELECT, n);
    csrw(CSR_TDATA2, addr);
    csrw(CSR_TDATA1, TYPE2 | ctl);
}

static void test_b_vectors(void)
{
    RV64B_RR_VECTORS
    RV64B_RI_VECTORS
    RV64B_R_VECTORS
    /* rd = rs1 = rs2 */
    uint64_t r = 0x8000000000000001UL;
    __asm__ volatile("clmulh %0, %0, %0" : "+r"(r));
    check_eq("clmulh rd = rs1 = rs2", r, 0x4000000000000000UL);
    r = 5;
    __asm__ volatile("sh3add %0, %0, %0" : "+r"(r));
    check_eq("sh3add rd = rs1 = rs2", r, 45);
}

static void test_hints_and_counters(void)
{
    trap_arm();
    __asm__ volatile("pause" ::: "memory");
    check_no_trap("pause is a no-op");
    trap_arm();
    check_eq("hpmcounter3 reads 0", csr_read(0xc03), 0);
    check_no_trap("hpmcounter3 exists");
}

static void test_sstc(void)
{
    csrs(CSR_MENVCFG, MENVCFG_STCE);
    check_eq("menvcfg.STCE is writable", csrr(CSR_MENVCFG) >> 63, 1);
    uint64_t now;
    __asm__ volatile("rdtime %0" : "=r"(now));
    csrw(CSR_STIMECMP, now + 200);
    uint64_t t, n = 0;
    do {
        __asm__ volatile("rdtime %0" : "=r"(t));
        n++;
    } while (!(csr_read(mip) & MIP_STIP) && n < 10000000);
    ok(csr_read(mip) & MIP_STIP, "STIP sets when time reaches stimecmp");
    ok(t >= now + 199, "not before stimecmp");
    csrw(CSR_STIMECMP, ~0UL);
    check_eq("a far stimecmp clears STIP", csr_read(mip) & MIP_STIP, 0);
    /* the interrupt, taken in M (not delegated), waking WFI */
    irq.count = 0;
    __asm__ volatile("rdtime %0" : "=r"(now));
    csrw(CSR_STIMECMP, now + 100);
    csr_set(mie, MIP_STIP);
    csr_set(mstatus, MSTATUS_MIE);
    for (int i = 0; i < 100 && !irq.count; i++) {
        __asm__ volatile("wfi");
    }
    csr_clear(mstatus, MSTATUS_MIE);
    check_eq("S timer interrupt taken", irq.cause, CAUSE_IRQ | 5);
    csrw(CSR_STIMECMP, ~0UL);
    csrc(CSR_MENVCFG, MENVCFG_STCE);
}

static void test_triggers(void)
{
    check_eq("tinfo: type 2", csrr(CSR_TINFO) & 4, 4);
    csrw(CSR_TSELECT, 7);
    ok(csrr(CSR_TSELECT) < 2, "tselect is WARL over the triggers");
    csrw(CSR_TSELECT, 0);
    check_eq("tdata1 type 2", csrr(CSR_TDATA1) >> 60, 2);

    check_eq("no trigger: bp_fn(10)", bp_fn(10), 13);
    /* execute, M: the first add does not run, mepc = mtval = its address */
    trigger(0, T_M | T_EXEC, (uintptr_t)bp_fn);
    trap_arm();
    long r = bp_fn(10);
    check_trap("execute breakpoint -> cause 3", 3, 0, 1);
    check_eq("execute breakpoint: mepc", trap.epc, (uintptr_t)bp_fn);
    check_eq("the instruction was skipped", r, 12);
    trigger(0, T_M | T_EXEC, (uintptr_t)bp_fn + 4);
    trap_arm();
    r = bp_fn(10);
    check_trap("execute breakpoint on the second add", 3, 0, 1);
    check_eq("second add: mepc", trap.epc, (uintptr_t)bp_fn + 4);
    check_eq("second add skipped", r, 11);
    /* U only: not in M, but in U */
    trigger(0, T_U | T_EXEC, (uintptr_t)bp_fn + 4);
    trap_arm();
    check_eq("U trigger does not fire in M", bp_fn(1), 4);
    check_no_trap("U trigger silent in M");
    pmp_open_all();
    trap_arm();
    r = run_lower(MODE_U, bp_fn, 20);
    check_trap("U trigger fires in U", 3, 0, 1);
    check_eq("U: mepc", trap.epc, (uintptr_t)bp_fn + 4);
    check_eq("U: mstatus.MPP = U", (trap.mstatus >> 11) & 3, 0);
    check_eq("U: second add skipped", r, 21);
    csrw(CSR_TDATA1, 0);
    check_eq("disabled: bp_fn(10)", bp_fn(10), 13);

    /* load and store on a byte inside the 8-byte access */
    watched[0] = 1;
    watched[1] = 2;
    trigger(1, T_M | T_LOAD, (uintptr_t)&watched[0] + 3);
    trap_arm();
    uint64_t v = 77;
    __asm__ volatile(".option push\n .option norvc\n ld %0, 0(%1)\n .option pop"
                     : "+r"(v) : "r"(&watched[0]) : "memory");
    check_trap("load breakpoint -> cause 3", 3, 0, 1);
    check_eq("the load did not happen", v, 77);
    trap_arm();
    watched[1] = 5;
    check_no_trap("a load trigger ignores stores");
    trigger(1, T_M | T_STORE, (uintptr_t)&watched[1]);
    trap_arm();
    __asm__ volatile(".option push\n .option norvc\n sd %0, 0(%1)\n .option pop"
                     :: "r"(9UL), "r"(&watched[1]) : "memory");
    check_trap("store breakpoint -> cause 3", 3, 0, 1);
    csrw(CSR_TDATA1, 0);
    check_eq("the store did not happen", watched[1], 5);
    check_eq("disarmed: loads run", watched[0], 1);
}

int main(void)
{
    test_start("isa-rv64b");
    test_b_vectors();
    test_hints_and_counters();
    test_sstc();
    test_triggers();
    return test_finish();
}

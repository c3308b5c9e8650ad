/* isa-priv: exceptions and privilege: illegal instructions (mtval = bits),
 * unimplemented / read-only CSRs, ecall from M/S/U, ebreak, access faults,
 * misaligned accesses, mret/sret stacking, medeleg delegation, counters and
 * mcounteren/scounteren gating, TW/TVM/TSR, xRET from lower modes. */
#include "test.h"
#include "strap.h"

static volatile uint64_t buf[4] __attribute__((aligned(16)));
static volatile uint64_t lower_val[4];

/* ---- functions run in S or U mode ---- */
static long f_ecall(long a) { __asm__ volatile("li a7, 0\n ecall" ::: "a7", "memory"); return a + 1; }
static long f_illegal(long a) { __asm__ volatile(".word 0xc0001073" ::: "memory"); return a; }
static long f_rdcycle(long a)
{
    (void)a;
    uint64_t v = 0;
    __asm__ volatile(".option push\n .option norvc\n rdcycle %0\n .option pop" : "+r"(v));
    return (long)v;
}
static long f_rdtime(long a) { (void)a; uint64_t v = 0; __asm__ volatile("rdtime %0" : "+r"(v)); return (long)v; }
static long f_rdinstret(long a) { (void)a; uint64_t v = 0; __asm__ volatile("rdinstret %0" : "+r"(v)); return (long)v; }
static long f_mret(long a) { __asm__ volatile("mret" ::: "memory"); return a; }
static long f_sret(long a) { __asm__ volatile("sret" ::: "memory"); return a; }
static long f_wfi(long a) { __asm__ volatile("wfi" ::: "memory"); return a; }
static long f_csr_mstatus(long a) { (void)a; uint64_t v = 0; __asm__ volatile("csrr %0, mstatus" : "+r"(v)); return (long)v; }
static long f_satp(long a) { (void)a; uint64_t v = 0; __asm__ volatile("csrr %0, satp" : "+r"(v)); return (long)v; }
static long f_sfence(long a) { __asm__ volatile("sfence.vma" ::: "memory"); return a; }
static long f_sstatus(long a) { (void)a; return (long)csr_read(sstatus); }
static long f_sret_stack(long a)
{
    /* S-mode sret to S with SPIE=1: afterwards SIE=1, SPIE=1, SPP=U */
    uint64_t st;
    __asm__ volatile(
        "li t0, 0x100\n csrs sstatus, t0\n"      /* SPP = S */
        "li t0, 0x20\n csrs sstatus, t0\n"       /* SPIE = 1 */
        "li t0, 0x2\n csrc sstatus, t0\n"        /* SIE = 0 */
        "la t0, 1f\n csrw sepc, t0\n sret\n"
        "1: csrr %0, sstatus\n"
        "li t0, 0x2\n csrc sstatus, t0\n"
        : "=r"(st) :: "t0", "memory");
    lower_val[0] = st;
    return a;
}
static long f_ebreak(long a) { __asm__ volatile(".option push\n .option norvc\n ebreak\n .option pop" ::: "memory"); return a; }

#define ILLEGAL(word, name) do { trap_arm(); \
    __asm__ volatile(".word " #word ::: "memory"); \
    check_trap(name, 2, word, 0); } while (0)

int main(void)
{
    test_start("isa-priv");
    pmp_open_all();
    uint64_t r, addr;

    /* --- identity CSRs --- */
    uint64_t misa = csr_read(misa);
    check_eq("misa.MXL = 2 (RV64)", misa >> 62, 2);
    uint64_t need = (1 << ('I' - 'A')) | (1 << ('M' - 'A')) | (1 << ('A' - 'A')) |
                    (1 << ('C' - 'A')) | (1 << ('S' - 'A')) | (1 << ('U' - 'A'));
    check_eq("misa has I M A C S U", misa & need, need);
    check_eq("mhartid = 0", csr_read(mhartid), 0);
    trap_arm();
    (void)csr_read(mvendorid); (void)csr_read(marchid); (void)csr_read(mimpid);
    check_no_trap("mvendorid/marchid/mimpid readable");
    csr_write(mscratch, 0x123456789abcdef0ULL);
    check_eq("mscratch read/write", csr_read(mscratch), 0x123456789abcdef0ULL);
    csr_write(mscratch, (uintptr_t)0);   /* crt0 no longer needs it: trap stack is re-derived */
    __asm__ volatile("la t0, __trap_stack_top\n csrw mscratch, t0" ::: "t0");
    r = csr_swap(mepc, 0x80001235UL);
    /* The spec clears mepc[0]; QEMU 7.2 stores it and masks on use. */
    check_eq("mepc writable (bit 0 ignored)", csr_read(mepc) & ~1UL, 0x80001234UL);
    csr_write(mtval, 0xabcUL);
    check_eq("mtval writable", csr_read(mtval), 0xabc);
    check_eq("mstatus.UXL/SXL = 2", (csr_read(mstatus) >> 32) & 0xf, 0xa);

    /* --- illegal instructions --- */
    ILLEGAL(0xc0001073, "csrw cycle (read-only CSR) is illegal, mtval = bits");
    ILLEGAL(0x7c002573, "csrr a0, 0x7c0 (unimplemented CSR) is illegal");
    ILLEGAL(0xfc002573, "csrr a0, 0xfc0 (unimplemented CSR) is illegal");
    ILLEGAL(0x8ff02573, "csrr a0, 0x8ff (unimplemented custom CSR) is illegal");
    ILLEGAL(0xf1451073, "csrw mhartid (read-only) is illegal");
    ILLEGAL(0x0000000b, "custom-0 opcode is illegal");
    ILLEGAL(0xfe00003b, "OP-32 funct7=0x7f is illegal");
    trap_arm();
    __asm__ volatile("csrr %0, mhartid" : "=r"(r));
    check_no_trap("csrr mhartid (read-only, no write) is legal");
    trap_arm();
    __asm__ volatile("csrrs %0, mhartid, x0" : "=r"(r));
    check_no_trap("csrrs rs1=x0 on read-only CSR does not write");
    ILLEGAL(0xf1452573 | (1 << 15), "csrrs rs1!=x0 on read-only mhartid is illegal");

    /* --- CSR instruction semantics --- */
    csr_write(mscratch, 0xf0);
    __asm__ volatile("csrrs %0, mscratch, %1" : "=r"(r) : "r"(0x0fUL));
    check_eq("csrrs returns old", r, 0xf0);
    check_eq("csrrs sets bits", csr_read(mscratch), 0xff);
    __asm__ volatile("csrrc %0, mscratch, %1" : "=r"(r) : "r"(0x3cUL));
    check_eq("csrrc clears bits", csr_read(mscratch), 0xc3);
    __asm__ volatile("csrrwi %0, mscratch, 31" : "=r"(r));
    check_eq("csrrwi", csr_read(mscratch), 31);
    __asm__ volatile("csrrsi %0, mscratch, 0x20 & 31\n csrrci %0, mscratch, 1" : "=r"(r));
    check_eq("csrrsi/csrrci", csr_read(mscratch), 30);
    __asm__ volatile("la t0, __trap_stack_top\n csrw mscratch, t0" ::: "t0");

    /* --- ecall / ebreak --- */
    trap_arm();
    __asm__ volatile(".option push\n .option norvc\n 1: ecall\n la %0, 1b\n .option pop" : "=r"(addr) :: "memory");
    check_trap("ecall from M -> cause 11", 11, 0, 0);
    check_eq("ecall mepc = ecall address", trap.epc, addr);
    trap_arm();
    r = run_lower(MODE_S, f_ecall, 41);
    check_trap("ecall from S -> cause 9", 9, 0, 0);
    check_eq("S function resumed after ecall", r, 42);
    check_eq("mstatus.MPP = S after trap from S", (trap.mstatus >> 11) & 3, 1);
    trap_arm();
    r = run_lower(MODE_U, f_ecall, 7);
    check_trap("ecall from U -> cause 8", 8, 0, 0);
    check_eq("U function resumed after ecall", r, 8);
    check_eq("mstatus.MPP = U after trap from U", (trap.mstatus >> 11) & 3, 0);
    trap_arm();
    __asm__ volatile(".option push\n .option norvc\n 1: ebreak\n la %0, 1b\n .option pop" : "=r"(addr) :: "memory");
    check_trap("ebreak -> cause 3", 3, 0, 1);
    check_eq("ebreak mepc", trap.epc, addr);
    trap_arm();
    run_lower(MODE_U, f_ebreak, 0);
    check_trap("ebreak from U -> cause 3", 3, 0, 1);

    /* --- access faults --- */
    trap_arm();
    __asm__ volatile("ld %0, 0(%1)" : "=r"(r) : "r"(0UL) : "memory");
    check_trap("load from unmapped 0x0 -> cause 5, mtval 0", 5, 0, 0);
    trap_arm();
    __asm__ volatile("lw %0, 0(%1)" : "=r"(r) : "r"(0x90000000UL) : "memory");
    check_trap("load beyond RAM (0x90000000) -> cause 5", 5, 0x90000000UL, 0);
    trap_arm();
    __asm__ volatile("sd %0, 8(%1)" :: "r"(1UL), "r"(0UL) : "memory");
    check_trap("store to unmapped 0x8 -> cause 7, mtval 8", 7, 8, 0);
    trap_arm();
    __asm__ volatile("li t0, 0\n jalr ra, 0(t0)" ::: "t0", "ra", "memory");
    check_trap("fetch from unmapped 0x0 -> cause 1, mtval 0", 1, 0, 0);
    trap_arm();
    __asm__ volatile("sd %0, 0(%1)" :: "r"(0x33333UL), "r"(FINISHER_BASE) : "memory");
    check_trap("64-bit store to the finisher -> store access fault", 7, FINISHER_BASE, 0);

    /* --- misaligned accesses: trap (4/6, mtval=addr) or correct value --- */
    buf[0] = 0x8877665544332211ULL;
    buf[1] = 0x00ffeeddccbbaa99ULL;
    struct { const char *name; int off; int kind; uint64_t exp; } mis[] = {
        { "misaligned lh +1", 1, 0, 0x3322 },
        { "misaligned lw +3", 3, 1, 0x77665544ULL },
        { "misaligned lw +5 (sign-extends)", 5, 1, 0xffffffff99887766ULL },
        { "misaligned ld +5", 5, 2, 0xddccbbaa99887766ULL },
        { "misaligned lhu +7", 7, 3, 0x9988 },
    };
    for (unsigned i = 0; i < sizeof(mis) / sizeof(mis[0]); i++) {
        uintptr_t a = (uintptr_t)buf + mis[i].off;
        r = 0xdead;
        trap_arm();
        switch (mis[i].kind) {
        case 0: __asm__ volatile("lh %0, 0(%1)" : "+r"(r) : "r"(a) : "memory"); break;
        case 1: __asm__ volatile("lw %0, 0(%1)" : "+r"(r) : "r"(a) : "memory"); break;
        case 2: __asm__ volatile("ld %0, 0(%1)" : "+r"(r) : "r"(a) : "memory"); break;
        default: __asm__ volatile("lhu %0, 0(%1)" : "+r"(r) : "r"(a) : "memory"); break;
        }
        if (trap.count) {
            ok(trap.count == 1 && trap.cause == 4 && trap.tval == a, mis[i].name);
        } else {
            check_eq(mis[i].name, r, mis[i].exp);
        }
        trap.armed = 0;
    }
    trap_arm();
    __asm__ volatile("sd %0, 0(%1)" :: "r"(0x0102030405060708ULL), "r"((uintptr_t)buf + 3) : "memory");
    if (trap.count)
        ok(trap.count == 1 && trap.cause == 6 && trap.tval == (uintptr_t)buf + 3, "misaligned sd +3 traps (cause 6)");
    else
        ok(buf[0] == 0x0405060708332211ULL && (buf[1] & 0xffffff) == 0x010203, "misaligned sd +3 stores correctly");
    trap.armed = 0;
    trap_arm();
    __asm__ volatile("sw %0, 0(%1)" :: "r"(0xa1b2c3d4UL), "r"((uintptr_t)buf + 9) : "memory");
    if (trap.count)
        ok(trap.count == 1 && trap.cause == 6, "misaligned sw +9 traps (cause 6)");
    else
        ok(((buf[1] >> 8) & 0xffffffff) == 0xa1b2c3d4UL, "misaligned sw +9 stores correctly");
    trap.armed = 0;

    /* --- mret stacking (M -> M) --- */
    {
        uint64_t st;
        __asm__ volatile(
            "csrci mstatus, 8\n"                    /* MIE = 0 */
            "li t0, 0x1880\n csrs mstatus, t0\n"    /* MPP = M, MPIE = 1 */
            "la t0, 1f\n csrw mepc, t0\n mret\n"
            "1: csrr %0, mstatus\n csrci mstatus, 8\n"
            : "=r"(st) :: "t0", "memory");
        check_eq("mret: MIE <- MPIE (1)", (st >> 3) & 1, 1);
        check_eq("mret: MPIE <- 1", (st >> 7) & 1, 1);
        check_eq("mret: MPP <- U (0)", (st >> 11) & 3, 0);
        __asm__ volatile(
            "li t0, 0x1800\n csrs mstatus, t0\n li t0, 0x80\n csrc mstatus, t0\n"   /* MPP=M MPIE=0 */
            "la t0, 1f\n csrw mepc, t0\n mret\n"
            "1: csrr %0, mstatus\n"
            : "=r"(st) :: "t0", "memory");
        check_eq("mret with MPIE=0: MIE = 0", (st >> 3) & 1, 0);
    }
    /* trap stacking: MPIE <- MIE, MIE <- 0 */
    csr_set(mstatus, MSTATUS_MIE);
    trap_arm();
    __asm__ volatile("ecall" ::: "memory");
    csr_clear(mstatus, MSTATUS_MIE);
    check_trap("ecall with MIE=1", 11, 0, 0);
    check_eq("trap: MPIE <- MIE (1), MIE <- 0", trap.mstatus & (MSTATUS_MPIE | MSTATUS_MIE), MSTATUS_MPIE);
    check_eq("trap from M: MPP = M", (trap.mstatus >> 11) & 3, 3);
    /* sret stacking inside S */
    run_lower(MODE_S, f_sret_stack, 0);
    check_eq("sret: SIE <- SPIE (1)", (lower_val[0] >> 1) & 1, 1);
    check_eq("sret: SPIE <- 1", (lower_val[0] >> 5) & 1, 1);
    check_eq("sret: SPP <- U", (lower_val[0] >> 8) & 1, 0);
    /* sstatus is a view of mstatus */
    csr_set(mstatus, MSTATUS_SUM);
    r = (uint64_t)run_lower(MODE_S, f_sstatus, 0);
    csr_clear(mstatus, MSTATUS_SUM);
    ok((r & MSTATUS_SUM) && !(r & MSTATUS_MPP), "sstatus shows SUM, hides MPP");

    /* --- xRET / privileged instructions from lower modes --- */
    trap_arm();
    run_lower(MODE_S, f_mret, 0);
    check_trap("mret in S -> illegal", 2, 0x30200073, 0);
    trap_arm();
    run_lower(MODE_U, f_sret, 0);
    check_trap("sret in U -> illegal", 2, 0x10200073, 0);
    trap_arm();
    run_lower(MODE_S, f_csr_mstatus, 0);
    check_trap("csrr mstatus in S -> illegal", 2, 0, 1);
    trap_arm();
    run_lower(MODE_U, f_sstatus, 0);
    check_trap("csrr sstatus in U -> illegal", 2, 0, 1);
    csr_set(mstatus, 1UL << 21);   /* TW */
    trap_arm();
    run_lower(MODE_S, f_wfi, 0);
    csr_clear(mstatus, 1UL << 21);
    check_trap("wfi in S with mstatus.TW=1 -> illegal", 2, 0x10500073, 0);
    csr_set(mstatus, 1UL << 20);   /* TVM */
    trap_arm();
    run_lower(MODE_S, f_satp, 0);
    check_trap("csrr satp in S with TVM=1 -> illegal", 2, 0, 1);
    trap_arm();
    run_lower(MODE_S, f_sfence, 0);
    check_trap("sfence.vma in S with TVM=1 -> illegal", 2, 0x12000073, 0);
    csr_clear(mstatus, 1UL << 20);
    trap_arm();
    run_lower(MODE_S, f_satp, 0);
    check_no_trap("csrr satp in S with TVM=0");
    csr_set(mstatus, 1UL << 22);   /* TSR */
    trap_arm();
    run_lower(MODE_S, f_sret, 0);
    csr_clear(mstatus, 1UL << 22);
    check_trap("sret in S with TSR=1 -> illegal", 2, 0x10200073, 0);

    /* --- medeleg --- */
    s_setup();
    csr_write(medeleg, 1UL << 2);
    check_eq("medeleg bit 2 writable", csr_read(medeleg) & 4, 4);
    trap_arm();
    run_lower(MODE_S, f_illegal, 0);
    check_no_trap("delegated illegal instruction not seen by M");
    check_eq("S handler ran once", s_rec.count, 1);
    check_eq("scause = 2", s_rec.cause, 2);
    check_eq("stval = instruction bits", s_rec.tval, 0xc0001073);
    check_eq("sstatus.SPP = S", (s_rec.status >> 8) & 1, 1);
    trap_arm();
    __asm__ volatile(".word 0xc0001073" ::: "memory");
    check_trap("illegal in M is not delegated", 2, 0xc0001073, 0);
    s_setup();
    csr_write(medeleg, (1UL << 2) | (1UL << 8));
    trap_arm();
    r = run_lower(MODE_U, f_ecall, 1);
    check_no_trap("delegated U ecall not seen by M");
    check_eq("scause = 8 (ecall from U) in S", s_rec.cause, 8);
    check_eq("sstatus.SPP = U", (s_rec.status >> 8) & 1, 0);
    check_eq("U code resumed after S handler", r, 2);
    s_setup();
    trap_arm();
    r = run_lower(MODE_U, f_illegal, 5);
    check_no_trap("delegated U illegal not seen by M");
    check_eq("scause = 2 from U", s_rec.cause, 2);
    csr_write(medeleg, 0);

    /* --- counters --- */
    uint64_t c0, c1, i0, i1, t0, t1;
    __asm__ volatile("rdcycle %0\n rdinstret %1\n rdtime %2" : "=r"(c0), "=r"(i0), "=r"(t0));
    for (volatile int k = 0; k < 20000; k++)
        ;
    __asm__ volatile("rdcycle %0\n rdinstret %1\n rdtime %2" : "=r"(c1), "=r"(i1), "=r"(t1));
    ok(c1 > c0, "cycle increases");
    ok(i1 > i0 + 20000, "instret increases by at least the loop length");
    ok(t1 > t0, "time increases");
    uint64_t mt = mtime();
    __asm__ volatile("rdtime %0" : "=r"(t1));
    ok(t1 >= mt && t1 - mt < 10000000, "time CSR tracks CLINT mtime");
    ok(csr_read(minstret) > 0 && csr_read(mcycle) > 0, "minstret / mcycle readable");
    csr_write(mcounteren, 0);
    csr_write(scounteren, 0);
    trap_arm();
    run_lower(MODE_U, f_rdcycle, 0);
    check_trap("rdcycle in U, mcounteren=0 -> illegal, mtval = bits", 2, 0xc0002573, 0);
    trap_arm();
    run_lower(MODE_S, f_rdcycle, 0);
    check_trap("rdcycle in S, mcounteren=0 -> illegal", 2, 0xc0002573, 0);
    trap_arm();
    run_lower(MODE_S, f_rdtime, 0);
    check_trap("rdtime in S, mcounteren=0 -> illegal", 2, 0, 1);
    csr_write(mcounteren, 7);
    trap_arm();
    r = run_lower(MODE_S, f_rdcycle, 0);
    check_no_trap("rdcycle in S, mcounteren.CY=1");
    trap_arm();
    run_lower(MODE_U, f_rdinstret, 0);
    check_trap("rdinstret in U, mcounteren=7 scounteren=0 -> illegal", 2, 0, 1);
    csr_write(scounteren, 7);
    trap_arm();
    run_lower(MODE_U, f_rdcycle, 0);
    run_lower(MODE_U, f_rdinstret, 0);
    r = run_lower(MODE_U, f_rdtime, 0);
    check_no_trap("cycle/instret/time in U with both enables");
    ok(r > 0, "U rdtime value non-zero");
    csr_write(scounteren, 0);
    csr_write(mcounteren, 0);

    return test_finish();
}

/* isa-rv64fd: the F and D extensions. mstatus.FS states and the illegal
 * instruction while FS is Off, fcsr/frm/fflags, static and dynamic
 * rounding, exact flags (tininess after rounding), canonical NaNs,
 * NaN-boxing, fmin/fmax and compare signaling rules, saturating fcvt,
 * fused multiply-add, and the FP loads/stores (compressed ones too).
 * Built with -march=rv64imafdc -mabi=lp64: values move through integer
 * registers (fmv), so the C code itself never touches the FPU. */
#include "test.h"

#define MSTATUS_FS  (3ull << 13)
#define MSTATUS_SD  (1ull << 63)
#define FS_INITIAL  (1ull << 13)
#define FS_CLEAN    (2ull << 13)
#define FS_DIRTY    (3ull << 13)

#define NX 1
#define UF 2
#define OF 4
#define DZ 8
#define NV 16

#define QNAN_D 0x7ff8000000000000ull
#define SNAN_D 0x7ff0000000000001ull
#define QNAN_S 0xffffffff7fc00000ull
#define ONE_D  0x3ff0000000000000ull
#define TWO_D  0x4000000000000000ull
#define INF_D  0x7ff0000000000000ull
#define NZERO_D 0x8000000000000000ull
#define BOX(x) (0xffffffff00000000ull | (uint32_t)(x))

/* binary op on f registers: bits in, bits out (singles come in boxed by the
 * caller, so a test can also feed an improperly boxed one) */
#define F_RR(insn, rm, a, b) ({ uint64_t r_; \
    __asm__ volatile("fmv.d.x ft0, %1\n\tfmv.d.x ft1, %2\n\t" insn " ft2, ft0, ft1" rm \
                     "\n\tfmv.x.d %0, ft2" \
                     : "=r"(r_) : "r"((uint64_t)(a)), "r"((uint64_t)(b)) : "ft0", "ft1", "ft2"); r_; })
#define F_R(insn, rm, a) ({ uint64_t r_; \
    __asm__ volatile("fmv.d.x ft0, %1\n\t" insn " ft2, ft0" rm "\n\tfmv.x.d %0, ft2" \
                     : "=r"(r_) : "r"((uint64_t)(a)) : "ft0", "ft2"); r_; })
#define F_RRR(insn, rm, a, b, c) ({ uint64_t r_; \
    __asm__ volatile("fmv.d.x ft0, %1\n\tfmv.d.x ft1, %2\n\tfmv.d.x ft3, %3\n\t" \
                     insn " ft2, ft0, ft1, ft3" rm "\n\tfmv.x.d %0, ft2" \
                     : "=r"(r_) : "r"((uint64_t)(a)), "r"((uint64_t)(b)), "r"((uint64_t)(c)) \
                     : "ft0", "ft1", "ft2", "ft3"); r_; })
/* f -> x (compares, fcvt to int, fclass, fmv.x) */
#define X_F(insn, rm, a) ({ uint64_t r_; \
    __asm__ volatile("fmv.d.x ft0, %1\n\t" insn " %0, ft0" rm \
                     : "=r"(r_) : "r"((uint64_t)(a)) : "ft0"); r_; })
#define X_FF(insn, a, b) ({ uint64_t r_; \
    __asm__ volatile("fmv.d.x ft0, %1\n\tfmv.d.x ft1, %2\n\t" insn " %0, ft0, ft1" \
                     : "=r"(r_) : "r"((uint64_t)(a)), "r"((uint64_t)(b)) : "ft0", "ft1"); r_; })
/* x -> f */
#define F_X(insn, rm, a) ({ uint64_t r_; \
    __asm__ volatile(insn " ft2, %1" rm "\n\tfmv.x.d %0, ft2" \
                     : "=r"(r_) : "r"((uint64_t)(a)) : "ft2"); r_; })

static uint64_t fflags_take(void)
{
    uint64_t f;
    __asm__ volatile("csrrw %0, fflags, zero" : "=r"(f));
    return f;
}

/* result and the flags it raised, from clear flags */
#define T(name, expr, val, fl) do { \
    fflags_take(); \
    uint64_t r_ = (expr); \
    uint64_t f_ = fflags_take(); \
    check_eq(name, r_, val); \
    check_eq(name ": fflags", f_, fl); \
} while (0)

static uint64_t fs(void)
{
    return csr_read(mstatus) & MSTATUS_FS;
}

static void set_fs(uint64_t v)
{
    csr_clear(mstatus, MSTATUS_FS);
    csr_set(mstatus, v);
}

static void test_fs_states(void)
{
    uint64_t misa = csr_read(misa);
    ok((misa & (1 << 5)) && (misa & (1 << 3)), "misa has F and D");
    check_eq("FS is Off at reset", fs(), 0);

    /* Off: every FP instruction and fcsr access is illegal */
    trap_arm();
    __asm__ volatile("fmv.d.x ft0, zero");
    check_trap("FS=Off: fmv.d.x traps", 2, 0xf2000053, 0);
    trap_arm();
    __asm__ volatile(".option push\n.option norvc\nfadd.d ft0, ft0, ft0\n.option pop");
    check_trap("FS=Off: fadd.d traps with the instruction in mtval", 2, 0x02007053, 0);
    uint64_t dummy[2] = { 0, 0 };
    trap_arm();
    __asm__ volatile("mv a5, %0\n\tc.fld fa0, 0(a5)" :: "r"(dummy) : "a5", "fa0");
    check_trap("FS=Off: c.fld traps", 2, 0, 1);
    trap_arm();
    (void)csr_read(fcsr);
    check_trap("FS=Off: csrr fcsr traps", 2, 0, 1);
    trap_arm();
    csr_write(fflags, 0);
    check_trap("FS=Off: csrw fflags traps", 2, 0, 1);

    /* Initial -> Dirty on a register write; SD follows */
    set_fs(FS_INITIAL);
    check_eq("FS=Initial", fs(), FS_INITIAL);
    ok(!(csr_read(mstatus) & MSTATUS_SD), "SD clear while not Dirty");
    __asm__ volatile("fmv.d.x ft0, zero" ::: "ft0");
    check_eq("fmv.d.x makes FS Dirty", fs(), FS_DIRTY);
    ok((csr_read(mstatus) & MSTATUS_SD) != 0, "SD set with FS Dirty");
    ok((csr_read(sstatus) & (MSTATUS_FS | MSTATUS_SD)) == (MSTATUS_FS | MSTATUS_SD),
       "sstatus shows FS and SD");

    /* Clean: reads keep it, writes dirty it */
    set_fs(FS_CLEAN);
    uint64_t r;
    __asm__ volatile("fmv.x.d %0, ft0\n\tfsd ft0, 0(%1)\n\tfeq.d %0, ft0, ft0" : "=&r"(r) : "r"(dummy) : "memory");
    check_eq("fmv.x.d, fsd, quiet feq keep FS Clean", fs(), FS_CLEAN);
    __asm__ volatile("fld ft0, 0(%0)" :: "r"(dummy) : "ft0");
    check_eq("fld makes FS Dirty", fs(), FS_DIRTY);
    set_fs(FS_CLEAN);
    (void)csr_read(fcsr);
    check_eq("reading fcsr keeps FS Clean", fs(), FS_CLEAN);
    csr_write(frm, 0);
    check_eq("writing frm makes FS Dirty", fs(), FS_DIRTY);
    set_fs(FS_DIRTY);
}

static void test_fcsr(void)
{
    csr_write(fcsr, 0x1ff);
    check_eq("fcsr keeps 8 bits", csr_read(fcsr), 0xff);
    check_eq("frm view", csr_read(frm), 7);
    check_eq("fflags view", csr_read(fflags), 0x1f);
    csr_write(frm, 2);
    check_eq("frm write keeps fflags", csr_read(fcsr), 0x5f);
    csr_write(fflags, 1);
    check_eq("fflags write keeps frm", csr_read(fcsr), 0x41);
    csr_write(fcsr, 0);
    /* flags accumulate */
    (void)F_RR("fdiv.d", "", ONE_D, 0);
    (void)F_RR("fdiv.d", "", ONE_D, 0x4008000000000000ull);
    check_eq("flags accumulate (DZ then NX)", csr_read(fflags), DZ | NX);
    csr_write(fcsr, 0);
}

static void test_arith(void)
{
    T("fadd.d 1+2", F_RR("fadd.d", "", ONE_D, TWO_D), 0x4008000000000000ull, 0);
    T("fadd.d 1+2^-60 rne", F_RR("fadd.d", ", rne", ONE_D, 0x3c30000000000000ull), ONE_D, NX);
    T("fadd.d 1+2^-60 rup", F_RR("fadd.d", ", rup", ONE_D, 0x3c30000000000000ull),
      0x3ff0000000000001ull, NX);
    T("fsub.d inf-inf", F_RR("fsub.d", "", INF_D, INF_D), QNAN_D, NV);
    T("fsub.d x-x rne is +0", F_RR("fsub.d", ", rne", ONE_D, ONE_D), 0, 0);
    T("fsub.d x-x rdn is -0", F_RR("fsub.d", ", rdn", ONE_D, ONE_D), NZERO_D, 0);
    T("fdiv.d 1/0", F_RR("fdiv.d", "", ONE_D, 0), INF_D, DZ);
    T("fdiv.d 0/0", F_RR("fdiv.d", "", 0, 0), QNAN_D, NV);
    T("fdiv.d 1/3 rne", F_RR("fdiv.d", ", rne", ONE_D, 0x4008000000000000ull),
      0x3fd5555555555555ull, NX);
    T("fdiv.d 1/3 rup", F_RR("fdiv.d", ", rup", ONE_D, 0x4008000000000000ull),
      0x3fd5555555555556ull, NX);
    T("fsqrt.d 2", F_R("fsqrt.d", "", TWO_D), 0x3ff6a09e667f3bcdull, NX);
    T("fsqrt.d -1", F_R("fsqrt.d", "", 0xbff0000000000000ull), QNAN_D, NV);
    T("fsqrt.d -0", F_R("fsqrt.d", "", NZERO_D), NZERO_D, 0);
    T("fmul.d max*2 overflows", F_RR("fmul.d", "", 0x7fefffffffffffffull, TWO_D), INF_D, OF | NX);
    T("fmul.d max*2 rtz", F_RR("fmul.d", ", rtz", 0x7fefffffffffffffull, TWO_D),
      0x7fefffffffffffffull, OF | NX);
    T("fmul.d exact subnormal: no UF", F_RR("fmul.d", "", 0x0010000000000000ull,
      0x3fe0000000000000ull), 0x0008000000000000ull, 0);
    T("fmul.d tiny inexact: UF", F_RR("fmul.d", "", 0x0000000000000001ull,
      0x3fe8000000000000ull), 0x0000000000000001ull, UF | NX);
    /* tininess after rounding: 2^-126 - 2^-151 rounds to 2^-126 even with an
     * unbounded exponent, so it is not tiny (NX only) */
    T("fcvt.s.d just below min normal: NX, no UF",
      F_R("fcvt.s.d", "", 0x380ffffff0000000ull), BOX(0x00800000), NX);
    T("fcvt.s.d tie below min normal: UF",
      F_R("fcvt.s.d", "", 0x380fffffe0000000ull), BOX(0x00800000), UF | NX);
    /* the same cases rounding towards zero stay subnormal */
    T("fcvt.s.d rtz below min normal", F_R("fcvt.s.d", ", rtz", 0x380ffffff0000000ull),
      BOX(0x007fffff), UF | NX);
    T("fadd.s 1.5+1.5", F_RR("fadd.s", "", BOX(0x3fc00000), BOX(0x3fc00000)), BOX(0x40400000), 0);
    T("fsqrt.s 2", F_R("fsqrt.s", "", BOX(0x40000000)), BOX(0x3fb504f3), NX);
    T("fdiv.s 1/3", F_RR("fdiv.s", "", BOX(0x3f800000), BOX(0x40400000)), BOX(0x3eaaaaab), NX);
    T("fmul.s rmm tie", F_RR("fmul.s", ", rmm", BOX(0x3f800001), BOX(0x3f800001)),
      BOX(0x3f800002), NX);
}

static void test_fma(void)
{
    /* (1 + 2^-30)(1 - 2^-30) - 1 = -2^-60 exactly when fused; 0 when the
     * product is rounded first */
    T("fmadd.d single rounding", F_RRR("fmadd.d", "", 0x3ff0000000400000ull,
      0x3fefffffff800000ull, 0xbff0000000000000ull), 0xbc30000000000000ull, 0);
    T("fmsub.d", F_RRR("fmsub.d", "", TWO_D, TWO_D, ONE_D), 0x4008000000000000ull, 0);
    T("fnmsub.d", F_RRR("fnmsub.d", "", TWO_D, TWO_D, ONE_D), 0xc008000000000000ull, 0);
    T("fnmadd.d", F_RRR("fnmadd.d", "", TWO_D, TWO_D, ONE_D), 0xc014000000000000ull, 0);
    T("fmadd.d inf*0+qNaN is NV", F_RRR("fmadd.d", "", INF_D, 0, QNAN_D), QNAN_D, NV);
    T("fmadd.d inf*1-inf is NV", F_RRR("fmadd.d", "", INF_D, ONE_D, 0xfff0000000000000ull),
      QNAN_D, NV);
    T("fmadd.s", F_RRR("fmadd.s", "", BOX(0x40000000), BOX(0x40400000), BOX(0x3f800000)),
      BOX(0x40e00000), 0);
}

static void test_nan_and_boxing(void)
{
    T("fadd.d sNaN -> canonical, NV", F_RR("fadd.d", "", SNAN_D, ONE_D), QNAN_D, NV);
    T("fadd.d qNaN payload -> canonical", F_RR("fadd.d", "", 0xfff8000000000123ull, ONE_D),
      QNAN_D, 0);
    T("improperly boxed single reads as NaN", F_RR("fadd.s", "", 0x3f800000ull, BOX(0x3f800000)),
      QNAN_S, 0);
    T("fsgnj.s of an unboxed single", F_RR("fsgnj.s", "", 0x3f800000ull, BOX(0x3f800000)),
      QNAN_S, 0);
    T("fsgnjn.s", F_RR("fsgnjn.s", "", BOX(0x3f800000), BOX(0x3f800000)), BOX(0xbf800000), 0);
    T("fsgnjx.d", F_RR("fsgnjx.d", "", 0xbff0000000000000ull, 0xbff0000000000000ull), ONE_D, 0);
    T("fmv.x.w ignores boxing, sign-extends", X_F("fmv.x.w", "", 0x00000000bf800000ull),
      0xffffffffbf800000ull, 0);
    T("fmv.w.x boxes", F_X("fmv.w.x", "", 0x123456783f800000ull), BOX(0x3f800000), 0);
    T("fcvt.d.s sNaN -> canonical, NV", F_R("fcvt.d.s", "", BOX(0x7f800001)), QNAN_D, NV);
    T("fclass.s of an unboxed single is qNaN", X_F("fclass.s", "", 0x3f800000ull), 0x200, 0);
    T("fclass.d -inf", X_F("fclass.d", "", 0xfff0000000000000ull), 1 << 0, 0);
    T("fclass.d -normal", X_F("fclass.d", "", 0xbff0000000000000ull), 1 << 1, 0);
    T("fclass.d -subnormal", X_F("fclass.d", "", 0x8000000000000001ull), 1 << 2, 0);
    T("fclass.d -0", X_F("fclass.d", "", NZERO_D), 1 << 3, 0);
    T("fclass.d +0", X_F("fclass.d", "", 0), 1 << 4, 0);
    T("fclass.d +subnormal", X_F("fclass.d", "", 1), 1 << 5, 0);
    T("fclass.d +normal", X_F("fclass.d", "", ONE_D), 1 << 6, 0);
    T("fclass.d +inf", X_F("fclass.d", "", INF_D), 1 << 7, 0);
    T("fclass.d sNaN", X_F("fclass.d", "", SNAN_D), 1 << 8, 0);
    T("fclass.d qNaN", X_F("fclass.d", "", QNAN_D), 1 << 9, 0);
}

static void test_minmax_compare(void)
{
    T("fmin.d -0,+0", F_RR("fmin.d", "", 0, NZERO_D), NZERO_D, 0);
    T("fmax.d -0,+0", F_RR("fmax.d", "", NZERO_D, 0), 0, 0);
    T("fmin.d qNaN,1", F_RR("fmin.d", "", QNAN_D, ONE_D), ONE_D, 0);
    T("fmax.d 1,sNaN: NV", F_RR("fmax.d", "", ONE_D, SNAN_D), ONE_D, NV);
    T("fmin.d NaN,NaN: canonical", F_RR("fmin.d", "", 0x7ff8000000000042ull, SNAN_D), QNAN_D, NV);
    T("fmin.s", F_RR("fmin.s", "", BOX(0xbf800000), BOX(0x3f800000)), BOX(0xbf800000), 0);
    T("feq.d qNaN is quiet", X_FF("feq.d", QNAN_D, ONE_D), 0, 0);
    T("feq.d sNaN signals", X_FF("feq.d", SNAN_D, ONE_D), 0, NV);
    T("flt.d qNaN signals", X_FF("flt.d", QNAN_D, ONE_D), 0, NV);
    T("fle.d qNaN signals", X_FF("fle.d", ONE_D, QNAN_D), 0, NV);
    T("feq.d -0 == +0", X_FF("feq.d", NZERO_D, 0), 1, 0);
    T("flt.d -0 < +0 is false", X_FF("flt.d", NZERO_D, 0), 0, 0);
    T("fle.d -0 <= +0", X_FF("fle.d", NZERO_D, 0), 1, 0);
    T("flt.d -1 < 1", X_FF("flt.d", 0xbff0000000000000ull, ONE_D), 1, 0);
    T("flt.s 1 < 2", X_FF("flt.s", BOX(0x3f800000), BOX(0x40000000)), 1, 0);
}

static void test_convert(void)
{
    T("fcvt.w.d 2.5 rne", X_F("fcvt.w.d", ", rne", 0x4004000000000000ull), 2, NX);
    T("fcvt.w.d 2.5 rmm", X_F("fcvt.w.d", ", rmm", 0x4004000000000000ull), 3, NX);
    T("fcvt.w.d -2.5 rmm", X_F("fcvt.w.d", ", rmm", 0xc004000000000000ull), (uint64_t)-3, NX);
    T("fcvt.w.d -2.5 rdn", X_F("fcvt.w.d", ", rdn", 0xc004000000000000ull), (uint64_t)-3, NX);
    T("fcvt.w.d -2.5 rup", X_F("fcvt.w.d", ", rup", 0xc004000000000000ull), (uint64_t)-2, NX);
    T("fcvt.w.d 3e9 saturates", X_F("fcvt.w.d", ", rtz", 0x41e65a0bc0000000ull), 0x7fffffff, NV);
    T("fcvt.w.d NaN", X_F("fcvt.w.d", ", rtz", QNAN_D), 0x7fffffff, NV);
    T("fcvt.w.d -inf", X_F("fcvt.w.d", ", rtz", 0xfff0000000000000ull), 0xffffffff80000000ull, NV);
    T("fcvt.wu.d -1", X_F("fcvt.wu.d", ", rtz", 0xbff0000000000000ull), 0, NV);
    T("fcvt.wu.d -0.5 rtz", X_F("fcvt.wu.d", ", rtz", 0xbfe0000000000000ull), 0, NX);
    T("fcvt.wu.d 2^32-1 sign-extends", X_F("fcvt.wu.d", ", rtz", 0x41efffffffe00000ull),
      0xffffffffffffffffull, 0);
    T("fcvt.wu.d NaN", X_F("fcvt.wu.d", ", rtz", QNAN_D), 0xffffffffffffffffull, NV);
    T("fcvt.l.d 2^63", X_F("fcvt.l.d", ", rtz", 0x43e0000000000000ull), 0x7fffffffffffffffull, NV);
    T("fcvt.l.d -2^63 exact", X_F("fcvt.l.d", ", rtz", 0xc3e0000000000000ull),
      0x8000000000000000ull, 0);
    T("fcvt.lu.d 2^63", X_F("fcvt.lu.d", ", rtz", 0x43e0000000000000ull), 0x8000000000000000ull, 0);
    T("fcvt.lu.d NaN", X_F("fcvt.lu.d", ", rtz", SNAN_D), 0xffffffffffffffffull, NV);
    T("fcvt.w.s 1.5 rne", X_F("fcvt.w.s", ", rne", BOX(0x3fc00000)), 2, NX);
    T("fcvt.d.l INT64_MIN", F_X("fcvt.d.l", "", 0x8000000000000000ull), 0xc3e0000000000000ull, 0);
    T("fcvt.d.l 2^53+1 rne", F_X("fcvt.d.l", ", rne", (1ull << 53) + 1), 0x4340000000000000ull, NX);
    T("fcvt.d.l 2^53+1 rup", F_X("fcvt.d.l", ", rup", (1ull << 53) + 1), 0x4340000000000001ull, NX);
    T("fcvt.d.wu 0xffffffff", F_X("fcvt.d.wu", "", 0xffffffffffffffffull), 0x41efffffffe00000ull, 0);
    T("fcvt.d.w -1", F_X("fcvt.d.w", "", 0x00000000ffffffffull), 0xbff0000000000000ull, 0);
    T("fcvt.s.lu 2^64-1", F_X("fcvt.s.lu", "", ~0ull), BOX(0x5f800000), NX);
    T("fcvt.s.d 0.1", F_R("fcvt.s.d", "", 0x3fb999999999999aull), BOX(0x3dcccccd), NX);
    T("fcvt.d.s 1.5", F_R("fcvt.d.s", "", BOX(0x3fc00000)), 0x3ff8000000000000ull, 0);
    T("fcvt.s.d overflow", F_R("fcvt.s.d", "", 0x47f0000000000000ull), BOX(0x7f800000), OF | NX);
}

static void test_rounding_modes(void)
{
    csr_write(frm, 3);                  /* RUP */
    T("dynamic rm (frm=rup)", F_RR("fdiv.d", "", ONE_D, 0x4008000000000000ull),
      0x3fd5555555555556ull, NX);
    csr_write(frm, 1);                  /* RTZ */
    T("dynamic rm (frm=rtz)", X_F("fcvt.w.d", "", 0x4004000000000000ull), 2, NX);
    csr_write(frm, 5);
    trap_arm();
    (void)F_RR("fdiv.d", "", ONE_D, TWO_D);
    check_trap("dynamic rm with frm=5 is illegal", 2, 0, 1);
    csr_write(frm, 7);
    trap_arm();
    (void)F_RR("fadd.d", "", ONE_D, TWO_D);
    check_trap("dynamic rm with frm=7 is illegal", 2, 0, 1);
    csr_write(frm, 5);
    trap_arm();
    (void)F_RR("fsgnj.d", "", ONE_D, TWO_D);
    check_no_trap("fsgnj.d has no rm: frm=5 does not matter");
    csr_write(frm, 0);
    trap_arm();
    __asm__ volatile(".word 0x02c5d553");    /* fadd.d fa0, fa1, fa2 with rm=5 */
    check_trap("static rm 5 is illegal", 2, 0x02c5d553, 0);
    trap_arm();
    __asm__ volatile(".word 0x02c5e553");    /* rm=6 */
    check_trap("static rm 6 is illegal", 2, 0x02c5e553, 0);
}

static void test_memory(void)
{
    static uint64_t buf[4] __attribute__((aligned(16)));
    uint64_t r;
    buf[0] = 0x400921fb54442d18ull;
    buf[1] = 0x11223344c0490fdbull;
    __asm__ volatile("fld ft4, 0(%1)\n\tfmv.x.d %0, ft4" : "=r"(r) : "r"(buf) : "ft4");
    check_eq("fld", r, 0x400921fb54442d18ull);
    __asm__ volatile("flw ft4, 8(%1)\n\tfmv.x.d %0, ft4" : "=r"(r) : "r"(buf) : "ft4");
    check_eq("flw boxes", r, BOX(0xc0490fdb));
    __asm__ volatile("fsw ft4, 16(%0)" :: "r"(buf) : "memory");
    check_eq("fsw stores 32 bits", buf[2], 0xc0490fdbull);
    __asm__ volatile("fmv.d.x ft4, %1\n\tfsw ft4, 24(%0)" :: "r"(buf), "r"(0x5555555512345678ull)
                     : "ft4", "memory");
    check_eq("fsw of an unboxed value stores its low bits", buf[3], 0x12345678ull);
    buf[2] = 0;
    __asm__ volatile("mv a5, %1\n\tc.fld fa0, 0(a5)\n\tc.fsd fa0, 16(a5)\n\tfmv.x.d %0, fa0"
                     : "=r"(r) : "r"(buf) : "a5", "fa0", "memory");
    check_eq("c.fld", r, 0x400921fb54442d18ull);
    check_eq("c.fsd", buf[2], 0x400921fb54442d18ull);
    uint64_t stack[2];
    __asm__ volatile("fmv.d.x fa1, %1\n\t"
                     "mv t0, sp\n\tmv sp, %2\n\t"
                     "c.fsdsp fa1, 8(sp)\n\tc.fldsp ft5, 8(sp)\n\t"
                     "mv sp, t0\n\tfmv.x.d %0, ft5"
                     : "=r"(r) : "r"(0x4005bf0a8b145769ull), "r"(stack)
                     : "t0", "fa1", "ft5", "memory");
    check_eq("c.fsdsp/c.fldsp", r, 0x4005bf0a8b145769ull);
    check_eq("c.fsdsp stored", stack[1], 0x4005bf0a8b145769ull);
    /* a misaligned fld still works (or traps as a load would) */
    uint8_t *p = (uint8_t *)buf + 1;
    trap_arm();
    __asm__ volatile("fld ft6, 0(%1)\n\tfmv.x.d %0, ft6" : "=r"(r) : "r"(p) : "ft6");
    ok(trap.count == 0 || trap.cause == 4, "misaligned fld: value or load-misaligned trap");
    trap.armed = 0;
}

int main(void)
{
    test_start("isa-rv64fd");
    test_fs_states();
    test_fcsr();
    test_arith();
    test_fma();
    test_nan_and_boxing();
    test_minmax_compare();
    test_convert();
    test_rounding_modes();
    test_memory();
    return test_finish();
}

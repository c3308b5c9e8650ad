/* F and D in host code: the JIT's OP_FP micro-ops as SSE2 (and FMA3) on
 * env.fpr, with the interpreter's exec_fp (through jit_helper_fp) as the cold
 * path whenever a guard fails. The fast path is a hardfloat one, as QEMU's
 * can_use_fpu() and softfloat-fast.c: the host computes round-to-nearest-even
 * results, which are the correctly rounded ones bit for bit, and it is taken
 * only where the flags are known without looking at the host's:
 *
 * - the effective rounding mode is RNE (static, or dynamic with frm = 0);
 * - NX is already set in fflags, so an inexact result changes nothing;
 * - the result's exponent field is in [2, max - 1]: not zero, subnormal,
 *   infinite or NaN, and at least twice the smallest normal, so nothing
 *   underflowed (tininess is after rounding: a result rounded up to the
 *   smallest normal may still be tiny), nothing overflowed, and nothing was
 *   invalid or a division by zero (those give NaN or infinity). Subnormal
 *   operands are fine: the host computes with them exactly (no DAZ/FTZ).
 *
 * A single is used only when NaN-boxed (else the interpreter reads the
 * canonical NaN): the guards check the boxes and leave the rest to exec_fp.
 * Comparisons, min/max and exact conversions need no rounding guard, only
 * operands that are not NaN.
 *
 * FS: a block checks mstatus.FS at its first F/D micro-op (illegal when Off:
 * the cold path raises it) and sets it Dirty at the first that writes an FP
 * register. Within a block FS cannot change otherwise (CSR writes and traps
 * end host code), so later micro-ops need neither, on every path. No FP
 * state stays in a host register: each micro-op reads and writes env.fpr. */
#include <stddef.h>
#include <stdlib.h>

#include "target/riscv/fpu.h"
#include "target/riscv/jit-gen.h"

#if JIT_AVAILABLE

#define FPR(r)      ((int32_t)(offsetof(RISCVCPU, env.fpr) + 8u * (r)))
#define OFF_FCSR    ((int32_t)offsetof(RISCVCPU, env.fcsr))
#define OFF_MSTATUS ((int32_t)offsetof(RISCVCPU, env.mstatus))
#define BOX_S       0xffffffff00000000ull

_Static_assert(MSTATUS_FS == 0x6000ull && MSTATUS_SD == 1ull << 63,
               "the FS checks test mstatus byte 1 and set byte 7");

/* The jumps into one micro-op's cold path and the cache they leave. */
typedef struct FpCold {
    RegCache before;
    uint32_t site[JG_COLD_SITES];
    unsigned n;
} FpCold;

static void fc_begin(Gen *g, FpCold *c)
{
    c->before = g->rc;
    c->n = 0;
}

static void fc_site(FpCold *c, uint32_t site)
{
    if (c->n < JG_COLD_SITES) {
        c->site[c->n++] = site;
    } else {
        abort();                 /* a generator bug: more guards than sites */
    }
}

static void fc_jcc(Gen *g, FpCold *c, int cc)
{
    fc_site(c, x_jcc(&g->b, cc));
}

static void fc_end(Gen *g, FpCold *c, const MicroOp *op)
{
    if (c->n) {
        jg_add_cold(g, c->site, c->n, op, JG_COLD_FP, &c->before);
    }
}

/* ---- guards ---- */

static void f_fs_check(Gen *g, FpCold *c)
{
    if (!g->fs_on) {
        x_mem(&g->b, 0, 0xf6, 0, RBX, OFF_MSTATUS + 1);    /* test byte [fs], 0x60 */
        x_b(&g->b, 0x60);
        fc_jcc(g, c, CC_E);
    }
}

static void f_set_dirty(Gen *g)
{
    if (!g->fs_dirty) {
        x_mem(&g->b, 0, 0x80, ALU_OR, RBX, OFF_MSTATUS + 1);
        x_b(&g->b, 0x60);
        x_mem(&g->b, 0, 0x80, ALU_OR, RBX, OFF_MSTATUS + 7);
        x_b(&g->b, 0x80);
    }
}

/* Rounds to nearest even with NX set (rm static 0, or dynamic and frm 0). */
static void f_guard_rne_nx(Gen *g, FpCold *c, unsigned rm)
{
    XBuf *b = &g->b;
    if (rm == 7) {
        x_mem(b, 0, 0x0fb6, RAX, RBX, OFF_FCSR);            /* movzx eax, byte [fcsr] */
        x_alu_ri(b, 0, ALU_AND, RAX, 0xe1);
        x_alu_ri(b, 0, ALU_CMP, RAX, 1);
        fc_jcc(g, c, CC_NE);
    } else {
        x_mem(b, 0, 0xf6, 0, RBX, OFF_FCSR);                /* test byte [fcsr], NX */
        x_b(b, 1);
        fc_jcc(g, c, CC_E);
    }
}

/* Only NX set (a static rounding mode the host instruction implements). */
static void f_guard_nx(Gen *g, FpCold *c)
{
    f_guard_rne_nx(g, c, 0);
}

/* An exact operation: any valid rounding mode (dynamic: frm 0 taken). */
static void f_guard_rm_valid(Gen *g, FpCold *c, unsigned rm)
{
    if (rm == 7) {
        x_mem(&g->b, 0, 0xf6, 0, RBX, OFF_FCSR);            /* test byte [fcsr], frm */
        x_b(&g->b, 0xe0);
        fc_jcc(g, c, CC_NE);
    }
}

/* The singles at r[0..n) are NaN-boxed (clobbers rax). */
static void f_guard_boxed(Gen *g, FpCold *c, const unsigned *r, unsigned n)
{
    XBuf *b = &g->b;
    x_load64(b, RAX, RBX, FPR(r[0]));
    for (unsigned i = 1; i < n; i++) {
        x_alu_rm(b, 1, 0x23, RAX, RBX, FPR(r[i]));         /* and rax, [fpr] */
    }
    x_shift_ri(b, 1, SH_SHR, RAX, 32);
    x_alu_ri(b, 0, ALU_CMP, RAX, -1);
    fc_jcc(g, c, CC_NE);
}

/* The result in rax (a double, or a single in eax) has an exponent field in
 * [2, max - 1] (clobbers rcx). */
static void f_guard_result(Gen *g, FpCold *c, bool dbl)
{
    XBuf *b = &g->b;
    x_mov_rr(b, RCX, RAX);
    x_shift_ri(b, 1, SH_SHR, RCX, dbl ? 52 : 23);
    x_alu_ri(b, 0, ALU_AND, RCX, dbl ? 0x7ff : 0xff);
    x_alu_ri(b, 0, ALU_SUB, RCX, 2);
    x_alu_ri(b, 0, ALU_CMP, RCX, dbl ? 0x7fc : 0xfc);
    fc_jcc(g, c, CC_A);
}

/* ---- moving values ---- */

/* xmm = the double or single in f register r */
static void f_load_x(Gen *g, int xr, unsigned r, bool dbl)
{
    x_sse_m(&g->b, dbl ? SSE_F2 : SSE_F3, 0, 0x0f10, xr, RBX, FPR(r));   /* movsd / movss */
}

/* rax = xmm0 (movq, or movd for a single) */
static void f_x0_to_rax(Gen *g, bool dbl)
{
    x_sse_r(&g->b, SSE_66, dbl, 0x0f7e, XMM0, RAX);
}

/* f register rd = rax (a single NaN-boxed); FS Dirty. */
static void f_put(Gen *g, unsigned rd, bool dbl)
{
    XBuf *b = &g->b;
    if (!dbl) {
        x_mov_imm(b, RCX, BOX_S);
        x_alu_rr(b, 1, 0x09, RAX, RCX);
    }
    x_store64(b, RAX, RBX, FPR(rd));
    f_set_dirty(g);
}

/* ---- the operations ---- */

static void f_mem(Gen *g, const MicroOp *op, bool store, bool dbl)
{
    XBuf *b = &g->b;
    FpCold c;
    jg_addr(g, op);
    fc_begin(g, &c);
    f_fs_check(g, &c);          /* before the access: exec_fp's order */
    fc_site(&c, jg_tlb_probe(g, dbl ? 8 : 4,
                                 (int32_t)(store ? offsetof(TLBEntry, tag_write)
                                                 : offsetof(TLBEntry, tag_read))));
    if (store) {
        x_load64(b, RCX, RBX, FPR(op->rs2));    /* fsw stores the low bits, boxed or not */
        x_mem_ex(b, 0, dbl, 0x89, RCX, RSI, RAX, 1, 0, false);
    } else {
        x_mem_ex(b, 0, dbl, 0x8b, RCX, RSI, RAX, 1, 0, false);
        x_mov_rr(b, RAX, RCX);
        f_put(g, op->rd, dbl);
    }
    fc_end(g, &c, op);
}

/* add, sub, mul, div, sqrt and the four fused multiply-adds */
static void f_arith(Gen *g, const MicroOp *op, unsigned fop, bool dbl)
{
    static const uint8_t sse[] = {
        [FOP_ADD] = 0x58, [FOP_SUB] = 0x5c, [FOP_MUL] = 0x59, [FOP_DIV] = 0x5e, [FOP_SQRT] = 0x51,
    };
    XBuf *b = &g->b;
    uint8_t pfx = dbl ? SSE_F2 : SSE_F3;
    unsigned rs3 = FP_AUX_RS3(op->aux), var = FP_AUX_VAR(op->aux);
    FpCold c;
    fc_begin(g, &c);
    f_fs_check(g, &c);
    f_guard_rne_nx(g, &c, FP_AUX_RM(op->aux));
    if (!dbl) {
        const unsigned r[3] = { op->rs1, op->rs2, rs3 };
        f_guard_boxed(g, &c, r, fop == FOP_SQRT ? 1 : fop == FOP_FMA ? 3 : 2);
    }
    if (fop == FOP_SQRT) {
        x_sse_m(b, pfx, 0, 0x0f51, XMM0, RBX, FPR(op->rs1));
    } else if (fop == FOP_FMA) {
        /* vfm{add,sub}/vfnm{add,sub}132: xmm0 = +-(xmm0 * rs2) +- xmm1 in
         * the variants' order (fmadd, fmsub, fnmsub, fnmadd) */
        f_load_x(g, XMM0, op->rs1, dbl);
        f_load_x(g, XMM1, rs3, dbl);
        x_vex_m(b, dbl, (uint8_t)(0x99 + 2 * var), XMM0, XMM1, RBX, FPR(op->rs2));
    } else {
        f_load_x(g, XMM0, op->rs1, dbl);
        x_sse_m(b, pfx, 0, 0x0f00u | sse[fop], XMM0, RBX, FPR(op->rs2));
    }
    f_x0_to_rax(g, dbl);
    f_guard_result(g, &c, dbl);
    f_put(g, op->rd, dbl);
    fc_end(g, &c, op);
}

static void f_sgnj(Gen *g, const MicroOp *op, bool dbl)
{
    XBuf *b = &g->b;
    unsigned var = FP_AUX_VAR(op->aux);
    FpCold c;
    fc_begin(g, &c);
    f_fs_check(g, &c);
    if (!dbl) {
        const unsigned r[2] = { op->rs1, op->rs2 };
        f_guard_boxed(g, &c, r, 2);
    }
    x_load64(b, RAX, RBX, FPR(op->rs1));
    if (!(var == 0 && op->rs1 == op->rs2)) {             /* not fmv */
        /* rax ^= (sign of rs1 ^ the sign wanted) */
        x_load64(b, RCX, RBX, FPR(op->rs2));
        if (var != 2) {
            x_alu_rr(b, 1, 0x31, RCX, RAX);
        }
        if (var == 1) {
            x_rr(b, 1, 0xf7, 2, RCX);                        /* not rcx */
        }
        x_shift_ri(b, dbl, SH_SHR, RCX, dbl ? 63 : 31);
        x_shift_ri(b, dbl, SH_SHL, RCX, dbl ? 63 : 31);
        x_alu_rr(b, 1, 0x31, RAX, RCX);
    }
    if (!dbl) {
        x_mov32_rr(b, RAX, RAX);
    }
    f_put(g, op->rd, dbl);
    fc_end(g, &c, op);
}

/* Neither operand a NaN (ucomis sets PF when unordered), the flags of
 * xmm0 against rs2 left. */
static void f_ordered(Gen *g, FpCold *c, const MicroOp *op, bool dbl)
{
    f_load_x(g, XMM0, op->rs1, dbl);
    x_sse_m(&g->b, dbl ? SSE_66 : SSE_NONE, 0, 0x0f2e, XMM0, RBX, FPR(op->rs2));
    fc_jcc(g, c, CC_P);
}

/* min and max: by the comparison, and for equal operands (either zero's
 * sign) the OR (min) or AND (max) of their bits. */
static void f_minmax(Gen *g, const MicroOp *op, bool dbl)
{
    XBuf *b = &g->b;
    bool max = FP_AUX_VAR(op->aux) != 0;
    FpCold c;
    fc_begin(g, &c);
    f_fs_check(g, &c);
    if (!dbl) {
        const unsigned r[2] = { op->rs1, op->rs2 };
        f_guard_boxed(g, &c, r, 2);
    }
    f_ordered(g, &c, op, dbl);
    x_mem(b, dbl, 0x8b, RAX, RBX, FPR(op->rs1));          /* (mov keeps the flags) */
    x_mem(b, dbl, 0x8b, RCX, RBX, FPR(op->rs2));
    uint32_t ne = x_jcc(b, CC_NE);
    x_alu_rr(b, 1, max ? 0x21 : 0x09, RAX, RCX);
    uint32_t done = x_jmp(b);
    x_patch(b, ne, b->pos);
    x_rr(b, 1, 0x0f40u | (max ? CC_B : CC_A), RAX, RCX);  /* cmov: rs2 is the answer */
    x_patch(b, done, b->pos);
    f_put(g, op->rd, dbl);
    fc_end(g, &c, op);
}

static void f_cmp(Gen *g, const MicroOp *op, bool dbl)
{
    static const uint8_t cc[] = { CC_BE, CC_B, CC_E };      /* fle, flt, feq */
    FpCold c;
    fc_begin(g, &c);
    f_fs_check(g, &c);
    if (!dbl) {
        const unsigned r[2] = { op->rs1, op->rs2 };
        f_guard_boxed(g, &c, r, 2);
    }
    f_ordered(g, &c, op, dbl);
    x_setcc_movzx(&g->b, cc[FP_AUX_VAR(op->aux)], RAX);
    if (op->rd) {
        x_mov_rr(&g->b, jg_dst(g, op->rd), RAX);
    }
    fc_end(g, &c, op);
}

static void f_mv_xf(Gen *g, const MicroOp *op, bool dbl)
{
    FpCold c;
    fc_begin(g, &c);
    f_fs_check(g, &c);
    if (op->rd) {
        int d = jg_dst(g, op->rd);
        if (dbl) {
            x_load64(&g->b, d, RBX, FPR(op->rs1));
        } else {
            x_mem(&g->b, 1, 0x63, d, RBX, FPR(op->rs1));   /* movsxd */
        }
    }
    fc_end(g, &c, op);
}

static void f_mv_fx(Gen *g, const MicroOp *op, bool dbl)
{
    int s = jg_src(g, op->rs1, RDX);
    FpCold c;
    fc_begin(g, &c);
    f_fs_check(g, &c);
    if (dbl) {
        x_mov_rr(&g->b, RAX, s);
    } else {
        x_mov32_rr(&g->b, RAX, s);
    }
    f_put(g, op->rd, dbl);
    fc_end(g, &c, op);
}

/* fcvt.d.s (exact: a non-NaN single) and fcvt.s.d (rounds) */
static void f_cvt_ff(Gen *g, const MicroOp *op, bool to_dbl)
{
    XBuf *b = &g->b;
    FpCold c;
    fc_begin(g, &c);
    f_fs_check(g, &c);
    if (to_dbl) {
        f_guard_rm_valid(g, &c, FP_AUX_RM(op->aux));
        const unsigned r[1] = { op->rs1 };
        f_guard_boxed(g, &c, r, 1);
        x_mem(b, 0, 0x8b, RAX, RBX, FPR(op->rs1));
        x_alu_ri(b, 0, ALU_AND, RAX, 0x7f800000);
        x_alu_ri(b, 0, ALU_CMP, RAX, 0x7f800000);
        fc_jcc(g, &c, CC_E);
        x_sse_m(b, SSE_F3, 0, 0x0f5a, XMM0, RBX, FPR(op->rs1));   /* cvtss2sd */
        f_x0_to_rax(g, true);
    } else {
        f_guard_rne_nx(g, &c, FP_AUX_RM(op->aux));
        x_sse_m(b, SSE_F2, 0, 0x0f5a, XMM0, RBX, FPR(op->rs1));   /* cvtsd2ss */
        f_x0_to_rax(g, false);
        f_guard_result(g, &c, false);
    }
    f_put(g, op->rd, to_dbl);
    fc_end(g, &c, op);
}

/* integer to float: w, wu, l (lu: the helper) */
static void f_cvt_fi(Gen *g, const MicroOp *op, bool dbl)
{
    XBuf *b = &g->b;
    unsigned var = FP_AUX_VAR(op->aux), rm = FP_AUX_RM(op->aux);
    int s = jg_src(g, op->rs1, RDX);
    FpCold c;
    fc_begin(g, &c);
    f_fs_check(g, &c);
    if (dbl && var < 2) {
        f_guard_rm_valid(g, &c, rm);                         /* a double holds any int32 */
    } else {
        f_guard_rne_nx(g, &c, rm);
    }
    if (var == 1) {
        x_mov32_rr(b, RAX, s);                               /* zero-extended, converted as int64 */
        s = RAX;
    }
    x_sse_r(b, SSE_NONE, 0, 0x0f57, XMM0, XMM0);             /* xorps: no false dependency */
    x_sse_r(b, dbl ? SSE_F2 : SSE_F3, var != 0, 0x0f2a, XMM0, s);   /* cvtsi2sd / ss */
    f_x0_to_rax(g, dbl);
    f_put(g, op->rd, dbl);
    fc_end(g, &c, op);
}

/* float to w or l, rounding to nearest even or toward zero; a result the
 * host flags as invalid (the "integer indefinite", also a true minimum) goes
 * to the helper. */
static void f_cvt_if(Gen *g, const MicroOp *op, bool dbl)
{
    XBuf *b = &g->b;
    unsigned var = FP_AUX_VAR(op->aux), rm = FP_AUX_RM(op->aux);
    bool w64 = var == 2;
    FpCold c;
    fc_begin(g, &c);
    f_fs_check(g, &c);
    if (rm == 1) {
        f_guard_nx(g, &c);
    } else {
        f_guard_rne_nx(g, &c, rm);
    }
    if (!g->fs_dirty) {
        /* an inexact conversion raises NX again, which makes FS Dirty */
        x_mem(b, 0, 0x0fb6, RAX, RBX, OFF_MSTATUS + 1);
        x_alu_ri(b, 0, ALU_AND, RAX, 0x60);
        x_alu_ri(b, 0, ALU_CMP, RAX, 0x60);
        fc_jcc(g, &c, CC_NE);
    }
    if (!dbl) {
        const unsigned r[1] = { op->rs1 };
        f_guard_boxed(g, &c, r, 1);
    }
    x_sse_m(b, dbl ? SSE_F2 : SSE_F3, w64, rm == 1 ? 0x0f2c : 0x0f2d, RAX, RBX, FPR(op->rs1));
    x_mov_rr(b, RCX, RAX);
    x_rr(b, w64, 0xf7, 3, RCX);                              /* neg: OF for the minimum */
    fc_jcc(g, &c, CC_O);
    if (op->rd) {
        int d = jg_dst(g, op->rd);
        if (w64) {
            x_mov_rr(b, d, RAX);
        } else {
            x_movsxd(b, d, RAX);
        }
    }
    fc_end(g, &c, op);
}

/* Whether the micro-op has an inline form (else the helper runs it). */
static bool f_inline(const Gen *g, uint32_t aux)
{
    unsigned fop = FP_AUX_FOP(aux), fmt = FP_AUX_FMT(aux), rm = FP_AUX_RM(aux);
    unsigned var = FP_AUX_VAR(aux);
    bool rne = rm == 0 || rm == 7;
    switch (fop) {
    case FOP_LOAD: case FOP_STORE: case FOP_SGNJ: case FOP_MINMAX: case FOP_CMP:
    case FOP_MV_XF: case FOP_MV_FX:
        return true;
    case FOP_FMA:
        return rne && g->j->host_fma;
    case FOP_ADD: case FOP_SUB: case FOP_MUL: case FOP_DIV: case FOP_SQRT:
        return rne;
    case FOP_CVT_FF:
        return fmt == 1 || rne;
    case FOP_CVT_FI:
        return var != 3 && (rne || (fmt == 1 && var < 2));
    case FOP_CVT_IF:
        return (var == 0 || var == 2) && (rne || rm == 1);
    default:
        return false;
    }
}

void jit_fp_gen(Gen *g, const MicroOp *op)
{
    unsigned fop = FP_AUX_FOP(op->aux);
    bool dbl = FP_AUX_FMT(op->aux) == 1;

    if (!f_inline(g, op->aux)) {
        jg_call_helper(g, op, (const void *)jit_helper_fp);
    } else {
        switch (fop) {
        case FOP_LOAD:   f_mem(g, op, false, dbl); break;
        case FOP_STORE:  f_mem(g, op, true, dbl); break;
        case FOP_SGNJ:   f_sgnj(g, op, dbl); break;
        case FOP_MINMAX: f_minmax(g, op, dbl); break;
        case FOP_CMP:    f_cmp(g, op, dbl); break;
        case FOP_MV_XF:  f_mv_xf(g, op, dbl); break;
        case FOP_MV_FX:  f_mv_fx(g, op, dbl); break;
        case FOP_CVT_FF: f_cvt_ff(g, op, dbl); break;
        case FOP_CVT_FI: f_cvt_fi(g, op, dbl); break;
        case FOP_CVT_IF: f_cvt_if(g, op, dbl); break;
        default:         f_arith(g, op, fop, dbl); break;
        }
    }
    if (!g->fs_on) {
        /* The interpreter leaves a block after an F/D instruction that
         * finds the slice over (a block entered past the limit, outside
         * exact mode, stops there). Only the first can: after it nothing
         * but a helper, which checks itself, moves the limit. */
        RegCache before = g->rc;
        x_alu_rm(&g->b, 1, 0x3b, R15, RBX, jg_off_limit());     /* cmp r15 (icount), limit */
        uint32_t site = x_jcc(&g->b, CC_AE);
        jg_add_cold(g, &site, 1, op, JG_COLD_NEXT, &before);
    }
    /* Past this micro-op, on any path, FS was on; and Dirty if it wrote an
     * FP register (both paths do). */
    g->fs_on = true;
    switch (fop) {
    case FOP_STORE: case FOP_CMP: case FOP_CVT_IF: case FOP_MV_XF: case FOP_CLASS:
        break;
    default:
        g->fs_dirty = true;
    }
}

#endif

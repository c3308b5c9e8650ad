/* One stub per instruction under test (and per static rounding mode).
 *
 * Every stub takes the operands as bit patterns in a0, a1, a2 and frm in a3,
 * and returns the destination register in a0 and fflags in a1 (a struct of
 * two dwords, which the psABI returns in a0/a1). FP operands go in through
 * fmv.d.x, so a single that is not NaN-boxed reaches the instruction as it
 * is; FP results come back through fmv.x.d, so the boxing of a single result
 * is compared too.
 *
 * For each class NAME the table NAME_tab holds six stubs: static rm RNE,
 * RTZ, RDN, RUP, RMM and dynamic (frm = a3). Instructions without a
 * rounding mode repeat one stub six times. */
    .option arch, rv64imafdc_zba_zbb_zbc_zbs
    .option norvc   /* the immediate tables below need fixed 8-byte entries */
    .text

.macro FP_IN
    fmv.d.x fa0, a0
    fmv.d.x fa1, a1
    fmv.d.x fa2, a2
    fsrm a3
    fsflags zero
.endm

/* FP result: rm in the instruction (args: the operands after fa0). */
.macro OP_RM name, insn, ops:vararg
    .balign 8
    .irp rm, rne, rtz, rdn, rup, rmm, dyn
\name\()_\rm:
    FP_IN
    \insn fa0, \ops, \rm
    frflags a1
    fmv.x.d a0, fa0
    ret
    .endr
    .section .rodata
    .balign 8
    .globl \name\()_tab
\name\()_tab:
    .dword \name\()_rne, \name\()_rtz, \name\()_rdn, \name\()_rup, \name\()_rmm, \name\()_dyn
    .text
.endm

/* Integer result: rm in the instruction (fcvt to an integer). */
.macro XOP_RM name, insn
    .balign 8
    .irp rm, rne, rtz, rdn, rup, rmm, dyn
\name\()_\rm:
    FP_IN
    \insn a0, fa0, \rm
    frflags a1
    ret
    .endr
    .section .rodata
    .balign 8
    .globl \name\()_tab
\name\()_tab:
    .dword \name\()_rne, \name\()_rtz, \name\()_rdn, \name\()_rup, \name\()_rmm, \name\()_dyn
    .text
.endm

/* FP result from an integer: rm in the instruction (fcvt from an integer). */
.macro FXOP_RM name, insn
    .balign 8
    .irp rm, rne, rtz, rdn, rup, rmm, dyn
\name\()_\rm:
    FP_IN
    \insn fa0, a0, \rm
    frflags a1
    fmv.x.d a0, fa0
    ret
    .endr
    .section .rodata
    .balign 8
    .globl \name\()_tab
\name\()_tab:
    .dword \name\()_rne, \name\()_rtz, \name\()_rdn, \name\()_rup, \name\()_rmm, \name\()_dyn
    .text
.endm

.macro TAB1 name
    .section .rodata
    .balign 8
    .globl \name\()_tab
\name\()_tab:
    .rept 6
    .dword \name\()_stub
    .endr
    .text
.endm

/* No rounding mode; DEST is fa0 (FP result) or a0 (integer result). */
.macro OP name, dest, insn, ops:vararg
    .balign 8
\name\()_stub:
    FP_IN
    \insn \dest, \ops
    frflags a1
    .ifc \dest, fa0
    fmv.x.d a0, fa0
    .endif
    ret
    TAB1 \name
.endm

/* Bit manipulation: integer in, integer out, fflags 0. */
.macro BOP name, insn, ops:vararg
    .balign 8
\name\()_stub:
    \insn a0, \ops
    li a1, 0
    ret
    TAB1 \name
.endm

/* Immediate forms: the shift amount is a1 & MASK, through a table of
 * 8-byte "insn; ret" entries, one per immediate. */
.macro BIMM name, insn, mask
    .balign 8
\name\()_stub:
    andi a1, a1, \mask
    slli a1, a1, 3
    la t0, 1f
    add t0, t0, a1
    li a1, 0
    jr t0
1:
    .set imm, 0
    .rept \mask + 1
    \insn a0, a0, imm
    ret
    .set imm, imm + 1
    .endr
    TAB1 \name
.endm

/* ---- F and D (the same list for .s and .d) ---- */
.irp f, s, d
    OP_RM fadd_\f, fadd.\f, fa0, fa1
    OP_RM fsub_\f, fsub.\f, fa0, fa1
    OP_RM fmul_\f, fmul.\f, fa0, fa1
    OP_RM fdiv_\f, fdiv.\f, fa0, fa1
    OP_RM fsqrt_\f, fsqrt.\f, fa0
    OP_RM fmadd_\f, fmadd.\f, fa0, fa1, fa2
    OP_RM fmsub_\f, fmsub.\f, fa0, fa1, fa2
    OP_RM fnmadd_\f, fnmadd.\f, fa0, fa1, fa2
    OP_RM fnmsub_\f, fnmsub.\f, fa0, fa1, fa2
    OP fmin_\f, fa0, fmin.\f, fa0, fa1
    OP fmax_\f, fa0, fmax.\f, fa0, fa1
    OP fsgnj_\f, fa0, fsgnj.\f, fa0, fa1
    OP fsgnjn_\f, fa0, fsgnjn.\f, fa0, fa1
    OP fsgnjx_\f, fa0, fsgnjx.\f, fa0, fa1
    OP feq_\f, a0, feq.\f, fa0, fa1
    OP flt_\f, a0, flt.\f, fa0, fa1
    OP fle_\f, a0, fle.\f, fa0, fa1
    OP fclass_\f, a0, fclass.\f, fa0
    XOP_RM fcvt_w_\f, fcvt.w.\f
    XOP_RM fcvt_wu_\f, fcvt.wu.\f
    XOP_RM fcvt_l_\f, fcvt.l.\f
    XOP_RM fcvt_lu_\f, fcvt.lu.\f
    FXOP_RM fcvt_\f\()_l, fcvt.\f\().l
    FXOP_RM fcvt_\f\()_lu, fcvt.\f\().lu
.endr
    FXOP_RM fcvt_s_w, fcvt.s.w
    FXOP_RM fcvt_s_wu, fcvt.s.wu
    /* Exact conversions: the assembler takes no rounding mode for these. */
    OP fcvt_d_w, fa0, fcvt.d.w, a0
    OP fcvt_d_wu, fa0, fcvt.d.wu, a0
    OP fcvt_d_s, fa0, fcvt.d.s, fa0
    OP fmv_x_w, a0, fmv.x.w, fa0
    OP fmv_w_x, fa0, fmv.w.x, a0
    OP fmv_x_d, a0, fmv.x.d, fa0
    OP fmv_d_x, fa0, fmv.d.x, a0
    OP_RM fcvt_s_d, fcvt.s.d, fa0

/* ---- Zba ---- */
    BOP add_uw, add.uw, a0, a1
    BOP sh1add, sh1add, a0, a1
    BOP sh2add, sh2add, a0, a1
    BOP sh3add, sh3add, a0, a1
    BOP sh1add_uw, sh1add.uw, a0, a1
    BOP sh2add_uw, sh2add.uw, a0, a1
    BOP sh3add_uw, sh3add.uw, a0, a1
    BIMM slli_uw, slli.uw, 63
/* ---- Zbb ---- */
    BOP andn, andn, a0, a1
    BOP orn, orn, a0, a1
    BOP xnor, xnor, a0, a1
    BOP clz, clz, a0
    BOP clzw, clzw, a0
    BOP ctz, ctz, a0
    BOP ctzw, ctzw, a0
    BOP cpop, cpop, a0
    BOP cpopw, cpopw, a0
    BOP max, max, a0, a1
    BOP maxu, maxu, a0, a1
    BOP min, min, a0, a1
    BOP minu, minu, a0, a1
    BOP sext_b, sext.b, a0
    BOP sext_h, sext.h, a0
    BOP zext_h, zext.h, a0
    BOP rol, rol, a0, a1
    BOP rolw, rolw, a0, a1
    BOP ror, ror, a0, a1
    BOP rorw, rorw, a0, a1
    BIMM rori, rori, 63
    BIMM roriw, roriw, 31
    BOP orc_b, orc.b, a0
    BOP rev8, rev8, a0
/* ---- Zbc ---- */
    BOP clmul, clmul, a0, a1
    BOP clmulh, clmulh, a0, a1
    BOP clmulr, clmulr, a0, a1
/* ---- Zbs ---- */
    BOP bclr, bclr, a0, a1
    BOP bext, bext, a0, a1
    BOP binv, binv, a0, a1
    BOP bset, bset, a0, a1
    BIMM bclri, bclri, 63
    BIMM bexti, bexti, 63
    BIMM binvi, binvi, 63
    BIMM bseti, bseti, 63

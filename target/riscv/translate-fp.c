/* Decoder for the F and D extensions: every FP instruction becomes one
 * OP_FP micro-op whose aux names the operation (target/riscv/fpu.h). The
 * FS and dynamic rounding-mode checks happen when it runs, so that integer
 * code pays nothing for them; a static rm of 5 or 6 is reserved and is
 * decoded as illegal here. */
#include "target/riscv/fpu.h"

#define BITS(x, hi, lo) (((x) >> (lo)) & ((1u << ((hi) - (lo) + 1)) - 1))
#define BIT(x, n)       (((x) >> (n)) & 1u)

static void fp_set(DecodedInsn *d, unsigned rd, unsigned rs1, unsigned rs2, int64_t imm,
                   uint32_t aux)
{
    d->op = OP_FP;
    d->rd = (uint8_t)rd;
    d->rs1 = (uint8_t)rs1;
    d->rs2 = (uint8_t)rs2;
    d->imm = imm;
    d->fp = aux;
}

static bool fp_rm_reserved(unsigned rm)
{
    return rm == 5 || rm == 6;
}

/* OP-FP (0x53): funct7 is the operation (bits 6:2) and the format (1:0). */
static void decode_op_fp(uint32_t insn, DecodedInsn *d)
{
    unsigned rd = BITS(insn, 11, 7), rs1 = BITS(insn, 19, 15), rs2 = BITS(insn, 24, 20);
    unsigned rm = BITS(insn, 14, 12), f5 = insn >> 27, fmt = BITS(insn, 26, 25);
    unsigned fop, var = 0;
    bool uses_rm = true;

    if (fmt > 1) {
        return;                 /* H and Q are not implemented */
    }
    switch (f5) {
    case 0x00: fop = FOP_ADD; break;
    case 0x01: fop = FOP_SUB; break;
    case 0x02: fop = FOP_MUL; break;
    case 0x03: fop = FOP_DIV; break;
    case 0x0b:
        if (rs2) {
            return;
        }
        fop = FOP_SQRT;
        break;
    case 0x04:
        if (rm > 2) {
            return;
        }
        fop = FOP_SGNJ;
        var = rm;
        uses_rm = false;
        break;
    case 0x05:
        if (rm > 1) {
            return;
        }
        fop = FOP_MINMAX;
        var = rm;
        uses_rm = false;
        break;
    case 0x08:
        /* fcvt.s.d (fmt S, rs2 1) and fcvt.d.s (fmt D, rs2 0) */
        if (rs2 != (fmt == 0 ? 1u : 0u)) {
            return;
        }
        fop = FOP_CVT_FF;
        break;
    case 0x14:
        if (rm > 2) {
            return;
        }
        fop = FOP_CMP;
        var = rm;
        uses_rm = false;
        break;
    case 0x18:
    case 0x1a:
        if (rs2 > 3) {
            return;
        }
        fop = f5 == 0x18 ? FOP_CVT_IF : FOP_CVT_FI;
        var = rs2;
        break;
    case 0x1c:
        if (rs2 || rm > 1) {
            return;
        }
        fop = rm ? FOP_CLASS : FOP_MV_XF;
        uses_rm = false;
        break;
    case 0x1e:
        if (rs2 || rm) {
            return;
        }
        fop = FOP_MV_FX;
        uses_rm = false;
        break;
    default:
        return;
    }
    if (uses_rm && fp_rm_reserved(rm)) {
        return;
    }
    fp_set(d, rd, rs1, rs2, 0, FP_AUX(fop, fmt, uses_rm ? rm : 0, uses_rm, var, 0));
}

void translate_decode_fp(uint32_t insn, DecodedInsn *d)
{
    unsigned rd = BITS(insn, 11, 7), rs1 = BITS(insn, 19, 15), rs2 = BITS(insn, 24, 20);
    unsigned f3 = BITS(insn, 14, 12), fmt = BITS(insn, 26, 25);
    int64_t imm_i = (int32_t)insn >> 20;
    int64_t imm_s = (int64_t)((int32_t)insn >> 25) * 32 + rd;

    switch (insn & 0x7f) {
    case 0x07:                  /* flw, fld */
        if (f3 == 2 || f3 == 3) {
            fp_set(d, rd, rs1, 0, imm_i, FP_AUX(FOP_LOAD, f3 - 2, 0, 0, 0, 0));
        }
        return;
    case 0x27:                  /* fsw, fsd */
        if (f3 == 2 || f3 == 3) {
            fp_set(d, 0, rs1, rs2, imm_s, FP_AUX(FOP_STORE, f3 - 2, 0, 0, 0, 0));
        }
        return;
    case 0x43: case 0x47: case 0x4b: case 0x4f:     /* fmadd, fmsub, fnmsub, fnmadd */
        if (fmt > 1 || fp_rm_reserved(f3)) {
            return;
        }
        fp_set(d, rd, rs1, rs2, 0,
               FP_AUX(FOP_FMA, fmt, f3, 1, BITS(insn, 3, 2), insn >> 27));
        return;
    case 0x53:
        decode_op_fp(insn, d);
        return;
    }
}

void translate_decode_fp_c(uint32_t c, DecodedInsn *d)
{
    unsigned rdp = 8 + BITS(c, 4, 2), rs1p = 8 + BITS(c, 9, 7);
    unsigned rd = BITS(c, 11, 7), rs2 = BITS(c, 6, 2);
    uint64_t ld_off = BITS(c, 12, 10) << 3 | BITS(c, 6, 5) << 6;

    switch ((c & 3) << 3 | BITS(c, 15, 13)) {
    case 1:     /* c.fld */
        fp_set(d, rdp, rs1p, 0, (int64_t)ld_off, FP_AUX(FOP_LOAD, 1, 0, 0, 0, 0));
        break;
    case 5:     /* c.fsd */
        fp_set(d, 0, rs1p, rdp, (int64_t)ld_off, FP_AUX(FOP_STORE, 1, 0, 0, 0, 0));
        break;
    case 17:    /* c.fldsp (f0 is a valid destination) */
        fp_set(d, rd, 2, 0, (int64_t)(BIT(c, 12) << 5 | BITS(c, 6, 5) << 3 | BITS(c, 4, 2) << 6),
               FP_AUX(FOP_LOAD, 1, 0, 0, 0, 0));
        break;
    case 21:    /* c.fsdsp */
        fp_set(d, 0, 2, rs2, (int64_t)(BITS(c, 12, 10) << 3 | BITS(c, 9, 7) << 6),
               FP_AUX(FOP_STORE, 1, 0, 0, 0, 0));
        break;
    }
}

/* Names the F and D instructions for x/i and -d in_asm. It decodes with the
 * translator's own FP decoder, so what is shown is what runs. */
#include <stdio.h>

#include "target/riscv/disas-fp.h"
#include "target/riscv/fpu.h"

static const char *const fregs[32] = {
    "ft0", "ft1", "ft2", "ft3", "ft4", "ft5", "ft6", "ft7", "fs0", "fs1", "fa0", "fa1",
    "fa2", "fa3", "fa4", "fa5", "fa6", "fa7", "fs2", "fs3", "fs4", "fs5", "fs6", "fs7",
    "fs8", "fs9", "fs10", "fs11", "ft8", "ft9", "ft10", "ft11",
};

static const char *const xregs[32] = {
    "zero", "ra", "sp", "gp", "tp", "t0", "t1", "t2", "s0", "s1", "a0", "a1", "a2", "a3", "a4",
    "a5", "a6", "a7", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9", "s10", "s11", "t3", "t4",
    "t5", "t6",
};

static const char *const rm_names[8] = { "rne", "rtz", "rdn", "rup", "rmm", "", "", "dyn" };

bool disas_fp(uint32_t insn, char *out, size_t outlen)
{
    DecodedInsn d = { .op = OP_ILLEGAL };
    bool compressed = (insn & 3) != 3;

    if (compressed) {
        translate_decode_fp_c(insn & 0xffff, &d);
    } else {
        translate_decode_fp(insn, &d);
    }
    if (d.op != OP_FP) {
        return false;
    }
    unsigned fop = FP_AUX_FOP(d.fp), fmt = FP_AUX_FMT(d.fp), var = FP_AUX_VAR(d.fp);
    unsigned rm = FP_AUX_RM(d.fp);
    char sfx = fmt ? 'd' : 's', mn[24], ops[64], rms[8] = "";
    const char *D = fregs[d.rd], *S1 = fregs[d.rs1], *S2 = fregs[d.rs2];
    static const char *const ints[4] = { "w", "wu", "l", "lu" };

    /* Exact conversions (to D from S, w, wu) are assembled with rm=rne,
     * which objdump does not show. */
    bool exact = fmt == 1 && ((fop == FOP_CVT_FF) || (fop == FOP_CVT_FI && var < 2));
    if (FP_AUX_USES_RM(d.fp) && rm != 7 && !(exact && rm == 0)) {
        snprintf(rms, sizeof(rms), ",%s", rm_names[rm]);
    }
    switch (fop) {
    case FOP_LOAD:
    case FOP_STORE: {
        bool ld = fop == FOP_LOAD;
        const char *base = compressed ? (d.rs1 == 2 && (insn & 3) == 2 ? "sp" : xregs[d.rs1])
                                      : xregs[d.rs1];
        snprintf(mn, sizeof(mn), "%s%s%s", compressed ? "c." : "", ld ? "fl" : "fs",
                 fmt ? "d" : "w");
        if (compressed && (insn & 3) == 2) {
            snprintf(mn, sizeof(mn), "c.%s", ld ? "fldsp" : "fsdsp");
        }
        snprintf(ops, sizeof(ops), "%s,%lld(%s)", ld ? D : S2, (long long)d.imm, base);
        break;
    }
    case FOP_FMA: {
        static const char *const n[4] = { "fmadd", "fmsub", "fnmsub", "fnmadd" };
        snprintf(mn, sizeof(mn), "%s.%c", n[var], sfx);
        snprintf(ops, sizeof(ops), "%s,%s,%s,%s%s", D, S1, S2, fregs[FP_AUX_RS3(d.fp)], rms);
        break;
    }
    case FOP_ADD: case FOP_SUB: case FOP_MUL: case FOP_DIV: {
        static const char *const n[4] = { "fadd", "fsub", "fmul", "fdiv" };
        snprintf(mn, sizeof(mn), "%s.%c", n[fop - FOP_ADD], sfx);
        snprintf(ops, sizeof(ops), "%s,%s,%s%s", D, S1, S2, rms);
        break;
    }
    case FOP_SQRT:
        snprintf(mn, sizeof(mn), "fsqrt.%c", sfx);
        snprintf(ops, sizeof(ops), "%s,%s%s", D, S1, rms);
        break;
    case FOP_SGNJ: case FOP_MINMAX: {
        static const char *const sg[3] = { "fsgnj", "fsgnjn", "fsgnjx" };
        snprintf(mn, sizeof(mn), "%s.%c", fop == FOP_SGNJ ? sg[var] : var ? "fmax" : "fmin",
                 sfx);
        snprintf(ops, sizeof(ops), "%s,%s,%s", D, S1, S2);
        break;
    }
    case FOP_CVT_FF:
        snprintf(mn, sizeof(mn), "fcvt.%c.%c", sfx, fmt ? 's' : 'd');
        snprintf(ops, sizeof(ops), "%s,%s%s", D, S1, rms);
        break;
    case FOP_CMP: {
        static const char *const n[3] = { "fle", "flt", "feq" };
        snprintf(mn, sizeof(mn), "%s.%c", n[var], sfx);
        snprintf(ops, sizeof(ops), "%s,%s,%s", xregs[d.rd], S1, S2);
        break;
    }
    case FOP_CVT_IF:
        snprintf(mn, sizeof(mn), "fcvt.%s.%c", ints[var], sfx);
        snprintf(ops, sizeof(ops), "%s,%s%s", xregs[d.rd], S1, rms);
        break;
    case FOP_CVT_FI:
        snprintf(mn, sizeof(mn), "fcvt.%c.%s", sfx, ints[var]);
        snprintf(ops, sizeof(ops), "%s,%s%s", D, xregs[d.rs1], rms);
        break;
    case FOP_MV_XF:
        snprintf(mn, sizeof(mn), "fmv.x.%c", fmt ? 'd' : 'w');
        snprintf(ops, sizeof(ops), "%s,%s", xregs[d.rd], S1);
        break;
    case FOP_CLASS:
        snprintf(mn, sizeof(mn), "fclass.%c", sfx);
        snprintf(ops, sizeof(ops), "%s,%s", xregs[d.rd], S1);
        break;
    default:    /* FOP_MV_FX */
        snprintf(mn, sizeof(mn), "fmv.%c.x", fmt ? 'd' : 'w');
        snprintf(ops, sizeof(ops), "%s,%s", D, xregs[d.rs1]);
        break;
    }
    /* "%-7s " as disas.c: an 8-character mnemonic still gets its space */
    snprintf(out, outlen, "%-7s %s", mn, ops);
    return true;
}

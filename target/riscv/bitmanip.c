/* Zba, Zbb, Zbc and Zbs: the decoder, the carry-less multiplies, the
 * names the disassembler prints and the reference evaluator. The simple
 * semantics are inline in target/riscv/bitmanip.h. */
#include <stddef.h>
#include <string.h>

#include "target/riscv/bitmanip.h"
#include "target/riscv/tb.h"

/* ---- Zbc ---- */

uint64_t bm_clmul(uint64_t a, uint64_t b)
{
    uint64_t r = 0;
    for (unsigned i = 0; i < 64; i++) {
        if ((b >> i) & 1) {
            r ^= a << i;
        }
    }
    return r;
}

/* Bits 127..64 of the 128-bit carry-less product. */
uint64_t bm_clmulh(uint64_t a, uint64_t b)
{
    uint64_t r = 0;
    for (unsigned i = 1; i < 64; i++) {
        if ((b >> i) & 1) {
            r ^= a >> (64 - i);
        }
    }
    return r;
}

/* Bits 126..63 of the product (bit-reversed multiply). */
uint64_t bm_clmulr(uint64_t a, uint64_t b)
{
    uint64_t r = 0;
    for (unsigned i = 0; i < 64; i++) {
        if ((b >> i) & 1) {
            r ^= a >> (63 - i);
        }
    }
    return r;
}

/* ---- names and forms ---- */

static const struct {
    const char *name;
    BitmanipForm form;
} bitmanip_desc[] = {
#define BM_DESC(op, fn, form, mn) [OP_##op - BITMANIP_FIRST_OP] = { mn, BITMANIP_FORM_##form },
    BITMANIP_OPS(BM_DESC)
#undef BM_DESC
};

static bool bitmanip_is_op(unsigned op)
{
    return op >= BITMANIP_FIRST_OP && op <= BITMANIP_LAST_OP;
}

const char *bitmanip_name(unsigned op)
{
    return bitmanip_is_op(op) ? bitmanip_desc[op - BITMANIP_FIRST_OP].name : NULL;
}

BitmanipForm bitmanip_form(unsigned op)
{
    return bitmanip_is_op(op) ? bitmanip_desc[op - BITMANIP_FIRST_OP].form : BITMANIP_FORM_RR;
}

/* ---- decoding ---- */

#define F7F3(f7, f3) ((f7) << 3 | (f3))

/* OP (0x33): register-register forms. */
static unsigned bitmanip_decode_op(unsigned f7, unsigned f3)
{
    switch (F7F3(f7, f3)) {
    case F7F3(0x10, 2): return OP_SH1ADD;
    case F7F3(0x10, 4): return OP_SH2ADD;
    case F7F3(0x10, 6): return OP_SH3ADD;
    case F7F3(0x20, 7): return OP_ANDN;
    case F7F3(0x20, 6): return OP_ORN;
    case F7F3(0x20, 4): return OP_XNOR;
    case F7F3(0x05, 6): return OP_MAX;
    case F7F3(0x05, 7): return OP_MAXU;
    case F7F3(0x05, 4): return OP_MIN;
    case F7F3(0x05, 5): return OP_MINU;
    case F7F3(0x30, 1): return OP_ROL;
    case F7F3(0x30, 5): return OP_ROR;
    case F7F3(0x05, 1): return OP_CLMUL;
    case F7F3(0x05, 2): return OP_CLMULR;
    case F7F3(0x05, 3): return OP_CLMULH;
    case F7F3(0x24, 1): return OP_BCLR;
    case F7F3(0x24, 5): return OP_BEXT;
    case F7F3(0x34, 1): return OP_BINV;
    case F7F3(0x14, 1): return OP_BSET;
    }
    return OP_ILLEGAL;
}

/* OP-32 (0x3b). zext.h is the rs2 = 0 case of Zbkb's packw. */
static unsigned bitmanip_decode_op32(unsigned f7, unsigned f3, unsigned rs2)
{
    switch (F7F3(f7, f3)) {
    case F7F3(0x04, 0): return OP_ADD_UW;
    case F7F3(0x10, 2): return OP_SH1ADD_UW;
    case F7F3(0x10, 4): return OP_SH2ADD_UW;
    case F7F3(0x10, 6): return OP_SH3ADD_UW;
    case F7F3(0x30, 1): return OP_ROLW;
    case F7F3(0x30, 5): return OP_RORW;
    case F7F3(0x04, 4): return rs2 == 0 ? OP_ZEXT_H : OP_ILLEGAL;
    }
    return OP_ILLEGAL;
}

/* OP-IMM (0x13): unary ops by their whole imm[11:0], shifts by imm[11:6]. */
static unsigned bitmanip_decode_opimm(unsigned f3, unsigned imm12)
{
    unsigned f6 = imm12 >> 6;
    if (f3 == 1) {
        switch (imm12) {
        case 0x600: return OP_CLZ;
        case 0x601: return OP_CTZ;
        case 0x602: return OP_CPOP;
        case 0x604: return OP_SEXT_B;
        case 0x605: return OP_SEXT_H;
        }
        switch (f6) {
        case 0x12: return OP_BCLRI;
        case 0x1a: return OP_BINVI;
        case 0x0a: return OP_BSETI;
        }
    } else if (f3 == 5) {
        switch (imm12) {
        case 0x287: return OP_ORC_B;
        case 0x6b8: return OP_REV8;
        }
        switch (f6) {
        case 0x18: return OP_RORI;
        case 0x12: return OP_BEXTI;
        }
    }
    return OP_ILLEGAL;
}

/* OP-IMM-32 (0x1b). */
static unsigned bitmanip_decode_opimm32(unsigned f3, unsigned imm12)
{
    if (f3 == 1) {
        switch (imm12) {
        case 0x600: return OP_CLZW;
        case 0x601: return OP_CTZW;
        case 0x602: return OP_CPOPW;
        }
        if (imm12 >> 6 == 0x02) {
            return OP_SLLI_UW;
        }
    } else if (f3 == 5 && imm12 >> 5 == 0x30) {
        return OP_RORIW;
    }
    return OP_ILLEGAL;
}

bool bitmanip_decode(uint32_t insn, DecodedInsn *d)
{
    unsigned rd = (insn >> 7) & 31, rs1 = (insn >> 15) & 31, rs2 = (insn >> 20) & 31;
    unsigned f3 = (insn >> 12) & 7, f7 = insn >> 25, imm12 = insn >> 20;
    unsigned op;

    switch (insn & 0x7f) {
    case 0x33: op = bitmanip_decode_op(f7, f3); break;
    case 0x3b: op = bitmanip_decode_op32(f7, f3, rs2); break;
    case 0x13: op = bitmanip_decode_opimm(f3, imm12); break;
    case 0x1b: op = bitmanip_decode_opimm32(f3, imm12); break;
    default: return false;
    }
    if (op == OP_ILLEGAL) {
        return false;
    }
    d->op = (uint8_t)op;
    d->rd = (uint8_t)rd;
    d->rs1 = (uint8_t)rs1;
    d->rs2 = 0;
    d->imm = 0;
    switch (bitmanip_form(op)) {
    case BITMANIP_FORM_RR:
        d->rs2 = (uint8_t)rs2;
        break;
    case BITMANIP_FORM_RI:
        d->imm = imm12 & (op == OP_RORIW ? 31 : 63);
        break;
    case BITMANIP_FORM_R:
        break;
    }
    return true;
}

/* ---- reference evaluator ---- */

bool bitmanip_eval(uint32_t insn, uint64_t rs1, uint64_t rs2, uint64_t *rd)
{
    DecodedInsn d;
    memset(&d, 0, sizeof(d));
    if (!bitmanip_decode(insn, &d)) {
        return false;
    }
    uint64_t a = rs1, b = (uint64_t)d.imm;
    if (bitmanip_form(d.op) == BITMANIP_FORM_RR) {
        b = rs2;
    }
    switch (d.op) {
#define BM_EVAL(op, fn, form, mn) case OP_##op: *rd = fn(a, b); break;
    BITMANIP_OPS(BM_EVAL)
#undef BM_EVAL
    default:
        return false;
    }
    return true;
}

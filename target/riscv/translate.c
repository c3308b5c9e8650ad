/* Decoder and translator: RV64IMAC + Zicsr + Zifencei + Zb[abcs] guest code into
 * translation blocks of micro-ops (see target/riscv/tb.h). Compressed instructions are
 * expanded into the same DecodedInsn as their 32-bit equivalents. */
#include <string.h>

#include "target/riscv/fpu.h"
#include "target/riscv/tb.h"

#define BITS(x, hi, lo) (((x) >> (lo)) & ((1u << ((hi) - (lo) + 1)) - 1))
#define BIT(x, n)       (((x) >> (n)) & 1u)

static inline int64_t sext(uint64_t v, unsigned bits)
{
    return (int64_t)(v << (64 - bits)) >> (64 - bits);
}

static void set_insn(DecodedInsn *d, unsigned op, unsigned rd, unsigned rs1,
                     unsigned rs2, int64_t imm)
{
    d->op = (uint8_t)op;
    d->rd = (uint8_t)rd;
    d->rs1 = (uint8_t)rs1;
    d->rs2 = (uint8_t)rs2;
    d->imm = imm;
}

/* Compressed (16-bit) instructions, RV64C (the FP loads/stores in translate-fp.c). */
static void decode_compressed(uint32_t c, DecodedInsn *d)
{
    unsigned rdp = 8 + BITS(c, 4, 2), rs1p = 8 + BITS(c, 9, 7);
    unsigned rd = BITS(c, 11, 7), rs2 = BITS(c, 6, 2);
    int64_t imm6 = sext(BIT(c, 12) << 5 | BITS(c, 6, 2), 6);
    unsigned shamt = BIT(c, 12) << 5 | BITS(c, 6, 2);
    uint64_t u;
    int64_t s;

    switch ((c & 3) << 3 | BITS(c, 15, 13)) {
    case 0:     /* c.addi4spn; all-zero halfword is illegal too */
        u = BITS(c, 10, 7) << 6 | BITS(c, 12, 11) << 4 | BIT(c, 5) << 3 | BIT(c, 6) << 2;
        if (u) {
            set_insn(d, OP_ADDI, rdp, 2, 0, (int64_t)u);
        }
        break;
    case 2:     /* c.lw */
        u = BITS(c, 12, 10) << 3 | BIT(c, 6) << 2 | BIT(c, 5) << 6;
        set_insn(d, OP_LW, rdp, rs1p, 0, (int64_t)u);
        break;
    case 3:     /* c.ld */
        u = BITS(c, 12, 10) << 3 | BITS(c, 6, 5) << 6;
        set_insn(d, OP_LD, rdp, rs1p, 0, (int64_t)u);
        break;
    case 6:     /* c.sw */
        u = BITS(c, 12, 10) << 3 | BIT(c, 6) << 2 | BIT(c, 5) << 6;
        set_insn(d, OP_SW, 0, rs1p, rdp, (int64_t)u);
        break;
    case 7:     /* c.sd */
        u = BITS(c, 12, 10) << 3 | BITS(c, 6, 5) << 6;
        set_insn(d, OP_SD, 0, rs1p, rdp, (int64_t)u);
        break;
    case 8:     /* c.addi (rd=0: c.nop / hint) */
        set_insn(d, OP_ADDI, rd, rd, 0, imm6);
        break;
    case 9:     /* c.addiw */
        if (rd) {
            set_insn(d, OP_ADDIW, rd, rd, 0, imm6);
        }
        break;
    case 10:    /* c.li */
        set_insn(d, OP_ADDI, rd, 0, 0, imm6);
        break;
    case 11:
        if (rd == 2) {      /* c.addi16sp */
            s = sext(BIT(c, 12) << 9 | BIT(c, 6) << 4 | BIT(c, 5) << 6 |
                     BITS(c, 4, 3) << 7 | BIT(c, 2) << 5, 10);
            if (s) {
                set_insn(d, OP_ADDI, 2, 2, 0, s);
            }
        } else {            /* c.lui */
            s = sext((uint64_t)(BIT(c, 12) << 17 | BITS(c, 6, 2) << 12), 18);
            if (s) {
                set_insn(d, OP_LUI, rd, 0, 0, s);
            }
        }
        break;
    case 12:
        switch (BITS(c, 11, 10)) {
        case 0:
            set_insn(d, OP_SRLI, rs1p, rs1p, 0, shamt);
            break;
        case 1:
            set_insn(d, OP_SRAI, rs1p, rs1p, 0, shamt);
            break;
        case 2:
            set_insn(d, OP_ANDI, rs1p, rs1p, 0, imm6);
            break;
        default: {
            static const uint8_t ops[8] = {
                OP_SUB, OP_XOR, OP_OR, OP_AND, OP_SUBW, OP_ADDW, OP_ILLEGAL, OP_ILLEGAL,
            };
            unsigned op = ops[BIT(c, 12) << 2 | BITS(c, 6, 5)];
            if (op != OP_ILLEGAL) {
                set_insn(d, op, rs1p, rs1p, rdp, 0);
            }
            break;
        }
        }
        break;
    case 13:    /* c.j */
        s = sext(BIT(c, 12) << 11 | BIT(c, 11) << 4 | BITS(c, 10, 9) << 8 |
                 BIT(c, 8) << 10 | BIT(c, 7) << 6 | BIT(c, 6) << 7 |
                 BITS(c, 5, 3) << 1 | BIT(c, 2) << 5, 12);
        set_insn(d, OP_JAL, 0, 0, 0, s);
        break;
    case 14:    /* c.beqz, c.bnez */
    case 15:
        s = sext(BIT(c, 12) << 8 | BITS(c, 11, 10) << 3 | BITS(c, 6, 5) << 6 |
                 BITS(c, 4, 3) << 1 | BIT(c, 2) << 5, 9);
        set_insn(d, BIT(c, 13) ? OP_BNE : OP_BEQ, 0, rs1p, 0, s);
        break;
    case 16:    /* c.slli */
        set_insn(d, OP_SLLI, rd, rd, 0, shamt);
        break;
    case 18:    /* c.lwsp */
        if (rd) {
            u = BIT(c, 12) << 5 | BITS(c, 6, 4) << 2 | BITS(c, 3, 2) << 6;
            set_insn(d, OP_LW, rd, 2, 0, (int64_t)u);
        }
        break;
    case 19:    /* c.ldsp */
        if (rd) {
            u = BIT(c, 12) << 5 | BITS(c, 6, 5) << 3 | BITS(c, 4, 2) << 6;
            set_insn(d, OP_LD, rd, 2, 0, (int64_t)u);
        }
        break;
    case 20:
        if (!BIT(c, 12)) {
            if (rs2) {
                set_insn(d, OP_ADD, rd, 0, rs2, 0);             /* c.mv */
            } else if (rd) {
                set_insn(d, OP_JALR, 0, rd, 0, 0);              /* c.jr */
            }
        } else if (rs2) {
            set_insn(d, OP_ADD, rd, rd, rs2, 0);                /* c.add */
        } else if (rd) {
            set_insn(d, OP_JALR, 1, rd, 0, 0);                  /* c.jalr */
        } else {
            set_insn(d, OP_EBREAK, 0, 0, 0, 0);
        }
        break;
    case 22:    /* c.swsp */
        u = BITS(c, 12, 9) << 2 | BITS(c, 8, 7) << 6;
        set_insn(d, OP_SW, 0, 2, rs2, (int64_t)u);
        break;
    case 23:    /* c.sdsp */
        u = BITS(c, 12, 10) << 3 | BITS(c, 9, 7) << 6;
        set_insn(d, OP_SD, 0, 2, rs2, (int64_t)u);
        break;
    default:    /* FP loads/stores, reserved */
        translate_decode_fp_c(c, d);
        break;
    }
}

static void decode_system(uint32_t insn, DecodedInsn *d)
{
    unsigned rd = BITS(insn, 11, 7), rs1 = BITS(insn, 19, 15), rs2 = BITS(insn, 24, 20);
    unsigned f3 = BITS(insn, 14, 12);

    if (f3 == 0) {
        switch (insn) {
        case 0x00000073: d->op = OP_ECALL; return;
        case 0x00100073: d->op = OP_EBREAK; return;
        case 0x30200073: d->op = OP_MRET; return;
        case 0x10200073: d->op = OP_SRET; return;
        case 0x10500073: d->op = OP_WFI; return;
        }
        if (insn >> 25 == 0x09 && rd == 0) {
            set_insn(d, OP_SFENCE_VMA, 0, rs1, rs2, 0);
        }
        return;
    }
    if (f3 == 4) {
        return;
    }
    static const uint8_t csr_ops[8] = {
        0, OP_CSRRW, OP_CSRRS, OP_CSRRC, 0, OP_CSRRWI, OP_CSRRSI, OP_CSRRCI,
    };
    /* For the immediate forms rs1 holds the uimm, so "rs1 == 0" keeps
     * meaning "no write" for csrrs/csrrc. */
    set_insn(d, csr_ops[f3], rd, rs1, 0, f3 >= 5 ? rs1 : 0);
    d->csr = (uint16_t)(insn >> 20);
}

static void decode_amo(uint32_t insn, DecodedInsn *d)
{
    unsigned f3 = BITS(insn, 14, 12), f5 = insn >> 27;
    unsigned rd = BITS(insn, 11, 7), rs1 = BITS(insn, 19, 15), rs2 = BITS(insn, 24, 20);

    if (f3 != 2 && f3 != 3) {
        return;
    }
    switch (f5) {
    case AMO_LR:
        if (rs2) {
            return;
        }
        set_insn(d, OP_LR, rd, rs1, 0, 0);
        break;
    case AMO_SC:
        set_insn(d, OP_SC, rd, rs1, rs2, 0);
        break;
    case AMO_ADD: case AMO_SWAP: case AMO_XOR: case AMO_OR: case AMO_AND:
    case AMO_MIN: case AMO_MAX: case AMO_MINU: case AMO_MAXU:
        set_insn(d, OP_AMO, rd, rs1, rs2, 0);
        break;
    default:
        return;
    }
    d->funct5 = (uint8_t)f5;
    d->size = f3 == 2 ? 4 : 8;
}

static void decode_32(uint32_t insn, DecodedInsn *d)
{
    unsigned rd = BITS(insn, 11, 7), rs1 = BITS(insn, 19, 15), rs2 = BITS(insn, 24, 20);
    unsigned f3 = BITS(insn, 14, 12), f7 = insn >> 25;
    int64_t imm_i = (int32_t)insn >> 20;
    int64_t imm_s = (int64_t)((int32_t)insn >> 25) * 32 + rd;
    int64_t imm_u = (int32_t)(insn & 0xfffff000u);
    unsigned op = OP_ILLEGAL;

    switch (insn & 0x7f) {
    case 0x37:
        set_insn(d, OP_LUI, rd, 0, 0, imm_u);
        return;
    case 0x17:
        set_insn(d, OP_AUIPC, rd, 0, 0, imm_u);
        return;
    case 0x6f:
        set_insn(d, OP_JAL, rd, 0, 0,
                 sext(BIT(insn, 31) << 20 | BITS(insn, 19, 12) << 12 |
                      BIT(insn, 20) << 11 | BITS(insn, 30, 21) << 1, 21));
        return;
    case 0x67:
        if (f3 == 0) {
            set_insn(d, OP_JALR, rd, rs1, 0, imm_i);
        }
        return;
    case 0x63: {
        static const uint8_t ops[8] = {
            OP_BEQ, OP_BNE, OP_ILLEGAL, OP_ILLEGAL, OP_BLT, OP_BGE, OP_BLTU, OP_BGEU,
        };
        if (ops[f3] != OP_ILLEGAL) {
            set_insn(d, ops[f3], 0, rs1, rs2,
                     sext(BIT(insn, 31) << 12 | BIT(insn, 7) << 11 |
                          BITS(insn, 30, 25) << 5 | BITS(insn, 11, 8) << 1, 13));
        }
        return;
    }
    case 0x03: {
        static const uint8_t ops[8] = {
            OP_LB, OP_LH, OP_LW, OP_LD, OP_LBU, OP_LHU, OP_LWU, OP_ILLEGAL,
        };
        if (ops[f3] != OP_ILLEGAL) {
            set_insn(d, ops[f3], rd, rs1, 0, imm_i);
        }
        return;
    }
    case 0x23:
        if (f3 < 4) {
            set_insn(d, OP_SB + f3, 0, rs1, rs2, imm_s);
        }
        return;
    case 0x13:
        switch (f3) {
        case 0: op = OP_ADDI; break;
        case 2: op = OP_SLTI; break;
        case 3: op = OP_SLTIU; break;
        case 4: op = OP_XORI; break;
        case 6: op = OP_ORI; break;
        case 7: op = OP_ANDI; break;
        case 1: op = (insn >> 26) == 0 ? OP_SLLI : OP_ILLEGAL; imm_i &= 63; break;
        case 5:
            op = (insn >> 26) == 0 ? OP_SRLI : (insn >> 26) == 0x10 ? OP_SRAI : OP_ILLEGAL;
            imm_i &= 63;
            break;
        }
        if (op != OP_ILLEGAL) {
            set_insn(d, op, rd, rs1, 0, imm_i);
        }
        return;
    case 0x1b:
        if (f3 == 0) {
            op = OP_ADDIW;
        } else if (f3 == 1 && f7 == 0) {
            op = OP_SLLIW;
        } else if (f3 == 5 && f7 == 0) {
            op = OP_SRLIW;
        } else if (f3 == 5 && f7 == 0x20) {
            op = OP_SRAIW;
        }
        if (op != OP_ILLEGAL) {
            set_insn(d, op, rd, rs1, 0, f3 == 0 ? imm_i : (int64_t)rs2);
        }
        return;
    case 0x33: {
        static const uint8_t base[8] = {
            OP_ADD, OP_SLL, OP_SLT, OP_SLTU, OP_XOR, OP_SRL, OP_OR, OP_AND,
        };
        static const uint8_t mul[8] = {
            OP_MUL, OP_MULH, OP_MULHSU, OP_MULHU, OP_DIV, OP_DIVU, OP_REM, OP_REMU,
        };
        if (f7 == 0) {
            op = base[f3];
        } else if (f7 == 1) {
            op = mul[f3];
        } else if (f7 == 0x20 && f3 == 0) {
            op = OP_SUB;
        } else if (f7 == 0x20 && f3 == 5) {
            op = OP_SRA;
        }
        if (op != OP_ILLEGAL) {
            set_insn(d, op, rd, rs1, rs2, 0);
        }
        return;
    }
    case 0x3b: {
        static const uint8_t base[8] = {
            OP_ADDW, OP_SLLW, OP_ILLEGAL, OP_ILLEGAL, OP_ILLEGAL, OP_SRLW, OP_ILLEGAL, OP_ILLEGAL,
        };
        static const uint8_t mul[8] = {
            OP_MULW, OP_ILLEGAL, OP_ILLEGAL, OP_ILLEGAL, OP_DIVW, OP_DIVUW, OP_REMW, OP_REMUW,
        };
        if (f7 == 0) {
            op = base[f3];
        } else if (f7 == 1) {
            op = mul[f3];
        } else if (f7 == 0x20 && f3 == 0) {
            op = OP_SUBW;
        } else if (f7 == 0x20 && f3 == 5) {
            op = OP_SRAW;
        }
        if (op != OP_ILLEGAL) {
            set_insn(d, op, rd, rs1, rs2, 0);
        }
        return;
    }
    case 0x0f:
        /* fence's fm/pred/succ and register fields are ignored as the spec
         * asks of implementations (future hints). */
        if (f3 == 0) {
            d->op = OP_FENCE;
        } else if (f3 == 1) {
            d->op = OP_FENCE_I;
        }
        return;
    case 0x73:
        decode_system(insn, d);
        return;
    case 0x2f:
        decode_amo(insn, d);
        return;
    case 0x07: case 0x27: case 0x43: case 0x47: case 0x4b: case 0x4f: case 0x53:
        translate_decode_fp(insn, d);
        return;
    }
}

unsigned translate_decode(uint32_t insn, DecodedInsn *d)
{
    memset(d, 0, sizeof(*d));
    d->op = OP_ILLEGAL;
    if ((insn & 3) != 3) {
        d->len = 2;
        decode_compressed(insn & 0xffff, d);
    } else {
        d->len = 4;
        decode_32(insn, d);
        if (d->op == OP_ILLEGAL) {
            bitmanip_decode(insn, d);   /* B encodings are holes in the base ISA */
        }
    }
    return d->len;
}

/* ---- translation ---- */

typedef struct TransCtx {
    TB *tb;
    unsigned page_off;
} TransCtx;

static MicroOp *emit(TransCtx *s, unsigned opc, unsigned off, unsigned idx,
                     unsigned len, uint32_t insn)
{
    MicroOp *o = &s->tb->ops[s->tb->n_ops++];
    memset(o, 0, sizeof(*o));
    o->opc = (uint8_t)opc;
    o->pc_off = (uint16_t)off;
    o->idx = (uint8_t)idx;
    o->len = (uint8_t)len;
    o->insn = insn;
    return o;
}

/* A static exit target can be chained when it lies on the block's first page:
 * then its physical address follows from the block's, whatever the mapping. */
static uint8_t same_page(const TransCtx *s, int64_t target_off)
{
    int64_t a = (int64_t)s->page_off + target_off;
    return a >= 0 && a < (int64_t)PAGE_SIZE;
}

static void emit_jump(TransCtx *s, unsigned rd, int64_t target, unsigned link,
                      unsigned off, unsigned idx, unsigned len, uint32_t insn)
{
    MicroOp *o = emit(s, rd ? OP_JAL : OP_J, off, idx, len, insn);
    o->rd = (uint8_t)rd;
    o->imm = target;
    o->aux = link;
    s->tb->chain_ok[0] = same_page(s, target);
}

static bool is_alu(unsigned op)
{
    return (op >= OP_ADDI && op <= OP_REMUW) || op == OP_LUI || op == OP_AUIPC ||
           (op >= BITMANIP_FIRST_OP && op <= BITMANIP_LAST_OP);
}

/* Emits the micro-op(s) of instruction d at offset off. Returns false when
 * the instruction ends the block. `next` is the following instruction when it
 * is in the block (for fusion); *fused is set when it was consumed. */
static bool translate_insn(TransCtx *s, const DecodedInsn *d, uint32_t insn,
                           unsigned off, unsigned idx, const DecodedInsn *next,
                           bool *fused)
{
    unsigned len = d->len, rd = d->rd;
    MicroOp *o;

    *fused = false;
    /* Writes to x0 without side effects vanish (x0 stays zero). */
    if (rd == 0 && is_alu(d->op)) {
        return true;
    }
    switch (d->op) {
    case OP_FENCE:
        return true;
    case OP_LUI:
        if (next && (next->op == OP_ADDI || next->op == OP_ADDIW) &&
            next->rd == rd && next->rs1 == rd) {
            int64_t v = d->imm + next->imm;
            o = emit(s, OP_LI, off, idx, len + next->len, insn);
            o->rd = (uint8_t)rd;
            o->imm = next->op == OP_ADDIW ? (int32_t)v : v;
            *fused = true;
            return true;
        }
        o = emit(s, OP_LI, off, idx, len, insn);
        o->rd = (uint8_t)rd;
        o->imm = d->imm;
        return true;
    case OP_AUIPC:
        if (next && next->op == OP_ADDI && next->rd == rd && next->rs1 == rd) {
            o = emit(s, OP_AUIPC, off, idx, len + next->len, insn);
            o->rd = (uint8_t)rd;
            o->imm = (int64_t)off + d->imm + next->imm;
            *fused = true;
            return true;
        }
        if (next && next->op == OP_JALR && next->rs1 == rd) {
            /* call/tail: a static jump, chainable like jal */
            int64_t target = ((int64_t)off + d->imm + next->imm) & ~(int64_t)1;
            if (next->rd != rd) {
                o = emit(s, OP_AUIPC, off, idx, len, insn);
                o->rd = (uint8_t)rd;
                o->imm = (int64_t)off + d->imm;
            }
            emit_jump(s, next->rd, target, off + len + next->len, off + len, idx + 1,
                      next->len, insn);
            *fused = true;
            return false;
        }
        o = emit(s, OP_AUIPC, off, idx, len, insn);
        o->rd = (uint8_t)rd;
        o->imm = (int64_t)off + d->imm;
        return true;
    case OP_ADDI:
        if (d->rs1 == 0) {
            o = emit(s, OP_LI, off, idx, len, insn);
        } else if (d->imm == 0) {
            o = emit(s, OP_MV, off, idx, len, insn);
        } else {
            o = emit(s, OP_ADDI, off, idx, len, insn);
        }
        o->rd = (uint8_t)rd;
        o->rs1 = d->rs1;
        o->imm = d->imm;
        return true;
    case OP_ADD:
        if (d->rs1 == 0 || d->rs2 == 0) {
            o = emit(s, OP_MV, off, idx, len, insn);
            o->rd = (uint8_t)rd;
            o->rs1 = d->rs1 ? d->rs1 : d->rs2;
            return true;
        }
        break;
    case OP_LB: case OP_LH: case OP_LW: case OP_LD:
    case OP_LBU: case OP_LHU: case OP_LWU:
        if (rd == 0) {
            static const uint8_t sizes[] = { 1, 2, 4, 8, 1, 2, 4 };
            o = emit(s, OP_LOAD_X0, off, idx, len, insn);
            o->rs1 = d->rs1;
            o->imm = d->imm;
            o->aux = sizes[d->op - OP_LB];
            return true;
        }
        break;
    case OP_JAL:
        emit_jump(s, rd, (int64_t)off + d->imm, off + len, off, idx, len, insn);
        return false;
    case OP_JALR:
        o = emit(s, rd ? OP_JALR : OP_JR, off, idx, len, insn);
        o->rd = (uint8_t)rd;
        o->rs1 = d->rs1;
        o->imm = d->imm;
        o->aux = off + len;
        return false;
    case OP_BEQ: case OP_BNE: case OP_BLT: case OP_BGE: case OP_BLTU: case OP_BGEU: {
        unsigned op = d->op;
        unsigned rs1 = d->rs1, rs2 = d->rs2;
        if ((op == OP_BEQ || op == OP_BNE) && (rs1 == 0 || rs2 == 0)) {
            op = op == OP_BEQ ? OP_BEQZ : OP_BNEZ;
            rs1 = rs1 ? rs1 : rs2;
        }
        o = emit(s, op, off, idx, len, insn);
        o->rs1 = (uint8_t)rs1;
        o->rs2 = (uint8_t)rs2;
        o->imm = (int64_t)off + d->imm;
        o->aux = off + len;
        s->tb->chain_ok[0] = same_page(s, o->imm);
        s->tb->chain_ok[1] = same_page(s, o->aux);
        return false;
    }
    case OP_CSRRW: case OP_CSRRS: case OP_CSRRC:
    case OP_CSRRWI: case OP_CSRRSI: case OP_CSRRCI:
        o = emit(s, d->op, off, idx, len, insn);
        o->rd = (uint8_t)rd;
        o->rs1 = d->rs1;
        o->imm = d->imm;
        o->aux = d->csr;
        return false;
    case OP_LR: case OP_SC: case OP_AMO:
        o = emit(s, d->op, off, idx, len, insn);
        o->rd = (uint8_t)rd;
        o->rs1 = d->rs1;
        o->rs2 = d->rs2;
        o->aux = d->funct5 | (uint32_t)d->size << 8;
        return true;
    case OP_FP:
        o = emit(s, OP_FP, off, idx, len, insn);
        o->rd = (uint8_t)rd;
        o->rs1 = d->rs1;
        o->rs2 = d->rs2;
        o->imm = d->imm;
        o->aux = d->fp;
        return true;
    case OP_ECALL: case OP_EBREAK: case OP_MRET: case OP_SRET: case OP_WFI:
    case OP_FENCE_I: case OP_SFENCE_VMA: case OP_ILLEGAL:
        o = emit(s, d->op, off, idx, len, insn);
        o->rs1 = d->rs1;
        o->rs2 = d->rs2;
        return false;
    }
    o = emit(s, d->op, off, idx, len, insn);
    o->rd = (uint8_t)rd;
    o->rs1 = d->rs1;
    o->rs2 = d->rs2;
    o->imm = d->imm;
    return true;
}

/* Reads the instruction at code[off] if it lies entirely below avail. */
static bool fetch_insn(const uint8_t *code, unsigned avail, unsigned off, uint32_t *insn)
{
    if (off + 2 > avail) {
        return false;
    }
    uint32_t v = code[off] | (uint32_t)code[off + 1] << 8;
    if ((v & 3) == 3) {
        if (off + 4 > avail) {
            return false;
        }
        v |= (uint32_t)code[off + 2] << 16 | (uint32_t)code[off + 3] << 24;
    }
    *insn = v;
    return true;
}

static bool bp_at(const CPUDebugPoints *dbg, uint64_t vpc, unsigned off)
{
    return dbg && dbg->nr_bp && cpu_debug_bp_at(dbg, vpc + off);
}

void translate_block(TB *tb, const uint8_t *code, unsigned avail,
                     unsigned page_off, unsigned max_insns,
                     const CPUDebugPoints *dbg, uint64_t vpc)
{
    TransCtx s = { .tb = tb, .page_off = page_off };
    unsigned off = 0, n = 0;
    uint32_t insn, next_insn;
    DecodedInsn d, nd;
    bool have = fetch_insn(code, avail, 0, &insn);

    tb->n_ops = 0;
    tb->chain_ok[0] = tb->chain_ok[1] = 0;
    if (have) {
        translate_decode(insn, &d);
    }
    for (;;) {
        if (!have || n >= max_insns) {
            /* page end or size cap: continue at the next instruction */
            MicroOp *o = emit(&s, OP_GOTO, off, n, 0, 0);
            o->imm = off;
            tb->chain_ok[0] = same_page(&s, off);
            break;
        }
        unsigned len = d.len;
        bool have_next = n + 1 < max_insns && fetch_insn(code, avail, off + len, &next_insn);
        if (have_next) {
            translate_decode(next_insn, &nd);
        }
        if (bp_at(dbg, vpc, off)) {
            emit(&s, OP_DEBUG_BP, off, n, d.len, insn);
        }
        /* A breakpoint on the next instruction keeps it an instruction of its own. */
        bool fusable = have_next && !bp_at(dbg, vpc, off + len);
        bool fused;
        bool more = translate_insn(&s, &d, insn, off, n, fusable ? &nd : NULL, &fused);
        off += len;
        n++;
        if (fused) {
            off += nd.len;
            n++;
            have_next = n < max_insns && fetch_insn(code, avail, off, &next_insn);
            if (have_next) {
                translate_decode(next_insn, &nd);
            }
        }
        if (!more) {
            break;
        }
        have = have_next;
        insn = next_insn;
        d = nd;
    }
    tb->n_insns = n;
    tb->size = (uint16_t)off;
}

/* Decoder and translator tests: every instruction class, compressed
 * expansion, illegal encodings, block formation (ends, fusion, x0, chaining
 * flags, page ends). */
#include <stdlib.h>
#include <string.h>

#include "target/riscv/tb.h"
#include "tests/unit/unit.h"

static DecodedInsn dec(uint32_t insn)
{
    DecodedInsn d;
    translate_decode(insn, &d);
    return d;
}

#define CHECK_INSN(insn, op_, rd_, rs1_, rs2_, imm_) do { \
        DecodedInsn d_ = dec(insn); \
        CU_ASSERT_EQUAL(d_.op, op_); \
        CU_ASSERT_EQUAL(d_.rd, rd_); \
        CU_ASSERT_EQUAL(d_.rs1, rs1_); \
        CU_ASSERT_EQUAL(d_.rs2, rs2_); \
        CU_ASSERT_EQUAL(d_.imm, (int64_t)(imm_)); \
    } while (0)

static void test_rv64i_alu(void)
{
    CHECK_INSN(0x00a00093, OP_ADDI, 1, 0, 0, 10);            /* addi x1, x0, 10 */
    CHECK_INSN(0xfff10113, OP_ADDI, 2, 2, 0, -1);            /* addi sp, sp, -1 */
    CHECK_INSN(0x0020a193, OP_SLTI, 3, 1, 0, 2);
    CHECK_INSN(0x0020b193, OP_SLTIU, 3, 1, 0, 2);
    CHECK_INSN(0x8000c193, OP_XORI, 3, 1, 0, -2048);
    CHECK_INSN(0x7ff0e193, OP_ORI, 3, 1, 0, 2047);
    CHECK_INSN(0x0ff0f193, OP_ANDI, 3, 1, 0, 255);
    CHECK_INSN(0x03f09193, OP_SLLI, 3, 1, 0, 63);            /* slli x3, x1, 63 */
    CHECK_INSN(0x03f0d193, OP_SRLI, 3, 1, 0, 63);
    CHECK_INSN(0x43f0d193, OP_SRAI, 3, 1, 0, 63);
    CHECK_INSN(0x0010819b, OP_ADDIW, 3, 1, 0, 1);
    CHECK_INSN(0x01f0919b, OP_SLLIW, 3, 1, 0, 31);
    CHECK_INSN(0x01f0d19b, OP_SRLIW, 3, 1, 0, 31);
    CHECK_INSN(0x41f0d19b, OP_SRAIW, 3, 1, 0, 31);
    CHECK_INSN(0x002081b3, OP_ADD, 3, 1, 2, 0);
    CHECK_INSN(0x402081b3, OP_SUB, 3, 1, 2, 0);
    CHECK_INSN(0x002091b3, OP_SLL, 3, 1, 2, 0);
    CHECK_INSN(0x0020a1b3, OP_SLT, 3, 1, 2, 0);
    CHECK_INSN(0x0020b1b3, OP_SLTU, 3, 1, 2, 0);
    CHECK_INSN(0x0020c1b3, OP_XOR, 3, 1, 2, 0);
    CHECK_INSN(0x0020d1b3, OP_SRL, 3, 1, 2, 0);
    CHECK_INSN(0x4020d1b3, OP_SRA, 3, 1, 2, 0);
    CHECK_INSN(0x0020e1b3, OP_OR, 3, 1, 2, 0);
    CHECK_INSN(0x0020f1b3, OP_AND, 3, 1, 2, 0);
    CHECK_INSN(0x002081bb, OP_ADDW, 3, 1, 2, 0);
    CHECK_INSN(0x402081bb, OP_SUBW, 3, 1, 2, 0);
    CHECK_INSN(0x002091bb, OP_SLLW, 3, 1, 2, 0);
    CHECK_INSN(0x0020d1bb, OP_SRLW, 3, 1, 2, 0);
    CHECK_INSN(0x4020d1bb, OP_SRAW, 3, 1, 2, 0);
    CHECK_INSN(0x123450b7, OP_LUI, 1, 0, 0, 0x12345000);
    CHECK_INSN(0x800000b7, OP_LUI, 1, 0, 0, (int32_t)0x80000000);   /* sign-extends */
    CHECK_INSN(0xfffff097, OP_AUIPC, 1, 0, 0, -4096);
}

static void test_rv64m(void)
{
    static const struct { uint32_t f3; int op; } mul[] = {
        { 0, OP_MUL }, { 1, OP_MULH }, { 2, OP_MULHSU }, { 3, OP_MULHU },
        { 4, OP_DIV }, { 5, OP_DIVU }, { 6, OP_REM }, { 7, OP_REMU },
    };
    for (unsigned i = 0; i < 8; i++) {
        CHECK_INSN(0x022001b3 | mul[i].f3 << 12 | 1 << 15, mul[i].op, 3, 1, 2, 0);
    }
    CHECK_INSN(0x022081bb, OP_MULW, 3, 1, 2, 0);
    CHECK_INSN(0x0220c1bb, OP_DIVW, 3, 1, 2, 0);
    CHECK_INSN(0x0220d1bb, OP_DIVUW, 3, 1, 2, 0);
    CHECK_INSN(0x0220e1bb, OP_REMW, 3, 1, 2, 0);
    CHECK_INSN(0x0220f1bb, OP_REMUW, 3, 1, 2, 0);
    CU_ASSERT_EQUAL(dec(0x0220a1bb).op, OP_ILLEGAL);          /* no mulhsuw */
}

static void test_loads_stores(void)
{
    CHECK_INSN(0xff810083, OP_LB, 1, 2, 0, -8);
    CHECK_INSN(0x00811083, OP_LH, 1, 2, 0, 8);
    CHECK_INSN(0x00812083, OP_LW, 1, 2, 0, 8);
    CHECK_INSN(0x00813083, OP_LD, 1, 2, 0, 8);
    CHECK_INSN(0x00814083, OP_LBU, 1, 2, 0, 8);
    CHECK_INSN(0x00815083, OP_LHU, 1, 2, 0, 8);
    CHECK_INSN(0x00816083, OP_LWU, 1, 2, 0, 8);
    CU_ASSERT_EQUAL(dec(0x00817083).op, OP_ILLEGAL);
    CHECK_INSN(0xfe110c23, OP_SB, 0, 2, 1, -8);               /* sb x1, -8(x2) */
    CHECK_INSN(0x00111423, OP_SH, 0, 2, 1, 8);
    CHECK_INSN(0x00112423, OP_SW, 0, 2, 1, 8);
    CHECK_INSN(0x00113423, OP_SD, 0, 2, 1, 8);
    CU_ASSERT_EQUAL(dec(0x00114423).op, OP_ILLEGAL);
}

static void test_control_flow(void)
{
    CHECK_INSN(0x008000ef, OP_JAL, 1, 0, 0, 8);               /* jal ra, +8 */
    CHECK_INSN(0xffdff06f, OP_JAL, 0, 0, 0, -4);              /* j -4 */
    CHECK_INSN(0x800000ef, OP_JAL, 1, 0, 0, -(1 << 20));
    CHECK_INSN(0x00008067, OP_JALR, 0, 1, 0, 0);              /* ret */
    CHECK_INSN(0xff0100e7, OP_JALR, 1, 2, 0, -16);
    CU_ASSERT_EQUAL(dec(0x00009067).op, OP_ILLEGAL);          /* jalr funct3 != 0 */
    CHECK_INSN(0x00208463, OP_BEQ, 0, 1, 2, 8);
    CHECK_INSN(0xfe209ee3, OP_BNE, 0, 1, 2, -4);
    CHECK_INSN(0x0020c463, OP_BLT, 0, 1, 2, 8);
    CHECK_INSN(0x0020d463, OP_BGE, 0, 1, 2, 8);
    CHECK_INSN(0x0020e463, OP_BLTU, 0, 1, 2, 8);
    CHECK_INSN(0x0020f463, OP_BGEU, 0, 1, 2, 8);
    CHECK_INSN(0x80208063, OP_BEQ, 0, 1, 2, -4096);
    CU_ASSERT_EQUAL(dec(0x0020a463).op, OP_ILLEGAL);
}

static void test_system(void)
{
    CU_ASSERT_EQUAL(dec(0x00000073).op, OP_ECALL);
    CU_ASSERT_EQUAL(dec(0x00100073).op, OP_EBREAK);
    CU_ASSERT_EQUAL(dec(0x30200073).op, OP_MRET);
    CU_ASSERT_EQUAL(dec(0x10200073).op, OP_SRET);
    CU_ASSERT_EQUAL(dec(0x10500073).op, OP_WFI);
    CHECK_INSN(0x12208073 & ~0xf80u, OP_SFENCE_VMA, 0, 1, 2, 0);
    CU_ASSERT_EQUAL(dec(0x0ff0000f).op, OP_FENCE);
    CU_ASSERT_EQUAL(dec(0x8330000f).op, OP_FENCE);            /* fence.tso */
    CU_ASSERT_EQUAL(dec(0x0000100f).op, OP_FENCE_I);
    CU_ASSERT_EQUAL(dec(0x0000200f).op, OP_ILLEGAL);
    CU_ASSERT_EQUAL(dec(0x00200073).op, OP_ILLEGAL);          /* uret is gone */
    CU_ASSERT_EQUAL(dec(0x00004073).op, OP_ILLEGAL);          /* funct3 4 */

    DecodedInsn d = dec(0x34011173);                          /* csrrw sp, mscratch, sp */
    CU_ASSERT_EQUAL(d.op, OP_CSRRW);
    CU_ASSERT_EQUAL(d.csr, CSR_MSCRATCH);
    CU_ASSERT_EQUAL(d.rd, 2);
    CU_ASSERT_EQUAL(d.rs1, 2);
    d = dec(0xc0102573);                                      /* rdtime a0 */
    CU_ASSERT_EQUAL(d.op, OP_CSRRS);
    CU_ASSERT_EQUAL(d.csr, CSR_TIME);
    CU_ASSERT_EQUAL(d.rs1, 0);
    d = dec(0x3002f073);                                      /* csrci mstatus, 5 */
    CU_ASSERT_EQUAL(d.op, OP_CSRRCI);
    CU_ASSERT_EQUAL(d.imm, 5);
    CU_ASSERT_EQUAL(d.rs1, 5);
    CU_ASSERT_EQUAL(dec(0x30046073).op, OP_CSRRSI);
    CU_ASSERT_EQUAL(dec(0x30015073).op, OP_CSRRWI);
    CU_ASSERT_EQUAL(dec(0x30013073).op, OP_CSRRC);
}

static void test_atomics(void)
{
    DecodedInsn d = dec(0x100526af);                          /* lr.w a3, (a0) */
    CU_ASSERT_EQUAL(d.op, OP_LR);
    CU_ASSERT_EQUAL(d.size, 4);
    CU_ASSERT_EQUAL(d.rd, 13);
    CU_ASSERT_EQUAL(d.rs1, 10);
    d = dec(0x1ac5372f);                                      /* sc.d.aqrl a4, a2, (a0) */
    CU_ASSERT_EQUAL(d.op, OP_SC);
    CU_ASSERT_EQUAL(d.size, 8);
    CU_ASSERT_EQUAL(d.rs2, 12);
    static const uint8_t f5s[] = {
        AMO_ADD, AMO_SWAP, AMO_XOR, AMO_OR, AMO_AND, AMO_MIN, AMO_MAX, AMO_MINU, AMO_MAXU,
    };
    for (unsigned i = 0; i < sizeof(f5s); i++) {
        d = dec(0x00c5202f | (uint32_t)f5s[i] << 27);
        CU_ASSERT_EQUAL(d.op, OP_AMO);
        CU_ASSERT_EQUAL(d.funct5, f5s[i]);
    }
    CU_ASSERT_EQUAL(dec(0x1015272f).op, OP_ILLEGAL);          /* lr with rs2 != 0 */
    CU_ASSERT_EQUAL(dec(0x00c5002f).op, OP_ILLEGAL);          /* amoadd.b */
    CU_ASSERT_EQUAL(dec(0x28c5202f).op, OP_ILLEGAL);          /* funct5 5 */
}

static void test_illegal(void)
{
    CU_ASSERT_EQUAL(dec(0xffffffff).op, OP_ILLEGAL);
    CU_ASSERT_EQUAL(dec(0x00000007).op, OP_ILLEGAL);          /* FP load */
    CU_ASSERT_EQUAL(dec(0x0000000b).op, OP_ILLEGAL);          /* custom-0 */
    CU_ASSERT_EQUAL(dec(0x0400d193).op, OP_ILLEGAL);          /* srli with bad funct6 */
    CU_ASSERT_EQUAL(dec(0x0200919b).op, OP_ILLEGAL);          /* slliw shamt[5] */
    CU_ASSERT_EQUAL(dec(0x802081b3).op, OP_ILLEGAL);          /* bad funct7 */
    CU_ASSERT_EQUAL(dec(0x0020a1bb).op, OP_ILLEGAL);          /* OP-32 funct3 2 */
    DecodedInsn d;
    CU_ASSERT_EQUAL(translate_decode(0x0000, &d), 2);         /* all-zero halfword */
    CU_ASSERT_EQUAL(d.op, OP_ILLEGAL);
    CU_ASSERT_EQUAL(translate_decode(0x12345677, &d), 4);
}

static void test_compressed(void)
{
    CHECK_INSN(0x0040, OP_ADDI, 8, 2, 0, 4);                  /* c.addi4spn s0, sp, 4 */
    CHECK_INSN(0x1fe0, OP_ADDI, 8, 2, 0, 1020);
    CHECK_INSN(0x4398, OP_LW, 14, 15, 0, 0);                  /* c.lw a4, 0(a5) */
    CHECK_INSN(0x6398, OP_LD, 14, 15, 0, 0);                  /* c.ld a4, 0(a5) */
    CHECK_INSN(0x7ffc, OP_LD, 15, 15, 0, 248);
    CHECK_INSN(0xc398, OP_SW, 0, 15, 14, 0);
    CHECK_INSN(0xfffc, OP_SD, 0, 15, 15, 248);
    CHECK_INSN(0x0705, OP_ADDI, 14, 14, 0, 1);                /* c.addi a4, 1 */
    CHECK_INSN(0x17fd, OP_ADDI, 15, 15, 0, -1);
    CHECK_INSN(0x0001, OP_ADDI, 0, 0, 0, 0);                  /* c.nop */
    CHECK_INSN(0x3a7d, OP_ADDIW, 20, 20, 0, -1);              /* c.addiw s4, -1 */
    CHECK_INSN(0x2601, OP_ADDIW, 12, 12, 0, 0);               /* sext.w a2 */
    CHECK_INSN(0x567d, OP_ADDI, 12, 0, 0, -1);                /* c.li a2, -1 */
    CHECK_INSN(0x67c1, OP_LUI, 15, 0, 0, 0x10000);            /* c.lui a5, 0x10 */
    CHECK_INSN(0x7179, OP_ADDI, 2, 2, 0, -48);                /* c.addi16sp sp, -48 */
    CHECK_INSN(0x6145, OP_ADDI, 2, 2, 0, 48);
    CHECK_INSN(0x93c1, OP_SRLI, 15, 15, 0, 48);               /* c.srli a5, 48 */
    CHECK_INSN(0x8785, OP_SRAI, 15, 15, 0, 1);
    CHECK_INSN(0x8b85, OP_ANDI, 15, 15, 0, 1);
    CHECK_INSN(0x8f99, OP_SUB, 15, 15, 14, 0);
    CHECK_INSN(0x8fb9, OP_XOR, 15, 15, 14, 0);
    CHECK_INSN(0x8fd9, OP_OR, 15, 15, 14, 0);
    CHECK_INSN(0x8ff9, OP_AND, 15, 15, 14, 0);
    CHECK_INSN(0x9f99, OP_SUBW, 15, 15, 14, 0);
    CHECK_INSN(0x9c31, OP_ADDW, 8, 8, 12, 0);                 /* c.addw s0, a2 */
    CHECK_INSN(0xa031, OP_JAL, 0, 0, 0, 12);                  /* c.j +12 */
    CHECK_INSN(0xbff5, OP_JAL, 0, 0, 0, -4);
    CHECK_INSN(0xd77d, OP_BEQ, 0, 14, 0, -18);                /* c.beqz a4, -18 */
    CHECK_INSN(0xe399, OP_BNE, 0, 15, 0, 6);
    CHECK_INSN(0x17c2, OP_SLLI, 15, 15, 0, 48);               /* c.slli a5, 48 */
    CHECK_INSN(0x4782, OP_LW, 15, 2, 0, 0);                   /* c.lwsp a5, 0(sp) */
    CHECK_INSN(0x60a2, OP_LD, 1, 2, 0, 8);                    /* c.ldsp ra, 8(sp) */
    CHECK_INSN(0xc23e, OP_SW, 0, 2, 15, 4);                   /* c.swsp a5, 4(sp) */
    CHECK_INSN(0xe406, OP_SD, 0, 2, 1, 8);                    /* c.sdsp ra, 8(sp) */
    CHECK_INSN(0x8736, OP_ADD, 14, 0, 13, 0);                 /* c.mv a4, a3 */
    CHECK_INSN(0x9736, OP_ADD, 14, 14, 13, 0);                /* c.add a4, a3 */
    CHECK_INSN(0x8082, OP_JALR, 0, 1, 0, 0);                  /* c.jr ra */
    CHECK_INSN(0x9782, OP_JALR, 1, 15, 0, 0);                 /* c.jalr a5 */
    CU_ASSERT_EQUAL(dec(0x9002).op, OP_EBREAK);
    CU_ASSERT_EQUAL(dec(0x9002).len, 2);
}

static void test_compressed_illegal(void)
{
    CU_ASSERT_EQUAL(dec(0x0000).op, OP_ILLEGAL);              /* addi4spn imm 0 */
    CU_ASSERT_EQUAL(dec(0x8000).op, OP_ILLEGAL);              /* reserved */
    CU_ASSERT_EQUAL(dec(0x2001).op, OP_ILLEGAL);              /* c.addiw x0 */
    CU_ASSERT_EQUAL(dec(0x6101).op, OP_ILLEGAL);              /* c.addi16sp 0 */
    CU_ASSERT_EQUAL(dec(0x6781).op, OP_ILLEGAL);              /* c.lui a5, 0 */
    CU_ASSERT_EQUAL(dec(0x9c41).op, OP_ILLEGAL);              /* reserved ALU */
    CU_ASSERT_EQUAL(dec(0x4002).op, OP_ILLEGAL);              /* c.lwsp x0 */
    CU_ASSERT_EQUAL(dec(0x6002).op, OP_ILLEGAL);              /* c.ldsp x0 */
    CU_ASSERT_EQUAL(dec(0x8002).op, OP_ILLEGAL);              /* c.jr x0 */
}

/* F/D: c.fld/c.fsd/c.fldsp/c.fsdsp and a few 32-bit ones become OP_FP. */
static void test_fp_decode(void)
{
    CHECK_INSN(0x2000, OP_FP, 8, 8, 0, 0);                    /* c.fld fs0, 0(s0) */
    CHECK_INSN(0xa000, OP_FP, 0, 8, 8, 0);                    /* c.fsd fs0, 0(s0) */
    CHECK_INSN(0x2002, OP_FP, 0, 2, 0, 0);                    /* c.fldsp ft0, 0(sp) */
    CHECK_INSN(0xa002, OP_FP, 0, 2, 0, 0);                    /* c.fsdsp ft0, 0(sp) */
    CHECK_INSN(0x3ffc, OP_FP, 15, 15, 0, 248);                /* c.fld fa5, 248(a5) */
    CHECK_INSN(0x00853507, OP_FP, 10, 10, 0, 8);              /* fld fa0, 8(a0) */
    CHECK_INSN(0x00a5b427, OP_FP, 0, 11, 10, 8);              /* fsd fa0, 8(a1) */
    CHECK_INSN(0x02c5f553, OP_FP, 10, 11, 12, 0);             /* fadd.d fa0, fa1, fa2 */
    CU_ASSERT_EQUAL(dec(0x02c5d553).op, OP_ILLEGAL);          /* fadd.d rm 5 */
    CU_ASSERT_EQUAL(dec(0x02c5e553).op, OP_ILLEGAL);          /* fadd.d rm 6 */
    CU_ASSERT_EQUAL(dec(0x04c5f553).op, OP_ILLEGAL);          /* fadd.h (no Zfh) */
    CU_ASSERT_EQUAL(dec(0x5a15f553).op, OP_ILLEGAL);          /* fsqrt.d rs2 != 0 */
    CU_ASSERT_EQUAL(dec(0x22c5b553).op, OP_ILLEGAL);          /* fsgnj.d funct3 3 */
    CU_ASSERT_EQUAL(dec(0x00004507).op, OP_ILLEGAL);          /* LOAD-FP funct3 4 (flq) */
}

/* ---- translation ---- */

static TB *tb_new(void)
{
    TB *tb = calloc(1, sizeof(TB) + (TB_MAX_INSNS + 2) * sizeof(MicroOp));
    CU_ASSERT_PTR_NOT_NULL_FATAL(tb);
    return tb;
}

static unsigned put32(uint8_t *p, uint32_t v)
{
    memcpy(p, &v, 4);
    return 4;
}

static unsigned put16(uint8_t *p, uint16_t v)
{
    memcpy(p, &v, 2);
    return 2;
}

static void test_block_ends(void)
{
    uint8_t code[64] = { 0 };
    unsigned n = 0;
    TB *tb = tb_new();

    n += put32(code + n, 0x00a00093);       /* li ra, 10      -> LI */
    n += put32(code + n, 0x00000013);       /* nop            -> nothing */
    n += put16(code + n, 0x0705);           /* c.addi a4, 1   -> ADDI */
    n += put32(code + n, 0x00008113);       /* mv sp, ra      -> MV */
    n += put32(code + n, 0x00012003);       /* lw x0, 0(sp)   -> LOAD_X0 */
    n += put32(code + n, 0xfe209ee3);       /* bne ra, sp, -4 -> ends */
    put32(code + n, 0x00000073);
    translate_block(tb, code, sizeof(code), 0x100, TB_MAX_INSNS, NULL, 0);
    CU_ASSERT_EQUAL(tb->n_insns, 6);
    CU_ASSERT_EQUAL(tb->size, n);
    CU_ASSERT_EQUAL_FATAL(tb->n_ops, 5);
    CU_ASSERT_EQUAL(tb->ops[0].opc, OP_LI);
    CU_ASSERT_EQUAL(tb->ops[1].opc, OP_ADDI);
    CU_ASSERT_EQUAL(tb->ops[1].idx, 2);
    CU_ASSERT_EQUAL(tb->ops[1].pc_off, 8);
    CU_ASSERT_EQUAL(tb->ops[1].len, 2);
    CU_ASSERT_EQUAL(tb->ops[2].opc, OP_MV);
    CU_ASSERT_EQUAL(tb->ops[3].opc, OP_LOAD_X0);
    CU_ASSERT_EQUAL(tb->ops[3].aux, 4);
    CU_ASSERT_EQUAL(tb->ops[4].opc, OP_BNE);
    CU_ASSERT_EQUAL(tb->ops[4].imm, 18 - 4);                 /* taken: relative to block */
    CU_ASSERT_EQUAL(tb->ops[4].aux, 22);                     /* fall-through */
    CU_ASSERT(tb->chain_ok[0] && tb->chain_ok[1]);
    free(tb);
}

static void test_block_fusion(void)
{
    uint8_t code[64] = { 0 };
    unsigned n = 0;
    TB *tb = tb_new();

    n += put32(code + n, 0x123450b7);       /* lui ra, 0x12345 */
    n += put32(code + n, 0x67808093);       /* addi ra, ra, 0x678 */
    n += put32(code + n, 0x00001517);       /* auipc a0, 1 */
    n += put32(code + n, 0x01050513);       /* addi a0, a0, 16 */
    n += put32(code + n, 0x00000097);       /* auipc ra, 0 */
    n += put32(code + n, 0x010080e7);       /* jalr ra, 16(ra): call */
    translate_block(tb, code, sizeof(code), 0, TB_MAX_INSNS, NULL, 0);
    CU_ASSERT_EQUAL(tb->n_insns, 6);
    CU_ASSERT_EQUAL_FATAL(tb->n_ops, 3);
    CU_ASSERT_EQUAL(tb->ops[0].opc, OP_LI);
    CU_ASSERT_EQUAL(tb->ops[0].imm, 0x12345678);
    CU_ASSERT_EQUAL(tb->ops[1].opc, OP_AUIPC);
    CU_ASSERT_EQUAL(tb->ops[1].imm, 8 + 4096 + 16);
    CU_ASSERT_EQUAL(tb->ops[2].opc, OP_JAL);
    CU_ASSERT_EQUAL(tb->ops[2].idx, 5);
    CU_ASSERT_EQUAL(tb->ops[2].imm, 16 + 16);
    CU_ASSERT_EQUAL(tb->ops[2].aux, 24);                     /* link = after jalr */
    CU_ASSERT(tb->chain_ok[0]);
    free(tb);

    /* tail call through t1 keeps t1 = auipc result */
    tb = tb_new();
    n = 0;
    n += put32(code + n, 0x00000317);       /* auipc t1, 0 */
    n += put32(code + n, 0x00830067);       /* jr 8(t1) */
    translate_block(tb, code, sizeof(code), 0xff8, TB_MAX_INSNS, NULL, 0);
    CU_ASSERT_EQUAL_FATAL(tb->n_ops, 2);
    CU_ASSERT_EQUAL(tb->ops[0].opc, OP_AUIPC);
    CU_ASSERT_EQUAL(tb->ops[1].opc, OP_J);
    CU_ASSERT_EQUAL(tb->chain_ok[0], 0);                     /* 0xff8 + 8: next page */
    free(tb);
}

static void test_block_page_end(void)
{
    uint8_t code[8];
    TB *tb = tb_new();

    /* A 32-bit instruction that does not fit: the block stops before it. */
    put16(code, 0x0705);
    put16(code + 2, 0x0013);                /* low half of a 32-bit insn */
    translate_block(tb, code, 4, 0xffc, TB_MAX_INSNS, NULL, 0);
    CU_ASSERT_EQUAL(tb->n_insns, 1);
    CU_ASSERT_EQUAL_FATAL(tb->n_ops, 2);
    CU_ASSERT_EQUAL(tb->ops[1].opc, OP_GOTO);
    CU_ASSERT_EQUAL(tb->ops[1].imm, 2);
    CU_ASSERT_EQUAL(tb->chain_ok[0], 1);                     /* 0xffe: same page */
    free(tb);

    /* Size cap */
    tb = tb_new();
    uint8_t nops[16];
    for (int i = 0; i < 8; i++) {
        put16(nops + 2 * i, 0x0705);
    }
    translate_block(tb, nops, sizeof(nops), 0, 3, NULL, 0);
    CU_ASSERT_EQUAL(tb->n_insns, 3);
    CU_ASSERT_EQUAL(tb->ops[tb->n_ops - 1].opc, OP_GOTO);
    free(tb);
}

static void test_block_x0_and_illegal(void)
{
    uint8_t code[32] = { 0 };
    unsigned n = 0;
    TB *tb = tb_new();

    n += put32(code + n, 0x00100033);       /* add x0, x0, x1 */
    n += put32(code + n, 0x0000006f);       /* j . -> J (no link) */
    translate_block(tb, code, sizeof(code), 0, TB_MAX_INSNS, NULL, 0);
    CU_ASSERT_EQUAL_FATAL(tb->n_ops, 1);
    CU_ASSERT_EQUAL(tb->ops[0].opc, OP_J);
    CU_ASSERT_EQUAL(tb->ops[0].idx, 1);
    CU_ASSERT_EQUAL(tb->n_insns, 2);
    free(tb);

    tb = tb_new();
    memset(code, 0, sizeof(code));
    put16(code, 0x0705);
    put16(code + 2, 0x0000);                /* illegal: ends the block */
    translate_block(tb, code, sizeof(code), 0, TB_MAX_INSNS, NULL, 0);
    CU_ASSERT_EQUAL_FATAL(tb->n_ops, 2);
    CU_ASSERT_EQUAL(tb->ops[1].opc, OP_ILLEGAL);
    CU_ASSERT_EQUAL(tb->ops[1].insn, 0);
    CU_ASSERT_EQUAL(tb->ops[1].pc_off, 2);
    free(tb);

    tb = tb_new();
    put32(code, 0xffffffff);
    translate_block(tb, code, sizeof(code), 0, TB_MAX_INSNS, NULL, 0);
    CU_ASSERT_EQUAL(tb->ops[0].opc, OP_ILLEGAL);
    CU_ASSERT_EQUAL(tb->ops[0].insn, 0xffffffff);
    free(tb);
}

static const UnitTest tests[] = {
    { "rv64i alu", test_rv64i_alu },
    { "rv64m", test_rv64m },
    { "loads and stores", test_loads_stores },
    { "control flow", test_control_flow },
    { "system and csr", test_system },
    { "atomics", test_atomics },
    { "illegal 32-bit", test_illegal },
    { "compressed", test_compressed },
    { "compressed illegal", test_compressed_illegal },
    { "F/D decode", test_fp_decode },
    { "block ends", test_block_ends },
    { "block fusion", test_block_fusion },
    { "block page end and cap", test_block_page_end },
    { "block x0 and illegal", test_block_x0_and_illegal },
    { NULL, NULL },
};

int main(void)
{
    return unit_run("decode", tests);
}

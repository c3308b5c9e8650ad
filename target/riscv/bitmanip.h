/* Zba, Zbb, Zbc and Zbs: the instruction list, their semantics and their
 * decoder. Every B instruction is a pure function of rs1 and rs2 (or an
 * immediate), so one list drives the micro-op kinds (target/riscv/tb.h), the
 * dispatch loop's handlers (target/riscv/exec.c), the reference evaluator
 * and the disassembler. Not for use outside the CPU, except by tests. */
#ifndef TARGET_RISCV_BITMANIP_H
#define TARGET_RISCV_BITMANIP_H

#include <stdbool.h>
#include <stdint.h>

struct DecodedInsn;

/* X(NAME, function, form, mnemonic). Forms: RR = rd, rs1, rs2; RI = rd,
 * rs1, shift amount (the function's second argument); R = rd, rs1 (the
 * second argument is 0). The first and last entries bound the range. */
#define BITMANIP_OPS(X) \
    /* Zba */ \
    X(ADD_UW, bm_add_uw, RR, "add.uw") \
    X(SH1ADD, bm_sh1add, RR, "sh1add") \
    X(SH2ADD, bm_sh2add, RR, "sh2add") \
    X(SH3ADD, bm_sh3add, RR, "sh3add") \
    X(SH1ADD_UW, bm_sh1add_uw, RR, "sh1add.uw") \
    X(SH2ADD_UW, bm_sh2add_uw, RR, "sh2add.uw") \
    X(SH3ADD_UW, bm_sh3add_uw, RR, "sh3add.uw") \
    X(SLLI_UW, bm_slli_uw, RI, "slli.uw") \
    /* Zbb */ \
    X(ANDN, bm_andn, RR, "andn") \
    X(ORN, bm_orn, RR, "orn") \
    X(XNOR, bm_xnor, RR, "xnor") \
    X(CLZ, bm_clz, R, "clz") \
    X(CTZ, bm_ctz, R, "ctz") \
    X(CPOP, bm_cpop, R, "cpop") \
    X(CLZW, bm_clzw, R, "clzw") \
    X(CTZW, bm_ctzw, R, "ctzw") \
    X(CPOPW, bm_cpopw, R, "cpopw") \
    X(MAX, bm_max, RR, "max") \
    X(MAXU, bm_maxu, RR, "maxu") \
    X(MIN, bm_min, RR, "min") \
    X(MINU, bm_minu, RR, "minu") \
    X(SEXT_B, bm_sext_b, R, "sext.b") \
    X(SEXT_H, bm_sext_h, R, "sext.h") \
    X(ZEXT_H, bm_zext_h, R, "zext.h") \
    X(ROL, bm_rol, RR, "rol") \
    X(ROR, bm_ror, RR, "ror") \
    X(ROLW, bm_rolw, RR, "rolw") \
    X(RORW, bm_rorw, RR, "rorw") \
    X(RORI, bm_ror, RI, "rori") \
    X(RORIW, bm_rorw, RI, "roriw") \
    X(ORC_B, bm_orc_b, R, "orc.b") \
    X(REV8, bm_rev8, R, "rev8") \
    /* Zbc */ \
    X(CLMUL, bm_clmul, RR, "clmul") \
    X(CLMULH, bm_clmulh, RR, "clmulh") \
    X(CLMULR, bm_clmulr, RR, "clmulr") \
    /* Zbs */ \
    X(BCLR, bm_bclr, RR, "bclr") \
    X(BEXT, bm_bext, RR, "bext") \
    X(BINV, bm_binv, RR, "binv") \
    X(BSET, bm_bset, RR, "bset") \
    X(BCLRI, bm_bclr, RI, "bclri") \
    X(BEXTI, bm_bext, RI, "bexti") \
    X(BINVI, bm_binv, RI, "binvi") \
    X(BSETI, bm_bset, RI, "bseti")

#define BITMANIP_FIRST_OP OP_ADD_UW
#define BITMANIP_LAST_OP  OP_BSETI

typedef enum BitmanipForm {
    BITMANIP_FORM_RR,
    BITMANIP_FORM_RI,
    BITMANIP_FORM_R,
} BitmanipForm;

/* ---- semantics (inline: the dispatch loop uses them directly) ---- */

static inline uint64_t bm_sext32(uint64_t v)
{
    return (uint64_t)(int64_t)(int32_t)v;
}

static inline uint64_t bm_add_uw(uint64_t a, uint64_t b) { return b + (uint32_t)a; }
static inline uint64_t bm_sh1add(uint64_t a, uint64_t b) { return b + (a << 1); }
static inline uint64_t bm_sh2add(uint64_t a, uint64_t b) { return b + (a << 2); }
static inline uint64_t bm_sh3add(uint64_t a, uint64_t b) { return b + (a << 3); }
static inline uint64_t bm_sh1add_uw(uint64_t a, uint64_t b) { return b + ((uint64_t)(uint32_t)a << 1); }
static inline uint64_t bm_sh2add_uw(uint64_t a, uint64_t b) { return b + ((uint64_t)(uint32_t)a << 2); }
static inline uint64_t bm_sh3add_uw(uint64_t a, uint64_t b) { return b + ((uint64_t)(uint32_t)a << 3); }
static inline uint64_t bm_slli_uw(uint64_t a, uint64_t b) { return (uint64_t)(uint32_t)a << (b & 63); }

static inline uint64_t bm_andn(uint64_t a, uint64_t b) { return a & ~b; }
static inline uint64_t bm_orn(uint64_t a, uint64_t b) { return a | ~b; }
static inline uint64_t bm_xnor(uint64_t a, uint64_t b) { return ~(a ^ b); }
/* __builtin_clz/ctz are undefined for 0: the ISA defines the width. */
static inline uint64_t bm_clz(uint64_t a, uint64_t b) { (void)b; return a ? (uint64_t)__builtin_clzll(a) : 64; }
static inline uint64_t bm_ctz(uint64_t a, uint64_t b) { (void)b; return a ? (uint64_t)__builtin_ctzll(a) : 64; }
static inline uint64_t bm_cpop(uint64_t a, uint64_t b) { (void)b; return (uint64_t)__builtin_popcountll(a); }
static inline uint64_t bm_clzw(uint64_t a, uint64_t b)
{
    (void)b;
    return (uint32_t)a ? (uint64_t)__builtin_clz((uint32_t)a) : 32;
}
static inline uint64_t bm_ctzw(uint64_t a, uint64_t b)
{
    (void)b;
    return (uint32_t)a ? (uint64_t)__builtin_ctz((uint32_t)a) : 32;
}
static inline uint64_t bm_cpopw(uint64_t a, uint64_t b) { (void)b; return (uint64_t)__builtin_popcount((uint32_t)a); }
static inline uint64_t bm_max(uint64_t a, uint64_t b) { return (int64_t)a > (int64_t)b ? a : b; }
static inline uint64_t bm_maxu(uint64_t a, uint64_t b) { return a > b ? a : b; }
static inline uint64_t bm_min(uint64_t a, uint64_t b) { return (int64_t)a < (int64_t)b ? a : b; }
static inline uint64_t bm_minu(uint64_t a, uint64_t b) { return a < b ? a : b; }
static inline uint64_t bm_sext_b(uint64_t a, uint64_t b) { (void)b; return (uint64_t)(int64_t)(int8_t)a; }
static inline uint64_t bm_sext_h(uint64_t a, uint64_t b) { (void)b; return (uint64_t)(int64_t)(int16_t)a; }
static inline uint64_t bm_zext_h(uint64_t a, uint64_t b) { (void)b; return (uint16_t)a; }
/* Rotations by 0 must not shift by the full width (undefined in C). */
static inline uint64_t bm_rol(uint64_t a, uint64_t b) { return (a << (b & 63)) | (a >> (-b & 63)); }
static inline uint64_t bm_ror(uint64_t a, uint64_t b) { return (a >> (b & 63)) | (a << (-b & 63)); }
static inline uint64_t bm_rolw(uint64_t a, uint64_t b)
{
    uint32_t x = (uint32_t)a;
    return bm_sext32((x << (b & 31)) | (x >> (-b & 31)));
}
static inline uint64_t bm_rorw(uint64_t a, uint64_t b)
{
    uint32_t x = (uint32_t)a;
    return bm_sext32((x >> (b & 31)) | (x << (-b & 31)));
}
static inline uint64_t bm_orc_b(uint64_t a, uint64_t b)
{
    (void)b;
    const uint64_t low7 = 0x7f7f7f7f7f7f7f7full;
    /* Bit 7 of each byte: set when the byte is not zero; then widen it to
     * 0xff (a multiply by 0xff cannot carry between bytes of 0 or 1). */
    uint64_t hi = (((a & low7) + low7) | a) & ~low7;
    return (hi >> 7) * 0xff;
}
static inline uint64_t bm_rev8(uint64_t a, uint64_t b) { (void)b; return __builtin_bswap64(a); }

/* Carry-less multiplies loop over 64 bits: out of line. */
uint64_t bm_clmul(uint64_t a, uint64_t b);
uint64_t bm_clmulh(uint64_t a, uint64_t b);
uint64_t bm_clmulr(uint64_t a, uint64_t b);

static inline uint64_t bm_bclr(uint64_t a, uint64_t b) { return a & ~(1ull << (b & 63)); }
static inline uint64_t bm_bext(uint64_t a, uint64_t b) { return (a >> (b & 63)) & 1; }
static inline uint64_t bm_binv(uint64_t a, uint64_t b) { return a ^ (1ull << (b & 63)); }
static inline uint64_t bm_bset(uint64_t a, uint64_t b) { return a | (1ull << (b & 63)); }

/* ---- decoding and description ---- */

/* Decodes a 32-bit B instruction into d (op, rd, rs1, rs2, imm = shift
 * amount); false, d untouched, for anything else. */
bool bitmanip_decode(uint32_t insn, struct DecodedInsn *d);
/* Mnemonic and operand form of a B micro-op kind (NULL for other ops). */
const char *bitmanip_name(unsigned op);
BitmanipForm bitmanip_form(unsigned op);

/* Reference entry point (tests, differential runs against QEMU): executes
 * the 32-bit B instruction insn with the given source register values and
 * stores what it writes to rd. False when insn is not a B instruction. */
bool bitmanip_eval(uint32_t insn, uint64_t rs1, uint64_t rs2, uint64_t *rd);

#endif

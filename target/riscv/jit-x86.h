/* A small x86-64 instruction emitter for the JIT (target/riscv/jit-gen.c):
 * just the encodings the code generator uses, each a few bytes into a
 * buffer that stops (and reports) rather than overruns. Not for use outside
 * the CPU. */
#ifndef TARGET_RISCV_JIT_X86_H
#define TARGET_RISCV_JIT_X86_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

enum {
    RAX, RCX, RDX, RBX, RSP, RBP, RSI, RDI,
    R8, R9, R10, R11, R12, R13, R14, R15,
    XNONE = -1,
};

/* Condition codes (the low nibble of Jcc / SETcc / CMOVcc). */
enum {
    CC_O = 0x0, CC_NO = 0x1, CC_B = 0x2, CC_AE = 0x3, CC_E = 0x4, CC_NE = 0x5,
    CC_BE = 0x6, CC_A = 0x7, CC_S = 0x8, CC_NS = 0x9, CC_P = 0xa, CC_L = 0xc, CC_GE = 0xd,
    CC_LE = 0xe, CC_G = 0xf,
};

/* Group opcodes' /digit for 0x81/0x83 (ALU imm) and 0xc1/0xd3 (shifts). */
enum { ALU_ADD = 0, ALU_OR = 1, ALU_AND = 4, ALU_SUB = 5, ALU_XOR = 6, ALU_CMP = 7 };
enum { SH_ROL = 0, SH_ROR = 1, SH_SHL = 4, SH_SHR = 5, SH_SAR = 7 };

typedef struct XBuf {
    uint8_t *base;               /* writable view of the code buffer */
    uint32_t pos, limit;         /* offsets into it */
    bool full;
} XBuf;

static inline void x_b(XBuf *b, uint8_t v)
{
    if (b->pos >= b->limit) {
        b->full = true;
        return;
    }
    b->base[b->pos++] = v;
}

static inline void x_u32(XBuf *b, uint32_t v)
{
    for (int i = 0; i < 4; i++) {
        x_b(b, (uint8_t)(v >> (8 * i)));
    }
}

static inline void x_u64(XBuf *b, uint64_t v)
{
    x_u32(b, (uint32_t)v);
    x_u32(b, (uint32_t)(v >> 32));
}

static inline bool x_fits32(int64_t v)
{
    return v == (int32_t)v;
}

static inline void x_rex(XBuf *b, int w, int reg, int index, int base, bool force)
{
    uint8_t rex = (uint8_t)(0x40 | (w ? 8 : 0) | ((reg & 8) ? 4 : 0) |
                            ((index >= 0 && (index & 8)) ? 2 : 0) | ((base & 8) ? 1 : 0));
    if (rex != 0x40 || force) {
        x_b(b, rex);
    }
}

static inline void x_opc(XBuf *b, uint32_t opc)
{
    /* 0x0fxx and 0x0f38xx style opcodes arrive as one number */
    if (opc > 0xffff) {
        x_b(b, (uint8_t)(opc >> 16));
    }
    if (opc > 0xff) {
        x_b(b, (uint8_t)(opc >> 8));
    }
    x_b(b, (uint8_t)opc);
}

/* The ModRM byte (with SIB and displacement) of reg, [base + index * scale +
 * disp]. */
static inline void x_modrm_mem(XBuf *b, int reg, int base, int index, int scale, int32_t disp)
{
    int mod = (disp == 0 && (base & 7) != RBP) ? 0 : (disp == (int8_t)disp ? 1 : 2);
    if (index >= 0 || (base & 7) == RSP) {
        int ss = scale == 8 ? 3 : scale == 4 ? 2 : scale == 2 ? 1 : 0;
        x_b(b, (uint8_t)(mod << 6 | (reg & 7) << 3 | 4));
        x_b(b, (uint8_t)(ss << 6 | ((index >= 0 ? index : RSP) & 7) << 3 | (base & 7)));
    } else {
        x_b(b, (uint8_t)(mod << 6 | (reg & 7) << 3 | (base & 7)));
    }
    if (mod == 1) {
        x_b(b, (uint8_t)disp);
    } else if (mod == 2) {
        x_u32(b, (uint32_t)disp);
    }
}

/* opc reg, [base + index * scale + disp] (reg may be a /digit). prefix66 for
 * 16-bit operands; rexb forces a REX prefix (byte registers sil, dil). */
static inline void x_mem_ex(XBuf *b, int prefix66, int w, uint32_t opc, int reg, int base,
                            int index, int scale, int32_t disp, bool rexb)
{
    if (prefix66) {
        x_b(b, 0x66);
    }
    x_rex(b, w, reg, index, base, rexb);
    x_opc(b, opc);
    x_modrm_mem(b, reg, base, index, scale, disp);
}

static inline void x_mem(XBuf *b, int w, uint32_t opc, int reg, int base, int32_t disp)
{
    x_mem_ex(b, 0, w, opc, reg, base, XNONE, 1, disp, false);
}

/* opc reg, rm (register direct) */
static inline void x_rr(XBuf *b, int w, uint32_t opc, int reg, int rm)
{
    x_rex(b, w, reg, XNONE, rm, false);
    x_opc(b, opc);
    x_b(b, (uint8_t)(0xc0 | (reg & 7) << 3 | (rm & 7)));
}

/* ---- moves ---- */
static inline void x_load64(XBuf *b, int r, int base, int32_t disp)  { x_mem(b, 1, 0x8b, r, base, disp); }
static inline void x_store64(XBuf *b, int r, int base, int32_t disp) { x_mem(b, 1, 0x89, r, base, disp); }
static inline void x_mov_rr(XBuf *b, int dst, int src)               { x_rr(b, 1, 0x89, src, dst); }
static inline void x_mov32_rr(XBuf *b, int dst, int src)             { x_rr(b, 0, 0x89, src, dst); }

static inline void x_mov_imm(XBuf *b, int r, uint64_t v)
{
    if (v == 0) {
        x_rr(b, 0, 0x31, r, r);                 /* xor r32, r32 */
    } else if (v <= 0xffffffffu) {
        x_rex(b, 0, 0, XNONE, r, false);        /* mov r32, imm32 (zero-extends) */
        x_b(b, (uint8_t)(0xb8 + (r & 7)));
        x_u32(b, (uint32_t)v);
    } else if (x_fits32((int64_t)v)) {
        x_rr(b, 1, 0xc7, 0, r);                 /* mov r64, simm32 */
        x_u32(b, (uint32_t)v);
    } else {
        x_rex(b, 1, 0, XNONE, r, false);        /* movabs */
        x_b(b, (uint8_t)(0xb8 + (r & 7)));
        x_u64(b, v);
    }
}

/* mov qword [base + disp], simm32 */
static inline void x_store_imm64(XBuf *b, int base, int32_t disp, int32_t v)
{
    x_mem(b, 1, 0xc7, 0, base, disp);
    x_u32(b, (uint32_t)v);
}

/* mov dword [base + disp], imm32 */
static inline void x_store_imm32(XBuf *b, int base, int32_t disp, uint32_t v)
{
    x_mem(b, 0, 0xc7, 0, base, disp);
    x_u32(b, v);
}

static inline void x_lea(XBuf *b, int r, int base, int32_t disp) { x_mem(b, 1, 0x8d, r, base, disp); }

/* ---- arithmetic ---- */
/* ALU r64, r64 with the "r/m, reg" opcode (01 add, 09 or, 21 and, 29 sub, 31 xor, 39 cmp) */
static inline void x_alu_rr(XBuf *b, int w, uint8_t opc, int dst, int src) { x_rr(b, w, opc, src, dst); }
/* ALU r64, [base + disp] with the "reg, r/m" opcode (03, 0b, 23, 2b, 33, 3b) */
static inline void x_alu_rm(XBuf *b, int w, uint8_t opc, int dst, int base, int32_t disp)
{
    x_mem(b, w, opc, dst, base, disp);
}

static inline void x_alu_ri(XBuf *b, int w, int digit, int r, int32_t v)
{
    if (v == (int8_t)v) {
        x_rr(b, w, 0x83, digit, r);
        x_b(b, (uint8_t)v);
    } else {
        x_rr(b, w, 0x81, digit, r);
        x_u32(b, (uint32_t)v);
    }
}

/* ALU qword [base + disp], simm32 */
static inline void x_alu_mi(XBuf *b, int digit, int base, int32_t disp, int32_t v)
{
    if (v == (int8_t)v) {
        x_mem(b, 1, 0x83, digit, base, disp);
        x_b(b, (uint8_t)v);
    } else {
        x_mem(b, 1, 0x81, digit, base, disp);
        x_u32(b, (uint32_t)v);
    }
}

static inline void x_shift_ri(XBuf *b, int w, int digit, int r, uint8_t n)
{
    x_rr(b, w, 0xc1, digit, r);
    x_b(b, n);
}

static inline void x_shift_rcl(XBuf *b, int w, int digit, int r) { x_rr(b, w, 0xd3, digit, r); }
static inline void x_movsxd(XBuf *b, int dst, int src)         { x_rr(b, 1, 0x63, dst, src); }
static inline void x_imul_rr(XBuf *b, int w, int dst, int src) { x_rr(b, w, 0x0faf, dst, src); }
static inline void x_test_rr(XBuf *b, int w, int a, int c)     { x_rr(b, w, 0x85, c, a); }

static inline void x_setcc_movzx(XBuf *b, int cc, int r)
{
    x_rr(b, 0, 0x0f90u | (unsigned)cc, 0, r);   /* setcc r8 (r is rax..rbx) */
    x_rr(b, 0, 0x0fb6, r, r);                   /* movzx r32, r8 */
}

/* ---- control flow ---- */
/* Emits jcc/jmp rel32 with a zero displacement; returns the offset of the
 * displacement for x_patch. */
static inline uint32_t x_jcc(XBuf *b, int cc)
{
    x_b(b, 0x0f);
    x_b(b, (uint8_t)(0x80 | cc));
    uint32_t at = b->pos;
    x_u32(b, 0);
    return at;
}

static inline uint32_t x_jmp(XBuf *b)
{
    x_b(b, 0xe9);
    uint32_t at = b->pos;
    x_u32(b, 0);
    return at;
}

/* Points the rel32 at `at` to offset `target` of the same buffer. */
static inline void x_patch(XBuf *b, uint32_t at, uint32_t target)
{
    if (b->full || at + 4 > b->limit) {
        return;
    }
    int32_t rel = (int32_t)(target - (at + 4));
    memcpy(b->base + at, &rel, 4);
}

static inline void x_call_abs(XBuf *b, const void *fn)
{
    x_mov_imm(b, RAX, (uint64_t)(uintptr_t)fn);
    x_b(b, 0xff);                               /* call rax */
    x_b(b, 0xd0);
}

static inline void x_push(XBuf *b, int r)
{
    if (r & 8) {
        x_b(b, 0x41);
    }
    x_b(b, (uint8_t)(0x50 + (r & 7)));
}

static inline void x_pop(XBuf *b, int r)
{
    if (r & 8) {
        x_b(b, 0x41);
    }
    x_b(b, (uint8_t)(0x58 + (r & 7)));
}


/* ---- SSE2 scalars and FMA3 (jit-fp.c) ---- */
enum { XMM0, XMM1, XMM2 };
enum { SSE_NONE = 0, SSE_66 = 0x66, SSE_F2 = 0xf2, SSE_F3 = 0xf3 };

/* pfx opc xmm, [base + disp] (the mandatory prefix goes before REX). */
static inline void x_sse_m(XBuf *b, uint8_t pfx, int w, uint32_t opc, int xr, int base,
                           int32_t disp)
{
    if (pfx) {
        x_b(b, pfx);
    }
    x_mem_ex(b, 0, w, opc, xr, base, XNONE, 1, disp, false);
}

/* pfx opc reg, rm, register direct (either may be an xmm register). */
static inline void x_sse_r(XBuf *b, uint8_t pfx, int w, uint32_t opc, int reg, int rm)
{
    if (pfx) {
        x_b(b, pfx);
    }
    x_rr(b, w, opc, reg, rm);
}

/* VEX.LIG.66.0F38 opc xr, vr, [base + disp]: the FMA3 scalar forms (W1 sd,
 * W0 ss). */
static inline void x_vex_m(XBuf *b, int w, uint8_t opc, int xr, int vr, int base, int32_t disp)
{
    x_b(b, 0xc4);
    x_b(b, (uint8_t)(((xr & 8) ? 0 : 0x80) | 0x40 | ((base & 8) ? 0 : 0x20) | 0x02));
    x_b(b, (uint8_t)((w ? 0x80 : 0) | ((~vr & 15) << 3) | 0x01));
    x_b(b, opc);
    x_modrm_mem(b, xr, base, XNONE, 1, disp);
}

#endif

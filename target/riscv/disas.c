/* RISC-V disassembler (monitor x/i, -d in_asm): RV64IMAC, Zicsr, Zifencei,
 * Zihintpause, Zba/Zbb/Zbc/Zbs and the privileged instructions. Canonical mnemonics (no pseudo-
 * instructions) and operands in the order and style of `objdump -M
 * no-aliases`, so a unit test can compare against binutils; branch targets
 * are absolute addresses. It lives in emu/ so the translator can log what it
 * translates; the monitor uses it from above. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "target/riscv/disas.h"
#include "target/riscv/disas-fp.h"
#include "target/riscv/tb.h"

static const char *const xreg[32] = {
    "zero", "ra", "sp", "gp", "tp", "t0", "t1", "t2", "s0", "s1", "a0", "a1", "a2", "a3", "a4",
    "a5", "a6", "a7", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9", "s10", "s11", "t3", "t4",
    "t5", "t6",
};

typedef struct Out {
    char *buf;
    size_t len;
} Out;

static void emit(Out *o, const char *mn, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void emit(Out *o, const char *mn, const char *fmt, ...)
{
    /* "%-7s " rather than "%-8s": a mnemonic of 8 or more characters
     * (c.addi4spn) still gets a space before its operands. */
    int n = snprintf(o->buf, o->len, "%-7s ", mn);
    if (n < 0 || (size_t)n >= o->len) {
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(o->buf + n, o->len - (size_t)n, fmt, ap);
    va_end(ap);
    /* No operands: drop the padding. */
    size_t l = strlen(o->buf);
    while (l && o->buf[l - 1] == ' ') {
        o->buf[--l] = '\0';
    }
}

static int64_t sext(uint64_t v, int bits)
{
    return (int64_t)(v << (64 - bits)) >> (64 - bits);
}

static uint32_t bits(uint32_t x, int hi, int lo)
{
    return (x >> lo) & ((1u << (hi - lo + 1)) - 1);
}

static void csr_name(int csr, char *buf, size_t len)
{
    const char *n = cpu_csr_name(csr);
    if (n) {
        snprintf(buf, len, "%s", n);
    } else {
        snprintf(buf, len, "0x%x", csr);
    }
}

static void fence_set(uint32_t v, char *buf)
{
    int n = 0;
    if (v & 8) buf[n++] = 'i';
    if (v & 4) buf[n++] = 'o';
    if (v & 2) buf[n++] = 'r';
    if (v & 1) buf[n++] = 'w';
    if (!n) buf[n++] = '0';
    buf[n] = '\0';
}

/* Zb[abcs]: names and forms from the executor's own list. */
static bool dis_bitmanip(uint32_t w, Out *o)
{
    DecodedInsn d;
    memset(&d, 0, sizeof(d));
    if (!bitmanip_decode(w, &d)) {
        return false;
    }
    const char *mn = bitmanip_name(d.op);
    switch (bitmanip_form(d.op)) {
    case BITMANIP_FORM_RR:
        emit(o, mn, "%s,%s,%s", xreg[d.rd], xreg[d.rs1], xreg[d.rs2]);
        break;
    case BITMANIP_FORM_RI:
        emit(o, mn, "%s,%s,0x%x", xreg[d.rd], xreg[d.rs1], (unsigned)d.imm);
        break;
    case BITMANIP_FORM_R:
        emit(o, mn, "%s,%s", xreg[d.rd], xreg[d.rs1]);
        break;
    }
    return true;
}

static bool dis32(uint64_t pc, uint32_t w, Out *o)
{
    uint32_t op = w & 0x7f, rd = bits(w, 11, 7), f3 = bits(w, 14, 12);
    uint32_t rs1 = bits(w, 19, 15), rs2 = bits(w, 24, 20), f7 = bits(w, 31, 25);
    int64_t imm_i = sext(w >> 20, 12);
    int64_t imm_s = sext((bits(w, 31, 25) << 5) | rd, 12);
    int64_t imm_b = sext((bits(w, 31, 31) << 12) | (bits(w, 7, 7) << 11) | (bits(w, 30, 25) << 5) |
                         (bits(w, 11, 8) << 1), 13);
    int64_t imm_j = sext((bits(w, 31, 31) << 20) | (bits(w, 19, 12) << 12) | (bits(w, 20, 20) << 11) |
                         (bits(w, 30, 21) << 1), 21);
    const char *D = xreg[rd], *S1 = xreg[rs1], *S2 = xreg[rs2];

    switch (op) {
    case 0x37: emit(o, "lui", "%s,0x%x", D, w >> 12); return true;
    case 0x17: emit(o, "auipc", "%s,0x%x", D, w >> 12); return true;
    case 0x6f: emit(o, "jal", "%s,0x%llx", D, (unsigned long long)(pc + (uint64_t)imm_j)); return true;
    case 0x67:
        if (f3) return false;
        emit(o, "jalr", "%s,%lld(%s)", D, (long long)imm_i, S1);
        return true;
    case 0x63: {
        static const char *const n[8] = { "beq", "bne", NULL, NULL, "blt", "bge", "bltu", "bgeu" };
        if (!n[f3]) return false;
        emit(o, n[f3], "%s,%s,0x%llx", S1, S2, (unsigned long long)(pc + (uint64_t)imm_b));
        return true;
    }
    case 0x03: {
        static const char *const n[8] = { "lb", "lh", "lw", "ld", "lbu", "lhu", "lwu", NULL };
        if (!n[f3]) return false;
        emit(o, n[f3], "%s,%lld(%s)", D, (long long)imm_i, S1);
        return true;
    }
    case 0x23: {
        static const char *const n[8] = { "sb", "sh", "sw", "sd" };
        if (f3 > 3) return false;
        emit(o, n[f3], "%s,%lld(%s)", S2, (long long)imm_s, S1);
        return true;
    }
    case 0x13:
    case 0x1b: {
        bool w32 = op == 0x1b;
        uint32_t shamt = bits(w, w32 ? 24 : 25, 20);
        uint32_t fun = w32 ? f7 : f7 >> 1;
        switch (f3) {
        case 0: emit(o, w32 ? "addiw" : "addi", "%s,%s,%lld", D, S1, (long long)imm_i); return true;
        case 1:
            if (fun) return false;
            emit(o, w32 ? "slliw" : "slli", "%s,%s,0x%x", D, S1, shamt);
            return true;
        case 5:
            if (fun == 0) {
                emit(o, w32 ? "srliw" : "srli", "%s,%s,0x%x", D, S1, shamt);
            } else if (fun == (w32 ? 0x20u : 0x10u)) {
                emit(o, w32 ? "sraiw" : "srai", "%s,%s,0x%x", D, S1, shamt);
            } else {
                return false;
            }
            return true;
        }
        if (w32) return false;
        static const char *const n[8] = { NULL, NULL, "slti", "sltiu", "xori", NULL, "ori", "andi" };
        emit(o, n[f3], "%s,%s,%lld", D, S1, (long long)imm_i);
        return true;
    }
    case 0x33:
    case 0x3b: {
        bool w32 = op == 0x3b;
        static const char *const base[8] = { "add", "sll", "slt", "sltu", "xor", "srl", "or", "and" };
        static const char *const mul[8] = { "mul", "mulh", "mulhsu", "mulhu", "div", "divu", "rem", "remu" };
        char name[16];
        if (f7 == 1) {
            if (w32 && (f3 == 1 || f3 == 2 || f3 == 3)) return false;
            snprintf(name, sizeof(name), "%s%s", mul[f3], w32 ? "w" : "");
        } else if (f7 == 0) {
            if (w32 && f3 != 0 && f3 != 1 && f3 != 5) return false;
            snprintf(name, sizeof(name), "%s%s", base[f3], w32 ? "w" : "");
        } else if (f7 == 0x20 && (f3 == 0 || f3 == 5)) {
            snprintf(name, sizeof(name), "%s%s", f3 ? "sra" : "sub", w32 ? "w" : "");
        } else {
            return false;
        }
        emit(o, name, "%s,%s,%s", D, S1, S2);
        return true;
    }
    case 0x0f:
        if (f3 == 1) {
            emit(o, "fence.i", "%s", "");
            return true;
        }
        if (f3 == 0) {
            char p[8], s[8];
            if (bits(w, 31, 28) == 8 && bits(w, 27, 20) == 0x33) {
                emit(o, "fence.tso", "%s", "");
                return true;
            }
            if (w == 0x0100000f) {      /* Zihintpause: fence w,0 */
                emit(o, "pause", "%s", "");
                return true;
            }
            fence_set(bits(w, 27, 24), p);
            fence_set(bits(w, 23, 20), s);
            emit(o, "fence", "%s,%s", p, s);
            return true;
        }
        return false;
    case 0x2f: {
        if (f3 != 2 && f3 != 3) return false;
        const char *sz = f3 == 2 ? "w" : "d";
        uint32_t f5 = f7 >> 2;
        const char *aq = (f7 & 3) == 3 ? ".aqrl" : (f7 & 2) ? ".aq" : (f7 & 1) ? ".rl" : "";
        static const struct { uint32_t f5; const char *n; } amo[] = {
            { 0x00, "amoadd" }, { 0x01, "amoswap" }, { 0x04, "amoxor" }, { 0x0c, "amoand" },
            { 0x08, "amoor" }, { 0x10, "amomin" }, { 0x14, "amomax" }, { 0x18, "amominu" },
            { 0x1c, "amomaxu" },
        };
        char name[24];
        if (f5 == 0x02) {
            if (rs2) return false;
            snprintf(name, sizeof(name), "lr.%s%s", sz, aq);
            emit(o, name, "%s,(%s)", D, S1);
            return true;
        }
        if (f5 == 0x03) {
            snprintf(name, sizeof(name), "sc.%s%s", sz, aq);
            emit(o, name, "%s,%s,(%s)", D, S2, S1);
            return true;
        }
        for (size_t i = 0; i < sizeof(amo) / sizeof(amo[0]); i++) {
            if (amo[i].f5 == f5) {
                snprintf(name, sizeof(name), "%s.%s%s", amo[i].n, sz, aq);
                emit(o, name, "%s,%s,(%s)", D, S2, S1);
                return true;
            }
        }
        return false;
    }
    case 0x73: {
        if (f3 == 0) {
            if (w == 0x00000073) { emit(o, "ecall", "%s", ""); return true; }
            if (w == 0x00100073) { emit(o, "ebreak", "%s", ""); return true; }
            if (w == 0x30200073) { emit(o, "mret", "%s", ""); return true; }
            if (w == 0x10200073) { emit(o, "sret", "%s", ""); return true; }
            if (w == 0x10500073) { emit(o, "wfi", "%s", ""); return true; }
            if (f7 == 0x09 && rd == 0) { emit(o, "sfence.vma", "%s,%s", S1, S2); return true; }
            return false;
        }
        static const char *const n[8] = { NULL, "csrrw", "csrrs", "csrrc", NULL, "csrrwi", "csrrsi", "csrrci" };
        if (!n[f3]) return false;
        char c[24];
        csr_name((int)(w >> 20), c, sizeof(c));
        if (f3 < 4) {
            emit(o, n[f3], "%s,%s,%s", D, c, S1);
        } else {
            emit(o, n[f3], "%s,%s,%u", D, c, rs1);
        }
        return true;
    }
    }
    return false;
}

static bool dis16(uint64_t pc, uint32_t h, Out *o)
{
    uint32_t q = h & 3, f3 = bits(h, 15, 13);
    uint32_t rd = bits(h, 11, 7), rs2 = bits(h, 6, 2);
    const char *rdp = xreg[8 + bits(h, 9, 7)], *rs2p = xreg[8 + bits(h, 4, 2)];
    int64_t imm6 = sext((bits(h, 12, 12) << 5) | bits(h, 6, 2), 6);
    uint32_t uimm6 = (bits(h, 12, 12) << 5) | bits(h, 6, 2);

    if (q == 0) {
        uint32_t off_w = (bits(h, 5, 5) << 6) | (bits(h, 12, 10) << 3) | (bits(h, 6, 6) << 2);
        uint32_t off_d = (bits(h, 6, 5) << 6) | (bits(h, 12, 10) << 3);
        switch (f3) {
        case 0: {
            uint32_t nz = (bits(h, 10, 7) << 6) | (bits(h, 12, 11) << 4) | (bits(h, 5, 5) << 3) |
                          (bits(h, 6, 6) << 2);
            if (!nz) return false;
            emit(o, "c.addi4spn", "%s,sp,%u", rs2p, nz);
            return true;
        }
        case 2: emit(o, "c.lw", "%s,%u(%s)", rs2p, off_w, rdp); return true;
        case 3: emit(o, "c.ld", "%s,%u(%s)", rs2p, off_d, rdp); return true;
        case 6: emit(o, "c.sw", "%s,%u(%s)", rs2p, off_w, rdp); return true;
        case 7: emit(o, "c.sd", "%s,%u(%s)", rs2p, off_d, rdp); return true;
        }
        return false;
    }
    if (q == 1) {
        switch (f3) {
        case 0:
            if (rd == 0) {
                if (imm6) return false;
                emit(o, "c.nop", "%s", "");
                return true;
            }
            emit(o, "c.addi", "%s,%lld", xreg[rd], (long long)imm6);
            return true;
        case 1:
            if (!rd) return false;
            emit(o, "c.addiw", "%s,%lld", xreg[rd], (long long)imm6);
            return true;
        case 2:
            if (!rd) return false;
            emit(o, "c.li", "%s,%lld", xreg[rd], (long long)imm6);
            return true;
        case 3:
            if (rd == 2) {
                int64_t nz = sext((bits(h, 12, 12) << 9) | (bits(h, 4, 3) << 7) | (bits(h, 5, 5) << 6) |
                                  (bits(h, 2, 2) << 5) | (bits(h, 6, 6) << 4), 10);
                if (!nz) return false;
                emit(o, "c.addi16sp", "sp,%lld", (long long)nz);
                return true;
            }
            if (!rd || !imm6) return false;
            emit(o, "c.lui", "%s,0x%llx", xreg[rd], (unsigned long long)((uint64_t)imm6 & 0xfffff));
            return true;
        case 4: {
            uint32_t f2 = bits(h, 11, 10);
            if (f2 == 0 || f2 == 1) {
                emit(o, f2 ? "c.srai" : "c.srli", "%s,0x%x", rdp, uimm6);
                return uimm6 != 0;
            }
            if (f2 == 2) {
                emit(o, "c.andi", "%s,%lld", rdp, (long long)imm6);
                return true;
            }
            static const char *const n[8] = { "c.sub", "c.xor", "c.or", "c.and", "c.subw", "c.addw", NULL, NULL };
            uint32_t k = (bits(h, 12, 12) << 2) | bits(h, 6, 5);
            if (!n[k]) return false;
            emit(o, n[k], "%s,%s", rdp, rs2p);
            return true;
        }
        case 5: {
            int64_t off = sext((bits(h, 12, 12) << 11) | (bits(h, 8, 8) << 10) | (bits(h, 10, 9) << 8) |
                               (bits(h, 6, 6) << 7) | (bits(h, 7, 7) << 6) | (bits(h, 2, 2) << 5) |
                               (bits(h, 11, 11) << 4) | (bits(h, 5, 3) << 1), 12);
            emit(o, "c.j", "0x%llx", (unsigned long long)(pc + (uint64_t)off));
            return true;
        }
        case 6:
        case 7: {
            int64_t off = sext((bits(h, 12, 12) << 8) | (bits(h, 6, 5) << 6) | (bits(h, 2, 2) << 5) |
                               (bits(h, 11, 10) << 3) | (bits(h, 4, 3) << 1), 9);
            emit(o, f3 == 6 ? "c.beqz" : "c.bnez", "%s,0x%llx", rdp,
                 (unsigned long long)(pc + (uint64_t)off));
            return true;
        }
        }
        return false;
    }
    /* q == 2 */
    switch (f3) {
    case 0:
        if (!rd || !uimm6) return false;
        emit(o, "c.slli", "%s,0x%x", xreg[rd], uimm6);
        return true;
    case 2: {
        uint32_t off = (bits(h, 3, 2) << 6) | (bits(h, 12, 12) << 5) | (bits(h, 6, 4) << 2);
        if (!rd) return false;
        emit(o, "c.lwsp", "%s,%u(sp)", xreg[rd], off);
        return true;
    }
    case 3: {
        uint32_t off = (bits(h, 4, 2) << 6) | (bits(h, 12, 12) << 5) | (bits(h, 6, 5) << 3);
        if (!rd) return false;
        emit(o, "c.ldsp", "%s,%u(sp)", xreg[rd], off);
        return true;
    }
    case 4:
        if (!bits(h, 12, 12)) {
            if (!rd) return false;
            if (!rs2) {
                emit(o, "c.jr", "%s", xreg[rd]);
            } else {
                emit(o, "c.mv", "%s,%s", xreg[rd], xreg[rs2]);
            }
            return true;
        }
        if (!rd && !rs2) {
            emit(o, "c.ebreak", "%s", "");
        } else if (!rs2) {
            emit(o, "c.jalr", "%s", xreg[rd]);
        } else {
            if (!rd) return false;
            emit(o, "c.add", "%s,%s", xreg[rd], xreg[rs2]);
        }
        return true;
    case 6: {
        uint32_t off = (bits(h, 8, 7) << 6) | (bits(h, 12, 9) << 2);
        emit(o, "c.swsp", "%s,%u(sp)", xreg[rs2], off);
        return true;
    }
    case 7: {
        uint32_t off = (bits(h, 9, 7) << 6) | (bits(h, 12, 10) << 3);
        emit(o, "c.sdsp", "%s,%u(sp)", xreg[rs2], off);
        return true;
    }
    }
    return false;
}

int disas_riscv(uint64_t pc, const uint8_t *buf, size_t avail, char *out, size_t outlen)
{
    Out o = { out, outlen };
    if (outlen) {
        out[0] = '\0';
    }
    if (avail < 2) {
        snprintf(out, outlen, "illegal");
        return 2;
    }
    uint32_t h = (uint32_t)buf[0] | (uint32_t)buf[1] << 8;
    if ((h & 3) != 3) {
        if (!dis16(pc, h, &o) && !disas_fp(h, out, outlen)) {
            snprintf(out, outlen, "illegal");
        }
        return 2;
    }
    if (avail < 4) {
        snprintf(out, outlen, "illegal");
        return 2;
    }
    uint32_t w = h | (uint32_t)buf[2] << 16 | (uint32_t)buf[3] << 24;
    if (!dis32(pc, w, &o) && !dis_bitmanip(w, &o) && !disas_fp(w, out, outlen)) {
        snprintf(out, outlen, "illegal");
    }
    return 4;
}

int disas_line(uint64_t pc, const uint8_t *buf, size_t avail, char *out, size_t outlen)
{
    char text[96];
    int len = disas_riscv(pc, buf, avail, text, sizeof(text));
    if (len == 2) {
        snprintf(out, outlen, "0x%016llx:  %04x              %s", (unsigned long long)pc,
                 (unsigned)(buf[0] | buf[1] << 8), text);
    } else {
        uint32_t w = (uint32_t)buf[0] | (uint32_t)buf[1] << 8 | (uint32_t)buf[2] << 16 |
                     (uint32_t)buf[3] << 24;
        snprintf(out, outlen, "0x%016llx:  %08x          %s", (unsigned long long)pc, w, text);
    }
    return len;
}

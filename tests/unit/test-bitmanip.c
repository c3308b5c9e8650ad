/* Zba/Zbb/Zbc/Zbs: decoding of every instruction (encodings from binutils),
 * near-miss encodings that stay illegal, the disassembler's text, and every
 * vector of tests/guest/isa/bvectors.h (a Python model of the B chapter)
 * through the reference evaluator and through the executor. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "target/riscv/disas.h"
#include "target/riscv/tb.h"
#include "tests/unit/unit.h"

#include "tests/guest/isa/bvectors.h"

/* objdump -M no-aliases of each instruction with rd = a0, rs1 = a1,
 * rs2 = a2 (shift amounts 0; bits 25:20 take the amount). */
static const struct {
    const char *name;
    uint32_t insn;
} enc[] = {
    { "add.uw", 0x08c5853b }, { "sh1add", 0x20c5a533 }, { "sh2add", 0x20c5c533 },
    { "sh3add", 0x20c5e533 }, { "sh1add.uw", 0x20c5a53b }, { "sh2add.uw", 0x20c5c53b },
    { "sh3add.uw", 0x20c5e53b }, { "slli.uw", 0x0805951b },
    { "andn", 0x40c5f533 }, { "orn", 0x40c5e533 }, { "xnor", 0x40c5c533 },
    { "clz", 0x60059513 }, { "ctz", 0x60159513 }, { "cpop", 0x60259513 },
    { "clzw", 0x6005951b }, { "ctzw", 0x6015951b }, { "cpopw", 0x6025951b },
    { "max", 0x0ac5e533 }, { "maxu", 0x0ac5f533 }, { "min", 0x0ac5c533 },
    { "minu", 0x0ac5d533 }, { "sext.b", 0x60459513 }, { "sext.h", 0x60559513 },
    { "zext.h", 0x0805c53b }, { "rol", 0x60c59533 }, { "ror", 0x60c5d533 },
    { "rolw", 0x60c5953b }, { "rorw", 0x60c5d53b }, { "rori", 0x6005d513 },
    { "roriw", 0x6005d51b }, { "orc.b", 0x2875d513 }, { "rev8", 0x6b85d513 },
    { "clmul", 0x0ac59533 }, { "clmulh", 0x0ac5b533 }, { "clmulr", 0x0ac5a533 },
    { "bclr", 0x48c59533 }, { "bext", 0x48c5d533 }, { "binv", 0x68c59533 },
    { "bset", 0x28c59533 }, { "bclri", 0x48059513 }, { "bexti", 0x4805d513 },
    { "binvi", 0x68059513 }, { "bseti", 0x28059513 },
};
#define NR_ENC (sizeof(enc) / sizeof(enc[0]))

static uint32_t encoding(const char *name)
{
    for (size_t i = 0; i < NR_ENC; i++) {
        if (!strcmp(enc[i].name, name)) {
            return enc[i].insn;
        }
    }
    CU_FAIL_FATAL("no encoding for a vector's mnemonic");
    return 0;
}

static void test_decode_all(void)
{
    CU_ASSERT_EQUAL(NR_ENC, (size_t)(BITMANIP_LAST_OP - BITMANIP_FIRST_OP + 1));
    for (size_t i = 0; i < NR_ENC; i++) {
        DecodedInsn d;
        CU_ASSERT_EQUAL(translate_decode(enc[i].insn, &d), 4);
        const char *n = bitmanip_name(d.op);
        if (!n || strcmp(n, enc[i].name)) {
            printf("0x%08x: decoded as %s, want %s\n", enc[i].insn, n ? n : "(not B)", enc[i].name);
            CU_FAIL("wrong instruction");
            continue;
        }
        CU_ASSERT_EQUAL(d.rd, 10);
        CU_ASSERT_EQUAL(d.rs1, 11);
        CU_ASSERT_EQUAL(d.rs2, bitmanip_form(d.op) == BITMANIP_FORM_RR ? 12 : 0);
        CU_ASSERT_EQUAL(d.imm, 0);
    }
    /* shift amounts: 6 bits, 5 for roriw */
    DecodedInsn d;
    translate_decode(0x6005d513 | 63u << 20, &d);
    CU_ASSERT_EQUAL(d.op, OP_RORI);
    CU_ASSERT_EQUAL(d.imm, 63);
    translate_decode(0x0805951b | 32u << 20, &d);
    CU_ASSERT_EQUAL(d.op, OP_SLLI_UW);
    CU_ASSERT_EQUAL(d.imm, 32);
    translate_decode(0x6005d51b | 31u << 20, &d);
    CU_ASSERT_EQUAL(d.op, OP_RORIW);
    CU_ASSERT_EQUAL(d.imm, 31);
    /* the base instructions next door are unchanged */
    CU_ASSERT_EQUAL((translate_decode(0x00c5853b, &d), d.op), OP_ADDW);
    CU_ASSERT_EQUAL((translate_decode(0x40c58533, &d), d.op), OP_SUB);
    CU_ASSERT_EQUAL((translate_decode(0x02c5c533, &d), d.op), OP_DIV);
    CU_ASSERT_EQUAL((translate_decode(0x4005d513, &d), d.op), OP_SRAI);
    CU_ASSERT_EQUAL((translate_decode(0x0100000f, &d), d.op), OP_FENCE);   /* pause */
}

static void test_illegal_near_misses(void)
{
    static const uint32_t bad[] = {
        0x0815c53b,     /* packw (Zbkb): zext.h with rs2 != 0 */
        0x60359513,     /* OP-IMM imm 0x603: between cpop and sext.b */
        0x60659513,     /* imm 0x606 */
        0x6985d513,     /* rev8's RV32 encoding */
        0x2865d513,     /* orc.b with a shamt bit wrong */
        0x6205d51b,     /* roriw with shamt[5] set */
        0x0ac5853b,     /* OP-32 funct7 5 */
        0x6035951b,     /* OP-IMM-32 imm 0x603 */
        0x2805d513,     /* bseti's funct6 with funct3 5 */
        0x28c5d533,     /* bset's funct7 with funct3 5 */
        0x48c5c533,     /* bclr's funct7 with funct3 4 */
        0x20c59533,     /* sh?add funct7 with funct3 1 */
        0x08c5953b,     /* add.uw funct7 with funct3 1 */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        DecodedInsn d;
        translate_decode(bad[i], &d);
        if (d.op != OP_ILLEGAL) {
            printf("0x%08x decodes to op %u\n", bad[i], d.op);
            CU_FAIL("near miss decoded");
        }
        uint64_t r;
        CU_ASSERT_FALSE(bitmanip_eval(bad[i], 1, 2, &r));
    }
}

/* The text binutils prints (objdump -M no-aliases), spaces collapsed. */
static void test_disas(void)
{
    static const struct { uint32_t insn; const char *text; } t[] = {
        { 0x08c5853b, "add.uw a0,a1,a2" }, { 0x20c5e53b, "sh3add.uw a0,a1,a2" },
        { 0x0bf5951b, "slli.uw a0,a1,0x3f" }, { 0x60059513, "clz a0,a1" },
        { 0x6025951b, "cpopw a0,a1" }, { 0x0805c53b, "zext.h a0,a1" },
        { 0x63f5d513, "rori a0,a1,0x3f" }, { 0x61f5d51b, "roriw a0,a1,0x1f" },
        { 0x2875d513, "orc.b a0,a1" }, { 0x6b85d513, "rev8 a0,a1" },
        { 0x0ac5a533, "clmulr a0,a1,a2" }, { 0x4bf5d513, "bexti a0,a1,0x3f" },
        { 0x28c59533, "bset a0,a1,a2" }, { 0x0100000f, "pause" },
        { 0x0ff0000f, "fence iorw,iorw" }, { 0x0815c53b, "illegal" },
    };
    for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
        uint8_t b[4] = { (uint8_t)t[i].insn, (uint8_t)(t[i].insn >> 8),
                         (uint8_t)(t[i].insn >> 16), (uint8_t)(t[i].insn >> 24) };
        char out[96], col[96];
        CU_ASSERT_EQUAL(disas_riscv(0x80000000, b, 4, out, sizeof(out)), 4);
        size_t n = 0;
        for (const char *p = out; *p && n + 1 < sizeof(col); p++) {
            if (*p != ' ' || (n && col[n - 1] != ' ')) {
                col[n++] = *p;
            }
        }
        col[n] = '\0';
        if (strcmp(col, t[i].text)) {
            printf("0x%08x: \"%s\", want \"%s\"\n", t[i].insn, col, t[i].text);
            CU_FAIL("disassembly differs");
        }
    }
}

/* ---- the vectors through the evaluator ---- */

static unsigned eval_failures;

static void eval_one(const char *name, uint32_t insn, uint64_t a, uint64_t b, uint64_t exp)
{
    uint64_t r = ~exp;
    if (!bitmanip_eval(insn, a, b, &r) || r != exp) {
        if (eval_failures++ < 10) {
            printf("%s 0x%016llx, 0x%016llx = 0x%016llx, want 0x%016llx\n", name,
                   (unsigned long long)a, (unsigned long long)b, (unsigned long long)r,
                   (unsigned long long)exp);
        }
        CU_FAIL("wrong result");
    }
}

static void test_eval_vectors(void)
{
    unsigned n = 0;
    eval_failures = 0;
#define RR(nm, a, b, exp) eval_one(nm, encoding(nm), a, b, exp); n++;
#define RI(nm, a, sh, exp) eval_one(nm, encoding(nm) | (uint32_t)(sh) << 20, a, 0, exp); n++;
#define R1(nm, a, exp) eval_one(nm, encoding(nm), a, 0x5a5a, exp); n++;
    RV64B_RR_VECTORS
    RV64B_RI_VECTORS
    RV64B_R_VECTORS
    RV64B_R_VECTORS_QEMU72_DIFFERS
#undef RR
#undef RI
#undef R1
    CU_ASSERT(n > 2000);
}

/* Known carry-less products: (x^64 - 1)^2 over GF(2) has the even powers. */
static void test_clmul_known(void)
{
    CU_ASSERT_EQUAL(bm_clmul(3, 3), 5);
    CU_ASSERT_EQUAL(bm_clmul(0x87, 0x87), 0x4015);
    CU_ASSERT_EQUAL(bm_clmul(~0ull, ~0ull), 0x5555555555555555ull);
    CU_ASSERT_EQUAL(bm_clmulh(~0ull, ~0ull), 0x5555555555555555ull);
    CU_ASSERT_EQUAL(bm_clmulr(~0ull, ~0ull), 0xaaaaaaaaaaaaaaaaull);
    CU_ASSERT_EQUAL(bm_clmulh(1ull << 63, 2), 1);
    CU_ASSERT_EQUAL(bm_clmul(1ull << 63, 2), 0);
    CU_ASSERT_EQUAL(bm_clmulr(1ull << 63, 1), 1);
    CU_ASSERT_EQUAL(bm_clmulh(~0ull, 1), 0);
    CU_ASSERT_EQUAL(bm_clmulr(~0ull, 1), 1);
}

/* ---- the vectors through the executor ---- */

static PhysMemory mem;
static RISCVCPU *cpu;
static VirtClock clk;

#define CODE 0x80000000ull

static void setup(void)
{
    memory_init(&mem);
    CU_ASSERT_PTR_NOT_NULL_FATAL(memory_add_ram(&mem, "ram", CODE, 1 << 20));
    cpu = calloc(1, sizeof(*cpu));
    CU_ASSERT_PTR_NOT_NULL_FATAL(cpu);
    CU_ASSERT_FATAL(cpu_init(cpu, &mem, NULL));
    clock_init(&clk, CLOCK_MODE_ICOUNT, 0, cpu_get_icount, cpu);
    cpu->clock = &clk;
    cpu_reset(cpu, CODE);
}

static void teardown(void)
{
    cpu_destroy(cpu);
    free(cpu);
    memory_destroy(&mem);
}

/* Runs insn then a self-loop; returns rd (a0) or x0 when rd is 0. */
static uint64_t exec_one(uint32_t insn, uint64_t a, uint64_t b)
{
    uint32_t code[2] = { insn, 0x0000006f };    /* jal x0, 0 */
    CU_ASSERT_FATAL(memory_rw(&mem, CODE, code, sizeof(code), true, true));
    cpu->env.pc = CODE;
    cpu->env.gpr[10] = 0xdeadbeefdeadbeefull;
    cpu->env.gpr[11] = a;
    cpu->env.gpr[12] = b;
    cpu_exec(cpu, 8);
    CU_ASSERT_EQUAL(cpu->env.pc, CODE + 4);
    CU_ASSERT_EQUAL(cpu->env.mcause, 0);        /* no trap */
    return cpu->env.gpr[10];
}

static unsigned exec_failures;

static void exec_check(const char *name, uint32_t insn, uint64_t a, uint64_t b, uint64_t exp)
{
    uint64_t r = exec_one(insn, a, b);
    if (r != exp) {
        if (exec_failures++ < 10) {
            printf("executed %s 0x%016llx, 0x%016llx = 0x%016llx, want 0x%016llx\n", name,
                   (unsigned long long)a, (unsigned long long)b, (unsigned long long)r,
                   (unsigned long long)exp);
        }
        CU_FAIL("wrong result");
    }
}

static void test_exec_vectors(void)
{
    setup();
    exec_failures = 0;
#define RR(nm, a, b, exp) exec_check(nm, encoding(nm), a, b, exp);
#define RI(nm, a, sh, exp) exec_check(nm, encoding(nm) | (uint32_t)(sh) << 20, a, 0, exp);
#define R1(nm, a, exp) exec_check(nm, encoding(nm), a, 0x5a5a, exp);
    RV64B_RR_VECTORS
    RV64B_RI_VECTORS
    RV64B_R_VECTORS
    RV64B_R_VECTORS_QEMU72_DIFFERS
#undef RR
#undef RI
#undef R1
    teardown();
}

/* rd = x0 keeps x0 zero; rd = rs1 = rs2 reads before it writes. */
static void test_exec_registers(void)
{
    setup();
    exec_one(0x0ac59033, ~0ull, ~0ull);         /* clmul zero, a1, a2 */
    CU_ASSERT_EQUAL(cpu->env.gpr[0], 0);
    CU_ASSERT_EQUAL(cpu->env.gpr[10], 0xdeadbeefdeadbeefull);
    exec_one(0x6b85d593, 0x0102030405060708ull, 0);   /* rev8 a1, a1 */
    CU_ASSERT_EQUAL(cpu->env.gpr[11], 0x0807060504030201ull);
    exec_one(0x20b5a5b3, 3, 0);                 /* sh1add a1, a1, a1 */
    CU_ASSERT_EQUAL(cpu->env.gpr[11], 9);
    teardown();
}

static void test_exec_illegal(void)
{
    setup();
    uint32_t code[2] = { 0x0815c53b, 0x0000006f };
    CU_ASSERT_FATAL(memory_rw(&mem, CODE, code, sizeof(code), true, true));
    uint32_t loop = 0x0000006f;
    CU_ASSERT_FATAL(memory_rw(&mem, CODE + 0x100, &loop, 4, true, true));
    cpu->env.mtvec = CODE + 0x100;
    cpu->env.pc = CODE;
    cpu_exec(cpu, 8);
    CU_ASSERT_EQUAL(cpu->env.mcause, EXCP_ILLEGAL_INSN);
    CU_ASSERT_EQUAL(cpu->env.mtval, 0x0815c53b);
    CU_ASSERT_EQUAL(cpu->env.mepc, CODE);
    teardown();
}

static const UnitTest tests[] = {
    { "decode every B instruction", test_decode_all },
    { "near-miss encodings are illegal", test_illegal_near_misses },
    { "disassembler text", test_disas },
    { "vectors: reference evaluator", test_eval_vectors },
    { "carry-less multiply known values", test_clmul_known },
    { "vectors: executor", test_exec_vectors },
    { "executor: x0 and overlapping registers", test_exec_registers },
    { "executor: illegal near miss traps", test_exec_illegal },
    { NULL, NULL },
};

int main(void)
{
    return unit_run("bitmanip", tests);
}

/* Differential test of the JIT (target/riscv/jit-*.c) against the
 * interpreter: random guest programs (RV64 I, M, A, F, D, C, Zba/Zbb/Zbc/Zbs,
 * CSR accesses, loads and stores across page boundaries and off the end of
 * RAM, stores into the running code, traps) run block by block on two harts
 * with identical memories, one with each back end; after every block (or,
 * one time in four, after a budget of up to 300 instructions) the
 * whole architectural state (CPURISCVState: registers, pc, CSRs, FP, icount,
 * instret, reservation) and the memory the programs touch must be equal.
 *
 *   JIT_DIFF_BLOCKS=N   blocks to compare (default 200000; make check-long: 1000000+)
 *   JIT_DIFF_SEED=S     PRNG seed (default 1)
 * On a mismatch it prints the program's seed, the block number and both
 * states, and stops. */
#include "target/riscv/cpu-internal.h"
#include "target/riscv/fpu.h"
#include "tests/unit/unit.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RAM_BASE   0x80000000ull
#define RAM_SIZE   (64ull << 10)
#define CODE_SIZE  0x2000u           /* two pages of program */
#define DATA_BASE  (RAM_BASE + 0x4000)
#define DATA_SIZE  0x4000u
#define HANDLER    (RAM_BASE + 0x3000)   /* the trap handler most programs use */
#define PROG_BLOCKS 48               /* blocks per program before the next one */

/* The registers programs use as bases keep their role most of the time. */
enum { R_DATA = 8, R_DATA2 = 9, R_CODE = 18, R_EDGE = 19 };

typedef struct Side {
    PhysMemory mem;
    VirtClock clock;
    RISCVCPU cpu;
    uint8_t *ram;
} Side;

static uint64_t rng_state;

static uint64_t rnd(void)
{
    /* xorshift64*: the same stream on every host */
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545f4914f6cdd1dull;
}

static unsigned rn(unsigned n)
{
    return (unsigned)(rnd() % n);
}

/* ---- the program generator ---- */

static uint32_t r_type(unsigned opc, unsigned f3, unsigned f7, unsigned rd, unsigned rs1,
                       unsigned rs2)
{
    return f7 << 25 | rs2 << 20 | rs1 << 15 | f3 << 12 | rd << 7 | opc;
}

static uint32_t i_type(unsigned opc, unsigned f3, unsigned rd, unsigned rs1, int32_t imm)
{
    return ((uint32_t)imm & 0xfff) << 20 | rs1 << 15 | f3 << 12 | rd << 7 | opc;
}

static uint32_t s_type(unsigned opc, unsigned f3, unsigned rs1, unsigned rs2, int32_t imm)
{
    uint32_t i = (uint32_t)imm & 0xfff;
    return (i >> 5) << 25 | rs2 << 20 | rs1 << 15 | f3 << 12 | (i & 31) << 7 | opc;
}

static uint32_t b_type(unsigned f3, unsigned rs1, unsigned rs2, int32_t off)
{
    uint32_t i = (uint32_t)off;
    return ((i >> 12) & 1) << 31 | ((i >> 5) & 0x3f) << 25 | rs2 << 20 | rs1 << 15 |
           f3 << 12 | ((i >> 1) & 0xf) << 8 | ((i >> 11) & 1) << 7 | 0x63;
}

static uint32_t j_type(unsigned rd, int32_t off)
{
    uint32_t i = (uint32_t)off;
    return ((i >> 20) & 1) << 31 | ((i >> 1) & 0x3ff) << 21 | ((i >> 11) & 1) << 20 |
           ((i >> 12) & 0xff) << 12 | rd << 7 | 0x6f;
}

/* Mostly the working registers; now and then any register, bases included. */
static unsigned reg(void)
{
    static const uint8_t work[] = { 1, 5, 6, 7, 10, 11, 12, 13, 14, 15, 28, 29, 30, 31 };
    return rn(16) ? work[rn(sizeof(work))] : rn(32);
}

static unsigned base_reg(void)
{
    static const uint8_t bases[] = { R_DATA, R_DATA, R_DATA2, R_DATA2, R_CODE, R_EDGE };
    return rn(8) ? bases[rn(sizeof(bases))] : reg();
}

/* Offsets that put accesses next to and across page boundaries. */
static int32_t mem_off(void)
{
    static const int32_t near[] = { -8, -7, -6, -4, -3, -2, -1, 0, 1, 2, 3, 4, 5, 6, 7 };
    switch (rn(4)) {
    case 0:
        return near[rn(sizeof(near) / sizeof(near[0]))];   /* across the boundary */
    case 1:
        return (int32_t)rn(4096) - 2048;
    default:
        return (int32_t)(rn(64) * 8) - 256;                 /* aligned, on the fast path */
    }
}

static uint32_t gen_alu(void)
{
    static const uint8_t f7_op[] = { 0x00, 0x20, 0x01, 0x05, 0x04, 0x10, 0x14, 0x24, 0x30, 0x34 };
    static const uint8_t f7_op32[] = { 0x00, 0x20, 0x01, 0x04, 0x10, 0x30 };
    static const uint8_t f6_imm[] = { 0x00, 0x10, 0x18, 0x0a, 0x12, 0x1a, 0x02 };
    unsigned rd = reg(), rs1 = reg(), rs2 = reg();
    switch (rn(6)) {
    case 0:
        return r_type(0x33, rn(8), f7_op[rn(sizeof(f7_op))], rd, rs1, rs2);
    case 1:
        return r_type(0x3b, rn(8), f7_op32[rn(sizeof(f7_op32))], rd, rs1, rs2);
    case 2: {
        unsigned f3 = rn(8);
        if (f3 == 1 || f3 == 5) {   /* shifts and their B relatives: the top bits matter */
            uint32_t hi = (uint32_t)f6_imm[rn(sizeof(f6_imm))] << 6 | rn(64);
            if (rn(4) == 0) {
                hi = 0x180 | rn(8);     /* clz, ctz, cpop, sext.b/h */
            }
            return hi << 20 | rs1 << 15 | f3 << 12 | rd << 7 | 0x13;
        }
        return i_type(0x13, f3, rd, rs1, (int32_t)rn(4096) - 2048);
    }
    case 3: {
        unsigned f3 = rn(8);
        uint32_t hi = f3 == 1 || f3 == 5 ? ((uint32_t)(rn(2) ? 0x00 : rn(3) ? 0x20 : 0x30) << 5 | rn(32))
                                         : rn(4096);
        return hi << 20 | rs1 << 15 | f3 << 12 | rd << 7 | 0x1b;
    }
    case 4:
        return ((uint32_t)rnd() & 0xfffff000u) | rd << 7 | (rn(2) ? 0x37 : 0x17);
    default:
        return i_type(0x13, 0, rd, rs1, (int32_t)rn(4096) - 2048);   /* addi, li, mv */
    }
}

static uint32_t gen_mem(void)
{
    unsigned f3, base = base_reg();
    int32_t off = mem_off();
    switch (rn(4)) {
    case 0:
    case 1:
        f3 = rn(7);                 /* lb lh lw ld lbu lhu lwu */
        return i_type(0x03, f3, rn(8) ? reg() : 0, base, off);
    case 2:
        return s_type(0x23, rn(4), base, reg(), off);
    default:                        /* FP loads and stores */
        f3 = rn(2) ? 2 : 3;
        return rn(2) ? i_type(0x07, f3, rn(32), base, off) : s_type(0x27, f3, base, rn(32), off);
    }
}

static uint32_t gen_fp(void)
{
    static const uint8_t f5[] = { 0x00, 0x01, 0x02, 0x03, 0x0b, 0x04, 0x05, 0x08, 0x14, 0x18,
                                  0x1a, 0x1c, 0x1e };
    unsigned rd = rn(4) ? rn(8) : reg(), rs1 = rn(2) ? rn(8) : reg(), rs2 = rn(8);
    /* mostly dynamic (what compilers emit), else static, now and then
     * reserved */
    unsigned fmt = rn(2), rm = rn(8) == 0 ? 5 + rn(2) : rn(2) ? 7 : rn(5);
    if (rn(5) == 0) {               /* fused multiply-add */
        return (uint32_t)rn(8) << 27 | fmt << 25 | rs2 << 20 | rs1 << 15 | rm << 12 | rd << 7 |
               (0x43 + 4 * rn(4));
    }
    unsigned f = f5[rn(sizeof(f5))];
    if (f == 0x18 || f == 0x1a) {   /* conversions: rs2 picks the integer type */
        rs2 = rn(4);
    } else if (f == 0x0b || f == 0x1c || f == 0x1e) {
        rs2 = 0;
    } else if (f == 0x08) {
        rs2 = !fmt;
    }
    return r_type(0x53, rm, f << 2 | fmt, rd, rs1, rs2);
}

static uint32_t gen_csr(void)
{
    static const uint16_t csrs[] = {
        CSR_MSCRATCH, CSR_MSCRATCH, CSR_MEPC, CSR_MCAUSE, CSR_MTVAL, CSR_FCSR, CSR_FRM,
        CSR_FFLAGS, CSR_MINSTRET, CSR_MCYCLE, CSR_INSTRET, CSR_CYCLE, CSR_TIME, CSR_MSTATUS,
        CSR_MIE, CSR_MIP, CSR_SSCRATCH, CSR_SATP, 0x7a0 /* tselect */, 0x7a1, 0x7a2,
        0xfff /* none */,
    };
    unsigned csr = csrs[rn(sizeof(csrs) / sizeof(csrs[0]))];
    unsigned f3 = rn(3) + 1 + (rn(2) ? 4 : 0);
    unsigned src = rn(4) ? 0 : reg();         /* mostly reads (rs1 = x0) */
    return (uint32_t)csr << 20 | src << 15 | f3 << 12 | reg() << 7 | 0x73;
}

static uint32_t gen_amo(void)
{
    static const uint8_t f5[] = { 0x00, 0x01, 0x02, 0x03, 0x04, 0x08, 0x0c, 0x10, 0x14, 0x18, 0x1c };
    unsigned f = f5[rn(sizeof(f5))];
    return (uint32_t)f << 27 | rn(4) << 25 | (f == 0x02 ? 0 : reg()) << 20 |
           (rn(4) ? (unsigned)R_DATA : base_reg()) << 15 | (2 + rn(2)) << 12 | reg() << 7 | 0x2f;
}

/* Writes a random program of about n bytes at code. */
static void gen_program(uint8_t *code, unsigned n)
{
    unsigned off = 0;
    while (off + 4 <= n) {
        uint32_t w;
        unsigned k = rn(100);
        if (k < 12) {                /* compressed: any 16-bit pattern that is not 32-bit */
            uint16_t h = (uint16_t)rnd();
            if ((h & 3) == 3) {
                h &= (uint16_t)~1u;
            }
            memcpy(code + off, &h, 2);
            off += 2;
            continue;
        }
        if (k < 45) {
            w = gen_alu();
        } else if (k < 65) {
            w = gen_mem();
        } else if (k < 73) {
            w = b_type(rn(8), reg(), rn(3) ? reg() : 0, (int32_t)(rn(48) * 2) - 32);
        } else if (k < 75) {
            w = j_type(rn(2) ? 1 : 0, (int32_t)(rn(64) * 2) - 32);
        } else if (k < 77) {
            w = i_type(0x67, 0, rn(2) ? 1 : 0, R_CODE, (int32_t)(rn(256) & ~1u));
        } else if (k < 82) {
            w = gen_csr();
        } else if (k < 90) {
            w = gen_fp();
        } else if (k < 94) {
            w = gen_amo();
        } else if (k < 95) {
            static const uint32_t sys[] = { 0x0ff0000f, 0x0000100f, 0x00000073, 0x00100073,
                                            0x30200073, 0x10500073, 0x12000073 };
            w = sys[rn(sizeof(sys) / sizeof(sys[0]))];   /* fence, fence.i, ecall, ebreak, mret, wfi, sfence */
        } else {
            w = (uint32_t)rnd() | 3;  /* anything 32-bit */
        }
        memcpy(code + off, &w, 4);
        off += 4;
    }
}

/* ---- the two harts ---- */

static bool side_init(Side *s, bool jit)
{
    memory_init(&s->mem);
    MemoryRegion *r = memory_add_ram(&s->mem, "ram", RAM_BASE, RAM_SIZE);
    if (!r || !cpu_init(&s->cpu, &s->mem, NULL)) {
        return false;
    }
    s->ram = memory_page_host(&s->mem, RAM_BASE, NULL);
    clock_init(&s->clock, CLOCK_MODE_ICOUNT, 3, cpu_get_icount, &s->cpu);
    s->cpu.clock = &s->clock;
    return !jit || cpu_jit_set(&s->cpu, true, NULL);
}

static void side_destroy(Side *s)
{
    cpu_destroy(&s->cpu);
    memory_destroy(&s->mem);
}

/* A fresh program and state, the same on both sides. */
static void load_program(Side *s, const uint8_t *image, const CPURISCVState *start)
{
    memcpy(s->ram, image, RAM_SIZE);
    memory_ram_written(&s->mem, RAM_BASE, RAM_SIZE);   /* drops stale blocks */
    s->cpu.env = *start;
    cpu_state_changed(&s->cpu);
}

/* A double or a NaN-boxed single: mostly ordinary numbers, so that the
 * JIT's inline arithmetic runs, and the edges its guards must catch: zeros,
 * subnormals, the smallest normals, the largest, infinities, NaNs (quiet,
 * signalling, odd payloads), singles that are not NaN-boxed; and now and then
 * random bits. */
static uint64_t fp_value(void)
{
    static const uint64_t d_edge[] = {
        0, 1ull << 63, 1, 0x000fffffffffffffull, 0x0010000000000000ull, 0x0010000000000001ull,
        0x0020000000000000ull, 0x001fffffffffffffull, 0x7fefffffffffffffull, 0x7fe0000000000000ull,
        0x7ff0000000000000ull, 0xfff0000000000000ull, 0x7ff8000000000000ull, 0x7ff0000000000001ull,
        0xfff8000000000123ull, 0x3ff0000000000000ull, 0xbff0000000000000ull, 0x43e0000000000000ull,
        0xc3e0000000000000ull, 0x41e0000000000000ull, 0xc1e0000000000000ull, 0x3fe0000000000000ull,
    };
    static const uint32_t s_edge[] = {
        0, 0x80000000u, 1, 0x007fffffu, 0x00800000u, 0x00800001u, 0x01000000u, 0x7f7fffffu,
        0x7f800000u, 0xff800000u, 0x7fc00000u, 0x7f800001u, 0x3f800000u, 0xbf800000u,
        0x4f000000u, 0xcf000000u, 0x5f000000u, 0x3f000000u,
    };
    bool dbl = rn(2);
    uint64_t v;
    switch (rn(8)) {
    case 0:
        v = dbl ? d_edge[rn(sizeof(d_edge) / sizeof(d_edge[0]))]
                : s_edge[rn(sizeof(s_edge) / sizeof(s_edge[0]))];
        break;
    case 1:
        v = rnd();                  /* any bits */
        break;
    default:                        /* +-(1 + m) * 2^e, e small */
        if (dbl) {
            v = (rnd() & 0x800fffffffffffffull) | (uint64_t)(1023 - 8 + rn(17)) << 52;
            if (rn(2)) {
                v &= ~0xffffffffull;    /* short mantissas: exact results too */
            }
        } else {
            v = (rnd() & 0x807fffffu) | (uint64_t)(127 - 8 + rn(17)) << 23;
            if (rn(2)) {
                v &= ~0xffffull;
            }
        }
        break;
    }
    if (!dbl) {
        v = (uint32_t)v | (rn(16) ? 0xffffffff00000000ull : (uint64_t)rnd() << 32);
    }
    return v;
}

static void make_start(CPURISCVState *env, const CPURISCVState *reset)
{
    *env = *reset;
    for (unsigned i = 1; i < 32; i++) {
        env->gpr[i] = rn(4) ? rnd() : rnd() % 64;
    }
    for (unsigned i = 0; i < 32; i++) {
        env->fpr[i] = fp_value();
    }
    env->gpr[R_DATA] = DATA_BASE + 0x1000 + 0x1000 * rn(2) + (rn(2) ? 0 : rn(4096));
    env->gpr[R_DATA2] = DATA_BASE + 0x1000 + rn(2);
    env->gpr[R_CODE] = RAM_BASE + rn(CODE_SIZE / 2) * 2;
    env->gpr[R_EDGE] = rn(2) ? RAM_BASE + RAM_SIZE - rn(8) : 0x10000000ull + rn(16);
    env->pc = RAM_BASE;
    env->mtvec = rn(4) ? HANDLER : RAM_BASE + rn(64) * 4;
    /* FP mostly on (Dirty, or Initial/Clean so that the first FP write
     * must make it Dirty), now and then Off */
    env->mstatus |= (uint64_t)(rn(8) == 0 ? 0 : rn(2) ? 3 : 1 + rn(2)) << 13;
    env->mstatus = riscv_mstatus_sd(env->mstatus);
    /* frm mostly RNE; NX (the inline arithmetic's condition) half the time */
    env->fcsr = (uint32_t)(rn(2) ? 0 : rn(8)) << 5 | rn(32) | (rn(2) ? 1 : 0);
}

static void dump(const char *who, const CPURISCVState *e)
{
    printf("  %s: pc=%016" PRIx64 " priv=%u icount=%" PRIu64 " instret=%" PRIu64
           " mcause=%" PRIx64 " mtval=%" PRIx64 " mepc=%" PRIx64 " fcsr=%x\n",
           who, e->pc, e->priv, e->icount, e->instret, e->mcause, e->mtval, e->mepc, e->fcsr);
    for (unsigned i = 0; i < 32; i++) {
        printf("    x%-2u %016" PRIx64 "   f%-2u %016" PRIx64 "\n", i, e->gpr[i], i, e->fpr[i]);
    }
}

static bool same_state(const Side *a, const Side *b)
{
    return memcmp(&a->cpu.env, &b->cpu.env, sizeof(a->cpu.env)) == 0 &&
           memcmp(a->ram, b->ram, DATA_BASE + DATA_SIZE - RAM_BASE) == 0 &&
           memcmp(a->ram + RAM_SIZE - 4096, b->ram + RAM_SIZE - 4096, 4096) == 0;
}

static void test_random_blocks(void)
{
    const char *nb = getenv("JIT_DIFF_BLOCKS"), *sd = getenv("JIT_DIFF_SEED");
    uint64_t blocks = nb ? strtoull(nb, NULL, 0) : 200000;
    uint64_t seed = sd ? strtoull(sd, NULL, 0) : 1;
    if (!cpu_jit_available()) {
        printf("no JIT on this host: nothing to compare\n");
        return;
    }
    Side *in = calloc(1, sizeof(*in)), *jt = calloc(1, sizeof(*jt));
    uint8_t *image = calloc(1, RAM_SIZE);
    CPURISCVState start, reset;
    CU_ASSERT_FATAL(in && jt && image);
    CU_ASSERT_FATAL(side_init(in, false));
    CU_ASSERT_FATAL(side_init(jt, true));
    cpu_reset(&in->cpu, RAM_BASE);
    reset = in->cpu.env;

    uint64_t done = 0, programs = 0, traps = 0, mismatches = 0, insns = 0;
    while (done < blocks && !mismatches) {
        uint64_t pseed = seed * 0x9e3779b97f4a7c15ull + programs + 1;
        rng_state = pseed;
        memset(image, 0, RAM_SIZE);
        gen_program(image, CODE_SIZE);
        for (unsigned i = CODE_SIZE; i < DATA_BASE + DATA_SIZE - RAM_BASE; i++) {
            image[i] = (uint8_t)rnd();
        }
        /* FP loads mostly find numbers */
        for (unsigned i = DATA_BASE - RAM_BASE; i < DATA_BASE + DATA_SIZE - RAM_BASE; i += 8) {
            if (rn(2)) {
                uint64_t v = fp_value();
                memcpy(image + i, &v, 8);
            }
        }
        /* The handler steps over the trapping instruction (4 bytes: after a
         * compressed one it lands wherever that is) and returns. */
        static const uint32_t handler[] = {
            0x341 << 20 | 2 << 12 | 4 << 7 | 0x73,            /* csrr tp, mepc */
            4 << 20 | 4 << 15 | 4 << 7 | 0x13,                /* addi tp, tp, 4 */
            0x341u << 20 | 4 << 15 | 1 << 12 | 0x73,          /* csrw mepc, tp */
            0x30200073,                                       /* mret */
        };
        memcpy(image + (HANDLER - RAM_BASE), handler, sizeof(handler));
        make_start(&start, &reset);
        /* host code at a block's first run, or after a few interpreted
         * ones (then the switch between the back ends is tested too) */
        cpu_jit_threshold(&jt->cpu, rn(2) ? 0 : rn(4));
        load_program(in, image, &start);
        load_program(jt, image, &start);
        programs++;
        for (unsigned k = 0; k < PROG_BLOCKS && done < blocks; k++, done++) {
            uint64_t mc = in->cpu.env.mcause;
            /* Mostly one block; now and then a budget that runs several,
             * so the JIT's patched jumps between blocks run too. */
            uint64_t budget = rn(4) ? 1 : 1 + rn(300);
            CPUExitReason ra = cpu_exec(&in->cpu, budget);
            CPUExitReason rb = cpu_exec(&jt->cpu, budget);
            traps += in->cpu.env.mcause != mc;
            if (ra != rb || !same_state(in, jt)) {
                mismatches++;
                printf("MISMATCH: program seed %#" PRIx64 ", block %u (exit %d / %d)\n",
                       pseed, k, (int)ra, (int)rb);
                dump("interpreter", &in->cpu.env);
                dump("jit", &jt->cpu.env);
                break;
            }
            if (ra == CPU_EXIT_HALTED) {
                break;
            }
        }
        insns += in->cpu.env.instret - start.instret;
    }
    CPUJitInfo ji;
    CU_ASSERT(cpu_jit_info(&jt->cpu, &ji));
    printf("jit-diff: %" PRIu64 " blocks in %" PRIu64 " programs (seed %" PRIu64 "), "
           "%" PRIu64 " instructions, %" PRIu64 " traps, %" PRIu64 " host blocks, %" PRIu64 " exits to the "
           "interpreter, %" PRIu64 " slow/faulting accesses, %" PRIu64 " mismatches\n",
           done, programs, seed, insns, traps, ji.blocks_total,
           ji.exits_to_interpreter, ji.exits_slow, mismatches);
    CU_ASSERT_EQUAL(mismatches, 0);
    CU_ASSERT(ji.blocks_total > 0);
    side_destroy(in);
    side_destroy(jt);
    free(in);
    free(jt);
    free(image);
}

/* F and D at their edges: three FP instructions on f1-f4 / x5-x6 (values
 * from fp_value, rounding modes and flags that steer the JIT's inline code
 * into and out of its fast path, FS Off, Initial, Clean or Dirty), then a
 * tight loop; both back ends run the three from their first entry. */
static void test_fp_edges(void)
{
    const char *nb = getenv("JIT_DIFF_BLOCKS"), *sd = getenv("JIT_DIFF_SEED");
    uint64_t cases = (nb ? strtoull(nb, NULL, 0) : 200000) / 4;
    uint64_t seed = sd ? strtoull(sd, NULL, 0) : 1;
    if (!cpu_jit_available()) {
        printf("no JIT on this host: nothing to compare\n");
        return;
    }
    Side *in = calloc(1, sizeof(*in)), *jt = calloc(1, sizeof(*jt));
    CU_ASSERT_FATAL(in && jt);
    CU_ASSERT_FATAL(side_init(in, false));
    CU_ASSERT_FATAL(side_init(jt, true));
    cpu_reset(&in->cpu, RAM_BASE);
    cpu_jit_threshold(&jt->cpu, 0);
    CPURISCVState reset = in->cpu.env, start;
    /* Cases chance rarely builds: f1 = op(f2, f3), FS and fcsr as given. */
#define FOP(f7, rm) ((uint32_t)(f7) << 25 | 3u << 20 | 2u << 15 | (uint32_t)(rm) << 12 | 1u << 7 | 0x53)
    static const struct { uint32_t insn; uint64_t a, b; unsigned fs; uint32_t fcsr; } fixed[] = {
        /* rounds up to the smallest normal, yet tiny: UF */
        { FOP(0x09, 7), 0x0010000000000000ull, 0x3fefffffffffffffull, 3, 1 },
        { FOP(0x08, 7), 0xffffffff00800000ull, 0xffffffff3f7fffffull, 3, 1 },
        /* min and max of zeros of either sign */
        { FOP(0x15, 0), 0, 1ull << 63, 3, 0 }, { FOP(0x15, 1), 0, 1ull << 63, 3, 0 },
        { FOP(0x15, 0), 1ull << 63, 0, 3, 0 }, { FOP(0x15, 1), 1ull << 63, 0, 3, 0 },
        { FOP(0x14, 0), 0xffffffff00000000ull, 0xffffffff80000000ull, 3, 0 },
        { FOP(0x14, 1), 0xffffffff00000000ull, 0xffffffff80000000ull, 3, 0 },
        /* the first FP write makes FS Dirty */
        { FOP(0x11, 0), 0x3ff0000000000000ull, 0xbff0000000000000ull, 1, 0 },
        { FOP(0x11, 0), 0x3ff0000000000000ull, 0xbff0000000000000ull, 2, 0 },
        { FOP(0x01, 7), 0x3ff0000000000000ull, 0x3ff8000000000000ull, 1, 1 },
        { FOP(0x15, 1), 0x3ff0000000000000ull, 0x3ff8000000000000ull, 2, 0 },
    };
#undef FOP
    uint64_t mismatches = 0;
    rng_state = 0x5eed + seed * 0x9e3779b97f4a7c15ull;
    for (uint64_t n = 0; n < cases + sizeof(fixed) / sizeof(fixed[0]) && !mismatches; n++) {
        uint32_t code[4];
        for (unsigned i = 0; i < 3; i++) {
            /* gen_fp's instructions on a few registers, so that results
             * feed the next instruction */
            uint32_t w = gen_fp(), f5 = w >> 27;
            bool fma = (w & 0x73) == 0x43;
            bool sel = !fma && (f5 == 0x08 || f5 == 0x0b || f5 == 0x18 || f5 == 0x1a ||
                                f5 == 0x1c || f5 == 0x1e);
            w = (w & ~(0x1fu << 7 | 0x1fu << 15)) | (1 + rn(3)) << 7 | (2 + rn(3)) << 15;
            if (!sel) {
                w = (w & ~(0x1fu << 20)) | (2 + rn(3)) << 20;
            }
            if (fma) {
                w = (w & ~(0x1fu << 27)) | (2 + rn(3)) << 27;
            }
            code[i] = w;
        }
        code[3] = 0x0000006f;                               /* j . */
        start = reset;
        for (unsigned i = 1; i < 8; i++) {
            start.fpr[i] = fp_value();
            start.gpr[i] = rn(2) ? rnd() : (uint64_t)(int64_t)(int32_t)rnd() >> rn(40);
        }
        start.pc = RAM_BASE;
        start.mtvec = HANDLER;
        start.mstatus |= (uint64_t)rn(4) << 13;
        start.mstatus = riscv_mstatus_sd(start.mstatus);
        start.fcsr = (uint32_t)(rn(2) ? 0 : rn(8)) << 5 | rn(32) | (rn(4) ? 1 : 0);
        if (n < sizeof(fixed) / sizeof(fixed[0])) {
            code[0] = fixed[n].insn;
            code[1] = code[2] = 0x00000013;                 /* nop */
            start.fpr[2] = fixed[n].a;
            start.fpr[3] = fixed[n].b;
            start.mstatus = riscv_mstatus_sd((start.mstatus & ~MSTATUS_FS) |
                                             (uint64_t)fixed[n].fs << 13);
            start.fcsr = fixed[n].fcsr;
        }
        Side *sides[2] = { in, jt };
        for (unsigned k = 0; k < 2; k++) {
            memcpy(sides[k]->ram, code, sizeof(code));
            memory_ram_written(&sides[k]->mem, RAM_BASE, sizeof(code));
            sides[k]->cpu.env = start;
            cpu_state_changed(&sides[k]->cpu);
        }
        CPUExitReason ra = cpu_exec(&in->cpu, 3);
        CPUExitReason rb = cpu_exec(&jt->cpu, 3);
        if (ra != rb || memcmp(&in->cpu.env, &jt->cpu.env, sizeof(in->cpu.env)) != 0) {
            mismatches++;
            printf("MISMATCH: case %" PRIu64 ": %08x %08x %08x\n", n, code[0], code[1], code[2]);
            dump("start", &start);
            dump("interpreter", &in->cpu.env);
            dump("jit", &jt->cpu.env);
        }
    }
    printf("fp edges: %" PRIu64 " cases, %" PRIu64 " mismatches\n", cases, mismatches);
    CU_ASSERT_EQUAL(mismatches, 0);
    side_destroy(in);
    side_destroy(jt);
    free(in);
    free(jt);
}

int main(void)
{
    static const UnitTest tests[] = {
        { "random blocks: JIT = interpreter", test_random_blocks },
        { "F and D edges: JIT = interpreter", test_fp_edges },
        { NULL, NULL },
    };
    return unit_run("jit-diff", tests);
}

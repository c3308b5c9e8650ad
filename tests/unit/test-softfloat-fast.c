/* The soft-float's host-arithmetic fast path (target/riscv/softfloat-fast.c)
 * against the integer reference: for every operation it takes, the same
 * bits and the same flags, over random operands that sweep every exponent
 * (the edges of its margin included), operands built to give exact results,
 * near-cancellations, and products and quotients that land on the range's
 * ends. The operations it declines must still reach the reference through
 * the public entry points. A seeded generator: the same run every time. */
#include <string.h>

#include "target/riscv/softfloat-internal.h"
#include "tests/unit/unit.h"

#define ROUNDS 200000

typedef struct Rng {
    uint64_t s;
} Rng;

static uint64_t rng_next(Rng *r)
{
    /* splitmix64 */
    uint64_t z = (r->s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* An operand of format fmt: any bits, an exponent near an edge of the fast
 * path's margin or of the range, a short significand (exact results), or a
 * neighbour of `near` (cancellation, quotients near 1). */
static uint64_t gen(Rng *r, int fmt, uint64_t near)
{
    uint64_t v = rng_next(r);
    unsigned kind = (unsigned)(v >> 60);
    unsigned mb = fmt == SF_D ? 52 : 23, eb = fmt == SF_D ? 11 : 8;
    uint64_t emax = (1ull << eb) - 1, mmask = (1ull << mb) - 1;
    uint64_t sign = (rng_next(r) & 1) << (mb + eb);
    uint64_t frac = rng_next(r) & mmask;
    uint64_t e;
    static const int edges_d[] = { 0, 1, 2, 99, 100, 101, 102, 500, 1023, 1500,
                                   1945, 1946, 1947, 1948, 2045, 2046, 2047 };
    static const int edges_s[] = { 0, 1, 2, 9, 10, 11, 12, 60, 127, 200,
                                   243, 244, 245, 246, 253, 254, 255 };

    switch (kind) {
    case 0: case 1: case 2:              /* anything */
        return fmt == SF_D ? v : (v & 0xffffffffu);
    case 3: case 4: {                    /* an edge exponent, +-3 */
        int n = (int)(sizeof edges_d / sizeof edges_d[0]);
        int i = (int)(rng_next(r) % (uint64_t)n);
        int64_t x = (fmt == SF_D ? edges_d[i] : edges_s[i]) + (int64_t)(rng_next(r) % 7) - 3;
        e = x < 0 ? 0 : (uint64_t)x > emax ? emax : (uint64_t)x;
        break;
    }
    case 5: case 6: case 7:              /* short significand: exact results */
        frac &= ~(mmask >> (rng_next(r) % 6 + 1));
        e = (emax >> 1) + rng_next(r) % 40 - 20;
        break;
    case 8: case 9:                      /* next to `near`, either sign */
        if (near) {
            uint64_t d = rng_next(r) % 5;
            uint64_t m = near ^ ((rng_next(r) & 1) << (mb + eb));
            return (rng_next(r) & 1) ? m + d : m - d;
        }
        /* fall through */
    default:                             /* ordinary magnitudes */
        e = (emax >> 1) + rng_next(r) % 200 - 100;
        break;
    }
    return sign | e << mb | frac;
}

typedef enum FastOp { F_ADD, F_SUB, F_MUL, F_DIV, F_SQRT, F_FMA } FastOp;

/* One operation three ways: the public entry point, the fast path, the
 * reference. The public one must equal the reference always; the fast
 * path, whenever it takes the operation. Returns whether it took it. */
static bool one(FastOp op, int fmt, uint64_t a, uint64_t b, uint64_t c, unsigned in,
                bool np, bool nc, unsigned *bad)
{
    unsigned f_ref = in, f_pub = in, f_fast = in;
    uint64_t ref, pub, fast = 0;
    bool took;

    switch (op) {
    case F_ADD:
        ref = sf_soft_add(fmt, a, b, SF_RNE, &f_ref);
        pub = sf_add(fmt, a, b, SF_RNE, &f_pub);
        took = sf_fast_addsub(fmt, a, b, false, &fast, &f_fast);
        break;
    case F_SUB:
        ref = sf_soft_sub(fmt, a, b, SF_RNE, &f_ref);
        pub = sf_sub(fmt, a, b, SF_RNE, &f_pub);
        took = sf_fast_addsub(fmt, a, b, true, &fast, &f_fast);
        break;
    case F_MUL:
        ref = sf_soft_mul(fmt, a, b, SF_RNE, &f_ref);
        pub = sf_mul(fmt, a, b, SF_RNE, &f_pub);
        took = sf_fast_mul(fmt, a, b, &fast, &f_fast);
        break;
    case F_DIV:
        ref = sf_soft_div(fmt, a, b, SF_RNE, &f_ref);
        pub = sf_div(fmt, a, b, SF_RNE, &f_pub);
        took = sf_fast_div(fmt, a, b, &fast, &f_fast);
        break;
    case F_SQRT:
        ref = sf_soft_sqrt(fmt, a, SF_RNE, &f_ref);
        pub = sf_sqrt(fmt, a, SF_RNE, &f_pub);
        took = sf_fast_sqrt(fmt, a, &fast, &f_fast);
        break;
    default:
        ref = sf_soft_fma(fmt, a, b, c, np, nc, SF_RNE, &f_ref);
        pub = sf_fma(fmt, a, b, c, np, nc, SF_RNE, &f_pub);
        took = sf_fast_fma(fmt, a, b, c, np, nc, &fast, &f_fast);
        break;
    }
    if (pub != ref || f_pub != f_ref || (took && (fast != ref || f_fast != f_ref)) ||
        (!took && f_fast != in)) {
        if ((*bad)++ < 5) {
            fprintf(stderr, "op %d fmt %d a %016llx b %016llx c %016llx in %x: ref %016llx/%x "
                    "public %016llx/%x fast(%d) %016llx/%x\n", (int)op, fmt,
                    (unsigned long long)a, (unsigned long long)b, (unsigned long long)c, in,
                    (unsigned long long)ref, f_ref, (unsigned long long)pub, f_pub, (int)took,
                    (unsigned long long)fast, f_fast);
        }
    }
    return took;
}

static void sweep(FastOp op, uint64_t seed)
{
    for (int fmt = SF_S; fmt <= SF_D; fmt++) {
        Rng r = { seed * 2 + (uint64_t)fmt };
        unsigned bad = 0, taken = 0;
        for (int i = 0; i < ROUNDS; i++) {
            uint64_t a = gen(&r, fmt, 0);
            uint64_t b = gen(&r, fmt, op == F_DIV ? a : a);
            uint64_t c = gen(&r, fmt, 0);
            if (op == F_FMA && (rng_next(&r) & 1)) {
                /* c near -a*b: cancellation in the fused sum */
                unsigned f = 0;
                c = sf_soft_mul(fmt, a, b, SF_RNE, &f) ^ (fmt == SF_D ? 1ull << 63 : 1ull << 31);
                c += rng_next(&r) % 3;
            }
            unsigned in = (unsigned)(rng_next(&r) & 1) * SF_NX;
            uint64_t v = rng_next(&r);
            taken += one(op, fmt, a, b, c, in, v & 1, (v >> 1) & 1, &bad);
        }
        CU_ASSERT_EQUAL(bad, 0);
        /* The sweep must exercise the fast path, not only the fallback. */
        CU_ASSERT(taken > ROUNDS / 10);
        if (bad || taken <= ROUNDS / 10) {
            fprintf(stderr, "op %d fmt %d: %u mismatches, fast path took %u of %d\n", (int)op,
                    fmt, bad, taken, ROUNDS);
        }
    }
}

static void test_add(void) { sweep(F_ADD, 1); }
static void test_sub(void) { sweep(F_SUB, 2); }
static void test_mul(void) { sweep(F_MUL, 3); }
static void test_div(void) { sweep(F_DIV, 4); }
static void test_sqrt(void) { sweep(F_SQRT, 5); }
static void test_fma(void) { sweep(F_FMA, 6); }

/* Cases picked by hand: exact and inexact results, the declines. */
static void test_cases(void)
{
    unsigned bad = 0;
    const uint64_t one_d = 0x3ff0000000000000ull, three_d = 0x4008000000000000ull;
    CU_ASSERT(one(F_ADD, SF_D, one_d, one_d, 0, 0, 0, 0, &bad));     /* 2: exact */
    CU_ASSERT(one(F_DIV, SF_D, one_d, three_d, 0, 0, 0, 0, &bad));   /* 1/3: NX */
    CU_ASSERT(one(F_SUB, SF_D, one_d, one_d, 0, 0, 0, 0, &bad));     /* +0 */
    CU_ASSERT(one(F_SQRT, SF_D, 0x4010000000000000ull, 0, 0, 0, 0, 0, &bad));  /* 2 */
    CU_ASSERT(!one(F_SQRT, SF_D, 0xbff0000000000000ull, 0, 0, 0, 0, 0, &bad)); /* NV */
    CU_ASSERT(!one(F_ADD, SF_D, 0x7ff0000000000000ull, one_d, 0, 0, 0, 0, &bad));
    CU_ASSERT(!one(F_MUL, SF_D, 0x0010000000000000ull, 0x3fe0000000000000ull, 0, 0, 0, 0, &bad));
    CU_ASSERT(!one(F_FMA, SF_D, one_d, one_d, one_d, 0, 0, 0, &bad));   /* NX clear */
    CU_ASSERT(one(F_FMA, SF_D, one_d, one_d, one_d, SF_NX, 0, 0, &bad));
    CU_ASSERT(one(F_MUL, SF_S, 0x3f800000ull, 0x40400000ull, 0, 0, 0, 0, &bad));
    CU_ASSERT(one(F_DIV, SF_S, 0x3f800000ull, 0x40400000ull, 0, 0, 0, 0, &bad));
    CU_ASSERT_EQUAL(bad, 0);
}

static const UnitTest tests[] = {
    { "hand-picked cases", test_cases },
    { "add: fast path equals the reference", test_add },
    { "sub: fast path equals the reference", test_sub },
    { "mul: fast path equals the reference", test_mul },
    { "div: fast path equals the reference", test_div },
    { "sqrt: fast path equals the reference", test_sqrt },
    { "fma: fast path equals the reference", test_fma },
    { NULL, NULL },
};

int main(void)
{
    return unit_run("softfloat-fast", tests);
}

/* The soft-float (target/riscv/softfloat-*.c): the five rounding modes,
 * every exception flag, NaN propagation to the canonical NaN, subnormals and
 * tininess after rounding, fcvt boundaries and saturation, fused
 * multiply-add with one rounding, fmin/fmax, compares and fclass. Expected
 * values are IEEE 754 results (checked against qemu-system-riscv64 where a
 * guest could reach them). */
#include "target/riscv/softfloat.h"
#include "tests/unit/unit.h"

#define ONE_D   0x3ff0000000000000ull
#define TWO_D   0x4000000000000000ull
#define THREE_D 0x4008000000000000ull
#define INF_D   0x7ff0000000000000ull
#define NINF_D  0xfff0000000000000ull
#define SNAN_D  0x7ff0000000000001ull
#define NZERO_D 0x8000000000000000ull
#define MAX_D   0x7fefffffffffffffull
#define MINN_D  0x0010000000000000ull   /* smallest normal */
#define HALF_D  0x3fe0000000000000ull
#define ONE_S   0x3f800000ull
#define SNAN_S  0x7f800001ull

/* result and flags of one operation, from clear flags */
#define CHECK(expr, val, fl) do { \
        unsigned flags = 0; \
        (void)flags; \
        uint64_t r_ = (expr); \
        CU_ASSERT_EQUAL(r_, (uint64_t)(val)); \
        CU_ASSERT_EQUAL(flags, (unsigned)(fl)); \
    } while (0)

static void test_rounding_modes(void)
{
    static const uint64_t third[5] = {
        0x3fd5555555555555ull, 0x3fd5555555555555ull, 0x3fd5555555555555ull,
        0x3fd5555555555556ull, 0x3fd5555555555555ull,
    };
    static const uint64_t mthird[5] = {
        0xbfd5555555555555ull, 0xbfd5555555555555ull, 0xbfd5555555555556ull,
        0xbfd5555555555555ull, 0xbfd5555555555555ull,
    };
    /* 2^24 + 1 is a tie between 2^24 and 2^24 + 2 in binary32 */
    static const uint64_t tie[5] = { 0x4b800000, 0x4b800000, 0x4b800000, 0x4b800001, 0x4b800001 };
    static const uint64_t mtie[5] = { 0xcb800000, 0xcb800000, 0xcb800001, 0xcb800000, 0xcb800001 };
    for (int rm = SF_RNE; rm <= SF_RMM; rm++) {
        CHECK(sf_div(SF_D, ONE_D, THREE_D, rm, &flags), third[rm], SF_NX);
        CHECK(sf_div(SF_D, ONE_D | NZERO_D, THREE_D, rm, &flags), mthird[rm], SF_NX);
        CHECK(sf_from_int(SF_S, (1 << 24) + 1, 32, false, rm, &flags), tie[rm], SF_NX);
        CHECK(sf_from_int(SF_S, (uint64_t)-((1 << 24) + 1), 64, false, rm, &flags), mtie[rm],
              SF_NX);
        CHECK(sf_add(SF_D, ONE_D, TWO_D, rm, &flags), THREE_D, 0);    /* exact: no flags */
    }
    /* x - x is +0, except -0 rounding down */
    CHECK(sf_sub(SF_D, ONE_D, ONE_D, SF_RNE, &flags), 0, 0);
    CHECK(sf_sub(SF_D, ONE_D, ONE_D, SF_RDN, &flags), NZERO_D, 0);
    CHECK(sf_add(SF_D, 0, NZERO_D, SF_RNE, &flags), 0, 0);
    CHECK(sf_add(SF_D, 0, NZERO_D, SF_RDN, &flags), NZERO_D, 0);
    CHECK(sf_add(SF_D, NZERO_D, NZERO_D, SF_RNE, &flags), NZERO_D, 0);
}

static void test_flags(void)
{
    CHECK(sf_div(SF_D, ONE_D, 0, SF_RNE, &flags), INF_D, SF_DZ);
    CHECK(sf_div(SF_D, ONE_D, NZERO_D, SF_RNE, &flags), NINF_D, SF_DZ);
    CHECK(sf_div(SF_D, 0, 0, SF_RNE, &flags), SF_QNAN_D, SF_NV);
    CHECK(sf_div(SF_D, INF_D, INF_D, SF_RNE, &flags), SF_QNAN_D, SF_NV);
    CHECK(sf_mul(SF_D, INF_D, 0, SF_RNE, &flags), SF_QNAN_D, SF_NV);
    CHECK(sf_add(SF_D, INF_D, NINF_D, SF_RNE, &flags), SF_QNAN_D, SF_NV);
    CHECK(sf_sqrt(SF_D, 0xbff0000000000000ull, SF_RNE, &flags), SF_QNAN_D, SF_NV);
    CHECK(sf_sqrt(SF_D, NZERO_D, SF_RNE, &flags), NZERO_D, 0);
    CHECK(sf_sqrt(SF_D, 0x4010000000000000ull, SF_RNE, &flags), TWO_D, 0);
    CHECK(sf_sqrt(SF_D, TWO_D, SF_RNE, &flags), 0x3ff6a09e667f3bcdull, SF_NX);
    /* overflow: to infinity or the largest finite value by mode and sign */
    CHECK(sf_mul(SF_D, MAX_D, TWO_D, SF_RNE, &flags), INF_D, SF_OF | SF_NX);
    CHECK(sf_mul(SF_D, MAX_D, TWO_D, SF_RTZ, &flags), MAX_D, SF_OF | SF_NX);
    CHECK(sf_mul(SF_D, MAX_D, TWO_D, SF_RDN, &flags), MAX_D, SF_OF | SF_NX);
    CHECK(sf_mul(SF_D, MAX_D | NZERO_D, TWO_D, SF_RDN, &flags), NINF_D, SF_OF | SF_NX);
    CHECK(sf_mul(SF_D, MAX_D | NZERO_D, TWO_D, SF_RUP, &flags), MAX_D | NZERO_D, SF_OF | SF_NX);
    CHECK(sf_add(SF_S, 0x7f7fffff, 0x7f7fffff, SF_RMM, &flags), 0x7f800000, SF_OF | SF_NX);
    /* rounding up into overflow: MAX + half an ulp */
    CHECK(sf_add(SF_D, MAX_D, 0x7c90000000000000ull, SF_RNE, &flags), INF_D, SF_OF | SF_NX);
    CHECK(sf_add(SF_D, MAX_D, 0x7c8fffffffffffffull, SF_RNE, &flags), MAX_D, SF_NX);
}

static void test_subnormals(void)
{
    /* exact subnormal results raise nothing */
    CHECK(sf_mul(SF_D, MINN_D, HALF_D, SF_RNE, &flags), 0x0008000000000000ull, 0);
    CHECK(sf_add(SF_D, 1, 1, SF_RNE, &flags), 2, 0);
    CHECK(sf_sub(SF_D, MINN_D, 1, SF_RNE, &flags), 0x000fffffffffffffull, 0);
    /* the smallest subnormal halved: a tie, to even (0) or away */
    CHECK(sf_mul(SF_D, 1, HALF_D, SF_RNE, &flags), 0, SF_UF | SF_NX);
    CHECK(sf_mul(SF_D, 1, HALF_D, SF_RMM, &flags), 1, SF_UF | SF_NX);
    CHECK(sf_mul(SF_D, 1, HALF_D, SF_RUP, &flags), 1, SF_UF | SF_NX);
    CHECK(sf_mul(SF_D, 1 | NZERO_D, HALF_D, SF_RUP, &flags), NZERO_D, SF_UF | SF_NX);
    /* tininess after rounding: 2^-126 - 2^-151 rounds to 2^-126 with an
     * unbounded exponent too: inexact but not tiny */
    CHECK(sf_convert(SF_S, SF_D, 0x380ffffff0000000ull, SF_RNE, &flags), 0x00800000, SF_NX);
    CHECK(sf_convert(SF_S, SF_D, 0x380ffffff0000000ull, SF_RTZ, &flags), 0x007fffff,
          SF_UF | SF_NX);
    /* 2^-126 - 2^-150 is representable with 24 bits: tiny, then rounds up */
    CHECK(sf_convert(SF_S, SF_D, 0x380fffffe0000000ull, SF_RNE, &flags), 0x00800000,
          SF_UF | SF_NX);
    /* subnormal inputs are normalized */
    CHECK(sf_sqrt(SF_D, 1, SF_RNE, &flags), 0x1e60000000000000ull, 0);     /* 2^-537 */
    CHECK(sf_convert(SF_D, SF_S, 1, SF_RNE, &flags), 0x36a0000000000000ull, 0); /* 2^-149 */
    CHECK(sf_div(SF_S, 1, 0x40000000, SF_RNE, &flags), 0, SF_UF | SF_NX);
    CHECK(sf_mul(SF_S, 0x00400000, 0x40000000, SF_RNE, &flags), 0x00800000, 0);
}

static void test_nans(void)
{
    CHECK(sf_add(SF_D, SNAN_D, ONE_D, SF_RNE, &flags), SF_QNAN_D, SF_NV);
    CHECK(sf_add(SF_D, 0xfff8000000000123ull, ONE_D, SF_RNE, &flags), SF_QNAN_D, 0);
    CHECK(sf_mul(SF_S, 0xffc00001, ONE_S, SF_RNE, &flags), SF_QNAN_S, 0);
    CHECK(sf_div(SF_S, ONE_S, SNAN_S, SF_RNE, &flags), SF_QNAN_S, SF_NV);
    CHECK(sf_sqrt(SF_D, SNAN_D, SF_RNE, &flags), SF_QNAN_D, SF_NV);
    CHECK(sf_convert(SF_D, SF_S, SNAN_S, SF_RNE, &flags), SF_QNAN_D, SF_NV);
    CHECK(sf_convert(SF_S, SF_D, 0x7ff8000000000001ull, SF_RNE, &flags), SF_QNAN_S, 0);
    CHECK(sf_fma(SF_D, ONE_D, ONE_D, SNAN_D, false, false, SF_RNE, &flags), SF_QNAN_D, SF_NV);
    /* inf * 0 is invalid even with a quiet NaN addend */
    CHECK(sf_fma(SF_D, INF_D, 0, SF_QNAN_D, false, false, SF_RNE, &flags), SF_QNAN_D, SF_NV);
    CHECK(sf_fma(SF_D, ONE_D, 0, SF_QNAN_D, false, false, SF_RNE, &flags), SF_QNAN_D, 0);
}

static void test_fma(void)
{
    /* (1 + 2^-30)(1 - 2^-30) - 1 = -2^-60 fused; mul then add gives 0 */
    uint64_t a = 0x3ff0000000400000ull, b = 0x3fefffffff800000ull, m1 = 0xbff0000000000000ull;
    CHECK(sf_fma(SF_D, a, b, m1, false, false, SF_RNE, &flags), 0xbc30000000000000ull, 0);
    unsigned fl = 0;
    uint64_t p = sf_mul(SF_D, a, b, SF_RNE, &fl);
    CU_ASSERT_EQUAL(sf_add(SF_D, p, m1, SF_RNE, &fl), 0);
    /* the four sign variants */
    CHECK(sf_fma(SF_D, TWO_D, TWO_D, ONE_D, false, true, SF_RNE, &flags), THREE_D, 0);
    CHECK(sf_fma(SF_D, TWO_D, TWO_D, ONE_D, true, false, SF_RNE, &flags), 0xc008000000000000ull, 0);
    CHECK(sf_fma(SF_D, TWO_D, TWO_D, ONE_D, true, true, SF_RNE, &flags), 0xc014000000000000ull, 0);
    /* one rounding of a sticky tail: 1 * 1 + 2^-80 rounds up only in RUP */
    CHECK(sf_fma(SF_D, ONE_D, ONE_D, 0x3af0000000000000ull, false, false, SF_RNE, &flags),
          ONE_D, SF_NX);
    CHECK(sf_fma(SF_D, ONE_D, ONE_D, 0x3af0000000000000ull, false, false, SF_RUP, &flags),
          ONE_D + 1, SF_NX);
    /* exact cancellation: sign by the mode; zero product plus zero */
    CHECK(sf_fma(SF_D, ONE_D, ONE_D, m1, false, false, SF_RNE, &flags), 0, 0);
    CHECK(sf_fma(SF_D, ONE_D, ONE_D, m1, false, false, SF_RDN, &flags), NZERO_D, 0);
    CHECK(sf_fma(SF_D, 0, ONE_D, NZERO_D, false, false, SF_RNE, &flags), 0, 0);
    CHECK(sf_fma(SF_D, NZERO_D, ONE_D, NZERO_D, false, false, SF_RNE, &flags), NZERO_D, 0);
    CHECK(sf_fma(SF_D, INF_D, ONE_D, NINF_D, false, false, SF_RNE, &flags), SF_QNAN_D, SF_NV);
    /* a tiny product under a large addend, and overflow */
    CHECK(sf_fma(SF_D, 1, 1, ONE_D, false, false, SF_RNE, &flags), ONE_D, SF_NX);
    CHECK(sf_fma(SF_D, MAX_D, TWO_D, m1, false, false, SF_RNE, &flags), INF_D, SF_OF | SF_NX);
    CHECK(sf_fma(SF_S, 0x40000000, 0x40400000, ONE_S, false, false, SF_RNE, &flags),
          0x40e00000, 0);
}

static void test_to_int(void)
{
    /* signed 32: the edges, rounding across them, saturation */
    CHECK(sf_to_int(SF_D, 0x41dfffffffc00000ull, 32, false, SF_RNE, &flags), 0x7fffffff, 0);
    CHECK(sf_to_int(SF_D, 0x41dfffffffe00000ull, 32, false, SF_RTZ, &flags), 0x7fffffff, SF_NX);
    CHECK(sf_to_int(SF_D, 0x41dfffffffe00000ull, 32, false, SF_RNE, &flags), 0x7fffffff, SF_NV);
    CHECK(sf_to_int(SF_D, 0xc1e0000000100000ull, 32, false, SF_RTZ, &flags),
          0xffffffff80000000ull, SF_NX);
    CHECK(sf_to_int(SF_D, 0xc1e0000000180000ull, 32, false, SF_RNE, &flags),
          0xffffffff80000000ull, SF_NV);
    CHECK(sf_to_int(SF_D, SF_QNAN_D, 32, false, SF_RNE, &flags), 0x7fffffff, SF_NV);
    CHECK(sf_to_int(SF_D, NINF_D, 32, false, SF_RNE, &flags), 0xffffffff80000000ull, SF_NV);
    CHECK(sf_to_int(SF_D, 0xc004000000000000ull, 32, false, SF_RMM, &flags), (uint64_t)-3, SF_NX);
    /* unsigned 32: results sign-extended; negatives below -0.5 are invalid */
    CHECK(sf_to_int(SF_D, 0x41efffffffe00000ull, 32, true, SF_RNE, &flags), ~0ull, 0);
    CHECK(sf_to_int(SF_D, 0x41effffffff00000ull, 32, true, SF_RTZ, &flags), ~0ull, SF_NX);
    CHECK(sf_to_int(SF_D, 0x41effffffff00000ull, 32, true, SF_RNE, &flags), ~0ull, SF_NV);
    CHECK(sf_to_int(SF_D, NZERO_D, 32, true, SF_RNE, &flags), 0, 0);
    CHECK(sf_to_int(SF_D, 0xbfd999999999999aull, 32, true, SF_RNE, &flags), 0, SF_NX); /* -0.4 */
    CHECK(sf_to_int(SF_D, 0xbfe3333333333333ull, 32, true, SF_RNE, &flags), 0, SF_NV); /* -0.6 */
    CHECK(sf_to_int(SF_D, INF_D, 32, true, SF_RNE, &flags), ~0ull, SF_NV);
    CHECK(sf_to_int(SF_D, NINF_D, 32, true, SF_RNE, &flags), 0, SF_NV);
    CHECK(sf_to_int(SF_D, SNAN_D, 32, true, SF_RNE, &flags), ~0ull, SF_NV);
    /* 64-bit */
    CHECK(sf_to_int(SF_D, 0x43dfffffffffffffull, 64, false, SF_RNE, &flags),
          0x7ffffffffffffc00ull, 0);
    CHECK(sf_to_int(SF_D, 0x43e0000000000000ull, 64, false, SF_RNE, &flags),
          0x7fffffffffffffffull, SF_NV);
    CHECK(sf_to_int(SF_D, 0xc3e0000000000000ull, 64, false, SF_RNE, &flags),
          0x8000000000000000ull, 0);
    CHECK(sf_to_int(SF_D, 0xc3e0000000000001ull, 64, false, SF_RNE, &flags),
          0x8000000000000000ull, SF_NV);
    CHECK(sf_to_int(SF_D, 0x43efffffffffffffull, 64, true, SF_RNE, &flags),
          0xfffffffffffff800ull, 0);
    CHECK(sf_to_int(SF_D, 0x43f0000000000000ull, 64, true, SF_RNE, &flags), ~0ull, SF_NV);
    CHECK(sf_to_int(SF_D, SF_QNAN_D, 64, false, SF_RNE, &flags), 0x7fffffffffffffffull, SF_NV);
    CHECK(sf_to_int(SF_S, 0x3fc00000, 64, false, SF_RNE, &flags), 2, SF_NX);
    CHECK(sf_to_int(SF_S, 1, 64, false, SF_RUP, &flags), 1, SF_NX);    /* tiny, up */
    CHECK(sf_to_int(SF_S, 1, 64, false, SF_RNE, &flags), 0, SF_NX);
}

static void test_from_int_and_convert(void)
{
    CHECK(sf_from_int(SF_D, 0x8000000000000000ull, 64, false, SF_RNE, &flags),
          0xc3e0000000000000ull, 0);
    CHECK(sf_from_int(SF_D, ~0ull, 64, true, SF_RNE, &flags), 0x43f0000000000000ull, SF_NX);
    CHECK(sf_from_int(SF_D, ~0ull, 64, true, SF_RTZ, &flags), 0x43efffffffffffffull, SF_NX);
    CHECK(sf_from_int(SF_D, 0xffffffffull, 32, false, SF_RNE, &flags), 0xbff0000000000000ull, 0);
    CHECK(sf_from_int(SF_D, 0xffffffffull, 32, true, SF_RNE, &flags), 0x41efffffffe00000ull, 0);
    CHECK(sf_from_int(SF_D, 0, 64, false, SF_RDN, &flags), 0, 0);    /* +0 in every mode */
    CHECK(sf_from_int(SF_S, 0x7fffffff, 32, false, SF_RNE, &flags), 0x4f000000, SF_NX);
    CHECK(sf_convert(SF_S, SF_D, 0x3fb999999999999aull, SF_RNE, &flags), 0x3dcccccd, SF_NX);
    CHECK(sf_convert(SF_S, SF_D, 0x47f0000000000000ull, SF_RNE, &flags), 0x7f800000,
          SF_OF | SF_NX);
    CHECK(sf_convert(SF_S, SF_D, 0x47f0000000000000ull, SF_RTZ, &flags), 0x7f7fffff,
          SF_OF | SF_NX);
    CHECK(sf_convert(SF_D, SF_S, 0xff800000, SF_RNE, &flags), NINF_D, 0);
    CHECK(sf_convert(SF_D, SF_S, 0x80000000, SF_RNE, &flags), NZERO_D, 0);
}

static void test_minmax_compare_class(void)
{
    CHECK(sf_min(SF_D, 0, NZERO_D, &flags), NZERO_D, 0);
    CHECK(sf_min(SF_D, NZERO_D, 0, &flags), NZERO_D, 0);
    CHECK(sf_max(SF_D, NZERO_D, 0, &flags), 0, 0);
    CHECK(sf_max(SF_D, 0, NZERO_D, &flags), 0, 0);
    CHECK(sf_min(SF_D, SF_QNAN_D, ONE_D, &flags), ONE_D, 0);
    CHECK(sf_max(SF_D, ONE_D, SNAN_D, &flags), ONE_D, SF_NV);
    CHECK(sf_min(SF_D, 0x7ff8000000000042ull, SF_QNAN_D, &flags), SF_QNAN_D, 0);
    CHECK(sf_max(SF_S, 0xbf800000, 0xc0000000, &flags), 0xbf800000, 0);
    CHECK(sf_eq(SF_D, SF_QNAN_D, SF_QNAN_D, &flags), 0, 0);
    CHECK(sf_eq(SF_D, SNAN_D, ONE_D, &flags), 0, SF_NV);
    CHECK(sf_lt(SF_D, SF_QNAN_D, ONE_D, &flags), 0, SF_NV);
    CHECK(sf_le(SF_D, ONE_D, SF_QNAN_D, &flags), 0, SF_NV);
    CHECK(sf_eq(SF_D, NZERO_D, 0, &flags), 1, 0);
    CHECK(sf_lt(SF_D, NZERO_D, 0, &flags), 0, 0);
    CHECK(sf_le(SF_D, 0, NZERO_D, &flags), 1, 0);
    CHECK(sf_lt(SF_D, 0xc000000000000000ull, 0xbff0000000000000ull, &flags), 1, 0);
    CHECK(sf_le(SF_D, NINF_D, NINF_D, &flags), 1, 0);
    CHECK(sf_lt(SF_S, 1, 2, &flags), 1, 0);
    static const struct { int fmt; uint64_t v; unsigned cls; } c[] = {
        { SF_D, NINF_D, 1u << 0 }, { SF_D, 0xbff0000000000000ull, 1u << 1 },
        { SF_D, 0x8000000000000001ull, 1u << 2 }, { SF_D, NZERO_D, 1u << 3 },
        { SF_D, 0, 1u << 4 }, { SF_D, 0x000fffffffffffffull, 1u << 5 },
        { SF_D, MINN_D, 1u << 6 }, { SF_D, INF_D, 1u << 7 }, { SF_D, SNAN_D, 1u << 8 },
        { SF_D, SF_QNAN_D, 1u << 9 }, { SF_S, 0x007fffff, 1u << 5 },
        { SF_S, SNAN_S, 1u << 8 }, { SF_S, 0xffc00000, 1u << 9 }, { SF_S, 0xff800000, 1u << 0 },
    };
    for (unsigned i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
        CU_ASSERT_EQUAL(sf_class(c[i].fmt, c[i].v), c[i].cls);
    }
}

static const UnitTest tests[] = {
    { "rounding modes", test_rounding_modes },
    { "exception flags and overflow", test_flags },
    { "subnormals and tininess after rounding", test_subnormals },
    { "NaNs become the canonical NaN", test_nans },
    { "fused multiply-add rounds once", test_fma },
    { "float to integer: edges and saturation", test_to_int },
    { "integer to float, between formats", test_from_int_and_convert },
    { "fmin/fmax, compares, fclass", test_minmax_compare_class },
    { NULL, NULL },
};

int main(void)
{
    return unit_run("softfloat", tests);
}

/* Add, subtract, multiply, divide and square root. Each computes an exact
 * result, or one whose lost low bits are jammed into a sticky bit far below
 * the rounding position, and rounds it once in sf_round_pack128. */
#include "target/riscv/softfloat-internal.h"

/* A finite operand rounded back into its format: exact, no flags. */
static uint64_t sf_repack(const SFFormat *f, const SFUnpacked *u, bool sign)
{
    unsigned none = 0;
    return sf_round_pack(f, sign, u->exp, u->sig, SF_RNE, &none);
}

/* x + y for finite nonzero x and y (signs included), exactly rounded. */
static uint64_t sf_add_finite(const SFFormat *f, SFUnpacked x, SFUnpacked y, int rm, unsigned *flags)
{
    if (x.exp < y.exp) {
        SFUnpacked t = x;
        x = y;
        y = t;
    }
    /* 64 zero bits below each significand: alignment by up to 64 is exact,
     * and a larger one cannot cancel more than one leading bit. */
    sf_u128 a = (sf_u128)x.sig << 64;
    sf_u128 b = sf_shift_right_jam128((sf_u128)y.sig << 64, (uint32_t)(x.exp - y.exp));
    sf_u128 r;
    bool sign = x.sign;

    if (x.sign == y.sign) {
        r = a + b;
    } else if (a >= b) {
        r = a - b;
    } else {
        r = b - a;
        sign = y.sign;
    }
    if (r == 0) {
        return sf_pack_zero(f, rm == SF_RDN);   /* x - x is +0, or -0 rounding down */
    }
    return sf_round_pack128(f, sign, x.exp - SF_SIG_TOP - 64, r, rm, flags);
}

static uint64_t sf_addsub(int fmt, uint64_t a, uint64_t b, bool negate_b, int rm,
                          unsigned *flags)
{
    const SFFormat *f = &sf_formats[fmt];
    SFUnpacked x = sf_unpack(f, a), y = sf_unpack(f, b);

    y.sign ^= negate_b;
    if (sf_is_nan(&x) || sf_is_nan(&y)) {
        return sf_nan_result(f, &x, &y, flags);
    }
    if (x.cls == SFC_INF) {
        if (y.cls == SFC_INF && x.sign != y.sign) {
            *flags |= SF_NV;                    /* inf - inf */
            return f->qnan;
        }
        return sf_pack_inf(f, x.sign);
    }
    if (y.cls == SFC_INF) {
        return sf_pack_inf(f, y.sign);
    }
    if (x.cls == SFC_ZERO && y.cls == SFC_ZERO) {
        bool sign = x.sign == y.sign ? x.sign : rm == SF_RDN;
        return sf_pack_zero(f, sign);
    }
    if (x.cls == SFC_ZERO) {
        return sf_repack(f, &y, y.sign);
    }
    if (y.cls == SFC_ZERO) {
        return sf_repack(f, &x, x.sign);
    }
    return sf_add_finite(f, x, y, rm, flags);
}

uint64_t sf_soft_add(int fmt, uint64_t a, uint64_t b, int rm, unsigned *flags)
{
    return sf_addsub(fmt, a, b, false, rm, flags);
}

uint64_t sf_soft_sub(int fmt, uint64_t a, uint64_t b, int rm, unsigned *flags)
{
    return sf_addsub(fmt, a, b, true, rm, flags);
}

uint64_t sf_soft_mul(int fmt, uint64_t a, uint64_t b, int rm, unsigned *flags)
{
    const SFFormat *f = &sf_formats[fmt];
    SFUnpacked x = sf_unpack(f, a), y = sf_unpack(f, b);
    bool sign = x.sign ^ y.sign;

    if (sf_is_nan(&x) || sf_is_nan(&y)) {
        return sf_nan_result(f, &x, &y, flags);
    }
    if (x.cls == SFC_INF || y.cls == SFC_INF) {
        if (x.cls == SFC_ZERO || y.cls == SFC_ZERO) {
            *flags |= SF_NV;                    /* inf * 0 */
            return f->qnan;
        }
        return sf_pack_inf(f, sign);
    }
    if (x.cls == SFC_ZERO || y.cls == SFC_ZERO) {
        return sf_pack_zero(f, sign);
    }
    sf_u128 p = (sf_u128)x.sig * y.sig;         /* exact: at most 126 bits */
    return sf_round_pack128(f, sign, x.exp + y.exp - 2 * SF_SIG_TOP, p, rm, flags);
}

uint64_t sf_soft_div(int fmt, uint64_t a, uint64_t b, int rm, unsigned *flags)
{
    const SFFormat *f = &sf_formats[fmt];
    SFUnpacked x = sf_unpack(f, a), y = sf_unpack(f, b);
    bool sign = x.sign ^ y.sign;

    if (sf_is_nan(&x) || sf_is_nan(&y)) {
        return sf_nan_result(f, &x, &y, flags);
    }
    if (x.cls == SFC_INF) {
        if (y.cls == SFC_INF) {
            *flags |= SF_NV;
            return f->qnan;
        }
        return sf_pack_inf(f, sign);
    }
    if (y.cls == SFC_INF) {
        return sf_pack_zero(f, sign);
    }
    if (y.cls == SFC_ZERO) {
        if (x.cls == SFC_ZERO) {
            *flags |= SF_NV;                    /* 0 / 0 */
            return f->qnan;
        }
        *flags |= SF_DZ;
        return sf_pack_inf(f, sign);
    }
    if (x.cls == SFC_ZERO) {
        return sf_pack_zero(f, sign);
    }
    /* (x.sig << 64) / y.sig has 64 or 65 bits; a remainder is sticky. */
    sf_u128 n = (sf_u128)x.sig << 64;
    sf_u128 q = n / y.sig;
    q |= (n % y.sig) != 0;
    return sf_round_pack128(f, sign, x.exp - y.exp - 64, q, rm, flags);
}

/* floor(sqrt(n)) for n < 2^127, digit by digit. */
static uint64_t sf_isqrt128(sf_u128 n)
{
    uint64_t r = 0;
    for (int i = 63; i >= 0; i--) {
        uint64_t t = r | 1ull << i;
        if ((sf_u128)t * t <= n) {
            r = t;
        }
    }
    return r;
}

uint64_t sf_soft_sqrt(int fmt, uint64_t a, int rm, unsigned *flags)
{
    const SFFormat *f = &sf_formats[fmt];
    SFUnpacked x = sf_unpack(f, a);

    if (sf_is_nan(&x)) {
        return sf_nan_result(f, &x, NULL, flags);
    }
    if (x.cls == SFC_ZERO) {
        return a;                               /* sqrt(-0) = -0 */
    }
    if (x.sign) {
        *flags |= SF_NV;
        return f->qnan;
    }
    if (x.cls == SFC_INF) {
        return a;
    }
    /* value = sig * 2^k; shift sig left so that the exponent left is even */
    int32_t k = x.exp - SF_SIG_TOP;
    unsigned t = (k & 1) ? 63 : 64;
    sf_u128 n = (sf_u128)x.sig << t;
    uint64_t r = sf_isqrt128(n);
    sf_u128 root = (sf_u128)r << 1 | ((sf_u128)r * r != n);
    return sf_round_pack128(f, false, (k - (int32_t)t) / 2 - 1, root, rm, flags);
}

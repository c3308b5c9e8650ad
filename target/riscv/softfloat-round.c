/* Unpacking, rounding and packing: the soft-float's one path from an exact
 * (or sticky-jammed) intermediate result to the bits of a format, with
 * RISC-V's rules for tininess (after rounding) and overflow. */
#include "target/riscv/softfloat-internal.h"

const SFFormat sf_formats[2] = {
    [SF_S] = { 23, 8, 127, SF_QNAN_S },
    [SF_D] = { 52, 11, 1023, SF_QNAN_D },
};

static inline uint64_t sf_emax(const SFFormat *f)
{
    return (1ull << f->ebits) - 1;
}

static inline uint64_t sf_sign_bit(const SFFormat *f, bool sign)
{
    return sign ? 1ull << (f->mbits + f->ebits) : 0;
}

SFUnpacked sf_unpack(const SFFormat *f, uint64_t bits)
{
    SFUnpacked u = { SFC_FINITE, false, 0, 0 };
    uint64_t e = (bits >> f->mbits) & sf_emax(f);
    uint64_t m = bits & ((1ull << f->mbits) - 1);

    u.sign = (bits >> (f->mbits + f->ebits)) & 1;
    if (e == sf_emax(f)) {
        u.cls = m == 0 ? SFC_INF : (m >> (f->mbits - 1)) & 1 ? SFC_QNAN : SFC_SNAN;
        return u;
    }
    if (e == 0) {
        if (m == 0) {
            u.cls = SFC_ZERO;
            return u;
        }
        /* subnormal: normalize so that bit 62 is the leading one */
        u.sig = m << (SF_SIG_TOP - f->mbits);
        unsigned n = (unsigned)__builtin_clzll(u.sig) - 1;
        u.sig <<= n;
        u.exp = 1 - f->bias - (int32_t)n;
        return u;
    }
    u.sig = (m | 1ull << f->mbits) << (SF_SIG_TOP - f->mbits);
    u.exp = (int32_t)e - f->bias;
    return u;
}

uint64_t sf_pack_zero(const SFFormat *f, bool sign)
{
    return sf_sign_bit(f, sign);
}

uint64_t sf_pack_inf(const SFFormat *f, bool sign)
{
    return sf_sign_bit(f, sign) | sf_emax(f) << f->mbits;
}

uint64_t sf_nan_result(const SFFormat *f, const SFUnpacked *a, const SFUnpacked *b,
                       unsigned *flags)
{
    if (a->cls == SFC_SNAN || (b && b->cls == SFC_SNAN)) {
        *flags |= SF_NV;
    }
    return f->qnan;
}

uint64_t sf_round_shift(uint64_t sig, uint32_t s, bool sign, int rm, bool *inexact)
{
    uint64_t q, rem, half;

    if (s >= 64) {
        /* everything shifts out, and sig < 2^63 is below half an ulp */
        q = 0;
        rem = sig;
        half = ~0ull;
    } else {
        q = sig >> s;
        rem = sig & ((1ull << s) - 1);
        half = 1ull << (s - 1);
    }
    *inexact = rem != 0;
    if (!rem) {
        return q;
    }
    bool inc;
    switch (rm) {
    case SF_RNE: inc = rem > half || (rem == half && (q & 1)); break;
    case SF_RDN: inc = sign; break;
    case SF_RUP: inc = !sign; break;
    case SF_RMM: inc = rem >= half; break;
    default:     inc = false; break;     /* SF_RTZ */
    }
    return q + inc;
}

static uint64_t sf_overflow(const SFFormat *f, bool sign, int rm, unsigned *flags)
{
    bool to_inf = rm == SF_RNE || rm == SF_RMM || (rm == SF_RUP && !sign) ||
                  (rm == SF_RDN && sign);
    *flags |= SF_OF | SF_NX;
    return to_inf ? sf_pack_inf(f, sign) : sf_pack_inf(f, sign) - 1;  /* largest finite */
}

uint64_t sf_round_pack(const SFFormat *f, bool sign, int32_t exp, uint64_t sig, int rm,
                       unsigned *flags)
{
    const uint32_t sh = SF_SIG_TOP - f->mbits;    /* bits below the last fraction bit */
    int64_t e = (int64_t)exp + f->bias;           /* biased exponent */
    bool inexact;
    uint64_t q;

    if (e >= 1) {
        q = sf_round_shift(sig, sh, sign, rm, &inexact);
        if (q >> (f->mbits + 1)) {                /* rounded up to the next binade */
            q >>= 1;
            e++;
        }
        if (e >= (int64_t)sf_emax(f)) {
            return sf_overflow(f, sign, rm, flags);
        }
        if (inexact) {
            *flags |= SF_NX;
        }
        return sf_sign_bit(f, sign) | (uint64_t)e << f->mbits | (q & ((1ull << f->mbits) - 1));
    }
    /* Tiny "after rounding": the result rounded with an unbounded exponent
     * range is below the smallest normal. Only e == 0 can round up to it. */
    bool tiny = true;
    if (e == 0) {
        bool ix;
        tiny = !(sf_round_shift(sig, sh, sign, rm, &ix) >> (f->mbits + 1));
    }
    uint64_t s = (uint64_t)sh + (uint64_t)(1 - e);
    q = sf_round_shift(sig, s > 64 ? 64 : (uint32_t)s, sign, rm, &inexact);
    if (inexact) {
        *flags |= SF_NX | (tiny ? SF_UF : 0);
    }
    /* q == 2^mbits (rounded up to the smallest normal) encodes itself */
    return sf_sign_bit(f, sign) | q;
}

sf_u128 sf_shift_right_jam128(sf_u128 x, uint32_t s)
{
    if (s == 0) {
        return x;
    }
    if (s >= 128) {
        return x != 0;
    }
    return (x >> s) | ((x << (128 - s)) != 0);
}

static unsigned sf_msb128(sf_u128 x)
{
    uint64_t hi = (uint64_t)(x >> 64);
    return hi ? 127 - (unsigned)__builtin_clzll(hi) : 63 - (unsigned)__builtin_clzll((uint64_t)x);
}

uint64_t sf_round_pack128(const SFFormat *f, bool sign, int32_t lsb_exp, sf_u128 sig, int rm,
                          unsigned *flags)
{
    unsigned msb = sf_msb128(sig);
    uint64_t s64;

    if (msb > SF_SIG_TOP) {
        /* the jammed bit stays far below the rounding position */
        s64 = (uint64_t)sf_shift_right_jam128(sig, msb - SF_SIG_TOP);
    } else {
        s64 = (uint64_t)sig << (SF_SIG_TOP - msb);
    }
    return sf_round_pack(f, sign, lsb_exp + (int32_t)msb, s64, rm, flags);
}

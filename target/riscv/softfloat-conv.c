/* Conversions: float to integer with the ISA's saturation, integer to
 * float, and between the two formats. */
#include "target/riscv/softfloat-internal.h"

uint64_t sf_to_int(int fmt, uint64_t a, unsigned bits, bool is_unsigned, int rm, unsigned *flags)
{
    const SFFormat *f = &sf_formats[fmt];
    SFUnpacked x = sf_unpack(f, a);
    /* the saturation bounds, as unsigned magnitudes */
    uint64_t max = is_unsigned ? (bits == 64 ? ~0ull : (1ull << bits) - 1)
                               : (1ull << (bits - 1)) - 1;
    uint64_t min_mag = is_unsigned ? 0 : 1ull << (bits - 1);
    uint64_t r;

    if (sf_is_nan(&x) || (x.cls == SFC_INF && !x.sign)) {
        *flags |= SF_NV;
        r = max;
        goto out;
    }
    if (x.cls == SFC_INF) {
        *flags |= SF_NV;
        r = -min_mag;
        goto out;
    }
    if (x.cls == SFC_ZERO) {
        return 0;
    }
    int32_t s = SF_SIG_TOP - x.exp;
    uint64_t q;
    bool inexact = false;
    if (s <= -2) {
        q = ~0ull;                              /* 2^64 or more: out of range */
        goto invalid;
    } else if (s <= 0) {
        q = x.sig << -s;
    } else {
        q = sf_round_shift(x.sig, (uint32_t)s, x.sign, rm, &inexact);
    }
    if (x.sign ? q > min_mag : q > max) {
        goto invalid;
    }
    if (inexact) {
        *flags |= SF_NX;
    }
    r = x.sign ? -q : q;
    goto out;
invalid:
    *flags |= SF_NV;
    r = x.sign ? -min_mag : max;
out:
    return bits == 32 ? (uint64_t)(int64_t)(int32_t)(uint32_t)r : r;
}

uint64_t sf_from_int(int fmt, uint64_t v, unsigned bits, bool is_unsigned, int rm,
                     unsigned *flags)
{
    const SFFormat *f = &sf_formats[fmt];
    bool sign = false;

    if (bits == 32) {
        v = is_unsigned ? (uint32_t)v : (uint64_t)(int64_t)(int32_t)v;
    }
    if (!is_unsigned && (int64_t)v < 0) {
        sign = true;
        v = -v;
    }
    if (v == 0) {
        return sf_pack_zero(f, false);
    }
    return sf_round_pack128(f, sign, 0, v, rm, flags);
}

uint64_t sf_convert(int to_fmt, int from_fmt, uint64_t a, int rm, unsigned *flags)
{
    const SFFormat *t = &sf_formats[to_fmt];
    SFUnpacked x = sf_unpack(&sf_formats[from_fmt], a);

    switch (x.cls) {
    case SFC_QNAN:
    case SFC_SNAN:
        return sf_nan_result(t, &x, NULL, flags);
    case SFC_INF:
        return sf_pack_inf(t, x.sign);
    case SFC_ZERO:
        return sf_pack_zero(t, x.sign);
    default:
        return sf_round_pack(t, x.sign, x.exp, x.sig, rm, flags);
    }
}

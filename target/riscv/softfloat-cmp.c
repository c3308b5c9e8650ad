/* Comparisons, fmin/fmax (IEEE 754-2019 minimumNumber/maximumNumber, as the
 * ISA since 2.2: a NaN operand loses to a number, -0 < +0) and fclass. */
#include "target/riscv/softfloat-internal.h"

/* a < b for two non-NaN values, with -0 < +0. */
static bool sf_less_total(const SFFormat *f, uint64_t a, uint64_t b)
{
    unsigned sb = f->mbits + f->ebits;
    bool sa = (a >> sb) & 1, sbb = (b >> sb) & 1;
    if (sa != sbb) {
        return sa;
    }
    return sa ? a > b : a < b;
}

static bool sf_both_zero(const SFUnpacked *x, const SFUnpacked *y)
{
    return x->cls == SFC_ZERO && y->cls == SFC_ZERO;
}

static uint64_t sf_minmax(int fmt, uint64_t a, uint64_t b, bool is_max, unsigned *flags)
{
    const SFFormat *f = &sf_formats[fmt];
    SFUnpacked x = sf_unpack(f, a), y = sf_unpack(f, b);

    if (x.cls == SFC_SNAN || y.cls == SFC_SNAN) {
        *flags |= SF_NV;
    }
    if (sf_is_nan(&x)) {
        return sf_is_nan(&y) ? f->qnan : b;
    }
    if (sf_is_nan(&y)) {
        return a;
    }
    return sf_less_total(f, a, b) != is_max ? a : b;
}

uint64_t sf_min(int fmt, uint64_t a, uint64_t b, unsigned *flags)
{
    return sf_minmax(fmt, a, b, false, flags);
}

uint64_t sf_max(int fmt, uint64_t a, uint64_t b, unsigned *flags)
{
    return sf_minmax(fmt, a, b, true, flags);
}

bool sf_eq(int fmt, uint64_t a, uint64_t b, unsigned *flags)
{
    const SFFormat *f = &sf_formats[fmt];
    SFUnpacked x = sf_unpack(f, a), y = sf_unpack(f, b);

    if (sf_is_nan(&x) || sf_is_nan(&y)) {
        if (x.cls == SFC_SNAN || y.cls == SFC_SNAN) {
            *flags |= SF_NV;
        }
        return false;
    }
    return sf_both_zero(&x, &y) || a == b;
}

bool sf_lt(int fmt, uint64_t a, uint64_t b, unsigned *flags)
{
    const SFFormat *f = &sf_formats[fmt];
    SFUnpacked x = sf_unpack(f, a), y = sf_unpack(f, b);

    if (sf_is_nan(&x) || sf_is_nan(&y)) {
        *flags |= SF_NV;
        return false;
    }
    return !sf_both_zero(&x, &y) && sf_less_total(f, a, b);
}

bool sf_le(int fmt, uint64_t a, uint64_t b, unsigned *flags)
{
    const SFFormat *f = &sf_formats[fmt];
    SFUnpacked x = sf_unpack(f, a), y = sf_unpack(f, b);

    if (sf_is_nan(&x) || sf_is_nan(&y)) {
        *flags |= SF_NV;
        return false;
    }
    return sf_both_zero(&x, &y) || a == b || sf_less_total(f, a, b);
}

unsigned sf_class(int fmt, uint64_t a)
{
    const SFFormat *f = &sf_formats[fmt];
    SFUnpacked x = sf_unpack(f, a);
    uint64_t e = (a >> f->mbits) & ((1ull << f->ebits) - 1);

    switch (x.cls) {
    case SFC_SNAN: return 1u << 8;
    case SFC_QNAN: return 1u << 9;
    case SFC_INF:  return x.sign ? 1u << 0 : 1u << 7;
    case SFC_ZERO: return x.sign ? 1u << 3 : 1u << 4;
    default:
        if (e == 0) {
            return x.sign ? 1u << 2 : 1u << 5;  /* subnormal */
        }
        return x.sign ? 1u << 1 : 1u << 6;
    }
}

/* The soft-float's fast path: the host's own IEEE arithmetic for the common
 * case, round-to-nearest-even on finite operands whose result lands safely
 * inside the normal range. There the host's result is the correctly rounded
 * one bit for bit, and the one flag left to decide, inexact, is computed
 * exactly with error-free transformations (the rounding error of a sum,
 * product, quotient or root is itself a double, found with one more
 * operation). Anything near a boundary (zero, subnormal, overflow, NaN,
 * infinity, another rounding mode) declines and takes the integer path,
 * which stays the reference: tests/unit/test-softfloat.c compares the two.
 *
 * Binary32 is computed in binary64: for +, -, *, / and sqrt rounding twice
 * (to 53 bits, then to 24) equals rounding once, since 53 >= 2 * 24 + 2.
 * Fused multiply-add has no cheap exact inexact test, so it is taken only
 * when NX is already set in the flags handed in (the sticky fflags), as
 * QEMU's hardfloat does.
 *
 * The host must round to nearest (its default; nothing in Amber changes
 * it) and must not contract a * b + c (this file is built with
 * -ffp-contract=off). */
#include <float.h>
#include <math.h>
#include <string.h>

#include "target/riscv/softfloat-internal.h"

/* Only where the host evaluates in the operands' own precision (x86-64's
 * SSE, AArch64); an x87 host would round twice, so it keeps to integers. */
#if defined(FLT_EVAL_METHOD) && FLT_EVAL_METHOD == 0
#define SF_FAST_HOST true
#else
#define SF_FAST_HOST false
#endif

static inline double sf_d(uint64_t b)
{
    double d;
    memcpy(&d, &b, sizeof d);
    return d;
}

static inline uint64_t sf_db(double d)
{
    uint64_t b;
    memcpy(&b, &d, sizeof b);
    return b;
}

static inline float sf_f(uint32_t b)
{
    float f;
    memcpy(&f, &b, sizeof f);
    return f;
}

static inline uint32_t sf_fb(float f)
{
    uint32_t b;
    memcpy(&b, &f, sizeof b);
    return b;
}

/* Biased exponent of a binary64 / binary32. */
static inline unsigned sf_exp_d(uint64_t b) { return (unsigned)(b >> 52) & 0x7ff; }
static inline unsigned sf_exp_s(uint32_t b) { return (b >> 23) & 0xff; }

/* Operands the fast path takes: normal, with a margin of 2^100 from
 * either end of the range, so that no product, quotient, root or error term
 * of two of them can underflow or overflow unnoticed. */
static inline bool sf_safe_d(uint64_t b)
{
    unsigned e = sf_exp_d(b);
    return SF_FAST_HOST && e > 100 && e < 0x7ff - 100;
}

static inline bool sf_safe_s(uint32_t b)
{
    unsigned e = sf_exp_s(b);
    return SF_FAST_HOST && e > 10 && e < 0xff - 10;
}

static inline bool sf_is_zero_d(uint64_t b) { return (b << 1) == 0; }
static inline bool sf_is_zero_s(uint32_t b) { return (b << 1) == 0; }

/* A result the fast path may return: normal and clear of both ends. */
static inline bool sf_result_ok_d(double r) { return sf_safe_d(sf_db(r)); }
static inline bool sf_result_ok_s(float r) { return sf_safe_s(sf_fb(r)); }

/* a + b exactly as s + err (Knuth's TwoSum; no overflow here). */
static inline double sf_two_sum_err(double a, double b, double s)
{
    double bb = s - a;
    return (a - (s - bb)) + (b - bb);
}

bool sf_fast_addsub(int fmt, uint64_t a, uint64_t b, bool negate_b, uint64_t *res,
                    unsigned *flags)
{
    if (fmt == SF_D) {
        if (!sf_safe_d(a) || !sf_safe_d(b)) {
            return false;
        }
        double x = sf_d(a), y = negate_b ? -sf_d(b) : sf_d(b);
        double s = x + y;
        if (s == 0) {
            *res = sf_db(s);             /* x == -y: exact, +0 */
            return true;
        }
        if (!sf_result_ok_d(s)) {
            return false;
        }
        if (sf_two_sum_err(x, y, s) != 0) {
            *flags |= SF_NX;
        }
        *res = sf_db(s);
        return true;
    }
    uint32_t ua = (uint32_t)a, ub = (uint32_t)b;
    if (!sf_safe_s(ua) || !sf_safe_s(ub)) {
        return false;
    }
    double x = sf_f(ua), y = negate_b ? -(double)sf_f(ub) : (double)sf_f(ub);
    double s = x + y;
    float r = (float)s;
    if (r == 0) {
        if (s != 0) {
            return false;
        }
        *res = sf_fb(r);
        return true;
    }
    if (!sf_result_ok_s(r)) {
        return false;
    }
    if ((double)r != s || sf_two_sum_err(x, y, s) != 0) {
        *flags |= SF_NX;
    }
    *res = sf_fb(r);
    return true;
}

bool sf_fast_mul(int fmt, uint64_t a, uint64_t b, uint64_t *res, unsigned *flags)
{
    if (fmt == SF_D) {
        if (!sf_safe_d(a) || !sf_safe_d(b)) {
            return false;
        }
        double x = sf_d(a), y = sf_d(b);
        double p = x * y;
        if (!sf_result_ok_d(p)) {
            return false;
        }
        if (fma(x, y, -p) != 0) {
            *flags |= SF_NX;
        }
        *res = sf_db(p);
        return true;
    }
    uint32_t ua = (uint32_t)a, ub = (uint32_t)b;
    if (!sf_safe_s(ua) || !sf_safe_s(ub)) {
        return false;
    }
    double p = (double)sf_f(ua) * (double)sf_f(ub);     /* exact: 48 bits */
    float r = (float)p;
    if (!sf_result_ok_s(r)) {
        return false;
    }
    if ((double)r != p) {
        *flags |= SF_NX;
    }
    *res = sf_fb(r);
    return true;
}

bool sf_fast_div(int fmt, uint64_t a, uint64_t b, uint64_t *res, unsigned *flags)
{
    if (fmt == SF_D) {
        if (!sf_safe_d(a) || !sf_safe_d(b)) {
            return false;
        }
        double x = sf_d(a), y = sf_d(b);
        double q = x / y;
        if (!sf_result_ok_d(q)) {
            return false;
        }
        /* The remainder x - q * y of a rounded quotient is a double. */
        if (fma(-q, y, x) != 0) {
            *flags |= SF_NX;
        }
        *res = sf_db(q);
        return true;
    }
    uint32_t ua = (uint32_t)a, ub = (uint32_t)b;
    if (!sf_safe_s(ua) || !sf_safe_s(ub)) {
        return false;
    }
    double x = sf_f(ua), y = sf_f(ub);
    double q = x / y;
    float r = (float)q;
    if (!sf_result_ok_s(r)) {
        return false;
    }
    if ((double)r != q || fma(-q, y, x) != 0) {
        *flags |= SF_NX;
    }
    *res = sf_fb(r);
    return true;
}

bool sf_fast_sqrt(int fmt, uint64_t a, uint64_t *res, unsigned *flags)
{
    if (fmt == SF_D) {
        if (!sf_safe_d(a) || (a >> 63)) {
            return false;
        }
        double x = sf_d(a);
        double r = sqrt(x);
        if (fma(-r, r, x) != 0) {
            *flags |= SF_NX;
        }
        *res = sf_db(r);
        return true;
    }
    uint32_t ua = (uint32_t)a;
    if (!sf_safe_s(ua) || (ua >> 31)) {
        return false;
    }
    double x = sf_f(ua);
    double d = sqrt(x);
    float r = (float)d;
    if ((double)r != d || fma(-d, d, x) != 0) {
        *flags |= SF_NX;
    }
    *res = sf_fb(r);
    return true;
}

bool sf_fast_fma(int fmt, uint64_t a, uint64_t b, uint64_t c, bool neg_prod, bool neg_c,
                 uint64_t *res, unsigned *flags)
{
    if (!(*flags & SF_NX)) {
        return false;                    /* would have to decide NX */
    }
    if (fmt == SF_D) {
        if (!sf_safe_d(a) || !sf_safe_d(b) || !(sf_safe_d(c) || sf_is_zero_d(c))) {
            return false;
        }
        double x = neg_prod ? -sf_d(a) : sf_d(a), z = neg_c ? -sf_d(c) : sf_d(c);
        double r = fma(x, sf_d(b), z);
        if (!sf_result_ok_d(r)) {
            return false;
        }
        *res = sf_db(r);
        return true;
    }
    uint32_t ua = (uint32_t)a, ub = (uint32_t)b, uc = (uint32_t)c;
    if (!sf_safe_s(ua) || !sf_safe_s(ub) || !(sf_safe_s(uc) || sf_is_zero_s(uc))) {
        return false;
    }
    float x = neg_prod ? -sf_f(ua) : sf_f(ua), z = neg_c ? -sf_f(uc) : sf_f(uc);
    float r = fmaf(x, sf_f(ub), z);
    if (!sf_result_ok_s(r)) {
        return false;
    }
    *res = sf_fb(r);
    return true;
}

/* ---- the public entry points: fast path first, the integer one after ---- */

uint64_t sf_add(int fmt, uint64_t a, uint64_t b, int rm, unsigned *flags)
{
    uint64_t r;
    if (rm == SF_RNE && sf_fast_addsub(fmt, a, b, false, &r, flags)) {
        return r;
    }
    return sf_soft_add(fmt, a, b, rm, flags);
}

uint64_t sf_sub(int fmt, uint64_t a, uint64_t b, int rm, unsigned *flags)
{
    uint64_t r;
    if (rm == SF_RNE && sf_fast_addsub(fmt, a, b, true, &r, flags)) {
        return r;
    }
    return sf_soft_sub(fmt, a, b, rm, flags);
}

uint64_t sf_mul(int fmt, uint64_t a, uint64_t b, int rm, unsigned *flags)
{
    uint64_t r;
    if (rm == SF_RNE && sf_fast_mul(fmt, a, b, &r, flags)) {
        return r;
    }
    return sf_soft_mul(fmt, a, b, rm, flags);
}

uint64_t sf_div(int fmt, uint64_t a, uint64_t b, int rm, unsigned *flags)
{
    uint64_t r;
    if (rm == SF_RNE && sf_fast_div(fmt, a, b, &r, flags)) {
        return r;
    }
    return sf_soft_div(fmt, a, b, rm, flags);
}

uint64_t sf_sqrt(int fmt, uint64_t a, int rm, unsigned *flags)
{
    uint64_t r;
    if (rm == SF_RNE && sf_fast_sqrt(fmt, a, &r, flags)) {
        return r;
    }
    return sf_soft_sqrt(fmt, a, rm, flags);
}

uint64_t sf_fma(int fmt, uint64_t a, uint64_t b, uint64_t c, bool neg_prod, bool neg_c,
                int rm, unsigned *flags)
{
    uint64_t r;
    if (rm == SF_RNE && sf_fast_fma(fmt, a, b, c, neg_prod, neg_c, &r, flags)) {
        return r;
    }
    return sf_soft_fma(fmt, a, b, c, neg_prod, neg_c, rm, flags);
}

/* The soft-float's working form, shared by its files only: a value unpacked
 * into class, sign, exponent and a 64-bit significand, and the one routine
 * that rounds and packs every finite result. */
#ifndef TARGET_RISCV_SOFTFLOAT_INTERNAL_H
#define TARGET_RISCV_SOFTFLOAT_INTERNAL_H

#include <stddef.h>

#include "target/riscv/softfloat.h"

typedef unsigned __int128 sf_u128;

typedef struct SFFormat {
    unsigned mbits;              /* stored fraction bits: 23 or 52 */
    unsigned ebits;              /* exponent bits: 8 or 11 */
    int32_t bias;
    uint64_t qnan;               /* the canonical NaN */
} SFFormat;

extern const SFFormat sf_formats[2];

typedef enum SFClass { SFC_ZERO, SFC_FINITE, SFC_INF, SFC_QNAN, SFC_SNAN } SFClass;

/* A finite nonzero value is sig * 2^(exp - 62), with bit 62 of sig set:
 * two spare bits above for carries, and at least 10 below the last stored
 * fraction bit. */
typedef struct SFUnpacked {
    SFClass cls;
    bool sign;
    int32_t exp;
    uint64_t sig;
} SFUnpacked;

#define SF_SIG_TOP 62

static inline bool sf_is_nan(const SFUnpacked *u)
{
    return u->cls == SFC_QNAN || u->cls == SFC_SNAN;
}

SFUnpacked sf_unpack(const SFFormat *f, uint64_t bits);
uint64_t sf_pack_zero(const SFFormat *f, bool sign);
uint64_t sf_pack_inf(const SFFormat *f, bool sign);
/* Rounds sig * 2^(exp - 62) (bit 62 of sig set) into the format. */
uint64_t sf_round_pack(const SFFormat *f, bool sign, int32_t exp, uint64_t sig, int rm,
                       unsigned *flags);
/* Rounds sig * 2^lsb_exp (sig nonzero, any width) into the format. */
uint64_t sf_round_pack128(const SFFormat *f, bool sign, int32_t lsb_exp, sf_u128 sig, int rm,
                          unsigned *flags);
/* sig >> s rounded to an integer by rm for a value of the given sign;
 * *inexact tells whether bits were lost. s >= 1. */
uint64_t sf_round_shift(uint64_t sig, uint32_t s, bool sign, int rm, bool *inexact);
/* x >> s with every lost bit ORed into bit 0 (the sticky bit). */
sf_u128 sf_shift_right_jam128(sf_u128 x, uint32_t s);
/* The canonical NaN; NV when either input is signaling. */
uint64_t sf_nan_result(const SFFormat *f, const SFUnpacked *a, const SFUnpacked *b,
                       unsigned *flags);

/* The integer implementations, the reference (softfloat-arith.c,
 * softfloat-fma.c); the public sf_add ... sf_fma try the fast path first. */
uint64_t sf_soft_add(int fmt, uint64_t a, uint64_t b, int rm, unsigned *flags);
uint64_t sf_soft_sub(int fmt, uint64_t a, uint64_t b, int rm, unsigned *flags);
uint64_t sf_soft_mul(int fmt, uint64_t a, uint64_t b, int rm, unsigned *flags);
uint64_t sf_soft_div(int fmt, uint64_t a, uint64_t b, int rm, unsigned *flags);
uint64_t sf_soft_sqrt(int fmt, uint64_t a, int rm, unsigned *flags);
uint64_t sf_soft_fma(int fmt, uint64_t a, uint64_t b, uint64_t c, bool neg_prod, bool neg_c,
                     int rm, unsigned *flags);

/* The host-arithmetic fast path (softfloat-fast.c), round to nearest even
 * only: true with *res and the flags set when it took the operation, false
 * (nothing changed) when the integer path must. */
bool sf_fast_addsub(int fmt, uint64_t a, uint64_t b, bool negate_b, uint64_t *res,
                    unsigned *flags);
bool sf_fast_mul(int fmt, uint64_t a, uint64_t b, uint64_t *res, unsigned *flags);
bool sf_fast_div(int fmt, uint64_t a, uint64_t b, uint64_t *res, unsigned *flags);
bool sf_fast_sqrt(int fmt, uint64_t a, uint64_t *res, unsigned *flags);
bool sf_fast_fma(int fmt, uint64_t a, uint64_t b, uint64_t c, bool neg_prod, bool neg_c,
                 uint64_t *res, unsigned *flags);

#endif

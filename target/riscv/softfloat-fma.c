/* Fused multiply-add: the product is kept exact (up to 106 bits) and the
 * addend aligned to it in 128 bits, so the sum is rounded once. */
#include "target/riscv/softfloat-internal.h"

uint64_t sf_soft_fma(int fmt, uint64_t a, uint64_t b, uint64_t c, bool neg_prod, bool neg_c,
                int rm, unsigned *flags)
{
    const SFFormat *f = &sf_formats[fmt];
    SFUnpacked x = sf_unpack(f, a), y = sf_unpack(f, b), z = sf_unpack(f, c);
    bool psign = x.sign ^ y.sign ^ neg_prod;
    bool zsign = z.sign ^ neg_c;
    bool inf_times_zero = (x.cls == SFC_INF && y.cls == SFC_ZERO) ||
                          (x.cls == SFC_ZERO && y.cls == SFC_INF);

    if (sf_is_nan(&x) || sf_is_nan(&y) || sf_is_nan(&z)) {
        /* The ISA: inf * 0 is invalid even when the addend is a quiet NaN. */
        if (x.cls == SFC_SNAN || y.cls == SFC_SNAN || z.cls == SFC_SNAN || inf_times_zero) {
            *flags |= SF_NV;
        }
        return f->qnan;
    }
    if (inf_times_zero) {
        *flags |= SF_NV;
        return f->qnan;
    }
    if (x.cls == SFC_INF || y.cls == SFC_INF) {
        if (z.cls == SFC_INF && zsign != psign) {
            *flags |= SF_NV;                    /* inf - inf */
            return f->qnan;
        }
        return sf_pack_inf(f, psign);
    }
    if (z.cls == SFC_INF) {
        return sf_pack_inf(f, zsign);
    }
    if (x.cls == SFC_ZERO || y.cls == SFC_ZERO) {
        if (z.cls == SFC_ZERO) {
            return sf_pack_zero(f, psign == zsign ? psign : rm == SF_RDN);
        }
        unsigned none = 0;
        return sf_round_pack(f, zsign, z.exp, z.sig, SF_RNE, &none);   /* exact */
    }
    /* The product: msb at bit 124 or 125, moved to 125; its lowest set bit
     * is at 20 or above, so small alignments below lose nothing. */
    sf_u128 p = (sf_u128)x.sig * y.sig;
    int32_t plsb = x.exp + y.exp - 2 * SF_SIG_TOP;
    if (!(p >> 125)) {
        p <<= 1;
        plsb--;
    }
    if (z.cls == SFC_ZERO) {
        return sf_round_pack128(f, psign, plsb, p, rm, flags);
    }
    sf_u128 q = (sf_u128)z.sig << 63;           /* msb at 125 too */
    int32_t qlsb = z.exp - 125;
    int32_t lsb;
    if (plsb >= qlsb) {
        q = sf_shift_right_jam128(q, (uint32_t)(plsb - qlsb));
        lsb = plsb;
    } else {
        p = sf_shift_right_jam128(p, (uint32_t)(qlsb - plsb));
        lsb = qlsb;
    }
    sf_u128 r;
    bool sign = psign;
    if (psign == zsign) {
        r = p + q;
    } else if (p >= q) {
        r = p - q;
    } else {
        r = q - p;
        sign = zsign;
    }
    if (r == 0) {
        return sf_pack_zero(f, rm == SF_RDN);
    }
    return sf_round_pack128(f, sign, lsb, r, rm, flags);
}

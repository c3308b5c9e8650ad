/* Soft-float for the F and D extensions: IEEE 754 binary32 and binary64,
 * with RISC-V's choices where IEEE leaves one open:
 * tininess is detected after rounding, every NaN result is the canonical
 * NaN, and fmin/fmax follow minimumNumber/maximumNumber. Values travel as raw
 * bits (a single in the low 32 bits). The reference is integer arithmetic;
 * the host's FPU is used only where it gives the same bits and flags, and
 * nothing here reads or changes the host's FP environment, so results and
 * flags are the same on every host.
 *
 * Every operation ORs the exception flags it raises into *flags (the fflags
 * bit layout) and never clears any. *flags may come in holding the sticky
 * fflags: an operation may then skip working out a flag already set (the
 * fast path's fused multiply-add does, for NX).
 *
 * Round-to-nearest-even on ordinary operands takes the host's arithmetic
 * (softfloat-fast.c), exact to the bit and to the flag. */
#ifndef TARGET_RISCV_SOFTFLOAT_H
#define TARGET_RISCV_SOFTFLOAT_H

#include <stdbool.h>
#include <stdint.h>

/* Formats: the fmt field of OP-FP instructions. */
enum { SF_S = 0, SF_D = 1 };

/* Rounding modes: the rm/frm encoding. */
enum { SF_RNE = 0, SF_RTZ = 1, SF_RDN = 2, SF_RUP = 3, SF_RMM = 4 };

/* fflags bits */
enum { SF_NX = 1, SF_UF = 2, SF_OF = 4, SF_DZ = 8, SF_NV = 16 };

#define SF_QNAN_S 0x7fc00000ull
#define SF_QNAN_D 0x7ff8000000000000ull

uint64_t sf_add(int fmt, uint64_t a, uint64_t b, int rm, unsigned *flags);
uint64_t sf_sub(int fmt, uint64_t a, uint64_t b, int rm, unsigned *flags);
uint64_t sf_mul(int fmt, uint64_t a, uint64_t b, int rm, unsigned *flags);
uint64_t sf_div(int fmt, uint64_t a, uint64_t b, int rm, unsigned *flags);
uint64_t sf_sqrt(int fmt, uint64_t a, int rm, unsigned *flags);
/* (a * b) + c with one rounding; neg_prod negates a * b, neg_c negates c:
 * fmadd (0,0), fmsub (0,1), fnmsub (1,0), fnmadd (1,1). */
uint64_t sf_fma(int fmt, uint64_t a, uint64_t b, uint64_t c, bool neg_prod, bool neg_c,
                int rm, unsigned *flags);

uint64_t sf_min(int fmt, uint64_t a, uint64_t b, unsigned *flags);
uint64_t sf_max(int fmt, uint64_t a, uint64_t b, unsigned *flags);
/* feq is quiet (NV on a signaling NaN only); flt and fle signal on any NaN. */
bool sf_eq(int fmt, uint64_t a, uint64_t b, unsigned *flags);
bool sf_lt(int fmt, uint64_t a, uint64_t b, unsigned *flags);
bool sf_le(int fmt, uint64_t a, uint64_t b, unsigned *flags);
/* fclass: one of bits 0..9 (-inf ... +inf, sNaN, qNaN). */
unsigned sf_class(int fmt, uint64_t a);

/* Float to integer (bits 32 or 64, signed or not), saturating as the ISA's
 * fcvt table says; a 32-bit result comes back sign-extended to 64 bits. */
uint64_t sf_to_int(int fmt, uint64_t a, unsigned bits, bool is_unsigned, int rm, unsigned *flags);
/* Integer to float: the low `bits` of v, signed or not. */
uint64_t sf_from_int(int fmt, uint64_t v, unsigned bits, bool is_unsigned, int rm,
                     unsigned *flags);
/* Between formats (fcvt.s.d rounds; fcvt.d.s is exact). */
uint64_t sf_convert(int to_fmt, int from_fmt, uint64_t a, int rm, unsigned *flags);

#endif

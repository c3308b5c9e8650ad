/* The code generator's internals, shared by its two halves: jit-gen.c
 * (integer, memory, control flow, the block) and jit-fp.c (F and D). Not for
 * use outside them. */
#ifndef TARGET_RISCV_JIT_GEN_H
#define TARGET_RISCV_JIT_GEN_H

#include "target/riscv/jit-internal.h"

#if JIT_AVAILABLE

#define JG_NCACHE     4
#define JG_COLD_SITES 6          /* jumps into one cold path */

/* What a cold path does: the slow path of a load or store (jit_helper_load /
 * _store), the slice check of the linked entry, a whole F/D instruction
 * (jit_helper_fp) when the inline code's guards fail, or leave after the
 * micro-op (JIT_EXIT_NEXT). */
enum { JG_COLD_LOAD, JG_COLD_STORE, JG_COLD_ENTER, JG_COLD_FP, JG_COLD_NEXT };

/* Which guest register each cache register holds (0: none), and whether
 * env.gpr is behind it. */
typedef struct RegCache {
    uint8_t guest[JG_NCACHE];
    uint8_t dirty[JG_NCACHE];
    uint32_t used[JG_NCACHE];    /* for least-recently-used eviction */
} RegCache;

typedef struct Cold {
    uint32_t site[JG_COLD_SITES]; /* rel32s of the jumps to the cold code */
    uint8_t n_sites;
    uint8_t kind;
    uint32_t resume;             /* where the fast path goes on */
    const MicroOp *op;
    RegCache before, after;      /* the cache at the jumps and at resume */
} Cold;

typedef struct Gen {
    JitCache *j;
    XBuf b;
    TB *tb;
    RegCache rc;
    uint32_t clock;
    bool fs_on;                  /* an earlier F/D micro-op found FS on */
    bool fs_dirty;               /* ... and an earlier one made it Dirty */
    unsigned n_cold;
    Cold cold[TB_MAX_INSNS + 8];
} Gen;

/* The host register holding guest register r (x0: temp, zeroed). */
int jg_src(Gen *g, unsigned r, int temp);
/* The cache register that will hold guest register rd (not 0), changed. */
int jg_dst(Gen *g, unsigned rd);
/* A whole micro-op through fn (a jit_helper_*), env complete around it. */
void jg_call_helper(Gen *g, const MicroOp *op, const void *fn);
/* A cold path for op entered from the n jumps at sites, where the cache was
 * `before`; it resumes here, with the cache as it is now. */
void jg_add_cold(Gen *g, const uint32_t *sites, unsigned n, const MicroOp *op, unsigned kind,
                 const RegCache *before);
/* The offset of the hart's instruction limit (icount_limit). */
int32_t jg_off_limit(void);
/* rsi = the load's or store's virtual address (rs1 + imm). */
void jg_addr(Gen *g, const MicroOp *op);
/* After jg_addr: the TLB probe for a size-byte access with the tag at
 * tag_off; leaves rax = the host addend. Returns the jump taken on a miss. */
uint32_t jg_tlb_probe(Gen *g, unsigned size, int32_t tag_off);

/* ---- jit-fp.c ---- */
/* Emits an OP_FP micro-op: inline with a cold call of jit_helper_fp when its
 * guards fail, or a plain call. */
void jit_fp_gen(Gen *g, const MicroOp *op);

#endif
#endif

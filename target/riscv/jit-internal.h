/* Inside the JIT: the code cache shared by the code generator
 * (target/riscv/jit-gen.c), the cache and linker (target/riscv/jit-cache.c) and the
 * helpers host code calls (target/riscv/jit-helpers.c). Not for use outside them. */
#ifndef TARGET_RISCV_JIT_INTERNAL_H
#define TARGET_RISCV_JIT_INTERNAL_H

#include "target/riscv/jit.h"
#include "target/riscv/jit-x86.h"
#include "target/riscv/tb.h"

/* The most host code one micro-op may take, stubs included; a block is
 * translated only with room for its worst case. An F/D micro-op with its
 * guards, the call of its cold path and the slice exit of a block's first
 * one comes to about 270. */
#define JIT_MAX_OP_BYTES   320
#define JIT_MAX_BLOCK_BYTES ((TB_MAX_INSNS + 8) * JIT_MAX_OP_BYTES)

struct JitCache {
    uint8_t *rw;                 /* the buffer's writable view */
    uint8_t *rx;                 /* ... and its executable one (same pages) */
    size_t size;
    uint32_t used;
    uint32_t code_start;         /* blocks start here (after the trampoline) */
    uint32_t trampoline;         /* void (*)(cpu, body, vpc, JitExit *, tlb) */
    uint32_t epilogue;           /* every exit ends here */
    unsigned threshold;          /* interpreted entries before host code */
    bool host_fma;               /* the host has FMA3 (and the OS the AVX state) */
    JitStats stats;
};

/* jit-gen.c: emits tb's host code at j->used; false when it did not fit. */
bool jit_gen_block(JitCache *j, struct TB *tb);
/* jit-gen.c: the trampoline and epilogue at the start of the buffer. */
void jit_gen_trampoline(JitCache *j);

/* jit-helpers.c: called from host code. Each returns 0 to go on with the
 * next micro-op, or 1 when host code must return (ex is filled). */
int jit_helper_load(struct RISCVCPU *cpu, uint64_t va, const MicroOp *op, struct TB *tb,
                    JitExit *ex, uint64_t vpc);
int jit_helper_store(struct RISCVCPU *cpu, uint64_t va, const MicroOp *op, struct TB *tb,
                     JitExit *ex, uint64_t vpc);
int jit_helper_fp(struct RISCVCPU *cpu, uint64_t unused, const MicroOp *op, struct TB *tb,
                  JitExit *ex, uint64_t vpc);
/* Pure two-operand operations host code does not inline (division, most
 * of B): rd = f(a, b) by micro-op kind. */
typedef uint64_t (*JitPureFn)(uint64_t a, uint64_t b);
JitPureFn jit_pure_fn(unsigned opc);

#endif

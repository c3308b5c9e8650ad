/* The x86-64 back end for translated blocks: what the dispatch loop
 * (target/riscv/exec.c) and the translation cache (target/riscv/exec-cache.c)
 * see of it. Host code is generated per TB from its micro-ops; whatever it
 * does not emit it hands back to the dispatch loop at an exact micro-op, so
 * the interpreter stays the one place every instruction is defined.
 *
 * Host code never holds architectural state across an exit: guest registers
 * live in env.gpr, and every exit leaves env as the interpreter would at that
 * micro-op. The code cache is a host resource of the hart's TBCache, dropped
 * with the blocks (flush, arena reset) and never saved. Not for use outside
 * the CPU. */
#ifndef TARGET_RISCV_JIT_H
#define TARGET_RISCV_JIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

struct TB;
struct TBCache;
struct RISCVCPU;

#if defined(__x86_64__) && !defined(AMBER_NO_JIT)
#define JIT_AVAILABLE 1
#else
#define JIT_AVAILABLE 0
#endif

/* Why host code returned to the dispatch loop. */
enum {
    JIT_EXIT_OP,         /* run tb->ops[arg] (and what follows) in the interpreter */
    JIT_EXIT_NEXT,       /* leave after tb->ops[arg] (the interpreter's leave_next) */
    JIT_EXIT_EXCP,       /* tb->ops[arg] raised cause/tval (the interpreter's excp) */
    JIT_EXIT_CHAIN,      /* exit slot arg of tb to npc, not linked (the interpreter's chain) */
    JIT_EXIT_ENTER,      /* a linked entry into tb at vpc found the slice over */
    JIT_EXIT_LOOKUP,     /* indirect jump to npc (the interpreter's lookup_nochain) */
    JIT_EXIT_KINDS
};

/* Filled by host code when it returns; fields fixed for the generated code. */
typedef struct JitExit {
    uint32_t kind;               /* JIT_EXIT_* */
    uint32_t arg;                /* micro-op index or exit slot */
    struct TB *tb;               /* the block the exit belongs to */
    uint64_t vpc;                /* its virtual pc */
    uint64_t npc;                /* CHAIN, LOOKUP: the next pc */
    uint64_t tval;               /* EXCP */
    int32_t cause;               /* EXCP */
} JitExit;

/* Per-hart code cache statistics (info jit). */
typedef struct JitStats {
    size_t code_size;            /* bytes of the code buffer */
    size_t code_used;
    uint64_t blocks;             /* blocks with host code since the last flush */
    uint64_t blocks_total;       /* ... since start */
    uint64_t skipped;            /* blocks left to the interpreter (trace, trigger) */
    uint64_t links;              /* direct jumps patched */
    uint64_t unlinks;            /* direct jumps restored on invalidation */
    uint64_t flushes;            /* code buffer resets */
    uint64_t entries;            /* host code entered from the dispatch loop */
    uint64_t slots;              /* exit slots with a patchable jump, since the last flush */
    uint64_t linked;             /* ... of them linked now */
    uint64_t exits[JIT_EXIT_KINDS];
} JitStats;

typedef struct JitCache JitCache;

/* A block's host code and its direct jumps. Offsets are into the code
 * buffer; 0 means none (the buffer starts with the trampoline). */
typedef struct TBJit {
    uint32_t entry;              /* linked entry: checks the slice, counts the block */
    uint32_t body;               /* the dispatch loop enters here (it counted already) */
    uint32_t slot_jmp[2];        /* rel32 of each exit slot's patchable jump */
    uint32_t slot_stub[2];       /* ... and the exit stub it points to unlinked */
    struct TB *linked[2];        /* where each slot's jump goes, or NULL */
    uintptr_t in_first;          /* blocks jumping here: TB pointer | slot */
    uintptr_t in_next[2];        /* next in the list of linked[slot] */
    uint32_t heat;               /* interpreted entries so far, or JIT_HEAT_NEVER */
} TBJit;

#define JIT_HEAT_NEVER UINT32_MAX
/* Interpreted entries of a block before it gets host code: code that runs
 * once (boot, init) costs less interpreted than translated twice. */
#define JIT_DEFAULT_THRESHOLD 8

/* ---- jit-cache.c ---- */
/* A code buffer of `size` bytes mapped twice (RW for writing, RX for
 * running: no page is writable and executable at once). NULL with err set
 * when the host has no JIT or the mapping fails. */
JitCache *jit_new(size_t size, Error *err);
void jit_free(JitCache *j);
/* Drops every block's host code (the TB arena was reset). */
void jit_reset(JitCache *j);
/* Counts an interpreted entry of tb; at the threshold makes its host code.
 * True when tb now has host code. */
bool jit_warm(JitCache *j, struct TB *tb);
/* Entries before a block gets host code (0: at its first entry). */
void jit_set_threshold(JitCache *j, unsigned n);
/* Room for one more block of the largest size (else the caller flushes). */
bool jit_has_room(const JitCache *j);
/* Makes tb->ops into host code (tb->jit.entry/body). False (and no host
 * code) when the buffer is full: the next translation flushes the cache. */
bool jit_translate(JitCache *j, struct TB *tb);
/* Points exit slot `slot` of src at dst's host code (the dispatch loop
 * chained them). */
void jit_link(JitCache *j, struct TB *src, unsigned slot, struct TB *dst);
/* tb is invalid: every direct jump into it goes back to its exit stub. */
void jit_unlink_incoming(JitCache *j, struct TB *tb);
/* Runs host code at body for tb at vpc until an exit. */
void jit_run(JitCache *j, struct RISCVCPU *cpu, struct TB *tb, uint64_t vpc, JitExit *ex);
const JitStats *jit_stats(const JitCache *j);

#endif

/* Internal types of the executor: micro-ops, translation blocks and the
 * translation cache. Shared by target/riscv/translate.c (decoder), target/riscv/exec-cache.c
 * (cache, invalidation) and target/riscv/exec.c (dispatch loop). Not for use outside
 * the CPU. */
#ifndef TARGET_RISCV_TB_H
#define TARGET_RISCV_TB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "target/riscv/bitmanip.h"
#include "target/riscv/cpu-internal.h"
#include "target/riscv/jit.h"

/* Every micro-op kind. The first part doubles as the decoder's instruction
 * kinds; the rest exist only as micro-ops. The dispatch loop builds its label
 * table from this list, so order does not matter. X takes the name and
 * ignores the rest (the B list carries its semantics along). */
#define TB_FOR_EACH_OP(X) \
    X(ILLEGAL) \
    X(ADDI) X(SLTI) X(SLTIU) X(XORI) X(ORI) X(ANDI) X(SLLI) X(SRLI) X(SRAI) \
    X(ADDIW) X(SLLIW) X(SRLIW) X(SRAIW) \
    X(ADD) X(SUB) X(SLL) X(SLT) X(SLTU) X(XOR) X(SRL) X(SRA) X(OR) X(AND) \
    X(ADDW) X(SUBW) X(SLLW) X(SRLW) X(SRAW) \
    X(MUL) X(MULH) X(MULHSU) X(MULHU) X(DIV) X(DIVU) X(REM) X(REMU) \
    X(MULW) X(DIVW) X(DIVUW) X(REMW) X(REMUW) \
    BITMANIP_OPS(X) \
    X(LUI) X(AUIPC) \
    X(LB) X(LH) X(LW) X(LD) X(LBU) X(LHU) X(LWU) \
    X(SB) X(SH) X(SW) X(SD) \
    X(BEQ) X(BNE) X(BLT) X(BGE) X(BLTU) X(BGEU) \
    X(JAL) X(JALR) \
    X(FENCE) X(FENCE_I) X(ECALL) X(EBREAK) X(MRET) X(SRET) X(WFI) X(SFENCE_VMA) \
    X(CSRRW) X(CSRRS) X(CSRRC) X(CSRRWI) X(CSRRSI) X(CSRRCI) \
    X(LR) X(SC) X(AMO) \
    X(FP)           /* every F/D instruction (target/riscv/exec-fp.c) */ \
    /* micro-op only */ \
    X(LI) X(MV) X(J) X(JR) X(GOTO) X(LOAD_X0) \
    X(BEQZ) X(BNEZ) \
    X(TRACE)        /* -d exec/cpu: first op of a block translated while on */ \
    X(TRIGGER)      /* Sdtrig: execute-address check, while a trigger is armed */ \
    X(DEBUG_BP)     /* a debugger's breakpoint on the next instruction */

enum {
#define TB_OP_ENUM(name, ...) OP_##name,
    TB_FOR_EACH_OP(TB_OP_ENUM)
#undef TB_OP_ENUM
    OP_COUNT
};

/* AMO function codes (instruction bits 31:27). */
enum {
    AMO_ADD = 0x00, AMO_SWAP = 0x01, AMO_LR = 0x02, AMO_SC = 0x03,
    AMO_XOR = 0x04, AMO_OR = 0x08, AMO_AND = 0x0c,
    AMO_MIN = 0x10, AMO_MAX = 0x14, AMO_MINU = 0x18, AMO_MAXU = 0x1c,
};

/* One decoded guest instruction (compressed ones expanded). */
typedef struct DecodedInsn {
    uint8_t op;                  /* OP_* */
    uint8_t rd, rs1, rs2;
    uint8_t len;                 /* 2 or 4 */
    uint8_t size;                /* LR/SC/AMO access size */
    uint8_t funct5;              /* AMO_* */
    uint16_t csr;
    uint32_t fp;                 /* OP_FP: its MicroOp.aux (target/riscv/fpu.h) */
    int64_t imm;                 /* sign-extended immediate (CSR*I: uimm) */
} DecodedInsn;

/* One micro-op: 32 bytes so two share a cache line. Offsets are relative to
 * the block's start, whose virtual pc is only known at run time (a physical
 * block can be entered through several mappings). */
typedef struct MicroOp {
    const void *handler;         /* label in the dispatch loop */
    int64_t imm;                 /* immediate, or target offset for jumps */
    uint32_t aux;                /* fall-through / link offset, CSR number, AMO */
    uint16_t pc_off;             /* offset of the instruction in the block */
    uint8_t rd, rs1, rs2;
    uint8_t idx;                 /* index of the instruction in the block */
    uint8_t len;                 /* instruction length (fused: both) */
    uint8_t opc;                 /* OP_* */
    uint32_t insn;               /* raw bits: tval for illegal instructions */
} MicroOp;

#define TB_MAX_INSNS  128        /* fits MicroOp.idx */
#define TB_NO_PAGE2   (~0ull)

typedef struct TB {
    uint64_t phys;               /* physical address of the first byte */
    uint64_t page2;              /* second physical page (straddling insn) */
    struct TB *hnext;            /* hash chain */
    uintptr_t page_next[2];      /* page lists: TB pointer | page slot */
    struct TB *jmp[2];           /* chained successors (exit slots) */
    uint32_t n_insns;            /* guest instructions in the block */
    uint16_t size;               /* guest code bytes */
    uint16_t n_ops;
    uint8_t priv;
    uint8_t valid;
    uint8_t chain_ok[2];         /* exit slot targets the start page */
    TBJit jit;                   /* host code (target/riscv/jit.h), or none */
    MicroOp ops[];
} TB;

/* Virtual-pc jump cache entry (pc 1 = empty: pcs are even). */
typedef struct JCEntry {
    uint64_t pc;
    TB *tb;
} JCEntry;

/* Translated code on one physical page: a bit per 64-byte granule holding
 * code, so stores next to code but not on it cost a bitmap test only. */
typedef struct PageDesc {
    uint64_t key;                /* page number + 1; 0 = free slot */
    uint64_t bitmap;
    uintptr_t first;             /* TB list (tagged with the page slot) */
} PageDesc;

#define TB_HASH_BITS  17
#define TB_JC_BITS    12
#define TB_PAGES_BITS 14
#ifndef TB_ARENA_SIZE
#define TB_ARENA_SIZE (64u << 20)    /* full: flush everything */
#endif

#ifndef TB_JIT_SIZE
#define TB_JIT_SIZE   (64u << 20)    /* host code per hart: full, flush everything */
#endif

/* exec-jc.c: the jump cache of an address space the hart left. */
typedef struct JCSpace JCSpace;
#define TB_JC_SPACES 8

typedef struct TBCache {
    uint8_t *arena;
    size_t arena_used;
    uint64_t gen;                /* bumped when the arena is reset */
    bool reset_pending;          /* flushed: reset the arena at next translation */
    const void *const *labels;   /* OP_* -> handler, from the dispatch loop */
    TB *cur_tb;                  /* block running a slow-path access, or NULL */
    JitCache *jit;               /* host code back end, NULL: interpreter only */
    unsigned pages_used;
    TB *hash[1 << TB_HASH_BITS];
    JCEntry jc[1 << TB_JC_BITS];
    uint64_t jc_satp;            /* the address space jc belongs to */
    JCSpace *jc_spaces;          /* TB_JC_SPACES others, NULL until a switch */
    uint64_t jc_clock;           /* for least-recently-left replacement */
    PageDesc pages[1 << TB_PAGES_BITS];
} TBCache;

/* The block runs as host code: it has some, or it has just become hot
 * enough to get it (jit-cache.c: jit_warm). */
static inline bool tb_jit_ready(TBCache *c, TB *tb)
{
    return tb->jit.body || (c->jit && tb->jit.heat != JIT_HEAT_NEVER && jit_warm(c->jit, tb));
}

/* ---- translate.c ---- */
/* Decodes one instruction (the low 16 bits only when compressed); returns its
 * length. Unknown encodings give OP_ILLEGAL. */
unsigned translate_decode(uint32_t insn, DecodedInsn *d);
/* Fills tb->ops from `avail` bytes of guest code at `code` (the block start,
 * at offset page_off in its page). Sets n_ops, n_insns, size, chain_ok.
 * With dbg, an instruction at a breakpoint (vpc + its offset) gets an
 * OP_DEBUG_BP in front of it and is never fused with the one before. */
void translate_block(TB *tb, const uint8_t *code, unsigned avail,
                     unsigned page_off, unsigned max_insns,
                     const CPUDebugPoints *dbg, uint64_t vpc);

/* ---- exec-cache.c ---- */
/* Block for virtual pc in the current mode, translating it if needed.
 * NULL on a fetch fault (cause and tval filled). */
TB *exec_find_tb(RISCVCPU *cpu, uint64_t vpc, int *cause, uint64_t *tval);
/* A block of at most cap instructions at vpc, outside the cache (entered
 * once, by an exact stop: RISCVCPU.icount_exact). */
TB *exec_find_tb_capped(RISCVCPU *cpu, uint64_t vpc, unsigned cap, int *cause, uint64_t *tval);

/* ---- exec-jc.c ---- */
/* Empties the jump cache and every kept copy (mappings may have changed). */
void exec_jc_clear(TBCache *c);
/* The hart now runs under satp: the current jump cache is kept as the old
 * address space's, and the new one's comes back if it was kept. */
void exec_jc_switch(TBCache *c, uint64_t satp);

/* ---- cpu-log.c ---- */
/* -d exec and cpu: the trace line and register dump of a block entered at
 * vpc (run by the block's OP_TRACE). */
void exec_log_tb(RISCVCPU *cpu, const TB *tb, uint64_t vpc);
/* -d in_asm: a block's guest code (tb->size bytes at code), QEMU's layout. */
void exec_log_in_asm(RISCVCPU *cpu, const TB *tb, uint64_t vpc, const uint8_t *code);

#endif

/* The JIT's code generator: x86-64 host code from a block's micro-ops.
 *
 * Registers while host code runs: rbx = the hart (env.gpr at offset 0),
 * r12 = the block's virtual pc, r13 = the data TLB of the current MMU index,
 * r14 = the JitExit to fill, r15 and rbp = env.icount and env.instret (a
 * memory add per block would make a store-forwarding chain through all
 * blocks; the epilogue writes them back, as does every call into C that may
 * look at time). Guest registers live in env.gpr; inside a block
 * up to four of them are cached in r8-r11 (loaded on first use,
 * written back when evicted), and every cached value that changed is
 * written back before anything that leaves the block or calls C: an exit,
 * a helper, a slow path. So no exit leaves architectural state in a host
 * register.
 *
 * Counting is the interpreter's (target/riscv/exec.c): a block counts all its
 * instructions when entered; the slow-path helpers wind the count back around
 * calls that can observe time; an exit before the end hands the dispatch loop
 * the exact micro-op, and it removes what did not run. */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "target/riscv/jit-gen.h"

#if JIT_AVAILABLE

#define GPR(r)      ((int32_t)(offsetof(RISCVCPU, env.gpr) + 8u * (r)))
#define OFF_ICOUNT  ((int32_t)offsetof(RISCVCPU, env.icount))
#define OFF_INSTRET ((int32_t)offsetof(RISCVCPU, env.instret))
#define OFF_LIMIT   ((int32_t)offsetof(RISCVCPU, icount_limit))
#define OFF_GUARD   ((int32_t)offsetof(RISCVCPU, jit_guard))
#define EX(f)       ((int32_t)offsetof(JitExit, f))

_Static_assert(sizeof(TLBEntry) == 40, "the TLB index scaling assumes 40-byte entries");
_Static_assert(TLB_SIZE == 256, "the TLB index is one byte");
_Static_assert(PAGE_BITS == 12, "4 KiB pages");

static const int cache_host[JG_NCACHE] = { R8, R9, R10, R11 };
#define NCACHE JG_NCACHE
/* env.icount and env.instret while host code runs (written back by the
 * epilogue, and around calls into C that look at them). */
#define R_ICOUNT  R15
#define R_INSTRET RBP

/* ---- guest registers: the cache ---- */

static int rc_find(const RegCache *rc, unsigned r)
{
    for (int i = 0; i < NCACHE; i++) {
        if (rc->guest[i] == r) {
            return i;
        }
    }
    return -1;
}

/* Writes back the changed registers of cache state rc (the code it emits
 * runs where rc holds). */
static void rc_flush_state(XBuf *b, RegCache *rc)
{
    for (int i = 0; i < NCACHE; i++) {
        if (rc->guest[i] && rc->dirty[i]) {
            x_store64(b, cache_host[i], RBX, GPR(rc->guest[i]));
            rc->dirty[i] = 0;
        }
    }
}

static void g_flush(Gen *g)
{
    rc_flush_state(&g->b, &g->rc);
}

/* After a call into C: the caller-saved cache registers are gone, and the
 * call may have written any guest register. */
static void g_forget(Gen *g)
{
    memset(&g->rc, 0, sizeof(g->rc));
}

/* A cache register for r: found, or a free / least recently used one
 * (written back first). load: fill it from env.gpr. */
static int rc_get(Gen *g, unsigned r, bool load)
{
    RegCache *rc = &g->rc;
    int i = rc_find(rc, r);
    if (i < 0) {
        i = 0;
        for (int k = 0; k < NCACHE; k++) {
            if (!rc->guest[k]) {
                i = k;
                break;
            }
            if (rc->used[k] < rc->used[i]) {
                i = k;
            }
        }
        if (rc->guest[i] && rc->dirty[i]) {
            x_store64(&g->b, cache_host[i], RBX, GPR(rc->guest[i]));
        }
        rc->guest[i] = (uint8_t)r;
        rc->dirty[i] = 0;
        if (load) {
            x_load64(&g->b, cache_host[i], RBX, GPR(r));
        }
    }
    rc->used[i] = ++g->clock;
    return i;
}

/* host register h = guest register r */
static void g_ld(Gen *g, int h, unsigned r)
{
    if (r == 0) {
        x_mov_imm(&g->b, h, 0);
    } else {
        x_mov_rr(&g->b, h, cache_host[rc_get(g, r, true)]);
    }
}

/* guest register rd = host register h */
static void g_st(Gen *g, int h, unsigned rd)
{
    if (rd != 0) {
        int i = rc_get(g, rd, false);
        x_mov_rr(&g->b, cache_host[i], h);
        g->rc.dirty[i] = 1;
    }
}

int jg_src(Gen *g, unsigned r, int temp)
{
    if (r == 0) {
        x_mov_imm(&g->b, temp, 0);
        return temp;
    }
    return cache_host[rc_get(g, r, true)];
}

int jg_dst(Gen *g, unsigned rd)
{
    int i = rc_get(g, rd, false);
    g->rc.dirty[i] = 1;
    return cache_host[i];
}

/* guest register rd = imm */
static void g_st_imm(Gen *g, unsigned rd, uint64_t v)
{
    if (rd != 0) {
        int i = rc_get(g, rd, false);
        x_mov_imm(&g->b, cache_host[i], v);
        g->rc.dirty[i] = 1;
    }
}

/* ---- exits ---- */

static void g_jmp_to(Gen *g, uint32_t target)
{
    x_patch(&g->b, x_jmp(&g->b), target);
}

/* Fills the JitExit (kind, arg, tb, vpc = r12) and returns to the dispatch
 * loop. The caller stored npc first when the kind has one. */
static void g_exit(Gen *g, unsigned kind, unsigned arg)
{
    XBuf *b = &g->b;
    g_flush(g);
    x_store_imm32(b, R14, EX(kind), kind);
    x_store_imm32(b, R14, EX(arg), arg);
    x_mov_imm(b, RAX, (uint64_t)(uintptr_t)g->tb);
    x_store64(b, RAX, R14, EX(tb));
    x_store64(b, R12, R14, EX(vpc));
    g_jmp_to(g, g->j->epilogue);
}

/* Exit slot n to r12 + off: a patchable direct jump, first to its stub,
 * which hands the dispatch loop the slot (it looks the target up and
 * links it). */
static void g_slot(Gen *g, unsigned n, int64_t off)
{
    XBuf *b = &g->b;
    g_flush(g);
    x_lea(b, R12, R12, (int32_t)off);
    uint32_t at = x_jmp(b);
    g->tb->jit.slot_jmp[n] = at;
    g->j->stats.slots++;
    g->tb->jit.slot_stub[n] = b->pos;
    x_patch(b, at, b->pos);
    x_store64(b, R12, R14, EX(npc));
    g_exit(g, JIT_EXIT_CHAIN, n);
}

static void g_counts_out(XBuf *b)
{
    x_store64(b, R_ICOUNT, RBX, OFF_ICOUNT);
    x_store64(b, R_INSTRET, RBX, OFF_INSTRET);
}

static void g_counts_in(XBuf *b)
{
    x_load64(b, R_ICOUNT, RBX, OFF_ICOUNT);
    x_load64(b, R_INSTRET, RBX, OFF_INSTRET);
}

void jg_call_helper(Gen *g, const MicroOp *op, const void *fn)
{
    XBuf *b = &g->b;
    g_flush(g);
    g_counts_out(b);
    x_mov_rr(b, RDI, RBX);
    x_mov_imm(b, RDX, (uint64_t)(uintptr_t)op);
    x_mov_imm(b, RCX, (uint64_t)(uintptr_t)g->tb);
    x_mov_rr(b, R8, R14);
    x_mov_rr(b, R9, R12);
    x_call_abs(b, fn);
    g_counts_in(b);
    x_test_rr(b, 0, RAX, RAX);
    x_patch(b, x_jcc(b, CC_NE), g->j->epilogue);
    g_forget(g);
}

void jg_add_cold(Gen *g, const uint32_t *sites, unsigned n, const MicroOp *op, unsigned kind,
                 const RegCache *before)
{
    Cold *c = &g->cold[g->n_cold++];
    for (unsigned i = 0; i < n; i++) {
        c->site[i] = sites[i];
    }
    c->n_sites = (uint8_t)n;
    c->resume = g->b.pos;
    c->op = op;
    c->kind = (uint8_t)kind;
    c->before = *before;
    c->after = g->rc;
}

static void g_add_cold(Gen *g, uint32_t site, const MicroOp *op, unsigned kind,
                       const RegCache *before)
{
    jg_add_cold(g, &site, 1, op, kind, before);
}

/* ---- memory: the TLB fast path inline ---- */

int32_t jg_off_limit(void)
{
    return OFF_LIMIT;
}

void jg_addr(Gen *g, const MicroOp *op)
{
    if (op->rs1 == 0) {
        x_mov_imm(&g->b, RSI, (uint64_t)op->imm);
    } else {
        x_lea(&g->b, RSI, cache_host[rc_get(g, op->rs1, true)], (int32_t)op->imm);
    }
}

uint32_t jg_tlb_probe(Gen *g, unsigned size, int32_t tag_off)
{
    XBuf *b = &g->b;
    x_mov_rr(b, RAX, RSI);
    x_shift_ri(b, 1, SH_SHR, RAX, PAGE_BITS);
    x_rr(b, 0, 0x0fb6, RAX, RAX);                              /* movzx eax, al */
    x_mem_ex(b, 0, 1, 0x8d, RAX, RAX, RAX, 4, 0, false);       /* lea rax, [rax+rax*4] */
    x_mov_rr(b, RDX, RSI);
    x_alu_ri(b, 1, ALU_AND, RDX, (int32_t)(PAGE_MASK | (size - 1)));
    x_mem_ex(b, 0, 1, 0x3b, RDX, R13, RAX, 8, tag_off, false); /* cmp rdx, tag */
    uint32_t miss = x_jcc(b, CC_NE);
    x_mem_ex(b, 0, 1, 0x8b, RAX, R13, RAX, 8, (int32_t)offsetof(TLBEntry, addend), false);
    return miss;
}

/* rsi = virtual address; leaves rax = the host addend and jumps to a
 * cold call when the tag at tag_off does not match. Returns that jump. */
static uint32_t g_tlb_check(Gen *g, const MicroOp *op, unsigned size, int32_t tag_off,
                            RegCache *before)
{
    jg_addr(g, op);
    *before = g->rc;
    return jg_tlb_probe(g, size, tag_off);
}

static void g_load(Gen *g, const MicroOp *op)
{
    RegCache before;
    static const struct { uint8_t size, w; uint32_t opc; } f[] = {
        [OP_LB - OP_LB] = { 1, 1, 0x0fbe }, [OP_LH - OP_LB] = { 2, 1, 0x0fbf },
        [OP_LW - OP_LB] = { 4, 1, 0x63 },   [OP_LD - OP_LB] = { 8, 1, 0x8b },
        [OP_LBU - OP_LB] = { 1, 0, 0x0fb6 }, [OP_LHU - OP_LB] = { 2, 0, 0x0fb7 },
        [OP_LWU - OP_LB] = { 4, 0, 0x8b },
    };
    unsigned i = op->opc - OP_LB;
    uint32_t miss = g_tlb_check(g, op, f[i].size, (int32_t)offsetof(TLBEntry, tag_read), &before);
    /* (translate.c makes a load into x0 a LOAD_X0) */
    x_mem_ex(&g->b, 0, f[i].w, f[i].opc, op->rd ? jg_dst(g, op->rd) : RCX, RSI, RAX, 1, 0, false);
    g_add_cold(g, miss, op, JG_COLD_LOAD, &before);
}

static void g_store(Gen *g, const MicroOp *op)
{
    static const uint8_t sizes[] = { 1, 2, 4, 8 };
    unsigned size = sizes[op->opc - OP_SB];
    RegCache before;
    /* the value first: the cold path's helper reads it from env.gpr */
    int v = jg_src(g, op->rs2, RCX);
    uint32_t miss = g_tlb_check(g, op, size, (int32_t)offsetof(TLBEntry, tag_write), &before);
    x_mem_ex(&g->b, size == 2, size == 8, size == 1 ? 0x88 : 0x89, v, RSI, RAX, 1, 0, false);
    g_add_cold(g, miss, op, JG_COLD_STORE, &before);
}

static void g_cold(Gen *g, const Cold *c)
{
    static const void *const helpers[] = {
        [JG_COLD_LOAD] = (const void *)jit_helper_load,
        [JG_COLD_STORE] = (const void *)jit_helper_store,
        [JG_COLD_FP] = (const void *)jit_helper_fp,
    };
    XBuf *b = &g->b;
    for (unsigned i = 0; i < c->n_sites; i++) {
        x_patch(b, c->site[i], b->pos);
    }
    if (c->kind == JG_COLD_ENTER) {
        g_forget(g);
        g_exit(g, JIT_EXIT_ENTER, 0);
        return;
    }
    if (c->kind == JG_COLD_NEXT) {
        g->rc = c->before;
        g_exit(g, JIT_EXIT_NEXT, (unsigned)(c->op - g->tb->ops));
        return;
    }
    /* rsi still holds the virtual address. The helper sees env complete
     * (the cache as at the jump, written back); after it, the cache as the
     * fast path leaves it is refilled from env (the helper wrote rd). */
    g->rc = c->before;
    jg_call_helper(g, c->op, helpers[c->kind]);
    for (int i = 0; i < NCACHE; i++) {
        if (c->after.guest[i]) {
            x_load64(b, cache_host[i], RBX, GPR(c->after.guest[i]));
        }
    }
    g_jmp_to(g, c->resume);
}

/* ---- integer operations ---- */

/* rd = rs1 OP rs2 (64-bit, or 32-bit sign-extended when w32), on the
 * cache registers: the sources first, so taking rd's cannot evict them. */
static void g_alu_rr(Gen *g, const MicroOp *op, uint8_t opc, bool w32)
{
    XBuf *b = &g->b;
    if (!op->rd) {
        return;
    }
    int a = jg_src(g, op->rs1, RAX), c = jg_src(g, op->rs2, RCX);
    int d = jg_dst(g, op->rd);
    if (w32 || (d == c && d != a)) {
        x_mov_rr(b, RDX, a);
        x_alu_rr(b, !w32, opc, RDX, c);
        if (w32) {
            x_movsxd(b, d, RDX);
        } else {
            x_mov_rr(b, d, RDX);
        }
        return;
    }
    if (d != a) {
        x_mov_rr(b, d, a);
    }
    x_alu_rr(b, 1, opc, d, c);
}

static void g_alu_ri(Gen *g, const MicroOp *op, int digit, bool w32)
{
    XBuf *b = &g->b;
    if (!op->rd) {
        return;
    }
    int a = jg_src(g, op->rs1, RAX);
    int d = jg_dst(g, op->rd);
    if (w32) {
        x_mov_rr(b, RDX, a);
        x_alu_ri(b, 0, digit, RDX, (int32_t)op->imm);
        x_movsxd(b, d, RDX);
        return;
    }
    if (d != a) {
        x_mov_rr(b, d, a);
    }
    x_alu_ri(b, 1, digit, d, (int32_t)op->imm);
}

static void g_shift(Gen *g, const MicroOp *op, int digit, bool w32, bool by_reg)
{
    XBuf *b = &g->b;
    if (!op->rd) {
        return;
    }
    int a = jg_src(g, op->rs1, RAX);
    if (by_reg) {
        int c = jg_src(g, op->rs2, RCX);
        if (c != RCX) {
            x_mov_rr(b, RCX, c);
        }
    }
    int d = jg_dst(g, op->rd);
    x_mov_rr(b, RDX, a);
    if (by_reg) {
        x_shift_rcl(b, !w32, digit, RDX);       /* x86 masks the count as RISC-V does */
    } else {
        x_shift_ri(b, !w32, digit, RDX, (uint8_t)op->imm);
    }
    if (w32) {
        x_movsxd(b, d, RDX);
    } else {
        x_mov_rr(b, d, RDX);
    }
}

static void g_set(Gen *g, const MicroOp *op, int cc, bool imm)
{
    XBuf *b = &g->b;
    int a = jg_src(g, op->rs1, RAX);
    if (imm) {
        x_alu_ri(b, 1, ALU_CMP, a, (int32_t)op->imm);
    } else {
        int c = jg_src(g, op->rs2, RCX);
        x_alu_rr(b, 1, 0x39, a, c);
    }
    x_setcc_movzx(b, cc, RAX);
    g_st(g, RAX, op->rd);
}

static void g_mul(Gen *g, const MicroOp *op)
{
    XBuf *b = &g->b;
    g_ld(g, RAX, op->rs1);
    g_ld(g, RCX, op->rs2);
    switch (op->opc) {
    case OP_MUL:
        x_imul_rr(b, 1, RAX, RCX);
        g_st(g, RAX, op->rd);
        return;
    case OP_MULW:
        x_imul_rr(b, 0, RAX, RCX);
        x_movsxd(b, RAX, RAX);
        g_st(g, RAX, op->rd);
        return;
    case OP_MULH:
        x_rr(b, 1, 0xf7, 5, RCX);                /* imul rcx: rdx:rax */
        break;
    case OP_MULHU:
        x_rr(b, 1, 0xf7, 4, RCX);                /* mul rcx */
        break;
    default:                                     /* MULHSU: mulhu - (a < 0 ? b : 0) */
        x_rr(b, 1, 0xf7, 4, RCX);
        g_ld(g, RAX, op->rs1);
        x_shift_ri(b, 1, SH_SAR, RAX, 63);
        x_alu_rr(b, 1, 0x21, RAX, RCX);
        x_alu_rr(b, 1, 0x29, RDX, RAX);
        break;
    }
    g_st(g, RDX, op->rd);
}

/* rd = f(rs1, b) through a C function (division, bit manipulation). */
static void g_pure(Gen *g, const MicroOp *op, int form)
{
    XBuf *b = &g->b;
    g_ld(g, RDI, op->rs1);
    if (form == 0) {
        g_ld(g, RSI, op->rs2);
    } else {
        x_mov_imm(b, RSI, form == 1 ? (uint64_t)op->imm : 0);
    }
    g_flush(g);
    x_call_abs(b, (const void *)jit_pure_fn(op->opc));
    g_forget(g);
    g_st(g, RAX, op->rd);
}

/* Operand form of a pure op: 0 = rs1, rs2; 1 = rs1, imm; 2 = rs1 alone. */
static int pure_form(unsigned opc)
{
    switch (opc) {
#define BM_FORM_RR 0
#define BM_FORM_RI 1
#define BM_FORM_R  2
#define BM_CASE(name, fn, form, mn) case OP_##name: return BM_FORM_##form;
    BITMANIP_OPS(BM_CASE)
#undef BM_CASE
    default:
        return 0;
    }
}

/* ---- control flow ---- */

static void g_branch(Gen *g, const MicroOp *op, int cc)
{
    XBuf *b = &g->b;
    int a = jg_src(g, op->rs1, RAX);
    if (op->opc == OP_BEQZ || op->opc == OP_BNEZ || op->rs2 == 0) {
        g_flush(g);
        x_test_rr(b, 1, a, a);                 /* compared with x0 */
    } else {
        int c = jg_src(g, op->rs2, RCX);
        g_flush(g);                             /* both exits leave env complete */
        x_alu_rr(b, 1, 0x39, a, c);
    }
    uint32_t taken = x_jcc(b, cc);
    g_slot(g, 1, op->aux);
    x_patch(b, taken, b->pos);
    g_slot(g, 0, op->imm);
}

/* An indirect jump to rax: the dispatch loop's jump cache, inline. A hit
 * on a valid block of this privilege with host code goes to its linked
 * entry (which checks the slice and counts); anything else, and a pending
 * translation change, goes back to the dispatch loop's lookup. */
static void g_lookup(Gen *g)
{
    XBuf *b = &g->b;
    uint32_t miss[5];
    g_flush(g);
    x_mem(b, 0, 0x80, 7, RBX, (int32_t)offsetof(RISCVCPU, translation_changed));
    x_b(b, 0);                                              /* cmp byte [..], 0 */
    miss[0] = x_jcc(b, CC_NE);
    x_mov_rr(b, RCX, RAX);
    x_shift_ri(b, 1, SH_SHR, RCX, 1);
    x_alu_ri(b, 0, ALU_AND, RCX, (1 << TB_JC_BITS) - 1);
    x_shift_ri(b, 1, SH_SHL, RCX, 4);
    _Static_assert(sizeof(JCEntry) == 16, "jump cache entries are 16 bytes");
    x_load64(b, RDX, RBX, (int32_t)offsetof(RISCVCPU, tbc));
    x_mem_ex(b, 0, 1, 0x8d, RDX, RDX, RCX, 1, (int32_t)offsetof(TBCache, jc), false);
    x_alu_rm(b, 1, 0x3b, RAX, RDX, (int32_t)offsetof(JCEntry, pc));
    miss[1] = x_jcc(b, CC_NE);
    x_load64(b, RDX, RDX, (int32_t)offsetof(JCEntry, tb));
    x_mem(b, 0, 0x80, 7, RDX, (int32_t)offsetof(TB, valid));
    x_b(b, 0);
    miss[2] = x_jcc(b, CC_E);
    x_mem(b, 0, 0x0fb6, RCX, RDX, (int32_t)offsetof(TB, priv));   /* movzx ecx, byte */
    x_mem(b, 0, 0x3a, RCX, RBX, (int32_t)offsetof(RISCVCPU, env.priv)); /* cmp cl, [priv] */
    miss[3] = x_jcc(b, CC_NE);
    x_mem(b, 0, 0x8b, RCX, RDX, (int32_t)offsetof(TB, jit.entry));  /* mov ecx, entry */
    x_test_rr(b, 0, RCX, RCX);
    miss[4] = x_jcc(b, CC_E);
    x_mov_rr(b, R12, RAX);
    x_mov_imm(b, RDX, (uint64_t)(uintptr_t)g->j->rx);
    x_alu_rr(b, 1, 0x01, RCX, RDX);
    x_rr(b, 0, 0xff, 4, RCX);                               /* jmp rcx */
    for (unsigned i = 0; i < 5; i++) {
        x_patch(b, miss[i], b->pos);
    }
    x_store64(b, RAX, R14, EX(npc));
    g_exit(g, JIT_EXIT_LOOKUP, 0);
}

static void g_jalr(Gen *g, const MicroOp *op)
{
    XBuf *b = &g->b;
    g_ld(g, RAX, op->rs1);
    if (op->imm) {
        x_alu_ri(b, 1, ALU_ADD, RAX, (int32_t)op->imm);
    }
    x_alu_ri(b, 1, ALU_AND, RAX, -2);
    if (op->opc == OP_JALR) {
        x_lea(b, RCX, R12, (int32_t)op->aux);
        g_st(g, RCX, op->rd);
    }
    g_lookup(g);
}

/* Emits micro-op k; false when it ended the block's host code. */
static bool g_op(Gen *g, unsigned k)
{
    const MicroOp *op = &g->tb->ops[k];
    XBuf *b = &g->b;

    switch (op->opc) {
    case OP_LI:
    case OP_LUI:
        g_st_imm(g, op->rd, (uint64_t)op->imm);
        return true;
    case OP_MV:
        if (op->rd) {
            int a = jg_src(g, op->rs1, RAX);
            x_mov_rr(b, jg_dst(g, op->rd), a);
        }
        return true;
    case OP_AUIPC:
        if (op->rd) {
            int d = jg_dst(g, op->rd);
            if (x_fits32(op->imm)) {
                x_lea(b, d, R12, (int32_t)op->imm);
            } else {
                x_mov_imm(b, d, (uint64_t)op->imm);
                x_alu_rr(b, 1, 0x01, d, R12);
            }
        }
        return true;
    case OP_ADDI:  g_alu_ri(g, op, ALU_ADD, false); return true;
    case OP_XORI:  g_alu_ri(g, op, ALU_XOR, false); return true;
    case OP_ORI:   g_alu_ri(g, op, ALU_OR, false); return true;
    case OP_ANDI:  g_alu_ri(g, op, ALU_AND, false); return true;
    case OP_ADDIW: g_alu_ri(g, op, ALU_ADD, true); return true;
    case OP_SLTI:  g_set(g, op, CC_L, true); return true;
    case OP_SLTIU: g_set(g, op, CC_B, true); return true;
    case OP_SLT:   g_set(g, op, CC_L, false); return true;
    case OP_SLTU:  g_set(g, op, CC_B, false); return true;
    case OP_SLLI:  g_shift(g, op, SH_SHL, false, false); return true;
    case OP_SRLI:  g_shift(g, op, SH_SHR, false, false); return true;
    case OP_SRAI:  g_shift(g, op, SH_SAR, false, false); return true;
    case OP_SLLIW: g_shift(g, op, SH_SHL, true, false); return true;
    case OP_SRLIW: g_shift(g, op, SH_SHR, true, false); return true;
    case OP_SRAIW: g_shift(g, op, SH_SAR, true, false); return true;
    case OP_SLL:   g_shift(g, op, SH_SHL, false, true); return true;
    case OP_SRL:   g_shift(g, op, SH_SHR, false, true); return true;
    case OP_SRA:   g_shift(g, op, SH_SAR, false, true); return true;
    case OP_SLLW:  g_shift(g, op, SH_SHL, true, true); return true;
    case OP_SRLW:  g_shift(g, op, SH_SHR, true, true); return true;
    case OP_SRAW:  g_shift(g, op, SH_SAR, true, true); return true;
    case OP_ADD:   g_alu_rr(g, op, 0x01, false); return true;
    case OP_SUB:   g_alu_rr(g, op, 0x29, false); return true;
    case OP_XOR:   g_alu_rr(g, op, 0x31, false); return true;
    case OP_OR:    g_alu_rr(g, op, 0x09, false); return true;
    case OP_AND:   g_alu_rr(g, op, 0x21, false); return true;
    case OP_ADDW:  g_alu_rr(g, op, 0x01, true); return true;
    case OP_SUBW:  g_alu_rr(g, op, 0x29, true); return true;
    case OP_MUL: case OP_MULW: case OP_MULH: case OP_MULHU: case OP_MULHSU:
        g_mul(g, op);
        return true;
    case OP_DIV: case OP_DIVU: case OP_REM: case OP_REMU:
    case OP_DIVW: case OP_DIVUW: case OP_REMW: case OP_REMUW:
        g_pure(g, op, 0);
        return true;
    case OP_LB: case OP_LH: case OP_LW: case OP_LD:
    case OP_LBU: case OP_LHU: case OP_LWU:
        g_load(g, op);
        return true;
    case OP_SB: case OP_SH: case OP_SW: case OP_SD:
        g_store(g, op);
        return true;
    case OP_LOAD_X0:
        g_ld(g, RSI, op->rs1);
        if (op->imm) {
            x_alu_ri(b, 1, ALU_ADD, RSI, (int32_t)op->imm);
        }
        jg_call_helper(g, op, (const void *)jit_helper_load);
        return true;
    case OP_FP:
        jit_fp_gen(g, op);
        return true;
    case OP_FENCE:
        return true;
    case OP_BEQ:  g_branch(g, op, CC_E); return false;
    case OP_BNE:  g_branch(g, op, CC_NE); return false;
    case OP_BLT:  g_branch(g, op, CC_L); return false;
    case OP_BGE:  g_branch(g, op, CC_GE); return false;
    case OP_BLTU: g_branch(g, op, CC_B); return false;
    case OP_BGEU: g_branch(g, op, CC_AE); return false;
    case OP_BEQZ: g_branch(g, op, CC_E); return false;
    case OP_BNEZ: g_branch(g, op, CC_NE); return false;
    case OP_JAL:
        if (op->rd) {
            x_lea(b, jg_dst(g, op->rd), R12, (int32_t)op->aux);
        }
        g_slot(g, 0, op->imm);
        return false;
    case OP_J:
    case OP_GOTO:
        g_slot(g, 0, op->imm);
        return false;
    case OP_JALR:
    case OP_JR:
        g_jalr(g, op);
        return false;
    default:
        if (op->opc >= BITMANIP_FIRST_OP && op->opc <= BITMANIP_LAST_OP) {
            g_pure(g, op, pure_form(op->opc));
            return true;
        }
        /* CSRs, atomics, system instructions: the interpreter runs them
         * (and the rest of the block) from here. */
        g_exit(g, JIT_EXIT_OP, k);
        return false;
    }
}

bool jit_gen_block(JitCache *j, TB *tb)
{
    _Static_assert(offsetof(RISCVCPU, env) == 0, "host code addresses the hart as env");
    Gen *g = malloc(sizeof(*g));
    if (!g) {
        return false;
    }
    XBuf *b = &g->b;
    g->j = j;
    g->tb = tb;
    g->n_cold = 0;
    g->clock = 0;
    g->fs_on = false;
    g->fs_dirty = false;
    memset(&g->rc, 0, sizeof(g->rc));
    b->base = j->rw;
    b->pos = (j->used + 15) & ~15u;
    b->limit = (uint32_t)j->size;
    b->full = false;

    /* The linked entry: the dispatch loop's block check and count. From
     * the guard on (the limit; in exact mode the limit less the largest
     * block) the block goes back to the dispatch loop, which ends the
     * slice there, runs it or, in exact mode, runs a copy cut at the limit
     * (exec.c's `enter`). */
    tb->jit.entry = b->pos;
    x_alu_rm(b, 1, 0x3b, R_ICOUNT, RBX, OFF_GUARD);           /* cmp icount, guard */
    g_add_cold(g, x_jcc(b, CC_AE), NULL, JG_COLD_ENTER, &g->rc);
    x_alu_ri(b, 1, ALU_ADD, R_ICOUNT, (int32_t)tb->n_insns);
    x_alu_ri(b, 1, ALU_ADD, R_INSTRET, (int32_t)tb->n_insns);
    tb->jit.body = b->pos;

    for (unsigned k = 0; k < tb->n_ops; k++) {
        if (!g_op(g, k)) {
            break;
        }
    }
    for (unsigned i = 0; i < g->n_cold; i++) {
        g_cold(g, &g->cold[i]);
    }
    bool ok = !b->full;
    if (ok) {
        j->used = b->pos;
    }
    free(g);
    return ok;
}

void jit_gen_trampoline(JitCache *j)
{
    XBuf b = { .base = j->rw, .pos = 0, .limit = (uint32_t)j->size };
    static const int saved[] = { RBP, RBX, R12, R13, R14, R15 };

    /* (cpu = rdi, body = rsi, vpc = rdx, JitExit * = rcx, tlb = r8):
     * six pushes and 8 bytes keep the stack 16-byte aligned for calls. */
    j->trampoline = b.pos;
    for (unsigned i = 0; i < 6; i++) {
        x_push(&b, saved[i]);
    }
    x_alu_ri(&b, 1, ALU_SUB, RSP, 8);
    x_mov_rr(&b, RBX, RDI);
    x_mov_rr(&b, R12, RDX);
    x_mov_rr(&b, R14, RCX);
    x_mov_rr(&b, R13, R8);
    g_counts_in(&b);
    x_rr(&b, 0, 0xff, 4, RSI);                  /* jmp rsi */
    j->epilogue = b.pos;
    g_counts_out(&b);
    x_alu_ri(&b, 1, ALU_ADD, RSP, 8);
    for (int i = 5; i >= 0; i--) {
        x_pop(&b, saved[i]);
    }
    x_b(&b, 0xc3);                              /* ret */
    j->used = (b.pos + 15) & ~15u;
}

#endif

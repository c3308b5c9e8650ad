/* The translation cache: block lookup by (physical pc, privilege), a virtual
 * pc jump cache in front of it, per-page code bitmaps for self-modifying code
 * detection, and the bump arena blocks live in. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "target/riscv/tb.h"
#include "util/log.h"

#define TB_HASH_MASK  ((1u << TB_HASH_BITS) - 1)
#define TB_JC_MASK    ((1u << TB_JC_BITS) - 1)
#define TB_PAGES_MASK ((1u << TB_PAGES_BITS) - 1)
#define TB_GRANULE_BITS 6        /* 64-byte code granules: 64 per page */

/* Fibonacci hashing: every bit of the address reaches the bucket index,
 * so a guest's many small processes (code at scattered physical pages) do
 * not pile into a few chains. */
static inline unsigned tb_hash(uint64_t phys, unsigned priv)
{
    uint64_t h = ((phys >> 1) ^ ((uint64_t)priv << 62)) * 0x9e3779b97f4a7c15ull;
    return (unsigned)(h >> (64 - TB_HASH_BITS));
}

/* ---- page descriptors (open addressing, never deleted until a flush) ---- */

static PageDesc *page_find(TBCache *c, uint64_t page, bool create)
{
    uint64_t key = page + 1;
    unsigned i = (unsigned)(key * 0x9e3779b97f4a7c15ull >> (64 - TB_PAGES_BITS));
    for (;;) {
        PageDesc *pd = &c->pages[i];
        if (pd->key == key) {
            return pd;
        }
        if (pd->key == 0) {
            if (!create) {
                return NULL;
            }
            pd->key = key;
            c->pages_used++;
            return pd;
        }
        i = (i + 1) & TB_PAGES_MASK;
    }
}

/* Code granules of [start, end) within one page. */
static uint64_t granule_mask(unsigned start, unsigned end)
{
    unsigned a = start >> TB_GRANULE_BITS, b = (end - 1) >> TB_GRANULE_BITS;
    uint64_t hi = b == 63 ? ~0ull : (2ull << b) - 1;
    return hi & ~((1ull << a) - 1);
}

/* Byte range of tb on its page slot n (0: first page, 1: second page). */
static void tb_page_range(const TB *tb, unsigned n, unsigned *start, unsigned *end)
{
    unsigned off = (unsigned)(tb->phys & ~PAGE_MASK);
    unsigned stop = off + tb->size;
    if (n == 0) {
        *start = off;
        *end = stop > PAGE_SIZE ? (unsigned)PAGE_SIZE : stop;
    } else {
        *start = 0;
        *end = stop - (unsigned)PAGE_SIZE;
    }
}

static void page_add_tb(RISCVCPU *cpu, uint64_t page_addr, TB *tb, unsigned n)
{
    TBCache *c = cpu->tbc;
    PageDesc *pd = page_find(c, page_addr >> PAGE_BITS, true);
    unsigned start, end;
    tb_page_range(tb, n, &start, &end);
    if (pd->bitmap == 0) {
        /* First code on the page: route writes to it through the slow path
         * (every hart's: the memory withdraws their fast-path writes). */
        memory_set_code_page(cpu->mem, page_addr);
    }
    pd->bitmap |= granule_mask(start, end);
    tb->page_next[n] = pd->first;
    pd->first = (uintptr_t)tb | n;
}

static void hash_remove(TBCache *c, TB *tb)
{
    TB **p = &c->hash[tb_hash(tb->phys, tb->priv)];
    while (*p) {
        if (*p == tb) {
            *p = tb->hnext;
            return;
        }
        p = &(*p)->hnext;
    }
}

static void tb_invalidate(RISCVCPU *cpu, TB *tb)
{
    TBCache *c = cpu->tbc;
    tb->valid = 0;
    hash_remove(c, tb);
    cpu->stats.tb_invalidated++;
    if (c->jit) {
        jit_unlink_incoming(c->jit, tb);
    }
    if (tb == c->cur_tb) {
        cpu->tb_invalidated = true;
    }
}

/* Invalidates the blocks of one page overlapping [start, end), drops dead
 * entries from its list and recomputes its bitmap. */
static void page_invalidate(RISCVCPU *cpu, PageDesc *pd, uint64_t page_addr,
                            unsigned start, unsigned end)
{
    uintptr_t p = pd->first, *link = &pd->first;
    uint64_t bitmap = 0;

    while (p) {
        TB *tb = (TB *)(p & ~(uintptr_t)1);
        unsigned n = p & 1, s, e;
        uintptr_t next = tb->page_next[n];
        tb_page_range(tb, n, &s, &e);
        if (tb->valid && s < end && start < e) {
            tb_invalidate(cpu, tb);
        }
        if (tb->valid) {
            bitmap |= granule_mask(s, e);
            *link = p;
            link = &tb->page_next[n];
        }
        p = next;
    }
    *link = 0;
    pd->bitmap = bitmap;
    if (!bitmap) {
        /* No code left: writes to the page may take the fast path again. */
        memory_clear_code_page(cpu->mem, page_addr);
    }
}

void cpu_invalidate_code(void *opaque, uint64_t paddr, uint64_t len)
{
    RISCVCPU *cpu = opaque;
    TBCache *c = cpu->tbc;

    if (!c || len == 0) {
        return;
    }
    uint64_t last = paddr + len - 1;
    if (last < paddr) {
        last = UINT64_MAX;
    }
    for (uint64_t page = paddr >> PAGE_BITS; page <= last >> PAGE_BITS; page++) {
        PageDesc *pd = page_find(c, page, false);
        uint64_t base = page << PAGE_BITS;
        unsigned start = paddr > base ? (unsigned)(paddr - base) : 0;
        unsigned end = last - base >= PAGE_SIZE ? (unsigned)PAGE_SIZE : (unsigned)(last - base) + 1;
        if (pd && (pd->bitmap & granule_mask(start, end))) {
            page_invalidate(cpu, pd, base, start, end);
        }
        if (page == UINT64_MAX >> PAGE_BITS) {
            break;
        }
    }
}

void cpu_tb_flush(RISCVCPU *cpu)
{
    TBCache *c = cpu->tbc;
    if (!c) {
        return;
    }
    for (unsigned i = 0; i <= TB_PAGES_MASK; i++) {
        PageDesc *pd = &c->pages[i];
        if (pd->key && pd->bitmap) {
            memory_clear_code_page(cpu->mem, (pd->key - 1) << PAGE_BITS);
        }
    }
    memset(c->pages, 0, sizeof(c->pages));
    c->pages_used = 0;
    memset(c->hash, 0, sizeof(c->hash));
    exec_jc_clear(c);
    /* The arena is reset lazily, at the next translation: the running block
     * (if any) stays readable until the dispatch loop leaves it. */
    c->reset_pending = true;
    cpu->tb_invalidated = true;
    cpu->stats.tb_flushes++;
}

/* ---- fetch and translation ---- */

static int fetch_page(RISCVCPU *cpu, uint64_t vaddr, uint64_t *paddr, const uint8_t **host)
{
    TLBEntry *e = &cpu->tlb[cpu->mmu_idx_fetch][(vaddr >> PAGE_BITS) & (TLB_SIZE - 1)];
    if ((vaddr & PAGE_MASK) == e->tag_exec) {
        *paddr = e->paddr;
        *host = (const uint8_t *)(uintptr_t)((vaddr & PAGE_MASK) + e->addend);
        return EXCP_NONE;
    }
    uint64_t pa;
    uint8_t *h = NULL;
    int r = riscv_translate_fetch(cpu, vaddr, &pa, &h);
    if (r != EXCP_NONE) {
        return r;
    }
    if (!h) {
        return EXCP_INSN_ACCESS;
    }
    *paddr = pa & PAGE_MASK;
    *host = h;
    return EXCP_NONE;
}

/* -d exec/cpu: puts a trace op in front of the block. Blocks made while
 * those items are off have none, so the dispatch loop pays nothing for
 * logging; changing the mask flushes the cache (cpu_log_mask_changed). */
static void tb_prepend(TB *tb, unsigned opc)
{
    memmove(&tb->ops[1], &tb->ops[0], tb->n_ops * sizeof(MicroOp));
    memset(&tb->ops[0], 0, sizeof(MicroOp));
    tb->ops[0].opc = (uint8_t)opc;
    tb->n_ops++;
}

/* cap: at most that many instructions, and the block stays out of the
 * hash (it is entered once, by an exact stop: exec_find_tb_capped). */
static TB *tb_translate(RISCVCPU *cpu, uint64_t vpc, uint64_t phys, const uint8_t *host,
                        uint64_t page2, const uint8_t *host2, unsigned cap)
{
    TBCache *c = cpu->tbc;
    /* Room for the instructions, their breakpoints, the block end, a
     * trace and a trigger op. */
    size_t need = sizeof(TB) + (2 * TB_MAX_INSNS + 4) * sizeof(MicroOp);
    /* An armed execute trigger is checked at the start of each block, so
     * blocks hold one instruction while one is. */
    bool trig = cpu->trigger_armed & TRIGGER_ARMED_EXEC;

    if (c->arena_used + need > TB_ARENA_SIZE || c->pages_used + 2 > (TB_PAGES_MASK + 1) / 4 * 3 ||
        (c->jit && !jit_has_room(c->jit))) {
        cpu_tb_flush(cpu);
    }
    if (c->reset_pending) {
        c->arena_used = 0;
        c->gen++;
        c->reset_pending = false;
        if (c->jit) {
            jit_reset(c->jit);
        }
    }
    TB *tb = (TB *)(c->arena + c->arena_used);
    memset(tb, 0, sizeof(*tb));
    tb->phys = phys;
    tb->page2 = page2;
    tb->priv = cpu->env.priv;
    tb->valid = 1;

    unsigned off = (unsigned)(phys & ~PAGE_MASK);
    uint8_t buf[4];
    const uint8_t *code = host + off;
    if (page2 != TB_NO_PAGE2) {
        /* An instruction straddling two pages: a block of its own. */
        buf[0] = host[off];
        buf[1] = host[off + 1];
        buf[2] = host2[0];
        buf[3] = host2[1];
        code = buf;
        translate_block(tb, buf, 4, off, 1, cpu->dbg, vpc);
    } else {
        /* Single-stepping: cpu_exec's limit is checked between blocks. */
        unsigned max = trig || cpu->dbg_step ? 1 : TB_MAX_INSNS;
        if (cap && cap < max) {
            max = cap;
        }
        translate_block(tb, code, (unsigned)PAGE_SIZE - off, off, max, cpu->dbg, vpc);
    }
    if (trig) {
        tb_prepend(tb, OP_TRIGGER);
    }
    if (log_enabled(cpu->log, LOG_TB_MASK)) {
        if (cpu->log->mask & LOG_IN_ASM) {
            exec_log_in_asm(cpu, tb, vpc, code);
        }
        if (cpu->log->mask & (LOG_EXEC | LOG_CPU)) {
            tb_prepend(tb, OP_TRACE);
        }
    }
    for (unsigned i = 0; i < tb->n_ops; i++) {
        tb->ops[i].handler = c->labels[tb->ops[i].opc];
    }
    /* Host code comes when the block is hot (tb_jit_ready, jit_warm). */
    c->arena_used += (sizeof(TB) + tb->n_ops * sizeof(MicroOp) + 15) & ~(size_t)15;

    if (!cap) {
        unsigned h = tb_hash(phys, tb->priv);
        tb->hnext = c->hash[h];
        c->hash[h] = tb;
    }
    page_add_tb(cpu, phys & PAGE_MASK, tb, 0);
    if (page2 != TB_NO_PAGE2) {
        page_add_tb(cpu, page2, tb, 1);
    }
    cpu->stats.tb_translated++;
    return tb;
}

/* The code a block at vpc starts with: its page, and the next one when
 * its first instruction straddles the boundary (page2 TB_NO_PAGE2 if not).
 * False on a fetch fault, with cause and tval set. */
typedef struct CodeAt {
    uint64_t page, page2;
    const uint8_t *host, *host2;
} CodeAt;

static bool fetch_block_code(RISCVCPU *cpu, uint64_t vpc, CodeAt *at, int *cause, uint64_t *tval)
{
    at->page2 = TB_NO_PAGE2;
    at->host2 = NULL;
    int r = fetch_page(cpu, vpc, &at->page, &at->host);
    if (r != EXCP_NONE) {
        *cause = r;
        *tval = vpc;
        return false;
    }
    unsigned off = (unsigned)(vpc & ~PAGE_MASK);
    if (off == PAGE_SIZE - 2 && (at->host[off] & 3) == 3) {
        r = fetch_page(cpu, vpc + 2, &at->page2, &at->host2);
        if (r != EXCP_NONE) {
            *cause = r;
            *tval = vpc + 2;
            return false;
        }
    }
    return true;
}

TB *exec_find_tb(RISCVCPU *cpu, uint64_t vpc, int *cause, uint64_t *tval)
{
    TBCache *c = cpu->tbc;
    CodeAt at;
    if (!fetch_block_code(cpu, vpc, &at, cause, tval)) {
        return NULL;
    }
    uint64_t page = at.page, page2 = at.page2;
    const uint8_t *host = at.host, *host2 = at.host2;
    unsigned off = (unsigned)(vpc & ~PAGE_MASK);
    uint64_t phys = page | off;
    uint8_t priv = cpu->env.priv;
    TB *tb;
    cpu->stats.tb_lookups++;
    for (tb = c->hash[tb_hash(phys, priv)]; tb; tb = tb->hnext) {
        if (tb->phys == phys && tb->priv == priv && tb->page2 == page2) {
            break;
        }
    }
    if (tb) {
        cpu->stats.tb_hits++;
    } else {
        tb = tb_translate(cpu, vpc, phys, host, page2, host2, 0);
    }
    if (page2 == TB_NO_PAGE2 && c->jc_satp == cpu->env.satp) {
        /* Straddling blocks are re-checked on every entry instead; a lookup
         * before the dispatch loop took a satp change in (exec_jc_switch)
         * would file the block under the old address space. */
        JCEntry *je = &c->jc[(vpc >> 1) & TB_JC_MASK];
        je->pc = vpc;
        je->tb = tb;
    }
    return tb;
}

TB *exec_find_tb_capped(RISCVCPU *cpu, uint64_t vpc, unsigned cap, int *cause, uint64_t *tval)
{
    CodeAt at;
    if (!fetch_block_code(cpu, vpc, &at, cause, tval)) {
        return NULL;
    }
    uint64_t page = at.page, page2 = at.page2;
    const uint8_t *host = at.host, *host2 = at.host2;
    unsigned off = (unsigned)(vpc & ~PAGE_MASK);
    cpu->stats.tb_capped++;
    return tb_translate(cpu, vpc, page | off, host, page2, host2, cap ? cap : 1);
}

/* ---- setup ---- */

uint64_t cpu_get_icount(void *opaque)
{
    const RISCVCPU *cpu = opaque;
    return cpu->env.icount;
}

bool exec_init(RISCVCPU *cpu, Error *err)
{
    TBCache *c = calloc(1, sizeof(*c));
    uint8_t *arena = malloc(TB_ARENA_SIZE);
    if (!c || !arena) {
        free(c);
        free(arena);
        error_setf(err, "cannot allocate the translation cache");
        return false;
    }
    c->arena = arena;
    exec_jc_clear(c);
    cpu->tbc = c;
    return true;
}

void exec_destroy(RISCVCPU *cpu)
{
    TBCache *c = cpu->tbc;
    if (!c) {
        return;
    }
    jit_free(c->jit);
    free(c->arena);
    free(c->jc_spaces);
    free(c);
    cpu->tbc = NULL;
}

bool cpu_jit_set(RISCVCPU *cpu, bool on, Error *err)
{
    TBCache *c = cpu->tbc;
    if (on == (c->jit != NULL)) {
        return true;
    }
    if (on) {
        JitCache *j = jit_new(TB_JIT_SIZE, err);
        if (!j) {
            return false;
        }
        c->jit = j;
    } else {
        jit_free(c->jit);
        c->jit = NULL;
    }
    /* Blocks made with the other back end: drop them all, at once (the
     * arena's lazy reset would leave blocks pointing into freed code). */
    cpu_tb_flush(cpu);
    c->arena_used = 0;
    c->gen++;
    c->reset_pending = false;
    return true;
}

void cpu_jit_threshold(RISCVCPU *cpu, unsigned n)
{
    if (cpu->tbc->jit) {
        jit_set_threshold(cpu->tbc->jit, n);
    }
}

bool cpu_jit_available(void)
{
    return JIT_AVAILABLE;
}

bool cpu_jit_info(const RISCVCPU *cpu, CPUJitInfo *info)
{
    const TBCache *c = cpu->tbc;
    if (!c || !c->jit) {
        return false;
    }
    const JitStats *s = jit_stats(c->jit);
    info->code_size = s->code_size;
    info->code_used = s->code_used;
    info->blocks = s->blocks;
    info->blocks_total = s->blocks_total;
    info->interpreted_blocks = s->skipped;
    info->links = s->links;
    info->unlinks = s->unlinks;
    info->flushes = s->flushes;
    info->entries = s->entries;
    info->slots = s->slots;
    info->linked = s->linked;
    info->exits_to_interpreter = s->exits[JIT_EXIT_OP];
    info->exits_slow = s->exits[JIT_EXIT_NEXT] + s->exits[JIT_EXIT_EXCP];
    info->exits_unlinked = s->exits[JIT_EXIT_CHAIN] + s->exits[JIT_EXIT_ENTER];
    info->exits_indirect = s->exits[JIT_EXIT_LOOKUP];
    return true;
}

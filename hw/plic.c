/* SiFive PLIC, QEMU virt layout. Sources are level-triggered: a source's
 * pending bit follows its input while it is not claimed; a claim hides it
 * until the matching complete. */
#include "hw/plic.h"

#include <string.h>

#define PLIC_PRIORITY_BASE   0x0
#define PLIC_PENDING_BASE    0x1000
#define PLIC_ENABLE_BASE     0x2000
#define PLIC_ENABLE_STRIDE   0x80
#define PLIC_CONTEXT_BASE    0x200000
#define PLIC_CONTEXT_STRIDE  0x1000
#define PLIC_PRIORITY_MASK   7
#define PLIC_WORDS           (PLIC_NUM_SOURCES / 32)

static bool plic_bit(const uint32_t *words, unsigned src)
{
    return (words[src / 32] >> (src % 32)) & 1;
}

static void plic_set_bit(uint32_t *words, unsigned src, bool on)
{
    if (on) {
        words[src / 32] |= 1u << (src % 32);
    } else {
        words[src / 32] &= ~(1u << (src % 32));
    }
}

/* Highest-priority enabled pending source above the context's threshold;
 * ties go to the lowest source number. 0 if none. */
static unsigned plic_best(const PlicState *st, unsigned ctx)
{
    unsigned best = 0;
    uint32_t best_prio = st->threshold[ctx];
    for (unsigned w = 0; w < PLIC_WORDS; w++) {
        uint32_t bits = st->pending[w] & ~st->claimed[w] & st->enable[ctx][w];
        while (bits) {
            unsigned src = w * 32 + (unsigned)__builtin_ctz(bits);
            bits &= bits - 1;
            if (st->priority[src] > best_prio) {
                best = src;
                best_prio = st->priority[src];
            }
        }
    }
    return best;
}

void plic_update(Plic *s)
{
    for (unsigned ctx = 0; ctx < s->nr_contexts; ctx++) {
        irq_set(&s->out[ctx], plic_best(&s->st, ctx) != 0);
    }
}

void plic_set_irq(void *opaque, int n, int level)
{
    Plic *s = opaque;
    if (n <= 0 || n >= PLIC_NUM_SOURCES) {
        return;
    }
    if (level && !plic_bit(s->st.level, (unsigned)n)) {
        s->irq_count[n]++;
    }
    plic_set_bit(s->st.level, (unsigned)n, level != 0);
    if (!plic_bit(s->st.claimed, (unsigned)n)) {
        plic_set_bit(s->st.pending, (unsigned)n, level != 0);
    }
    plic_update(s);
}

static uint32_t plic_claim(Plic *s, unsigned ctx)
{
    unsigned src = plic_best(&s->st, ctx);
    if (src) {
        plic_set_bit(s->st.pending, src, false);
        plic_set_bit(s->st.claimed, src, true);
        plic_update(s);
    }
    return src;
}

static void plic_complete(Plic *s, unsigned ctx, uint32_t src)
{
    /* A completion for a source not enabled in this context is ignored. */
    if (src == 0 || src >= PLIC_NUM_SOURCES || !plic_bit(s->st.enable[ctx], src)) {
        return;
    }
    plic_set_bit(s->st.claimed, src, false);
    plic_set_bit(s->st.pending, src, plic_bit(s->st.level, src));
    plic_update(s);
}

static bool plic_read(void *opaque, uint64_t off, unsigned size, uint64_t *val)
{
    Plic *s = opaque;
    PlicState *st = &s->st;
    if (off & 3) {
        return false;
    }
    *val = 0;
    if (off < PLIC_PENDING_BASE) {
        uint64_t src = off / 4;
        if (src < PLIC_NUM_SOURCES) {
            *val = st->priority[src];
        }
    } else if (off < PLIC_ENABLE_BASE) {
        uint64_t w = (off - PLIC_PENDING_BASE) / 4;
        if (w < PLIC_WORDS) {
            *val = st->pending[w];
        }
    } else if (off < PLIC_CONTEXT_BASE) {
        uint64_t ctx = (off - PLIC_ENABLE_BASE) / PLIC_ENABLE_STRIDE;
        uint64_t w = ((off - PLIC_ENABLE_BASE) % PLIC_ENABLE_STRIDE) / 4;
        if (ctx < s->nr_contexts && w < PLIC_WORDS) {
            *val = st->enable[ctx][w];
        }
    } else {
        uint64_t ctx = (off - PLIC_CONTEXT_BASE) / PLIC_CONTEXT_STRIDE;
        uint64_t reg = (off - PLIC_CONTEXT_BASE) % PLIC_CONTEXT_STRIDE;
        if (ctx < s->nr_contexts) {
            if (reg == 0) {
                *val = st->threshold[ctx];
            } else if (reg == 4) {
                *val = plic_claim(s, (unsigned)ctx);
            }
        }
    }
    return true;
}

static bool plic_write(void *opaque, uint64_t off, unsigned size, uint64_t val)
{
    Plic *s = opaque;
    PlicState *st = &s->st;
    uint32_t v = (uint32_t)val;
    if (off & 3) {
        return false;
    }
    if (off < PLIC_PENDING_BASE) {
        uint64_t src = off / 4;
        if (src > 0 && src < PLIC_NUM_SOURCES) {
            st->priority[src] = v & PLIC_PRIORITY_MASK;
            plic_update(s);
        }
    } else if (off < PLIC_ENABLE_BASE) {
        /* pending bits are read-only */
    } else if (off < PLIC_CONTEXT_BASE) {
        uint64_t ctx = (off - PLIC_ENABLE_BASE) / PLIC_ENABLE_STRIDE;
        uint64_t w = ((off - PLIC_ENABLE_BASE) % PLIC_ENABLE_STRIDE) / 4;
        if (ctx < s->nr_contexts && w < PLIC_WORDS) {
            st->enable[ctx][w] = w == 0 ? v & ~1u : v;   /* source 0 does not exist */
            plic_update(s);
        }
    } else {
        uint64_t ctx = (off - PLIC_CONTEXT_BASE) / PLIC_CONTEXT_STRIDE;
        uint64_t reg = (off - PLIC_CONTEXT_BASE) % PLIC_CONTEXT_STRIDE;
        if (ctx < s->nr_contexts) {
            if (reg == 0) {
                st->threshold[ctx] = v & PLIC_PRIORITY_MASK;
                plic_update(s);
            } else if (reg == 4) {
                plic_complete(s, (unsigned)ctx, v);
            }
        }
    }
    return true;
}

static const MemoryRegionOps plic_ops = {
    .read = plic_read,
    .write = plic_write,
    .min_size = 4,
    .max_size = 4,
};

void plic_reset(Plic *s)
{
    /* Input levels are wires from the devices, not PLIC registers: keep them. */
    uint32_t level[PLIC_WORDS];
    memcpy(level, s->st.level, sizeof(level));
    memset(&s->st, 0, sizeof(s->st));
    memcpy(s->st.level, level, sizeof(level));
    memcpy(s->st.pending, level, sizeof(level));
    plic_update(s);
}

void plic_init(Plic *s, PhysMemory *mem, uint64_t base, int nr_harts, const IRQLine *meip,
               const IRQLine *seip)
{
    memset(s, 0, sizeof(*s));
    if (nr_harts < 1 || nr_harts > PLIC_MAX_HARTS) {
        nr_harts = nr_harts < 1 ? 1 : PLIC_MAX_HARTS;
    }
    s->nr_contexts = 2 * (unsigned)nr_harts;
    for (int h = 0; h < nr_harts; h++) {
        s->out[2 * h] = meip[h];
        s->out[2 * h + 1] = seip[h];
    }
    memory_add_mmio(mem, "plic", base, PLIC_MMIO_SIZE, &plic_ops, s, 0);
    plic_reset(s);
}

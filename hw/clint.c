/* CLINT for 1..8 harts: an msip and an mtimecmp per hart, mtime at 10 MHz from the virtual clock.
 * MTIP is a pure function of mtime and mtimecmp; a timer armed at the exact
 * virtual-ns deadline makes the main loop stop the CPU when it turns on. */
#include "hw/clint.h"

#include <string.h>

#define CLINT_MSIP       0x0
#define CLINT_MTIMECMP   0x4000
#define CLINT_MTIME      0xbff8
#define CLINT_NS_PER_TICK (1000000000ull / CLINT_TIMEBASE_HZ)

uint64_t clint_mtime(const Clint *s)
{
    return clock_ns(s->timer[0].clock) / CLINT_NS_PER_TICK + s->st.mtime_offset;
}

static void clint_set_mtime(Clint *s, uint64_t mtime)
{
    s->st.mtime_offset = mtime - clock_ns(s->timer[0].clock) / CLINT_NS_PER_TICK;
}

/* Hart h's MTIP from mtime and its mtimecmp; arms its timer for the edge. */
static void clint_update_hart(Clint *s, int h)
{
    irq_set(&s->msip_irq[h], s->st.msip[h] & 1);

    uint64_t now_ns = clock_ns(s->timer[h].clock);
    uint64_t now_ticks = now_ns / CLINT_NS_PER_TICK;
    uint64_t mtime = now_ticks + s->st.mtime_offset;
    uint64_t cmp = s->st.mtimecmp[h];
    if (mtime >= cmp) {
        timer_del(&s->timer[h]);
        irq_set(&s->mtip_irq[h], 1);
        return;
    }
    irq_set(&s->mtip_irq[h], 0);
    uint64_t delta = cmp - mtime;
    if (delta > UINT64_MAX / CLINT_NS_PER_TICK - now_ticks) {
        timer_del(&s->timer[h]);        /* beyond the end of virtual time */
    } else {
        timer_mod(&s->timer[h], (now_ticks + delta) * CLINT_NS_PER_TICK);
    }
}

void clint_update(Clint *s)
{
    for (int h = 0; h < s->nr_harts; h++) {
        clint_update_hart(s, h);
    }
}

static void clint_timer_cb(void *opaque)
{
    ClintHartRef *r = opaque;
    clint_update_hart(r->s, r->hart);
}

/* Replaces the 32-bit half (or the whole 64 bits) that an access covers. */
static uint64_t clint_merge(uint64_t old, uint64_t reg_off, unsigned size, uint64_t val)
{
    if (size == 8) {
        return val;
    }
    unsigned shift = (reg_off & 4) * 8;
    uint64_t mask = 0xffffffffull << shift;
    return (old & ~mask) | ((val & 0xffffffffull) << shift);
}

static uint64_t clint_extract(uint64_t reg, uint64_t reg_off, unsigned size)
{
    return size == 8 ? reg : (uint32_t)(reg >> ((reg_off & 4) * 8));
}

static bool clint_read(void *opaque, uint64_t off, unsigned size, uint64_t *val)
{
    Clint *s = opaque;
    if (off & (size - 1)) {
        return false;
    }
    if (off < CLINT_MTIMECMP) {
        if (size != 4) {
            return false;
        }
        uint64_t h = off / 4;
        *val = h < (uint64_t)s->nr_harts ? s->st.msip[h] : 0;   /* no such hart: reads 0 */
    } else if (off < CLINT_MTIME) {
        uint64_t h = (off - CLINT_MTIMECMP) / 8;
        *val = h < (uint64_t)s->nr_harts ?
               clint_extract(s->st.mtimecmp[h], off - CLINT_MTIMECMP, size) : 0;
    } else {
        *val = clint_extract(clint_mtime(s), off - CLINT_MTIME, size);
    }
    return true;
}

static bool clint_write(void *opaque, uint64_t off, unsigned size, uint64_t val)
{
    Clint *s = opaque;
    if (off & (size - 1)) {
        return false;
    }
    if (off < CLINT_MTIMECMP) {
        if (size != 4) {
            return false;
        }
        uint64_t h = off / 4;
        if (h < (uint64_t)s->nr_harts) {
            s->st.msip[h] = val & 1;
            irq_set(&s->msip_irq[h], s->st.msip[h]);
        }
    } else if (off < CLINT_MTIME) {
        uint64_t h = (off - CLINT_MTIMECMP) / 8;
        if (h < (uint64_t)s->nr_harts) {
            s->st.mtimecmp[h] = clint_merge(s->st.mtimecmp[h], off - CLINT_MTIMECMP, size, val);
            clint_update_hart(s, (int)h);
        }
    } else {
        clint_set_mtime(s, clint_merge(clint_mtime(s), off - CLINT_MTIME, size, val));
        clint_update(s);
    }
    return true;
}

static const MemoryRegionOps clint_ops = {
    .read = clint_read,
    .write = clint_write,
    .min_size = 4,
    .max_size = 8,
};

void clint_reset(Clint *s)
{
    memset(&s->st, 0, sizeof(s->st));
    clint_set_mtime(s, 0);              /* mtime restarts from 0 */
    clint_update(s);
}

/* Timer names as info and logs show them; hart 0's keeps its old name. */
static const char *const clint_timer_names[CLINT_MAX_HARTS] = {
    "clint-mtimecmp", "clint-mtimecmp1", "clint-mtimecmp2", "clint-mtimecmp3",
    "clint-mtimecmp4", "clint-mtimecmp5", "clint-mtimecmp6", "clint-mtimecmp7",
};

void clint_init(Clint *s, PhysMemory *mem, VirtClock *clock, uint64_t base, int nr_harts,
                const IRQLine *msip, const IRQLine *mtip)
{
    memset(s, 0, sizeof(*s));
    s->nr_harts = nr_harts < 1 ? 1 : nr_harts > CLINT_MAX_HARTS ? CLINT_MAX_HARTS : nr_harts;
    for (int h = 0; h < s->nr_harts; h++) {
        s->msip_irq[h] = msip[h];
        s->mtip_irq[h] = mtip[h];
        s->ref[h] = (ClintHartRef){ s, h };
        timer_init(&s->timer[h], clock, clint_timer_names[h], clint_timer_cb, &s->ref[h]);
    }
    memory_add_mmio(mem, "clint", base, CLINT_MMIO_SIZE, &clint_ops, s, 0);
    clint_reset(s);
}

/* CLINT for one hart: msip, mtimecmp, mtime at 10 MHz from the virtual clock.
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
    return clock_ns(s->timer.clock) / CLINT_NS_PER_TICK + s->st.mtime_offset;
}

static void clint_set_mtime(Clint *s, uint64_t mtime)
{
    s->st.mtime_offset = mtime - clock_ns(s->timer.clock) / CLINT_NS_PER_TICK;
}

void clint_update(Clint *s)
{
    irq_set(&s->msip_irq, s->st.msip & 1);

    uint64_t now_ns = clock_ns(s->timer.clock);
    uint64_t now_ticks = now_ns / CLINT_NS_PER_TICK;
    uint64_t mtime = now_ticks + s->st.mtime_offset;
    if (mtime >= s->st.mtimecmp) {
        timer_del(&s->timer);
        irq_set(&s->mtip_irq, 1);
        return;
    }
    irq_set(&s->mtip_irq, 0);
    uint64_t delta = s->st.mtimecmp - mtime;
    if (delta > UINT64_MAX / CLINT_NS_PER_TICK - now_ticks) {
        timer_del(&s->timer);           /* beyond the end of virtual time */
    } else {
        timer_mod(&s->timer, (now_ticks + delta) * CLINT_NS_PER_TICK);
    }
}

static void clint_timer_cb(void *opaque)
{
    clint_update(opaque);
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
        *val = off == CLINT_MSIP ? s->st.msip : 0;   /* other harts do not exist */
    } else if (off < CLINT_MTIME) {
        *val = off - CLINT_MTIMECMP < 8 ?
               clint_extract(s->st.mtimecmp, off - CLINT_MTIMECMP, size) : 0;
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
        if (off == CLINT_MSIP) {
            s->st.msip = val & 1;
            irq_set(&s->msip_irq, s->st.msip);
        }
    } else if (off < CLINT_MTIME) {
        if (off - CLINT_MTIMECMP < 8) {
            s->st.mtimecmp = clint_merge(s->st.mtimecmp, off - CLINT_MTIMECMP, size, val);
            clint_update(s);
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

void clint_init(Clint *s, PhysMemory *mem, VirtClock *clock, uint64_t base, IRQLine msip, IRQLine mtip)
{
    memset(s, 0, sizeof(*s));
    s->msip_irq = msip;
    s->mtip_irq = mtip;
    timer_init(&s->timer, clock, "clint-mtimecmp", clint_timer_cb, s);
    memory_add_mmio(mem, "clint", base, CLINT_MMIO_SIZE, &clint_ops, s, 0);
    clint_reset(s);
}

/* Goldfish RTC: wall time in ns = base_ns + virtual clock, one alarm. */
#include "hw/goldfish_rtc.h"

#include <string.h>

#define RTC_TIME_LOW         0x00
#define RTC_TIME_HIGH        0x04
#define RTC_ALARM_LOW        0x08
#define RTC_ALARM_HIGH       0x0c
#define RTC_IRQ_ENABLED      0x10
#define RTC_CLEAR_ALARM      0x14
#define RTC_ALARM_STATUS     0x18
#define RTC_CLEAR_INTERRUPT  0x1c

static uint64_t goldfish_rtc_now(const GoldfishRtc *s)
{
    return s->st.base_ns + clock_ns(s->timer.clock);
}

static void goldfish_rtc_set_now(GoldfishRtc *s, uint64_t ns)
{
    s->st.base_ns = ns - clock_ns(s->timer.clock);
}

/* Re-derives the interrupt line and the alarm timer from the state. */
void goldfish_rtc_update(GoldfishRtc *s)
{
    GoldfishRtcState *st = &s->st;
    irq_set(&s->irq, st->irq_pending && st->irq_enabled);
    if (st->alarm_running) {
        /* Virtual time of the alarm; an alarm already due fires at the next
         * timer run. */
        uint64_t deadline = st->alarm_ns > st->base_ns ? st->alarm_ns - st->base_ns : 0;
        timer_mod(&s->timer, deadline);
    } else {
        timer_del(&s->timer);
    }
}

static void goldfish_rtc_fire(GoldfishRtc *s)
{
    s->st.alarm_running = 0;
    s->st.irq_pending = 1;
}

static void goldfish_rtc_timer_cb(void *opaque)
{
    GoldfishRtc *s = opaque;
    if (s->st.alarm_running && goldfish_rtc_now(s) >= s->st.alarm_ns) {
        goldfish_rtc_fire(s);
    }
    goldfish_rtc_update(s);
}

static bool goldfish_rtc_read(void *opaque, uint64_t offset, unsigned size, uint64_t *val)
{
    GoldfishRtc *s = opaque;
    GoldfishRtcState *st = &s->st;
    if (offset & 3) {
        return false;
    }
    switch (offset) {
    case RTC_TIME_LOW: {
        uint64_t now = goldfish_rtc_now(s);
        st->time_high_latch = (uint32_t)(now >> 32);   /* a 64-bit read is LOW then HIGH */
        *val = (uint32_t)now;
        break;
    }
    case RTC_TIME_HIGH:
        *val = st->time_high_latch;
        break;
    case RTC_ALARM_LOW:
        *val = (uint32_t)st->alarm_ns;
        break;
    case RTC_ALARM_HIGH:
        *val = st->alarm_high;
        break;
    case RTC_IRQ_ENABLED:
        *val = st->irq_enabled;
        break;
    case RTC_ALARM_STATUS:
        *val = st->alarm_running;
        break;
    default:
        *val = 0;
        break;
    }
    return true;
}

static bool goldfish_rtc_write(void *opaque, uint64_t offset, unsigned size, uint64_t val)
{
    GoldfishRtc *s = opaque;
    GoldfishRtcState *st = &s->st;
    uint32_t v = (uint32_t)val;
    if (offset & 3) {
        return false;
    }
    switch (offset) {
    case RTC_TIME_LOW:
        goldfish_rtc_set_now(s, (goldfish_rtc_now(s) & 0xffffffff00000000ull) | v);
        break;
    case RTC_TIME_HIGH:
        goldfish_rtc_set_now(s, ((uint64_t)v << 32) | (goldfish_rtc_now(s) & 0xffffffffull));
        break;
    case RTC_ALARM_LOW:
        st->alarm_ns = ((uint64_t)st->alarm_high << 32) | v;
        st->alarm_running = 1;
        if (goldfish_rtc_now(s) >= st->alarm_ns) {
            goldfish_rtc_fire(s);       /* an alarm in the past fires at once */
        }
        break;
    case RTC_ALARM_HIGH:
        st->alarm_high = v;
        break;
    case RTC_IRQ_ENABLED:
        st->irq_enabled = v & 1;
        break;
    case RTC_CLEAR_ALARM:
        st->alarm_running = 0;
        break;
    case RTC_CLEAR_INTERRUPT:
        st->irq_pending = 0;
        break;
    default:
        return true;
    }
    goldfish_rtc_update(s);
    return true;
}

static const MemoryRegionOps goldfish_rtc_ops = {
    .read = goldfish_rtc_read,
    .write = goldfish_rtc_write,
    .min_size = 4,
    .max_size = 4,
};

/* The wall time survives a reset; the alarm and interrupt do not. */
void goldfish_rtc_reset(GoldfishRtc *s)
{
    uint64_t base = s->st.base_ns;
    memset(&s->st, 0, sizeof(s->st));
    s->st.base_ns = base;
    goldfish_rtc_update(s);
}

void goldfish_rtc_init(GoldfishRtc *s, PhysMemory *mem, VirtClock *clock, uint64_t base, IRQLine irq,
                       uint64_t base_ns)
{
    memset(s, 0, sizeof(*s));
    s->irq = irq;
    timer_init(&s->timer, clock, "goldfish-rtc-alarm", goldfish_rtc_timer_cb, s);
    s->st.base_ns = base_ns;
    memory_add_mmio(mem, "goldfish_rtc", base, GOLDFISH_RTC_MMIO_SIZE, &goldfish_rtc_ops, s, 0);
    goldfish_rtc_reset(s);
}

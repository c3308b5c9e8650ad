#include "emu/clock.h"

#include <time.h>


static uint64_t clock_read(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

uint64_t clock_host_ns(void)
{
    return clock_read(CLOCK_MONOTONIC);
}

uint64_t clock_realtime_ns(void)
{
    return clock_read(CLOCK_REALTIME);
}

void clock_init(VirtClock *c, ClockMode mode, unsigned shift,
                uint64_t (*icount)(void *opaque), void *opaque)
{
    c->mode = mode;
    c->shift = shift > 10 ? 10 : shift;
    c->icount = icount;
    c->icount_opaque = opaque;
    c->host_start_ns = clock_host_ns();
    c->offset_ns = 0;
    c->timers = NULL;
    c->deadline_cb = NULL;
    c->deadline_opaque = NULL;
    c->pace_anchored = false;
}

static uint64_t clock_raw_ns(VirtClock *c)
{
    if (c->mode == CLOCK_MODE_HOST) {
        return clock_host_ns() - c->host_start_ns;
    }
    uint64_t n = c->icount ? c->icount(c->icount_opaque) : 0;
    return n << c->shift;
}

uint64_t clock_ns(VirtClock *c)
{
    return clock_raw_ns(c) + c->offset_ns;
}

void clock_set_ns(VirtClock *c, uint64_t ns)
{
    c->offset_ns = ns - clock_raw_ns(c);
    c->pace_anchored = false;       /* a jump (either way) starts a new pace */
}

/* Re-anchors when needed; returns the wall clock now. */
static uint64_t clock_pace_anchor(VirtClock *c)
{
    uint64_t wall = clock_host_ns();
    uint64_t now = clock_ns(c);
    int64_t lag = (int64_t)(wall - (now + c->pace_offset));
    if (!c->pace_anchored || lag > (int64_t)CLOCK_PACE_MAX_LAG_NS) {
        c->pace_offset = wall - now;
        c->pace_anchored = true;
    }
    return wall;
}

uint64_t clock_pace_delay(VirtClock *c, uint64_t vns)
{
    if (c->mode == CLOCK_MODE_HOST || vns == CLOCK_NEVER) {
        return 0;
    }
    uint64_t wall = clock_pace_anchor(c);
    int64_t ahead = (int64_t)(vns + c->pace_offset - wall);
    return ahead > 0 ? (uint64_t)ahead : 0;
}

uint64_t clock_pace_due_ns(VirtClock *c)
{
    if (c->mode == CLOCK_MODE_HOST) {
        return clock_ns(c);
    }
    if (!c->pace_anchored) {
        clock_pace_anchor(c);
    }
    /* No lag check: a guest waiting in WFI lags by design until it skips. */
    return clock_host_ns() - c->pace_offset;
}

uint64_t clock_ns_to_icount_delta(VirtClock *c, uint64_t ns)
{
    if (ns == CLOCK_NEVER) {
        return UINT64_MAX;
    }
    uint64_t now = clock_ns(c);
    if (ns <= now) {
        return 0;
    }
    if (c->mode == CLOCK_MODE_HOST) {
        return 1000000;     /* re-check the host clock every million instructions */
    }
    uint64_t d = ns - now;
    uint64_t step = 1ull << c->shift;
    return (d + step - 1) >> c->shift;
}

void timer_init(Timer *t, VirtClock *clock, const char *name, void (*cb)(void *opaque),
                void *opaque)
{
    t->clock = clock;
    t->expire_ns = CLOCK_NEVER;
    t->cb = cb;
    t->opaque = opaque;
    t->name = name;
    t->next = NULL;
    t->armed = false;
}

void timer_del(Timer *t)
{
    if (!t->armed) {
        return;
    }
    VirtClock *c = t->clock;
    for (Timer **p = &c->timers; *p; p = &(*p)->next) {
        if (*p == t) {
            *p = t->next;
            break;
        }
    }
    t->armed = false;
    t->next = NULL;
    t->expire_ns = CLOCK_NEVER;
}

void timer_mod(Timer *t, uint64_t expire_ns)
{
    timer_del(t);
    if (expire_ns == CLOCK_NEVER) {
        return;
    }
    t->expire_ns = expire_ns;
    VirtClock *c = t->clock;
    Timer **p = &c->timers;
    while (*p && (*p)->expire_ns <= expire_ns) {
        p = &(*p)->next;
    }
    t->next = *p;
    *p = t;
    t->armed = true;
    if (c->timers == t && c->deadline_cb) {
        c->deadline_cb(c->deadline_opaque, expire_ns);
    }
}

uint64_t clock_next_deadline(VirtClock *c)
{
    return c->timers ? c->timers->expire_ns : CLOCK_NEVER;
}

int clock_run_timers(VirtClock *c)
{
    int fired = 0;
    uint64_t now = clock_ns(c);
    while (c->timers && c->timers->expire_ns <= now) {
        Timer *t = c->timers;
        timer_del(t);
        t->cb(t->opaque);
        fired++;
        now = clock_ns(c);
    }
    return fired;
}

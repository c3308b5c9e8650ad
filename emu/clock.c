#include "emu/clock.h"

#include <time.h>

VirtClock vclock;

static struct {
    bool anchored;
    uint64_t offset;             /* wall = virtual + offset (mod 2^64) */
} pace;

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

void clock_init(ClockMode mode, unsigned shift,
                uint64_t (*icount)(void *opaque), void *opaque)
{
    vclock.mode = mode;
    vclock.shift = shift > 10 ? 10 : shift;
    vclock.icount = icount;
    vclock.icount_opaque = opaque;
    vclock.host_start_ns = clock_host_ns();
    vclock.offset_ns = 0;
    vclock.timers = NULL;
    pace.anchored = false;
}

static uint64_t clock_raw_ns(void)
{
    if (vclock.mode == CLOCK_MODE_HOST) {
        return clock_host_ns() - vclock.host_start_ns;
    }
    uint64_t n = vclock.icount ? vclock.icount(vclock.icount_opaque) : 0;
    return n << vclock.shift;
}

uint64_t clock_ns(void)
{
    return clock_raw_ns() + vclock.offset_ns;
}

void clock_set_ns(uint64_t ns)
{
    vclock.offset_ns = ns - clock_raw_ns();
    pace.anchored = false;       /* a jump (either way) starts a new pace */
}

/* Re-anchors when needed; returns the wall clock now. */
static uint64_t clock_pace_anchor(void)
{
    uint64_t wall = clock_host_ns();
    uint64_t now = clock_ns();
    int64_t lag = (int64_t)(wall - (now + pace.offset));
    if (!pace.anchored || lag > (int64_t)CLOCK_PACE_MAX_LAG_NS) {
        pace.offset = wall - now;
        pace.anchored = true;
    }
    return wall;
}

uint64_t clock_pace_delay(uint64_t vns)
{
    if (vclock.mode == CLOCK_MODE_HOST || vns == CLOCK_NEVER) {
        return 0;
    }
    uint64_t wall = clock_pace_anchor();
    int64_t ahead = (int64_t)(vns + pace.offset - wall);
    return ahead > 0 ? (uint64_t)ahead : 0;
}

uint64_t clock_pace_due_ns(void)
{
    if (vclock.mode == CLOCK_MODE_HOST) {
        return clock_ns();
    }
    if (!pace.anchored) {
        clock_pace_anchor();
    }
    /* No lag check: a guest waiting in WFI lags by design until it skips. */
    return clock_host_ns() - pace.offset;
}

uint64_t clock_ns_to_icount_delta(uint64_t ns)
{
    if (ns == CLOCK_NEVER) {
        return UINT64_MAX;
    }
    uint64_t now = clock_ns();
    if (ns <= now) {
        return 0;
    }
    if (vclock.mode == CLOCK_MODE_HOST) {
        return 1000000;     /* re-check the host clock every million instructions */
    }
    uint64_t d = ns - now;
    uint64_t step = 1ull << vclock.shift;
    return (d + step - 1) >> vclock.shift;
}

void timer_init(Timer *t, const char *name, void (*cb)(void *opaque), void *opaque)
{
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
    for (Timer **p = &vclock.timers; *p; p = &(*p)->next) {
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
    Timer **p = &vclock.timers;
    while (*p && (*p)->expire_ns <= expire_ns) {
        p = &(*p)->next;
    }
    t->next = *p;
    *p = t;
    t->armed = true;
}

uint64_t clock_next_deadline(void)
{
    return vclock.timers ? vclock.timers->expire_ns : CLOCK_NEVER;
}

int clock_run_timers(void)
{
    int fired = 0;
    uint64_t now = clock_ns();
    while (vclock.timers && vclock.timers->expire_ns <= now) {
        Timer *t = vclock.timers;
        timer_del(t);
        t->cb(t->opaque);
        fired++;
        now = clock_ns();
    }
    return fired;
}

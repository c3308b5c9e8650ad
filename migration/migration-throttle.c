/* The vCPU throttle of auto-converge, as QEMU's cpu-throttle: at p %, the
 * vCPU sleeps p/(100-p) x 10 ms after every 10 ms it ran. The main loop
 * asks before each CPU slice and, while a sleep is due, polls its fds
 * instead of running the guest, so the monitor keeps answering. */
#include "emu/clock.h"
#include "migration/migration-int.h"

#define THROTTLE_TIMESLICE_NS 10000000ull

void migration_throttle_set(Migration *mig, int percent)
{
    MigrationThrottle *t = &mig->throttle;
    if (percent < 0) {
        percent = 0;
    }
    if (percent > 99) {
        percent = 99;
    }
    if (percent && !t->pct) {
        t->run_since = clock_host_ns();
        t->sleep_until = 0;
    }
    t->pct = percent;
}

int migration_throttle_percent(const Migration *mig)
{
    return mig->throttle.pct;
}

uint64_t migration_throttle_wait_ns(Migration *mig)
{
    MigrationThrottle *t = &mig->throttle;
    if (!t->pct) {
        return 0;
    }
    uint64_t now = clock_host_ns();
    if (now < t->sleep_until) {
        return t->sleep_until - now;
    }
    if (t->sleep_until) {
        t->run_since = t->sleep_until;  /* the sleep is over: a new run share */
        t->sleep_until = 0;
    }
    if (now - t->run_since < THROTTLE_TIMESLICE_NS) {
        return 0;
    }
    uint64_t ran = now - t->run_since;
    uint64_t nap = ran * (uint64_t)t->pct / (uint64_t)(100 - t->pct);
    t->sleep_until = now + nap;
    return nap;
}

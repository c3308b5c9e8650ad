/* The vCPU throttle of auto-converge, as QEMU's cpu-throttle: at p %, the
 * vCPU sleeps p/(100-p) x 10 ms after every 10 ms it ran. The main loop
 * asks before each CPU slice and, while a sleep is due, polls its fds
 * instead of running the guest, so the monitor keeps answering. */
#include "emu/clock.h"
#include "migration/migration.h"

#define THROTTLE_TIMESLICE_NS 10000000ull

static int throttle_pct;
static uint64_t run_since;       /* host ns the current run share began */
static uint64_t sleep_until;

void migration_throttle_set(int percent)
{
    if (percent < 0) {
        percent = 0;
    }
    if (percent > 99) {
        percent = 99;
    }
    if (percent && !throttle_pct) {
        run_since = clock_host_ns();
        sleep_until = 0;
    }
    throttle_pct = percent;
}

int migration_throttle_percent(void)
{
    return throttle_pct;
}

uint64_t migration_throttle_wait_ns(void)
{
    if (!throttle_pct) {
        return 0;
    }
    uint64_t now = clock_host_ns();
    if (now < sleep_until) {
        return sleep_until - now;
    }
    if (sleep_until) {
        run_since = sleep_until;  /* the sleep is over: a new run share */
        sleep_until = 0;
    }
    if (now - run_since < THROTTLE_TIMESLICE_NS) {
        return 0;
    }
    uint64_t ran = now - run_since;
    uint64_t nap = ran * (uint64_t)throttle_pct / (uint64_t)(100 - throttle_pct);
    sleep_until = now + nap;
    return nap;
}

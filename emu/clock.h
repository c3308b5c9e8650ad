/* Virtual time. In icount mode (the default) time is derived from the
 * instruction counter: each instruction is 2^shift ns, so a run is exactly
 * reproducible. In host mode time follows CLOCK_MONOTONIC.
 * Timers hold absolute deadlines in virtual nanoseconds; the main loop runs
 * the CPU up to the next deadline and then fires expired timers. */
#ifndef EMU_CLOCK_H
#define EMU_CLOCK_H

#include <stdbool.h>
#include <stdint.h>

#define CLOCK_NEVER UINT64_MAX

typedef enum ClockMode {
    CLOCK_MODE_ICOUNT,
    CLOCK_MODE_HOST,
} ClockMode;

typedef struct VirtClock VirtClock;

typedef struct Timer {
    VirtClock *clock;            /* the clock whose list it is armed on */
    uint64_t expire_ns;          /* CLOCK_NEVER when not armed */
    void (*cb)(void *opaque);
    void *opaque;
    const char *name;
    struct Timer *next;          /* list of armed timers, sorted by deadline */
    bool armed;
} Timer;

struct VirtClock {
    ClockMode mode;
    unsigned shift;              /* icount mode: ns per instruction = 1 << shift */
    /* Returns the precise number of instructions executed so far (icount). */
    uint64_t (*icount)(void *opaque);
    void *icount_opaque;
    uint64_t host_start_ns;      /* host mode: CLOCK_MONOTONIC at clock start */
    uint64_t offset_ns;          /* added to the raw clock; set on restore */
    Timer *timers;
    /* Called when a timer becomes the earliest (optional): a CPU running a
     * slice computed before must stop at the new deadline, not after it. */
    void (*deadline_cb)(void *opaque, uint64_t expire_ns);
    void *deadline_opaque;
    /* sleep=on pacing: wall = virtual + pace_offset (mod 2^64) */
    bool pace_anchored;
    uint64_t pace_offset;
};


void clock_init(VirtClock *c, ClockMode mode, unsigned shift,
                uint64_t (*icount)(void *opaque), void *opaque);
uint64_t clock_ns(VirtClock *c);
/* Instructions until virtual time reaches ns (0 if already there; UINT64_MAX
 * for CLOCK_NEVER). In host mode a fixed slice is returned instead. */
uint64_t clock_ns_to_icount_delta(VirtClock *c, uint64_t ns);
/* Moves the clock so that clock_ns() returns ns (used after loading state). */
void clock_set_ns(VirtClock *c, uint64_t ns);
uint64_t clock_host_ns(void);      /* CLOCK_MONOTONIC */
uint64_t clock_realtime_ns(void);  /* CLOCK_REALTIME */

/* sleep=on pacing (icount mode): virtual time may not run ahead of the wall
 * clock. An anchor maps virtual to wall time; when the guest falls behind
 * by more than CLOCK_PACE_MAX_LAG_NS (a paused machine, a guest slower than
 * real time, a loadvm) the anchor moves, so the lost time is not made up
 * later by running flat out. The anchor is host plumbing, never saved. */
#define CLOCK_PACE_MAX_LAG_NS 10000000ull
/* Wall ns to wait until virtual time vns is due (0: due now). */
uint64_t clock_pace_delay(VirtClock *c, uint64_t vns);
/* The virtual time that corresponds to the wall clock now (for a guest in
 * WFI, whose lag is not a reason to re-anchor). */
uint64_t clock_pace_due_ns(VirtClock *c);

void timer_init(Timer *t, VirtClock *clock, const char *name, void (*cb)(void *opaque), void *opaque);
void timer_mod(Timer *t, uint64_t expire_ns);
void timer_del(Timer *t);
uint64_t clock_next_deadline(VirtClock *c);  /* CLOCK_NEVER if no timer armed */
/* Fires every timer whose deadline has passed; returns how many fired. */
int clock_run_timers(VirtClock *c);

#endif

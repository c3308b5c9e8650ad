/* Event loop: fd handlers, CPU slices, timers, WFI and guest requests. */
#include "system/main-loop.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "emu/runstate.h"
#include "io/fd-watch.h"

static bool quit_requested;
static int quit_status;
static int shutdown_code;        /* -no-shutdown: the stopped guest's exit code */
static volatile sig_atomic_t signal_received;
static void (*cleanup_fn)(void *opaque);
static void *cleanup_opaque;
static bool (*interrupt_fn)(void *opaque);
static void *interrupt_opaque;
static uint64_t (*cpu_gate_fn)(void);
static bool (*busy_fn)(void);
static bool loop_done;           /* main_loop_run() has decided the status */
static bool drain_pending;       /* main_loop_quit_after() */
static int drain_status;
static Timer drain_timer;        /* ends the slice, or WFI, at the deadline */
static Loop main_loop;           /* what the floors below see of this loop */
static Machine *loop_machine;    /* the machine it runs (signals stop its CPU) */
static void (*debug_stop_fn)(void *opaque);
static void (*debug_poll_fn)(void *opaque);
static void *debug_opaque;
static uint64_t (*replay_limit_fn)(void *opaque, bool apply);
static void *replay_opaque;

void main_loop_set_replay(uint64_t (*limit)(void *opaque, bool apply), void *opaque)
{
    replay_limit_fn = limit;
    replay_opaque = opaque;
}

void main_loop_set_debugger(void (*stop)(void *opaque), void (*poll)(void *opaque), void *opaque)
{
    debug_stop_fn = stop;
    debug_poll_fn = poll;
    debug_opaque = opaque;
}

void main_loop_set_machine_busy(bool (*fn)(void))
{
    busy_fn = fn;
}

void main_loop_set_cpu_gate(uint64_t (*fn)(void))
{
    cpu_gate_fn = fn;
}

void main_loop_quit(int status)
{
    if (loop_done) {
        return;                  /* e.g. a command the cleanup cancelled: the status is set */
    }
    quit_requested = true;
    /* QEMU keeps the code of a guest that powered off under -no-shutdown
     * and exits with it when told to quit. */
    quit_status = status ? status : shutdown_code;
    if (loop_machine) {
        machine_request_exit(loop_machine);
    }
}

static void main_loop_drain_cb(void *opaque)
{
    (void)opaque;                /* the loop sees the deadline has passed */
}

void main_loop_quit_after(uint64_t ns, int status)
{
    drain_pending = true;
    drain_status = status;
    if (!loop_machine) {
        main_loop_quit(status);  /* no guest to give time to */
        return;
    }
    VirtClock *c = &loop_machine->clock;
    timer_init(&drain_timer, c, "quit-after", main_loop_drain_cb, NULL);
    timer_mod(&drain_timer, clock_ns(c) + ns);
}

static void main_loop_signal(int sig)
{
    signal_received = sig;
    if (loop_machine) {
        machine_request_exit(loop_machine);   /* a plain store: async-signal safe */
    }
}

static void main_loop_hook_quit(void *opaque, int status)
{
    main_loop_quit(status);
}

static void main_loop_hook_quit_after(void *opaque, uint64_t ns, int status)
{
    main_loop_quit_after(ns, status);
}

static int main_loop_hook_pending_signal(void *opaque)
{
    return main_loop_pending_signal();
}

static const LoopHooks main_loop_hooks = {
    .quit = main_loop_hook_quit,
    .quit_after = main_loop_hook_quit_after,
    .pending_signal = main_loop_hook_pending_signal,
};

Loop *main_loop_init(void)
{
    loop_init(&main_loop, &main_loop_hooks, NULL);
    return &main_loop;
}

void main_loop_set_machine(Machine *m)
{
    loop_machine = m;
}

void main_loop_install_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = main_loop_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);    /* a closed output pipe must not kill the run */
}

int main_loop_pending_signal(void)
{
    return signal_received;
}

void main_loop_set_interrupt(bool (*fn)(void *opaque), void *opaque)
{
    interrupt_fn = fn;
    interrupt_opaque = opaque;
}

void main_loop_set_cleanup(void (*fn)(void *opaque), void *opaque)
{
    cleanup_fn = fn;
    cleanup_opaque = opaque;
}

/* Moves a halted machine's virtual time forward to ns: WFI time is not
 * retired, so instret stays; it is counted on hart 0 (the time base is the
 * sum of the harts' counts). up: reach ns (a deadline); else stop short. */
static void main_loop_skip_to(Machine *m, uint64_t ns, bool up)
{
    uint64_t now = clock_ns(&m->clock);
    if (ns == CLOCK_NEVER || ns <= now || m->clock.mode != CLOCK_MODE_ICOUNT) {
        return;
    }
    uint64_t step = 1ull << m->clock.shift;
    m->harts[0].env.icount += ((ns - now) + (up ? step - 1 : 0)) >> m->clock.shift;
}

static bool main_loop_all_halted(const Machine *m)
{
    for (int h = 0; h < m->nr_harts; h++) {
        if (!m->harts[h].env.halted) {
            return false;
        }
    }
    return true;
}

/* The CPU is in WFI with nothing pending: let time pass until the next
 * timer deadline or host input. */
static void main_loop_idle(Machine *m)
{
    uint64_t deadline = clock_next_deadline(&m->clock);
    if (replay_limit_fn) {
        /* Record/replay: idle time ends at a deadline or at the next
         * logged input, never at a moment of host time. A host event that
         * ends the wait early (recording) takes effect where the guest
         * waits, with no idle time added after it. */
        uint64_t lim = replay_limit_fn(replay_opaque, false), pos = machine_icount(m);
        if (lim != UINT64_MAX) {
            if (lim <= pos) {
                return;
            }
            uint64_t room = clock_ns_to_icount_delta(&m->clock, deadline);
            if (room > lim - pos) {
                m->harts[0].env.icount += lim - pos;    /* replay: up to the next input */
                return;
            }
        } else if (m->opts.icount_sleep && deadline != CLOCK_NEVER) {
            uint64_t wait = clock_pace_delay(&m->clock, deadline);
            if (wait > 0 && fd_watch_poll_once(&main_loop.fds, (int64_t)wait) > 0) {
                return;
            }
        } else if (deadline == CLOCK_NEVER) {
            fd_watch_poll_once(&main_loop.fds, -1);
            return;
        }
        main_loop_skip_to(m, deadline, true);
        clock_run_timers(&m->clock);
        return;
    }
    if (deadline == CLOCK_NEVER) {
        fd_watch_poll_once(&main_loop.fds, -1);         /* only input can wake the guest */
        return;
    }
    uint64_t now = clock_ns(&m->clock);
    if (m->clock.mode == CLOCK_MODE_HOST) {
        fd_watch_poll_once(&main_loop.fds, deadline > now ? (int64_t)(deadline - now) : 0);
        clock_run_timers(&m->clock);
        return;
    }
    if (m->opts.icount_sleep) {
        /* Pace idle time to the wall clock. Host events (input, the
         * monitor) end the wait early; the wall time that passed counts as
         * idle virtual time, short of the deadline, so frequent host events
         * cannot hold the guest's timers back. The guest sees none of it:
         * it wakes at the deadline (or by input) either way, and no timer
         * is ever skipped. */
        uint64_t wait = clock_pace_delay(&m->clock, deadline);
        if (wait > 0 && fd_watch_poll_once(&main_loop.fds, (int64_t)wait) > 0) {
            uint64_t due = clock_pace_due_ns(&m->clock);
            main_loop_skip_to(m, due < deadline ? due : deadline, false);
            return;
        }
    }
    /* icount: WFI skips virtual time to the deadline. */
    main_loop_skip_to(m, deadline, true);
    clock_run_timers(&m->clock);
}

int main_loop_run(Machine *m)
{
    loop_done = false;
    loop_machine = m;
    for (;;) {
        if (signal_received == SIGINT && interrupt_fn && interrupt_fn(interrupt_opaque)) {
            signal_received = 0;
        }
        if (signal_received) {
            fprintf(stderr, "amber: terminating on signal %d\n", (int)signal_received);
            quit_requested = true;
            quit_status = 0;
        }
        if (drain_pending && !quit_requested &&
            (!drain_timer.armed || !runstate_is_running(&m->run) || (busy_fn && busy_fn()))) {
            quit_requested = true;
            quit_status = drain_status;
        }
        if (quit_requested) {
            /* A guest that asked to exit before Amber quit decides the
             * status, so a script's result never depends on which of the
             * two the loop noticed first. */
            if (m->shutdown_requested) {
                runstate_set(&m->run, RUN_STATE_SHUTDOWN);
                quit_status = m->exit_code & 0xff;
            }
            break;
        }
        if (debug_poll_fn) {
            debug_poll_fn(debug_opaque);   /* a waiting gdb hears of stops */
        }
        if (busy_fn && busy_fn()) {
            /* Another thread owns the machine's state (an incoming load):
             * serve fds only, and look at the machine again afterwards. */
            fd_watch_poll_once(&main_loop.fds, -1);
            continue;
        }
        if (m->shutdown_requested || (m->reset_requested && m->opts.no_reboot)) {
            runstate_set(&m->run, RUN_STATE_SHUTDOWN);
            quit_status = m->shutdown_requested ? m->exit_code & 0xff : 0;
            if (!m->opts.no_shutdown) {
                break;
            }
            /* -no-shutdown: stop in 'shutdown' and keep serving the monitor;
             * system_reset (then cont) runs the guest again. As QEMU, a
             * later quit exits with the guest's code (shutdown_code). */
            shutdown_code = quit_status;
            m->shutdown_requested = m->reset_requested = false;
            machine_request_exit(m);
            continue;
        }
        if (m->reset_requested) {
            machine_reset(m);
        }
        if (!runstate_is_running(&m->run)) {
            fd_watch_poll_once(&main_loop.fds, -1);
            continue;
        }
        fd_watch_poll_once(&main_loop.fds, 0);
        if (replay_limit_fn) {
            /* Replay: the inputs due now, before the timers, in the order a
             * recording took them (host input is read just above). */
            replay_limit_fn(replay_opaque, true);
        }
        clock_run_timers(&m->clock);
        if (debug_poll_fn) {
            /* Before the slice: a loadvm the monitor just did stops for a
             * waiting gdb at the loaded state, not a slice later. */
            debug_poll_fn(debug_opaque);
        }
        if (quit_requested || signal_received || m->shutdown_requested || m->reset_requested ||
            !runstate_is_running(&m->run)) {
            continue;
        }
        uint64_t gate = cpu_gate_fn ? cpu_gate_fn() : 0;
        if (gate) {
            fd_watch_poll_once(&main_loop.fds, (int64_t)gate);
            continue;
        }
        if (m->opts.icount_sleep) {
            /* sleep=on: a guest faster than real time waits for the wall
             * clock before its next slice (fds are served meanwhile). The
             * slices themselves are unchanged, so the run is the same. */
            uint64_t ahead = clock_pace_delay(&m->clock, clock_ns(&m->clock));
            if (ahead > MAIN_LOOP_PACE_MIN_WAIT_NS) {
                fd_watch_poll_once(&main_loop.fds, (int64_t)ahead);
                continue;
            }
        }
        uint64_t n = clock_ns_to_icount_delta(&m->clock, clock_next_deadline(&m->clock));
        if (n > MAIN_LOOP_SLICE) {
            n = MAIN_LOOP_SLICE;
        }
        if (n == 0) {
            n = 1;               /* a timer re-armed in the past: make progress */
        }
        if (replay_limit_fn) {
            /* Replay: the slice ends where the log's next input is due (the
             * hook gave the machine those due now). */
            uint64_t lim = replay_limit_fn(replay_opaque, true), pos = machine_icount(m);
            if (lim <= pos) {
                continue;        /* the hook stopped the machine */
            }
            if (lim - pos < n) {
                n = lim - pos;
            }
        }
        CPUExitReason r = machine_exec(m, n);
        if (r == CPU_EXIT_DEBUG) {
            /* A debugger's breakpoint or watchpoint: the machine stops
             * before the instruction, timers wait with it. */
            if (debug_stop_fn) {
                debug_stop_fn(debug_opaque);
            } else {
                runstate_set(&m->run, RUN_STATE_DEBUG);
            }
            continue;
        }
        clock_run_timers(&m->clock);
        /* A timer that fired just now may have woken the harts (its
         * interrupt clears WFI): then they run, and idling would wait for a
         * deadline that is gone (poll without end once it was the last). */
        if (r == CPU_EXIT_HALTED && !m->shutdown_requested && !m->reset_requested &&
            main_loop_all_halted(m)) {
            main_loop_idle(m);
        }
    }
    loop_done = true;
    if (drain_pending) {
        timer_del(&drain_timer);
        drain_pending = false;
    }
    if (cleanup_fn) {
        cleanup_fn(cleanup_opaque);
        cleanup_fn = NULL;
    }
    return quit_status;
}

/* The single-threaded event loop: polls registered file descriptors (serial
 * back ends, the monitor, migration channels), runs the CPU in bounded
 * slices while the machine is running, fires timers, and acts on the
 * guest's shutdown/reset requests. Everything happens on this one thread, so
 * fd callbacks may touch any machine state. */
#ifndef SYSTEM_MAIN_LOOP_H
#define SYSTEM_MAIN_LOOP_H

#include <stdbool.h>
#include <stdint.h>

#include "emu/loop.h"
#include "hw/riscv/machine.h"
#include "io/fd-watch.h"

/* Guest instructions per slice: a few ms of guest work, so input and the
 * monitor are served promptly without costing speed. */
#define MAIN_LOOP_SLICE (1u << 20)
/* sleep=on: how far virtual time may run ahead of the wall clock before
 * the loop waits (shorter waits cost more in wake-ups than they pace). */
#define MAIN_LOOP_PACE_MIN_WAIT_NS 1000000ull

/* Runs until main_loop_quit(), a guest shutdown or a termination signal.
 * Returns the process exit status: the guest's finisher code & 0xff when the
 * guest asked to exit before the loop ended (whatever else asked to quit),
 * otherwise the status given to main_loop_quit() (0 for a signal). */
int main_loop_run(Machine *m);
/* The loop the floors below are handed (monitor hub, migration): its fds
 * and its quit/signal hooks. Called once, first thing. */
Loop *main_loop_init(void);
/* The machine that quit_after's grace and the signal handler act on; set
 * as soon as it exists (main_loop_run sets it too). */
void main_loop_set_machine(Machine *m);
void main_loop_quit(int status);
/* Quits with status once the running guest has had ns more of virtual time
 * (or at once when the machine is not running), so a guest that is about to
 * exit gets to: a batch's end of input. Deterministic under icount. */
void main_loop_quit_after(uint64_t ns, int status);
/* SIGINT/SIGTERM/SIGHUP request a clean exit; SIGPIPE is ignored. */
void main_loop_install_signals(void);
/* The termination signal received and not yet acted on, or 0. Start-up code
 * that blocks before the loop runs (waiting for a socket client) stops
 * waiting when this is set; main_loop_run() then exits at once. */
int main_loop_pending_signal(void);
/* SIGINT goes to fn first; when it returns true (it cancelled a waiting
 * monitor command) the signal does not end the run. */
void main_loop_set_interrupt(bool (*fn)(void *opaque), void *opaque);
/* While fn() is true the loop leaves the machine alone (no reset, shutdown
 * or CPU checks) and only serves fds. */
void main_loop_set_machine_busy(bool (*fn)(void));
/* Asked before each CPU slice while set: ns the vCPU must wait first (the
 * auto-converge throttle); the loop polls its fds meanwhile. NULL: none. */
void main_loop_set_cpu_gate(uint64_t (*fn)(void));
/* The debugger (the GDB stub): stop runs when the machine stopped at a
 * debugger's breakpoint or watchpoint, poll once per iteration (so a
 * waiting gdb hears of a stop the monitor made). */
void main_loop_set_debugger(void (*stop)(void *opaque), void (*poll)(void *opaque), void *opaque);
/* Record/replay (system/machine-replay.c): limit gives the machine the
 * logged inputs due now (when apply is set) and returns the position the CPU may run to
 * (UINT64_MAX: any); idle time then ends at a deadline or at that
 * position, never at a moment of host time. NULL: none. */
void main_loop_set_replay(uint64_t (*limit)(void *opaque, bool apply), void *opaque);
/* Called once on the way out (restores the terminal). */
void main_loop_set_cleanup(void (*fn)(void *opaque), void *opaque);

#endif

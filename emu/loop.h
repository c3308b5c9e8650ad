/* What the floors below system/ may ask of the main loop, which lives on
 * the top floor (system/main-loop.c) and installs these hooks when it is
 * set up. Before that (unit tests of one floor) requests are ignored and no
 * signal is pending. */
#ifndef EMU_LOOP_H
#define EMU_LOOP_H

#include <stdbool.h>
#include <stdint.h>

typedef struct LoopHooks {
    void (*quit)(int status);
    void (*quit_after)(uint64_t ns, int status);
    void (*set_machine_busy)(bool (*fn)(void));
    void (*set_cpu_gate)(uint64_t (*fn)(void));
    int (*pending_signal)(void);
} LoopHooks;

/* h must outlive its use (a static table). */
void loop_install(const LoopHooks *h);

/* Ends the run with status (see main_loop_run for which status wins). */
void loop_quit(int status);
/* Quits with status once the running guest has had ns more of virtual time
 * (or at once when the machine is not running), so a guest that is about to
 * exit gets to: a batch's end of input. Deterministic under icount. */
void loop_quit_after(uint64_t ns, int status);
/* While fn() is true the loop leaves the machine alone (no reset, shutdown
 * or CPU checks) and only serves fds. NULL: never. */
void loop_set_machine_busy(bool (*fn)(void));
/* Asked before each CPU slice while set: ns the vCPU must wait first (the
 * auto-converge throttle); the loop polls its fds meanwhile. NULL: none. */
void loop_set_cpu_gate(uint64_t (*fn)(void));
/* The termination signal received and not yet acted on, or 0. Start-up code
 * that blocks before the loop runs (waiting for a socket client) stops
 * waiting when this is set. */
int loop_pending_signal(void);

#endif

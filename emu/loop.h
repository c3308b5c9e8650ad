/* What the floors below system/ may ask of the main loop that serves their
 * machine: the loop itself lives on the top floor (system/main-loop.c),
 * which fills in a Loop's hooks. A Loop with no hooks (unit tests of one
 * floor) ignores requests and has no pending signal; its fds are still
 * watched by whoever polls them. */
#ifndef EMU_LOOP_H
#define EMU_LOOP_H

#include <stdbool.h>
#include <stdint.h>

#include "io/fd-watch.h"

typedef struct LoopHooks {
    void (*quit)(void *opaque, int status);
    void (*quit_after)(void *opaque, uint64_t ns, int status);
    int (*pending_signal)(void *opaque);
} LoopHooks;

typedef struct Loop {
    const LoopHooks *hooks;      /* NULL: requests are ignored */
    void *opaque;                /* the hooks' argument */
    FdWatchSet fds;              /* the fds this loop polls */
} Loop;

/* hooks must outlive the loop (a static table), or be NULL. */
void loop_init(Loop *l, const LoopHooks *hooks, void *opaque);

/* Ends the run with status (see main_loop_run for which status wins). */
void loop_quit(Loop *l, int status);
/* Quits with status once the running guest has had ns more of virtual time
 * (or at once when the machine is not running), so a guest that is about to
 * exit gets to: a batch's end of input. Deterministic under icount. */
void loop_quit_after(Loop *l, uint64_t ns, int status);
/* The termination signal received and not yet acted on, or 0. Start-up code
 * that blocks before the loop runs (waiting for a socket client) stops
 * waiting when this is set. */
int loop_pending_signal(Loop *l);

#endif

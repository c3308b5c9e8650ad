/* Run states, with QEMU's names. Each machine has its own VMRunState (the
 * board embeds it; migration and the monitor reach it through
 * MigrationVM.run), so two machines in one process run and stop apart. */
#ifndef EMU_RUNSTATE_H
#define EMU_RUNSTATE_H

#include <stdbool.h>

typedef enum RunState {
    RUN_STATE_PRELAUNCH,
    RUN_STATE_RUNNING,
    RUN_STATE_PAUSED,
    RUN_STATE_INMIGRATE,
    RUN_STATE_POSTMIGRATE,
    RUN_STATE_FINISH_MIGRATE,
    RUN_STATE_SAVE_VM,
    RUN_STATE_RESTORE_VM,
    RUN_STATE_IO_ERROR,
    RUN_STATE_INTERNAL_ERROR,
    RUN_STATE_SHUTDOWN,
    RUN_STATE_GUEST_PANICKED,
    RUN_STATE_DEBUG,
    RUN_STATE__MAX,
} RunState;

typedef struct VMRunState {
    RunState state;              /* zero: prelaunch */
} VMRunState;

const char *runstate_name(RunState s);       /* "running", "paused", ... */
bool runstate_from_name(const char *name, RunState *out);
RunState runstate_get(const VMRunState *rs);
/* Out-of-range values are ignored. */
void runstate_set(VMRunState *rs, RunState s);
bool runstate_is_running(const VMRunState *rs);

#endif

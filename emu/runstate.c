/* The machine's run state, with QEMU's names (shown by "info status"). */
#include "emu/runstate.h"

#include <string.h>

static const char *const runstate_names[RUN_STATE__MAX] = {
    [RUN_STATE_PRELAUNCH] = "prelaunch",
    [RUN_STATE_RUNNING] = "running",
    [RUN_STATE_PAUSED] = "paused",
    [RUN_STATE_INMIGRATE] = "inmigrate",
    [RUN_STATE_POSTMIGRATE] = "postmigrate",
    [RUN_STATE_FINISH_MIGRATE] = "finish-migrate",
    [RUN_STATE_SAVE_VM] = "save-vm",
    [RUN_STATE_RESTORE_VM] = "restore-vm",
    [RUN_STATE_IO_ERROR] = "io-error",
    [RUN_STATE_INTERNAL_ERROR] = "internal-error",
    [RUN_STATE_SHUTDOWN] = "shutdown",
    [RUN_STATE_GUEST_PANICKED] = "guest-panicked",
    [RUN_STATE_DEBUG] = "debug",
};

const char *runstate_name(RunState s)
{
    if ((unsigned)s >= RUN_STATE__MAX) {
        return "unknown";
    }
    return runstate_names[s];
}

bool runstate_from_name(const char *name, RunState *out)
{
    for (int i = 0; i < RUN_STATE__MAX; i++) {
        if (strcmp(runstate_names[i], name) == 0) {
            *out = (RunState)i;
            return true;
        }
    }
    return false;
}

RunState runstate_get(const VMRunState *rs)
{
    return rs->state;
}

void runstate_set(VMRunState *rs, RunState s)
{
    if ((unsigned)s < RUN_STATE__MAX) {
        rs->state = s;
    }
}

bool runstate_is_running(const VMRunState *rs)
{
    return rs->state == RUN_STATE_RUNNING;
}

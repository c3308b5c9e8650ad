/* The monitor and record/replay: a command that changes the guest
 * (system_reset, loadvm) is logged at the position where it takes effect
 * while recording, and refused while a log drives the machine. */
#include <string.h>

#include "monitor/monitor-int.h"
#include "replay/replay.h"

bool hmp_replay_input(Monitor *mon, int kind, const void *data, size_t len)
{
    Replay *r = mon->hub->replay;
    if (!r) {
        return true;
    }
    Error err;
    error_init(&err);
    if (!replay_input(r, (ReplayEventKind)kind, data, len, &err)) {
        monitor_error(mon, "%s", err.msg);
        return false;
    }
    return true;
}

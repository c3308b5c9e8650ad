/* The monitor and record/replay: a command that changes the guest
 * (system_reset, loadvm) is logged at the position where it takes effect
 * while recording, and refused while a log drives the machine; info replay
 * shows the recording or replay and -reverse's checkpoints. */
#include <string.h>

#include "hw/riscv/machine.h"
#include "monitor/monitor-int.h"
#include "replay/replay.h"
#include "replay/reverse.h"

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

void hmp_info_replay(Monitor *mon, const MonArgs *a)
{
    (void)a;
    Machine *m = hmp_machine(mon);
    if (!m) {
        return;
    }
    const Replay *r = mon->hub->replay;
    unsigned long long pos = (unsigned long long)machine_icount(m);
    if (!r || r->mode == REPLAY_MODE_NONE) {
        monitor_puts(mon, "Record/replay is not active\n");
    } else if (r->mode == REPLAY_MODE_RECORD) {
        monitor_printf(mon, "Recording execution '%s': instruction count = %llu\n", r->path, pos);
        monitor_printf(mon, "%llu events recorded\n", (unsigned long long)r->events);
    } else {
        monitor_printf(mon, "Replaying execution '%s': instruction count = %llu\n", r->path, pos);
        monitor_printf(mon, "%llu of %zu events replayed, the log ends at position %llu\n",
                       (unsigned long long)r->events, r->log.nr_events,
                       (unsigned long long)r->log.end_pos);
    }
    const Reverse *rv = mon->hub->reverse;
    if (!rv || !rv->on) {
        monitor_puts(mon, "Reverse execution is off\n");
        return;
    }
    unsigned long long last = rv->nr_cp ? (unsigned long long)rv->cp[rv->nr_cp - 1].pos : 0;
    monitor_printf(mon, "Reverse execution at instruction count = %llu: %zu checkpoints from "
                        "position %llu to %llu, every %llu instructions\n",
                   pos, rv->nr_cp, (unsigned long long)reverse_begin(rv), last,
                   (unsigned long long)rv->interval);
    monitor_printf(mon, "Checkpoint memory: %llu bytes of device state and page deltas "
                        "(bound %llu), %llu bytes of RAM copy, %llu checkpoints folded into it\n",
                   (unsigned long long)rv->mem_used, (unsigned long long)rv->mem_limit,
                   (unsigned long long)(rv->base_pages * PAGE_SIZE),
                   (unsigned long long)rv->dropped);
    monitor_printf(mon, "Largest history: %zu checkpoints, %llu bytes, up to position %llu\n",
                   rv->peak_cp, (unsigned long long)rv->peak_mem,
                   (unsigned long long)rv->peak_pos);
}

/* Monitor commands that save and load VM state through the stream engine:
 * save_devices_state, load_devices_state (migrate is in hmp-migration.c).
 * The work is in migration/vm-state.c; these only parse and report. */
#include "migration/vm-state.h"
#include "emu/runstate.h"
#include "monitor/hmp.h"
#include "monitor/monitor-int.h"
#include "replay/replay.h"

void hmp_save_devices_state(Monitor *mon, const MonArgs *a)
{
    MigrationVM *vm = hmp_vm(mon);
    const char *file = mon_arg_str(a, "filename", "");
    if (!vm) {
        return;
    }
    Error err;
    error_init(&err);
    if (vm_save_devices_file(vm, file, &err) < 0) {
        monitor_error(mon, "saving device state failed: %s", err.msg);
    }
}

void hmp_load_devices_state(Monitor *mon, const MonArgs *a)
{
    MigrationVM *vm = hmp_vm(mon);
    const char *file = mon_arg_str(a, "filename", "");
    if (!vm) {
        return;
    }
    if (runstate_is_running(vm->run)) {
        monitor_error(mon, "Cannot update device state while vm is running");
        return;
    }
    const Replay *r = mon->hub->replay;
    if (r && r->mode != REPLAY_MODE_NONE) {
        /* The log has no event for a state file: the replay would differ. */
        monitor_error(mon, "load_devices_state: refused while %s %s (a device state file is "
                      "not an input the log can carry)",
                      r->mode == REPLAY_MODE_RECORD ? "recording" : "replaying", r->path);
        return;
    }
    Error err;
    error_init(&err);
    if (vm_load_devices_file(vm, file, &err) < 0) {
        monitor_error(mon, "loading device state failed: %s", err.msg);
    }
}

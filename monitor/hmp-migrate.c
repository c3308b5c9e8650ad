/* Monitor commands that save and load VM state through the stream engine:
 * migrate (exec: and file: URIs), save_devices_state, load_devices_state.
 * The work is in emu/machine-vmstate.c; these only parse and report. */
#include "emu/machine-vmstate.h"
#include "emu/runstate.h"
#include "monitor/hmp.h"

/* migrate [-d] uri: the stream is written synchronously (the machine is
 * stopped while it is written), so -d (detach) is accepted and changes
 * nothing. Success prints nothing, as QEMU. */
void hmp_migrate(Monitor *mon, const MonArgs *a)
{
    Machine *m = hmp_machine(mon);
    const char *uri = mon_arg_str(a, "uri", "");
    if (!m) {
        return;
    }
    Error err;
    error_init(&err);
    if (machine_migrate(m, uri, &err) < 0) {
        monitor_error(mon, "%s", err.msg);
    }
}

void hmp_save_devices_state(Monitor *mon, const MonArgs *a)
{
    Machine *m = hmp_machine(mon);
    const char *file = mon_arg_str(a, "filename", "");
    if (!m) {
        return;
    }
    Error err;
    error_init(&err);
    if (machine_save_devices_file(m, file, &err) < 0) {
        monitor_error(mon, "saving device state failed: %s", err.msg);
    }
}

void hmp_load_devices_state(Monitor *mon, const MonArgs *a)
{
    Machine *m = hmp_machine(mon);
    const char *file = mon_arg_str(a, "filename", "");
    if (!m) {
        return;
    }
    if (runstate_is_running()) {
        monitor_error(mon, "Cannot update device state while vm is running");
        return;
    }
    Error err;
    error_init(&err);
    if (machine_load_devices_file(m, file, &err) < 0) {
        monitor_error(mon, "loading device state failed: %s", err.msg);
    }
}

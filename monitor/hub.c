/* The hub: what the monitors of one machine share (MonitorHub,
 * monitor-int.h), from monitor_hub_new() to monitor_hub_free(), and the
 * way out (monitor_cleanup, monitor_interrupt). system/ makes one per
 * machine; unit tests and the fuzzer make their own, so no state outlives
 * them. */
#include <stdlib.h>

#include "monitor/console.h"
#include "monitor/monitor-int.h"
#include "monitor/monitor.h"

MonitorHub *monitor_hub_new(struct Loop *loop)
{
    MonitorHub *hub = calloc(1, sizeof(*hub));
    hub->loop = loop;
    hub->setup = monitor_setup_new();
    hub->mwait.progress_fd = -1;
    return hub;
}

void monitor_hub_free(MonitorHub *hub)
{
    if (!hub) {
        return;
    }
    monitor_cleanup(hub);
    while (hub->monitors) {
        monitor_free(hub->monitors);
    }
    hmp_serial_free(hub);
    console_free(hub);
    monitor_setup_free(hub->setup);
    monitor_history_clear(hub);
    free(hub);
}

void monitor_set_machine(MonitorHub *hub, struct Machine *m, struct MigrationVM *vm)
{
    hub->machine = m;
    hub->vm = vm;
}

void monitor_set_gdb(MonitorHub *hub, struct GdbStub *gs)
{
    hub->gdb = gs;
}

void monitor_set_replay(MonitorHub *hub, struct Replay *r)
{
    hub->replay = r;
}

void monitor_set_reverse(MonitorHub *hub, struct Reverse *rv)
{
    hub->reverse = rv;
}

void monitor_set_vm_name(MonitorHub *hub, const char *name)
{
    hub->vm_name = name;
}

void monitor_cleanup(MonitorHub *hub)
{
    if (hub->cleaned_up) {
        return;
    }
    hub->cleaned_up = true;
    /* A command still waiting (the guest ended the run) says so; nothing
     * further runs. */
    hub->quitting = true;
    monitor_interrupt(hub);
    monitor_output_flush_all(hub, 200);
    console_restore(hub);
    for (Monitor *m = hub->monitors; m; m = m->next) {
        if (m->kind == MON_KIND_READLINE) {
            monitor_tty_stop(m);         /* restores the terminal, writes the history */
        }
    }
    monitor_setup_cleanup(hub);
}

bool monitor_interrupt(MonitorHub *hub)
{
    bool any = false;
    for (Monitor *m = hub->monitors; m; m = m->next) {
        if (m->suspended && m->cancel_fn) {
            m->cancel_fn(m, m->cancel_opaque);
            any = true;
        }
    }
    return any;
}

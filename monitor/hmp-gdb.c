/* gdb and the monitor: the gdbserver command, and the captured monitor
 * that runs gdb's `monitor CMD` lines (qRcmd). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gdbstub/gdbstub.h"
#include "monitor/monitor-int.h"
#include "monitor/monitor.h"

void hmp_gdbserver(Monitor *mon, const MonArgs *a)
{
    /* The machine first: the parser fuzzer has none and opens no socket. */
    if (!hmp_machine(mon)) {
        return;
    }
    if (!mon->hub->gdb) {
        monitor_error(mon, "gdbserver: no GDB stub in this process");
        return;
    }
    const char *dev = mon_arg_str(a, "device", GDB_DEFAULT_DEVICE);
    Error err;
    error_init(&err);
    if (!gdb_server_start(mon->hub->gdb, dev, &err)) {
        monitor_error(mon, "%s", err.msg);
        return;
    }
    if (!strcmp(dev, "none")) {
        monitor_puts(mon, "Disabled gdbserver\n");
    } else {
        monitor_printf(mon, "Waiting for gdb connection on device '%s'\n", dev);
    }
}

char *monitor_run_captured(MonitorHub *hub, const char *line, int cpu_index)
{
    Monitor *mon = monitor_new_buffer(hub);
    snprintf(mon->name, sizeof(mon->name), "gdb");
    mon->cpu_index = cpu_index;
    monitor_handle_line(mon, line);
    if (mon->suspended && mon->cancel_fn) {
        mon->cancel_fn(mon, mon->cancel_opaque);   /* gdb cannot wait with it */
    }
    char *out = strdup(monitor_buffer(mon));
    monitor_free(mon);
    return out;
}

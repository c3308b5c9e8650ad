/* log and logfile: the debug log (util/log.h) from the monitor, as QEMU's
 * HMP commands of the same names. */
#include <stdio.h>
#include <string.h>

#include "util/log.h"
#include "hw/riscv/machine.h"
#include "monitor/hmp.h"

void hmp_log(Monitor *mon, const MonArgs *a)
{
    const char *items = mon_arg_str(a, "items", "");
    Error err;
    error_init(&err);
    unsigned mask;
    if (!log_parse_items(items, &mask, &err)) {
        monitor_error(mon, "%s", err.msg);
        monitor_puts(mon, "Log items (comma separated):\n");
        monitor_printf(mon, "%-15s %s\n", "none", "remove all logs");
        for (const LogItem *it = log_items; it->mask; it++) {
            monitor_printf(mon, "%-15s %s\n", it->name, it->help);
        }
        return;
    }
    /* Without a machine (unit tests, the fuzzer) there is no log to set. */
    Machine *m = hmp_machine_or_null(mon);
    if (m) {
        machine_log_set_mask(m, mask);
    }
}

void hmp_logfile(Monitor *mon, const MonArgs *a)
{
    Error err;
    error_init(&err);
    Machine *m = hmp_machine(mon);
    if (!m) {
        return;
    }
    if (!log_set_file(m->log, mon_arg_str(a, "filename", ""), &err)) {
        monitor_error(mon, "%s", err.msg);
    }
}

/* Monitor commands for internal snapshots: savevm, loadvm, delvm and
 * info snapshots. The work is in migration/snapshot.c; these parse and print. */
#include <stdlib.h>
#include <string.h>

#include "monitor/hmp.h"
#include "migration/snapshot.h"
#include "monitor/monitor-int.h"
#include "replay/replay.h"

void hmp_savevm(Monitor *mon, const MonArgs *a)
{
    MigrationVM *vm = hmp_vm(mon);
    if (!vm) {
        return;
    }
    Error err;
    error_init(&err);
    if (snapshot_save(vm, mon_arg_str(a, "name", NULL), &err) < 0) {
        monitor_error(mon, "%s", err.msg);
    }
}

void hmp_loadvm(Monitor *mon, const MonArgs *a)
{
    MigrationVM *vm = hmp_vm(mon);
    if (!vm) {
        return;
    }
    const char *name = mon_arg_str(a, "name", "");
    if (!hmp_replay_input(mon, REPLAY_EV_LOADVM, name, strlen(name))) {
        return;
    }
    Error err;
    error_init(&err);
    if (snapshot_load(vm, name, &err) < 0) {
        monitor_error(mon, "%s", err.msg);
    }
}

void hmp_delvm(Monitor *mon, const MonArgs *a)
{
    MigrationVM *vm = hmp_vm(mon);
    if (!vm) {
        return;
    }
    Error err;
    error_init(&err);
    if (snapshot_delete_vm(vm, mon_arg_str(a, "name", ""), &err) < 0) {
        monitor_error(mon, "%s", err.msg);
    }
}

void hmp_info_snapshots(Monitor *mon, const MonArgs *a)
{
    MigrationVM *vm = hmp_vm(mon);
    if (!vm) {
        return;
    }
    Error err;
    error_init(&err);
    char *text;
    if (snapshot_info(vm, &text, &err) < 0) {
        /* QEMU prints this as plain text, not as an error. */
        monitor_printf(mon, "%s\n", err.msg);
        return;
    }
    monitor_puts(mon, text);
    free(text);
}

/* Completion of snapshot tags (loadvm, delvm) from the machine's disks. */
void hmp_complete_snapshot_tags(MonitorHub *hub, const char *prefix, MonCompleteAdd add,
                                void *opaque)
{
    snapshot_complete_tags(hmp_vm_or_null(hub), prefix, add, opaque);
}

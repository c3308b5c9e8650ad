/* Run control and simple commands: stop, cont, quit, resets, status,
 * version, errexit, echo. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "block/snapshot-all.h"
#include "hw/riscv/machine.h"
#include "emu/loop.h"
#include "io/fd-watch.h"
#include "emu/runstate.h"
#include "monitor/monitor-int.h"
#include "replay/replay.h"
#include "migration/migration.h"

#ifndef AMBER_VERSION
#define AMBER_VERSION "0.0.0"
#endif

/* The machine, or NULL after an error was printed (unit tests run without). */
Machine *hmp_machine(Monitor *mon)
{
    if (!mon->hub->machine) {
        monitor_error(mon, "no machine");
    }
    return mon->hub->machine;
}

Machine *hmp_machine_or_null(const Monitor *mon)
{
    return mon->hub->machine;
}

MigrationVM *hmp_vm_or_null(const MonitorHub *hub)
{
    return hub ? hub->vm : NULL;
}

/* The machine as migration sees it, or NULL after an error was printed. */
MigrationVM *hmp_vm(Monitor *mon)
{
    if (!mon->hub->vm) {
        monitor_error(mon, "no machine");
    }
    return mon->hub->vm;
}

void hmp_stop(Monitor *mon, const MonArgs *a)
{
    Machine *m = hmp_machine(mon);
    if (!m) {
        return;
    }
    if (runstate_get(&m->run) == RUN_STATE_INMIGRATE) {
        MigrationVM *vm = hmp_vm(mon);
        if (vm) {
            migration_incoming_set_autostart(vm->mig, false);   /* QEMU: autostart = 0 */
        }
    } else if (runstate_is_running(&m->run)) {
        runstate_set(&m->run, RUN_STATE_PAUSED);
        machine_request_exit(m);
        /* As QEMU's vm_stop: a stopped machine's disks are complete on the
         * host, so qemu-img -U or a copy sees a consistent image. */
        Error err;
        error_init(&err);
        if (bdrv_all_flush(m->drive_bs, MACHINE_MAX_DRIVES, &err) < 0) {
            monitor_error(mon, "%s", err.msg);
        }
    }
}

static bool needs_reset(RunState s)
{
    return s == RUN_STATE_INTERNAL_ERROR || s == RUN_STATE_GUEST_PANICKED ||
           s == RUN_STATE_SHUTDOWN;
}

void hmp_cont(Monitor *mon, const MonArgs *a)
{
    Machine *m = hmp_machine(mon);
    if (!m) {
        return;
    }
    if (needs_reset(runstate_get(&m->run))) {
        monitor_error(mon, "Resetting the Virtual Machine is required");
        return;
    }
    if (runstate_get(&m->run) == RUN_STATE_INMIGRATE) {
        /* As QEMU's qmp_cont: the machine has no state of its own yet (or
         * a half-loaded one); it starts when an incoming load completes. */
        MigrationVM *vm = hmp_vm(mon);
        if (vm) {
            migration_incoming_set_autostart(vm->mig, true);
        }
        return;
    }
    if (runstate_get(&m->run) == RUN_STATE_POSTMIGRATE) {
        /* As QEMU's qmp_cont: the migration handed the disks over; the
         * guest runs here again only if they can be taken back (not while
         * the destination holds them). */
        MigrationVM *vm = hmp_vm(mon);
        Error err;
        error_init(&err);
        if (vm && migration_block_activate_all(vm->mig, &err) < 0) {
            monitor_error(mon, "%s", err.msg);
            return;
        }
    }
    runstate_set(&m->run, RUN_STATE_RUNNING);
}

void hmp_quit(Monitor *mon, const MonArgs *a)
{
    monitor_request_quit(mon, mon->batch ? monitor_exit_status(mon) : 0);
}

void hmp_system_reset(Monitor *mon, const MonArgs *a)
{
    Machine *m = hmp_machine(mon);
    if (!m) {
        return;
    }
    if (!hmp_replay_input(mon, REPLAY_EV_RESET, NULL, 0)) {
        return;
    }
    /* Called from the event loop, never from inside cpu_exec: safe to reset
     * here rather than raising the guest's request (which -no-reboot turns
     * into an exit). */
    machine_reset(m);
    if (needs_reset(runstate_get(&m->run))) {
        /* QEMU: a reset machine that is not running waits in prelaunch
         * for cont (after -no-shutdown's stop, a panic, an error). */
        runstate_set(&m->run, RUN_STATE_PRELAUNCH);
    }
}

void hmp_system_powerdown(Monitor *mon, const MonArgs *a)
{
    monitor_puts(mon, "system_powerdown: the virt board has no power button; the guest was "
                      "not notified (use quit, or the guest's poweroff)\n");
}

static const char *const errexit_names[] = { "off", "on", "ignore" };

void hmp_errexit(Monitor *mon, const MonArgs *a)
{
    const char *mode = mon_arg_str(a, "mode", NULL);
    if (!mode) {
        monitor_printf(mon, "errexit: %s\n", errexit_names[mon->errexit]);
        return;
    }
    for (int i = 0; i < 3; i++) {
        if (!strcmp(mode, errexit_names[i])) {
            mon->errexit = (MonErrexit)i;
            return;
        }
    }
    monitor_error(mon, "errexit: expected on, off or ignore");
}

void hmp_echo(Monitor *mon, const MonArgs *a)
{
    monitor_printf(mon, "%s\n", mon_arg_str(a, "text", ""));
}

void hmp_info_name(Monitor *mon, const MonArgs *a)
{
    /* QEMU prints nothing without -name. */
    if (mon->hub->vm_name) {
        monitor_printf(mon, "%s\n", mon->hub->vm_name);
    }
}

void hmp_info_version(Monitor *mon, const MonArgs *a)
{
    monitor_printf(mon, "%s\n", AMBER_VERSION);
}

void hmp_info_status(Monitor *mon, const MonArgs *a)
{
    Machine *m = hmp_machine(mon);
    if (!m) {
        return;
    }
    RunState s = runstate_get(&m->run);
    monitor_printf(mon, "VM status: %s", s == RUN_STATE_RUNNING ? "running" : "paused");
    if (s != RUN_STATE_RUNNING && s != RUN_STATE_PAUSED) {
        monitor_printf(mon, " (%s)", runstate_name(s));
    }
    monitor_puts(mon, "\n");
}

void hmp_info_history(Monitor *mon, const MonArgs *a)
{
    for (int i = 0; i < monitor_history_count(mon->hub); i++) {
        monitor_printf(mon, "%d: '%s'\n", i, monitor_history_get(mon->hub, i));
    }
}

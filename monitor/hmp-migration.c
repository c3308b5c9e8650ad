/* Live migration commands: migrate, migrate_cancel, migrate_incoming,
 * migrate_set_capability, migrate_set_parameter, getfd, closefd and
 * info migrate / migrate_capabilities / migrate_parameters, with QEMU's
 * names, fields and messages (ref-stream-format.md §7). */
#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "hw/riscv/machine.h"
#include "emu/loop.h"
#include "io/fd-watch.h"
#include "emu/runstate.h"
#include "monitor/hmp.h"
#include "monitor/monitor-int.h"
#include "migration/migration.h"

/* ---- migrate and its wait ---- */

/* The wait is the hub's (HmpMigrateWait, monitor-int.h): the main-loop
 * callbacks get it as their opaque. */

static unsigned hmp_migrate_percent(Migration *mig)
{
    MigrationInfo info;
    migration_get_info(mig, &info);
    uint64_t done = info.transferred, all = info.transferred + info.remaining;
    if (info.status == MIGRATION_STATUS_COMPLETED) {
        return 100;
    }
    /* Pages resent in later passes count again, so clamp: never past 100. */
    unsigned pct = all ? (unsigned)(done * 100 / all) : 0;
    return pct > 99 ? 99 : pct;
}

static void hmp_migrate_wait_release(HmpMigrateWait *w)
{
    if (w->progress_fd >= 0) {
        fd_watch_remove(&w->loop->fds, w->progress_fd);
        close(w->progress_fd);
        w->progress_fd = -1;
    }
    w->mon = NULL;
}

static void hmp_migrate_done(void *opaque)
{
    HmpMigrateWait *w = opaque;
    Monitor *mon = w->mon;
    if (!mon) {
        return;
    }
    MigrationInfo info;
    migration_get_info(w->mig, &info);
    if (w->progress_shown) {
        monitor_printf(mon, "\rmigrate: %u %%\n", hmp_migrate_percent(w->mig));
        w->progress_shown = false;
    }
    if (info.status == MIGRATION_STATUS_FAILED) {
        monitor_error(mon, "%s", info.error_desc[0] ? info.error_desc : "migration failed");
    } else if (info.status == MIGRATION_STATUS_CANCELLED) {
        monitor_error(mon, "Migration was cancelled");
    }
    hmp_migrate_wait_release(w);
    monitor_set_cancel(mon, NULL, NULL);
    monitor_resume(mon);
}

static void hmp_migrate_progress(void *opaque)
{
    HmpMigrateWait *w = opaque;
    uint64_t n;
    if (read(w->progress_fd, &n, sizeof(n)) < 0 || !w->mon) {
        return;
    }
    monitor_printf(w->mon, "\rmigrate: %u %%", hmp_migrate_percent(w->mig));
    w->progress_shown = true;
}

/* Ctrl-C while migrate waits: cancel it, as QEMU's HMP does. */
static void hmp_migrate_cancel_wait(Monitor *mon, void *opaque)
{
    migration_cancel(opaque);    /* notifies hmp_migrate_done */
}

void hmp_migrate(Monitor *mon, const MonArgs *a)
{
    MigrationVM *vm = hmp_vm(mon);
    const char *uri = mon_arg_str(a, "uri", "");
    if (!vm) {
        return;
    }
    Error err;
    error_init(&err);
    if (migration_start(vm->mig, uri, &err) < 0) {
        monitor_error(mon, "%s", err.msg);
        return;
    }
    if (mon_arg_flag(a, 'd') || !migration_is_running(vm->mig)) {
        return;
    }
    HmpMigrateWait *w = &mon->hub->mwait;
    if (w->mon) {
        return;                  /* another monitor already waits: this one detaches */
    }
    w->mon = mon;
    w->loop = mon->hub->loop;
    w->progress_shown = false;
    if (monitor_is_interactive(mon)) {
        w->progress_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
        struct itimerspec its = {
            .it_interval = { .tv_nsec = 500000000 },
            .it_value = { .tv_nsec = 500000000 },
        };
        if (w->progress_fd >= 0 && timerfd_settime(w->progress_fd, 0, &its, NULL) == 0) {
            fd_watch_add(&w->loop->fds, w->progress_fd, hmp_migrate_progress, w);
        }
    }
    w->mig = vm->mig;
    migration_set_done_notify(vm->mig, hmp_migrate_done, w);
    monitor_set_cancel(mon, hmp_migrate_cancel_wait, vm->mig);
    monitor_suspend(mon);
}

void hmp_migrate_cancel(Monitor *mon, const MonArgs *a)
{
    MigrationVM *vm = hmp_vm(mon);
    if (vm) {
        migration_cancel(vm->mig);
    }
}

void hmp_migrate_incoming(Monitor *mon, const MonArgs *a)
{
    Machine *m = hmp_machine(mon);
    MigrationVM *vm = m ? hmp_vm(mon) : NULL;
    if (!vm) {
        return;
    }
    if (!migration_incoming_deferred(vm->mig)) {
        monitor_error(mon, "'-incoming' was not specified on the command line");
        return;
    }
    Error err;
    error_init(&err);
    if (migration_incoming_start(vm->mig, mon_arg_str(a, "uri", ""), m->opts.start_paused,
                                 false, &err) < 0) {
        monitor_error(mon, "%s", err.msg);
    }
}

void hmp_migrate_set_capability(Monitor *mon, const MonArgs *a)
{
    MigrationVM *vm = hmp_vm(mon);
    if (!vm) {
        return;
    }
    Error err;
    error_init(&err);
    if (migration_set_capability(vm->mig, mon_arg_str(a, "capability", ""),
                                 mon_arg_int(a, "state", 0) != 0, &err) < 0) {
        monitor_error(mon, "%s", err.msg);
    }
}

void hmp_migrate_set_parameter(Monitor *mon, const MonArgs *a)
{
    MigrationVM *vm = hmp_vm(mon);
    if (!vm) {
        return;
    }
    Error err;
    error_init(&err);
    if (migration_set_parameter(vm->mig, mon_arg_str(a, "parameter", ""),
                                mon_arg_str(a, "value", ""), &err) < 0) {
        monitor_error(mon, "%s", err.msg);
    }
}

void hmp_getfd(Monitor *mon, const MonArgs *a)
{
    MigrationVM *vm = hmp_vm(mon);
    int fd = monitor_take_passed_fd(mon);
    if (!vm) {
        if (fd >= 0) {
            close(fd);
        }
        return;
    }
    if (fd < 0) {
        monitor_error(mon, "No file descriptor supplied via SCM_RIGHTS");
        return;
    }
    Error err;
    error_init(&err);
    if (migration_fd_add(vm->mig, mon_arg_str(a, "fdname", ""), fd, &err) < 0) {
        close(fd);
        monitor_error(mon, "%s", err.msg);
    }
}

void hmp_closefd(Monitor *mon, const MonArgs *a)
{
    MigrationVM *vm = hmp_vm(mon);
    if (!vm) {
        return;
    }
    Error err;
    error_init(&err);
    if (migration_fd_close(vm->mig, mon_arg_str(a, "fdname", ""), &err) < 0) {
        monitor_error(mon, "%s", err.msg);
    }
}

/* ---- info ---- */

static void print_blocker(void *opaque, const char *text)
{
    monitor_printf(opaque, "  %s\n", text);
}

static void count_blocker(void *opaque, const char *text)
{
    (*(int *)opaque)++;
}

void hmp_info_migrate(Monitor *mon, const MonArgs *a)
{
    MigrationVM *vm = hmp_vm(mon);
    if (!vm) {
        return;
    }
    Migration *mig = vm->mig;
    /* QEMU ≤ 10.0's layout: the globals, blockers, then the status lines
     * the state has. */
    monitor_printf(mon, "globals:\nstore-global-state: on\nonly-migratable: off\n"
                   "send-configuration: on\nsend-section-footer: on\n"
                   "send-switchover-start: on\nclear-bitmap-shift: 18\n");
    int nr_blockers = 0;
    migration_foreach_blocker(mig, count_blocker, &nr_blockers);
    if (nr_blockers) {
        monitor_printf(mon, "Outgoing migration blocked:\n");
        migration_foreach_blocker(mig, print_blocker, mon);
    }
    MigrationInfo info;
    migration_get_info(mig, &info);
    if (info.status == MIGRATION_STATUS_NONE) {
        MigrationStatus in = migration_incoming_status(mig);
        if (in != MIGRATION_STATUS_NONE) {
            monitor_printf(mon, "Migration status: %s", migration_status_name(in));
            if (in == MIGRATION_STATUS_FAILED && migration_incoming_error(mig)[0]) {
                monitor_printf(mon, " (%s)", migration_incoming_error(mig));
            }
            monitor_printf(mon, "\n");
            if (migration_incoming_listen_uri(mig)) {
                monitor_printf(mon, "socket address: [\n\t%s\n]\n",
                               migration_incoming_listen_uri(mig));
            }
        }
        return;
    }
    monitor_printf(mon, "Migration status: %s", migration_status_name(info.status));
    if (info.status == MIGRATION_STATUS_FAILED && info.error_desc[0]) {
        monitor_printf(mon, " (%s)", info.error_desc);
    }
    monitor_printf(mon, "\n");
    if (info.status != MIGRATION_STATUS_ACTIVE && info.status != MIGRATION_STATUS_DEVICE &&
        info.status != MIGRATION_STATUS_COMPLETED) {
        return;                  /* setup, failed, cancelled: the status only */
    }
    monitor_printf(mon, "total time: %" PRIu64 " ms\n", info.total_time_ms);
    if (info.status == MIGRATION_STATUS_COMPLETED) {
        monitor_printf(mon, "downtime: %" PRIu64 " ms\n", info.downtime_ms);
    } else {
        monitor_printf(mon, "expected downtime: %" PRIu64 " ms\n", info.expected_downtime_ms);
    }
    monitor_printf(mon, "setup: %" PRIu64 " ms\n", info.setup_time_ms);
    monitor_printf(mon, "transferred ram: %" PRIu64 " kbytes\n", info.transferred >> 10);
    monitor_printf(mon, "throughput: %0.2f mbps\n", info.mbps);
    monitor_printf(mon, "remaining ram: %" PRIu64 " kbytes\n", info.remaining >> 10);
    monitor_printf(mon, "total ram: %" PRIu64 " kbytes\n", info.total >> 10);
    monitor_printf(mon, "duplicate: %" PRIu64 " pages\n", info.duplicate);
    monitor_printf(mon, "normal: %" PRIu64 " pages\n", info.normal);
    monitor_printf(mon, "normal bytes: %" PRIu64 " kbytes\n", info.normal_bytes >> 10);
    monitor_printf(mon, "dirty sync count: %" PRIu64 "\n", info.dirty_sync_count);
    monitor_printf(mon, "page size: 4 kbytes\n");
    monitor_printf(mon, "multifd bytes: 0 kbytes\n");
    monitor_printf(mon, "pages-per-second: %" PRIu64 "\n", info.pages_per_second);
    if (info.dirty_pages_rate && info.status != MIGRATION_STATUS_COMPLETED) {
        monitor_printf(mon, "dirty pages rate: %" PRIu64 " pages\n", info.dirty_pages_rate);
    }
    if (migrate_cap(mig, MIGRATION_CAP_XBZRLE)) {
        uint64_t tries = info.xbzrle_pages + info.xbzrle_cache_miss + info.xbzrle_overflow;
        monitor_printf(mon, "cache size: %" PRId64 " bytes\n",
                       migration_params(mig)->xbzrle_cache_size);
        monitor_printf(mon, "xbzrle transferred: %" PRIu64 " kbytes\n", info.xbzrle_bytes >> 10);
        monitor_printf(mon, "xbzrle pages: %" PRIu64 " pages\n", info.xbzrle_pages);
        monitor_printf(mon, "xbzrle cache miss: %" PRIu64 " pages\n", info.xbzrle_cache_miss);
        monitor_printf(mon, "xbzrle cache miss rate: %0.2f\n",
                       tries ? (double)info.xbzrle_cache_miss / (double)tries : 0.0);
        monitor_printf(mon, "xbzrle encoding rate: %0.2f\n",
                       info.xbzrle_bytes ? (double)info.xbzrle_pages * 4096.0 /
                                               (double)info.xbzrle_bytes : 0.0);
        monitor_printf(mon, "xbzrle overflow: %" PRIu64 "\n", info.xbzrle_overflow);
    }
    if (info.throttle_percent) {
        monitor_printf(mon, "cpu throttle percentage: %d\n", info.throttle_percent);
    }
}

static void print_capability(void *opaque, const char *name, bool on)
{
    monitor_printf(opaque, "%s: %s\n", name, on ? "on" : "off");
}

void hmp_info_migrate_capabilities(Monitor *mon, const MonArgs *a)
{
    MigrationVM *vm = hmp_vm(mon);
    if (vm) {
        migration_foreach_capability(vm->mig, print_capability, mon);
    }
}

static void print_parameter(void *opaque, const char *line)
{
    monitor_printf(opaque, "%s\n", line);
}

void hmp_info_migrate_parameters(Monitor *mon, const MonArgs *a)
{
    MigrationVM *vm = hmp_vm(mon);
    if (vm) {
        migration_foreach_parameter(vm->mig, print_parameter, mon);
    }
}

/* Capability and parameter names complete after migrate_set_*. */
void hmp_complete_params(MonitorHub *hub, const char *prefix, MonCompleteAdd add, void *opaque)
{
    migration_complete_names(prefix, add, opaque);
}

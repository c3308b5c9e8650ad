/* The source of a live migration: QEMU's precopy state machine (§8.2-8.3)
 * on Amber's cooperative main loop (see migration.h for the scheduling).
 *
 *   setup -> active (RAM passes, rate-limited, dirty pages resent)
 *         -> device (guest stopped, rest of RAM + devices + globalstate)
 *         -> completed (runstate postmigrate)
 *   any of them -> failed / cancelling -> cancelled: the guest gets its
 *   previous run state back and the disks their images. */
#include "migration/migration.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "emu/clock.h"
#include "emu/loop.h"
#include "io/fd-watch.h"
#include "io/channel.h"
#include "util/uri.h"
#include "migration/globalstate.h"
#include "migration/migration-rp.h"
#include "migration/migration-sender.h"
#include "migration/migration-transport.h"
#include "migration/ram.h"
#include "savevm/savevm.h"

#define MIG_TICK_NS        100000000ull   /* QEMU's BUFFER_DELAY */
#define MIG_PART_PAGES     256            /* 1 MiB per RAM PART */
#define MIG_AC_PERIOD_NS   1000000000ull  /* auto-converge looks once a second */

static const char *const status_names[MIGRATION_STATUS__MAX] = {
    [MIGRATION_STATUS_NONE] = "none",
    [MIGRATION_STATUS_SETUP] = "setup",
    [MIGRATION_STATUS_CANCELLING] = "cancelling",
    [MIGRATION_STATUS_CANCELLED] = "cancelled",
    [MIGRATION_STATUS_ACTIVE] = "active",
    [MIGRATION_STATUS_COMPLETED] = "completed",
    [MIGRATION_STATUS_FAILED] = "failed",
    [MIGRATION_STATUS_DEVICE] = "device",
};

typedef struct MigrationState {
    MigrationStatus status;
    char error[512];
    MigrationVM *vm;
    MigrationTransport t;
    QEMUFile *f;                 /* writes into q */
    ChannelBuffer q;             /* produced, not yet written to t.fd */
    bool sender_on;              /* the sender thread runs (migration-sender.c) */
    bool savevm_open;            /* savevm_save_begin done, complete not yet */
    bool stopped_vm;             /* we stopped the guest for the final phase */
    RunState vm_before;
    int timer_fd;
    /* times (host ns) */
    uint64_t start_ns, setup_ns, stop_ns, end_ns;
    /* accounting */
    uint64_t written;            /* bytes written to the transport (at the end) */
    uint64_t period_start_ns, period_written_mark, period_pages;
    uint64_t bandwidth_bps;      /* measured, bytes per second */
    double mbps;
    uint64_t pages_per_second;
    uint64_t expected_downtime_ms;
    uint64_t last_sync_count, last_sync_ns, dirty_pages_rate;
    uint64_t sync_pages, sync_produced;   /* pages and bytes sent at the last sync */
    uint64_t bytes_per_page;     /* in the last pass that resent dirty pages */
    /* auto-converge */
    uint64_t ac_start_ns, ac_written, ac_dirty_pages;
    int ac_high_cnt;
    void (*notify)(void *opaque);
    void *notify_opaque;
    Reporter report;             /* failures of both directions (migration_set_reporter) */
} MigrationState;

static MigrationState ms = { .timer_fd = -1, .t = { .fd = -1 } };

const char *migration_status_name(MigrationStatus s)
{
    return s < MIGRATION_STATUS__MAX && status_names[s] ? status_names[s] : "unknown";
}

bool migration_is_running(void)
{
    return ms.status == MIGRATION_STATUS_SETUP || ms.status == MIGRATION_STATUS_ACTIVE ||
           ms.status == MIGRATION_STATUS_DEVICE || ms.status == MIGRATION_STATUS_CANCELLING;
}

void migration_set_done_notify(void (*fn)(void *opaque), void *opaque)
{
    ms.notify = fn;
    ms.notify_opaque = opaque;
}

void migration_set_reporter(const Reporter *r)
{
    ms.report = r ? *r : (Reporter){ 0 };
}

const Reporter *migration_reporter(void)
{
    return &ms.report;
}

/* ---- the end, whichever it is ---- */

static uint64_t mig_written(void)
{
    return ms.sender_on ? mig_sender_written() : ms.written;
}

/* Before the transport or the stream goes: the thread may be using them. */
static void mig_stop_sender(void)
{
    if (!ms.sender_on) {
        return;
    }
    ms.written = mig_sender_written();
    fd_watch_remove(mig_sender_event_fd());
    mig_sender_quiesce();
    if (ms.t.fd < 0) {
        ms.t.fd = mig_sender_fd();   /* connected as the cancel came: ours to close */
    }
    mig_sender_stop();
    ms.sender_on = false;
}

static void mig_release(bool abort_transport, Error *err)
{
    mig_stop_sender();
    if (ms.timer_fd >= 0) {
        fd_watch_remove(ms.timer_fd);
        close(ms.timer_fd);
        ms.timer_fd = -1;
    }
    if (ms.t.fd >= 0) {
        fd_watch_remove(ms.t.fd);
    }
    migration_transport_close(&ms.t, abort_transport, err);
    if (ms.savevm_open) {
        savevm_save_cleanup(ms.vm->sections);
        ms.savevm_open = false;
    }
    if (ms.f) {
        qemu_file_close(ms.f, NULL);
        ms.f = NULL;
    }
    channel_buffer_free(&ms.q);
    ram_set_iterate_max_pages(ms.vm->sections, 0);
    migration_throttle_set(0);   /* whatever the outcome (QEMU does the same) */
    loop_set_cpu_gate(NULL);
    ms.end_ns = clock_host_ns();
}

static void mig_notify(void)
{
    void (*fn)(void *) = ms.notify;
    ms.notify = NULL;
    if (fn) {
        fn(ms.notify_opaque);
    }
}

/* Failure or cancel: the source must come out as it was. */
static void mig_abort(MigrationStatus final, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void mig_abort(MigrationStatus final, const char *fmt, ...)
{
    if (fmt) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(ms.error, sizeof(ms.error), fmt, ap);
        va_end(ap);
    }
    Error err;
    error_init(&err);
    mig_release(true, &err);
    if (err.set && final == MIGRATION_STATUS_FAILED) {
        size_t n = strlen(ms.error);
        snprintf(ms.error + n, sizeof(ms.error) - n, "%s%s%s", n ? " (" : "", err.msg,
                 n ? ")" : "");
    }
    error_init(&err);
    bool disks_ok = migration_block_activate_all(&err) == 0;
    if (!disks_ok) {
        /* Possible split brain: the destination may hold the images. As
         * QEMU, do not run the guest; management must decide. */
        size_t n = strlen(ms.error);
        snprintf(ms.error + n, sizeof(ms.error) - n, "%sdisks not reactivated: %s",
                 n ? "; " : "", err.msg);
    } else if (ms.stopped_vm && runstate_get(ms.vm->run) == RUN_STATE_FINISH_MIGRATE) {
        runstate_set(ms.vm->run, ms.vm_before);
    }
    ms.stopped_vm = false;
    ms.status = final;
    if (final == MIGRATION_STATUS_FAILED && ms.error[0]) {
        report_printf(&ms.report, "migration failed: %s", ms.error);
    }
    mig_notify();
}

static void mig_fail_err(const char *what, const Error *err)
{
    mig_abort(MIGRATION_STATUS_FAILED, "%s%s", what, err && err->set ? err->msg : "I/O error");
}

static void mig_finish(void)
{
    Error err;
    error_init(&err);
    /* The stream is all out; an exec: command must also have succeeded. */
    mig_stop_sender();
    int ret = migration_transport_close(&ms.t, false, &err);
    if (ret < 0) {
        mig_fail_err("", &err);
        return;
    }
    mig_release(false, NULL);
    ms.status = MIGRATION_STATUS_COMPLETED;
    ms.stopped_vm = false;
    runstate_set(ms.vm->run, RUN_STATE_POSTMIGRATE);
    mig_notify();
}

/* ---- producing ---- */

static void mig_account_sync(uint64_t now)
{
    RamStats st;
    ram_stats_get(ms.vm->sections, &st);
    if (st.sync_count == ms.last_sync_count) {
        return;
    }
    ms.last_sync_count = st.sync_count;
    uint64_t pass_ns = now - ms.last_sync_ns;
    ms.last_sync_ns = now;
    ms.dirty_pages_rate = pass_ns ? st.dirty_pages_last_sync * 1000000000ull / pass_ns : 0;
    ms.ac_dirty_pages += st.dirty_pages_last_sync;
    if (!migrate_cap(MIGRATION_CAP_AUTO_CONVERGE) || now - ms.ac_start_ns < MIG_AC_PERIOD_NS) {
        return;
    }
    /* QEMU's rule: throttle when the guest dirtied more than
     * throttle-trigger-threshold % of what was sent, in two periods. */
    uint64_t dirty = ms.ac_dirty_pages * PAGE_SIZE;
    uint64_t xfer = mig_sender_produced() - ms.ac_written;
    uint64_t threshold = xfer * (uint64_t)migrate_params.throttle_trigger_threshold / 100;
    if (dirty > threshold && ++ms.ac_high_cnt >= 2) {
        ms.ac_high_cnt = 0;
        int now_pct = migration_throttle_percent();
        int pct;
        if (!now_pct) {
            pct = (int)migrate_params.cpu_throttle_initial;
        } else {
            int inc = (int)migrate_params.cpu_throttle_increment;
            if (migrate_params.cpu_throttle_tailslow && dirty) {
                int cpu_now = 100 - now_pct;
                int cpu_ideal = (int)((double)cpu_now * (double)threshold / (double)dirty);
                if (cpu_now - cpu_ideal < inc) {
                    inc = cpu_now - cpu_ideal > 0 ? cpu_now - cpu_ideal : 1;
                }
            }
            pct = now_pct + inc;
        }
        if (pct > migrate_params.max_cpu_throttle) {
            pct = (int)migrate_params.max_cpu_throttle;
        }
        migration_throttle_set(pct);
        loop_set_cpu_gate(migration_throttle_wait_ns);
    }
    ms.ac_start_ns = now;
    ms.ac_written = mig_sender_produced();
    ms.ac_dirty_pages = 0;
}

/* Bytes the pages still to send will take: the cost per page of the last
 * pass that resent dirty pages (XBZRLE deltas, zero pages and whole pages
 * as they came), a whole page before there was one. */
static uint64_t mig_pending_bytes(void)
{
    uint64_t pages = savevm_save_pending(ms.vm->sections) / PAGE_SIZE;
    uint64_t bpp = ms.bytes_per_page ? ms.bytes_per_page : PAGE_SIZE + 8;
    return pages * bpp;
}

/* What may remain when the guest stops: downtime-limit x bandwidth. */
static uint64_t mig_threshold(void)
{
    uint64_t bw = migrate_params.avail_switchover_bandwidth ?
                  (uint64_t)migrate_params.avail_switchover_bandwidth : ms.bandwidth_bps;
    if (!bw) {
        /* Before the first 100 ms tick: the average so far. */
        uint64_t span = clock_host_ns() - ms.setup_ns;
        bw = span ? mig_written() * 1000000000ull / span : 0;
    }
    return bw / 1000 * (uint64_t)migrate_params.downtime_limit;
}

/* The final phase: the guest stops, the sender streams the last pass
 * straight from RAM, then the device state follows (mig_send_devices). */
static void mig_start_completion(void)
{
    Error err;
    error_init(&err);
    ms.vm_before = runstate_get(ms.vm->run);
    globalstate_store_state(ms.vm->sections, ms.vm_before);
    runstate_set(ms.vm->run, RUN_STATE_FINISH_MIGRATE);
    ms.stopped_vm = true;
    ms.stop_ns = clock_host_ns();
    ms.status = MIGRATION_STATUS_DEVICE;
    if (migration_block_inactivate_all(&err) < 0) {
        mig_fail_err("cannot inactivate disks: ", &err);
        return;
    }
    mig_sender_set_rate(0);      /* the guest is stopped: no limit (as QEMU) */
    savevm_save_sync(ms.vm->sections);
    mig_sender_round();
}

static void mig_send_devices(void)
{
    Error err;
    error_init(&err);
    /* The sender is idle: the stream is ours until the drain job. The RAM
     * END finds nothing left (the guest has not run since the last sync). */
    int ret = savevm_save_complete(ms.vm->sections, ms.f, &err);
    ms.savevm_open = false;      /* complete cleaned up */
    if (ret == 0) {
        ret = qemu_file_flush(ms.f);
    }
    if (ret < 0) {
        mig_fail_err("", &err);
        return;
    }
    mig_sender_drain(migration_rp_usable(ms.t.fd));
}

/* A pass is out: start the final phase when what is left fits the downtime
 * limit, else take up what the guest dirtied and send another pass. */
static void mig_pass_done(void)
{
    if (ms.status == MIGRATION_STATUS_DEVICE) {
        mig_send_devices();
        return;
    }
    RamStats st;
    ram_stats_get(ms.vm->sections, &st);
    uint64_t pages = st.normal_pages + st.zero_pages + st.xbzrle_pages;
    uint64_t produced = mig_sender_produced();
    if (st.sync_count >= 2 && pages > ms.sync_pages) {
        ms.bytes_per_page = (produced - ms.sync_produced) / (pages - ms.sync_pages);
        if (!ms.bytes_per_page) {
            ms.bytes_per_page = 1;
        }
    }
    ms.sync_pages = pages;
    ms.sync_produced = produced;
    uint64_t pending = mig_pending_bytes();
    if (pending == 0 || pending <= mig_threshold()) {
        mig_start_completion();
        return;
    }
    savevm_save_sync(ms.vm->sections);
    mig_account_sync(clock_host_ns());
    mig_sender_round();
}

static int mig_begin_stream(Error *err);

static void mig_sender_event(void *opaque)
{
    MigSenderResult res;
    if (!migration_is_running() || !mig_sender_take_result(&res)) {
        return;
    }
    if (res.outcome == MIG_SENDER_ERROR) {
        mig_abort(MIGRATION_STATUS_FAILED, "%s", res.msg);
    } else if (res.outcome == MIG_SENDER_OK && res.job == MIG_JOB_CONNECT) {
        ms.t.fd = mig_sender_fd();
        mig_begin_stream(NULL);
    } else if (res.outcome == MIG_SENDER_OK && res.job == MIG_JOB_ROUND) {
        mig_pass_done();
    } else if (res.outcome == MIG_SENDER_OK && res.job == MIG_JOB_DRAIN) {
        mig_finish();
    }
}

static void mig_tick(void *opaque)
{
    uint64_t expirations;
    if (read(ms.timer_fd, &expirations, sizeof(expirations)) < 0) {
        return;
    }
    uint64_t now = clock_host_ns();
    uint64_t span = now - ms.period_start_ns;
    uint64_t written = mig_written();
    uint64_t period_written = written - ms.period_written_mark;
    if (span && period_written) {
        ms.bandwidth_bps = period_written * 1000000000ull / span;
        ms.mbps = (double)period_written * 8.0 / 1e6 / ((double)span / 1e9);
    }
    RamStats st;
    ram_stats_get(ms.vm->sections, &st);
    uint64_t pages = st.normal_pages + st.zero_pages + st.xbzrle_pages;
    ms.pages_per_second = span ? (pages - ms.period_pages) * 1000000000ull / span : 0;
    ms.period_pages = pages;
    if (ms.bandwidth_bps && ms.status == MIGRATION_STATUS_ACTIVE) {
        ms.expected_downtime_ms = mig_pending_bytes() * 1000 / ms.bandwidth_bps;
    }
    ms.period_start_ns = now;
    ms.period_written_mark = written;
    if (ms.status != MIGRATION_STATUS_ACTIVE) {
        return;
    }
    mig_sender_set_rate(migrate_params.max_bandwidth > 0 ? (uint64_t)migrate_params.max_bandwidth
                                                        : 0);
}

/* ---- starting and cancelling ---- */

/* The transport is open: the stream's start, then the first pass. */
static int mig_begin_stream(Error *err)
{
    ram_set_iterate_max_pages(ms.vm->sections, MIG_PART_PAGES);
    ram_set_xbzrle(ms.vm->sections, migrate_cap(MIGRATION_CAP_XBZRLE)
                                        ? (uint64_t)migrate_params.xbzrle_cache_size : 0);
    Error serr;
    error_init(&serr);
    int ret = savevm_save_begin(ms.vm->sections, ms.f, &serr);
    ms.savevm_open = true;
    if (ret < 0) {
        mig_fail_err("", &serr);
        error_propagate(err, &serr);
        return ret;
    }
    ms.setup_ns = ms.last_sync_ns = clock_host_ns();
    ms.status = MIGRATION_STATUS_ACTIVE;
    savevm_save_sync(ms.vm->sections);          /* the first pass: every page */
    mig_account_sync(ms.setup_ns);
    mig_sender_round();
    return 0;
}

static bool mig_uri_is_socket(const char *uri)
{
    return uri_scheme_in(uri_parse(uri, NULL), URI_SOCKETS);
}

int migration_start(MigrationVM *vm, const char *uri, Error *err)
{
    if (migration_is_running()) {
        error_setf(err, "There's a migration process in progress");
        return -EBUSY;
    }
    RunState rs = runstate_get(vm->run);
    if (rs == RUN_STATE_INMIGRATE) {
        error_setf(err, "Guest is waiting for an incoming migration");
        return -EBUSY;
    }
    if (rs == RUN_STATE_POSTMIGRATE) {
        error_setf(err, "Can't migrate the vm that was paused due to previous migration");
        return -EBUSY;
    }
    int ret = savevm_check_blocked(vm->sections, err);
    if (ret < 0) {
        return ret;
    }
    ret = migration_transport_check(uri, err);
    if (ret < 0) {
        return ret;
    }
    MigrationState fresh = { .timer_fd = -1, .t = { .fd = -1 } };
    fresh.notify = ms.notify;
    fresh.notify_opaque = ms.notify_opaque;
    ms = fresh;
    ms.vm = vm;
    ms.status = MIGRATION_STATUS_SETUP;
    ms.start_ns = ms.period_start_ns = ms.last_sync_ns = ms.ac_start_ns = clock_host_ns();
    bool connect_async = mig_uri_is_socket(uri);
    if (connect_async) {
        /* Connected by the sender: a host that does not answer leaves the
         * monitor free, and migrate_cancel ends the wait. */
        snprintf(ms.t.what, sizeof(ms.t.what), "%s", uri);
    } else if (migration_transport_open(&ms.t, uri, false, err) < 0) {
        snprintf(ms.error, sizeof(ms.error), "%s", err ? err->msg : "cannot open");
        ms.status = MIGRATION_STATUS_FAILED;
        ms.end_ns = clock_host_ns();
        return -EIO;
    }
    ms.f = channel_buffer_writer(&ms.q);
    ms.timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    struct itimerspec its = {
        .it_interval = { .tv_nsec = MIG_TICK_NS },
        .it_value = { .tv_nsec = MIG_TICK_NS },
    };
    if (!ms.f || ms.timer_fd < 0 || timerfd_settime(ms.timer_fd, 0, &its, NULL) < 0) {
        error_setf(err, "cannot set up the migration: %s", strerror(errno ? errno : ENOMEM));
        mig_abort(MIGRATION_STATUS_FAILED, "%s", err ? err->msg : "setup failed");
        return -ENOMEM;
    }
    mig_sender_set_rate(migrate_params.max_bandwidth > 0 ? (uint64_t)migrate_params.max_bandwidth
                                                        : 0);
    ret = mig_sender_start(ms.vm->sections, ms.t.fd, ms.t.what, ms.f, &ms.q);
    if (ret < 0) {
        error_setf(err, "cannot start the migration sender thread: %s", strerror(-ret));
        mig_abort(MIGRATION_STATUS_FAILED, "%s", err ? err->msg : "setup failed");
        return ret;
    }
    ms.sender_on = true;
    fd_watch_add(mig_sender_event_fd(), mig_sender_event, NULL);
    fd_watch_add(ms.timer_fd, mig_tick, NULL);
    if (connect_async) {
        mig_sender_connect(uri);
        return 0;
    }
    return mig_begin_stream(err);
}

int migration_cancel(void)
{
    if (!migration_is_running()) {
        return 0;                /* QEMU: nothing to cancel is not an error */
    }
    ms.status = MIGRATION_STATUS_CANCELLING;
    mig_abort(MIGRATION_STATUS_CANCELLED, NULL);
    return 0;
}

void migration_get_info(MigrationInfo *out)
{
    memset(out, 0, sizeof(*out));
    out->status = ms.status;
    snprintf(out->error_desc, sizeof(out->error_desc), "%s", ms.error);
    if (ms.status == MIGRATION_STATUS_NONE) {
        return;
    }
    uint64_t now = migration_is_running() ? clock_host_ns() : ms.end_ns;
    out->total_time_ms = (now - ms.start_ns) / 1000000;
    out->setup_time_ms = ms.setup_ns ? (ms.setup_ns - ms.start_ns) / 1000000 : 0;
    if (ms.status == MIGRATION_STATUS_COMPLETED) {
        out->downtime_ms = (ms.end_ns - ms.stop_ns) / 1000000;
    }
    out->expected_downtime_ms = ms.expected_downtime_ms;
    if (ms.status == MIGRATION_STATUS_ACTIVE && !ms.bandwidth_bps) {
        out->expected_downtime_ms = (uint64_t)migrate_params.downtime_limit;
    }
    RamStats stats = { 0 };
    if (ms.vm) {                 /* no migration yet: all zero */
        ram_stats_get(ms.vm->sections, &stats);
    }
    const RamStats *st = &stats;
    out->transferred = mig_written();
    out->remaining = ms.status == MIGRATION_STATUS_ACTIVE && ms.vm
                         ? savevm_save_pending(ms.vm->sections) : 0;
    out->total = ms.vm && ms.vm->mem->ram ? ms.vm->mem->ram->size : 0;
    out->duplicate = st->zero_pages;
    out->normal = st->normal_pages;
    out->normal_bytes = st->normal_pages * PAGE_SIZE;
    out->dirty_sync_count = st->sync_count;
    out->dirty_pages_rate = ms.dirty_pages_rate;
    out->pages_per_second = ms.pages_per_second;
    out->mbps = ms.mbps;
    if (ms.status == MIGRATION_STATUS_COMPLETED && ms.end_ns > ms.start_ns) {
        out->mbps = (double)mig_written() * 8.0 / 1e6 / ((double)(ms.end_ns - ms.start_ns) / 1e9);
    }
    out->throttle_percent = migration_throttle_percent();
    out->xbzrle_bytes = st->xbzrle_bytes;
    out->xbzrle_pages = st->xbzrle_pages;
    out->xbzrle_cache_miss = st->xbzrle_cache_miss;
    out->xbzrle_overflow = st->xbzrle_overflow;
}

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
#include "io/fd-watch.h"
#include "io/channel.h"
#include "util/uri.h"
#include "migration/globalstate.h"
#include "migration/migration-int.h"
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

const char *migration_status_name(MigrationStatus s)
{
    return s < MIGRATION_STATUS__MAX && status_names[s] ? status_names[s] : "unknown";
}

bool migration_is_running(const Migration *mig)
{
    const MigrationOut *o = &mig->out;
    return o->status == MIGRATION_STATUS_SETUP || o->status == MIGRATION_STATUS_ACTIVE ||
           o->status == MIGRATION_STATUS_DEVICE || o->status == MIGRATION_STATUS_CANCELLING;
}

void migration_set_done_notify(Migration *mig, void (*fn)(void *opaque), void *opaque)
{
    mig->notify = fn;
    mig->notify_opaque = opaque;
}

void migration_set_reporter(Migration *mig, const Reporter *r)
{
    mig->report = r ? *r : (Reporter){ 0 };
}

const Reporter *migration_reporter(Migration *mig)
{
    return &mig->report;
}

void migration_out_init(MigrationOut *o)
{
    *o = (MigrationOut){ .timer_fd = -1, .t = { .fd = -1 } };
}

/* ---- the end, whichever it is ---- */

/* max-bandwidth for the sender: 0 is unlimited. */
static uint64_t mig_max_rate(const Migration *mig)
{
    return mig->params.max_bandwidth > 0 ? (uint64_t)mig->params.max_bandwidth : 0;
}

static uint64_t mig_written(Migration *mig)
{
    MigrationOut *o = &mig->out;
    return o->sender_on ? mig_sender_written(mig->snd) : o->written;
}

/* Before the transport or the stream goes: the thread may be using them. */
static void mig_stop_sender(Migration *mig)
{
    MigrationOut *o = &mig->out;
    if (!o->sender_on) {
        return;
    }
    o->written = mig_sender_written(mig->snd);
    fd_watch_remove(&mig->vm->loop->fds, mig_sender_event_fd(mig->snd));
    mig_sender_quiesce(mig->snd);
    if (o->t.fd < 0) {
        o->t.fd = mig_sender_fd(mig->snd);   /* connected as the cancel came: ours to close */
    }
    mig_sender_stop(mig->snd);
    o->sender_on = false;
}

static void mig_release(Migration *mig, bool abort_transport, Error *err)
{
    MigrationOut *o = &mig->out;
    mig_stop_sender(mig);
    if (o->timer_fd >= 0) {
        fd_watch_remove(&mig->vm->loop->fds, o->timer_fd);
        close(o->timer_fd);
        o->timer_fd = -1;
    }
    if (o->t.fd >= 0) {
        fd_watch_remove(&mig->vm->loop->fds, o->t.fd);
    }
    migration_transport_close(&o->t, abort_transport, err);
    if (o->savevm_open) {
        savevm_save_cleanup(mig->vm->sections);
        o->savevm_open = false;
    }
    if (o->f) {
        qemu_file_close(o->f, NULL);
        o->f = NULL;
    }
    channel_buffer_free(&o->q);
    ram_set_iterate_max_pages(mig->vm->sections, 0);
    migration_throttle_set(mig, 0);   /* whatever the outcome (QEMU does the same) */
    o->end_ns = clock_host_ns();
}

static void mig_notify(Migration *mig)
{
    void (*fn)(void *) = mig->notify;
    mig->notify = NULL;
    if (fn) {
        fn(mig->notify_opaque);
    }
}

/* Failure or cancel: the source must come out as it was. */
static void mig_abort(Migration *mig, MigrationStatus final, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void mig_abort(Migration *mig, MigrationStatus final, const char *fmt, ...)
{
    MigrationOut *o = &mig->out;
    if (fmt) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(o->error, sizeof(o->error), fmt, ap);
        va_end(ap);
    }
    Error err;
    error_init(&err);
    mig_release(mig, true, &err);
    if (err.set && final == MIGRATION_STATUS_FAILED) {
        size_t n = strlen(o->error);
        snprintf(o->error + n, sizeof(o->error) - n, "%s%s%s", n ? " (" : "", err.msg,
                 n ? ")" : "");
    }
    error_init(&err);
    bool disks_ok = migration_block_activate_all(mig, &err) == 0;
    if (!disks_ok) {
        /* Possible split brain: the destination may hold the images. As
         * QEMU, do not run the guest; management must decide. */
        size_t n = strlen(o->error);
        snprintf(o->error + n, sizeof(o->error) - n, "%sdisks not reactivated: %s",
                 n ? "; " : "", err.msg);
    } else if (o->stopped_vm && runstate_get(mig->vm->run) == RUN_STATE_FINISH_MIGRATE) {
        runstate_set(mig->vm->run, o->vm_before);
    }
    o->stopped_vm = false;
    o->status = final;
    if (final == MIGRATION_STATUS_FAILED && o->error[0]) {
        report_printf(&mig->report, "migration failed: %s", o->error);
    }
    mig_notify(mig);
}

static void mig_fail_err(Migration *mig, const char *what, const Error *err)
{
    mig_abort(mig, MIGRATION_STATUS_FAILED, "%s%s", what,
              err && err->set ? err->msg : "I/O error");
}

static void mig_finish(Migration *mig)
{
    MigrationOut *o = &mig->out;
    Error err;
    error_init(&err);
    /* The stream is all out; an exec: command must also have succeeded. */
    mig_stop_sender(mig);
    int ret = migration_transport_close(&o->t, false, &err);
    if (ret < 0) {
        mig_fail_err(mig, "", &err);
        return;
    }
    mig_release(mig, false, NULL);
    o->status = MIGRATION_STATUS_COMPLETED;
    o->stopped_vm = false;
    runstate_set(mig->vm->run, RUN_STATE_POSTMIGRATE);
    mig_notify(mig);
}

/* ---- producing ---- */

static void mig_account_sync(Migration *mig, uint64_t now)
{
    MigrationOut *o = &mig->out;
    RamStats st;
    ram_stats_get(mig->vm->sections, &st);
    if (st.sync_count == o->last_sync_count) {
        return;
    }
    o->last_sync_count = st.sync_count;
    uint64_t pass_ns = now - o->last_sync_ns;
    o->last_sync_ns = now;
    o->dirty_pages_rate = pass_ns ? st.dirty_pages_last_sync * 1000000000ull / pass_ns : 0;
    o->ac_dirty_pages += st.dirty_pages_last_sync;
    if (!migrate_cap(mig, MIGRATION_CAP_AUTO_CONVERGE) ||
        now - o->ac_start_ns < MIG_AC_PERIOD_NS) {
        return;
    }
    /* QEMU's rule: throttle when the guest dirtied more than
     * throttle-trigger-threshold % of what was sent, in two periods. */
    uint64_t dirty = o->ac_dirty_pages * PAGE_SIZE;
    uint64_t xfer = mig_sender_produced(mig->snd) - o->ac_written;
    uint64_t threshold = xfer * (uint64_t)mig->params.throttle_trigger_threshold / 100;
    if (dirty > threshold && ++o->ac_high_cnt >= 2) {
        o->ac_high_cnt = 0;
        int now_pct = migration_throttle_percent(mig);
        int pct;
        if (!now_pct) {
            pct = (int)mig->params.cpu_throttle_initial;
        } else {
            int inc = (int)mig->params.cpu_throttle_increment;
            if (mig->params.cpu_throttle_tailslow && dirty) {
                int cpu_now = 100 - now_pct;
                int cpu_ideal = (int)((double)cpu_now * (double)threshold / (double)dirty);
                if (cpu_now - cpu_ideal < inc) {
                    inc = cpu_now - cpu_ideal > 0 ? cpu_now - cpu_ideal : 1;
                }
            }
            pct = now_pct + inc;
        }
        if (pct > mig->params.max_cpu_throttle) {
            pct = (int)mig->params.max_cpu_throttle;
        }
        migration_throttle_set(mig, pct);   /* the main loop asks migration_throttle_wait_ns */
    }
    o->ac_start_ns = now;
    o->ac_written = mig_sender_produced(mig->snd);
    o->ac_dirty_pages = 0;
}

/* Bytes the pages still to send will take: the cost per page of the last
 * pass that resent dirty pages (XBZRLE deltas, zero pages and whole pages
 * as they came), a whole page before there was one. */
static uint64_t mig_pending_bytes(Migration *mig)
{
    MigrationOut *o = &mig->out;
    uint64_t pages = savevm_save_pending(mig->vm->sections) / PAGE_SIZE;
    uint64_t bpp = o->bytes_per_page ? o->bytes_per_page : PAGE_SIZE + 8;
    return pages * bpp;
}

/* What may remain when the guest stops: downtime-limit x bandwidth. */
static uint64_t mig_threshold(Migration *mig)
{
    MigrationOut *o = &mig->out;
    uint64_t bw = mig->params.avail_switchover_bandwidth ?
                  (uint64_t)mig->params.avail_switchover_bandwidth : o->bandwidth_bps;
    if (!bw) {
        /* Before the first 100 ms tick: the average so far. */
        uint64_t span = clock_host_ns() - o->setup_ns;
        bw = span ? mig_written(mig) * 1000000000ull / span : 0;
    }
    return bw / 1000 * (uint64_t)mig->params.downtime_limit;
}

/* The final phase: the guest stops, the sender streams the last pass
 * straight from RAM, then the device state follows (mig_send_devices). */
static void mig_start_completion(Migration *mig)
{
    MigrationOut *o = &mig->out;
    Error err;
    error_init(&err);
    o->vm_before = runstate_get(mig->vm->run);
    globalstate_store_state(mig->vm->sections, o->vm_before);
    runstate_set(mig->vm->run, RUN_STATE_FINISH_MIGRATE);
    o->stopped_vm = true;
    o->stop_ns = clock_host_ns();
    o->status = MIGRATION_STATUS_DEVICE;
    if (migration_block_inactivate_all(mig, &err) < 0) {
        mig_fail_err(mig, "cannot inactivate disks: ", &err);
        return;
    }
    mig_sender_set_rate(mig->snd, 0);   /* the guest is stopped: no limit (as QEMU) */
    savevm_save_sync(mig->vm->sections);
    mig_sender_round(mig->snd);
}

static void mig_send_devices(Migration *mig)
{
    MigrationOut *o = &mig->out;
    Error err;
    error_init(&err);
    /* The sender is idle: the stream is ours until the drain job. The RAM
     * END finds nothing left (the guest has not run since the last sync). */
    int ret = savevm_save_complete(mig->vm->sections, o->f, &err);
    o->savevm_open = false;      /* complete cleaned up */
    if (ret == 0) {
        ret = qemu_file_flush(o->f);
    }
    if (ret < 0) {
        mig_fail_err(mig, "", &err);
        return;
    }
    mig_sender_drain(mig->snd, migration_rp_usable(mig, o->t.fd));
}

/* A pass is out: start the final phase when what is left fits the downtime
 * limit, else take up what the guest dirtied and send another pass. */
static void mig_pass_done(Migration *mig)
{
    MigrationOut *o = &mig->out;
    if (o->status == MIGRATION_STATUS_DEVICE) {
        mig_send_devices(mig);
        return;
    }
    RamStats st;
    ram_stats_get(mig->vm->sections, &st);
    uint64_t pages = st.normal_pages + st.zero_pages + st.xbzrle_pages;
    uint64_t produced = mig_sender_produced(mig->snd);
    if (st.sync_count >= 2 && pages > o->sync_pages) {
        o->bytes_per_page = (produced - o->sync_produced) / (pages - o->sync_pages);
        if (!o->bytes_per_page) {
            o->bytes_per_page = 1;
        }
    }
    o->sync_pages = pages;
    o->sync_produced = produced;
    uint64_t pending = mig_pending_bytes(mig);
    if (pending == 0 || pending <= mig_threshold(mig)) {
        mig_start_completion(mig);
        return;
    }
    savevm_save_sync(mig->vm->sections);
    mig_account_sync(mig, clock_host_ns());
    mig_sender_round(mig->snd);
}

static int mig_begin_stream(Migration *mig, Error *err);

static void mig_sender_event(void *opaque)
{
    Migration *mig = opaque;
    MigrationOut *o = &mig->out;
    MigSenderResult res;
    if (!migration_is_running(mig) || !mig_sender_take_result(mig->snd, &res)) {
        return;
    }
    if (res.outcome == MIG_SENDER_ERROR) {
        mig_abort(mig, MIGRATION_STATUS_FAILED, "%s", res.msg);
    } else if (res.outcome == MIG_SENDER_OK && res.job == MIG_JOB_CONNECT) {
        o->t.fd = mig_sender_fd(mig->snd);
        mig_begin_stream(mig, NULL);
    } else if (res.outcome == MIG_SENDER_OK && res.job == MIG_JOB_ROUND) {
        mig_pass_done(mig);
    } else if (res.outcome == MIG_SENDER_OK && res.job == MIG_JOB_DRAIN) {
        mig_finish(mig);
    }
}

static void mig_tick(void *opaque)
{
    Migration *mig = opaque;
    MigrationOut *o = &mig->out;
    uint64_t expirations;
    if (read(o->timer_fd, &expirations, sizeof(expirations)) < 0) {
        return;
    }
    uint64_t now = clock_host_ns();
    uint64_t span = now - o->period_start_ns;
    uint64_t written = mig_written(mig);
    uint64_t period_written = written - o->period_written_mark;
    if (span && period_written) {
        o->bandwidth_bps = period_written * 1000000000ull / span;
        o->mbps = (double)period_written * 8.0 / 1e6 / ((double)span / 1e9);
    }
    RamStats st;
    ram_stats_get(mig->vm->sections, &st);
    uint64_t pages = st.normal_pages + st.zero_pages + st.xbzrle_pages;
    o->pages_per_second = span ? (pages - o->period_pages) * 1000000000ull / span : 0;
    o->period_pages = pages;
    if (o->bandwidth_bps && o->status == MIGRATION_STATUS_ACTIVE) {
        o->expected_downtime_ms = mig_pending_bytes(mig) * 1000 / o->bandwidth_bps;
    }
    o->period_start_ns = now;
    o->period_written_mark = written;
    if (o->status != MIGRATION_STATUS_ACTIVE) {
        return;
    }
    mig_sender_set_rate(mig->snd, mig_max_rate(mig));
}

/* ---- starting and cancelling ---- */

/* The transport is open: the stream's start, then the first pass. */
static int mig_begin_stream(Migration *mig, Error *err)
{
    MigrationOut *o = &mig->out;
    ram_set_iterate_max_pages(mig->vm->sections, MIG_PART_PAGES);
    ram_set_xbzrle(mig->vm->sections, migrate_cap(mig, MIGRATION_CAP_XBZRLE)
                                        ? (uint64_t)mig->params.xbzrle_cache_size : 0);
    Error serr;
    error_init(&serr);
    int ret = savevm_save_begin(mig->vm->sections, o->f, &serr);
    o->savevm_open = true;
    if (ret < 0) {
        mig_fail_err(mig, "", &serr);
        error_propagate(err, &serr);
        return ret;
    }
    o->setup_ns = o->last_sync_ns = clock_host_ns();
    o->status = MIGRATION_STATUS_ACTIVE;
    savevm_save_sync(mig->vm->sections);   /* the first pass: every page */
    mig_account_sync(mig, o->setup_ns);
    mig_sender_round(mig->snd);
    return 0;
}

static bool mig_uri_is_socket(const char *uri)
{
    return uri_scheme_in(uri_parse(uri, NULL), URI_SOCKETS);
}

int migration_start(Migration *mig, const char *uri, Error *err)
{
    MigrationVM *vm = mig->vm;
    MigrationOut *o = &mig->out;
    if (migration_is_running(mig)) {
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
    migration_out_init(o);
    o->status = MIGRATION_STATUS_SETUP;
    o->start_ns = o->period_start_ns = o->last_sync_ns = o->ac_start_ns = clock_host_ns();
    bool connect_async = mig_uri_is_socket(uri);
    if (connect_async) {
        /* Connected by the sender: a host that does not answer leaves the
         * monitor free, and migrate_cancel ends the wait. */
        snprintf(o->t.what, sizeof(o->t.what), "%s", uri);
    } else if (migration_transport_open(mig, &o->t, uri, false, err) < 0) {
        snprintf(o->error, sizeof(o->error), "%s", err ? err->msg : "cannot open");
        o->status = MIGRATION_STATUS_FAILED;
        o->end_ns = clock_host_ns();
        return -EIO;
    }
    o->f = qemu_file_buffer_writer(&o->q);
    o->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    struct itimerspec its = {
        .it_interval = { .tv_nsec = MIG_TICK_NS },
        .it_value = { .tv_nsec = MIG_TICK_NS },
    };
    if (!o->f || o->timer_fd < 0 || timerfd_settime(o->timer_fd, 0, &its, NULL) < 0) {
        error_setf(err, "cannot set up the migration: %s", strerror(errno ? errno : ENOMEM));
        mig_abort(mig, MIGRATION_STATUS_FAILED, "%s", err ? err->msg : "setup failed");
        return -ENOMEM;
    }
    mig_sender_set_rate(mig->snd, mig_max_rate(mig));
    ret = mig_sender_start(mig->snd, vm->sections, o->t.fd, o->t.what, o->f, &o->q);
    if (ret < 0) {
        error_setf(err, "cannot start the migration sender thread: %s", strerror(-ret));
        mig_abort(mig, MIGRATION_STATUS_FAILED, "%s", err ? err->msg : "setup failed");
        return ret;
    }
    o->sender_on = true;
    fd_watch_add(&mig->vm->loop->fds, mig_sender_event_fd(mig->snd), mig_sender_event, mig);
    fd_watch_add(&mig->vm->loop->fds, o->timer_fd, mig_tick, mig);
    if (connect_async) {
        mig_sender_connect(mig->snd, uri);
        return 0;
    }
    return mig_begin_stream(mig, err);
}

int migration_cancel(Migration *mig)
{
    if (!migration_is_running(mig)) {
        return 0;                /* QEMU: nothing to cancel is not an error */
    }
    mig->out.status = MIGRATION_STATUS_CANCELLING;
    mig_abort(mig, MIGRATION_STATUS_CANCELLED, NULL);
    return 0;
}

void migration_get_info(Migration *mig, MigrationInfo *out)
{
    MigrationOut *o = &mig->out;
    memset(out, 0, sizeof(*out));
    out->status = o->status;
    snprintf(out->error_desc, sizeof(out->error_desc), "%s", o->error);
    if (o->status == MIGRATION_STATUS_NONE) {
        return;
    }
    uint64_t now = migration_is_running(mig) ? clock_host_ns() : o->end_ns;
    out->total_time_ms = (now - o->start_ns) / 1000000;
    out->setup_time_ms = o->setup_ns ? (o->setup_ns - o->start_ns) / 1000000 : 0;
    if (o->status == MIGRATION_STATUS_COMPLETED) {
        out->downtime_ms = (o->end_ns - o->stop_ns) / 1000000;
    }
    out->expected_downtime_ms = o->expected_downtime_ms;
    if (o->status == MIGRATION_STATUS_ACTIVE && !o->bandwidth_bps) {
        out->expected_downtime_ms = (uint64_t)mig->params.downtime_limit;
    }
    RamStats stats;
    ram_stats_get(mig->vm->sections, &stats);
    const RamStats *st = &stats;
    out->transferred = mig_written(mig);
    out->remaining = o->status == MIGRATION_STATUS_ACTIVE
                         ? savevm_save_pending(mig->vm->sections) : 0;
    out->total = mig->vm->mem->ram ? mig->vm->mem->ram->size : 0;
    out->duplicate = st->zero_pages;
    out->normal = st->normal_pages;
    out->normal_bytes = st->normal_pages * PAGE_SIZE;
    out->dirty_sync_count = st->sync_count;
    out->dirty_pages_rate = o->dirty_pages_rate;
    out->pages_per_second = o->pages_per_second;
    out->mbps = o->mbps;
    if (o->status == MIGRATION_STATUS_COMPLETED && o->end_ns > o->start_ns) {
        out->mbps = (double)mig_written(mig) * 8.0 / 1e6 /
                    ((double)(o->end_ns - o->start_ns) / 1e9);
    }
    out->throttle_percent = migration_throttle_percent(mig);
    out->xbzrle_bytes = st->xbzrle_bytes;
    out->xbzrle_pages = st->xbzrle_pages;
    out->xbzrle_cache_miss = st->xbzrle_cache_miss;
    out->xbzrle_overflow = st->xbzrle_overflow;
}

/* The destination: -incoming URI, -incoming defer + migrate_incoming.
 *
 * Sockets listen from the main loop, so the monitor answers while the
 * destination waits for its source. Once a source connects (or at once for
 * exec:, fd: and file:) the stream is loaded to its end in one go; the
 * guest never runs before the load is complete and checked, and runs after
 * it only as globalstate says (ref-stream-format.md §5.4). */
#include "migration/migration.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "io/chardev.h"
#include "migration/vm-state.h"
#include "emu/loop.h"
#include "io/fd-watch.h"
#include "io/channel.h"
#include "migration/globalstate.h"
#include "migration/migration-int.h"
#include "migration/migration-rp.h"
#include "migration/migration-transport.h"

void migration_in_init(MigrationIn *in)
{
    *in = (MigrationIn){ .t = { .fd = -1 }, .loader_event = -1, .load_ctl = -1 };
}

bool migration_incoming_loading(const Migration *mig)
{
    return mig->in.loading;
}

void migration_incoming_set_autostart(Migration *mig, bool on)
{
    MigrationIn *in = &mig->in;
    in->start_paused = !on;
    in->autostart_set = true;
}

void migration_incoming_set_defer(Migration *mig, bool defer)
{
    mig->in.defer = defer;
}

bool migration_incoming_deferred(const Migration *mig)
{
    return mig->in.defer;
}

MigrationStatus migration_incoming_status(const Migration *mig)
{
    return mig->in.status;
}

const char *migration_incoming_error(const Migration *mig)
{
    return mig->in.error;
}

const char *migration_incoming_listen_uri(const Migration *mig)
{
    return mig->in.t.listening ? mig->in.t.what : NULL;
}

/* The stream part of a load: reads fd to the end of the stream into the
 * machine and, on a socket, tells the source the verdict. Touches only the
 * machine and fd, so it may run on the loader thread. */
static int incoming_load_stream(Migration *mig, int fd, bool *file_ok, Error *err)
{
    int fl = fcntl(fd, F_GETFL);
    if (fl >= 0) {
        fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
    }
    int ret = -EIO;
    /* A socket keeps its fd past the file, for the verdict to the source. */
    bool rp = migration_rp_usable(mig, fd);
    QEMUFile *f = qemu_file_open_fd(fd, false, !rp, err);
    if (f) {
        ret = vm_load_stream(mig->vm, f, err);
        if (ret == 0) {
            /* Before the verdict: a destination that cannot use the disks
             * tells the source, which then keeps running. */
            Error aerr;
            error_init(&aerr);
            ret = mig->vm->activate_drives(mig->vm->opaque, &aerr);
            if (ret < 0) {
                error_setf(err, "cannot activate the disks: %s", aerr.msg);
            }
        }
        Error cerr;
        error_init(&cerr);
        int cret = qemu_file_close(f, &cerr);
        if (ret == 0 && cret < 0) {
            error_propagate(err, &cerr);
            ret = cret;
        }
    }
    if (rp) {
        /* A source already gone cannot hear it; that is its own failure. */
        migration_rp_send_shut(fd, ret < 0 ? 1 : 0);
    }
    if (!f || rp) {
        close(fd);
    }
    *file_ok = f != NULL;
    return ret;
}

/* The rest, on the main thread: the transport, the verdict, the run state. */
static int incoming_load_finish(Migration *mig, int ret, Error *err)
{
    MigrationIn *in = &mig->in;
    in->t.fd = -1;               /* the file owned it */
    Error xerr;
    error_init(&xerr);
    int xret = migration_transport_close(&in->t, ret < 0, &xerr);   /* reaps exec: */
    if (ret == 0 && xret < 0) {
        error_propagate(err, &xerr);
        ret = xret;
    } else if (ret < 0 && xret < 0 && err && err->set) {
        /* A command that failed explains a stream cut short. */
        size_t n = strlen(err->msg);
        snprintf(err->msg + n, sizeof(err->msg) - n, " (%s)", xerr.msg);
    }
    if (ret < 0) {
        in->status = MIGRATION_STATUS_FAILED;
        snprintf(in->error, sizeof(in->error), "%s", err && err->set ? err->msg : "load failed");
        /* QEMU's state after a failed load that does not exit (HMP
         * migrate_incoming, exit-on-error off): the VM stays inmigrate.
         * Its RAM may be half overwritten, but nothing can run it from
         * there: cont only arms autostart (as QEMU), and the next complete
         * stream, or a loadvm, replaces the whole machine. */
        runstate_set(mig->vm->run, RUN_STATE_INMIGRATE);
        return ret;
    }
    in->status = MIGRATION_STATUS_COMPLETED;
    RunState rs = RUN_STATE_RUNNING;
    globalstate_received(mig->vm->sections, &rs);   /* QEMU: no globalstate means running */
    if (rs == RUN_STATE_RUNNING) {
        runstate_set(mig->vm->run, in->start_paused ? RUN_STATE_PAUSED : RUN_STATE_RUNNING);
    } else {
        runstate_set(mig->vm->run, rs);   /* paused stays paused, io-error stays io-error */
    }
    return 0;
}

/* Loads the whole stream from fd (owned), here and now. 0, or a negative
 * errno with the reason in err and in->error. */
static int incoming_load(Migration *mig, int fd, Error *err)
{
    mig->in.status = MIGRATION_STATUS_ACTIVE;
    bool file_ok;
    int ret = incoming_load_stream(mig, fd, &file_ok, err);
    return incoming_load_finish(mig, ret, err);
}

void migration_incoming_abort(Migration *mig)
{
    MigrationIn *in = &mig->in;
    if (!in->loading) {
        return;
    }
    /* The loader's next read fails; the dup is ours, so even a loader that
     * has just closed its fd cannot make this hit another socket. */
    shutdown(in->load_ctl, SHUT_RDWR);
    pthread_join(in->loader, NULL);
    close(in->load_ctl);
    in->load_ctl = -1;
    in->loading = false;
    chardev_hold_input(mig->vm->serial, false);
    if (in->loader_event >= 0) {
        fd_watch_remove(&mig->vm->loop->fds, in->loader_event);
        close(in->loader_event);
        in->loader_event = -1;
    }
}

static void incoming_report_failure(Migration *mig)
{
    report_printf(&mig->report, "load of migration failed: %s", mig->in.error);
    if (mig->in.exit_on_error) {
        loop_quit(mig->vm->loop, 1);
    }
}

static void *incoming_loader_main(void *opaque)
{
    Migration *mig = opaque;
    MigrationIn *in = &mig->in;
    error_init(&in->load_err);
    in->load_ret = incoming_load_stream(mig, in->load_fd, &in->load_file_ok, &in->load_err);
    uint64_t one = 1;
    ssize_t w = write(in->loader_event, &one, sizeof(one));
    (void)w;
    return NULL;
}

static void incoming_loader_done(void *opaque)
{
    Migration *mig = opaque;
    MigrationIn *in = &mig->in;
    uint64_t v;
    if (read(in->loader_event, &v, sizeof(v)) < 0) {
        return;
    }
    pthread_join(in->loader, NULL);
    fd_watch_remove(&mig->vm->loop->fds, in->loader_event);
    close(in->loader_event);
    in->loader_event = -1;
    close(in->load_ctl);
    in->load_ctl = -1;
    in->loading = false;
    chardev_hold_input(mig->vm->serial, false);
    /* The machine's state is whole again: CPU and devices are the main
     * thread's, and held serial input may go in. */
    chardev_accept_input(mig->vm->serial);
    if (incoming_load_finish(mig, in->load_ret, &in->load_err) < 0) {
        incoming_report_failure(mig);
    }
}

/* A socket stream: loaded on the loader thread. Until it is done, the main
 * thread leaves the machine alone: the monitor answers only commands that
 * do not touch it (monitor.c) and serial input waits in its back end. */
static void incoming_load_async(Migration *mig, int fd)
{
    MigrationIn *in = &mig->in;
    in->status = MIGRATION_STATUS_ACTIVE;
    in->load_fd = fd;
    in->load_ctl = fcntl(fd, F_DUPFD_CLOEXEC, 0);
    in->loader_event = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (in->load_ctl >= 0 && in->loader_event >= 0 &&
        fd_watch_add(&mig->vm->loop->fds, in->loader_event, incoming_loader_done, mig)) {
        in->loading = true;      /* the main loop asks migration_incoming_loading */
        chardev_hold_input(mig->vm->serial, true);
        if (pthread_create(&in->loader, NULL, incoming_loader_main, mig) == 0) {
            return;
        }
        in->loading = false;
        chardev_hold_input(mig->vm->serial, false);
        fd_watch_remove(&mig->vm->loop->fds, in->loader_event);
    }
    if (in->loader_event >= 0) {
        close(in->loader_event);
        in->loader_event = -1;
    }
    if (in->load_ctl >= 0) {
        close(in->load_ctl);
        in->load_ctl = -1;
    }
    Error err;
    error_init(&err);
    if (incoming_load(mig, fd, &err) < 0) {   /* no thread: load here */
        incoming_report_failure(mig);
    }
}

static void incoming_accept(void *opaque)
{
    Migration *mig = opaque;
    MigrationIn *in = &mig->in;
    Error err;
    error_init(&err);
    int fd = channel_socket_accept(in->t.fd, &err);
    if (fd < 0) {
        return;                  /* a spurious wake-up or a client gone at once */
    }
    fd_watch_remove(&mig->vm->loop->fds, in->t.fd);
    close(in->t.fd);
    in->t.fd = -1;
    in->t.listening = false;
    if (in->t.unix_path[0]) {
        unlink(in->t.unix_path);
        in->t.unix_path[0] = 0;
    }
    incoming_load_async(mig, fd);
}

/* An inherited socket (fd:N): like a listening one, the stream starts when
 * the source sends, and the monitor answers until then. exec: pipes load at
 * once, before the monitor starts, so its first command sees the result. */
static void incoming_readable(void *opaque)
{
    Migration *mig = opaque;
    MigrationIn *in = &mig->in;
    fd_watch_remove(&mig->vm->loop->fds, in->t.fd);
    incoming_load_async(mig, in->t.fd);
}

int migration_incoming_start(Migration *mig, const char *uri, bool start_paused,
                             bool exit_on_error, Error *err)
{
    MigrationIn *in = &mig->in;
    if (in->status == MIGRATION_STATUS_SETUP || in->status == MIGRATION_STATUS_ACTIVE ||
        in->loading) {
        error_setf(err, "The incoming migration has already been started");
        return -EBUSY;
    }
    if (in->status == MIGRATION_STATUS_COMPLETED) {
        error_setf(err, "The incoming migration has already completed");
        return -EBUSY;
    }
    if (!in->autostart_set) {
        in->start_paused = start_paused;
    }
    in->exit_on_error = exit_on_error;
    in->error[0] = 0;
    if (migration_transport_open(mig, &in->t, uri, true, err) < 0) {
        return -EIO;
    }
    runstate_set(mig->vm->run, RUN_STATE_INMIGRATE);
    if (in->t.listening) {
        in->status = MIGRATION_STATUS_SETUP;
        if (!fd_watch_add(&mig->vm->loop->fds, in->t.fd, incoming_accept, mig)) {
            migration_transport_close(&in->t, true, NULL);
            error_setf(err, "too many file descriptors in the main loop");
            in->status = MIGRATION_STATUS_FAILED;
            return -ENOSPC;
        }
        return 0;
    }
    int fd = in->t.fd;
    struct stat st;
    if (fstat(fd, &st) == 0 && S_ISSOCK(st.st_mode) &&
        fd_watch_add(&mig->vm->loop->fds, fd, incoming_readable, mig)) {
        in->status = MIGRATION_STATUS_SETUP;
        return 0;
    }
    return incoming_load(mig, fd, err);
}

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
#include "migration/migration-rp.h"
#include "migration/migration-transport.h"

typedef struct Incoming {
    MigrationStatus status;
    char error[512];
    MigrationVM *vm;
    MigrationTransport t;
    bool start_paused, exit_on_error, defer;
    bool autostart_set;          /* cont/stop while inmigrate chose start_paused */
    /* A socket stream loads on a loader thread, so the monitor answers
     * while the source sends (the guest does not run meanwhile). */
    bool loading;
    pthread_t loader;
    int loader_event;            /* eventfd: the loader is done */
    int load_fd, load_ret;
    int load_ctl;                /* a dup of load_fd: shut down to stop the loader */
    bool load_rp, load_file_ok;
    Error load_err;
} Incoming;

static Incoming inc = { .t = { .fd = -1 }, .loader_event = -1, .load_ctl = -1 };

bool migration_incoming_loading(void)
{
    return inc.loading;
}

void migration_incoming_set_autostart(bool on)
{
    inc.start_paused = !on;
    inc.autostart_set = true;
}

void migration_incoming_set_defer(bool defer)
{
    inc.defer = defer;
}

bool migration_incoming_deferred(void)
{
    return inc.defer;
}

MigrationStatus migration_incoming_status(void)
{
    return inc.status;
}

const char *migration_incoming_error(void)
{
    return inc.error;
}

const char *migration_incoming_listen_uri(void)
{
    return inc.t.listening ? inc.t.what : NULL;
}

/* The stream part of a load: reads fd to the end of the stream into the
 * machine and, on a socket, tells the source the verdict. Touches only the
 * machine and fd, so it may run on the loader thread. */
static int incoming_load_stream(int fd, bool *file_ok, Error *err)
{
    int fl = fcntl(fd, F_GETFL);
    if (fl >= 0) {
        fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
    }
    int ret = -EIO;
    /* A socket keeps its fd past the file, for the verdict to the source. */
    bool rp = migration_rp_usable(fd);
    QEMUFile *f = channel_fd_open(fd, false, !rp, err);
    if (f) {
        ret = vm_load_stream(inc.vm, f, err);
        if (ret == 0) {
            /* Before the verdict: a destination that cannot use the disks
             * tells the source, which then keeps running. */
            Error aerr;
            error_init(&aerr);
            ret = inc.vm->activate_drives(inc.vm->opaque, &aerr);
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
static int incoming_load_finish(int ret, Error *err)
{
    inc.t.fd = -1;               /* the file owned it */
    Error xerr;
    error_init(&xerr);
    int xret = migration_transport_close(&inc.t, ret < 0, &xerr);   /* reaps exec: */
    if (ret == 0 && xret < 0) {
        error_propagate(err, &xerr);
        ret = xret;
    } else if (ret < 0 && xret < 0 && err && err->set) {
        /* A command that failed explains a stream cut short. */
        size_t n = strlen(err->msg);
        snprintf(err->msg + n, sizeof(err->msg) - n, " (%s)", xerr.msg);
    }
    if (ret < 0) {
        inc.status = MIGRATION_STATUS_FAILED;
        snprintf(inc.error, sizeof(inc.error), "%s", err && err->set ? err->msg : "load failed");
        /* QEMU's state after a failed load that does not exit (HMP
         * migrate_incoming, exit-on-error off): the VM stays inmigrate.
         * Its RAM may be half overwritten, but nothing can run it from
         * there: cont only arms autostart (as QEMU), and the next complete
         * stream, or a loadvm, replaces the whole machine. */
        runstate_set(inc.vm->run, RUN_STATE_INMIGRATE);
        return ret;
    }
    inc.status = MIGRATION_STATUS_COMPLETED;
    RunState rs = RUN_STATE_RUNNING;
    globalstate_received(inc.vm->sections, &rs);   /* QEMU: no globalstate means running */
    if (rs == RUN_STATE_RUNNING) {
        runstate_set(inc.vm->run, inc.start_paused ? RUN_STATE_PAUSED : RUN_STATE_RUNNING);
    } else {
        runstate_set(inc.vm->run, rs);        /* paused stays paused, io-error stays io-error */
    }
    return 0;
}

/* Loads the whole stream from fd (owned), here and now. 0, or a negative
 * errno with the reason in err and inc.error. */
static int incoming_load(int fd, Error *err)
{
    inc.status = MIGRATION_STATUS_ACTIVE;
    bool file_ok;
    int ret = incoming_load_stream(fd, &file_ok, err);
    return incoming_load_finish(ret, err);
}

void migration_incoming_abort(void)
{
    if (!inc.loading) {
        return;
    }
    /* The loader's next read fails; the dup is ours, so even a loader that
     * has just closed its fd cannot make this hit another socket. */
    shutdown(inc.load_ctl, SHUT_RDWR);
    pthread_join(inc.loader, NULL);
    close(inc.load_ctl);
    inc.load_ctl = -1;
    inc.loading = false;
    chardev_hold_input(inc.vm->serial, false);
    if (inc.loader_event >= 0) {
        fd_watch_remove(inc.loader_event);
        close(inc.loader_event);
        inc.loader_event = -1;
    }
}

static void incoming_report_failure(void)
{
    report_printf(migration_reporter(), "load of migration failed: %s", inc.error);
    if (inc.exit_on_error) {
        loop_quit(1);
    }
}

static void *incoming_loader_main(void *opaque)
{
    error_init(&inc.load_err);
    inc.load_ret = incoming_load_stream(inc.load_fd, &inc.load_file_ok, &inc.load_err);
    uint64_t one = 1;
    ssize_t w = write(inc.loader_event, &one, sizeof(one));
    (void)w;
    return NULL;
}

static void incoming_loader_done(void *opaque)
{
    uint64_t v;
    if (read(inc.loader_event, &v, sizeof(v)) < 0) {
        return;
    }
    pthread_join(inc.loader, NULL);
    fd_watch_remove(inc.loader_event);
    close(inc.loader_event);
    inc.loader_event = -1;
    close(inc.load_ctl);
    inc.load_ctl = -1;
    inc.loading = false;
    chardev_hold_input(inc.vm->serial, false);
    /* The machine's state is whole again: CPU and devices are the main
     * thread's, and held serial input may go in. */
    if (inc.vm) {
        chardev_accept_input(inc.vm->serial);
    }
    if (incoming_load_finish(inc.load_ret, &inc.load_err) < 0) {
        incoming_report_failure();
    }
}

/* A socket stream: loaded on the loader thread. Until it is done, the main
 * thread leaves the machine alone: the monitor answers only commands that
 * do not touch it (monitor.c) and serial input waits in its back end. */
static void incoming_load_async(int fd)
{
    inc.status = MIGRATION_STATUS_ACTIVE;
    inc.load_fd = fd;
    inc.load_ctl = fcntl(fd, F_DUPFD_CLOEXEC, 0);
    inc.loader_event = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (inc.load_ctl >= 0 && inc.loader_event >= 0 &&
        fd_watch_add(inc.loader_event, incoming_loader_done, NULL)) {
        inc.loading = true;
        loop_set_machine_busy(migration_incoming_loading);
        chardev_hold_input(inc.vm->serial, true);
        if (pthread_create(&inc.loader, NULL, incoming_loader_main, NULL) == 0) {
            return;
        }
        inc.loading = false;
        chardev_hold_input(inc.vm->serial, false);
        fd_watch_remove(inc.loader_event);
    }
    if (inc.loader_event >= 0) {
        close(inc.loader_event);
        inc.loader_event = -1;
    }
    if (inc.load_ctl >= 0) {
        close(inc.load_ctl);
        inc.load_ctl = -1;
    }
    Error err;
    error_init(&err);
    if (incoming_load(fd, &err) < 0) {   /* no thread: load here */
        incoming_report_failure();
    }
}

static void incoming_accept(void *opaque)
{
    Error err;
    error_init(&err);
    int fd = channel_socket_accept(inc.t.fd, &err);
    if (fd < 0) {
        return;                  /* a spurious wake-up or a client gone at once */
    }
    fd_watch_remove(inc.t.fd);
    close(inc.t.fd);
    inc.t.fd = -1;
    inc.t.listening = false;
    if (inc.t.unix_path[0]) {
        unlink(inc.t.unix_path);
        inc.t.unix_path[0] = 0;
    }
    incoming_load_async(fd);
}

/* An inherited socket (fd:N): like a listening one, the stream starts when
 * the source sends, and the monitor answers until then. exec: pipes load at
 * once, before the monitor starts, so its first command sees the result. */
static void incoming_readable(void *opaque)
{
    fd_watch_remove(inc.t.fd);
    incoming_load_async(inc.t.fd);
}

int migration_incoming_start(MigrationVM *vm, const char *uri, bool start_paused, bool exit_on_error,
                             Error *err)
{
    if (inc.status == MIGRATION_STATUS_SETUP || inc.status == MIGRATION_STATUS_ACTIVE ||
        inc.loading) {
        error_setf(err, "The incoming migration has already been started");
        return -EBUSY;
    }
    if (inc.status == MIGRATION_STATUS_COMPLETED) {
        error_setf(err, "The incoming migration has already completed");
        return -EBUSY;
    }
    inc.vm = vm;
    if (!inc.autostart_set) {
        inc.start_paused = start_paused;
    }
    inc.exit_on_error = exit_on_error;
    inc.error[0] = 0;
    if (migration_transport_open(&inc.t, uri, true, err) < 0) {
        return -EIO;
    }
    runstate_set(inc.vm->run, RUN_STATE_INMIGRATE);
    if (inc.t.listening) {
        inc.status = MIGRATION_STATUS_SETUP;
        if (!fd_watch_add(inc.t.fd, incoming_accept, NULL)) {
            migration_transport_close(&inc.t, true, NULL);
            error_setf(err, "too many file descriptors in the main loop");
            inc.status = MIGRATION_STATUS_FAILED;
            return -ENOSPC;
        }
        return 0;
    }
    int fd = inc.t.fd;
    struct stat st;
    if (fstat(fd, &st) == 0 && S_ISSOCK(st.st_mode) &&
        fd_watch_add(fd, incoming_readable, NULL)) {
        inc.status = MIGRATION_STATUS_SETUP;
        return 0;
    }
    return incoming_load(fd, err);
}

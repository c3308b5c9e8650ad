/* The stub's sockets: one listener (tcp or unix), one client at a time, as
 * QEMU's; both watched by the main loop, never blocking it. A client that
 * stops reading is disconnected once GDB_MAX_OUTQ bytes wait for it. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "emu/loop.h"
#include "emu/runstate.h"
#include "gdbstub/gdbstub-int.h"
#include "io/channel.h"
#include "io/fd-watch.h"
#include "util/uri.h"

static void gdb_client_read(void *opaque);
static void gdb_client_write(void *opaque);
static void gdb_accept(void *opaque);

GdbStub *gdb_server_new(Machine *m, struct Loop *loop)
{
    GdbStub *gs = calloc(1, sizeof(*gs));
    if (!gs) {
        return NULL;
    }
    gs->m = m;
    gs->loop = loop;
    gs->listen_fd = -1;
    gs->fd = -1;
    gdb_session_reset(gs);
    return gs;
}

void gdb_server_set_monitor(GdbStub *gs, GdbMonitorFn fn, void *opaque)
{
    gs->monitor_fn = fn;
    gs->monitor_opaque = opaque;
}

void gdb_server_set_reverse(GdbStub *gs, struct Reverse *rv)
{
    gs->rev = rv;
}

void gdb_server_set_replay(GdbStub *gs, struct Replay *r)
{
    gs->replay = r;
}

static void gdb_update_fds(GdbStub *gs)
{
    if (gs->fd < 0 || !gs->loop) {
        return;
    }
    bool writing = gs->outq.len > 0;
    fd_watch_add_rw(&gs->loop->fds, gs->fd, gdb_client_read, writing ? gdb_client_write : NULL,
                    gs);
    gs->out_watched = writing;
}

void gdb_server_disconnect(GdbStub *gs)
{
    if (gs->fd >= 0) {
        if (gs->loop) {
            fd_watch_remove(&gs->loop->fds, gs->fd);
        }
        close(gs->fd);
        gs->fd = -1;
    }
    /* The debugger's points go with it; the machine stays as it is (a
     * stopped guest waits for the monitor's cont or the next gdb). */
    cpu_debug_clear(&gs->m->debug);
    gs->m->debug_run_mask = 0;
    gdb_session_reset(gs);
    if (gs->listen_fd >= 0 && gs->loop) {
        fd_watch_add(&gs->loop->fds, gs->listen_fd, gdb_accept, gs);
    }
}

static bool gdb_flush(GdbStub *gs)
{
    while (gs->outq.len) {
        ssize_t w = send(gs->fd, gs->outq.data, gs->outq.len, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (w < 0 && errno == EINTR) {
            continue;
        }
        if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            break;
        }
        if (w <= 0) {
            return false;
        }
        gdb_buf_consume(&gs->outq, (size_t)w);
    }
    return true;
}

void gdb_server_output(GdbStub *gs, const char *data, size_t len)
{
    gdb_buf_append(&gs->outq, data, len);
    if (gs->fd < 0) {
        /* No socket (unit tests, the fuzzer): the bytes stay in outq, bounded. */
        if (gs->outq.len > GDB_MAX_OUTQ) {
            gdb_buf_consume(&gs->outq, gs->outq.len);
        }
        return;
    }
    bool was = gs->out_watched;
    if (!gdb_flush(gs) || gs->outq.len > GDB_MAX_OUTQ) {
        gs->detached = true;     /* gone, or not reading: dropped after this input */
        return;
    }
    if (was != (gs->outq.len > 0)) {
        gdb_update_fds(gs);
    }
}

static void gdb_client_write(void *opaque)
{
    GdbStub *gs = opaque;
    if (!gdb_flush(gs)) {
        gdb_server_disconnect(gs);
        return;
    }
    gdb_update_fds(gs);
}

static void gdb_client_read(void *opaque)
{
    GdbStub *gs = opaque;
    uint8_t buf[4096];
    ssize_t n = read(gs->fd, buf, sizeof(buf));
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) {
        return;
    }
    if (n <= 0) {
        gdb_server_disconnect(gs);
        return;
    }
    gdb_session_input(gs, buf, (size_t)n);
    if (gs->detached) {
        gdb_flush(gs);           /* the OK of D, best effort */
        gdb_server_disconnect(gs);
    }
}

static void gdb_accept(void *opaque)
{
    GdbStub *gs = opaque;
    Error err;
    error_init(&err);
    int fd = channel_socket_accept(gs->listen_fd, &err);
    if (fd < 0) {
        return;
    }
    /* One client at a time: the next waits in the listen queue. */
    fd_watch_remove(&gs->loop->fds, gs->listen_fd);
    gs->fd = fd;
    gdb_session_reset(gs);
    /* As QEMU: a debugger that connects finds the guest stopped. */
    gdb_stop_machine(gs, RUN_STATE_PAUSED);
    gdb_update_fds(gs);
}

const char *gdb_server_address(const GdbStub *gs)
{
    return gs->listen_fd >= 0 ? gs->address : NULL;
}

bool gdb_server_connected(const GdbStub *gs)
{
    return gs->fd >= 0;
}

void gdb_server_stop(GdbStub *gs)
{
    if (gs->fd >= 0) {
        gdb_server_output(gs, "$W00#b7", 7);   /* tell gdb the target is gone */
        int listen_fd = gs->listen_fd;
        gs->listen_fd = -1;                    /* no re-accept on the way out */
        gdb_server_disconnect(gs);
        gs->listen_fd = listen_fd;
    }
    if (gs->listen_fd >= 0) {
        if (gs->loop) {
            fd_watch_remove(&gs->loop->fds, gs->listen_fd);
        }
        close(gs->listen_fd);
        gs->listen_fd = -1;
    }
    if (gs->unix_path[0]) {
        unlink(gs->unix_path);
        gs->unix_path[0] = '\0';
    }
    gs->address[0] = '\0';
}

bool gdb_server_start(GdbStub *gs, const char *dev, Error *err)
{
    if (!strcmp(dev, "none")) {
        gdb_server_stop(gs);
        return true;
    }
    char spec[160];
    const char *rest;
    UriScheme s = uri_parse(dev, &rest);
    if (s == URI_TCP) {
        /* tcp::PORT means the loopback interface (tcp:0.0.0.0:PORT: all). */
        if (rest[0] == ':') {
            snprintf(spec, sizeof(spec), "tcp:127.0.0.1%s", rest);
        } else {
            snprintf(spec, sizeof(spec), "%s", dev);
        }
        char *comma = strchr(spec, ',');
        if (comma && (!strcmp(comma, ",server") || !strcmp(comma, ",server=on") ||
                      !strcmp(comma, ",server,nowait") || !strcmp(comma, ",server=on,wait=off"))) {
            *comma = '\0';
        }
    } else if (s == URI_UNIX) {
        snprintf(spec, sizeof(spec), "%s", dev);
        char *comma = strchr(spec, ',');
        if (comma) {
            if (strcmp(comma, ",server") && strcmp(comma, ",server=on") &&
                strcmp(comma, ",server,nowait") && strcmp(comma, ",server=on,wait=off")) {
                error_setf(err, "gdbstub %s: unknown option '%s' (use unix:PATH[,server])", dev,
                           comma + 1);
                return false;
            }
            *comma = '\0';
        }
    } else {
        error_setf(err, "gdbstub %s: expected tcp:[HOST]:PORT, unix:PATH[,server] or none", dev);
        return false;
    }
    if (strchr(spec, ',')) {
        error_setf(err, "gdbstub %s: unknown option '%s'", dev, strchr(spec, ',') + 1);
        return false;
    }
    Error le;
    error_init(&le);
    int fd = channel_socket_listen(spec, &le);
    if (fd < 0) {
        error_setf(err, "gdbstub: %s", le.msg);
        return false;
    }
    gdb_server_stop(gs);
    gs->listen_fd = fd;
    snprintf(gs->address, sizeof(gs->address), "%s", spec);
    if (s == URI_UNIX) {
        snprintf(gs->unix_path, sizeof(gs->unix_path), "%s", spec + 5);
    }
    if (gs->loop) {
        fd_watch_add(&gs->loop->fds, fd, gdb_accept, gs);
    }
    return true;
}

void gdb_server_exit(GdbStub *gs, int status)
{
    if (gs->fd >= 0) {
        char pkt[8];
        GdbBuf b = { 0 };
        snprintf(pkt, sizeof(pkt), "W%02x", status & 0xff);
        gdb_packet_encode(&b, pkt, strlen(pkt));
        gdb_server_output(gs, b.data, b.len);
        gdb_buf_free(&b);
    }
}

void gdb_server_free(GdbStub *gs)
{
    if (!gs) {
        return;
    }
    int listen_fd = gs->listen_fd;
    gs->listen_fd = -1;
    if (gs->fd >= 0) {
        gdb_server_disconnect(gs);
    }
    gs->listen_fd = listen_fd;
    gdb_server_stop(gs);
    gdb_buf_free(&gs->outq);
    gdb_buf_free(&gs->last);
    gdb_buf_free(&gs->reply);
    free(gs);
}

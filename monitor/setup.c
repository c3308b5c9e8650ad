/* Where the monitors and the serial console live: the -monitor, -serial and
 * -nographic options, listening sockets (unix, tcp) for both, and start-up.
 * The terminal (stdio, and the -nographic mux) is monitor/console.c; the
 * hub's lifetime is monitor/hub.c. */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "emu/loop.h"
#include "hw/riscv/machine.h"
#include "io/fd-watch.h"
#include "monitor/console.h"
#include "monitor/monitor-int.h"
#include "monitor/monitor.h"
#include "monitor/telnet.h"
#include "util/uri.h"

#define MON_MAX_CLI 4

typedef enum Transport {
    TR_STDIO,
    TR_UNIX,
    TR_TCP,
} Transport;

/* One -monitor or socket -serial: where, and once open, who is connected. */
typedef struct Endpoint {
    Transport tr;
    char *addr;                  /* unix path, or tcp host */
    char *port;                  /* tcp */
    bool nowait;
    bool telnet;                 /* telnet:HOST:PORT (monitor/telnet.c) */
    Telnet tn;
    char desc[160];              /* as given, for messages and info chardev */
    int listen_fd, client_fd;
    Monitor *mon;                /* a monitor endpoint */
    CharBackend *be;             /* the serial endpoint */
    Loop *loop;                  /* the hub's: watches listen_fd and client_fd */
} Endpoint;

/* The hub's part (MonitorHub.setup): the options as given, and the
 * endpoints they open. */
typedef struct MonitorSetup {
    Endpoint mon_eps[MON_MAX_CLI];
    int nr_mon_eps;
    bool monitor_none;
    const char *serial_opt;
    bool nographic;
    Endpoint serial_ep;
    bool stdio_mux;              /* serial and a monitor share stdio */
} MonitorSetup;

MonitorSetup *monitor_setup_new(void)
{
    MonitorSetup *su = calloc(1, sizeof(*su));
    su->serial_ep.listen_fd = su->serial_ep.client_fd = -1;
    return su;
}

static void ep_free(Endpoint *ep)
{
    if (ep->listen_fd >= 0) {
        fd_watch_remove(&ep->loop->fds, ep->listen_fd);
        close(ep->listen_fd);
    }
    if (ep->client_fd >= 0 && !ep->mon) {
        fd_watch_remove(&ep->loop->fds, ep->client_fd);   /* a monitor's own fd goes with the monitor */
        close(ep->client_fd);
    }
    free(ep->addr);
    free(ep->port);
}

/* After the monitors are freed (hub.c): their fds are unregistered. */
void monitor_setup_free(MonitorSetup *su)
{
    if (!su) {
        return;
    }
    for (int i = 0; i < su->nr_mon_eps; i++) {
        Endpoint *ep = &su->mon_eps[i];
        if (ep->mon && ep->client_fd >= 0) {
            close(ep->client_fd);
        }
        ep->mon = NULL;
        ep_free(ep);
    }
    ep_free(&su->serial_ep);
    free(su);
}

/* "PATH,server,nowait" style suboptions after the address. */
static bool parse_endpoint(const char *opt, const char *val, Endpoint *ep, Error *err)
{
    memset(ep, 0, sizeof(*ep));
    ep->listen_fd = ep->client_fd = -1;
    snprintf(ep->desc, sizeof(ep->desc), "%s", val);
    const char *rest;
    UriScheme s = uri_parse(val, &rest);
    if (s == URI_UNIX) {
        ep->tr = TR_UNIX;
    } else if (s == URI_TCP) {
        ep->tr = TR_TCP;
    } else if (s == URI_TELNET) {
        ep->tr = TR_TCP;
        ep->telnet = true;
    } else {
        error_setf(err, "%s %s: unknown back end", opt, val);
        return false;
    }
    char *copy = strdup(rest);
    char *save = NULL;
    bool server = false, ok = true;
    char *addr = strtok_r(copy, ",", &save);
    if (!addr || !*addr) {
        error_setf(err, "%s %s: missing %s", opt, val, ep->tr == TR_UNIX ? "path" : "host:port");
        free(copy);
        return false;
    }
    for (char *t = strtok_r(NULL, ",", &save); t && ok; t = strtok_r(NULL, ",", &save)) {
        if (!strcmp(t, "server") || !strcmp(t, "server=on")) {
            server = true;
        } else if (!strcmp(t, "nowait") || !strcmp(t, "wait=off")) {
            ep->nowait = true;
        } else if (!strcmp(t, "wait=on")) {
            ep->nowait = false;
        } else {
            error_setf(err, "%s %s: unknown option '%s' (use server, nowait)", opt, val, t);
            ok = false;
        }
    }
    if (ok && !server) {
        error_setf(err, "%s %s: only server sockets are supported (add ',server')", opt, val);
        ok = false;
    }
    if (ok && ep->tr == TR_TCP) {
        char *colon = strrchr(addr, ':');
        if (!colon || !colon[1]) {
            error_setf(err, "%s %s: expected tcp:HOST:PORT", opt, val);
            ok = false;
        } else {
            char *end;
            long p = strtol(colon + 1, &end, 10);
            if (*end || p < 0 || p > 65535) {
                error_setf(err, "%s %s: invalid port '%s'", opt, val, colon + 1);
                ok = false;
            } else {
                ep->port = strdup(colon + 1);
                *colon = '\0';
            }
        }
    }
    if (ok && ep->tr == TR_UNIX && strlen(addr) >= sizeof(((struct sockaddr_un *)0)->sun_path)) {
        error_setf(err, "%s %s: socket path too long", opt, val);
        ok = false;
    }
    if (ok) {
        ep->addr = strdup(addr);
    }
    free(copy);
    return ok;
}

bool monitor_opt_monitor(MonitorHub *hub, const char *val, Error *err)
{
    MonitorSetup *su = hub->setup;
    if (!strcmp(val, "none")) {
        su->monitor_none = true;
        return true;
    }
    if (su->nr_mon_eps == MON_MAX_CLI) {
        error_setf(err, "-monitor %s: too many monitors (limit %d)", val, MON_MAX_CLI);
        return false;
    }
    Endpoint *ep = &su->mon_eps[su->nr_mon_eps];
    if (!strcmp(val, "stdio")) {
        memset(ep, 0, sizeof(*ep));
        ep->tr = TR_STDIO;
        ep->listen_fd = ep->client_fd = -1;
        snprintf(ep->desc, sizeof(ep->desc), "stdio");
        for (int i = 0; i < su->nr_mon_eps; i++) {
            if (su->mon_eps[i].tr == TR_STDIO) {
                error_setf(err, "-monitor stdio: cannot use stdio by multiple character devices");
                return false;
            }
        }
    } else if (!parse_endpoint("-monitor", val, ep, err)) {
        return false;
    }
    ep->loop = hub->loop;
    su->nr_mon_eps++;
    return true;
}

bool monitor_opt_serial(MonitorHub *hub, const char *val, Error *err)
{
    MonitorSetup *su = hub->setup;
    if (su->serial_opt) {
        error_setf(err, "-serial %s: only one serial port (UART0) is supported", val);
        return false;
    }
    const char *rest;
    UriScheme s = uri_parse(val, &rest);
    if (!strcmp(val, "stdio") || !strcmp(val, "mon:stdio") || !strcmp(val, "null") ||
        !strcmp(val, "none") || s == URI_FILE) {
        if (s == URI_FILE && !*rest) {
            error_setf(err, "-serial %s: missing file name", val);
            return false;
        }
        su->serial_opt = val;
        return true;
    }
    if (uri_scheme_in(s, URI_SOCKETS | URI_BIT(URI_TELNET))) {
        if (!parse_endpoint("-serial", val, &su->serial_ep, err)) {
            return false;
        }
        su->serial_ep.loop = hub->loop;
        su->serial_opt = val;
        return true;
    }
    error_setf(err, "-serial %s: not supported yet (use stdio, mon:stdio, null, none, "
               "file:PATH, unix:PATH,server, tcp:HOST:PORT,server, telnet:HOST:PORT,server "
               "or chardev:ID)", val);
    return false;
}

void monitor_opt_nographic(MonitorHub *hub)
{
    hub->setup->nographic = true;
}

/* ---- listening sockets ---- */

static int listen_on(Endpoint *ep, Error *err)
{
    int fd = -1;
    if (ep->tr == TR_UNIX) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", ep->addr);
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        unlink(ep->addr);            /* a stale socket from an earlier run */
        if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 1) < 0) {
            error_setf(err, "%s: %s", ep->desc, strerror(errno));
            if (fd >= 0) {
                close(fd);
            }
            return -1;
        }
        return fd;
    }
    struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
                              .ai_flags = AI_PASSIVE };
    struct addrinfo *res;
    int rc = getaddrinfo(*ep->addr ? ep->addr : NULL, ep->port, &hints, &res);
    if (rc != 0) {
        error_setf(err, "%s: %s", ep->desc, gai_strerror(rc));
        return -1;
    }
    int saved = 0;
    for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
        if (fd < 0) {
            saved = errno;
            continue;
        }
        int one = 1;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && listen(fd, 1) == 0) {
            break;
        }
        saved = errno;
        close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    if (fd < 0) {
        error_setf(err, "%s: %s", ep->desc, strerror(saved));
    }
    return fd;
}

/* Blocks until a client connects, or until a termination signal arrives
 * (QEMU exits at once then, too): the signals stay blocked except inside
 * ppoll, so one that arrives just before it cannot be missed. */
static void ep_wait_client(Endpoint *ep, const char *what)
{
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGHUP);
    sigprocmask(SIG_BLOCK, &block, &old);
    if (!loop_pending_signal(ep->loop)) {
        fprintf(stderr, "amber: %s: waiting for connection on %s\n", what, ep->desc);
    }
    while (ep->client_fd < 0 && !loop_pending_signal(ep->loop)) {
        struct pollfd p = { .fd = ep->listen_fd, .events = POLLIN };
        if (ppoll(&p, 1, NULL, &old) > 0) {
            ep->client_fd = accept4(ep->listen_fd, NULL, NULL, SOCK_CLOEXEC);
        }
    }
    sigprocmask(SIG_SETMASK, &old, NULL);
}

/* ---- monitor sockets ---- */

static void mon_sock_accept(void *opaque);

/* Closes the client's connection and waits for the next one. */
static void mon_sock_close(Monitor *mon)
{
    Endpoint *ep = mon->opaque;
    if (mon->rd_cb) {
        monitor_watch_input(mon, -1, NULL, NULL);
    }
    mon->fd_out = -1;
    monitor_update_fds(mon);     /* forgets the POLLOUT registration */
    if (ep->client_fd >= 0) {
        close(ep->client_fd);
        ep->client_fd = -1;
    }
    mon->fd_in = -1;
    monitor_output_reset(mon);
    mon->inlen = 0;
    mon->eof = false;
    mon->overlong = false;
    /* The next client waiting in the listen queue gets its turn. */
    fd_watch_add(&ep->loop->fds, ep->listen_fd, mon_sock_accept, ep);
}

/* Every line the client sent has run: close once the answers have left
 * (the client may still read them after closing its side). */
static void mon_sock_eof(Monitor *mon)
{
    if (monitor_output_pending(mon)) {
        mon->on_drained = mon_sock_close;
        return;
    }
    mon_sock_close(mon);
}

/* The client let too much output pile up (message printed by output.c):
 * it is closed now, so it sees the disconnect. Its unrun input goes too. A
 * command still waiting for it (expect) finishes on its own, unheard; the
 * next client is accepted after that (mon_sock_eof through eof). */
static void mon_sock_overflow(Monitor *mon)
{
    Endpoint *ep = mon->opaque;
    if (mon->rd_cb) {
        monitor_watch_input(mon, -1, NULL, NULL);
    }
    mon->fd_out = -1;
    monitor_update_fds(mon);
    if (ep->client_fd >= 0) {
        close(ep->client_fd);
        ep->client_fd = -1;
    }
    mon->fd_in = -1;
    mon->inlen = 0;
    mon->overlong = false;
    mon->eof = true;
    if (!mon->suspended && !mon->processing) {
        mon_sock_close(mon);
    }
}

static void monitor_note_passed_fds(Monitor *mon, struct msghdr *msg)
{
    for (struct cmsghdr *c = CMSG_FIRSTHDR(msg); c; c = CMSG_NXTHDR(msg, c)) {
        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) {
            continue;
        }
        size_t nfd = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        for (size_t i = 0; i < nfd; i++) {
            int fd;
            memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
            if (mon->has_passed_fd) {
                close(mon->passed_fd);   /* QEMU keeps only the latest one */
            }
            mon->passed_fd = fd;
            mon->has_passed_fd = true;
        }
    }
}

static void mon_sock_read(void *opaque)
{
    Endpoint *ep = opaque;
    Monitor *mon = ep->mon;
    char buf[4096];
    /* recvmsg, so descriptors passed with SCM_RIGHTS reach getfd. */
    union {
        char b[CMSG_SPACE(4 * sizeof(int))];
        struct cmsghdr align;
    } ctl;
    struct iovec iov = { .iov_base = buf, .iov_len = sizeof(buf) };
    struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
                          .msg_control = ctl.b, .msg_controllen = sizeof(ctl.b) };
    ssize_t n = recvmsg(ep->client_fd, &msg, MSG_CMSG_CLOEXEC);
    if (n < 0 && errno == ENOTSOCK) {
        n = read(ep->client_fd, buf, sizeof(buf));
        msg.msg_controllen = 0;
    }
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) {
        return;
    }
    if (n > 0) {
        monitor_note_passed_fds(mon, &msg);
    }
    if (n <= 0) {
        /* The client closed (or half-closed) its side: what it sent still
         * runs, a waiting expect included, then the connection is closed. */
        monitor_watch_input(mon, -1, NULL, NULL);
        monitor_input_eof(mon);
        return;
    }
    if (mon->suspended && memchr(buf, 0x03, (size_t)n) && mon->cancel_fn) {
        mon->cancel_fn(mon, mon->cancel_opaque);   /* Ctrl-C from a raw client */
        return;
    }
    if (ep->telnet) {
        telnet_monitor_input(&ep->tn, ep->client_fd, mon, (uint8_t *)buf, (size_t)n);
        return;
    }
    monitor_input(mon, buf, (size_t)n);
}

static void mon_sock_connected(Endpoint *ep)
{
    Monitor *mon = ep->mon;
    mon->fd_in = mon->fd_out = ep->client_fd;
    monitor_output_reset(mon);
    mon->crlf = ep->telnet;
    if (ep->telnet) {
        telnet_start(&ep->tn, ep->client_fd);
    }
    monitor_watch_input(mon, ep->client_fd, mon_sock_read, ep);
    monitor_print_banner(mon);
    monitor_print_prompt(mon);
}

static void mon_sock_accept(void *opaque)
{
    Endpoint *ep = opaque;
    int fd = accept4(ep->listen_fd, NULL, NULL, SOCK_CLOEXEC);
    if (fd < 0) {
        return;
    }
    ep->client_fd = fd;
    /* One client at a time, as QEMU: stop accepting until this one leaves,
     * so the next waits in the listen queue instead of being turned away
     * (a script's next connection can arrive before its last one's EOF
     * has been read). */
    fd_watch_remove(&ep->loop->fds, ep->listen_fd);
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);   /* output never waits (output.c) */
    mon_sock_connected(ep);
}

static const MonitorOps mon_sock_ops = { .eof = mon_sock_eof, .overflow = mon_sock_overflow };

/* ---- stdio batch / plain monitor ---- */

static void mon_stdio_eof(Monitor *mon)
{
    /* A batch file ran to its end: quit, with its exit status, after a
     * running guest had a moment of virtual time to finish what it is
     * doing. An expect that matched a guest's last words returns before
     * the guest's next instructions run; without the grace, a script
     * ending there would lose the exit the guest makes right after. */
    monitor_request_quit_after(mon, MON_BATCH_END_GRACE_NS, monitor_exit_status(mon));
}

static const MonitorOps mon_stdio_ops = { .eof = mon_stdio_eof };

/* ---- serial on a socket ---- */

static void serial_sock_read(void *opaque);

static void serial_sock_attach(Endpoint *ep)
{
    ep->be->fd_out = ep->client_fd;
    if (ep->telnet) {
        telnet_start(&ep->tn, ep->client_fd);
    }
    fd_watch_add(&ep->loop->fds, ep->client_fd, serial_sock_read, ep);
}

static void serial_sock_read(void *opaque)
{
    Endpoint *ep = opaque;
    CharBackend *be = ep->be;
    uint8_t buf[256];
    size_t room = sizeof(be->pending) - be->pending_len;
    if (room == 0) {
        return;                  /* the guest is not reading: leave it in the socket */
    }
    ssize_t n = read(ep->client_fd, buf, room < sizeof(buf) ? room : sizeof(buf));
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) {
        return;
    }
    if (n <= 0) {
        fd_watch_remove(&ep->loop->fds, ep->client_fd);
        close(ep->client_fd);
        ep->client_fd = -1;
        be->fd_out = -1;         /* output is dropped until the next client */
        return;
    }
    if (ep->telnet) {
        n = (ssize_t)telnet_strip(&ep->tn, buf, (size_t)n);
    }
    chardev_feed(be, buf, (size_t)n);
}

static void serial_sock_accept(void *opaque)
{
    Endpoint *ep = opaque;
    int fd = accept4(ep->listen_fd, NULL, NULL, SOCK_CLOEXEC);
    if (fd < 0) {
        return;
    }
    if (ep->client_fd >= 0) {
        close(fd);
        return;
    }
    ep->client_fd = fd;
    serial_sock_attach(ep);
}

/* ---- start-up ---- */

static bool stdio_monitor_requested(const MonitorSetup *su)
{
    for (int i = 0; i < su->nr_mon_eps; i++) {
        if (su->mon_eps[i].tr == TR_STDIO) {
            return true;
        }
    }
    return false;
}

bool monitor_init_serial(MonitorHub *hub, CharBackend *be, Error *err)
{
    MonitorSetup *su = hub->setup;
    Endpoint *sep = &su->serial_ep;
    const char *s = su->serial_opt;
    if (!s) {
        /* QEMU's defaults: -nographic alone muxes serial and monitor on
         * stdio; a monitor on stdio leaves the serial port unconnected. */
        if (su->nographic && !su->nr_mon_eps && !su->monitor_none) {
            s = "mon:stdio";
        } else if (su->nographic && stdio_monitor_requested(su)) {
            /* -nographic wants the serial console on stdio, which the monitor
             * already has. QEMU refuses this too; silently dropping the
             * console (as without -nographic) would hide the guest. */
            error_setf(err, "-nographic -monitor stdio: cannot use stdio by multiple "
                     "character devices (the serial console and the monitor; use "
                     "-nographic alone for both, muxed with Ctrl-A c, or -serial null)");
            return false;
        } else if (stdio_monitor_requested(su)) {
            s = "null";
        } else {
            s = "stdio";
        }
    }
    hub->serial_desc = s;
    if (!strcmp(s, "stdio") || !strcmp(s, "mon:stdio")) {
        if (stdio_monitor_requested(su)) {
            error_setf(err, "-serial %s: cannot use stdio by multiple character devices "
                       "(-monitor stdio; use -serial mon:stdio to share it)", s);
            return false;
        }
        su->stdio_mux = !strcmp(s, "mon:stdio") && !su->monitor_none;
        chardev_init_fd(be, "serial0", 0, 1);
        console_init(hub, be, su->stdio_mux);
        return true;
    }
    if (!strcmp(s, "null") || !strcmp(s, "none")) {
        chardev_init_null(be, "serial0");
        return true;
    }
    const char *path;
    if (uri_parse(s, &path) == URI_FILE) {
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
        if (fd < 0) {
            error_setf(err, "-serial %s: %s", s, strerror(errno));
            return false;
        }
        chardev_init_fd(be, "serial0", -1, fd);
        return true;
    }
    chardev_init_fd(be, "serial0", -1, -1);
    sep->be = be;
    sep->listen_fd = listen_on(sep, err);
    if (sep->listen_fd < 0) {
        return false;
    }
    if (!sep->nowait) {
        ep_wait_client(sep, "-serial");
    }
    return true;
}

bool monitor_start(MonitorHub *hub, Error *err)
{
    MonitorSetup *su = hub->setup;
    Endpoint *sep = &su->serial_ep;
    if (hub->machine) {
        hmp_serial_log_init(hub, &hub->machine->serial0);
    }
    if (sep->listen_fd >= 0) {
        fd_watch_add(&sep->loop->fds, sep->listen_fd, serial_sock_accept, sep);
        if (sep->client_fd >= 0) {
            serial_sock_attach(sep);
        }
    }
    for (int i = 0; i < su->nr_mon_eps; i++) {
        Endpoint *ep = &su->mon_eps[i];
        char name[32];
        snprintf(name, sizeof(name), "monitor%d", i);
        if (ep->tr == TR_STDIO) {
            bool tty = isatty(0);
            Monitor *mon = monitor_new(hub, tty ? MON_KIND_READLINE : MON_KIND_PLAIN, name, 0, 1);
            snprintf(mon->desc, sizeof(mon->desc), "stdio");
            ep->mon = mon;
            if (tty) {
                monitor_tty_start(mon, false);
                continue;
            }
            mon->ops = &mon_stdio_ops;
            mon->show_prompt = mon->echo = mon->batch = true;
            monitor_watch_input(mon, 0, monitor_fd_read, mon);
            monitor_print_banner(mon);
            monitor_print_prompt(mon);
            continue;
        }
        ep->listen_fd = listen_on(ep, err);
        if (ep->listen_fd < 0) {
            return false;
        }
        Monitor *mon = monitor_new(hub, MON_KIND_PLAIN, name, -1, -1);
        snprintf(mon->desc, sizeof(mon->desc), "%s", ep->desc);
        mon->ops = &mon_sock_ops;
        mon->opaque = ep;
        mon->show_prompt = true;
        ep->mon = mon;
        fd_watch_add(&ep->loop->fds, ep->listen_fd, mon_sock_accept, ep);
        if (!ep->nowait) {
            ep_wait_client(ep, "-monitor");
            if (ep->client_fd >= 0) {
                fd_watch_remove(&ep->loop->fds, ep->listen_fd);
                fcntl(ep->client_fd, F_SETFL, fcntl(ep->client_fd, F_GETFL) | O_NONBLOCK);
                mon_sock_connected(ep);
            }
        }
    }
    if (su->stdio_mux) {
        Monitor *mon = monitor_new(hub, isatty(0) ? MON_KIND_READLINE : MON_KIND_PLAIN,
                                   "monitor-mux", -1, 1);
        snprintf(mon->desc, sizeof(mon->desc), "mon:stdio");
        console_set_monitor(hub, mon);
    }
    console_start(hub);
    return true;
}

/* The socket files go with the run (exit). */
void monitor_setup_cleanup(MonitorHub *hub)
{
    MonitorSetup *su = hub->setup;
    for (int i = 0; i < su->nr_mon_eps; i++) {
        if (su->mon_eps[i].tr == TR_UNIX && su->mon_eps[i].listen_fd >= 0) {
            unlink(su->mon_eps[i].addr);
        }
    }
    if (su->serial_ep.tr == TR_UNIX && su->serial_ep.listen_fd >= 0) {
        unlink(su->serial_ep.addr);
    }
}

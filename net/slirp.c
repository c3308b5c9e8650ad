/* The "user" back end on libslirp (net/slirp.h).
 *
 * Polling: after every call into slirp, slirp_pollfds_fill() tells which
 * host sockets it wants to hear about; they are kept in one epoll set whose
 * descriptor sits in the machine loop's FdWatchSet. When it is readable the
 * loop calls net_slirp_fd_ready(), which polls those sockets without
 * waiting and hands the result to slirp_pollfds_poll(). The CPU loop never
 * waits on slirp.
 *
 * Time: slirp's clock and timers are the machine's virtual clock. The TCP
 * fast/slow timers that slirp_pollfds_poll() runs are driven by a virtual
 * timer at the deadline slirp_pollfds_fill() gives; that timer looks at no
 * host socket, so it delivers nothing from outside. */
#include "net/slirp.h"

#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <slirp/libslirp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "net/slirp-int.h"

#define SLIRP_IDLE_TIMEOUT_MS 1000   /* what slirp_pollfds_fill gives when idle */

typedef struct NetSlirpTimer {
    Timer t;
    NetSlirp *s;
    SlirpTimerId id;
    void *cb_opaque;
} NetSlirpTimer;

static void net_slirp_update(NetSlirp *s);

/* ---- slirp's callbacks ---- */

static ssize_t cb_send_packet(const void *buf, size_t len, void *opaque)
{
    NetSlirp *s = opaque;
    net_dev_receive(s->nd, buf, len, s->in_host_poll);
    return (ssize_t)len;
}

static void cb_guest_error(const char *msg, void *opaque)
{
    NetSlirp *s = opaque;
    s->guest_errors++;           /* slirp dropped a malformed guest frame */
    (void)msg;
}

static int64_t cb_clock_get_ns(void *opaque)
{
    NetSlirp *s = opaque;
    return (int64_t)clock_ns(s->clock);
}

static void net_slirp_timer_cb(void *opaque)
{
    NetSlirpTimer *t = opaque;
    slirp_handle_timer(t->s->slirp, t->id, t->cb_opaque);
    net_slirp_update(t->s);
}

static void *cb_timer_new_opaque(SlirpTimerId id, void *cb_opaque, void *opaque)
{
    NetSlirpTimer *t = calloc(1, sizeof(*t));
    if (!t) {
        return NULL;
    }
    t->s = opaque;
    t->id = id;
    t->cb_opaque = cb_opaque;
    timer_init(&t->t, t->s->clock, "slirp", net_slirp_timer_cb, t);
    return t;
}

static void cb_timer_free(void *timer, void *opaque)
{
    NetSlirpTimer *t = timer;
    (void)opaque;
    if (t) {
        timer_del(&t->t);
        free(t);
    }
}

static void cb_timer_mod(void *timer, int64_t expire_ms, void *opaque)
{
    NetSlirpTimer *t = timer;
    (void)opaque;
    timer_mod(&t->t, expire_ms < 0 ? 0 : (uint64_t)expire_ms * 1000000ull);
}

static void cb_register_poll_fd(int fd, void *opaque)
{
    (void)fd;
    (void)opaque;                /* the epoll set follows each fill */
}

static void cb_notify(void *opaque)
{
    NetSlirp *s = opaque;
    s->need_update = true;
}

static const SlirpCb net_slirp_cbs = {
    .send_packet = cb_send_packet,
    .guest_error = cb_guest_error,
    .clock_get_ns = cb_clock_get_ns,
    .timer_free = cb_timer_free,
    .timer_mod = cb_timer_mod,
    .register_poll_fd = cb_register_poll_fd,
    .unregister_poll_fd = cb_register_poll_fd,
    .notify = cb_notify,
    .timer_new_opaque = cb_timer_new_opaque,
};

/* ---- the poll set ---- */

static int add_poll(int fd, int events, void *opaque)
{
    NetSlirp *s = opaque;
    if (s->nr_pfd == s->cap_pfd) {
        int cap = s->cap_pfd ? 2 * s->cap_pfd : 16;
        struct pollfd *p = realloc(s->pfd, (size_t)cap * sizeof(*p));
        if (!p) {
            return -1;           /* slirp then skips this fd */
        }
        s->pfd = p;
        s->cap_pfd = cap;
    }
    short ev = 0;
    ev |= (events & SLIRP_POLL_IN) ? POLLIN : 0;
    ev |= (events & SLIRP_POLL_OUT) ? POLLOUT : 0;
    ev |= (events & SLIRP_POLL_PRI) ? POLLPRI : 0;
    s->pfd[s->nr_pfd] = (struct pollfd){ .fd = fd, .events = ev };
    return s->nr_pfd++;
}

static int get_revents(int idx, void *opaque)
{
    NetSlirp *s = opaque;
    if (idx < 0 || idx >= s->nr_pfd) {
        return 0;
    }
    short r = s->pfd[idx].revents;
    return ((r & POLLIN) ? SLIRP_POLL_IN : 0) | ((r & POLLOUT) ? SLIRP_POLL_OUT : 0) |
           ((r & POLLPRI) ? SLIRP_POLL_PRI : 0) | ((r & POLLERR) ? SLIRP_POLL_ERR : 0) |
           ((r & POLLHUP) ? SLIRP_POLL_HUP : 0);
}

static uint32_t epoll_events_of(short ev)
{
    return ((ev & POLLIN) ? EPOLLIN : 0) | ((ev & POLLOUT) ? EPOLLOUT : 0) |
           ((ev & POLLPRI) ? EPOLLPRI : 0);
}

/* Makes the epoll set hold exactly the fds of the last fill. */
static void net_slirp_sync_epoll(NetSlirp *s)
{
    /* fds that left the set (a closed fd has left it by itself) */
    for (int i = 0; i < s->nr_reg; i++) {
        bool keep = false;
        for (int j = 0; j < s->nr_pfd && !keep; j++) {
            keep = s->pfd[j].fd == s->reg[i].fd;
        }
        if (!keep) {
            epoll_ctl(s->epfd, EPOLL_CTL_DEL, s->reg[i].fd, NULL);
        }
    }
    for (int j = 0; j < s->nr_pfd; j++) {
        struct epoll_event ev = { .events = epoll_events_of(s->pfd[j].events),
                                  .data.fd = s->pfd[j].fd };
        int old = -1;
        for (int i = 0; i < s->nr_reg && old < 0; i++) {
            old = s->reg[i].fd == s->pfd[j].fd ? i : -1;
        }
        if (old >= 0 && s->reg[old].events == ev.events) {
            continue;
        }
        if (old < 0 || epoll_ctl(s->epfd, EPOLL_CTL_MOD, ev.data.fd, &ev) < 0) {
            /* new, or a number reused after a close */
            if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, ev.data.fd, &ev) < 0 && errno == EEXIST) {
                epoll_ctl(s->epfd, EPOLL_CTL_MOD, ev.data.fd, &ev);
            }
        }
    }
    if (s->cap_reg < s->nr_pfd) {
        NetSlirpReg *r = realloc(s->reg, (size_t)s->cap_pfd * sizeof(*r));
        if (!r) {
            return;
        }
        s->reg = r;
        s->cap_reg = s->cap_pfd;
    }
    for (int j = 0; j < s->nr_pfd; j++) {
        s->reg[j] = (NetSlirpReg){ s->pfd[j].fd, epoll_events_of(s->pfd[j].events) };
    }
    s->nr_reg = s->nr_pfd;
}

/* After every call into slirp: which sockets to watch, when to come back. */
static void net_slirp_update(NetSlirp *s)
{
    uint32_t timeout = UINT32_MAX;
    s->need_update = false;
    s->nr_pfd = 0;
    slirp_pollfds_fill(s->slirp, &timeout, add_poll, s);
    net_slirp_sync_epoll(s);
    if (timeout < SLIRP_IDLE_TIMEOUT_MS) {
        uint64_t at = clock_ns(s->clock) + (uint64_t)timeout * 1000000ull;
        if (!s->poll_timer.armed || s->poll_timer.expire_ns > at) {
            timer_mod(&s->poll_timer, at);
        }
    }
}

/* The virtual deadline of slirp's TCP timers: no host socket is looked
 * at, so nothing from outside comes in here. */
static void net_slirp_poll_timer(void *opaque)
{
    NetSlirp *s = opaque;
    for (int i = 0; i < s->nr_pfd; i++) {
        s->pfd[i].revents = 0;
    }
    slirp_pollfds_poll(s->slirp, 0, get_revents, s);
    net_slirp_update(s);
}

/* The epoll set is readable: some host socket is. */
static void net_slirp_fd_ready(void *opaque)
{
    NetSlirp *s = opaque;
    int n = s->nr_pfd ? poll(s->pfd, (nfds_t)s->nr_pfd, 0) : 0;
    struct epoll_event ev[8];
    while (epoll_wait(s->epfd, ev, 8, 0) == 8) {
        /* level-triggered: nothing to drain, only to look */
    }
    s->in_host_poll = true;
    slirp_pollfds_poll(s->slirp, n < 0, get_revents, s);
    s->in_host_poll = false;
    net_slirp_update(s);
}

/* ---- the back end ---- */

static void net_slirp_send(void *be, const uint8_t *buf, size_t len)
{
    NetSlirp *s = be;
    slirp_input(s->slirp, buf, (int)len);
    s->need_update = true;       /* once per batch: net_slirp_flush */
}

/* The guest's batch of frames is in: what slirp holds for host sockets
 * is written now rather than at the loop's next poll, so the guest's
 * window reopens without waiting for a CPU slice to end. Only POLLOUT is
 * reported: nothing is read from the host here (that is input, taken in
 * net_slirp_fd_ready), so the guest's run does not depend on it. */
static void net_slirp_flush(void *be)
{
    NetSlirp *s = be;
    net_slirp_update(s);
    bool out = false;
    for (int i = 0; i < s->nr_pfd; i++) {
        out |= (s->pfd[i].events & POLLOUT) != 0;
    }
    if (!out || poll(s->pfd, (nfds_t)s->nr_pfd, 0) <= 0) {
        return;
    }
    for (int i = 0; i < s->nr_pfd; i++) {
        s->pfd[i].revents &= POLLOUT;
    }
    slirp_pollfds_poll(s->slirp, 0, get_revents, s);
    net_slirp_update(s);
}

static void net_slirp_describe(void *be, char *buf, size_t size)
{
    NetSlirp *s = be;
    char net[INET_ADDRSTRLEN];
    inet_ntop(AF_INET, &s->opts.net, net, sizeof(net));
    snprintf(buf, size, "net=%s,restrict=%s", net, s->opts.restricted ? "on" : "off");
}

static void net_slirp_destroy(void *be)
{
    NetSlirp *s = be;
    fd_watch_remove(&s->loop->fds, s->epfd);
    timer_del(&s->poll_timer);
    timer_del(&s->activate);
    slirp_cleanup(s->slirp);     /* frees its timers through cb_timer_free */
    close(s->epfd);
    free(s->pfd);
    free(s->reg);
    free(s);
}

static const NetBackendOps net_slirp_ops = {
    .type = "user",
    .send = net_slirp_send,
    .flush = net_slirp_flush,
    .describe = net_slirp_describe,
    .destroy = net_slirp_destroy,
};

static bool net_slirp_bind(NetSlirp *s, NetSlirpFwd *f, Error *err)
{
    errno = 0;
    if (slirp_add_hostfwd(s->slirp, f->udp, f->host_addr, f->host_port, f->guest_addr,
                          f->guest_port) < 0) {
        char host[INET_ADDRSTRLEN];
        inet_ntop(AF_INET, &f->host_addr, host, sizeof(host));
        error_setf(err, "could not set up host forwarding rule for %s %s:%d%s%s",
                   f->udp ? "udp" : "tcp", host, f->host_port, errno ? ": " : "",
                   errno ? strerror(errno) : "");
        return false;
    }
    f->active = true;
    return true;
}

bool net_slirp_bind_forwards(NetSlirp *s, Error *err)
{
    if (s->nd->input == NET_INPUT_LOG) {
        return true;             /* replaying: the log replaces the host's side */
    }
    for (int i = 0; i < s->opts.nr_fwd; i++) {
        if (!s->opts.fwd[i].active && !net_slirp_bind(s, &s->opts.fwd[i], err)) {
            net_slirp_update(s);
            return false;
        }
    }
    net_slirp_update(s);
    return true;
}

void net_slirp_release_forwards(NetSlirp *s)
{
    for (int i = 0; i < s->opts.nr_fwd; i++) {
        NetSlirpFwd *f = &s->opts.fwd[i];
        if (f->active) {
            slirp_remove_hostfwd(s->slirp, f->udp, f->host_addr, f->host_port);
            f->active = false;
        }
    }
    net_slirp_update(s);
}

bool net_slirp_add_fwd(NetSlirp *s, const NetSlirpFwd *f, Error *err)
{
    if (s->nd->input == NET_INPUT_LOG) {
        error_setf(err, "replaying: the network back end is replaced by the log, no port "
                        "is forwarded");
        return false;
    }
    if (s->opts.nr_fwd == NET_SLIRP_MAX_FWD) {
        error_setf(err, "at most %d hostfwd rules", NET_SLIRP_MAX_FWD);
        return false;
    }
    NetSlirpFwd *n = &s->opts.fwd[s->opts.nr_fwd];
    *n = *f;
    n->active = false;
    bool ok = net_slirp_bind(s, n, err);
    if (ok) {
        s->opts.nr_fwd++;
    }
    net_slirp_update(s);
    return ok;
}

bool net_slirp_remove_fwd(NetSlirp *s, const NetSlirpFwd *f, Error *err)
{
    for (int i = 0; i < s->opts.nr_fwd; i++) {
        NetSlirpFwd *r = &s->opts.fwd[i];
        if (r->udp == f->udp && r->host_port == f->host_port &&
            r->host_addr.s_addr == f->host_addr.s_addr) {
            if (r->active) {
                slirp_remove_hostfwd(s->slirp, r->udp, r->host_addr, r->host_port);
            }
            memmove(r, r + 1, (size_t)(s->opts.nr_fwd - i - 1) * sizeof(*r));
            s->opts.nr_fwd--;
            net_slirp_update(s);
            return true;
        }
    }
    char host[INET_ADDRSTRLEN];
    inet_ntop(AF_INET, &f->host_addr, host, sizeof(host));
    error_setf(err, "host forwarding rule for %s %s:%d not found", f->udp ? "udp" : "tcp",
               host, f->host_port);
    return false;
}

bool net_slirp_restart(NetSlirp *s, Error *err)
{
    bool used = s->nd->tx_frames > 0;
    for (int i = 0; i < s->opts.nr_fwd; i++) {
        used |= s->opts.fwd[i].active;
        s->opts.fwd[i].active = false;
    }
    if (!used) {
        return true;
    }
    slirp_cleanup(s->slirp);     /* closes its sockets, frees its timers */
    net_dev_purge(s->nd);        /* frames of the old connections */
    s->nr_pfd = 0;
    net_slirp_sync_epoll(s);     /* forgets the closed fds */
    timer_del(&s->poll_timer);
    s->slirp = slirp_new(&s->cfg, &net_slirp_cbs, s);
    if (!s->slirp) {
        error_setf(err, "libslirp refused the network configuration");
        return false;
    }
    net_slirp_update(s);
    return true;
}

char *net_slirp_connection_info(NetSlirp *s)
{
    return slirp_connection_info(s->slirp);
}

static void net_slirp_activate(void *opaque)
{
    NetSlirp *s = opaque;
    Error err;
    error_init(&err);
    if (net_slirp_bind_forwards(s, &err)) {
        return;
    }
    if (++s->activate_tries < 50) {
        timer_mod(&s->activate, clock_ns(s->clock) + 100000000ull);
    } else {
        report_printf(&s->warn, "amber: netdev %s: %s", s->nd->id, err.msg);
    }
}

void net_slirp_bind_forwards_later(NetSlirp *s)
{
    s->activate_tries = 0;
    timer_mod(&s->activate, clock_ns(s->clock));
}

NetSlirp *net_slirp_new(NetDev *nd, const NetSlirpOptions *o, VirtClock *clock, Loop *loop,
                        bool defer_fwd, const Reporter *warn, Error *err)
{
    NetSlirp *s = calloc(1, sizeof(*s));
    if (!s) {
        error_setf(err, "out of memory");
        return NULL;
    }
    s->nd = nd;
    s->opts = *o;
    s->clock = clock;
    s->loop = loop;
    s->vms.s = s;
    for (int i = 0; i < s->opts.nr_fwd; i++) {
        s->opts.fwd[i].active = false;
    }
    s->cfg = (SlirpConfig){
        .version = 4,
        .restricted = o->restricted,
        .in_enabled = true,
        .vnetwork = o->net,
        .vnetmask = o->mask,
        .vhost = o->host,
        .vdhcp_start = o->dhcp_start,
        .vnameserver = o->dns,
    };
    s->epfd = epoll_create1(EPOLL_CLOEXEC);
    if (s->epfd < 0) {
        error_setf(err, "epoll_create1: %s", strerror(errno));
        free(s);
        return NULL;
    }
    timer_init(&s->poll_timer, clock, "slirp-poll", net_slirp_poll_timer, s);
    timer_init(&s->activate, clock, "slirp-hostfwd", net_slirp_activate, s);
    s->warn = warn ? *warn : (Reporter){ 0 };
    s->slirp = slirp_new(&s->cfg, &net_slirp_cbs, s);
    if (!s->slirp) {
        error_setf(err, "libslirp refused the network configuration");
        close(s->epfd);
        free(s);
        return NULL;
    }
    if (!fd_watch_add(&loop->fds, s->epfd, net_slirp_fd_ready, s)) {
        error_setf(err, "too many file descriptors to watch");
        slirp_cleanup(s->slirp);
        close(s->epfd);
        free(s);
        return NULL;
    }
    nd->ops = &net_slirp_ops;
    nd->be = s;
    if (!defer_fwd && !net_slirp_bind_forwards(s, err)) {
        return NULL;             /* the caller destroys nd, and s with it */
    }
    net_slirp_update(s);
    return s;
}

void *net_slirp_vmstate_opaque(NetSlirp *s)
{
    return &s->vms;
}

/* A loop's host file descriptors (serial back ends, monitors, migration
 * channels) and their callbacks; one poll dispatches them. The main loop
 * (system/) calls fd_watch_poll_once on its set between CPU slices. */
#include "io/fd-watch.h"

#include <errno.h>
#include <poll.h>
#include <time.h>

void fd_watch_init(FdWatchSet *w)
{
    w->nr_fds = 0;
    w->dispatching = false;
}

bool fd_watch_add_rw(FdWatchSet *w, int fd, FdWatchFunc read_cb, FdWatchFunc write_cb,
                     void *opaque)
{
    for (int i = 0; i < w->nr_fds; i++) {
        if (w->fds[i].fd == fd && !w->fds[i].removed) {
            w->fds[i].read_cb = read_cb;
            w->fds[i].write_cb = write_cb;
            w->fds[i].opaque = opaque;
            return true;
        }
    }
    if (w->nr_fds == FD_WATCH_MAX) {
        return false;
    }
    w->fds[w->nr_fds++] = (FdWatch){ fd, read_cb, write_cb, opaque, false };
    return true;
}

bool fd_watch_add(FdWatchSet *w, int fd, FdWatchFunc read_cb, void *opaque)
{
    return fd_watch_add_rw(w, fd, read_cb, NULL, opaque);
}

static void fd_watch_compact(FdWatchSet *w)
{
    int j = 0;
    for (int i = 0; i < w->nr_fds; i++) {
        if (!w->fds[i].removed) {
            w->fds[j++] = w->fds[i];
        }
    }
    w->nr_fds = j;
}

void fd_watch_remove(FdWatchSet *w, int fd)
{
    for (int i = 0; i < w->nr_fds; i++) {
        if (w->fds[i].fd == fd) {
            w->fds[i].removed = true;   /* compacted after dispatch */
        }
    }
    if (!w->dispatching) {
        fd_watch_compact(w);
    }
}

int fd_watch_poll_once(FdWatchSet *w, int64_t timeout_ns)
{
    struct pollfd pfd[FD_WATCH_MAX];
    FdWatch snap[FD_WATCH_MAX];
    int n = 0;
    for (int i = 0; i < w->nr_fds; i++) {
        if (w->fds[i].removed || (!w->fds[i].read_cb && !w->fds[i].write_cb)) {
            continue;
        }
        snap[n] = w->fds[i];
        pfd[n].fd = w->fds[i].fd;
        pfd[n].events = (w->fds[i].read_cb ? POLLIN : 0) | (w->fds[i].write_cb ? POLLOUT : 0);
        pfd[n].revents = 0;
        n++;
    }
    struct timespec ts, *tsp = NULL;
    if (timeout_ns >= 0) {
        ts.tv_sec = timeout_ns / 1000000000;
        ts.tv_nsec = timeout_ns % 1000000000;
        tsp = &ts;
    }
    int r = ppoll(pfd, (nfds_t)n, tsp, NULL);
    if (r <= 0) {
        return 0;                /* timeout, or EINTR (a signal: seen by the loop) */
    }
    w->dispatching = true;
    for (int i = 0; i < n; i++) {
        short ev = pfd[i].revents;
        if (!ev) {
            continue;
        }
        /* The callback may have been removed by an earlier one this round. */
        bool live = false;
        for (int k = 0; k < w->nr_fds; k++) {
            if (w->fds[k].fd == snap[i].fd && !w->fds[k].removed) {
                live = true;
            }
        }
        if (!live) {
            continue;
        }
        if ((ev & (POLLIN | POLLHUP | POLLERR | POLLNVAL)) && snap[i].read_cb) {
            snap[i].read_cb(snap[i].opaque);
        } else if ((ev & (POLLOUT | POLLERR | POLLHUP)) && snap[i].write_cb) {
            snap[i].write_cb(snap[i].opaque);
        } else if (ev & POLLNVAL) {
            fd_watch_remove(w, snap[i].fd);   /* closed behind our back */
        }
    }
    w->dispatching = false;
    fd_watch_compact(w);
    return r;
}

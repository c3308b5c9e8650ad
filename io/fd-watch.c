/* The host file descriptors the process waits on (serial back ends, monitors,
 * migration channels) and their callbacks; one poll dispatches them. The
 * main loop (system/) calls fd_watch_poll_once between CPU slices. */
#include "io/fd-watch.h"

#include <errno.h>
#include <poll.h>
#include <time.h>

typedef struct FdWatch {
    int fd;
    FdWatchFunc read_cb, write_cb;
    void *opaque;
    bool removed;
} FdWatch;

static FdWatch fds[FD_WATCH_MAX];
static int nr_fds;
static bool dispatching;

bool fd_watch_add_rw(int fd, FdWatchFunc read_cb, FdWatchFunc write_cb, void *opaque)
{
    for (int i = 0; i < nr_fds; i++) {
        if (fds[i].fd == fd && !fds[i].removed) {
            fds[i].read_cb = read_cb;
            fds[i].write_cb = write_cb;
            fds[i].opaque = opaque;
            return true;
        }
    }
    if (nr_fds == FD_WATCH_MAX) {
        return false;
    }
    fds[nr_fds++] = (FdWatch){ fd, read_cb, write_cb, opaque, false };
    return true;
}

bool fd_watch_add(int fd, FdWatchFunc read_cb, void *opaque)
{
    return fd_watch_add_rw(fd, read_cb, NULL, opaque);
}

static void fd_watch_compact(void)
{
    int j = 0;
    for (int i = 0; i < nr_fds; i++) {
        if (!fds[i].removed) {
            fds[j++] = fds[i];
        }
    }
    nr_fds = j;
}

void fd_watch_remove(int fd)
{
    for (int i = 0; i < nr_fds; i++) {
        if (fds[i].fd == fd) {
            fds[i].removed = true;   /* compacted after dispatch */
        }
    }
    if (!dispatching) {
        fd_watch_compact();
    }
}

int fd_watch_poll_once(int64_t timeout_ns)
{
    struct pollfd pfd[FD_WATCH_MAX];
    FdWatch snap[FD_WATCH_MAX];
    int n = 0;
    for (int i = 0; i < nr_fds; i++) {
        if (fds[i].removed || (!fds[i].read_cb && !fds[i].write_cb)) {
            continue;
        }
        snap[n] = fds[i];
        pfd[n].fd = fds[i].fd;
        pfd[n].events = (fds[i].read_cb ? POLLIN : 0) | (fds[i].write_cb ? POLLOUT : 0);
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
    dispatching = true;
    for (int i = 0; i < n; i++) {
        short ev = pfd[i].revents;
        if (!ev) {
            continue;
        }
        /* The callback may have been removed by an earlier one this round. */
        bool live = false;
        for (int k = 0; k < nr_fds; k++) {
            if (fds[k].fd == snap[i].fd && !fds[k].removed) {
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
            fd_watch_remove(snap[i].fd);   /* closed behind our back */
        }
    }
    dispatching = false;
    fd_watch_compact();
    return r;
}

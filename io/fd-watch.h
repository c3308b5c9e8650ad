/* A set of host file descriptors a main loop waits on and their callbacks
 * (io/fd-watch.c). One set per loop; everything runs on the loop's thread,
 * so callbacks may touch that machine's state. */
#ifndef IO_FD_WATCH_H
#define IO_FD_WATCH_H

#include <stdbool.h>
#include <stdint.h>

typedef void (*FdWatchFunc)(void *opaque);

#define FD_WATCH_MAX 64

typedef struct FdWatch {
    int fd;
    FdWatchFunc read_cb, write_cb;
    void *opaque;
    bool removed;
} FdWatch;

typedef struct FdWatchSet {
    FdWatch fds[FD_WATCH_MAX];
    int nr_fds;
    bool dispatching;            /* removals are compacted after dispatch */
} FdWatchSet;

void fd_watch_init(FdWatchSet *w);

/* Calls read_cb when fd is readable (or at EOF/error: the callback reads and
 * sees it), write_cb when it is writable. Either may be NULL. Registering an
 * fd again replaces its callbacks. Returns false when the table is full. */
bool fd_watch_add_rw(FdWatchSet *w, int fd, FdWatchFunc read_cb, FdWatchFunc write_cb, void *opaque);
bool fd_watch_add(FdWatchSet *w, int fd, FdWatchFunc read_cb, void *opaque);
/* Safe to call from inside a callback. */
void fd_watch_remove(FdWatchSet *w, int fd);
/* Polls the fds once with the given timeout in ns (-1: block) and runs the
 * ready callbacks; returns how many fds were ready (0 on timeout/signal). */
int fd_watch_poll_once(FdWatchSet *w, int64_t timeout_ns);

#endif

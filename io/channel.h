/* Channels: the transports under a QEMUFile (savevm/qemu-file.h), one per
 * file: a table of operations and their state.
 *
 * Each constructor returns the channel, or one whose ops are NULL with err
 * set. A QEMUFile made over it owns it (closing the file closes the
 * channel); one that no file took is given back with channel_abandon. */
#ifndef IO_CHANNEL_H
#define IO_CHANNEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

#include "util/error.h"

/* The most iovecs one writev hands a channel. */
#define IO_CHANNEL_MAX_IOV 64

typedef struct IOChannelOps {
    /* Writes all of iov or fails: returns 0, or a negative errno with err set. */
    int (*writev)(void *opaque, const struct iovec *iov, int iovcnt, Error *err);
    /* Reads up to len bytes: the count, 0 at end of stream, or a negative errno. */
    ssize_t (*read)(void *opaque, uint8_t *buf, size_t len, Error *err);
    /* Releases the channel and opaque; 0 or a negative errno (with err set). */
    int (*close)(void *opaque, Error *err);
    /* Optional: makes pending and later I/O fail at once (cancel). */
    int (*shutdown)(void *opaque);
    /* Optional: frees a channel no file took. What the caller handed in (an
     * fd) stays the caller's; what the channel made (a child) is released. */
    void (*abandon)(void *opaque);
} IOChannelOps;

typedef struct IOChannel {
    const IOChannelOps *ops;     /* NULL: no channel (err was set) */
    void *opaque;
} IOChannel;

void channel_abandon(IOChannel ch);

/* channel-fd.c: any file descriptor (file, pipe, socket, blocking or not).
 * EINTR is retried, EAGAIN waits in poll(), and a closed reader gives EPIPE
 * as an error, never SIGPIPE: sockets use MSG_NOSIGNAL, and the first fd
 * channel sets SIGPIPE to SIG_IGN when it is still at its default action
 * (pipes have no per-call way to avoid the signal). close_fd: close it with
 * the channel. */
IOChannel channel_fd_new(int fd, bool writable, bool close_fd, Error *err);
/* The fd helpers the other fd-based channels share. */
int channel_fd_writev_all(int fd, const struct iovec *iov, int iovcnt, Error *err);
ssize_t channel_fd_read(int fd, uint8_t *buf, size_t len, Error *err);
void channel_fd_ignore_sigpipe(void);

/* channel-file.c: a path, created/truncated (mode 0600) for writing. */
IOChannel channel_file_new(const char *path, bool writable, Error *err);

/* channel-exec.c: "/bin/sh -c cmd" with a pipe to its stdin (writable) or from
 * its stdout. Closing the file closes the pipe and reaps the child; an exit
 * status other than 0 or a death by signal is an error naming the command. */
IOChannel channel_exec_new(const char *cmd, bool writable, Error *err);
/* Starts "/bin/sh -c cmd" and returns the parent's end of the pipe (or -1
 * with err set); the child's pid goes to *pid. */
int channel_exec_spawn(const char *cmd, bool writable, pid_t *pid, Error *err);

/* channel-socket.c: "tcp:HOST:PORT" (HOST may be [v6addr] or empty for any)
 * and "unix:PATH". These return fds (CLOEXEC, blocking) for channel_fd_new,
 * or -1 with err set. */
int channel_socket_connect(const char *uri, Error *err);
/* The same, abandoned (-1, errno ECANCELED, err set) once wake_fd becomes
 * readable: a connect that hangs can be cancelled from another thread. */
int channel_socket_connect_wake(const char *uri, int wake_fd, Error *err);
int channel_socket_listen(const char *uri, Error *err);
int channel_socket_accept(int listen_fd, Error *err);

/* channel-buffer.c: memory. A writer appends to a growable ChannelBuffer the
 * caller owns (it stays valid after the file is closed); limit, if not 0,
 * makes writes beyond it fail with -ENOSPC (tests of failing writes). A
 * reader serves a fixed byte range that must outlive the file. */
typedef struct ChannelBuffer {
    uint8_t *data;
    size_t len;
    size_t cap;
    size_t limit;
} ChannelBuffer;

IOChannel channel_buffer_new_writer(ChannelBuffer *b);
IOChannel channel_buffer_new_reader(const void *data, size_t len, Error *err);
void channel_buffer_free(ChannelBuffer *b);

#endif

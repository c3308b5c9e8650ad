/* Channels: the transports under a QEMUFile, one per file.
 *
 * Each constructor returns a QEMUFile that owns the channel (closing the file
 * closes the channel), or NULL with err set. */
#ifndef IO_CHANNEL_H
#define IO_CHANNEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

#include "util/error.h"
#include "io/qemu-file.h"

/* channel-fd.c: any file descriptor (file, pipe, socket, blocking or not).
 * EINTR is retried, EAGAIN waits in poll(), and a closed reader gives EPIPE
 * as an error, never SIGPIPE: sockets use MSG_NOSIGNAL, and the first fd
 * channel sets SIGPIPE to SIG_IGN when it is still at its default action
 * (pipes have no per-call way to avoid the signal). close_fd: close it with
 * the file. */
QEMUFile *channel_fd_open(int fd, bool writable, bool close_fd, Error *err);
/* The fd helpers the other fd-based channels share. */
int channel_fd_writev_all(int fd, const struct iovec *iov, int iovcnt, Error *err);
ssize_t channel_fd_read(int fd, uint8_t *buf, size_t len, Error *err);
void channel_fd_ignore_sigpipe(void);

/* channel-file.c: a path, created/truncated (mode 0600) for writing. */
QEMUFile *channel_file_open(const char *path, bool writable, Error *err);

/* channel-exec.c: "/bin/sh -c cmd" with a pipe to its stdin (writable) or from
 * its stdout. Closing the file closes the pipe and reaps the child; an exit
 * status other than 0 or a death by signal is an error naming the command. */
QEMUFile *channel_exec_open(const char *cmd, bool writable, Error *err);
/* Starts "/bin/sh -c cmd" and returns the parent's end of the pipe (or -1
 * with err set); the child's pid goes to *pid. */
int channel_exec_spawn(const char *cmd, bool writable, pid_t *pid, Error *err);

/* channel-socket.c: "tcp:HOST:PORT" (HOST may be [v6addr] or empty for any)
 * and "unix:PATH". These return fds (CLOEXEC, blocking) for channel_fd_open,
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

QEMUFile *channel_buffer_writer(ChannelBuffer *b);
QEMUFile *channel_buffer_reader(const void *data, size_t len);
void channel_buffer_free(ChannelBuffer *b);

#endif

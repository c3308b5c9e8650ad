#include "io/channel.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct ChannelFd {
    int fd;
    bool close_fd;
    bool is_socket;
} ChannelFd;

void channel_fd_ignore_sigpipe(void)
{
    struct sigaction old;
    if (sigaction(SIGPIPE, NULL, &old) == 0 && old.sa_handler == SIG_DFL) {
        signal(SIGPIPE, SIG_IGN);
    }
}

static int channel_fd_wait(int fd, short events, Error *err)
{
    struct pollfd p = { .fd = fd, .events = events };
    for (;;) {
        int r = poll(&p, 1, -1);
        if (r >= 0) {
            return 0;
        }
        if (errno != EINTR) {
            int e = errno;
            error_setf(err, "poll on fd %d failed: %s", fd, strerror(e));
            return -e;
        }
    }
}

static int channel_fd_writev_common(int fd, bool is_socket, const struct iovec *iov_in,
                                    int iovcnt, Error *err)
{
    struct iovec iov[IO_CHANNEL_MAX_IOV];
    if (iovcnt > IO_CHANNEL_MAX_IOV) {
        error_setf(err, "too many iovecs (%d)", iovcnt);
        return -EINVAL;
    }
    memcpy(iov, iov_in, sizeof(iov[0]) * (size_t)iovcnt);
    struct iovec *cur = iov;
    int left = iovcnt;
    while (left > 0) {
        if (cur->iov_len == 0) {
            cur++;
            left--;
            continue;
        }
        ssize_t n;
        if (is_socket) {
            struct msghdr msg = { .msg_iov = cur, .msg_iovlen = (size_t)left };
            n = sendmsg(fd, &msg, MSG_NOSIGNAL);
        } else {
            n = writev(fd, cur, left);
        }
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                int r = channel_fd_wait(fd, POLLOUT, err);
                if (r < 0) {
                    return r;
                }
                continue;
            }
            int e = errno;
            error_setf(err, "Unable to write to fd %d: %s", fd, strerror(e));
            return -e;
        }
        /* Partial write: advance over what went out. */
        size_t done = (size_t)n;
        while (left > 0 && done >= cur->iov_len) {
            done -= cur->iov_len;
            cur++;
            left--;
        }
        if (left > 0) {
            cur->iov_base = (uint8_t *)cur->iov_base + done;
            cur->iov_len -= done;
        }
    }
    return 0;
}

int channel_fd_writev_all(int fd, const struct iovec *iov, int iovcnt, Error *err)
{
    return channel_fd_writev_common(fd, false, iov, iovcnt, err);
}

ssize_t channel_fd_read(int fd, uint8_t *buf, size_t len, Error *err)
{
    for (;;) {
        ssize_t n = read(fd, buf, len);
        if (n >= 0) {
            return n;
        }
        if (errno == EINTR) {
            continue;
        }
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
            int r = channel_fd_wait(fd, POLLIN, err);
            if (r < 0) {
                return r;
            }
            continue;
        }
        int e = errno;
        error_setf(err, "Unable to read from fd %d: %s", fd, strerror(e));
        return -e;
    }
}

static int channel_fd_op_writev(void *opaque, const struct iovec *iov, int iovcnt, Error *err)
{
    ChannelFd *c = opaque;
    return channel_fd_writev_common(c->fd, c->is_socket, iov, iovcnt, err);
}

static ssize_t channel_fd_op_read(void *opaque, uint8_t *buf, size_t len, Error *err)
{
    ChannelFd *c = opaque;
    return channel_fd_read(c->fd, buf, len, err);
}

static int channel_fd_op_close(void *opaque, Error *err)
{
    ChannelFd *c = opaque;
    int ret = 0;
    if (c->close_fd && close(c->fd) < 0 && errno != EINTR) {
        ret = -errno;
        error_setf(err, "close of fd %d failed: %s", c->fd, strerror(errno));
    }
    free(c);
    return ret;
}

static int channel_fd_op_shutdown(void *opaque)
{
    ChannelFd *c = opaque;
    if (c->is_socket && shutdown(c->fd, SHUT_RDWR) < 0) {
        return -errno;
    }
    return 0;
}

/* The fd stays the caller's, as when the constructor fails. */
static void channel_fd_op_abandon(void *opaque)
{
    free(opaque);
}

static const IOChannelOps channel_fd_ops = {
    .writev = channel_fd_op_writev,
    .read = channel_fd_op_read,
    .close = channel_fd_op_close,
    .shutdown = channel_fd_op_shutdown,
    .abandon = channel_fd_op_abandon,
};

IOChannel channel_fd_new(int fd, bool writable, bool close_fd, Error *err)
{
    struct stat st;
    if (fd < 0 || fstat(fd, &st) < 0) {
        error_setf(err, "invalid file descriptor %d", fd);
        return (IOChannel){ NULL, NULL };
    }
    ChannelFd *c = calloc(1, sizeof(*c));
    if (!c) {
        error_setf(err, "out of memory");
        return (IOChannel){ NULL, NULL };
    }
    c->fd = fd;
    c->close_fd = close_fd;
    c->is_socket = S_ISSOCK(st.st_mode);
    if (writable && !c->is_socket) {
        channel_fd_ignore_sigpipe();
    }
    return (IOChannel){ &channel_fd_ops, c };
}

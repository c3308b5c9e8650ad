#include "io/channel.h"
#include "util/uri.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

/* Splits "tcp:HOST:PORT" ("[v6]" allowed, empty host = any/localhost). */
static bool channel_socket_parse_tcp(const char *spec, char *host, size_t hlen, char *port,
                                     size_t plen, Error *err)
{
    const char *colon;
    if (spec[0] == '[') {
        const char *end = strchr(spec, ']');
        if (!end || end[1] != ':') {
            error_setf(err, "invalid address 'tcp:%s': expected tcp:[IPV6]:PORT", spec);
            return false;
        }
        snprintf(host, hlen, "%.*s", (int)(end - spec - 1), spec + 1);
        colon = end + 1;
    } else {
        colon = strrchr(spec, ':');
        if (!colon) {
            error_setf(err, "invalid address 'tcp:%s': expected tcp:HOST:PORT", spec);
            return false;
        }
        snprintf(host, hlen, "%.*s", (int)(colon - spec), spec);
    }
    snprintf(port, plen, "%s", colon + 1);
    if (!port[0]) {
        error_setf(err, "invalid address 'tcp:%s': missing port", spec);
        return false;
    }
    return true;
}

static int channel_socket_unix_addr(const char *path, struct sockaddr_un *sa, Error *err)
{
    memset(sa, 0, sizeof(*sa));
    sa->sun_family = AF_UNIX;
    if (strlen(path) >= sizeof(sa->sun_path) || !path[0]) {
        error_setf(err, "invalid unix socket path '%s'", path);
        return -1;
    }
    strcpy(sa->sun_path, path);
    return 0;
}

/* connect(), which with wake_fd >= 0 may be abandoned: a readable wake_fd
 * ends the wait with errno ECANCELED. The fd keeps its blocking mode. */
static bool channel_socket_do_connect(int fd, const struct sockaddr *sa, socklen_t len,
                                      int wake_fd)
{
    if (wake_fd < 0) {
        int r;
        do {
            r = connect(fd, sa, len);
        } while (r < 0 && errno == EINTR);
        return r == 0;
    }
    int fl = fcntl(fd, F_GETFL);
    fcntl(fd, F_SETFL, fl | O_NONBLOCK);
    bool ok = connect(fd, sa, len) == 0;
    if (!ok && errno == EINPROGRESS) {
        for (;;) {
            struct pollfd p[2] = { { .fd = fd, .events = POLLOUT },
                                   { .fd = wake_fd, .events = POLLIN } };
            int r = poll(p, 2, -1);
            if (r < 0 && errno == EINTR) {
                continue;
            }
            if (r < 0) {
                break;
            }
            if (p[1].revents) {
                errno = ECANCELED;
                break;
            }
            int soerr = 0;
            socklen_t sl = sizeof(soerr);
            getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl);
            ok = soerr == 0;
            errno = soerr;
            break;
        }
    }
    int saved = errno;
    fcntl(fd, F_SETFL, fl);
    errno = saved;
    return ok;
}

static int channel_socket_tcp(const char *spec, bool listening, int wake_fd, Error *err)
{
    char host[256], port[32];
    if (!channel_socket_parse_tcp(spec, host, sizeof(host), port, sizeof(port), err)) {
        return -1;
    }
    struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM };
    if (listening) {
        hints.ai_flags = AI_PASSIVE;
    }
    struct addrinfo *res;
    int gai = getaddrinfo(host[0] ? host : NULL, port, &hints, &res);
    if (gai) {
        error_setf(err, "address resolution failed for 'tcp:%s': %s", spec, gai_strerror(gai));
        return -1;
    }
    int fd = -1, last_errno = 0;
    for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
        if (fd < 0) {
            last_errno = errno;
            continue;
        }
        int one = 1;
        int ok;
        if (listening) {
            setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
            ok = bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && listen(fd, 1) == 0;
        } else {
            ok = channel_socket_do_connect(fd, ai->ai_addr, ai->ai_addrlen, wake_fd);
            if (ok) {
                /* Page records are small writes; do not let Nagle hold them. */
                setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
            }
        }
        if (ok) {
            break;
        }
        last_errno = errno;
        close(fd);
        fd = -1;
        if (last_errno == ECANCELED) {
            break;
        }
    }
    freeaddrinfo(res);
    if (fd < 0) {
        error_setf(err, "Failed to %s 'tcp:%s': %s", listening ? "listen on" : "connect to", spec,
                   strerror(last_errno));
    }
    return fd;
}

static int channel_socket_unix(const char *path, bool listening, int wake_fd, Error *err)
{
    struct sockaddr_un sa;
    if (channel_socket_unix_addr(path, &sa, err) < 0) {
        return -1;
    }
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        error_setf(err, "cannot create a unix socket: %s", strerror(errno));
        return -1;
    }
    int ok;
    if (listening) {
        unlink(path);    /* a stale socket file from an earlier run */
        ok = bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 && listen(fd, 1) == 0;
    } else {
        ok = channel_socket_do_connect(fd, (struct sockaddr *)&sa, sizeof(sa), wake_fd);
    }
    if (!ok) {
        error_setf(err, "Failed to %s 'unix:%s': %s", listening ? "listen on" : "connect to", path,
                   strerror(errno));
        close(fd);
        return -1;
    }
    return fd;
}

static int channel_socket_open(const char *uri, bool listening, int wake_fd, Error *err)
{
    const char *rest;
    switch (uri_parse(uri, &rest)) {
    case URI_TCP:
        return channel_socket_tcp(rest, listening, wake_fd, err);
    case URI_UNIX:
        return channel_socket_unix(rest, listening, wake_fd, err);
    default:
        break;
    }
    error_setf(err, "unknown socket address '%s' (expected tcp:HOST:PORT or unix:PATH)", uri);
    return -1;
}

int channel_socket_connect(const char *uri, Error *err)
{
    return channel_socket_open(uri, false, -1, err);
}

int channel_socket_connect_wake(const char *uri, int wake_fd, Error *err)
{
    return channel_socket_open(uri, false, wake_fd, err);
}

int channel_socket_listen(const char *uri, Error *err)
{
    return channel_socket_open(uri, true, -1, err);
}

int channel_socket_accept(int listen_fd, Error *err)
{
    for (;;) {
        int fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
        if (fd >= 0) {
            return fd;
        }
        if (errno != EINTR) {
            error_setf(err, "accept failed: %s", strerror(errno));
            return -1;
        }
    }
}

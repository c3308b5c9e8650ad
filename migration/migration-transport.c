#include "migration/migration-transport.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "io/channel.h"
#include "migration/migration.h"
#include "util/uri.h"

/* What a migration URI may start with (QEMU's list, less rdma:). */
#define MIGRATION_SCHEMES (URI_SOCKETS | URI_BIT(URI_EXEC) | URI_BIT(URI_FD) | URI_BIT(URI_FILE))

int migration_transport_check(const char *uri, Error *err)
{
    const char *rest;
    UriScheme s = uri_parse(uri, &rest);
    if (uri_scheme_in(s, MIGRATION_SCHEMES)) {
        if (!*rest) {
            error_setf(err, "Migration URI '%s' has nothing after '%s'", uri,
                       uri_scheme_prefix(s));
            return -EINVAL;
        }
        return 0;
    }
    error_setf(err, "unknown migration protocol: %s (expected tcp:, unix:, exec:, fd: or "
               "file:)", uri);
    return -EINVAL;
}

static int transport_exec(MigrationTransport *t, const char *cmd, bool writable, Error *err)
{
    return channel_exec_spawn(cmd, writable, &t->pid, err);
}

int migration_transport_open(Migration *mig, MigrationTransport *t, const char *uri,
                             bool incoming, Error *err)
{
    memset(t, 0, sizeof(*t));
    t->fd = -1;
    snprintf(t->what, sizeof(t->what), "%s", uri);
    if (migration_transport_check(uri, err) < 0) {
        return -1;
    }
    int fd;
    const char *rest;
    UriScheme s = uri_parse(uri, &rest);
    if (uri_scheme_in(s, URI_SOCKETS)) {
        fd = incoming ? channel_socket_listen(uri, err) : channel_socket_connect(uri, err);
        t->listening = incoming && fd >= 0;
        if (t->listening && s == URI_UNIX) {
            snprintf(t->unix_path, sizeof(t->unix_path), "%s", rest);
        }
    } else if (s == URI_EXEC) {
        fd = transport_exec(t, rest, !incoming, err);
    } else if (s == URI_FD) {
        fd = migration_fd_take(mig, rest, err);
    } else {
        const char *path = rest;
        fd = incoming ? open(path, O_RDONLY | O_CLOEXEC)
                      : open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (fd < 0) {
            error_setf(err, "Could not open '%s': %s", path, strerror(errno));
        }
    }
    t->fd = fd;
    return fd;
}

int migration_transport_close(MigrationTransport *t, bool abort, Error *err)
{
    int ret = 0;
    if (t->fd >= 0) {
        close(t->fd);
        t->fd = -1;
    }
    if (t->unix_path[0]) {
        unlink(t->unix_path);
        t->unix_path[0] = 0;
    }
    if (t->pid > 0) {
        int status;
        pid_t r = 0;
        bool killed = false;
        if (abort) {
            /* A command that ended by itself (the usual reason a write
             * failed) says why; one still running is stopped. */
            for (int i = 0; i < 20 && r == 0; i++) {
                r = waitpid(t->pid, &status, WNOHANG);
                if (r == 0) {
                    usleep(10000);
                }
            }
            if (r == 0) {
                kill(t->pid, SIGTERM);
                killed = true;
            }
        }
        while (r == 0 || (r < 0 && errno == EINTR)) {
            r = waitpid(t->pid, &status, 0);
        }
        const char *cmd = t->what + 5;
        if (r < 0) {
            ret = -errno;
            error_setf(err, "cannot reap command '%s': %s", cmd, strerror(errno));
        } else if (WIFEXITED(status) && WEXITSTATUS(status) != 0) {
            ret = -EIO;
            error_setf(err, "command '%s' exited with status %d", cmd, WEXITSTATUS(status));
        } else if (!killed && WIFSIGNALED(status)) {
            ret = -EIO;
            error_setf(err, "command '%s' was killed by signal %d", cmd, WTERMSIG(status));
        }
        t->pid = 0;
    }
    return ret;
}

/* Named file descriptors for fd:NAME migration URIs, as QEMU's getfd and
 * closefd: the monitor receives them over its unix socket (SCM_RIGHTS). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "migration/migration-int.h"

static int named_fd_find(const Migration *mig, const char *name)
{
    for (int i = 0; i < mig->nr_fds; i++) {
        if (!strcmp(mig->fds[i].name, name)) {
            return i;
        }
    }
    return -1;
}

int migration_fd_add(Migration *mig, const char *name, int fd, Error *err)
{
    if (!name[0] || strlen(name) >= sizeof(mig->fds[0].name)) {
        error_setf(err, "Parameter 'fdname' expects a name of 1 to %zu characters",
                   sizeof(mig->fds[0].name) - 1);
        return -EINVAL;
    }
    if (name[0] >= '0' && name[0] <= '9') {
        error_setf(err, "Parameter 'fdname' must not start with a digit");  /* QEMU's rule */
        return -EINVAL;
    }
    int i = named_fd_find(mig, name);
    if (i >= 0) {
        close(mig->fds[i].fd);  /* QEMU replaces an fd of the same name */
        mig->fds[i].fd = fd;
        return 0;
    }
    if (mig->nr_fds == MIGRATION_MAX_FDS) {
        error_setf(err, "too many named file descriptors (%d)", MIGRATION_MAX_FDS);
        return -ENOSPC;
    }
    snprintf(mig->fds[mig->nr_fds].name, sizeof(mig->fds[0].name), "%s", name);
    mig->fds[mig->nr_fds++].fd = fd;
    return 0;
}

static int named_fd_remove(Migration *mig, const char *name, Error *err)
{
    int i = named_fd_find(mig, name);
    if (i < 0) {
        error_setf(err, "File descriptor named '%s' not found", name);
        return -1;
    }
    int fd = mig->fds[i].fd;
    mig->fds[i] = mig->fds[--mig->nr_fds];
    return fd;
}

int migration_fd_close(Migration *mig, const char *name, Error *err)
{
    int fd = named_fd_remove(mig, name, err);
    if (fd < 0) {
        return -ENOENT;
    }
    close(fd);
    return 0;
}

int migration_fd_take(Migration *mig, const char *name, Error *err)
{
    if (named_fd_find(mig, name) >= 0 || !name[0] || name[strspn(name, "0123456789")]) {
        return named_fd_remove(mig, name, err);
    }
    /* As QEMU: a number that names no getfd descriptor is an inherited one
     * (-incoming fd:3 from the process that started amber). */
    errno = 0;
    char *end;
    long n = strtol(name, &end, 10);
    int fl = n <= INT_MAX && !errno ? fcntl((int)n, F_GETFD) : -1;
    if (fl < 0) {
        error_setf(err, "fd:%s: file descriptor %s is not open: %s", name, name,
                   strerror(errno ? errno : EBADF));
        return -1;
    }
    fcntl((int)n, F_SETFD, fl | FD_CLOEXEC);   /* not for exec: children */
    return (int)n;
}

void migration_fds_close_all(Migration *mig)
{
    for (int i = 0; i < mig->nr_fds; i++) {
        close(mig->fds[i].fd);
    }
    mig->nr_fds = 0;
}

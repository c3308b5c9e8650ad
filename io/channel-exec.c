#include "io/channel.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

typedef struct ChannelExec {
    int fd;
    pid_t pid;
    char cmd[128];               /* for messages only */
} ChannelExec;

static int channel_exec_writev(void *opaque, const struct iovec *iov, int iovcnt, Error *err)
{
    ChannelExec *c = opaque;
    return channel_fd_writev_all(c->fd, iov, iovcnt, err);
}

static ssize_t channel_exec_read(void *opaque, uint8_t *buf, size_t len, Error *err)
{
    ChannelExec *c = opaque;
    return channel_fd_read(c->fd, buf, len, err);
}

static int channel_exec_close(void *opaque, Error *err)
{
    ChannelExec *c = opaque;
    int ret = 0;
    /* Closing first lets a writer child see EOF on stdin and finish. */
    close(c->fd);
    int status;
    pid_t r;
    do {
        r = waitpid(c->pid, &status, 0);
    } while (r < 0 && errno == EINTR);
    if (r < 0) {
        ret = -errno;
        error_setf(err, "cannot reap command '%s': %s", c->cmd, strerror(errno));
    } else if (WIFEXITED(status) && WEXITSTATUS(status) != 0) {
        ret = -EIO;
        error_setf(err, "command '%s' exited with status %d", c->cmd, WEXITSTATUS(status));
    } else if (WIFSIGNALED(status)) {
        ret = -EIO;
        error_setf(err, "command '%s' was killed by signal %d", c->cmd, WTERMSIG(status));
    }
    free(c);
    return ret;
}

static void channel_exec_abandon(void *opaque)
{
    ChannelExec *c = opaque;
    close(c->fd);
    waitpid(c->pid, NULL, 0);
    free(c);
}

static const IOChannelOps channel_exec_ops = {
    .writev = channel_exec_writev,
    .read = channel_exec_read,
    .close = channel_exec_close,
    .abandon = channel_exec_abandon,
};

int channel_exec_spawn(const char *cmd, bool writable, pid_t *pid_out, Error *err)
{
    int p[2];
    if (pipe2(p, O_CLOEXEC) < 0) {
        error_setf(err, "cannot create a pipe for '%s': %s", cmd, strerror(errno));
        return -1;
    }
    /* The parent keeps the write end for a writable stream. */
    int mine = writable ? p[1] : p[0];
    int theirs = writable ? p[0] : p[1];
    channel_fd_ignore_sigpipe();
    pid_t pid = fork();
    if (pid < 0) {
        error_setf(err, "cannot start '%s': %s", cmd, strerror(errno));
        close(p[0]);
        close(p[1]);
        return -1;
    }
    if (pid == 0) {
        /* The command should see a normal SIGPIPE, whatever the parent set. */
        signal(SIGPIPE, SIG_DFL);
        if (dup2(theirs, writable ? STDIN_FILENO : STDOUT_FILENO) < 0) {
            _exit(127);
        }
        execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
        _exit(127);
    }
    close(theirs);
    *pid_out = pid;
    return mine;
}

IOChannel channel_exec_new(const char *cmd, bool writable, Error *err)
{
    pid_t pid;
    int mine = channel_exec_spawn(cmd, writable, &pid, err);
    if (mine < 0) {
        return (IOChannel){ NULL, NULL };
    }
    ChannelExec *c = calloc(1, sizeof(*c));
    if (!c) {
        error_setf(err, "out of memory");
        close(mine);
        waitpid(pid, NULL, 0);
        return (IOChannel){ NULL, NULL };
    }
    c->fd = mine;
    c->pid = pid;
    snprintf(c->cmd, sizeof(c->cmd), "%s", cmd);
    return (IOChannel){ &channel_exec_ops, c };
}

#include "io/channel.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

IOChannel channel_file_new(const char *path, bool writable, Error *err)
{
    int flags = writable ? O_WRONLY | O_CREAT | O_TRUNC : O_RDONLY;
    int fd = open(path, flags | O_CLOEXEC, 0600);
    if (fd < 0) {
        error_setf(err, "Could not open '%s' for %s: %s", path, writable ? "writing" : "reading",
                   strerror(errno));
        return (IOChannel){ NULL, NULL };
    }
    IOChannel ch = channel_fd_new(fd, writable, true, err);
    if (!ch.ops) {
        close(fd);
    }
    return ch;
}

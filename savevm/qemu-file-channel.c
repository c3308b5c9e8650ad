/* QEMUFiles over io/'s channels: the file owns its channel once made. */
#include "savevm/qemu-file.h"

#include <unistd.h>

QEMUFile *qemu_file_open_channel(IOChannel ch, bool writable, Error *err)
{
    if (!ch.ops) {
        return NULL;
    }
    QEMUFile *f = qemu_file_new(ch.ops, ch.opaque, writable);
    if (!f) {
        error_setf(err, "out of memory");
        channel_abandon(ch);
    }
    return f;
}

QEMUFile *qemu_file_open_fd(int fd, bool writable, bool close_fd, Error *err)
{
    return qemu_file_open_channel(channel_fd_new(fd, writable, close_fd, err), writable, err);
}

QEMUFile *qemu_file_open_path(const char *path, bool writable, Error *err)
{
    IOChannel ch = channel_file_new(path, writable, err);
    if (!ch.ops) {
        return NULL;
    }
    QEMUFile *f = qemu_file_new(ch.ops, ch.opaque, writable);
    if (!f) {
        error_setf(err, "out of memory");
        ch.ops->close(ch.opaque, NULL);        /* the fd is the channel's own */
    }
    return f;
}

QEMUFile *qemu_file_open_exec(const char *cmd, bool writable, Error *err)
{
    return qemu_file_open_channel(channel_exec_new(cmd, writable, err), writable, err);
}

QEMUFile *qemu_file_buffer_writer(ChannelBuffer *b)
{
    return qemu_file_open_channel(channel_buffer_new_writer(b), true, NULL);
}

QEMUFile *qemu_file_buffer_reader(const void *data, size_t len)
{
    return qemu_file_open_channel(channel_buffer_new_reader(data, len, NULL), false, NULL);
}

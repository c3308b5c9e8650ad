#include "io/channel.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static int channel_buffer_writev(void *opaque, const struct iovec *iov, int iovcnt, Error *err)
{
    ChannelBuffer *b = opaque;
    for (int i = 0; i < iovcnt; i++) {
        size_t n = iov[i].iov_len;
        if (b->limit && (b->len + n > b->limit || b->len + n < b->len)) {
            error_setf(err, "Unable to write to buffer: %s", strerror(ENOSPC));
            return -ENOSPC;
        }
        if (b->len + n > b->cap) {
            size_t cap = b->cap ? b->cap : 4096;
            while (cap < b->len + n) {
                cap *= 2;
            }
            uint8_t *d = realloc(b->data, cap);
            if (!d) {
                error_setf(err, "out of memory growing a buffer to %zu bytes", cap);
                return -ENOMEM;
            }
            b->data = d;
            b->cap = cap;
        }
        memcpy(b->data + b->len, iov[i].iov_base, n);
        b->len += n;
    }
    return 0;
}

static const IOChannelOps channel_buffer_write_ops = {
    .writev = channel_buffer_writev,
};

IOChannel channel_buffer_new_writer(ChannelBuffer *b)
{
    return (IOChannel){ &channel_buffer_write_ops, b };
}

void channel_buffer_free(ChannelBuffer *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

typedef struct ChannelBufferReader {
    const uint8_t *data;
    size_t len, pos;
} ChannelBufferReader;

static ssize_t channel_buffer_read(void *opaque, uint8_t *buf, size_t len, Error *err)
{
    (void)err;
    ChannelBufferReader *r = opaque;
    size_t n = r->len - r->pos < len ? r->len - r->pos : len;
    memcpy(buf, r->data + r->pos, n);
    r->pos += n;
    return (ssize_t)n;
}

static int channel_buffer_reader_close(void *opaque, Error *err)
{
    (void)err;
    free(opaque);
    return 0;
}

static void channel_buffer_reader_abandon(void *opaque)
{
    free(opaque);
}

static const IOChannelOps channel_buffer_read_ops = {
    .read = channel_buffer_read,
    .close = channel_buffer_reader_close,
    .abandon = channel_buffer_reader_abandon,
};

IOChannel channel_buffer_new_reader(const void *data, size_t len, Error *err)
{
    ChannelBufferReader *r = calloc(1, sizeof(*r));
    if (!r) {
        error_setf(err, "out of memory");
        return (IOChannel){ NULL, NULL };
    }
    r->data = data;
    r->len = len;
    return (IOChannel){ &channel_buffer_read_ops, r };
}

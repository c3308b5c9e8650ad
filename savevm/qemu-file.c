#include "savevm/qemu-file.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct QEMUFile {
    const IOChannelOps *ops;
    void *opaque;
    bool writable;

    /* Writers: bytes copied into buf, described together with by-reference
     * blocks in iov, in stream order. Readers: buf[buf_index, buf_size) holds
     * bytes read ahead from the channel. */
    uint8_t buf[QEMU_FILE_BUF_SIZE];
    size_t buf_index;
    size_t buf_size;
    struct iovec iov[QEMU_FILE_MAX_IOV];
    int iovcnt;

    uint64_t pos;            /* logical position */
    uint64_t transferred;    /* bytes through the channel */

    int last_error;
    bool truncated;
    char error_msg[sizeof(((Error *)0)->msg)];
};

QEMUFile *qemu_file_new(const IOChannelOps *ops, void *opaque, bool writable)
{
    QEMUFile *f = calloc(1, sizeof(*f));
    if (!f) {
        return NULL;
    }
    f->ops = ops;
    f->opaque = opaque;
    f->writable = writable;
    return f;
}

bool qemu_file_is_writable(const QEMUFile *f)
{
    return f->writable;
}

int qemu_file_get_error(const QEMUFile *f)
{
    return f->last_error;
}

const char *qemu_file_error_msg(const QEMUFile *f)
{
    return f->last_error ? f->error_msg : "";
}

bool qemu_file_is_truncated(const QEMUFile *f)
{
    return f->truncated;
}

void qemu_file_set_error(QEMUFile *f, int ret, const char *fmt, ...)
{
    if (f->last_error || ret >= 0) {
        return;
    }
    f->last_error = ret;
    if (fmt) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(f->error_msg, sizeof(f->error_msg), fmt, ap);
        va_end(ap);
    } else {
        snprintf(f->error_msg, sizeof(f->error_msg), "Channel error: %s", strerror(-ret));
    }
}

/* A channel error keeps the channel's own text when it gave one. */
static void qemu_file_set_channel_error(QEMUFile *f, int ret, const Error *err)
{
    if (err->set) {
        qemu_file_set_error(f, ret, "%s", err->msg);
    } else {
        qemu_file_set_error(f, ret, NULL);
    }
}

uint64_t qemu_file_tell(const QEMUFile *f)
{
    return f->pos;
}

uint64_t qemu_file_transferred(const QEMUFile *f)
{
    return f->transferred;
}

int qemu_file_shutdown(QEMUFile *f)
{
    qemu_file_set_error(f, -EIO, "Channel shut down");
    return f->ops->shutdown ? f->ops->shutdown(f->opaque) : -ENOSYS;
}

/* ---- writing ---- */

int qemu_file_flush(QEMUFile *f)
{
    if (!f->writable || f->last_error) {
        f->iovcnt = 0;
        f->buf_index = 0;
        return f->last_error;
    }
    if (f->iovcnt) {
        Error err;
        error_init(&err);
        int ret = f->ops->writev(f->opaque, f->iov, f->iovcnt, &err);
        if (ret < 0) {
            qemu_file_set_channel_error(f, ret, &err);
        } else {
            for (int i = 0; i < f->iovcnt; i++) {
                f->transferred += f->iov[i].iov_len;
            }
        }
    }
    f->iovcnt = 0;
    f->buf_index = 0;
    return f->last_error;
}

static bool qemu_file_extends_last_iov(const QEMUFile *f, const uint8_t *p)
{
    if (f->iovcnt == 0) {
        return false;
    }
    const struct iovec *last = &f->iov[f->iovcnt - 1];
    return (const uint8_t *)last->iov_base + last->iov_len == p;
}

/* The caller made sure p extends the last iov or a slot is free. */
static void qemu_file_add_iov(QEMUFile *f, const uint8_t *p, size_t len)
{
    if (qemu_file_extends_last_iov(f, p)) {
        f->iov[f->iovcnt - 1].iov_len += len;
        return;
    }
    f->iov[f->iovcnt].iov_base = (void *)p;
    f->iov[f->iovcnt].iov_len = len;
    f->iovcnt++;
}

void qemu_file_put_buffer(QEMUFile *f, const void *buf, size_t len)
{
    const uint8_t *p = buf;
    while (len > 0 && !f->last_error) {
        if (f->buf_index == QEMU_FILE_BUF_SIZE ||
            (f->iovcnt == QEMU_FILE_MAX_IOV &&
             !qemu_file_extends_last_iov(f, f->buf + f->buf_index))) {
            qemu_file_flush(f);
            continue;
        }
        size_t n = QEMU_FILE_BUF_SIZE - f->buf_index;
        if (n > len) {
            n = len;
        }
        /* The copied bytes must not move once an iov points at them, so a
         * flush (not a compaction) is what frees buffer space. */
        memcpy(f->buf + f->buf_index, p, n);
        qemu_file_add_iov(f, f->buf + f->buf_index, n);
        f->buf_index += n;
        f->pos += n;
        p += n;
        len -= n;
    }
}

void qemu_file_put_buffer_ref(QEMUFile *f, const void *buf, size_t len)
{
    if (f->last_error || len == 0) {
        return;
    }
    /* Small blocks cost more as iovecs than as copies. */
    if (len < 512) {
        qemu_file_put_buffer(f, buf, len);
        return;
    }
    if (f->iovcnt == QEMU_FILE_MAX_IOV) {
        qemu_file_flush(f);
    }
    qemu_file_add_iov(f, buf, len);
    f->pos += len;
}

void qemu_file_put_u8(QEMUFile *f, uint8_t v)
{
    qemu_file_put_buffer(f, &v, 1);
}

void qemu_file_put_be16(QEMUFile *f, uint16_t v)
{
    uint8_t b[2] = { v >> 8, v };
    qemu_file_put_buffer(f, b, 2);
}

void qemu_file_put_be32(QEMUFile *f, uint32_t v)
{
    uint8_t b[4] = { v >> 24, v >> 16, v >> 8, v };
    qemu_file_put_buffer(f, b, 4);
}

void qemu_file_put_be64(QEMUFile *f, uint64_t v)
{
    uint8_t b[8];
    for (int i = 0; i < 8; i++) {
        b[i] = v >> (56 - 8 * i);
    }
    qemu_file_put_buffer(f, b, 8);
}

void qemu_file_put_str8(QEMUFile *f, const char *s)
{
    size_t len = strlen(s);
    if (len > 255) {
        qemu_file_set_error(f, -EINVAL, "string '%.40s...' is %zu bytes, longer than 255", s,
                            len);
        return;
    }
    qemu_file_put_u8(f, (uint8_t)len);
    qemu_file_put_buffer(f, s, len);
}

/* ---- reading ---- */

/* Makes at least want bytes available in buf (want <= QEMU_FILE_BUF_SIZE)
 * unless the stream ends or fails first. Returns the count available. */
static size_t qemu_file_fill(QEMUFile *f, size_t want)
{
    size_t avail = f->buf_size - f->buf_index;
    if (avail >= want || f->last_error || f->writable) {
        return f->last_error ? 0 : avail;
    }
    memmove(f->buf, f->buf + f->buf_index, avail);
    f->buf_index = 0;
    f->buf_size = avail;
    while (f->buf_size < want) {
        Error err;
        error_init(&err);
        ssize_t n = f->ops->read(f->opaque, f->buf + f->buf_size,
                                 QEMU_FILE_BUF_SIZE - f->buf_size, &err);
        if (n < 0) {
            qemu_file_set_channel_error(f, (int)n, &err);
            return 0;
        }
        if (n == 0) {
            break;
        }
        f->buf_size += (size_t)n;
        f->transferred += (uint64_t)n;
    }
    return f->buf_size - f->buf_index;
}

static void qemu_file_set_truncated(QEMUFile *f)
{
    if (!f->last_error) {
        f->truncated = true;
        qemu_file_set_error(f, -EIO, "unexpected end of stream at offset %llu",
                            (unsigned long long)f->pos);
    }
}

size_t qemu_file_get_buffer(QEMUFile *f, void *buf, size_t len)
{
    uint8_t *p = buf;
    size_t done = 0;
    while (done < len) {
        size_t avail = qemu_file_fill(f, 1);
        if (avail == 0) {
            qemu_file_set_truncated(f);
            break;
        }
        size_t n = len - done < avail ? len - done : avail;
        memcpy(p + done, f->buf + f->buf_index, n);
        f->buf_index += n;
        f->pos += n;
        done += n;
    }
    if (done < len) {
        memset(p + done, 0, len - done);
    }
    return done;
}

uint8_t qemu_file_get_u8(QEMUFile *f)
{
    uint8_t v;
    qemu_file_get_buffer(f, &v, 1);
    return v;
}

uint16_t qemu_file_get_be16(QEMUFile *f)
{
    uint8_t b[2];
    qemu_file_get_buffer(f, b, 2);
    return (uint16_t)(b[0] << 8 | b[1]);
}

uint32_t qemu_file_get_be32(QEMUFile *f)
{
    uint8_t b[4];
    qemu_file_get_buffer(f, b, 4);
    return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

uint64_t qemu_file_get_be64(QEMUFile *f)
{
    uint8_t b[8];
    qemu_file_get_buffer(f, b, 8);
    uint64_t v = 0;
    for (int i = 0; i < 8; i++) {
        v = v << 8 | b[i];
    }
    return v;
}

int qemu_file_get_str8(QEMUFile *f, char buf[256])
{
    uint8_t len = qemu_file_get_u8(f);
    qemu_file_get_buffer(f, buf, len);
    buf[len] = '\0';
    return f->last_error ? -1 : len;
}

size_t qemu_file_peek(QEMUFile *f, void *buf, size_t len, size_t offset)
{
    if (offset + len > QEMU_FILE_BUF_SIZE) {
        qemu_file_set_error(f, -EINVAL, "peek of %zu bytes at +%zu exceeds the buffer", len,
                            offset);
        return 0;
    }
    size_t avail = qemu_file_fill(f, offset + len);
    if (avail <= offset) {
        return 0;
    }
    size_t n = avail - offset < len ? avail - offset : len;
    memcpy(buf, f->buf + f->buf_index + offset, n);
    return n;
}

void qemu_file_skip(QEMUFile *f, uint64_t len)
{
    uint8_t tmp[4096];
    while (len > 0 && !f->last_error) {
        size_t n = len < sizeof(tmp) ? (size_t)len : sizeof(tmp);
        qemu_file_get_buffer(f, tmp, n);
        len -= n;
    }
}

int qemu_file_close(QEMUFile *f, Error *err)
{
    if (f->writable) {
        qemu_file_flush(f);
    }
    Error cerr;
    error_init(&cerr);
    bool had_error = f->last_error != 0;
    if (f->ops->close) {
        int ret = f->ops->close(f->opaque, &cerr);
        if (ret < 0) {
            qemu_file_set_channel_error(f, ret, &cerr);
        }
    }
    int ret = f->last_error;
    if (ret && had_error && cerr.set) {
        /* The first error stays the result, but a failing close (a command
         * that exited non-zero) often explains it: name both. */
        error_setf(err, "%s; %s", f->error_msg, cerr.msg);
    } else if (ret) {
        error_setf(err, "%s", f->error_msg);
    }
    free(f);
    return ret;
}

/* QEMUFile: a buffered, forward-only byte stream over a channel.
 *
 * Error model (as QEMU's): the file keeps the first error as a negative errno
 * plus a message. After it, puts are dropped, gets return zeros and short
 * counts, and every later call is cheap, so savers and loaders check
 * qemu_file_get_error() at their own checkpoints rather than after each call.
 *
 * A reader that needs more bytes when the channel reports end of stream fails
 * with -EIO (QEMU's code for it) and qemu_file_is_truncated() becomes true, so
 * the loader can say "truncated" instead of "I/O error".
 *
 * Nothing seeks. qemu_file_tell() is the logical position: bytes put so far on
 * a writer, bytes consumed so far on a reader (the offset error messages use). */
#ifndef SAVEVM_QEMU_FILE_H
#define SAVEVM_QEMU_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

#include "io/channel.h"
#include "util/error.h"

#define QEMU_FILE_BUF_SIZE 32768
#define QEMU_FILE_MAX_IOV  IO_CHANNEL_MAX_IOV


typedef struct QEMUFile QEMUFile;

QEMUFile *qemu_file_new(const IOChannelOps *ops, void *opaque, bool writable);

/* savevm/qemu-file-channel.c: a file over a channel of io/channel.h, which it
 * owns from then on; NULL with err set when the channel cannot be made or
 * memory runs out (what the channel made is then released). */
QEMUFile *qemu_file_open_channel(IOChannel ch, bool writable, Error *err);
QEMUFile *qemu_file_open_fd(int fd, bool writable, bool close_fd, Error *err);
QEMUFile *qemu_file_open_path(const char *path, bool writable, Error *err);
QEMUFile *qemu_file_open_exec(const char *cmd, bool writable, Error *err);
QEMUFile *qemu_file_buffer_writer(ChannelBuffer *b);
QEMUFile *qemu_file_buffer_reader(const void *data, size_t len);
/* Flushes (writers), closes the channel and frees f. Returns the first error
 * of the file's life (0 if none); err gets its message. */
int qemu_file_close(QEMUFile *f, Error *err);
bool qemu_file_is_writable(const QEMUFile *f);

int qemu_file_get_error(const QEMUFile *f);
/* The message of the first error, or "" when there is none. */
const char *qemu_file_error_msg(const QEMUFile *f);
/* Records ret (negative errno) unless an error is already recorded. */
void qemu_file_set_error(QEMUFile *f, int ret, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
bool qemu_file_is_truncated(const QEMUFile *f);
/* Sets -EIO and asks the channel to abort pending I/O. */
int qemu_file_shutdown(QEMUFile *f);

/* Logical position (see above) and bytes moved through the channel. */
uint64_t qemu_file_tell(const QEMUFile *f);
uint64_t qemu_file_transferred(const QEMUFile *f);

/* Writing. Multi-byte values are big-endian. */
int qemu_file_flush(QEMUFile *f);
void qemu_file_put_u8(QEMUFile *f, uint8_t v);
void qemu_file_put_be16(QEMUFile *f, uint16_t v);
void qemu_file_put_be32(QEMUFile *f, uint32_t v);
void qemu_file_put_be64(QEMUFile *f, uint64_t v);
void qemu_file_put_buffer(QEMUFile *f, const void *buf, size_t len);
/* Queues buf by reference (no copy) for large blocks such as RAM pages: the
 * bytes must stay unchanged until the next qemu_file_flush() or close, which
 * the RAM saver guarantees by flushing before the guest runs again. */
void qemu_file_put_buffer_ref(QEMUFile *f, const void *buf, size_t len);
/* Counted string: u8 length + bytes, no NUL. Longer than 255 is an error. */
void qemu_file_put_str8(QEMUFile *f, const char *s);

/* Reading. */
uint8_t qemu_file_get_u8(QEMUFile *f);
uint16_t qemu_file_get_be16(QEMUFile *f);
uint32_t qemu_file_get_be32(QEMUFile *f);
uint64_t qemu_file_get_be64(QEMUFile *f);
/* Returns the count read; less than len only after an error. */
size_t qemu_file_get_buffer(QEMUFile *f, void *buf, size_t len);
/* Reads a counted string into buf[256] with a NUL; returns its length or -1. */
int qemu_file_get_str8(QEMUFile *f, char buf[256]);
/* Copies up to len bytes starting offset bytes ahead without consuming them;
 * offset + len <= QEMU_FILE_BUF_SIZE. Returns the count available (short at
 * end of stream, which is not an error by itself). */
size_t qemu_file_peek(QEMUFile *f, void *buf, size_t len, size_t offset);
/* Consumes len bytes. */
void qemu_file_skip(QEMUFile *f, uint64_t len);

#endif

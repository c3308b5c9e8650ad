/* raw: the file is the disk, byte for byte. */
#include "block/block.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int raw_probe(const uint8_t *buf, size_t len)
{
    (void)buf;
    (void)len;
    return 1;                    /* anything is a raw image, as a last resort */
}

static int raw_open(BlockDriverState *bs, int flags, Error *err)
{
    (void)flags;
    struct stat st;
    if (fstat(bs->fd, &st) < 0) {
        error_setf(err, "%s", strerror(errno));
        return -errno;
    }
    if (S_ISBLK(st.st_mode)) {
        off_t end = lseek(bs->fd, 0, SEEK_END);
        bs->total_size = end < 0 ? 0 : (uint64_t)end;
    } else {
        bs->total_size = (uint64_t)st.st_size;
    }
    return 0;
}

static int raw_pread(BlockDriverState *bs, uint64_t off, void *buf, uint64_t len, Error *err)
{
    return bdrv_pread_full(bs->fd, off, buf, len, true, err, "raw data");
}

static int raw_pwrite(BlockDriverState *bs, uint64_t off, const void *buf, uint64_t len,
                      Error *err)
{
    return bdrv_pwrite_full(bs, off, buf, len, err, "raw data");
}

static int raw_create(const char *path, const BlockCreateOptions *opts, Error *err)
{
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        error_setf(err, "Could not create '%s': %s", path, strerror(errno));
        return -errno;
    }
    int ret = 0;
    if (ftruncate(fd, (off_t)opts->size) < 0) {
        ret = -errno;
        error_setf(err, "Could not resize '%s': %s", path, strerror(errno));
    }
    close(fd);
    return ret;
}

const BlockDriver bdrv_raw = {
    .format_name = "raw",
    .probe = raw_probe,
    .create = raw_create,
    .open = raw_open,
    .pread = raw_pread,
    .pwrite = raw_pwrite,
};

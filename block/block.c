/* Block layer front end: format lookup and probing, open/close, and the
 * dispatch through each driver's operation table. */
#include "block/block.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Probe order matters: raw accepts anything with the lowest score. */
static const BlockDriver *const bdrv_drivers[] = {
    &bdrv_qcow2,
    &bdrv_raw,
};

#define BDRV_NDRIVERS (sizeof(bdrv_drivers) / sizeof(bdrv_drivers[0]))

const BlockDriver *bdrv_find_format(const char *fmt)
{
    for (size_t i = 0; i < BDRV_NDRIVERS; i++) {
        if (strcmp(bdrv_drivers[i]->format_name, fmt) == 0) {
            return bdrv_drivers[i];
        }
    }
    return NULL;
}

int bdrv_pread_full(int fd, uint64_t off, void *buf, size_t len, bool zero_fill, Error *err,
                    const char *what)
{
    uint8_t *p = buf;
    size_t done = 0;
    while (done < len) {
        ssize_t r = pread(fd, p + done, len - done, (off_t)(off + done));
        if (r < 0) {
            if (errno == EINTR) {
                continue;
            }
            int e = errno;
            error_setf(err, "read of %s at offset %llu failed: %s", what,
                       (unsigned long long)(off + done), strerror(e));
            return -e;
        }
        if (r == 0) {
            if (!zero_fill) {
                error_setf(err, "read of %s at offset %llu: unexpected end of file", what,
                           (unsigned long long)(off + done));
                return -EIO;
            }
            memset(p + done, 0, len - done);   /* past EOF reads as zeros */
            break;
        }
        done += (size_t)r;
    }
    return 0;
}

int bdrv_pwrite_fd(int fd, uint64_t off, const void *buf, size_t len, Error *err,
                   const char *what)
{
    const uint8_t *p = buf;
    size_t done = 0;
    while (done < len) {
        ssize_t r = pwrite(fd, p + done, len - done, (off_t)(off + done));
        if (r < 0) {
            if (errno == EINTR) {
                continue;
            }
            int e = errno;
            error_setf(err, "write of %s at offset %llu failed: %s", what,
                       (unsigned long long)(off + done), strerror(e));
            return -e;
        }
        done += (size_t)r;
    }
    return 0;
}

/* 0, or -ENOSPC when this write must fail; a kill fault does not return. */
static int bdrv_fault_point(BlockFault *f)
{
    if (f->mode == 0 || ++f->count < f->target) {
        return 0;
    }
    if (f->mode == 1) {
        raise(SIGKILL);
    }
    return -ENOSPC;
}

int bdrv_pwrite_full(BlockDriverState *bs, uint64_t off, const void *buf, size_t len, Error *err,
                     const char *what)
{
    if (bs->fault.trace) {
        bs->fault.trace(bs->fault.trace_opaque, what, off, len);
    }
    int f = bdrv_fault_point(&bs->fault);
    if (f < 0) {
        error_setf(err, "write of %s at offset %llu failed: %s", what,
                   (unsigned long long)off, strerror(-f));
        return f;
    }
    return bdrv_pwrite_fd(bs->fd, off, buf, len, err, what);
}

int bdrv_sync(BlockDriverState *bs, Error *err)
{
    if (bs->fault.trace) {
        bs->fault.trace(bs->fault.trace_opaque, "sync", 0, 0);
    }
    if (bs->no_flush) {
        return 0;
    }
    if (fdatasync(bs->fd) < 0) {
        int e = errno;
        error_setf(err, "%s: fdatasync failed: %s", bs->filename, strerror(e));
        return -e;
    }
    return 0;
}

void bdrv_fault_configure(BlockDriverState *bs, const char *spec)
{
    BlockFault *f = &bs->fault;
    memset(f, 0, sizeof(*f));
    if (spec && strncmp(spec, "kill:", 5) == 0) {
        f->mode = 1;
        f->target = strtoull(spec + 5, NULL, 10);
    } else if (spec && strncmp(spec, "enospc:", 7) == 0) {
        f->mode = 2;
        f->target = strtoull(spec + 7, NULL, 10);
    }
}

static const BlockDriver *bdrv_probe(int fd)
{
    uint8_t buf[512];
    Error dummy;
    error_init(&dummy);
    if (bdrv_pread_full(fd, 0, buf, sizeof(buf), true, &dummy, "header") < 0) {
        return &bdrv_raw;
    }
    const BlockDriver *best = &bdrv_raw;
    int score = 0;
    for (size_t i = 0; i < BDRV_NDRIVERS; i++) {
        int s = bdrv_drivers[i]->probe ? bdrv_drivers[i]->probe(buf, sizeof(buf)) : 0;
        if (s > score) {
            score = s;
            best = bdrv_drivers[i];
        }
    }
    return best;
}

BlockDriverState *bdrv_open(const char *path, const char *fmt, int flags, Error *err)
{
    return bdrv_open_report(path, fmt, flags, NULL, err);
}

BlockDriverState *bdrv_open_report(const char *path, const char *fmt, int flags,
                                   const Reporter *report, Error *err)
{
    const BlockDriver *drv = NULL;
    if (fmt) {
        drv = bdrv_find_format(fmt);
        if (!drv) {
            error_setf(err, "Unknown driver '%s' (formats: qcow2, raw)", fmt);
            return NULL;
        }
    }
    bool rw = flags & BDRV_O_RDWR;
    int fd = open(path, (rw ? O_RDWR : O_RDONLY) | O_CLOEXEC);
    if (fd < 0) {
        error_setf(err, "Could not open '%s': %s", path, strerror(errno));
        return NULL;
    }
    if (!drv) {
        drv = bdrv_probe(fd);
    }
    BlockDriverState *bs = calloc(1, sizeof(*bs));
    void *opaque = drv->state_size ? calloc(1, drv->state_size) : NULL;
    if (!bs || (drv->state_size && !opaque)) {
        free(bs);
        free(opaque);
        close(fd);
        error_setf(err, "Could not open '%s': out of memory", path);
        return NULL;
    }
    bs->drv = drv;
    bs->fd = fd;
    bs->read_only = !rw;
    bs->no_flush = flags & BDRV_O_NO_FLUSH;
    bs->opaque = opaque;
    /* Before open: the count includes the writes opening makes. */
    bdrv_fault_configure(bs, getenv("AMBER_BLOCK_FAULT"));
    if (report) {
        bs->report = *report;    /* before open: it may already find corruption */
    }
    snprintf(bs->filename, sizeof(bs->filename), "%s", path);
    Error local;
    error_init(&local);
    if (drv->open(bs, flags, &local) < 0) {
        error_setf(err, "Could not open '%s': %s", path, local.msg);
        free(bs->opaque);
        close(fd);
        free(bs);
        return NULL;
    }
    return bs;
}

/* What a BlockDriverState whose reopen failed is left with: every access
 * fails and says why. */
static int closed_pread(BlockDriverState *bs, uint64_t off, void *buf, uint64_t len, Error *err)
{
    error_setf(err, "%s: the image could not be reopened", bs->filename);
    return -EIO;
}

static int closed_pwrite(BlockDriverState *bs, uint64_t off, const void *buf, uint64_t len,
                         Error *err)
{
    return closed_pread(bs, off, NULL, len, err);
}

static int closed_flush(BlockDriverState *bs, Error *err)
{
    return closed_pread(bs, 0, NULL, 0, err);
}

static const BlockDriver bdrv_closed = {
    .format_name = "closed",
    .pread = closed_pread,
    .pwrite = closed_pwrite,
    .flush = closed_flush,
};

int bdrv_reopen(BlockDriverState *bs, int flags, Error *err)
{
    if (bs->fd < 0) {
        return 0;
    }
    bs->content_gen++;           /* another process may have written it */
    if (bs->drv->close) {
        bs->drv->close(bs);
    }
    close(bs->fd);
    bool rw = flags & BDRV_O_RDWR;
    bs->fd = open(bs->filename, (rw ? O_RDWR : O_RDONLY) | O_CLOEXEC);
    if (bs->fd < 0) {
        int e = errno;
        error_setf(err, "Could not reopen '%s': %s", bs->filename, strerror(e));
        bs->drv = &bdrv_closed;
        return -e;
    }
    if (bs->drv->state_size) {
        memset(bs->opaque, 0, bs->drv->state_size);
    }
    bs->read_only = !rw;
    bs->no_flush = flags & BDRV_O_NO_FLUSH;
    Error local;
    error_init(&local);
    int ret = bs->drv->open(bs, flags, &local);
    if (ret < 0) {
        error_setf(err, "Could not reopen '%s': %s", bs->filename, local.msg);
        close(bs->fd);
        bs->fd = -1;
        bs->drv = &bdrv_closed;
    }
    return ret;
}

void bdrv_close(BlockDriverState *bs)
{
    if (!bs) {
        return;
    }
    if (bs->drv->close) {
        bs->drv->close(bs);
    }
    if (bs->fd >= 0) {
        close(bs->fd);
    }
    free(bs->opaque);
    free(bs);
}

int bdrv_create(const char *path, const BlockCreateOptions *opts, Error *err)
{
    const BlockDriver *drv = bdrv_find_format(opts->format ? opts->format : "raw");
    if (!drv || !drv->create) {
        error_setf(err, "Unknown file format '%s'", opts->format);
        return -EINVAL;
    }
    return drv->create(path, opts, err);
}

uint64_t bdrv_getlength(const BlockDriverState *bs)
{
    return bs->total_size;
}

const char *bdrv_device_name(const BlockDriverState *bs)
{
    return bs->id[0] ? bs->id : bs->filename;
}

const char *bdrv_format_name(const BlockDriverState *bs)
{
    return bs->drv->format_name;
}

static int bdrv_check_range(BlockDriverState *bs, uint64_t off, uint64_t len, Error *err)
{
    if (off > bs->total_size || len > bs->total_size - off) {
        error_setf(err, "%s: access of %llu bytes at offset %llu is beyond the end of the "
                   "%llu-byte disk", bs->filename, (unsigned long long)len,
                   (unsigned long long)off, (unsigned long long)bs->total_size);
        return -EINVAL;
    }
    return 0;
}

int bdrv_pread(BlockDriverState *bs, uint64_t off, void *buf, uint64_t len, Error *err)
{
    int ret = bdrv_check_range(bs, off, len, err);
    return ret < 0 ? ret : bs->drv->pread(bs, off, buf, len, err);
}

int bdrv_pwrite(BlockDriverState *bs, uint64_t off, const void *buf, uint64_t len, Error *err)
{
    int ret = bdrv_check_range(bs, off, len, err);
    if (ret < 0) {
        return ret;
    }
    if (bs->read_only) {
        error_setf(err, "%s: image is read-only", bs->filename);
        return -EROFS;
    }
    if (bs->write_watch) {
        bs->write_watch(bs->write_watch_opaque, bs, off, buf, len);
    }
    return bs->drv->pwrite(bs, off, buf, len, err);
}

int bdrv_flush(BlockDriverState *bs, Error *err)
{
    if (bs->read_only) {
        return 0;
    }
    return bs->drv->flush ? bs->drv->flush(bs, err) : bdrv_sync(bs, err);
}

bool bdrv_can_snapshot(const BlockDriverState *bs)
{
    return bs->drv->snapshot_create != NULL;
}

static int bdrv_no_snapshots(BlockDriverState *bs, Error *err)
{
    error_setf(err, "Device '%s' does not support internal snapshots (format %s)",
               bdrv_device_name(bs), bs->drv->format_name);
    return -ENOTSUP;
}

static int bdrv_check_writable(BlockDriverState *bs, Error *err)
{
    if (bs->read_only) {
        error_setf(err, "%s: image is read-only", bs->filename);
        return -EROFS;
    }
    return 0;
}

int bdrv_snapshot_list(BlockDriverState *bs, BlockSnapshotInfo **list, Error *err)
{
    if (!bs->drv->snapshot_list) {
        *list = NULL;
        return 0;                /* raw: no snapshots to list */
    }
    return bs->drv->snapshot_list(bs, list, err);
}

int bdrv_snapshot_find(BlockDriverState *bs, const char *id_or_name, bool by_name_only,
                       BlockSnapshotInfo *out, Error *err)
{
    BlockSnapshotInfo *list;
    int n = bdrv_snapshot_list(bs, &list, err);
    if (n < 0) {
        return n;
    }
    int found = -1;
    for (int pass = by_name_only ? 1 : 0; pass < 2 && found < 0; pass++) {
        for (int i = 0; i < n && found < 0; i++) {
            if (strcmp(pass == 0 ? list[i].id : list[i].name, id_or_name) == 0) {
                found = i;
            }
        }
    }
    if (found >= 0) {
        *out = list[found];
    }
    free(list);
    return found >= 0 ? 0 : -ENOENT;
}

int bdrv_snapshot_create(BlockDriverState *bs, BlockSnapshotInfo *sn, BlockVmstate *vm,
                         Error *err)
{
    if (!bs->drv->snapshot_create || bdrv_check_writable(bs, err) < 0) {
        if (vm) {
            bdrv_vmstate_close(vm);
        }
        return bs->read_only ? -EROFS : bdrv_no_snapshots(bs, err);
    }
    return bs->drv->snapshot_create(bs, sn, vm, err);
}

int bdrv_snapshot_goto(BlockDriverState *bs, const char *id_or_name, Error *err)
{
    if (!bs->drv->snapshot_goto) {
        return bdrv_no_snapshots(bs, err);
    }
    int ret = bdrv_check_writable(bs, err);
    ret = ret < 0 ? ret : bs->drv->snapshot_goto(bs, id_or_name, err);
    bs->content_gen++;           /* even a failed goto may have changed it */
    return ret;
}

int bdrv_snapshot_delete(BlockDriverState *bs, const char *name, Error *err)
{
    if (!bs->drv->snapshot_delete) {
        return bdrv_no_snapshots(bs, err);
    }
    int ret = bdrv_check_writable(bs, err);
    return ret < 0 ? ret : bs->drv->snapshot_delete(bs, name, err);
}

BlockVmstate *bdrv_vmstate_writer_open(BlockDriverState *bs, Error *err)
{
    if (!bs->drv->vmstate_writer) {
        bdrv_no_snapshots(bs, err);
        return NULL;
    }
    if (bdrv_check_writable(bs, err) < 0) {
        return NULL;
    }
    return bs->drv->vmstate_writer(bs, err);
}

BlockVmstate *bdrv_vmstate_reader_open(BlockDriverState *bs, const char *name, Error *err)
{
    if (!bs->drv->vmstate_reader) {
        bdrv_no_snapshots(bs, err);
        return NULL;
    }
    return bs->drv->vmstate_reader(bs, name, err);
}

int bdrv_check(BlockDriverState *bs, BlockCheckResult *res, int fix, Error *err)
{
    memset(res, 0, sizeof(*res));
    if (!bs->drv->check) {
        error_setf(err, "This image format does not support checks");
        return -ENOTSUP;
    }
    if (fix && bs->read_only) {
        error_setf(err, "%s: image is read-only; cannot repair", bs->filename);
        return -EROFS;
    }
    return bs->drv->check(bs, res, fix, err);
}

/* qcow2 image creation, laid out as qemu-img lays it out: header, refcount
 * table, one refcount block, then the L1 table (allocated through the
 * normal allocator, which adds refcount blocks and grows the refcount
 * table when small clusters need them). */
#include "block/qcow2.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int qcow2_create_skeleton(int fd, const BlockCreateOptions *opts, unsigned cb,
                                 Error *err)
{
    BlockDriverState tmpbs;
    Qcow2State s;
    memset(&tmpbs, 0, sizeof(tmpbs));
    memset(&s, 0, sizeof(s));
    tmpbs.fd = fd;
    tmpbs.no_flush = true;       /* the final header write of create syncs */
    s.bs = &tmpbs;
    s.version = opts->version ? (uint32_t)opts->version : 3;
    s.cluster_bits = cb;
    s.cluster_size = 1ull << cb;
    s.reftable_offset = s.cluster_size;
    s.reftable_clusters = 1;
    s.refcount_order = 4;
    int ret = qcow2_update_header(&s, err);
    if (ret < 0) {
        return ret;
    }
    uint8_t *buf = calloc(1, s.cluster_size);
    if (!buf) {
        error_setf(err, "out of memory");
        return -ENOMEM;
    }
    qcow2_put64(buf, 2 * s.cluster_size);
    ret = bdrv_pwrite_fd(fd, s.cluster_size, buf, s.cluster_size, err, "refcount table");
    if (ret == 0) {
        memset(buf, 0, s.cluster_size);
        for (int i = 0; i < 3; i++) {
            qcow2_put16(buf + 2 * i, 1);     /* header, refcount table, this block */
        }
        ret = bdrv_pwrite_fd(fd, 2 * s.cluster_size, buf, s.cluster_size, err,
                               "refcount block");
    }
    free(buf);
    return ret;
}

int qcow2_create(const char *path, const BlockCreateOptions *opts, Error *err)
{
    unsigned cb = opts->cluster_bits ? opts->cluster_bits : 16;
    if (cb < 9 || cb > 21) {
        error_setf(err, "Cluster size must be a power of two between 512 and 2048k");
        return -EINVAL;
    }
    if (opts->version != 0 && opts->version != 2 && opts->version != 3) {
        error_setf(err, "Invalid compatibility level");
        return -EINVAL;
    }
    uint64_t size = (opts->size + 511) & ~511ull;
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        error_setf(err, "Could not create '%s': %s", path, strerror(errno));
        return -errno;
    }
    int ret = qcow2_create_skeleton(fd, opts, cb, err);
    close(fd);
    if (ret < 0) {
        return ret;
    }
    BlockDriverState *bs = bdrv_open(path, "qcow2", BDRV_O_RDWR, err);
    if (!bs) {
        return -EIO;
    }
    Qcow2State *s = bs->opaque;
    uint64_t entries = qcow2_size_to_l1(s, size);
    if (entries * 8 > QCOW2_MAX_L1_BYTES) {
        error_setf(err, "Could not create '%s': image size too large for the L1 table "
                   "(use a larger cluster_size)", path);
        bdrv_close(bs);
        return -EFBIG;
    }
    uint64_t l1_off = 0;
    if (entries) {
        int64_t a = qcow2_alloc_clusters(s, qcow2_clusters(s, entries * 8), err);
        ret = a < 0 ? (int)a : 0;
        uint8_t *zero = ret == 0 ? calloc(entries, 8) : NULL;
        if (ret == 0 && !zero) {
            error_setf(err, "out of memory");
            ret = -ENOMEM;
        }
        if (ret == 0) {
            l1_off = (uint64_t)a;
            ret = qcow2_meta_write(s, l1_off, zero, entries * 8, err, "L1 table");
        }
        free(zero);
        if (ret == 0) {
            ret = qcow2_flush_metadata(s, err);
        }
        if (ret == 0) {
            ret = bdrv_sync(bs, err);
        }
    }
    if (ret == 0) {
        /* size, crypt_method, l1_size and l1_table_offset in one write */
        uint8_t hdr[24];
        qcow2_put64(hdr, size);
        qcow2_put32(hdr + 8, 0);
        qcow2_put32(hdr + 12, (uint32_t)entries);
        qcow2_put64(hdr + 16, l1_off);
        ret = qcow2_write_header_field(s, 24, hdr, sizeof(hdr), err);
    }
    if (ret == 0) {
        uint64_t *l1 = calloc(entries ? entries : 1, 8);
        if (l1) {
            free(s->l1);
            s->l1 = l1;
            s->l1_size = (uint32_t)entries;
            s->l1_offset = l1_off;
            s->size = size;
            bs->total_size = size;
        }
    }
    bdrv_close(bs);
    return ret;
}

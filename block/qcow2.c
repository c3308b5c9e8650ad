/* qcow2: header and extensions, open/close, flush, and the driver table.
 * Cluster mapping is in qcow2-cluster.c, refcounts in qcow2-refcount.c,
 * snapshots in qcow2-snapshot.c. */
#include "block/qcow2.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* QEMU 7.2's feature name table, written for v3 images with clusters above
 * 4 KiB as QEMU does (it is informative only). */
static const struct {
    uint8_t type, bit;
    const char *name;
} qcow2_feature_names[] = {
    { 0, 0, "dirty bit" },
    { 0, 1, "corrupt bit" },
    { 0, 2, "external data file" },
    { 0, 3, "compression type" },
    { 0, 4, "extended L2 entries" },
    { 1, 0, "lazy refcounts" },
    { 2, 0, "bitmaps" },
    { 2, 1, "raw external data" },
};
#define QCOW2_NFEATURES (sizeof(qcow2_feature_names) / sizeof(qcow2_feature_names[0]))

int qcow2_meta_write(Qcow2State *s, uint64_t off, const void *buf, size_t len, Error *err,
                     const char *what)
{
    return bdrv_pwrite_full(s->bs, off, buf, len, err, what);
}

/* One in-place header write followed by a sync: the switch point of every
 * table replacement. */
int qcow2_write_header_field(Qcow2State *s, unsigned off, const void *buf, unsigned len,
                             Error *err)
{
    int ret = qcow2_meta_write(s, off, buf, len, err, "header");
    return ret < 0 ? ret : bdrv_sync(s->bs, err);
}

void qcow2_signal_corruption(Qcow2State *s, const char *fmt, ...)
{
    if (s->corrupt_reported) {
        return;
    }
    s->corrupt_reported = true;
    char msg[300];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (s->bs->read_only || s->version < 3) {
        report_printf(&s->bs->report, "qcow2: Image is corrupt: %s", msg);
        return;
    }
    report_printf(&s->bs->report, "qcow2: Marking image as corrupt: %s; further corruption "
                  "events will be suppressed", msg);
    s->incompat |= QCOW2_INCOMPAT_CORRUPT;
    uint8_t v[8];
    qcow2_put64(v, s->incompat);
    Error ignored;
    error_init(&ignored);
    qcow2_write_header_field(s, QCOW2_HDR_INCOMPAT, v, 8, &ignored);
    s->bs->read_only = true;     /* no more writes to a corrupt image */
}

int qcow2_validate_table(Qcow2State *s, uint64_t offset, uint64_t entries, size_t entry_len,
                         uint64_t max_bytes, const char *name, Error *err)
{
    if (entries > max_bytes / entry_len) {
        error_setf(err, "%s too large", name);
        return -EFBIG;
    }
    if ((offset & (s->cluster_size - 1)) || offset > (1ull << 62)) {
        error_setf(err, "%s offset invalid", name);
        return -EINVAL;
    }
    return 0;
}

/* Rewrites cluster 0: header fields, QEMU's extensions, then the unknown
 * extensions read at open (kept, as QEMU keeps them). */
int qcow2_update_header(Qcow2State *s, Error *err)
{
    uint64_t cs = s->cluster_size;
    uint8_t *buf = calloc(1, cs);
    if (!buf) {
        error_setf(err, "out of memory");
        return -ENOMEM;
    }
    uint32_t hlen = s->version >= 3 ? QCOW2_HEADER_WRITE_LEN + s->unknown_header_len
                                    : QCOW2_HEADER_V2_LEN;
    qcow2_put32(buf, QCOW2_MAGIC);
    qcow2_put32(buf + 4, s->version);
    qcow2_put32(buf + 20, s->cluster_bits);
    qcow2_put64(buf + 24, s->size);
    qcow2_put32(buf + 36, s->l1_size);
    qcow2_put64(buf + 40, s->l1_offset);
    qcow2_put64(buf + 48, s->reftable_offset);
    qcow2_put32(buf + 56, s->reftable_clusters);
    qcow2_put32(buf + 60, s->nb_snapshots);
    qcow2_put64(buf + 64, s->snapshots_offset);
    size_t pos = hlen;
    if (s->version >= 3) {
        qcow2_put64(buf + 72, s->incompat);
        qcow2_put64(buf + 80, s->compat);
        qcow2_put64(buf + 88, s->autoclear);
        qcow2_put32(buf + 96, s->refcount_order);
        qcow2_put32(buf + 100, hlen);
        buf[104] = s->compression_type;
        if (s->unknown_header_len) {
            memcpy(buf + QCOW2_HEADER_WRITE_LEN, s->unknown_header, s->unknown_header_len);
        }
        if (cs > 4096) {
            size_t need = 8 + QCOW2_NFEATURES * 48;
            qcow2_put32(buf + pos, QCOW2_EXT_FEATURES);
            qcow2_put32(buf + pos + 4, QCOW2_NFEATURES * 48);
            for (size_t i = 0; i < QCOW2_NFEATURES; i++) {
                uint8_t *e = buf + pos + 8 + i * 48;
                e[0] = qcow2_feature_names[i].type;
                e[1] = qcow2_feature_names[i].bit;
                memcpy(e + 2, qcow2_feature_names[i].name, strlen(qcow2_feature_names[i].name));
            }
            pos += need;
        }
    }
    for (int i = 0; i < s->nr_exts; i++) {
        size_t padded = ((size_t)s->exts[i].len + 7) & ~(size_t)7;
        if (pos + 8 + padded + 8 > cs) {
            free(buf);
            error_setf(err, "header extensions do not fit in the first cluster");
            return -EFBIG;
        }
        qcow2_put32(buf + pos, s->exts[i].type);
        qcow2_put32(buf + pos + 4, s->exts[i].len);
        memcpy(buf + pos + 8, s->exts[i].data, s->exts[i].len);
        pos += 8 + padded;
    }
    pos += 8;                    /* end marker: zeros */
    /* Write whole 512-byte sectors of cluster 0, enough to also clear what
     * an older, longer extension area left behind. */
    size_t len = (pos + 511) & ~(size_t)511;
    if (len < 4096 && cs >= 4096) {
        len = 4096;
    }
    if (len > cs) {
        len = cs;
    }
    int ret = qcow2_meta_write(s, 0, buf, len, err, "header");
    if (ret == 0) {
        ret = bdrv_sync(s->bs, err);
    }
    free(buf);
    return ret;
}

static int qcow2_probe(const uint8_t *buf, size_t len)
{
    /* QEMU's test: any version from 2 up is qcow2 (open then names it) */
    return len >= 8 && qcow2_be32(buf) == QCOW2_MAGIC && qcow2_be32(buf + 4) >= 2 ? 100 : 0;
}

static int qcow2_parse_extensions(Qcow2State *s, const uint8_t *hdr, uint64_t end, Error *err)
{
    uint64_t pos = s->header_length;
    while (pos + 8 <= end) {
        uint32_t type = qcow2_be32(hdr + pos), len = qcow2_be32(hdr + pos + 4);
        pos += 8;
        if (type == QCOW2_EXT_END) {
            return 0;
        }
        if (len > end - pos) {
            error_setf(err, "Header extension too large");
            return -EINVAL;
        }
        if (type == QCOW2_EXT_BACKING_FMT) {
            free(s->backing_fmt);
            s->backing_fmt = strndup((const char *)hdr + pos, len);
        } else if (type != QCOW2_EXT_FEATURES) {
            Qcow2Ext *e = realloc(s->exts, (size_t)(s->nr_exts + 1) * sizeof(*e));
            if (!e) {
                error_setf(err, "out of memory");
                return -ENOMEM;
            }
            s->exts = e;
            e[s->nr_exts].type = type;
            e[s->nr_exts].len = len;
            e[s->nr_exts].data = malloc(len ? len : 1);
            if (!e[s->nr_exts].data) {
                error_setf(err, "out of memory");
                return -ENOMEM;
            }
            memcpy(e[s->nr_exts].data, hdr + pos, len);
            s->nr_exts++;
        }
        pos += ((uint64_t)len + 7) & ~7ull;
    }
    return 0;
}

static int qcow2_parse_header(Qcow2State *s, const uint8_t *h, int flags, Error *err)
{
    s->version = qcow2_be32(h + 4);
    uint64_t backing_off = qcow2_be64(h + 8);
    uint32_t backing_len = qcow2_be32(h + 16);
    s->cluster_bits = qcow2_be32(h + 20);
    s->size = qcow2_be64(h + 24);
    uint32_t crypt = qcow2_be32(h + 32);
    s->l1_size = qcow2_be32(h + 36);
    s->l1_offset = qcow2_be64(h + 40);
    s->reftable_offset = qcow2_be64(h + 48);
    s->reftable_clusters = qcow2_be32(h + 56);
    s->nb_snapshots = qcow2_be32(h + 60);
    s->snapshots_offset = qcow2_be64(h + 64);
    if (s->version != 2 && s->version != 3) {
        error_setf(err, "Unsupported qcow2 version %u", s->version);
        return -ENOTSUP;
    }
    if (s->cluster_bits < 9 || s->cluster_bits > 21) {
        error_setf(err, "Unsupported cluster size: 2^%u", s->cluster_bits);
        return -EINVAL;
    }
    s->cluster_size = 1ull << s->cluster_bits;
    s->l2_bits = s->cluster_bits - 3;
    s->l2_entries = 1ull << s->l2_bits;
    if (s->version == 2) {
        s->header_length = QCOW2_HEADER_V2_LEN;
        s->refcount_order = 4;
    } else {
        s->incompat = qcow2_be64(h + 72);
        s->compat = qcow2_be64(h + 80);
        s->autoclear = qcow2_be64(h + 88);
        s->refcount_order = qcow2_be32(h + 96);
        s->header_length = qcow2_be32(h + 100);
        if (s->header_length < QCOW2_HEADER_V3_LEN) {
            error_setf(err, "qcow2 header too short");
            return -EINVAL;
        }
        if (s->header_length > s->cluster_size) {
            error_setf(err, "qcow2 header exceeds cluster size");
            return -EINVAL;
        }
        if (s->header_length > QCOW2_HEADER_V3_LEN) {
            s->compression_type = h[104];
        }
        if (s->header_length > QCOW2_HEADER_WRITE_LEN) {
            s->unknown_header_len = s->header_length - QCOW2_HEADER_WRITE_LEN;
            s->unknown_header = malloc(s->unknown_header_len);
            if (!s->unknown_header) {
                error_setf(err, "out of memory");
                return -ENOMEM;
            }
            memcpy(s->unknown_header, h + QCOW2_HEADER_WRITE_LEN, s->unknown_header_len);
        }
    }
    uint64_t unknown = s->incompat & ~QCOW2_INCOMPAT_KNOWN;
    if (unknown) {
        static const char *const names[] = { NULL, NULL, "external data file",
                                             "compression type", "extended L2 entries" };
        int bit = __builtin_ctzll(unknown);
        if (bit < 5) {
            error_setf(err, "Unsupported qcow2 feature(s): %s", names[bit]);
        } else {
            error_setf(err, "Unsupported qcow2 feature(s): Unknown incompatible feature: %llx",
                       (unsigned long long)unknown);
        }
        return -ENOTSUP;
    }
    if (s->compression_type != 0) {
        error_setf(err, "Unsupported compression type %u (only zlib)", s->compression_type);
        return -ENOTSUP;
    }
    if (s->refcount_order > 6) {
        error_setf(err, "Reference count entry width too large; may not exceed 64 bits");
        return -EINVAL;
    }
    if (backing_off || backing_len) {
        if (backing_off > s->cluster_size || backing_len > 1023) {
            error_setf(err, "Invalid backing file offset");
            return -EINVAL;
        }
        error_setf(err, "backing files are not supported by Amber");
        return -ENOTSUP;
    }
    if (crypt != 0) {
        error_setf(err, "encrypted images are not supported by Amber (crypt_method %u)", crypt);
        return -ENOTSUP;
    }
    if (s->reftable_clusters == 0 && !(flags & BDRV_O_CHECK)) {
        error_setf(err, "Image does not contain a reference count table");
        return -EINVAL;
    }
    int ret = qcow2_validate_table(s, s->reftable_offset, s->reftable_clusters, s->cluster_size,
                                   QCOW2_MAX_REFTABLE_BYTES, "Reference count table", err);
    if (ret == 0) {
        ret = qcow2_validate_table(s, s->l1_offset, s->l1_size, 8, QCOW2_MAX_L1_BYTES,
                                   "Active L1 table", err);
    }
    if (ret == 0 && s->l1_size < qcow2_size_to_l1(s, s->size)) {
        error_setf(err, "L1 table is too small");
        ret = -EINVAL;
    }
    if (ret == 0 && s->nb_snapshots > QCOW2_MAX_SNAPSHOTS) {
        error_setf(err, "Too many snapshots");
        ret = -EINVAL;
    }
    if (ret == 0) {
        ret = qcow2_validate_table(s, s->snapshots_offset, s->nb_snapshots, 1, UINT64_MAX,
                                   "Snapshot table", err);
    }
    return ret;
}

int qcow2_read_l1(Qcow2State *s, uint64_t offset, uint32_t size, uint64_t **l1, Error *err)
{
    *l1 = calloc(size ? size : 1, 8);
    uint8_t *raw = malloc(size ? (size_t)size * 8 : 1);
    if (!*l1 || !raw) {
        free(raw);
        free(*l1);
        *l1 = NULL;
        error_setf(err, "out of memory for an L1 table of %u entries", size);
        return -ENOMEM;
    }
    int ret = bdrv_pread_full(s->bs->fd, offset, raw, (size_t)size * 8, true, err, "L1 table");
    for (uint32_t i = 0; ret == 0 && i < size; i++) {
        (*l1)[i] = qcow2_be64(raw + (size_t)i * 8);
    }
    free(raw);
    if (ret < 0) {
        free(*l1);
        *l1 = NULL;
    }
    return ret;
}

static void qcow2_free_state(Qcow2State *s)
{
    qcow2_free_snapshots(s);
    qcow2_cache_destroy(&s->l2_cache);
    qcow2_cache_destroy(&s->rb_cache);
    for (int i = 0; i < s->nr_exts; i++) {
        free(s->exts[i].data);
    }
    free(s->exts);
    free(s->unknown_header);
    free(s->backing_fmt);
    free(s->l1);
    free(s->reftable);
    free(s->pending_frees);
    free(s->cbuf);
    free(s->zbuf);
    free(s->zin);
}

static int qcow2_open(BlockDriverState *bs, int flags, Error *err)
{
    Qcow2State *s = bs->opaque;
    s->bs = bs;
    uint8_t fixed[QCOW2_HEADER_WRITE_LEN];
    int ret = bdrv_pread_full(bs->fd, 0, fixed, sizeof(fixed), true, err, "header");
    if (ret < 0) {
        return ret;
    }
    if (qcow2_be32(fixed) != QCOW2_MAGIC) {
        error_setf(err, "Image is not in qcow2 format");
        return -EINVAL;
    }
    /* The header, its extensions and unknown fields all live in cluster 0. */
    uint32_t cb = qcow2_be32(fixed + 20);
    uint64_t hsize = cb >= 9 && cb <= 21 ? 1ull << cb : sizeof(fixed);
    uint8_t *hdr = calloc(1, hsize > sizeof(fixed) ? hsize : sizeof(fixed));
    if (!hdr) {
        error_setf(err, "out of memory");
        return -ENOMEM;
    }
    ret = bdrv_pread_full(bs->fd, 0, hdr, hsize, true, err, "header cluster");
    if (ret == 0) {
        ret = qcow2_parse_header(s, hdr, flags, err);
    }
    if (ret < 0) {
        free(hdr);
        goto fail;
    }
    uint64_t cs = s->cluster_size;
    s->cbuf = malloc(cs);
    s->zbuf = malloc(cs);
    s->zin = malloc(2 * cs);
    if (!s->cbuf || !s->zbuf || !s->zin ||
        qcow2_cache_init(&s->l2_cache, cs, "L2 table") < 0 ||
        qcow2_cache_init(&s->rb_cache, cs, "refcount block") < 0) {
        free(hdr);
        error_setf(err, "out of memory");
        ret = -ENOMEM;
        goto fail;
    }
    ret = qcow2_parse_extensions(s, hdr, cs, err);
    free(hdr);
    if (ret < 0) {
        goto fail;
    }
    if ((s->incompat & QCOW2_INCOMPAT_CORRUPT) && !bs->read_only) {
        error_setf(err, "qcow2: Image is corrupt; cannot be opened read/write");
        ret = -EACCES;
        goto fail;
    }
    ret = qcow2_read_l1(s, s->l1_offset, s->l1_size, &s->l1, err);
    if (ret == 0) {
        ret = qcow2_refcount_init(s, err);
    }
    if (ret == 0) {
        ret = qcow2_read_snapshots(s, err);
    }
    if (ret < 0) {
        goto fail;
    }
    bs->total_size = s->size;
    if (!bs->read_only && !(flags & BDRV_O_CHECK)) {
        if (s->incompat & QCOW2_INCOMPAT_DIRTY) {
            /* Refcounts may be stale (lazy refcounts, or a crash inside a
             * snapshot operation): rebuild them, as QEMU does on open. */
            BlockCheckResult res;
            ret = qcow2_check(bs, &res, BDRV_FIX_LEAKS | BDRV_FIX_ERRORS, err);
            if (ret < 0 || res.corruptions > 0) {
                if (ret == 0) {
                    error_setf(err, "qcow2: the image was not closed cleanly and could not "
                               "be repaired");
                    ret = -EIO;
                }
                goto fail;
            }
            s->incompat &= ~QCOW2_INCOMPAT_DIRTY;
        }
        if (s->autoclear || (s->compat & QCOW2_COMPAT_LAZY_REFCOUNTS) ||
            (s->incompat & QCOW2_INCOMPAT_DIRTY)) {
            /* Unknown autoclear features are invalid once we write (QEMU
             * clears them too); lazy refcounts are not used by Amber. */
            s->autoclear = 0;
            s->compat &= ~QCOW2_COMPAT_LAZY_REFCOUNTS;
            ret = qcow2_update_header(s, err);
            if (ret < 0) {
                goto fail;
            }
        }
    }
    return 0;
fail:
    qcow2_free_state(s);
    return ret;
}

int qcow2_flush_metadata(Qcow2State *s, Error *err)
{
    int ret = qcow2_flush_refcounts(s, err);
    if (ret == 0) {
        ret = qcow2_cache_flush(s, &s->l2_cache, err);
    }
    if (ret == 0) {
        ret = bdrv_sync(s->bs, err);
    }
    if (ret == 0 && s->nr_pending_frees) {
        ret = qcow2_process_frees(s, err);
        if (ret == 0) {
            ret = qcow2_flush_refcounts(s, err);
        }
    }
    return ret;
}

static int qcow2_flush(BlockDriverState *bs, Error *err)
{
    Qcow2State *s = bs->opaque;
    int ret = qcow2_flush_metadata(s, err);
    return ret < 0 ? ret : bdrv_sync(bs, err);
}

static void qcow2_close(BlockDriverState *bs)
{
    Qcow2State *s = bs->opaque;
    if (!bs->read_only) {
        Error err;
        error_init(&err);
        if (qcow2_flush_metadata(s, &err) < 0) {
            /* close cannot fail: the opener hears of it as a warning */
            report_printf(&bs->report, "qcow2: %s: flushing metadata on close failed: %s",
                          bs->filename, err.msg);
        }
    }
    qcow2_free_state(s);
}

static int qcow2_pread(BlockDriverState *bs, uint64_t off, void *buf, uint64_t len, Error *err)
{
    Qcow2State *s = bs->opaque;
    return qcow2_pread_l1(s, s->l1, s->l1_size, off, buf, len, err);
}

static int qcow2_pwrite(BlockDriverState *bs, uint64_t off, const void *buf, uint64_t len,
                        Error *err)
{
    Qcow2State *s = bs->opaque;
    int ret = qcow2_co_pwrite(s, off, buf, len, err);
    if (ret == 0 && s->nr_pending_frees > 1024) {
        ret = qcow2_flush_metadata(s, err);
    }
    return ret;
}

const BlockDriver bdrv_qcow2 = {
    .format_name = "qcow2",
    .state_size = sizeof(Qcow2State),
    .probe = qcow2_probe,
    .create = qcow2_create,
    .open = qcow2_open,
    .close = qcow2_close,
    .pread = qcow2_pread,
    .pwrite = qcow2_pwrite,
    .flush = qcow2_flush,
    .snapshot_list = qcow2_snapshot_list,
    .snapshot_create = qcow2_snapshot_create,
    .snapshot_goto = qcow2_snapshot_goto,
    .snapshot_delete = qcow2_snapshot_delete,
    .vmstate_writer = qcow2_vmstate_writer,
    .vmstate_reader = qcow2_vmstate_reader,
    .check = qcow2_check,
};

/* qcow2 cluster mapping: L1/L2 lookup, reads (normal, zero, compressed),
 * writes with allocation and copy-on-write, and whole-tree refcount walks
 * for snapshots. */
#include "block/qcow2.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

Qcow2ClusterType qcow2_cluster_type(const Qcow2State *s, uint64_t l2e)
{
    (void)s;
    if (l2e & QCOW_OFLAG_COMPRESSED) {
        return QCOW2_CLUSTER_COMPRESSED;
    }
    if (l2e & QCOW_OFLAG_ZERO) {
        return (l2e & L2E_OFFSET_MASK) ? QCOW2_CLUSTER_ZERO_ALLOC : QCOW2_CLUSTER_ZERO_PLAIN;
    }
    return (l2e & L2E_OFFSET_MASK) ? QCOW2_CLUSTER_NORMAL : QCOW2_CLUSTER_UNALLOCATED;
}

void qcow2_compressed_range(const Qcow2State *s, uint64_t l2e, uint64_t *off, uint64_t *len)
{
    unsigned x = 62 - (s->cluster_bits - 8);
    uint64_t coff = l2e & ((1ull << x) - 1);
    uint64_t sectors = ((l2e >> x) & ((1ull << (s->cluster_bits - 8)) - 1)) + 1;
    *off = coff;
    *len = sectors * 512 - (coff & 511);
}

/* Checks an entry before its offset is used; a bad one marks the image
 * corrupt (QEMU's behaviour) and fails the request. */
static int qcow2_check_l2e(Qcow2State *s, uint64_t l2e, uint64_t goff, Error *err)
{
    Qcow2ClusterType t = qcow2_cluster_type(s, l2e);
    if (t == QCOW2_CLUSTER_COMPRESSED) {
        if (l2e & QCOW_OFLAG_COPIED) {
            goto bad;
        }
        return 0;
    }
    if ((t == QCOW2_CLUSTER_ZERO_PLAIN || t == QCOW2_CLUSTER_ZERO_ALLOC) && s->version < 3) {
        qcow2_signal_corruption(s, "Zero cluster entry found in pre-v3 image (guest offset "
                                "%#llx)", (unsigned long long)goff);
        error_setf(err, "qcow2: zero cluster entry found in a v2 image at guest offset %#llx",
                   (unsigned long long)goff);
        return -EIO;
    }
    if (l2e & L2E_STD_RESERVED_MASK) {
        goto bad;
    }
    return 0;
bad:
    qcow2_signal_corruption(s, "Invalid L2 entry %#llx for guest offset %#llx",
                            (unsigned long long)l2e, (unsigned long long)goff);
    error_setf(err, "qcow2: invalid L2 entry %#llx for guest offset %#llx",
               (unsigned long long)l2e, (unsigned long long)goff);
    return -EIO;
}

static int qcow2_decompress(Qcow2State *s, uint64_t l2e, Error *err)
{
    if (s->zbuf_entry == l2e) {
        return 0;
    }
    uint64_t coff, clen;
    qcow2_compressed_range(s, l2e, &coff, &clen);
    /* The range may run past EOF: QEMU pads with zeros. */
    int ret = bdrv_pread_full(s->bs->fd, coff, s->zin, clen, true, err, "compressed cluster");
    if (ret < 0) {
        return ret;
    }
    z_stream z;
    memset(&z, 0, sizeof(z));
    if (inflateInit2(&z, -15) != Z_OK) {
        error_setf(err, "zlib initialisation failed");
        return -ENOMEM;
    }
    z.next_in = s->zin;
    z.avail_in = (uInt)clen;
    z.next_out = s->zbuf;
    z.avail_out = (uInt)s->cluster_size;
    int zr = inflate(&z, Z_FINISH);
    bool ok = (zr == Z_STREAM_END || zr == Z_BUF_ERROR) && z.avail_out == 0;
    inflateEnd(&z);
    if (!ok) {
        s->zbuf_entry = 0;
        error_setf(err, "qcow2: compressed cluster at host offset %#llx does not decompress "
                   "to one cluster", (unsigned long long)coff);
        return -EIO;
    }
    s->zbuf_entry = l2e;
    return 0;
}

int qcow2_read_cluster_from(Qcow2State *s, uint64_t l2e, uint8_t *buf, Error *err)
{
    switch (qcow2_cluster_type(s, l2e)) {
    case QCOW2_CLUSTER_NORMAL:
        return bdrv_pread_full(s->bs->fd, l2e & L2E_OFFSET_MASK, buf, s->cluster_size, true, err,
                               "data cluster");
    case QCOW2_CLUSTER_COMPRESSED: {
        int ret = qcow2_decompress(s, l2e, err);
        if (ret == 0) {
            memcpy(buf, s->zbuf, s->cluster_size);
        }
        return ret;
    }
    default:
        memset(buf, 0, s->cluster_size);
        return 0;
    }
}

static int qcow2_l2_offset(Qcow2State *s, uint64_t l1e, uint32_t l1i, Error *err)
{
    if (l1e & L1E_RESERVED_MASK) {
        goto bad;
    }
    if ((l1e & L1E_OFFSET_MASK) & (s->cluster_size - 1)) {
        goto bad;
    }
    return 0;
bad:
    qcow2_signal_corruption(s, "L2 table offset %#llx unaligned or invalid (L1 index %u)",
                            (unsigned long long)l1e, l1i);
    error_setf(err, "qcow2: invalid L1 entry %#llx at index %u", (unsigned long long)l1e, l1i);
    return -EIO;
}

int qcow2_get_l2_entry(Qcow2State *s, const uint64_t *l1, uint32_t l1_size, uint64_t goff,
                       uint64_t *l2e, Error *err)
{
    uint64_t l1i = goff >> (s->cluster_bits + s->l2_bits);
    uint64_t l2i = (goff >> s->cluster_bits) & (s->l2_entries - 1);
    *l2e = 0;
    if (l1i >= l1_size) {
        return 0;
    }
    uint64_t l2off = l1[l1i] & L1E_OFFSET_MASK;
    if (!l2off) {
        return 0;
    }
    int ret = qcow2_l2_offset(s, l1[l1i], (uint32_t)l1i, err);
    if (ret < 0) {
        return ret;
    }
    uint8_t *table;
    ret = qcow2_cache_get(s, &s->l2_cache, l2off, true, &table, err);
    if (ret < 0) {
        return ret;
    }
    *l2e = qcow2_be64(table + l2i * 8);
    return qcow2_check_l2e(s, *l2e, goff, err);
}

int qcow2_pread_l1(Qcow2State *s, const uint64_t *l1, uint32_t l1_size, uint64_t goff,
                   uint8_t *buf, uint64_t len, Error *err)
{
    while (len > 0) {
        uint64_t in = goff & (s->cluster_size - 1);
        uint64_t n = s->cluster_size - in < len ? s->cluster_size - in : len;
        uint64_t l2e;
        int ret = qcow2_get_l2_entry(s, l1, l1_size, goff, &l2e, err);
        if (ret < 0) {
            return ret;
        }
        switch (qcow2_cluster_type(s, l2e)) {
        case QCOW2_CLUSTER_NORMAL:
            ret = bdrv_pread_full(s->bs->fd, (l2e & L2E_OFFSET_MASK) + in, buf, n, true, err,
                                  "data cluster");
            break;
        case QCOW2_CLUSTER_COMPRESSED:
            ret = qcow2_decompress(s, l2e, err);
            if (ret == 0) {
                memcpy(buf, s->zbuf + in, n);
            }
            break;
        default:
            memset(buf, 0, n);   /* unallocated (no backing file) or zero */
            break;
        }
        if (ret < 0) {
            return ret;
        }
        goff += n;
        buf += n;
        len -= n;
    }
    return 0;
}

int qcow2_write_l1_entry(Qcow2State *s, uint32_t idx, Error *err)
{
    uint8_t e[8];
    qcow2_put64(e, s->l1[idx]);
    return qcow2_meta_write(s, s->l1_offset + (uint64_t)idx * 8, e, 8, err, "L1 entry");
}

/* Returns an L2 table only the active L1 uses (COPIED), allocating it or
 * copying a shared one first. */
static int qcow2_l2_for_write(Qcow2State *s, uint32_t l1i, uint64_t *l2off_out, Error *err)
{
    uint64_t l1e = s->l1[l1i];
    uint64_t old = l1e & L1E_OFFSET_MASK;
    int ret;
    if (old) {
        ret = qcow2_l2_offset(s, l1e, l1i, err);
        if (ret < 0) {
            return ret;
        }
        if (l1e & QCOW_OFLAG_COPIED) {
            *l2off_out = old;
            return 0;
        }
    }
    int64_t new = qcow2_alloc_clusters(s, 1, err);
    if (new < 0) {
        return (int)new;
    }
    uint8_t *table;
    if (old) {
        ret = qcow2_cache_get(s, &s->l2_cache, old, true, &table, err);
        if (ret < 0) {
            return ret;
        }
        memcpy(s->cbuf, table, s->cluster_size);
    }
    ret = qcow2_cache_get(s, &s->l2_cache, (uint64_t)new, false, &table, err);
    if (ret < 0) {
        return ret;
    }
    if (old) {
        memcpy(table, s->cbuf, s->cluster_size);
    }
    /* The new table and its refcount reach the disk before the L1 entry. */
    ret = qcow2_cache_flush(s, &s->l2_cache, err);
    if (ret == 0) {
        ret = qcow2_flush_refcounts(s, err);
    }
    if (ret == 0) {
        ret = bdrv_sync(s->bs, err);
    }
    if (ret < 0) {
        return ret;
    }
    s->l1[l1i] = (uint64_t)new | QCOW_OFLAG_COPIED;
    ret = qcow2_write_l1_entry(s, l1i, err);
    if (ret < 0) {
        s->l1[l1i] = l1e;
        return ret;
    }
    if (old) {
        qcow2_free_later(s, old, s->cluster_size);
    }
    *l2off_out = (uint64_t)new;
    return 0;
}

static void qcow2_free_l2e_later(Qcow2State *s, uint64_t l2e)
{
    Qcow2ClusterType t = qcow2_cluster_type(s, l2e);
    if (t == QCOW2_CLUSTER_NORMAL || t == QCOW2_CLUSTER_ZERO_ALLOC) {
        qcow2_free_later(s, l2e & L2E_OFFSET_MASK, s->cluster_size);
    } else if (t == QCOW2_CLUSTER_COMPRESSED) {
        uint64_t off, len;
        qcow2_compressed_range(s, l2e, &off, &len);
        qcow2_free_later(s, off, len);
    }
}

int qcow2_co_pwrite(Qcow2State *s, uint64_t goff, const uint8_t *buf, uint64_t len, Error *err)
{
    uint64_t cs = s->cluster_size;
    while (len > 0) {
        uint64_t in = goff & (cs - 1);
        uint64_t n = cs - in < len ? cs - in : len;
        uint32_t l1i = (uint32_t)(goff >> (s->cluster_bits + s->l2_bits));
        uint64_t l2i = (goff >> s->cluster_bits) & (s->l2_entries - 1);
        if (l1i >= s->l1_size) {
            error_setf(err, "qcow2: write at %#llx beyond the L1 table", (unsigned long long)goff);
            return -EINVAL;
        }
        uint64_t l2off = 0;
        int ret = qcow2_l2_for_write(s, l1i, &l2off, err);
        if (ret < 0) {
            return ret;
        }
        uint8_t *table;
        ret = qcow2_cache_get(s, &s->l2_cache, l2off, true, &table, err);
        if (ret < 0) {
            return ret;
        }
        uint64_t l2e = qcow2_be64(table + l2i * 8);
        ret = qcow2_check_l2e(s, l2e, goff, err);
        if (ret < 0) {
            return ret;
        }
        Qcow2ClusterType t = qcow2_cluster_type(s, l2e);
        if (t == QCOW2_CLUSTER_NORMAL && (l2e & QCOW_OFLAG_COPIED)) {
            ret = bdrv_pwrite_full(s->bs, (l2e & L2E_OFFSET_MASK) + in, buf, n, err,
                                   "data cluster");
            if (ret < 0) {
                return ret;
            }
        } else {
            /* Copy-on-write: the whole new cluster is the old content
             * (shared, compressed, zero or unallocated) with this write
             * applied, written before any table points at it. */
            uint64_t host;
            bool reuse = t == QCOW2_CLUSTER_ZERO_ALLOC && (l2e & QCOW_OFLAG_COPIED);
            if (reuse) {
                host = l2e & L2E_OFFSET_MASK;
            } else {
                int64_t a = qcow2_alloc_clusters(s, 1, err);
                if (a < 0) {
                    return (int)a;
                }
                host = (uint64_t)a;
            }
            const uint8_t *src = buf;
            if (n < cs) {
                ret = qcow2_read_cluster_from(s, l2e, s->cbuf, err);
                if (ret < 0) {
                    return ret;
                }
                memcpy(s->cbuf + in, buf, n);
                src = s->cbuf;
            }
            ret = bdrv_pwrite_full(s->bs, host, src, cs, err, "data cluster");
            if (ret < 0) {
                if (!reuse) {
                    qcow2_free_later(s, host, cs);
                }
                return ret;
            }
            ret = qcow2_cache_get(s, &s->l2_cache, l2off, true, &table, err);
            if (ret < 0) {
                return ret;
            }
            qcow2_put64(table + l2i * 8, host | QCOW_OFLAG_COPIED);
            qcow2_cache_mark_dirty(&s->l2_cache, table);
            if (!reuse) {
                qcow2_free_l2e_later(s, l2e);
            }
        }
        goff += n;
        buf += n;
        len -= n;
    }
    return 0;
}

int qcow2_update_tree_refcounts(Qcow2State *s, const uint64_t *l1, uint32_t l1_size,
                                int64_t delta, Error *err)
{
    uint8_t *copy = malloc(s->cluster_size);
    if (!copy) {
        error_setf(err, "out of memory");
        return -ENOMEM;
    }
    int ret = 0;
    for (uint32_t i = 0; i < l1_size && ret == 0; i++) {
        uint64_t l2off = l1[i] & L1E_OFFSET_MASK;
        if (!l2off) {
            continue;
        }
        ret = qcow2_l2_offset(s, l1[i], i, err);
        uint8_t *table;
        if (ret == 0) {
            ret = qcow2_cache_get(s, &s->l2_cache, l2off, true, &table, err);
        }
        if (ret < 0) {
            break;
        }
        memcpy(copy, table, s->cluster_size);
        for (uint64_t j = 0; j < s->l2_entries && ret == 0; j++) {
            uint64_t l2e = qcow2_be64(copy + j * 8);
            switch (qcow2_cluster_type(s, l2e)) {
            case QCOW2_CLUSTER_NORMAL:
            case QCOW2_CLUSTER_ZERO_ALLOC:
                ret = qcow2_update_refcount(s, l2e & L2E_OFFSET_MASK, s->cluster_size, delta, err);
                break;
            case QCOW2_CLUSTER_COMPRESSED: {
                uint64_t off, len;
                qcow2_compressed_range(s, l2e, &off, &len);
                ret = qcow2_update_refcount(s, off, len, delta, err);
                break;
            }
            default:
                break;
            }
        }
        if (ret == 0) {
            ret = qcow2_update_refcount(s, l2off, s->cluster_size, delta, err);
        }
    }
    free(copy);
    return ret;
}

int qcow2_fix_copied_flags(Qcow2State *s, Error *err)
{
    for (uint32_t i = 0; i < s->l1_size; i++) {
        uint64_t l2off = s->l1[i] & L1E_OFFSET_MASK;
        if (!l2off) {
            continue;
        }
        uint64_t rc;
        int ret = qcow2_get_refcount(s, l2off >> s->cluster_bits, &rc, err);
        if (ret < 0) {
            return ret;
        }
        uint64_t want = rc == 1 ? QCOW_OFLAG_COPIED : 0;
        if ((s->l1[i] & QCOW_OFLAG_COPIED) != want) {
            s->l1[i] = (s->l1[i] & ~QCOW_OFLAG_COPIED) | want;
            ret = qcow2_write_l1_entry(s, i, err);
            if (ret < 0) {
                return ret;
            }
        }
        /* Shared tables too: their data is then shared (COPIED clear), and
         * COPIED bits are ignored in the snapshot trees that share them. */
        uint8_t *table;
        for (uint64_t j = 0; j < s->l2_entries; j++) {
            ret = qcow2_cache_get(s, &s->l2_cache, l2off, true, &table, err);
            if (ret < 0) {
                return ret;
            }
            uint64_t l2e = qcow2_be64(table + j * 8);
            Qcow2ClusterType t = qcow2_cluster_type(s, l2e);
            if (t != QCOW2_CLUSTER_NORMAL && t != QCOW2_CLUSTER_ZERO_ALLOC) {
                continue;
            }
            ret = qcow2_get_refcount(s, (l2e & L2E_OFFSET_MASK) >> s->cluster_bits, &rc, err);
            if (ret < 0) {
                return ret;
            }
            want = rc == 1 ? QCOW_OFLAG_COPIED : 0;
            if ((l2e & QCOW_OFLAG_COPIED) != want) {
                qcow2_put64(table + j * 8, (l2e & ~QCOW_OFLAG_COPIED) | want);
                qcow2_cache_mark_dirty(&s->l2_cache, table);
            }
        }
    }
    return 0;
}

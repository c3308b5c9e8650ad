/* qcow2 refcounts: lookup, update, cluster allocation (first fit), new
 * refcount blocks and refcount table growth, and deferred frees. */
#include "block/qcow2.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Host offsets must fit the 56-bit offset fields of L1/L2 entries. */
#define QCOW2_MAX_HOST_OFFSET (1ull << 56)

uint64_t qcow2_refcount_entry_get(const Qcow2State *s, const uint8_t *block, uint64_t idx)
{
    unsigned bits = 1u << s->refcount_order;
    if (bits >= 8) {
        unsigned bytes = bits / 8;
        const uint8_t *p = block + idx * bytes;
        uint64_t v = 0;
        for (unsigned i = 0; i < bytes; i++) {
            v = (v << 8) | p[i];
        }
        return v;
    }
    uint64_t bit = idx * bits;
    return (block[bit / 8] >> (bit % 8)) & ((1u << bits) - 1);
}

void qcow2_refcount_entry_set(const Qcow2State *s, uint8_t *block, uint64_t idx, uint64_t v)
{
    unsigned bits = 1u << s->refcount_order;
    if (bits >= 8) {
        unsigned bytes = bits / 8;
        uint8_t *p = block + idx * bytes;
        for (int i = (int)bytes - 1; i >= 0; i--, v >>= 8) {
            p[i] = (uint8_t)v;
        }
        return;
    }
    uint64_t bit = idx * bits;
    uint8_t mask = (uint8_t)(((1u << bits) - 1) << (bit % 8));
    block[bit / 8] = (uint8_t)((block[bit / 8] & ~mask) | ((v << (bit % 8)) & mask));
}

int qcow2_refcount_init(Qcow2State *s, Error *err)
{
    s->rb_bits = s->cluster_bits + 3 - s->refcount_order;
    s->refcount_max = s->refcount_order == 6 ? INT64_MAX : (1ull << (1u << s->refcount_order)) - 1;
    s->reftable_entries = ((uint64_t)s->reftable_clusters << s->cluster_bits) / 8;
    s->reftable = calloc(s->reftable_entries, 8);
    if (!s->reftable) {
        error_setf(err, "out of memory for the refcount table");
        return -ENOMEM;
    }
    size_t bytes = s->reftable_entries * 8;
    uint8_t *raw = malloc(bytes);
    if (!raw) {
        error_setf(err, "out of memory for the refcount table");
        return -ENOMEM;
    }
    int ret = bdrv_pread_full(s->bs->fd, s->reftable_offset, raw, bytes, true, err,
                              "refcount table");
    for (uint64_t i = 0; ret == 0 && i < s->reftable_entries; i++) {
        s->reftable[i] = qcow2_be64(raw + i * 8);
    }
    free(raw);
    return ret;
}

uint64_t qcow2_block_offset(const Qcow2State *s, uint64_t ri)
{
    return ri < s->reftable_entries ? s->reftable[ri] & REFT_OFFSET_MASK : 0;
}

int qcow2_get_refcount(Qcow2State *s, uint64_t cluster, uint64_t *rc, Error *err)
{
    uint64_t boff = qcow2_block_offset(s, cluster >> s->rb_bits);
    *rc = 0;
    if (!boff) {
        return 0;
    }
    uint8_t *block;
    int ret = qcow2_cache_get(s, &s->rb_cache, boff, true, &block, err);
    if (ret < 0) {
        return ret;
    }
    *rc = qcow2_refcount_entry_get(s, block, cluster & ((1ull << s->rb_bits) - 1));
    return 0;
}

int qcow2_flush_refcounts(Qcow2State *s, Error *err)
{
    int ret = 0;
    /* Data first. From here until the L2 tables that point at the new
     * clusters are written, a killed process leaks them; without this sync
     * the window would hold the write-back of every data cluster written
     * since the last flush (60 ms for a guest's 64 MiB dd), with it only
     * the sync of the refcount blocks themselves. */
    if (qcow2_cache_dirty(&s->rb_cache)) {
        ret = bdrv_sync(s->bs, err);
    }
    if (ret == 0) {
        ret = qcow2_cache_flush(s, &s->rb_cache, err);
    }
    if (ret == 0 && s->rb_written) {
        ret = bdrv_sync(s->bs, err);
        if (ret == 0) {
            s->rb_written = false;
        }
    }
    return ret;
}

/* First run of n clusters with refcount 0 at or after the allocation hint. */
int qcow2_find_free_run(Qcow2State *s, uint64_t n, uint64_t *start, Error *err)
{
    uint64_t i = s->free_cluster_index, run = 0;
    *start = i;
    while (run < n) {
        if (((i + 1) << s->cluster_bits) > QCOW2_MAX_HOST_OFFSET) {
            error_setf(err, "no free clusters below the 64 PiB qcow2 limit");
            return -ENOSPC;
        }
        uint64_t rc, old = 0;
        int ret = qcow2_get_refcount(s, i, &rc, err);
        if (ret == 0 && s->txn) {
            ret = qcow2_get_refcount_old(s, i, &old, err);   /* still live before commit */
        }
        if (ret < 0) {
            return ret;
        }
        if (rc == 0 && old == 0) {
            run++;
        } else {
            run = 0;
            *start = i + 1;
        }
        i++;
    }
    return 0;
}

/* A larger refcount table at fresh clusters, together with the refcount
 * blocks the new clusters themselves need. The header switches to it in one
 * write; the old table is freed afterwards. */
static int qcow2_grow_reftable(Qcow2State *s, uint64_t need_ri, Error *err)
{
    if (s->txn) {
        return qcow2_txn_grow(s, need_ri, err);
    }
    uint64_t cs = s->cluster_size;
    uint64_t want = need_ri + 1 > s->reftable_entries * 2 ? need_ri + 1 : s->reftable_entries * 2;
    uint64_t rt_clusters = (want * 8 + cs - 1) / cs;
    uint64_t start = 0, nb = 0, missing[64];
    for (int tries = 0;; tries++) {
        uint64_t cap = (rt_clusters << s->cluster_bits) / 8;
        if (rt_clusters * cs > QCOW2_MAX_REFTABLE_BYTES || tries > 64) {
            error_setf(err, "refcount table would exceed %u MiB", QCOW2_MAX_REFTABLE_BYTES >> 20);
            return -EFBIG;
        }
        uint64_t m = 0;
        bool fits = true;
        for (int it = 0; it < 16; it++) {
            int ret = qcow2_find_free_run(s, rt_clusters + nb, &start, err);
            if (ret < 0) {
                return ret;
            }
            m = 0;
            uint64_t first = start >> s->rb_bits, last = (start + rt_clusters + nb - 1) >> s->rb_bits;
            for (uint64_t ri = first; ri <= last && m < 64; ri++) {
                if (!qcow2_block_offset(s, ri)) {
                    missing[m++] = ri;
                }
                if (ri >= cap) {
                    fits = false;
                }
            }
            if (m == nb) {
                break;
            }
            nb = m;
        }
        if (m == nb && fits && m < 64) {
            break;
        }
        rt_clusters++;
    }

    uint64_t cap = (rt_clusters << s->cluster_bits) / 8;
    uint8_t *blocks = calloc(nb ? nb : 1, cs);
    uint8_t *table = calloc(rt_clusters, cs);
    uint64_t *newrt = calloc(cap, 8);
    int ret = 0;
    if (!blocks || !table || !newrt) {
        error_setf(err, "out of memory growing the refcount table");
        ret = -ENOMEM;
        goto out;
    }
    for (uint64_t c = start; c < start + nb + rt_clusters; c++) {
        uint64_t ri = c >> s->rb_bits;
        uint64_t j;
        for (j = 0; j < nb && missing[j] != ri; j++) {
        }
        if (j < nb) {
            qcow2_refcount_entry_set(s, blocks + j * cs, c & ((1ull << s->rb_bits) - 1), 1);
        } else {
            ret = qcow2_update_refcount(s, c << s->cluster_bits, cs, 1, err);
            if (ret < 0) {
                goto out;
            }
        }
    }
    for (uint64_t j = 0; j < nb; j++) {
        ret = qcow2_meta_write(s, (start + j) << s->cluster_bits, blocks + j * cs, cs, err,
                               "refcount block");
        if (ret < 0) {
            goto out;
        }
    }
    s->rb_written = true;
    ret = qcow2_flush_refcounts(s, err);
    if (ret < 0) {
        goto out;
    }
    memcpy(newrt, s->reftable, s->reftable_entries * 8);
    for (uint64_t j = 0; j < nb; j++) {
        newrt[missing[j]] = (start + j) << s->cluster_bits;
    }
    for (uint64_t i = 0; i < cap; i++) {
        qcow2_put64(table + i * 8, newrt[i]);
    }
    uint64_t table_off = (start + nb) << s->cluster_bits;
    ret = qcow2_meta_write(s, table_off, table, rt_clusters * cs, err, "refcount table");
    if (ret == 0) {
        ret = bdrv_sync(s->bs, err);
    }
    if (ret < 0) {
        goto out;
    }
    uint8_t hdr[12];
    qcow2_put64(hdr, table_off);
    qcow2_put32(hdr + 8, (uint32_t)rt_clusters);
    ret = qcow2_write_header_field(s, QCOW2_HDR_REFTABLE, hdr, sizeof(hdr), err);
    if (ret < 0) {
        goto out;
    }
    uint64_t old_off = s->reftable_offset, old_clusters = s->reftable_clusters;
    free(s->reftable);
    s->reftable = newrt;
    newrt = NULL;
    s->reftable_entries = cap;
    s->reftable_offset = table_off;
    s->reftable_clusters = (uint32_t)rt_clusters;
    ret = qcow2_update_refcount(s, old_off, old_clusters * cs, -1, err);
out:
    free(blocks);
    free(table);
    free(newrt);
    return ret;
}

/* Finds n free clusters plus room right after them for the refcount blocks
 * that are missing for them (and for range need_ri, if given), installs
 * those blocks with every cluster of the area counted once, and returns the
 * first cluster. Blocks are written and synced before the refcount table
 * points at them. */
static int qcow2_alloc_with_blocks(Qcow2State *s, uint64_t n, uint64_t need_ri, uint64_t *out,
                                   Error *err)
{
    uint64_t cs = s->cluster_size, start = 0, nb = 0, missing[64];
    for (;;) {
        uint64_t m = 0;
        nb = 0;
        for (int it = 0;; it++) {
            int ret = qcow2_find_free_run(s, n + nb, &start, err);
            if (ret < 0) {
                return ret;
            }
            m = 0;
            if (need_ri != UINT64_MAX && !qcow2_block_offset(s, need_ri)) {
                missing[m++] = need_ri;
            }
            if (n + nb > 0) {
                uint64_t first = start >> s->rb_bits, last = (start + n + nb - 1) >> s->rb_bits;
                for (uint64_t ri = first; ri <= last && m < 64; ri++) {
                    if (ri != need_ri && !qcow2_block_offset(s, ri)) {
                        missing[m++] = ri;
                    }
                }
            }
            if (m == nb || it > 32 || m >= 64) {
                break;
            }
            nb = m;
        }
        if (m != nb) {
            error_setf(err, "cannot place refcount blocks for %llu clusters",
                       (unsigned long long)n);
            return -ENOSPC;
        }
        uint64_t max_ri = 0;
        for (uint64_t j = 0; j < nb; j++) {
            max_ri = missing[j] > max_ri ? missing[j] : max_ri;
        }
        if (nb == 0 || max_ri < s->reftable_entries) {
            break;
        }
        int ret = qcow2_grow_reftable(s, max_ri, err);
        if (ret < 0) {
            return ret;
        }
    }
    int ret = 0;
    uint8_t *blocks = NULL;
    if (nb) {
        blocks = calloc(nb, cs);
        if (!blocks) {
            error_setf(err, "out of memory for refcount blocks");
            return -ENOMEM;
        }
    }
    if (s->txn) {
        /* Counting these clusters may move a refcount block (shadow): its
         * new place must be searched for past them. */
        s->free_cluster_index = start + n + nb;
    }
    for (uint64_t c = start; c < start + n + nb && ret == 0; c++) {
        uint64_t ri = c >> s->rb_bits, j;
        for (j = 0; j < nb && missing[j] != ri; j++) {
        }
        if (j < nb) {
            qcow2_refcount_entry_set(s, blocks + j * cs, c & ((1ull << s->rb_bits) - 1), 1);
        } else {
            ret = qcow2_update_refcount(s, c << s->cluster_bits, cs, 1, err);
        }
    }
    for (uint64_t j = 0; j < nb && ret == 0; j++) {
        ret = qcow2_meta_write(s, (start + n + j) << s->cluster_bits, blocks + j * cs, cs, err,
                               "refcount block");
        s->rb_written = true;
    }
    if (ret == 0 && nb) {
        ret = qcow2_flush_refcounts(s, err);
    }
    for (uint64_t j = 0; j < nb && ret == 0; j++) {
        uint8_t e[8];
        uint64_t off = (start + n + j) << s->cluster_bits;
        qcow2_put64(e, off);
        if (s->txn) {
            s->txn_shadowed[missing[j]] = 1;     /* new: written with the new table */
        } else {
            ret = qcow2_meta_write(s, s->reftable_offset + missing[j] * 8, e, 8, err,
                                   "refcount table entry");
        }
        if (ret == 0) {
            s->reftable[missing[j]] = off;
            s->rb_written = true;    /* the next ordering point syncs the entry */
        }
    }
    free(blocks);
    if (ret == 0) {
        if (start == s->free_cluster_index) {
            s->free_cluster_index = start + n + nb;
        }
        *out = start;
    }
    return ret;
}

int qcow2_update_refcount(Qcow2State *s, uint64_t offset, uint64_t len, int64_t delta,
                          Error *err)
{
    if (len == 0) {
        return 0;
    }
    uint64_t first = offset >> s->cluster_bits, last = (offset + len - 1) >> s->cluster_bits;
    for (uint64_t c = first; c <= last; c++) {
        uint64_t ri = c >> s->rb_bits;
        int ret;
        if (!qcow2_block_offset(s, ri)) {
            if (delta < 0) {
                qcow2_signal_corruption(s, "refcount of cluster %llu would drop below 0 "
                                        "(no refcount block)", (unsigned long long)c);
                error_setf(err, "qcow2: refcount of cluster %llu would drop below 0",
                           (unsigned long long)c);
                return -EIO;
            }
            uint64_t dummy;
            ret = qcow2_alloc_with_blocks(s, 0, ri, &dummy, err);
            if (ret < 0) {
                return ret;
            }
        }
        if (s->txn && !s->txn_shadowed[ri]) {
            ret = qcow2_txn_shadow(s, ri, err);
            if (ret < 0) {
                return ret;
            }
        }
        uint8_t *block;
        ret = qcow2_cache_get(s, &s->rb_cache, qcow2_block_offset(s, ri), true, &block, err);
        if (ret < 0) {
            return ret;
        }
        uint64_t idx = c & ((1ull << s->rb_bits) - 1);
        uint64_t rc = qcow2_refcount_entry_get(s, block, idx);
        if ((delta < 0 && rc < (uint64_t)-delta) ||
            (delta > 0 && rc + (uint64_t)delta > s->refcount_max)) {
            qcow2_signal_corruption(s, "refcount of cluster %llu is %llu, cannot add %lld",
                                    (unsigned long long)c, (unsigned long long)rc,
                                    (long long)delta);
            error_setf(err, "qcow2: refcount of cluster %llu is %llu, cannot add %lld",
                       (unsigned long long)c, (unsigned long long)rc, (long long)delta);
            return -EIO;
        }
        rc += (uint64_t)delta;
        qcow2_refcount_entry_set(s, block, idx, rc);
        qcow2_cache_mark_dirty(&s->rb_cache, block);
        if (rc == 0) {
            /* A freed table must not be written back over the cluster's
             * next owner. */
            qcow2_cache_discard(&s->l2_cache, c << s->cluster_bits);
            s->zbuf_entry = 0;
            if (c < s->free_cluster_index && !s->txn) {
                s->free_cluster_index = c;
            }
        }
    }
    return 0;
}

int64_t qcow2_alloc_clusters(Qcow2State *s, uint64_t n, Error *err)
{
    uint64_t start;
    int ret = qcow2_alloc_with_blocks(s, n, UINT64_MAX, &start, err);
    return ret < 0 ? ret : (int64_t)(start << s->cluster_bits);
}

void qcow2_free_later(Qcow2State *s, uint64_t offset, uint64_t len)
{
    if (len == 0) {
        return;
    }
    if (s->nr_pending_frees == s->cap_pending_frees) {
        int cap = s->cap_pending_frees ? s->cap_pending_frees * 2 : 64;
        Qcow2FreeRange *p = realloc(s->pending_frees, (size_t)cap * sizeof(*p));
        if (!p) {
            return;              /* the cluster leaks; the image stays consistent */
        }
        s->pending_frees = p;
        s->cap_pending_frees = cap;
    }
    s->pending_frees[s->nr_pending_frees].offset = offset;
    s->pending_frees[s->nr_pending_frees].size = len;
    s->nr_pending_frees++;
}

/* Applies queued frees; the caller has flushed and synced the tables that
 * no longer point at them. */
int qcow2_process_frees(Qcow2State *s, Error *err)
{
    int ret = 0;
    int n = s->nr_pending_frees;
    s->nr_pending_frees = 0;
    for (int i = 0; i < n && ret == 0; i++) {
        ret = qcow2_update_refcount(s, s->pending_frees[i].offset, s->pending_frees[i].size, -1,
                                    err);
    }
    return ret;
}

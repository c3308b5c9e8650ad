/* Snapshot transactions: crash safety without a window.
 *
 * qemu-img check compares the COPIED bits of the active tree with the
 * refcounts on disk, so a snapshot operation that flips ownership (create,
 * delete) cannot update the two in separate writes without leaving a state
 * that check calls corrupt. Inside a transaction every refcount change goes
 * to a shadow copy of its refcount block at a free cluster, the refcount
 * table is rewritten at fresh clusters, and one 36-byte header write switches
 * L1 table, refcount table and snapshot table together. Until that write the
 * old image is untouched (new clusters are free in its view); after it the
 * new image is complete. Clusters are allocated only where both views say
 * free. */
#include "block/qcow2.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int qcow2_txn_begin(Qcow2State *s, Error *err)
{
    int ret = qcow2_flush_metadata(s, err);
    if (ret < 0) {
        return ret;
    }
    s->txn_old_reftable = malloc(s->reftable_entries * 8);
    s->txn_shadowed = calloc(s->reftable_entries, 1);
    if (!s->txn_old_reftable || !s->txn_shadowed) {
        free(s->txn_old_reftable);
        free(s->txn_shadowed);
        s->txn_old_reftable = NULL;
        s->txn_shadowed = NULL;
        error_setf(err, "out of memory");
        return -ENOMEM;
    }
    memcpy(s->txn_old_reftable, s->reftable, s->reftable_entries * 8);
    s->txn_old_entries = s->reftable_entries;
    s->txn = true;
    s->free_cluster_index = 0;
    return 0;
}

int qcow2_get_refcount_old(Qcow2State *s, uint64_t cluster, uint64_t *rc, Error *err)
{
    uint64_t ri = cluster >> s->rb_bits;
    *rc = 0;
    if (!s->txn) {
        return qcow2_get_refcount(s, cluster, rc, err);
    }
    uint64_t off = ri < s->txn_old_entries ? s->txn_old_reftable[ri] & REFT_OFFSET_MASK : 0;
    if (!off) {
        return 0;
    }
    uint8_t *block;
    int ret = qcow2_cache_get(s, &s->rb_cache, off, true, &block, err);
    if (ret == 0) {
        *rc = qcow2_refcount_entry_get(s, block, cluster & ((1ull << s->rb_bits) - 1));
    }
    return ret;
}

int qcow2_txn_grow(Qcow2State *s, uint64_t need_ri, Error *err)
{
    uint64_t per_cluster = s->cluster_size / 8;
    uint64_t cap = need_ri + 1 > s->reftable_entries * 2 ? need_ri + 1 : s->reftable_entries * 2;
    cap = (cap + per_cluster - 1) / per_cluster * per_cluster;
    if (cap * 8 > QCOW2_MAX_REFTABLE_BYTES) {
        error_setf(err, "refcount table would exceed %u MiB", QCOW2_MAX_REFTABLE_BYTES >> 20);
        return -EFBIG;
    }
    uint64_t *t = realloc(s->reftable, cap * 8);
    if (!t) {
        error_setf(err, "out of memory");
        return -ENOMEM;
    }
    s->reftable = t;
    uint8_t *sh = realloc(s->txn_shadowed, cap);
    if (!sh) {
        error_setf(err, "out of memory");
        return -ENOMEM;
    }
    s->txn_shadowed = sh;
    memset(t + s->reftable_entries, 0, (cap - s->reftable_entries) * 8);
    memset(sh + s->reftable_entries, 0, cap - s->reftable_entries);
    s->reftable_entries = cap;
    return 0;
}

/* Moves refcount block ri to a free cluster before its first change. */
int qcow2_txn_shadow(Qcow2State *s, uint64_t ri, Error *err)
{
    uint64_t old = qcow2_block_offset(s, ri), n;
    s->txn_shadowed[ri] = 1;
    int ret = qcow2_find_free_run(s, 1, &n, err);
    if (ret < 0) {
        return ret;
    }
    /* The hint moves past n so that allocations made while counting n
     * itself cannot pick it again. */
    s->free_cluster_index = n + 1;
    uint8_t *copy = malloc(s->cluster_size), *block;
    if (!copy) {
        error_setf(err, "out of memory");
        return -ENOMEM;
    }
    ret = qcow2_cache_get(s, &s->rb_cache, old, true, &block, err);
    if (ret == 0) {
        memcpy(copy, block, s->cluster_size);
        ret = qcow2_cache_get(s, &s->rb_cache, n << s->cluster_bits, false, &block, err);
    }
    if (ret == 0) {
        memcpy(block, copy, s->cluster_size);
        qcow2_cache_mark_dirty(&s->rb_cache, block);
        s->reftable[ri] = n << s->cluster_bits;
        ret = qcow2_update_refcount(s, n << s->cluster_bits, s->cluster_size, 1, err);
    }
    free(copy);
    if (ret == 0) {
        ret = qcow2_update_refcount(s, old, s->cluster_size, -1, err);
    }
    return ret;
}

static void qcow2_txn_end(Qcow2State *s)
{
    free(s->txn_old_reftable);
    free(s->txn_shadowed);
    s->txn_old_reftable = NULL;
    s->txn_shadowed = NULL;
    s->txn = false;
    s->free_cluster_index = 0;
}

void qcow2_txn_abort(Qcow2State *s)
{
    if (!s->txn) {
        return;
    }
    /* Nothing the old image references was written: forget the shadows. */
    qcow2_cache_drop_all(&s->rb_cache);
    qcow2_cache_drop_all(&s->l2_cache);
    free(s->reftable);
    s->reftable = s->txn_old_reftable;
    s->reftable_entries = s->txn_old_entries;
    s->txn_old_reftable = NULL;
    s->nr_pending_frees = 0;
    s->zbuf_entry = 0;
    qcow2_txn_end(s);
}

int qcow2_txn_commit(Qcow2State *s, uint32_t l1_size, uint64_t l1_offset, uint32_t nb_snapshots,
                     uint64_t snapshots_offset, Error *err)
{
    uint64_t cs = s->cluster_size;
    int ret = qcow2_update_refcount(s, s->reftable_offset, (uint64_t)s->reftable_clusters * cs,
                                    -1, err);
    uint64_t rt_clusters = 0, table_off = 0;
    while (ret == 0) {
        rt_clusters = qcow2_clusters(s, s->reftable_entries * 8);
        int64_t a = qcow2_alloc_clusters(s, rt_clusters, err);
        if (a < 0) {
            ret = (int)a;
            break;
        }
        table_off = (uint64_t)a;
        if (qcow2_clusters(s, s->reftable_entries * 8) == rt_clusters) {
            break;
        }
        /* the allocation itself grew the table: place a larger one */
        ret = qcow2_update_refcount(s, table_off, rt_clusters * cs, -1, err);
    }
    uint8_t *buf = ret == 0 ? calloc(rt_clusters, cs) : NULL;
    if (ret == 0 && !buf) {
        error_setf(err, "out of memory");
        ret = -ENOMEM;
    }
    if (ret == 0) {
        ret = qcow2_cache_flush(s, &s->l2_cache, err);
    }
    if (ret == 0) {
        ret = qcow2_flush_refcounts(s, err);
    }
    if (ret == 0) {
        for (uint64_t i = 0; i < s->reftable_entries; i++) {
            qcow2_put64(buf + i * 8, s->reftable[i]);
        }
        ret = qcow2_meta_write(s, table_off, buf, rt_clusters * cs, err, "refcount table");
    }
    free(buf);
    if (ret == 0) {
        ret = bdrv_sync(s->bs, err);
    }
    if (ret == 0) {
        uint8_t h[36];
        qcow2_put32(h, l1_size);
        qcow2_put64(h + 4, l1_offset);
        qcow2_put64(h + 12, table_off);
        qcow2_put32(h + 20, (uint32_t)rt_clusters);
        qcow2_put32(h + 24, nb_snapshots);
        qcow2_put64(h + 28, snapshots_offset);
        ret = qcow2_meta_write(s, QCOW2_HDR_L1, h, sizeof(h), err, "header");
    }
    if (ret < 0) {
        qcow2_txn_abort(s);
        return ret;
    }
    s->reftable_offset = table_off;
    s->reftable_clusters = (uint32_t)rt_clusters;
    /* Old refcount blocks are free now: no stale copy may be served. */
    qcow2_cache_drop_all(&s->rb_cache);
    qcow2_txn_end(s);
    /* Committed once the header write is done; a failing sync shows again
     * at the next flush. */
    Error ignored;
    error_init(&ignored);
    bdrv_sync(s->bs, &ignored);
    return 0;
}

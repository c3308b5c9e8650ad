/* qcow2 internal snapshots: the snapshot table (QEMU's layout), and
 * create / goto / delete / list with per-path refcounts.
 *
 * Crash safety: every table is written to fresh clusters and made current
 * by one header write after a sync; what the old table referenced is freed
 * only afterwards. */
#include "block/qcow2.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define QCOW2_SN_FIXED 40
#define QCOW2_MAX_SNAPSHOTS_SIZE (64u << 20)

static void qcow2_free_snapshot_list(Qcow2Snapshot *list, uint32_t n)
{
    for (uint32_t i = 0; list && i < n; i++) {
        free(list[i].id);
        free(list[i].name);
        free(list[i].extra_unknown);
    }
    free(list);
}

void qcow2_free_snapshots(Qcow2State *s)
{
    qcow2_free_snapshot_list(s->snapshots, s->nb_snapshots);
    s->snapshots = NULL;
    s->nb_snapshots = 0;
}

int qcow2_read_snapshots(Qcow2State *s, Error *err)
{
    uint32_t n = s->nb_snapshots;
    s->nb_snapshots = 0;
    s->snapshots_size = 0;
    if (n == 0) {
        return 0;
    }
    s->snapshots = calloc(n, sizeof(Qcow2Snapshot));
    if (!s->snapshots) {
        error_setf(err, "out of memory for %u snapshots", n);
        return -ENOMEM;
    }
    uint64_t off = s->snapshots_offset, pos = 0;
    int fd = s->bs->fd;
    for (uint32_t i = 0; i < n; i++) {
        pos = (pos + 7) & ~7ull;
        uint8_t h[QCOW2_SN_FIXED + QCOW2_SNAPSHOT_EXTRA_LEN];
        int ret = bdrv_pread_full(fd, off + pos, h, QCOW2_SN_FIXED, false, err,
                                  "snapshot table");
        if (ret < 0) {
            return ret;
        }
        Qcow2Snapshot *sn = &s->snapshots[i];
        s->nb_snapshots = i + 1;
        sn->l1_offset = qcow2_be64(h);
        sn->l1_size = qcow2_be32(h + 8);
        uint16_t id_len = qcow2_be16(h + 12), name_len = qcow2_be16(h + 14);
        sn->date_sec = qcow2_be32(h + 16);
        sn->date_nsec = qcow2_be32(h + 20);
        sn->vm_clock_nsec = qcow2_be64(h + 24);
        sn->vm_state_size = qcow2_be32(h + 32);
        sn->extra_size = qcow2_be32(h + 36);
        sn->disk_size = s->size;
        sn->icount = BLOCK_ICOUNT_NONE;
        if (sn->extra_size > QCOW2_MAX_SNAPSHOT_EXTRA) {
            error_setf(err, "Too much extra metadata in snapshot table entry %u", i);
            return -EFBIG;
        }
        pos += QCOW2_SN_FIXED;
        uint8_t extra[QCOW2_MAX_SNAPSHOT_EXTRA];
        ret = bdrv_pread_full(fd, off + pos, extra, sn->extra_size, false, err, "snapshot table");
        if (ret < 0) {
            return ret;
        }
        if (sn->extra_size >= 8) {
            sn->vm_state_size = qcow2_be64(extra);
        }
        if (sn->extra_size >= 16) {
            sn->disk_size = qcow2_be64(extra + 8);
        }
        if (sn->extra_size >= 24) {
            sn->icount = qcow2_be64(extra + 16);
        }
        if (sn->extra_size > QCOW2_SNAPSHOT_EXTRA_LEN) {
            sn->extra_unknown_len = sn->extra_size - QCOW2_SNAPSHOT_EXTRA_LEN;
            sn->extra_unknown = malloc(sn->extra_unknown_len);
            if (!sn->extra_unknown) {
                error_setf(err, "out of memory");
                return -ENOMEM;
            }
            memcpy(sn->extra_unknown, extra + QCOW2_SNAPSHOT_EXTRA_LEN, sn->extra_unknown_len);
        }
        pos += sn->extra_size;
        sn->id = calloc(1, (size_t)id_len + 1);
        sn->name = calloc(1, (size_t)name_len + 1);
        if (!sn->id || !sn->name) {
            error_setf(err, "out of memory");
            return -ENOMEM;
        }
        ret = bdrv_pread_full(fd, off + pos, sn->id, id_len, false, err, "snapshot table");
        if (ret == 0) {
            ret = bdrv_pread_full(fd, off + pos + id_len, sn->name, name_len, false, err,
                                  "snapshot table");
        }
        if (ret < 0) {
            return ret;
        }
        pos += (uint64_t)id_len + name_len;
        if (pos > QCOW2_MAX_SNAPSHOTS_SIZE) {
            error_setf(err, "Snapshot table too large");
            return -EFBIG;
        }
    }
    s->snapshots_size = pos;
    return 0;
}

static uint64_t qcow2_snapshot_entry_len(const Qcow2Snapshot *sn)
{
    uint32_t extra = sn->extra_size > QCOW2_SNAPSHOT_EXTRA_LEN ? sn->extra_size
                                                               : QCOW2_SNAPSHOT_EXTRA_LEN;
    return QCOW2_SN_FIXED + extra + strlen(sn->id) + strlen(sn->name);
}

/* Writes list as a snapshot table at fresh clusters (inside a
 * transaction); the header switch is the commit's. */
static int qcow2_write_snapshot_table(Qcow2State *s, const Qcow2Snapshot *list, uint32_t n,
                                      uint64_t *off_out, uint64_t *len_out, Error *err)
{
    uint64_t len = 0;
    *off_out = *len_out = 0;
    for (uint32_t i = 0; i < n; i++) {
        len = ((len + 7) & ~7ull) + qcow2_snapshot_entry_len(&list[i]);
    }
    if (n == 0) {
        return 0;                /* QEMU writes offset 0 for an empty table */
    }
    uint8_t *buf = calloc(1, len);
    if (!buf) {
        error_setf(err, "out of memory for the snapshot table");
        return -ENOMEM;
    }
    uint64_t pos = 0;
    for (uint32_t i = 0; i < n; i++) {
        const Qcow2Snapshot *sn = &list[i];
        pos = (pos + 7) & ~7ull;
        uint8_t *p = buf + pos;
        size_t id_len = strlen(sn->id), name_len = strlen(sn->name);
        uint32_t extra = QCOW2_SNAPSHOT_EXTRA_LEN + sn->extra_unknown_len;
        qcow2_put64(p, sn->l1_offset);
        qcow2_put32(p + 8, sn->l1_size);
        qcow2_put16(p + 12, (uint16_t)id_len);
        qcow2_put16(p + 14, (uint16_t)name_len);
        qcow2_put32(p + 16, sn->date_sec);
        qcow2_put32(p + 20, sn->date_nsec);
        qcow2_put64(p + 24, sn->vm_clock_nsec);
        qcow2_put32(p + 32, sn->vm_state_size > 0xffffffffull ? 0 : (uint32_t)sn->vm_state_size);
        qcow2_put32(p + 36, extra);
        qcow2_put64(p + 40, sn->vm_state_size);
        qcow2_put64(p + 48, sn->disk_size);
        qcow2_put64(p + 56, sn->icount);
        if (sn->extra_unknown_len) {
            memcpy(p + 64, sn->extra_unknown, sn->extra_unknown_len);
        }
        memcpy(p + QCOW2_SN_FIXED + extra, sn->id, id_len);
        memcpy(p + QCOW2_SN_FIXED + extra + id_len, sn->name, name_len);
        pos += QCOW2_SN_FIXED + extra + id_len + name_len;
    }
    int64_t a = qcow2_alloc_clusters(s, qcow2_clusters(s, len), err);
    int ret = a < 0 ? (int)a : qcow2_meta_write(s, (uint64_t)a, buf, len, err, "snapshot table");
    free(buf);
    if (ret == 0) {
        *off_out = (uint64_t)a;
        *len_out = len;
    }
    return ret;
}

int qcow2_find_snapshot(Qcow2State *s, const char *key, bool by_id_first)
{
    if (by_id_first) {
        for (uint32_t i = 0; i < s->nb_snapshots; i++) {
            if (strcmp(s->snapshots[i].id, key) == 0) {
                return (int)i;
            }
        }
    }
    for (uint32_t i = 0; i < s->nb_snapshots; i++) {
        if (strcmp(s->snapshots[i].name, key) == 0) {
            return (int)i;
        }
    }
    return -1;
}

int qcow2_snapshot_list(BlockDriverState *bs, BlockSnapshotInfo **list, Error *err)
{
    Qcow2State *s = bs->opaque;
    *list = calloc(s->nb_snapshots ? s->nb_snapshots : 1, sizeof(BlockSnapshotInfo));
    if (!*list) {
        error_setf(err, "out of memory");
        return -ENOMEM;
    }
    for (uint32_t i = 0; i < s->nb_snapshots; i++) {
        const Qcow2Snapshot *sn = &s->snapshots[i];
        BlockSnapshotInfo *o = &(*list)[i];
        snprintf(o->id, sizeof(o->id), "%s", sn->id);
        snprintf(o->name, sizeof(o->name), "%s", sn->name);
        o->date_sec = sn->date_sec;
        o->date_nsec = sn->date_nsec;
        o->vm_clock_nsec = sn->vm_clock_nsec;
        o->vm_state_size = sn->vm_state_size;
        o->disk_size = sn->disk_size;
        o->icount = sn->icount;
    }
    return (int)s->nb_snapshots;
}


static int qcow2_write_new_l1(Qcow2State *s, const uint64_t *l1, uint32_t n, uint64_t *off,
                              Error *err)
{
    *off = 0;
    if (n == 0) {
        return 0;
    }
    uint8_t *buf = malloc((size_t)n * 8);
    if (!buf) {
        error_setf(err, "out of memory");
        return -ENOMEM;
    }
    for (uint32_t i = 0; i < n; i++) {
        qcow2_put64(buf + (size_t)i * 8, l1[i]);
    }
    int64_t a = qcow2_alloc_clusters(s, qcow2_clusters(s, (uint64_t)n * 8), err);
    int ret = a < 0 ? (int)a : 0;
    if (ret == 0) {
        *off = (uint64_t)a;
        ret = qcow2_meta_write(s, *off, buf, (size_t)n * 8, err, "L1 table");
    }
    free(buf);
    return ret;
}

/* Copies L2 table old to a new cluster with each COPIED bit set from the
 * (new) refcount of its cluster, for the active L1 to use. */
static int qcow2_copy_l2(Qcow2State *s, uint64_t old, bool all_shared, uint64_t *new_off,
                         Error *err)
{
    uint8_t *t, *copy = malloc(s->cluster_size);
    if (!copy) {
        error_setf(err, "out of memory");
        return -ENOMEM;
    }
    int ret = qcow2_cache_get(s, &s->l2_cache, old, true, &t, err);
    if (ret == 0) {
        memcpy(copy, t, s->cluster_size);
    }
    for (uint64_t j = 0; ret == 0 && j < s->l2_entries; j++) {
        uint64_t e = qcow2_be64(copy + j * 8), rc = 2;
        Qcow2ClusterType ty = qcow2_cluster_type(s, e);
        if (ty != QCOW2_CLUSTER_NORMAL && ty != QCOW2_CLUSTER_ZERO_ALLOC) {
            continue;
        }
        if (!all_shared) {
            ret = qcow2_get_refcount(s, (e & L2E_OFFSET_MASK) >> s->cluster_bits, &rc, err);
        }
        e = (e & ~QCOW_OFLAG_COPIED) | (rc == 1 ? QCOW_OFLAG_COPIED : 0);
        qcow2_put64(copy + j * 8, e);
    }
    int64_t a = ret == 0 ? qcow2_alloc_clusters(s, 1, err) : ret;
    if (a >= 0) {
        ret = qcow2_cache_get(s, &s->l2_cache, (uint64_t)a, false, &t, err);
        if (ret == 0) {
            memcpy(t, copy, s->cluster_size);
            qcow2_cache_mark_dirty(&s->l2_cache, t);
            *new_off = (uint64_t)a;
        }
    } else {
        ret = (int)a;
    }
    free(copy);
    return ret;
}

/* Does table off need its COPIED bits changed for the active tree? */
static int qcow2_l2_needs_fix(Qcow2State *s, uint64_t off, bool *fix, Error *err)
{
    uint8_t *t;
    *fix = false;
    int ret = qcow2_cache_get(s, &s->l2_cache, off, true, &t, err);
    for (uint64_t j = 0; ret == 0 && j < s->l2_entries && !*fix; j++) {
        ret = qcow2_cache_get(s, &s->l2_cache, off, true, &t, err);
        uint64_t e = ret == 0 ? qcow2_be64(t + j * 8) : 0, rc;
        Qcow2ClusterType ty = qcow2_cluster_type(s, e);
        if (ret < 0 || (ty != QCOW2_CLUSTER_NORMAL && ty != QCOW2_CLUSTER_ZERO_ALLOC)) {
            continue;
        }
        ret = qcow2_get_refcount(s, (e & L2E_OFFSET_MASK) >> s->cluster_bits, &rc, err);
        *fix = ret == 0 && ((rc == 1) != ((e & QCOW_OFLAG_COPIED) != 0));
    }
    return ret;
}

static void qcow2_snapshot_fail(Qcow2State *s, uint64_t *vm_l1, uint32_t vm_n)
{
    qcow2_txn_abort(s);
    if (vm_n) {
        /* never referenced: give the VM state clusters back */
        qcow2_update_tree_refcounts(s, vm_l1, vm_n, -1, NULL);
    }
    Error ignored;
    error_init(&ignored);
    qcow2_flush_metadata(s, &ignored);
}

int qcow2_snapshot_create(BlockDriverState *bs, BlockSnapshotInfo *info, BlockVmstate *vm,
                          Error *err)
{
    Qcow2State *s = bs->opaque;
    uint64_t *vm_l1 = NULL, *sn_l1 = NULL, *new_l1 = NULL, vm_size = 0;
    uint32_t vm_n = 0;
    Qcow2Snapshot *list = NULL;
    int ret = 0;
    if (s->nb_snapshots >= QCOW2_MAX_SNAPSHOTS) {
        error_setf(err, "Too many snapshots (%u)", s->nb_snapshots);
        ret = -EFBIG;
    } else if (strlen(info->name) > 255 || strlen(info->id) > 127) {
        error_setf(err, "snapshot name or id too long");
        ret = -EINVAL;
    } else if (info->id[0]) {
        for (uint32_t i = 0; i < s->nb_snapshots; i++) {
            if (!strcmp(s->snapshots[i].id, info->id)) {
                error_setf(err, "a snapshot with id '%s' already exists", info->id);
                ret = -EEXIST;
            }
        }
    } else {
        unsigned long max = 0;
        for (uint32_t i = 0; i < s->nb_snapshots; i++) {
            unsigned long v = strtoul(s->snapshots[i].id, NULL, 10);
            max = v > max ? v : max;
        }
        snprintf(info->id, sizeof(info->id), "%lu", max + 1);
    }
    if (ret == 0) {
        ret = qcow2_flush_metadata(s, err);
    }
    if (ret < 0) {
        if (vm) {
            qcow2_vmstate_release(vm, true);
        }
        return ret;
    }
    if (vm) {
        ret = qcow2_vmstate_finish(vm, s, &vm_l1, &vm_n, &vm_size, err);
        if (ret < 0) {
            return ret;
        }
    }
    /* Snapshot L1: the disk part of the active L1, then the VM state tables
     * from the VM state's L1 index on. */
    uint32_t vm_index = (uint32_t)qcow2_size_to_l1(s, s->size);
    uint32_t copy_n = vm_n ? (vm_index < s->l1_size ? vm_index : s->l1_size) : s->l1_size;
    uint32_t sn_n = vm_n ? vm_index + vm_n : s->l1_size;
    uint64_t sn_off = 0, new_off = 0, toff = 0, tlen = 0;
    sn_l1 = calloc(sn_n ? sn_n : 1, 8);
    new_l1 = calloc(s->l1_size ? s->l1_size : 1, 8);
    list = calloc((size_t)s->nb_snapshots + 1, sizeof(*list));
    if (!sn_l1 || !new_l1 || !list) {
        error_setf(err, "out of memory");
        ret = -ENOMEM;
    }
    if (ret == 0) {
        ret = qcow2_txn_begin(s, err);
    }
    if (ret == 0) {
        memcpy(sn_l1, s->l1, (size_t)copy_n * 8);
        memcpy(new_l1, s->l1, (size_t)s->l1_size * 8);
        if (vm_n) {
            memcpy(sn_l1 + vm_index, vm_l1, (size_t)vm_n * 8);
        }
    }
    /* Each disk L2 table gains the snapshot's path. Tables the active L1
     * owned alone stay with the snapshot; the active L1 gets copies whose
     * COPIED bits are right from the start. */
    for (uint32_t i = 0; ret == 0 && i < copy_n; i++) {
        uint64_t l2 = s->l1[i] & L1E_OFFSET_MASK, rc;
        if (!l2) {
            continue;
        }
        ret = qcow2_get_refcount(s, l2 >> s->cluster_bits, &rc, err);
        if (ret == 0) {
            ret = qcow2_update_tree_refcounts(s, &s->l1[i], 1, 1, err);
        }
        if (ret == 0 && rc == 1) {
            uint64_t copy;
            ret = qcow2_copy_l2(s, l2, true, &copy, err);
            if (ret == 0) {
                ret = qcow2_update_refcount(s, l2, s->cluster_size, -1, err);
                new_l1[i] = copy | QCOW_OFLAG_COPIED;
            }
        } else {
            new_l1[i] &= ~QCOW_OFLAG_COPIED;
        }
    }
    if (ret == 0) {
        ret = qcow2_write_new_l1(s, sn_l1, sn_n, &sn_off, err);
    }
    if (ret == 0) {
        ret = qcow2_write_new_l1(s, new_l1, s->l1_size, &new_off, err);
    }
    if (ret == 0 && s->l1_size) {
        ret = qcow2_update_refcount(s, s->l1_offset, (uint64_t)s->l1_size * 8, -1, err);
    }
    Qcow2Snapshot *sn = list ? &list[s->nb_snapshots] : NULL;
    if (ret == 0) {
        if (s->nb_snapshots) {   /* s->snapshots is NULL while the table is empty */
            memcpy(list, s->snapshots, (size_t)s->nb_snapshots * sizeof(*list));
        }
        sn->l1_offset = sn_off;
        sn->l1_size = sn_n;
        sn->id = strdup(info->id);
        sn->name = strdup(info->name);
        sn->date_sec = info->date_sec;
        sn->date_nsec = info->date_nsec;
        sn->vm_clock_nsec = info->vm_clock_nsec;
        sn->vm_state_size = vm_size;
        sn->disk_size = s->size;
        sn->icount = info->icount;
        sn->extra_size = QCOW2_SNAPSHOT_EXTRA_LEN;
        if (!sn->id || !sn->name) {
            error_setf(err, "out of memory");
            ret = -ENOMEM;
        }
    }
    if (ret == 0) {
        ret = qcow2_write_snapshot_table(s, list, s->nb_snapshots + 1, &toff, &tlen, err);
    }
    if (ret == 0 && s->snapshots_size) {
        ret = qcow2_update_refcount(s, s->snapshots_offset, s->snapshots_size, -1, err);
    }
    if (ret == 0) {
        ret = qcow2_txn_commit(s, s->l1_size, new_off, s->nb_snapshots + 1, toff, err);
    }
    if (ret < 0) {
        if (sn) {
            free(sn->id);
            free(sn->name);
        }
        qcow2_snapshot_fail(s, vm_l1, vm_n);
        free(list);
        free(sn_l1);
        free(new_l1);
        free(vm_l1);
        return ret;
    }
    free(s->snapshots);
    s->snapshots = list;
    s->nb_snapshots++;
    s->snapshots_offset = toff;
    s->snapshots_size = tlen;
    free(s->l1);
    s->l1 = new_l1;
    s->l1_offset = new_off;
    s->zbuf_entry = 0;
    info->vm_state_size = vm_size;
    info->disk_size = s->size;
    free(sn_l1);
    free(vm_l1);
    return ret;
}

static int qcow2_snapshot_l1(Qcow2State *s, const Qcow2Snapshot *sn, uint64_t **l1, Error *err)
{
    int ret = qcow2_validate_table(s, sn->l1_offset, sn->l1_size, 8, QCOW2_MAX_L1_BYTES,
                                   "Snapshot L1 table", err);
    return ret < 0 ? ret : qcow2_read_l1(s, sn->l1_offset, sn->l1_size, l1, err);
}

static bool qcow2_in_l1(const uint64_t *l1, uint32_t n, uint64_t l2)
{
    for (uint32_t i = 0; i < n; i++) {
        if ((l1[i] & L1E_OFFSET_MASK) == l2) {
            return true;
        }
    }
    return false;
}

static void qcow2_install_l1(Qcow2State *s, uint64_t *l1, uint64_t off)
{
    if (l1 != s->l1) {
        free(s->l1);
        s->l1 = l1;
    }
    s->l1_offset = off;
    s->zbuf_entry = 0;
}

int qcow2_snapshot_goto(BlockDriverState *bs, const char *id_or_name, Error *err)
{
    Qcow2State *s = bs->opaque;
    int i = qcow2_find_snapshot(s, id_or_name, true);
    if (i < 0) {
        error_setf(err, "Failed to load snapshot: %s", strerror(ENOENT));
        return -ENOENT;
    }
    const Qcow2Snapshot *sn = &s->snapshots[i];
    if (sn->disk_size != s->size) {
        error_setf(err, "snapshot '%s' has a disk size of %llu bytes, the image now %llu: "
                   "resizing is not supported", sn->name, (unsigned long long)sn->disk_size,
                   (unsigned long long)s->size);
        return -ENOTSUP;
    }
    uint64_t *sn_l1 = NULL, *new_l1 = calloc(s->l1_size ? s->l1_size : 1, 8), new_off = 0;
    int ret = 0;
    if (!new_l1) {
        error_setf(err, "out of memory");
        ret = -ENOMEM;
    }
    if (ret == 0) {
        ret = qcow2_snapshot_l1(s, sn, &sn_l1, err);
    }
    if (ret == 0) {
        ret = qcow2_txn_begin(s, err);
    }
    /* The active L1 keeps its size: entries past it in the snapshot only
     * hold the VM state, which the disk does not need. Everything it points
     * at is shared with the snapshot, so no COPIED bit is set. */
    uint32_t n = ret == 0 && sn->l1_size < s->l1_size ? sn->l1_size : s->l1_size;
    for (uint32_t k = 0; ret == 0 && k < n; k++) {
        new_l1[k] = sn_l1[k] & ~QCOW_OFLAG_COPIED;
        uint64_t l2 = new_l1[k] & L1E_OFFSET_MASK;
        if (!l2 || qcow2_in_l1(s->l1, s->l1_size, l2)) {
            continue;
        }
        /* Only snapshots use this table until the switch (their COPIED bits
         * do not count): clear stale bits in place. */
        for (uint64_t j = 0; ret == 0 && j < s->l2_entries; j++) {
            uint8_t *t;
            ret = qcow2_cache_get(s, &s->l2_cache, l2, true, &t, err);
            uint64_t e = ret == 0 ? qcow2_be64(t + j * 8) : 0;
            Qcow2ClusterType ty = qcow2_cluster_type(s, e);
            if ((ty == QCOW2_CLUSTER_NORMAL || ty == QCOW2_CLUSTER_ZERO_ALLOC) &&
                (e & QCOW_OFLAG_COPIED)) {
                qcow2_put64(t + j * 8, e & ~QCOW_OFLAG_COPIED);
                qcow2_cache_mark_dirty(&s->l2_cache, t);
            }
        }
    }
    if (ret == 0) {
        ret = qcow2_update_tree_refcounts(s, new_l1, s->l1_size, 1, err);
    }
    if (ret == 0) {
        ret = qcow2_update_tree_refcounts(s, s->l1, s->l1_size, -1, err);
    }
    if (ret == 0 && s->l1_size) {
        ret = qcow2_update_refcount(s, s->l1_offset, (uint64_t)s->l1_size * 8, -1, err);
    }
    if (ret == 0) {
        ret = qcow2_write_new_l1(s, new_l1, s->l1_size, &new_off, err);
    }
    if (ret == 0) {
        ret = qcow2_txn_commit(s, s->l1_size, new_off, s->nb_snapshots, s->snapshots_offset, err);
    }
    free(sn_l1);
    if (ret < 0) {
        qcow2_snapshot_fail(s, NULL, 0);
        free(new_l1);
        return ret;
    }
    qcow2_install_l1(s, new_l1, new_off);
    return 0;
}

int qcow2_snapshot_delete(BlockDriverState *bs, const char *name, Error *err)
{
    Qcow2State *s = bs->opaque;
    int i = qcow2_find_snapshot(s, name, false);
    if (i < 0) {
        error_setf(err, "snapshot not found");
        return -ENOENT;
    }
    Qcow2Snapshot victim = s->snapshots[i];
    uint64_t *sn_l1 = NULL, *new_l1 = malloc(s->l1_size ? (size_t)s->l1_size * 8 : 8);
    Qcow2Snapshot *list = calloc(s->nb_snapshots, sizeof(*list));
    uint64_t toff = 0, tlen = 0, new_off = s->l1_offset;
    bool changed = false;
    int ret = 0;
    if (!new_l1 || !list) {
        error_setf(err, "out of memory");
        ret = -ENOMEM;
    }
    if (ret == 0) {
        ret = qcow2_snapshot_l1(s, &victim, &sn_l1, err);
    }
    if (ret == 0) {
        ret = qcow2_txn_begin(s, err);
    }
    if (ret == 0) {
        memcpy(new_l1, s->l1, (size_t)s->l1_size * 8);
        ret = qcow2_update_tree_refcounts(s, sn_l1, victim.l1_size, -1, err);
    }
    if (ret == 0 && victim.l1_size) {
        ret = qcow2_update_refcount(s, victim.l1_offset, (uint64_t)victim.l1_size * 8, -1, err);
    }
    /* Clusters the active L1 now owns alone need COPIED: tables whose bits
     * change are copied, since the old image still uses them. */
    for (uint32_t k = 0; ret == 0 && k < s->l1_size; k++) {
        uint64_t l2 = s->l1[k] & L1E_OFFSET_MASK, rc;
        bool fix;
        if (!l2) {
            continue;
        }
        ret = qcow2_l2_needs_fix(s, l2, &fix, err);
        if (ret == 0 && fix) {
            uint64_t copy;
            ret = qcow2_copy_l2(s, l2, false, &copy, err);
            if (ret == 0) {
                ret = qcow2_update_refcount(s, l2, s->cluster_size, -1, err);
                new_l1[k] = copy | QCOW_OFLAG_COPIED;
                changed = true;
            }
            continue;
        }
        if (ret == 0) {
            ret = qcow2_get_refcount(s, l2 >> s->cluster_bits, &rc, err);
        }
        uint64_t want = rc == 1 ? QCOW_OFLAG_COPIED : 0;
        if (ret == 0 && (s->l1[k] & QCOW_OFLAG_COPIED) != want) {
            new_l1[k] = (s->l1[k] & ~QCOW_OFLAG_COPIED) | want;
            changed = true;
        }
    }
    uint32_t n = 0;
    for (uint32_t k = 0; ret == 0 && k < s->nb_snapshots; k++) {
        if ((int)k != i) {
            list[n++] = s->snapshots[k];
        }
    }
    if (ret == 0) {
        ret = qcow2_write_snapshot_table(s, list, n, &toff, &tlen, err);
    }
    if (ret == 0 && s->snapshots_size) {
        ret = qcow2_update_refcount(s, s->snapshots_offset, s->snapshots_size, -1, err);
    }
    if (ret == 0 && changed) {
        ret = qcow2_write_new_l1(s, new_l1, s->l1_size, &new_off, err);
        if (ret == 0 && s->l1_size) {
            ret = qcow2_update_refcount(s, s->l1_offset, (uint64_t)s->l1_size * 8, -1, err);
        }
    }
    if (ret == 0) {
        ret = qcow2_txn_commit(s, s->l1_size, new_off, n, toff, err);
    }
    free(sn_l1);
    if (ret < 0) {
        qcow2_snapshot_fail(s, NULL, 0);
        free(new_l1);
        free(list);
        return ret;
    }
    free(victim.id);
    free(victim.name);
    free(victim.extra_unknown);
    free(s->snapshots);
    s->snapshots = list;
    s->nb_snapshots = n;
    s->snapshots_offset = toff;
    s->snapshots_size = tlen;
    if (changed) {
        qcow2_install_l1(s, new_l1, new_off);
    } else {
        free(new_l1);
    }
    return 0;
}

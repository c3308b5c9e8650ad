/* qcow2 consistency check and repair, counting as qemu-img check counts:
 * every cluster's expected refcount is the number of references to it
 * (header, tables, and per L1 -> L2 path for data), compared with the
 * refcount on disk. Findings go to the image's Reporter in QEMU's wording
 * (amber-img prints them on stderr, as qemu-img does). */
#include "block/qcow2.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

typedef struct CheckCtx {
    Qcow2State *s;
    const Reporter *report;      /* the image's: findings, one line each */
    BlockCheckResult *res;
    uint32_t *refs;
    uint64_t nb_clusters;
    uint64_t next_contiguous;
    uint8_t *l2buf;
} CheckCtx;

static void check_inc(CheckCtx *c, uint64_t off, uint64_t len)
{
    if (len == 0) {
        return;
    }
    uint64_t first = off >> c->s->cluster_bits, last = (off + len - 1) >> c->s->cluster_bits;
    if (last >= c->nb_clusters) {
        report_printf(c->report, "ERROR: counting reference for region exceeding the end of "
                      "the file by one cluster or more: offset 0x%" PRIx64 " size 0x%" PRIx64,
                      off, len);
        c->res->corruptions++;
        return;
    }
    for (uint64_t i = first; i <= last; i++) {
        if (c->refs[i] != UINT32_MAX) {
            c->refs[i]++;
        }
    }
}

static int check_l2(CheckCtx *c, uint64_t l2off, bool active)
{
    Qcow2State *s = c->s;
    Error err;
    error_init(&err);
    if (bdrv_pread_full(s->bs->fd, l2off, c->l2buf, s->cluster_size, true, &err, "L2 table") < 0) {
        report_printf(c->report, "ERROR: %s", err.msg);
        c->res->check_errors++;
        return -EIO;
    }
    for (uint64_t j = 0; j < s->l2_entries; j++) {
        uint64_t e = qcow2_be64(c->l2buf + j * 8);
        switch (qcow2_cluster_type(s, e)) {
        case QCOW2_CLUSTER_COMPRESSED: {
            if (e & QCOW_OFLAG_COPIED) {
                uint64_t off, len;
                qcow2_compressed_range(s, e, &off, &len);
                report_printf(c->report, "ERROR: coffset=0x%" PRIx64 ": copied flag must never "
                              "be set for compressed clusters", off);
                e &= ~QCOW_OFLAG_COPIED;
                c->res->corruptions++;
            }
            uint64_t off, len;
            qcow2_compressed_range(s, e, &off, &len);
            check_inc(c, off, len);
            if (active) {
                /* fragmented by nature, as QEMU counts them */
                c->res->allocated_clusters++;
                c->res->compressed_clusters++;
                c->res->fragmented_clusters++;
            }
            break;
        }
        case QCOW2_CLUSTER_NORMAL:
        case QCOW2_CLUSTER_ZERO_ALLOC: {
            if (e & L2E_STD_RESERVED_MASK) {
                report_printf(c->report, "ERROR found l2 entry with reserved bits set: %" PRIx64,
                              e);
                c->res->corruptions++;
            }
            uint64_t off = e & L2E_OFFSET_MASK;
            if (active) {
                c->res->allocated_clusters++;
                if (c->next_contiguous && off != c->next_contiguous) {
                    c->res->fragmented_clusters++;
                }
                c->next_contiguous = off + s->cluster_size;
            }
            check_inc(c, off, s->cluster_size);
            break;
        }
        default:
            break;
        }
    }
    return 0;
}

static void check_l1(CheckCtx *c, uint64_t l1off, uint32_t l1_size, bool active)
{
    Qcow2State *s = c->s;
    if (l1_size == 0) {
        return;
    }
    check_inc(c, l1off, (uint64_t)l1_size * 8);
    uint64_t *l1;
    Error err;
    error_init(&err);
    if (qcow2_read_l1(s, l1off, l1_size, &l1, &err) < 0) {
        report_printf(c->report, "ERROR: %s", err.msg);
        c->res->check_errors++;
        return;
    }
    for (uint32_t i = 0; i < l1_size; i++) {
        uint64_t l2off = l1[i] & L1E_OFFSET_MASK;
        if (l1[i] & L1E_RESERVED_MASK) {
            report_printf(c->report, "ERROR found L1 entry with reserved bits set: %" PRIx64,
                          l1[i]);
            c->res->corruptions++;
        }
        if (!l2off) {
            continue;
        }
        if (l2off & (s->cluster_size - 1)) {
            report_printf(c->report, "ERROR l2_offset=%" PRIx64 ": Table is not cluster "
                          "aligned; L1 entry corrupted", l2off);
            c->res->corruptions++;
            continue;
        }
        check_inc(c, l2off, s->cluster_size);
        check_l2(c, l2off, active);
    }
    free(l1);
}

static int check_compare(CheckCtx *c, int fix, uint64_t *highest)
{
    Qcow2State *s = c->s;
    *highest = 0;
    for (uint64_t i = 0; i < c->nb_clusters; i++) {
        uint64_t rc;
        Error err;
        error_init(&err);
        if (qcow2_get_refcount(s, i, &rc, &err) < 0) {
            report_printf(c->report, "Can't get refcount for cluster %" PRIu64 ": %s", i, err.msg);
            c->res->check_errors++;
            continue;
        }
        uint64_t want = c->refs[i];
        if (rc || want) {
            *highest = i + 1;
        }
        if (rc == want) {
            continue;
        }
        bool leak = rc > want;
        bool repair = leak ? (fix & BDRV_FIX_LEAKS) : (fix & BDRV_FIX_ERRORS);
        report_printf(c->report, "%s cluster %" PRIu64 " refcount=%" PRIu64 " reference=%" PRIu64,
                      repair ? "Repairing" : leak ? "Leaked" : "ERROR", i, rc, want);
        if (repair && qcow2_update_refcount(s, i << s->cluster_bits, s->cluster_size,
                                            (int64_t)want - (int64_t)rc, &err) == 0) {
            if (leak) {
                c->res->leaks_fixed++;
            } else {
                c->res->corruptions_fixed++;
            }
            continue;            /* as QEMU: a repaired problem is not counted again */
        }
        if (leak) {
            c->res->leaks++;
        } else {
            c->res->corruptions++;
        }
    }
    return 0;
}

static void check_oflag_copied(CheckCtx *c, int fix)
{
    Qcow2State *s = c->s;
    bool repair = fix & BDRV_FIX_ERRORS;
    for (uint32_t i = 0; i < s->l1_size; i++) {
        uint64_t l1e = s->l1[i], l2off = l1e & L1E_OFFSET_MASK, rc;
        Error err;
        error_init(&err);
        if (!l2off || (l2off & (s->cluster_size - 1)) ||
            qcow2_get_refcount(s, l2off >> s->cluster_bits, &rc, &err) < 0) {
            continue;
        }
        if ((rc == 1) != ((l1e & QCOW_OFLAG_COPIED) != 0)) {
            report_printf(c->report, "%s OFLAG_COPIED L2 cluster: l1_index=%u l1_entry=%" PRIx64
                          " refcount=%" PRIu64, repair ? "Repairing" : "ERROR", i, l1e, rc);
            if (repair) {
                c->res->corruptions_fixed++;
            } else {
                c->res->corruptions++;
            }
        }
        if (bdrv_pread_full(s->bs->fd, l2off, c->l2buf, s->cluster_size, true, &err,
                            "L2 table") < 0) {
            continue;
        }
        for (uint64_t j = 0; j < s->l2_entries; j++) {
            uint64_t e = qcow2_be64(c->l2buf + j * 8);
            Qcow2ClusterType t = qcow2_cluster_type(s, e);
            if (t != QCOW2_CLUSTER_NORMAL && t != QCOW2_CLUSTER_ZERO_ALLOC) {
                continue;
            }
            if (qcow2_get_refcount(s, (e & L2E_OFFSET_MASK) >> s->cluster_bits, &rc, &err) < 0) {
                continue;
            }
            if ((rc == 1) != ((e & QCOW_OFLAG_COPIED) != 0)) {
                report_printf(c->report, "%s OFLAG_COPIED data cluster: l2_entry=%" PRIx64
                              " refcount=%" PRIu64, repair ? "Repairing" : "ERROR", e, rc);
                if (repair) {
                    c->res->corruptions_fixed++;
                } else {
                    c->res->corruptions++;
                }
            }
        }
    }
}

int qcow2_check(BlockDriverState *bs, BlockCheckResult *res, int fix, Error *err)
{
    Qcow2State *s = bs->opaque;
    memset(res, 0, sizeof(*res));
    int ret = 0;
    if (!bs->read_only) {
        ret = qcow2_flush_metadata(s, err);
        if (ret < 0) {
            return ret;
        }
    }
    struct stat st;
    if (fstat(bs->fd, &st) < 0) {
        error_setf(err, "%s", strerror(errno));
        return -errno;
    }
    CheckCtx c = { .s = s, .res = res, .report = &bs->report };
    c.nb_clusters = qcow2_clusters(s, (uint64_t)st.st_size);
    c.refs = calloc(c.nb_clusters ? c.nb_clusters : 1, sizeof(uint32_t));
    c.l2buf = malloc(s->cluster_size);
    if (!c.refs || !c.l2buf) {
        free(c.refs);
        free(c.l2buf);
        error_setf(err, "out of memory for %" PRIu64 " cluster counts", c.nb_clusters);
        return -ENOMEM;
    }
    res->total_clusters = qcow2_clusters(s, s->size);

    check_inc(&c, 0, s->cluster_size);
    check_l1(&c, s->l1_offset, s->l1_size, true);
    for (uint32_t i = 0; i < s->nb_snapshots; i++) {
        const Qcow2Snapshot *sn = &s->snapshots[i];
        if ((sn->l1_offset & (s->cluster_size - 1)) || (uint64_t)sn->l1_size * 8 >
                                                           QCOW2_MAX_L1_BYTES) {
            report_printf(c.report, "ERROR snapshot %s (%s) l1_offset=%#" PRIx64 ": L1 table is "
                          "not cluster aligned; snapshot table entry corrupted", sn->id, sn->name,
                          sn->l1_offset);
            res->corruptions++;
            continue;
        }
        if (s->version >= 3 && sn->extra_size < 16) {
            report_printf(c.report, "ERROR snapshot table entry %u is incomplete", i);
            res->corruptions++;
        }
        check_l1(&c, sn->l1_offset, sn->l1_size, false);
    }
    check_inc(&c, s->snapshots_offset, s->snapshots_size);
    check_inc(&c, s->reftable_offset, (uint64_t)s->reftable_clusters << s->cluster_bits);
    for (uint64_t i = 0; i < s->reftable_entries; i++) {
        uint64_t e = s->reftable[i], off = e & REFT_OFFSET_MASK;
        if (e & REFT_RESERVED_MASK) {
            report_printf(c.report, "ERROR refcount table entry %" PRIu64
                          " has reserved bits set", i);
            res->corruptions++;
            continue;
        }
        if (!off) {
            continue;
        }
        if ((off & (s->cluster_size - 1)) || (off >> s->cluster_bits) >= c.nb_clusters) {
            report_printf(c.report, "ERROR refcount block %" PRIu64 " is outside image", i);
            res->corruptions++;
            continue;
        }
        check_inc(&c, off, s->cluster_size);
    }
    for (uint64_t i = 0; i < s->reftable_entries; i++) {
        uint64_t off = s->reftable[i] & REFT_OFFSET_MASK;
        if (off && !(s->reftable[i] & REFT_RESERVED_MASK) && !(off & (s->cluster_size - 1)) &&
            (off >> s->cluster_bits) < c.nb_clusters && c.refs[off >> s->cluster_bits] != 1) {
            report_printf(c.report, "ERROR refcount block %" PRIu64 " refcount=%u", i,
                          c.refs[off >> s->cluster_bits]);
            res->corruptions++;
        }
    }

    /* New refcount blocks made by a repair go past everything counted. */
    if (fix) {
        s->free_cluster_index = c.nb_clusters;
    }
    uint64_t highest;
    check_compare(&c, fix, &highest);
    check_oflag_copied(&c, fix);
    if (fix & BDRV_FIX_ERRORS) {
        ret = qcow2_fix_copied_flags(s, err);
    }
    if (ret == 0 && fix) {
        ret = qcow2_flush_metadata(s, err);
    }
    res->image_end_offset = highest << s->cluster_bits;
    if (ret == 0 && fix && (s->incompat & QCOW2_INCOMPAT_CORRUPT) &&
        res->corruptions == 0) {
        s->incompat &= ~QCOW2_INCOMPAT_CORRUPT;
        uint8_t v[8];
        qcow2_put64(v, s->incompat);
        ret = qcow2_write_header_field(s, QCOW2_HDR_INCOMPAT, v, 8, err);
    }
    free(c.refs);
    free(c.l2buf);
    if (fix) {
        s->free_cluster_index = 0;
    }
    return ret;
}

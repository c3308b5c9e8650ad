/* qcow2 internals shared by block/qcow2*.c (see ref-qcow2.md for the
 * on-disk facts). All on-disk numbers are big-endian.
 *
 * Write ordering, so that a killed process leaves at most leaked clusters:
 *  - a cluster's refcount is raised (and the refcount blocks flushed and
 *    synced) before any table points at it: the L2 cache flushes the
 *    refcount cache first (Qcow2State.rb_cache is its dependency). A kill
 *    between the two leaks the new clusters (qemu-img check: leaked
 *    clusters, exit 3), which no ordering of two writes avoids; the data
 *    is synced before the refcount blocks so that this window is short;
 *  - a refcount is lowered only after the pointer to the cluster is gone on
 *    disk: frees are queued (pending_frees) and applied by
 *    qcow2_flush_metadata() after the L2 tables and L1 are flushed;
 *  - tables that replace others (L1, refcount table, snapshot table) are
 *    written to fresh clusters, synced, switched by one header write, and
 *    the old clusters freed afterwards. */
#ifndef BLOCK_QCOW2_H
#define BLOCK_QCOW2_H

#include <stdbool.h>
#include <stdint.h>

#include "block/block.h"

#define QCOW2_MAGIC 0x514649fbu

#define QCOW2_INCOMPAT_DIRTY       (1ull << 0)
#define QCOW2_INCOMPAT_CORRUPT     (1ull << 1)
#define QCOW2_INCOMPAT_DATA_FILE   (1ull << 2)
#define QCOW2_INCOMPAT_COMPRESSION (1ull << 3)
#define QCOW2_INCOMPAT_EXTL2       (1ull << 4)
#define QCOW2_INCOMPAT_KNOWN       (QCOW2_INCOMPAT_DIRTY | QCOW2_INCOMPAT_CORRUPT)
#define QCOW2_COMPAT_LAZY_REFCOUNTS (1ull << 0)

#define QCOW2_EXT_END          0x00000000u
#define QCOW2_EXT_BACKING_FMT  0xe2792acau
#define QCOW2_EXT_FEATURES     0x6803f857u

#define QCOW_OFLAG_COPIED      (1ull << 63)
#define QCOW_OFLAG_COMPRESSED  (1ull << 62)
#define QCOW_OFLAG_ZERO        (1ull << 0)
#define L1E_OFFSET_MASK        0x00fffffffffffe00ull
#define L1E_RESERVED_MASK      0x7f000000000001ffull
#define L2E_OFFSET_MASK        0x00fffffffffffe00ull
#define L2E_STD_RESERVED_MASK  0x3f000000000001feull
#define REFT_OFFSET_MASK       0xfffffffffffffe00ull
#define REFT_RESERVED_MASK     0x1ffull

#define QCOW2_HEADER_V2_LEN    72
#define QCOW2_HEADER_V3_LEN    104
#define QCOW2_HEADER_WRITE_LEN 112     /* what QEMU 7.2 writes */
#define QCOW2_MAX_L1_BYTES     (32u << 20)
#define QCOW2_MAX_REFTABLE_BYTES (8u << 20)
#define QCOW2_MAX_SNAPSHOTS    65536
#define QCOW2_MAX_SNAPSHOT_EXTRA 1024
#define QCOW2_SNAPSHOT_EXTRA_LEN 24

/* Header byte offsets of the fields updated in place. */
#define QCOW2_HDR_L1           36      /* l1_size(4) + l1_table_offset(8) */
#define QCOW2_HDR_REFTABLE     48      /* refcount_table_offset(8) + clusters(4) */
#define QCOW2_HDR_SNAPSHOTS    60      /* nb_snapshots(4) + snapshots_offset(8) */
#define QCOW2_HDR_INCOMPAT     72

typedef enum Qcow2ClusterType {
    QCOW2_CLUSTER_UNALLOCATED,
    QCOW2_CLUSTER_ZERO_PLAIN,
    QCOW2_CLUSTER_ZERO_ALLOC,
    QCOW2_CLUSTER_NORMAL,
    QCOW2_CLUSTER_COMPRESSED,
} Qcow2ClusterType;

/* A small write-back cache of cluster-sized tables (L2 tables or refcount
 * blocks). Pointers it returns stay valid until the next get on the same
 * cache. */
#define QCOW2_CACHE_SLOTS 16
typedef struct Qcow2Cache {
    uint64_t offset[QCOW2_CACHE_SLOTS];          /* 0: empty slot */
    uint8_t *data[QCOW2_CACHE_SLOTS];
    bool dirty[QCOW2_CACHE_SLOTS];
    uint64_t used[QCOW2_CACHE_SLOTS];            /* LRU stamp */
    uint64_t stamp;
    const char *what;
} Qcow2Cache;

typedef struct Qcow2Snapshot {
    uint64_t l1_offset;
    uint32_t l1_size;
    char *id, *name;
    uint32_t date_sec, date_nsec;
    uint64_t vm_clock_nsec;
    uint64_t vm_state_size;
    uint64_t disk_size;
    uint64_t icount;
    uint32_t extra_size;         /* as read (writes use at least 24) */
    uint8_t *extra_unknown;      /* bytes beyond the 24 known ones, kept */
    uint32_t extra_unknown_len;
} Qcow2Snapshot;

typedef struct Qcow2Ext {
    uint32_t type, len;
    uint8_t *data;
} Qcow2Ext;

typedef struct Qcow2FreeRange {
    uint64_t offset, size;       /* bytes; any alignment (compressed data) */
} Qcow2FreeRange;

typedef struct Qcow2State {
    BlockDriverState *bs;
    uint32_t version;
    unsigned cluster_bits;
    uint64_t cluster_size;
    unsigned l2_bits;            /* log2(entries per L2 table) */
    uint64_t l2_entries;
    uint64_t size;               /* virtual size */
    uint32_t header_length;
    uint8_t compression_type;
    uint64_t incompat, compat, autoclear;
    uint8_t *unknown_header;     /* bytes between 112 and header_length, kept */
    uint32_t unknown_header_len;
    Qcow2Ext *exts;              /* unknown extensions, kept on rewrite */
    int nr_exts;
    char *backing_fmt;

    uint64_t *l1;
    uint32_t l1_size;
    uint64_t l1_offset;

    uint64_t *reftable;
    uint64_t reftable_offset;
    uint32_t reftable_clusters;
    uint64_t reftable_entries;
    unsigned refcount_order;
    unsigned rb_bits;            /* log2(refcount entries per block) */
    uint64_t refcount_max;

    Qcow2Snapshot *snapshots;
    uint32_t nb_snapshots;
    uint64_t snapshots_offset;
    uint64_t snapshots_size;     /* exact bytes of the table */

    Qcow2Cache l2_cache, rb_cache;
    bool rb_written;             /* refcount blocks written since the last sync */
    uint64_t free_cluster_index;
    Qcow2FreeRange *pending_frees;
    int nr_pending_frees, cap_pending_frees;

    /* Snapshot transaction (qcow2-txn.c): refcount changes go to shadow
     * copies of the refcount blocks and table, switched in by the same
     * header write as the new L1 and snapshot table. */
    bool txn;
    uint64_t *txn_old_reftable;
    uint64_t txn_old_entries;
    uint8_t *txn_shadowed;       /* per refcount table entry: block already copied */

    uint8_t *cbuf;               /* scratch: one cluster */
    uint8_t *zbuf;               /* decompressed cluster cache */
    uint64_t zbuf_entry;         /* L2 entry zbuf holds (0: none) */
    uint8_t *zin;                /* compressed input (2 clusters) */
    bool corrupt_reported;
} Qcow2State;

static inline uint64_t qcow2_be64(const uint8_t *p)
{
    return ((uint64_t)p[0] << 56) | ((uint64_t)p[1] << 48) | ((uint64_t)p[2] << 40) |
           ((uint64_t)p[3] << 32) | ((uint64_t)p[4] << 24) | ((uint64_t)p[5] << 16) |
           ((uint64_t)p[6] << 8) | p[7];
}
static inline uint32_t qcow2_be32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}
static inline uint16_t qcow2_be16(const uint8_t *p)
{
    return (uint16_t)((p[0] << 8) | p[1]);
}
static inline void qcow2_put64(uint8_t *p, uint64_t v)
{
    for (int i = 7; i >= 0; i--, v >>= 8) {
        p[i] = (uint8_t)v;
    }
}
static inline void qcow2_put32(uint8_t *p, uint32_t v)
{
    for (int i = 3; i >= 0; i--, v >>= 8) {
        p[i] = (uint8_t)v;
    }
}
static inline void qcow2_put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static inline uint64_t qcow2_l1_span(const Qcow2State *s)
{
    return s->cluster_size << s->l2_bits;
}
/* Entries the active L1 needs for a disk of this size (QEMU size_to_l1). */
static inline uint64_t qcow2_size_to_l1(const Qcow2State *s, uint64_t size)
{
    return (size + qcow2_l1_span(s) - 1) / qcow2_l1_span(s);
}
/* Guest offset of the VM state: the size rounded up to an L1 entry. */
static inline uint64_t qcow2_vm_state_offset(const Qcow2State *s, uint64_t disk_size)
{
    return qcow2_size_to_l1(s, disk_size) * qcow2_l1_span(s);
}
static inline uint64_t qcow2_clusters(const Qcow2State *s, uint64_t bytes)
{
    return (bytes + s->cluster_size - 1) >> s->cluster_bits;
}

/* qcow2.c */
int qcow2_write_header_field(Qcow2State *s, unsigned off, const void *buf, unsigned len,
                             Error *err);
int qcow2_update_header(Qcow2State *s, Error *err);
int qcow2_meta_write(Qcow2State *s, uint64_t off, const void *buf, size_t len, Error *err,
                     const char *what);
int qcow2_flush_metadata(Qcow2State *s, Error *err);
void qcow2_signal_corruption(Qcow2State *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
int qcow2_validate_table(Qcow2State *s, uint64_t offset, uint64_t entries, size_t entry_len,
                         uint64_t max_bytes, const char *name, Error *err);

/* qcow2-cache.c */
int qcow2_cache_init(Qcow2Cache *c, uint64_t cluster_size, const char *what);
void qcow2_cache_destroy(Qcow2Cache *c);
int qcow2_cache_get(Qcow2State *s, Qcow2Cache *c, uint64_t offset, bool fill, uint8_t **table,
                    Error *err);
void qcow2_cache_mark_dirty(Qcow2Cache *c, const uint8_t *table);
/* Whether any slot holds changes not yet written. */
bool qcow2_cache_dirty(const Qcow2Cache *c);
int qcow2_cache_flush(Qcow2State *s, Qcow2Cache *c, Error *err);
void qcow2_cache_discard(Qcow2Cache *c, uint64_t offset);
void qcow2_cache_drop_all(Qcow2Cache *c);

/* qcow2-refcount.c */
int qcow2_refcount_init(Qcow2State *s, Error *err);
int qcow2_get_refcount(Qcow2State *s, uint64_t cluster, uint64_t *rc, Error *err);
int qcow2_update_refcount(Qcow2State *s, uint64_t offset, uint64_t len, int64_t delta,
                          Error *err);
int64_t qcow2_alloc_clusters(Qcow2State *s, uint64_t n, Error *err);
int qcow2_find_free_run(Qcow2State *s, uint64_t n, uint64_t *start, Error *err);
uint64_t qcow2_block_offset(const Qcow2State *s, uint64_t ri);
void qcow2_free_later(Qcow2State *s, uint64_t offset, uint64_t len);
int qcow2_process_frees(Qcow2State *s, Error *err);
int qcow2_flush_refcounts(Qcow2State *s, Error *err);
uint64_t qcow2_refcount_entry_get(const Qcow2State *s, const uint8_t *block, uint64_t idx);
void qcow2_refcount_entry_set(const Qcow2State *s, uint8_t *block, uint64_t idx, uint64_t v);

/* qcow2-txn.c */
int qcow2_txn_begin(Qcow2State *s, Error *err);
/* Writes the shadow refcount structures and switches the header to
 * (l1, reftable, snapshot table) in one write. */
int qcow2_txn_commit(Qcow2State *s, uint32_t l1_size, uint64_t l1_offset, uint32_t nb_snapshots,
                     uint64_t snapshots_offset, Error *err);
void qcow2_txn_abort(Qcow2State *s);
int qcow2_txn_shadow(Qcow2State *s, uint64_t ri, Error *err);
int qcow2_txn_grow(Qcow2State *s, uint64_t need_ri, Error *err);
int qcow2_get_refcount_old(Qcow2State *s, uint64_t cluster, uint64_t *rc, Error *err);

/* qcow2-cluster.c */
Qcow2ClusterType qcow2_cluster_type(const Qcow2State *s, uint64_t l2e);
void qcow2_compressed_range(const Qcow2State *s, uint64_t l2e, uint64_t *off, uint64_t *len);
int qcow2_read_cluster_from(Qcow2State *s, uint64_t l2e, uint8_t *buf, Error *err);
int qcow2_get_l2_entry(Qcow2State *s, const uint64_t *l1, uint32_t l1_size, uint64_t goff,
                       uint64_t *l2e, Error *err);
int qcow2_pread_l1(Qcow2State *s, const uint64_t *l1, uint32_t l1_size, uint64_t goff,
                   uint8_t *buf, uint64_t len, Error *err);
int qcow2_co_pwrite(Qcow2State *s, uint64_t off, const uint8_t *buf, uint64_t len, Error *err);
int qcow2_write_l1_entry(Qcow2State *s, uint32_t idx, Error *err);
/* Adds delta to the refcounts of every L2 table and data cluster reachable
 * from l1 (per path, as check counts them). */
int qcow2_update_tree_refcounts(Qcow2State *s, const uint64_t *l1, uint32_t l1_size,
                                int64_t delta, Error *err);
/* Sets COPIED in the active L1/L2 exactly where the refcount is 1. */
int qcow2_fix_copied_flags(Qcow2State *s, Error *err);
int qcow2_read_l1(Qcow2State *s, uint64_t offset, uint32_t size, uint64_t **l1, Error *err);

/* qcow2-snapshot.c */
int qcow2_read_snapshots(Qcow2State *s, Error *err);
void qcow2_free_snapshots(Qcow2State *s);
int qcow2_snapshot_list(BlockDriverState *bs, BlockSnapshotInfo **list, Error *err);
int qcow2_snapshot_create(BlockDriverState *bs, BlockSnapshotInfo *sn, BlockVmstate *vm,
                          Error *err);
int qcow2_snapshot_goto(BlockDriverState *bs, const char *id_or_name, Error *err);
int qcow2_snapshot_delete(BlockDriverState *bs, const char *name, Error *err);
int qcow2_find_snapshot(Qcow2State *s, const char *key, bool by_id_first);

/* qcow2-vmstate.c */
BlockVmstate *qcow2_vmstate_writer(BlockDriverState *bs, Error *err);
BlockVmstate *qcow2_vmstate_reader(BlockDriverState *bs, const char *name, Error *err);
/* For snapshot create: the writer's L1 entries (from the VM state L1 index
 * on), with every table flushed; and handing the writer over. */
int qcow2_vmstate_finish(BlockVmstate *vm, Qcow2State *s, uint64_t **l1, uint32_t *n,
                         uint64_t *size, Error *err);
void qcow2_vmstate_release(BlockVmstate *vm, bool free_clusters);

/* qcow2-check.c */
int qcow2_check(BlockDriverState *bs, BlockCheckResult *res, int fix, Error *err);

/* qcow2-create.c */
int qcow2_create(const char *path, const BlockCreateOptions *opts, Error *err);

#endif

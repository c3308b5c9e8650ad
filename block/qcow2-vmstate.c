/* The VM state of qcow2 snapshots: stored like guest data at guest offset
 * vm_state_offset(disk_size) (the disk size rounded up to an L1 entry's
 * span), through the snapshot's own L1, as QEMU lays it out.
 *
 * The writer gives the state its own L2 tables and data clusters, reachable
 * only from the snapshot L1 that bdrv_snapshot_create() writes (QEMU writes
 * through the active L1 and discards afterwards; the result on disk is the
 * same layout, and a crash before the snapshot exists leaves only leaks).
 * All-zero clusters are not allocated: they read back as zeros.
 *
 * Reads and writes go by byte offset; migration/block-vmstate.c makes a
 * stream of them. */
#include "block/qcow2.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct BlockVmstate {
    BlockDriverState *bs;
    Qcow2State *s;
    bool writer;
    uint64_t size;               /* bytes written so far / snapshot's state size */
    /* writer */
    uint8_t **l2;                /* in-memory L2 tables (big-endian), by L1 index */
    uint32_t nr_l2;
    uint8_t *cur;                /* the cluster being filled */
    uint64_t cur_idx;            /* its cluster index in the state; UINT64_MAX: none */
    bool cur_dirty;
    /* reader */
    uint64_t *l1;
    uint32_t l1_size;
    uint64_t base;               /* guest offset of the state */
};

static uint64_t vm_l2e(const BlockVmstate *vm, uint64_t idx)
{
    uint64_t li = idx >> vm->s->l2_bits;
    if (li >= vm->nr_l2 || !vm->l2[li]) {
        return 0;
    }
    return qcow2_be64(vm->l2[li] + (idx & (vm->s->l2_entries - 1)) * 8);
}

static bool vm_all_zero(const uint8_t *p, uint64_t n)
{
    for (uint64_t i = 0; i < n; i++) {
        if (p[i]) {
            return false;
        }
    }
    return true;
}

/* Writes the buffered cluster to its host cluster (allocated on first
 * non-zero content). */
static int vm_commit(BlockVmstate *vm, Error *err)
{
    Qcow2State *s = vm->s;
    if (vm->cur_idx == UINT64_MAX || !vm->cur_dirty) {
        return 0;
    }
    uint64_t idx = vm->cur_idx, host = vm_l2e(vm, idx) & L2E_OFFSET_MASK;
    if (!host && vm_all_zero(vm->cur, s->cluster_size)) {
        vm->cur_dirty = false;
        return 0;
    }
    uint64_t li = idx >> s->l2_bits;
    if (li >= vm->nr_l2) {
        uint32_t n = (uint32_t)li + 1 > vm->nr_l2 * 2 ? (uint32_t)li + 1 : vm->nr_l2 * 2;
        uint8_t **p = realloc(vm->l2, (size_t)n * sizeof(*p));
        if (!p) {
            error_setf(err, "out of memory for VM state tables");
            return -ENOMEM;
        }
        memset(p + vm->nr_l2, 0, (size_t)(n - vm->nr_l2) * sizeof(*p));
        vm->l2 = p;
        vm->nr_l2 = n;
    }
    if (!vm->l2[li]) {
        vm->l2[li] = calloc(1, s->cluster_size);
        if (!vm->l2[li]) {
            error_setf(err, "out of memory for VM state tables");
            return -ENOMEM;
        }
    }
    if (!host) {
        int64_t a = qcow2_alloc_clusters(s, 1, err);
        if (a < 0) {
            return (int)a;
        }
        host = (uint64_t)a;
        qcow2_put64(vm->l2[li] + (idx & (s->l2_entries - 1)) * 8, host | QCOW_OFLAG_COPIED);
    }
    int ret = bdrv_pwrite_full(s->bs, host, vm->cur, s->cluster_size, err, "VM state");
    if (ret == 0) {
        vm->cur_dirty = false;
    }
    return ret;
}

static int vm_load(BlockVmstate *vm, uint64_t idx, Error *err)
{
    if (vm->cur_idx == idx) {
        return 0;
    }
    int ret = vm_commit(vm, err);
    if (ret < 0) {
        return ret;
    }
    uint64_t host = vm_l2e(vm, idx) & L2E_OFFSET_MASK;
    vm->cur_idx = UINT64_MAX;
    if (host) {
        ret = bdrv_pread_full(vm->s->bs->fd, host, vm->cur, vm->s->cluster_size, true, err,
                              "VM state");
        if (ret < 0) {
            return ret;
        }
    } else {
        memset(vm->cur, 0, vm->s->cluster_size);
    }
    vm->cur_idx = idx;
    return 0;
}

BlockVmstate *qcow2_vmstate_writer(BlockDriverState *bs, Error *err)
{
    BlockVmstate *vm = calloc(1, sizeof(*vm));
    Qcow2State *s = bs->opaque;
    if (vm) {
        vm->cur = malloc(s->cluster_size);
    }
    if (!vm || !vm->cur) {
        free(vm);
        error_setf(err, "out of memory");
        return NULL;
    }
    vm->bs = bs;
    vm->s = s;
    vm->writer = true;
    vm->cur_idx = UINT64_MAX;
    return vm;
}

int bdrv_vmstate_pwrite(BlockVmstate *vm, uint64_t off, const void *buf, uint64_t len, Error *err)
{
    if (!vm->writer) {
        error_setf(err, "VM state of a snapshot is read-only");
        return -EBADF;
    }
    Qcow2State *s = vm->s;
    const uint8_t *p = buf;
    if (off + len < off || off + len > (1ull << 62)) {
        error_setf(err, "VM state too large");
        return -EFBIG;
    }
    while (len) {
        uint64_t in = off & (s->cluster_size - 1);
        uint64_t n = s->cluster_size - in < len ? s->cluster_size - in : len;
        int ret = vm_load(vm, off >> s->cluster_bits, err);
        if (ret < 0) {
            return ret;
        }
        memcpy(vm->cur + in, p, n);
        vm->cur_dirty = true;
        off += n;
        p += n;
        len -= n;
        vm->size = off > vm->size ? off : vm->size;
    }
    return 0;
}

int qcow2_vmstate_finish(BlockVmstate *vm, Qcow2State *s, uint64_t **l1, uint32_t *n,
                         uint64_t *size, Error *err)
{
    *l1 = NULL;
    *n = 0;
    *size = vm->size;
    int ret = vm_commit(vm, err);
    uint32_t count = 0;
    for (uint32_t i = 0; i < vm->nr_l2; i++) {
        if (vm->l2[i]) {
            count = i + 1;
        }
    }
    uint64_t *t = calloc(count ? count : 1, 8);
    if (ret == 0 && !t) {
        error_setf(err, "out of memory");
        ret = -ENOMEM;
    }
    for (uint32_t i = 0; i < count && ret == 0; i++) {
        if (!vm->l2[i]) {
            continue;
        }
        int64_t a = qcow2_alloc_clusters(s, 1, err);
        if (a < 0) {
            ret = (int)a;
            break;
        }
        ret = qcow2_meta_write(s, (uint64_t)a, vm->l2[i], s->cluster_size, err,
                               "VM state L2 table");
        t[i] = (uint64_t)a | QCOW_OFLAG_COPIED;
    }
    if (ret < 0) {
        /* Free what was allocated: data through the tables, then tables. */
        for (uint32_t i = 0; i < vm->nr_l2; i++) {
            for (uint64_t j = 0; vm->l2[i] && j < s->l2_entries; j++) {
                uint64_t e = qcow2_be64(vm->l2[i] + j * 8) & L2E_OFFSET_MASK;
                if (e) {
                    qcow2_update_refcount(s, e, s->cluster_size, -1, NULL);
                }
            }
            if (t && i < count && t[i]) {
                qcow2_update_refcount(s, t[i] & L1E_OFFSET_MASK, s->cluster_size, -1, NULL);
            }
        }
        free(t);
        qcow2_vmstate_release(vm, false);
        return ret;
    }
    qcow2_vmstate_release(vm, false);
    *l1 = t;
    *n = count;
    return 0;
}

void qcow2_vmstate_release(BlockVmstate *vm, bool free_clusters)
{
    Qcow2State *s = vm->s;
    for (uint32_t i = 0; i < vm->nr_l2; i++) {
        for (uint64_t j = 0; free_clusters && vm->l2[i] && j < s->l2_entries; j++) {
            uint64_t e = qcow2_be64(vm->l2[i] + j * 8) & L2E_OFFSET_MASK;
            if (e) {
                qcow2_update_refcount(s, e, s->cluster_size, -1, NULL);
            }
        }
        free(vm->l2[i]);
    }
    free(vm->l2);
    free(vm->cur);
    free(vm->l1);
    free(vm);
}

BlockVmstate *qcow2_vmstate_reader(BlockDriverState *bs, const char *name, Error *err)
{
    Qcow2State *s = bs->opaque;
    int i = qcow2_find_snapshot(s, name, false);
    if (i < 0) {
        i = qcow2_find_snapshot(s, name, true);
    }
    if (i < 0) {
        error_setf(err, "Snapshot '%s' does not exist in device '%s'", name,
                   bdrv_device_name(bs));
        return NULL;
    }
    const Qcow2Snapshot *sn = &s->snapshots[i];
    if (sn->vm_state_size == 0) {
        error_setf(err, "This is a disk-only snapshot. Revert to it offline using qemu-img");
        return NULL;
    }
    BlockVmstate *vm = calloc(1, sizeof(*vm));
    if (!vm) {
        error_setf(err, "out of memory");
        return NULL;
    }
    vm->bs = bs;
    vm->s = s;
    vm->size = sn->vm_state_size;
    vm->base = qcow2_vm_state_offset(s, sn->disk_size);
    vm->l1_size = sn->l1_size;
    if (qcow2_validate_table(s, sn->l1_offset, sn->l1_size, 8, QCOW2_MAX_L1_BYTES,
                             "Snapshot L1 table", err) < 0 ||
        qcow2_read_l1(s, sn->l1_offset, sn->l1_size, &vm->l1, err) < 0) {
        free(vm);
        return NULL;
    }
    return vm;
}

int64_t bdrv_vmstate_pread(BlockVmstate *vm, uint64_t off, void *buf, uint64_t len, Error *err)
{
    if (vm->writer) {
        error_setf(err, "VM state writer cannot be read");
        return -EBADF;
    }
    if (off >= vm->size) {
        return 0;
    }
    if (len > vm->size - off) {
        len = vm->size - off;
    }
    int ret = qcow2_pread_l1(vm->s, vm->l1, vm->l1_size, vm->base + off, buf, len, err);
    return ret < 0 ? ret : (int64_t)len;
}

uint64_t bdrv_vmstate_size(const BlockVmstate *vm)
{
    return vm->size;
}

void bdrv_vmstate_close(BlockVmstate *vm)
{
    if (!vm) {
        return;
    }
    bool writer = vm->writer;
    Qcow2State *s = vm->s;
    qcow2_vmstate_release(vm, writer);
    if (writer) {
        Error ignored;
        error_init(&ignored);
        qcow2_flush_metadata(s, &ignored);
    }
}

/* savevm / loadvm / delvm / info snapshots over the machine's disks. */
#include "migration/snapshot.h"
#include "migration/block-vmstate.h"
#include "migration/migration.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "migration/vm-state.h"
#include "migration/vm.h"
#include "emu/runstate.h"
#include "migration/globalstate.h"
#include "savevm/savevm.h"
#include "block/snapshot-all.h"

/* The machine's disks, as the block layer's set operations take them. */
#define SNAP_DISKS(vm) (vm)->drives, (vm)->nr_drives

/* ---- savevm ---- */

/* QEMU's vm-YYYYMMDDHHMMSS, with -2, -3, ... when that is taken: QEMU's HMP
 * savevm replaces a snapshot that has the generated name (two tagless saves
 * in one second), but nothing the user did not name is replaced here. */
static int snap_default_name(MigrationVM *vm, char *buf, size_t len, Error *err)
{
    time_t now = time(NULL);
    struct tm tm;
    char base[32];
    localtime_r(&now, &tm);
    strftime(base, sizeof(base), "vm-%Y%m%d%H%M%S", &tm);
    snprintf(buf, len, "%s", base);
    for (unsigned n = 2; bdrv_all_has_snapshot(SNAP_DISKS(vm), buf); n++) {
        if (n > 9999) {
            error_setf(err, "No free snapshot name %s-N: name the snapshot", base);
            return -EEXIST;
        }
        snprintf(buf, len, "%s-%u", base, n);
    }
    return 0;
}

/* Writes the VM state stream into a fresh vmstate area of disk vi. Returns
 * the writer (not yet reachable from any snapshot) or NULL. */
static BlockVmstate *snap_write_vmstate(MigrationVM *vm, int vi, Error *err)
{
    BlockVmstate *bvm = bdrv_vmstate_writer_open(vm->drives[vi], err);
    if (!bvm) {
        return NULL;
    }
    QEMUFile *f = block_vmstate_open_file(bvm);
    Error ferr;
    error_init(&ferr);
    int ret = f ? vm_save_state(vm, f, &ferr) : -ENOMEM;
    if (f) {
        int cret = qemu_file_close(f, ret < 0 ? NULL : &ferr);
        ret = ret < 0 ? ret : cret;
    }
    if (ret < 0) {
        error_setf(err, "Error while writing VM state: %s",
                   ferr.set ? ferr.msg : strerror(-ret));
        bdrv_vmstate_close(bvm);
        return NULL;
    }
    return bvm;
}

static int snap_save_stopped(MigrationVM *vm, const char *name, Error *err)
{
    BlockSnapshotInfo sn;
    memset(&sn, 0, sizeof(sn));
    snprintf(sn.name, sizeof(sn.name), "%s", name);
    uint64_t now = clock_realtime_ns();
    sn.date_sec = (uint32_t)(now / 1000000000ull);
    sn.date_nsec = (uint32_t)(now % 1000000000ull / 1000 * 1000);   /* QEMU: µs */
    sn.vm_clock_nsec = clock_ns(vm->clock);
    sn.icount = vm->instret(vm->opaque);          /* instructions retired */
    int vi = bdrv_all_find_vmstate_bs(SNAP_DISKS(vm));
    int ret = bdrv_all_flush(SNAP_DISKS(vm), err);
    if (ret < 0) {
        return ret;
    }

    BlockVmstate *bvm = snap_write_vmstate(vm, vi, err);
    if (!bvm) {
        return -EIO;
    }
    return bdrv_all_create_snapshot(SNAP_DISKS(vm), vi, &sn, bvm, err);
}

int snapshot_save(MigrationVM *vm, const char *name, Error *err)
{
    /* Checks from the top floor down: the migration, the machine's run state
     * and blockers, then the disks. The migration owns the dirty log and
     * the stopped state while it runs. */
    if (migration_is_running(vm->mig)) {
        error_setf(err, "There's a migration process in progress");
        return -EBUSY;
    }
    if (name && strlen(name) >= sizeof(((BlockSnapshotInfo *)0)->name)) {
        error_setf(err, "Snapshot name '%.40s...' is too long (at most %zu bytes)", name,
                   sizeof(((BlockSnapshotInfo *)0)->name) - 1);
        return -EINVAL;
    }
    /* Blockers before the disks, as QEMU's save_snapshot(): a snapshot=on
     * drive's blocker names the drive and why, which beats the generic
     * "does not support snapshots". */
    int ret = savevm_check_blocked(vm->sections, err);
    if (ret < 0) {
        return ret;
    }
    RunState before = runstate_get(vm->run);
    if (before == RUN_STATE_INMIGRATE) {
        error_setf(err, "Guest is waiting for an incoming migration");
        return -EBUSY;
    }
    ret = bdrv_all_can_snapshot(SNAP_DISKS(vm), err);
    if (ret < 0) {
        return ret;
    }
    if (bdrv_all_find_vmstate_bs(SNAP_DISKS(vm)) < 0) {
        error_setf(err, "No block device can accept snapshots");
        return -ENOTSUP;
    }
    char tag[64];
    if (!name || !name[0]) {
        ret = snap_default_name(vm, tag, sizeof(tag), err);
        if (ret < 0) {
            return ret;
        }
        name = tag;
    }
    /* The run state before stopping goes into the stream (globalstate). */
    globalstate_store_state(vm->sections, before);
    runstate_set(vm->run, RUN_STATE_SAVE_VM);
    ret = snap_save_stopped(vm, name, err);
    runstate_set(vm->run, before);
    return ret;
}

/* ---- loadvm ---- */

/* Run state after a successful load: as before, except that a state which
 * needed a reset (the load replaced the whole machine) becomes paused. */
static RunState snap_after_load(RunState before)
{
    switch (before) {
    case RUN_STATE_RUNNING:
    case RUN_STATE_PRELAUNCH:
    case RUN_STATE_PAUSED:
        return before;
    default:
        return RUN_STATE_PAUSED;
    }
}

static int snap_load_stopped(MigrationVM *vm, int vi, const BlockSnapshotInfo *sn, Error *err)
{
    int ret = bdrv_all_flush(SNAP_DISKS(vm), err);
    if (ret < 0) {
        return ret;
    }
    /* The stream's header first: a snapshot of another machine (type, hart
     * count) is refused while nothing has changed yet. */
    BlockVmstate *hdr = bdrv_vmstate_reader_open(vm->drives[vi], sn->id, err);
    if (!hdr) {
        return -EIO;
    }
    QEMUFile *hf = block_vmstate_open_file(hdr);
    Error herr;
    error_init(&herr);
    ret = hf ? savevm_check_header(vm->sections, hf, &herr) : -ENOMEM;
    if (hf) {
        qemu_file_close(hf, NULL);
    }
    bdrv_vmstate_close(hdr);
    if (ret < 0) {
        error_setf(err, "Error %d while loading VM state of snapshot '%s': %s", ret, sn->name,
                   herr.set ? herr.msg : strerror(-ret));
        return ret;
    }
    /* From here on disks change: any failure leaves the machine unrunnable. */
    runstate_set(vm->run, RUN_STATE_INTERNAL_ERROR);
    ret = bdrv_all_goto_snapshot(SNAP_DISKS(vm), vi, sn, err);
    if (ret < 0) {
        return ret;
    }
    BlockVmstate *bvm = bdrv_vmstate_reader_open(vm->drives[vi], sn->id, err);
    if (!bvm) {
        return -EIO;
    }
    QEMUFile *f = block_vmstate_open_file(bvm);
    Error lerr;
    error_init(&lerr);
    if (f) {
        /* Devices the stream does not describe start from power-on state,
         * as QEMU resets the machine before loading. */
        vm->reset(vm->opaque);
        ret = vm_load_state(vm, f, &lerr);
        qemu_file_close(f, NULL);
    } else {
        ret = -ENOMEM;
    }
    bdrv_vmstate_close(bvm);
    if (ret < 0) {
        error_setf(err, "Error %d while loading VM state of snapshot '%s': %s", ret, sn->name,
                   lerr.set ? lerr.msg : strerror(-ret));
        runstate_set(vm->run, RUN_STATE_INTERNAL_ERROR);
        return ret;
    }
    return 0;
}

int snapshot_load(MigrationVM *vm, const char *name, Error *err)
{
    /* The sender thread reads RAM and the stream is half out: a machine
     * replaced under it would reach the destination as a mix of both. */
    if (migration_is_running(vm->mig)) {
        error_setf(err, "There's a migration process in progress");
        return -EBUSY;
    }
    int ret = bdrv_all_can_snapshot(SNAP_DISKS(vm), err);
    if (ret < 0) {
        return ret;
    }
    int vi;
    BlockSnapshotInfo sn;
    ret = bdrv_all_find_snapshot(SNAP_DISKS(vm), name, &vi, &sn, err);
    if (ret < 0) {
        return ret;
    }
    if (sn.vm_state_size == 0) {
        error_setf(err, "This is a disk-only snapshot. Revert to it  offline using qemu-img");
        return -EINVAL;
    }
    RunState before = runstate_get(vm->run);
    if (before == RUN_STATE_INMIGRATE) {
        error_setf(err, "Guest is waiting for an incoming migration");
        return -EBUSY;
    }
    runstate_set(vm->run, RUN_STATE_RESTORE_VM);
    ret = snap_load_stopped(vm, vi, &sn, err);
    if (ret < 0) {
        if (runstate_get(vm->run) == RUN_STATE_RESTORE_VM) {
            runstate_set(vm->run, before);            /* nothing was changed */
        }
        return ret;
    }
    runstate_set(vm->run, snap_after_load(before));
    return 0;
}

/* ---- delvm, info snapshots ---- */

int snapshot_delete_vm(MigrationVM *vm, const char *name, Error *err)
{
    return bdrv_all_delete_snapshot(SNAP_DISKS(vm), name, err);
}

int snapshot_info(MigrationVM *vm, char **out, Error *err)
{
    return bdrv_all_snapshot_info(SNAP_DISKS(vm), out, err);
}

void snapshot_complete_tags(MigrationVM *vm, const char *prefix,
                            void (*add)(void *opaque, const char *tag), void *opaque)
{
    if (vm) {
        bdrv_all_snapshot_tags(SNAP_DISKS(vm), prefix, add, opaque);
    }
}

/* savevm / loadvm / delvm / info snapshots over the machine's disks. */
#include "migration/snapshot.h"
#include "migration/block-vmstate.h"
#include "migration/migration.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "migration/vm-state.h"
#include "migration/vm.h"
#include "emu/runstate.h"
#include "migration/globalstate.h"
#include "savevm/savevm.h"
#include "block/snapshot-all.h"

/* The machine's disks, as the block layer's set operations take them. */
#define SNAP_DISKS(vm) (vm)->drives, (vm)->nr_drives

/* ---- savevm ---- */

/* The VM state stream into the fresh vmstate area the block layer opened
 * (bdrv_all_save_snapshot's fill). */
static int snap_fill_vmstate(void *opaque, BlockVmstate *bvm, Error *err)
{
    MigrationVM *vm = opaque;
    QEMUFile *f = block_vmstate_open_file(bvm, true);
    Error ferr;
    error_init(&ferr);
    int ret = f ? savevm_save(vm->sections, f, &ferr) : -ENOMEM;
    if (f) {
        int cret = qemu_file_close(f, ret < 0 ? NULL : &ferr);
        ret = ret < 0 ? ret : cret;
    }
    if (ret < 0) {
        error_setf(err, "Error while writing VM state: %s",
                   ferr.set ? ferr.msg : strerror(-ret));
    }
    return ret;
}

int snapshot_save(MigrationVM *vm, const char *name, Error *err)
{
    /* The migration owns the dirty log and the stopped state while it
     * runs. */
    if (migration_is_running(vm->mig)) {
        error_setf(err, "There's a migration process in progress");
        return -EBUSY;
    }
    BlockSnapshotInfo sn;
    memset(&sn, 0, sizeof(sn));
    if (name && strlen(name) >= sizeof(sn.name)) {
        error_setf(err, "Snapshot name '%.40s...' is too long (at most %zu bytes)", name,
                   sizeof(sn.name) - 1);
        return -EINVAL;
    }
    snprintf(sn.name, sizeof(sn.name), "%s", name ? name : "");
    /* The run state before stopping goes into the stream (globalstate); a
     * store whose save is refused below is never used. */
    globalstate_store_current(vm->sections);
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
    /* Stopped from here: the disk checks that refuse come first in
     * bdrv_all_save_snapshot and change nothing. */
    runstate_set(vm->run, RUN_STATE_SAVE_VM);
    uint64_t now = clock_realtime_ns();
    sn.date_sec = (uint32_t)(now / 1000000000ull);
    sn.date_nsec = (uint32_t)(now % 1000000000ull / 1000 * 1000);   /* QEMU: µs */
    sn.vm_clock_nsec = clock_ns(vm->clock);
    sn.icount = vm->instret(vm->opaque);          /* instructions retired */
    ret = bdrv_all_save_snapshot(SNAP_DISKS(vm), &sn, snap_fill_vmstate, vm, err);
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
    QEMUFile *hf = block_vmstate_open_file(hdr, false);
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
    QEMUFile *f = block_vmstate_open_file(bvm, false);
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

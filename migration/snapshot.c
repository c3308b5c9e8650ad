/* savevm / loadvm / delvm / info snapshots over the machine's disks. */
#include "migration/snapshot.h"
#include "migration/block-vmstate.h"
#include "migration/migration.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "migration/vm-state.h"
#include "migration/vm.h"
#include "emu/runstate.h"
#include "migration/globalstate.h"
#include "savevm/savevm.h"
#include "block/snapshot-dump.h"

/* ---- the disks that take part ---- */

static const char *snap_dev_name(const MigrationVM *vm, int i)
{
    return vm->drive_name(vm->opaque, i);
}

static bool snap_writable(const MigrationVM *vm, int i)
{
    return vm->drives[i] && !vm->drives[i]->read_only;
}

/* QEMU's bdrv_all_can_snapshot(): a writable disk that cannot hold
 * snapshots makes the whole operation impossible. */
static int snap_check_disks(MigrationVM *vm, Error *err)
{
    for (int i = 0; i < vm->nr_drives; i++) {
        if (snap_writable(vm, i) && !bdrv_can_snapshot(vm->drives[i])) {
            error_setf(err, "Device '%s' is writable but does not support snapshots%s",
                       snap_dev_name(vm, i),
                       bdrv_is_overlay(vm->drives[i])
                           ? " (snapshot=on: its writes are in a temporary overlay in memory)"
                           : "");
            return -ENOTSUP;
        }
    }
    return 0;
}

/* The disk that holds the VM state: the first writable one that can
 * snapshot (QEMU's bdrv_all_find_vmstate_bs()); -1 if none. */
static int snap_vmstate_disk(const MigrationVM *vm)
{
    for (int i = 0; i < vm->nr_drives; i++) {
        if (snap_writable(vm, i) && bdrv_can_snapshot(vm->drives[i])) {
            return i;
        }
    }
    return -1;
}

static int snap_flush_all(MigrationVM *vm, Error *err)
{
    for (int i = 0; i < vm->nr_drives; i++) {
        if (snap_writable(vm, i)) {
            int ret = bdrv_flush(vm->drives[i], err);
            if (ret < 0) {
                return ret;
            }
        }
    }
    return 0;
}

/* Snapshots named `name` on disk i (0 when it has none or cannot list). */
static int snap_count_named(MigrationVM *vm, int i, const char *name)
{
    BlockSnapshotInfo *list;
    int n = bdrv_snapshot_list(vm->drives[i], &list, NULL);
    int count = 0;
    for (int k = 0; k < n; k++) {
        count += strcmp(list[k].name, name) == 0;
    }
    if (n >= 0) {
        free(list);
    }
    return count;
}

/* ---- savevm ---- */

static bool snap_name_taken(MigrationVM *vm, const char *name)
{
    for (int i = 0; i < vm->nr_drives; i++) {
        if (snap_writable(vm, i) && snap_count_named(vm, i, name) > 0) {
            return true;
        }
    }
    return false;
}

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
    for (unsigned n = 2; snap_name_taken(vm, buf); n++) {
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
    int vi = snap_vmstate_disk(vm);
    int ret = snap_flush_all(vm, err);
    if (ret < 0) {
        return ret;
    }
    BlockSnapshotInfo sn;
    memset(&sn, 0, sizeof(sn));
    snprintf(sn.name, sizeof(sn.name), "%s", name);
    uint64_t now = clock_realtime_ns();
    sn.date_sec = (uint32_t)(now / 1000000000ull);
    sn.date_nsec = (uint32_t)(now % 1000000000ull / 1000 * 1000);   /* QEMU: µs */
    sn.vm_clock_nsec = clock_ns(vm->clock);
    sn.icount = vm->instret(vm->opaque);          /* instructions retired */

    BlockVmstate *bvm = snap_write_vmstate(vm, vi, err);
    if (!bvm) {
        return -EIO;
    }
    /* The VM state disk first: if it fails nothing refers to the state. */
    for (int pass = 0; pass < 2; pass++) {
        for (int i = 0; i < vm->nr_drives; i++) {
            if (!snap_writable(vm, i) || (pass == 0) != (i == vi)) {
                continue;
            }
            BlockSnapshotInfo one = sn;
            ret = bdrv_snapshot_create(vm->drives[i], &one, i == vi ? bvm : NULL, err);
            if (ret < 0) {
                error_prependf(err, "Error while creating snapshot on '%s': ",
                               snap_dev_name(vm, i));
                return ret;
            }
        }
    }
    /* Replace older snapshots of the same name only now that the new one is
     * committed (QEMU deletes first; a crash then would lose both). The new
     * entry is the last of its name, and delete removes the first. */
    for (int i = 0; i < vm->nr_drives; i++) {
        if (!snap_writable(vm, i)) {
            continue;
        }
        for (int n = snap_count_named(vm, i, name); n > 1; n--) {
            ret = bdrv_snapshot_delete(vm->drives[i], name, err);
            if (ret < 0) {
                error_prependf(err, "Error while deleting the older snapshot '%s' on '%s': ",
                               name, snap_dev_name(vm, i));
                return ret;
            }
        }
    }
    return 0;
}

int snapshot_save(MigrationVM *vm, const char *name, Error *err)
{
    char tag[64];
    if (!name || !name[0]) {
        int ret = snap_default_name(vm, tag, sizeof(tag), err);
        if (ret < 0) {
            return ret;
        }
        name = tag;
    }
    if (strlen(name) >= sizeof(((BlockSnapshotInfo *)0)->name)) {
        error_setf(err, "Snapshot name '%.40s...' is too long (at most %zu bytes)", name,
                   sizeof(((BlockSnapshotInfo *)0)->name) - 1);
        return -EINVAL;
    }
    /* Blockers first, as QEMU's save_snapshot(): a snapshot=on drive's
     * blocker names the drive and why, which beats the generic
     * "does not support snapshots". */
    int ret = savevm_check_blocked(vm->sections, err);
    if (ret < 0) {
        return ret;
    }
    ret = snap_check_disks(vm, err);
    if (ret < 0) {
        return ret;
    }
    if (snap_vmstate_disk(vm) < 0) {
        error_setf(err, "No block device can accept snapshots");
        return -ENOTSUP;
    }
    /* The migration owns the dirty log and the stopped state while it runs. */
    if (migration_is_running(vm->mig)) {
        error_setf(err, "There's a migration process in progress");
        return -EBUSY;
    }
    RunState before = runstate_get(vm->run);
    if (before == RUN_STATE_INMIGRATE) {
        error_setf(err, "Guest is waiting for an incoming migration");
        return -EBUSY;
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
    int ret = snap_flush_all(vm, err);
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
    for (int i = 0; i < vm->nr_drives; i++) {
        if (!snap_writable(vm, i)) {
            continue;
        }
        Error gerr;
        error_init(&gerr);
        ret = bdrv_snapshot_goto(vm->drives[i], i == vi ? sn->id : sn->name, &gerr);
        if (ret < 0) {
            error_setf(err, "Error %d while activating snapshot '%s' on '%s': %s", ret,
                       sn->name, snap_dev_name(vm, i), gerr.msg);
            return ret;
        }
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
    int ret = snap_check_disks(vm, err);
    if (ret < 0) {
        return ret;
    }
    int vi = snap_vmstate_disk(vm);
    if (vi < 0) {
        error_setf(err, "No block device can accept snapshots");
        return -ENOTSUP;
    }
    BlockSnapshotInfo sn;
    if (bdrv_snapshot_find(vm->drives[vi], name, false, &sn, NULL) < 0) {
        error_setf(err, "Snapshot '%s' does not exist in one or more devices", name);
        return -ENOENT;
    }
    for (int i = 0; i < vm->nr_drives; i++) {
        BlockSnapshotInfo other;
        if (snap_writable(vm, i) && i != vi &&
            bdrv_snapshot_find(vm->drives[i], sn.name, true, &other, NULL) < 0) {
            error_setf(err, "Snapshot '%s' does not exist in one or more devices", name);
            return -ENOENT;
        }
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

/* ---- delvm ---- */

int snapshot_delete_vm(MigrationVM *vm, const char *name, Error *err)
{
    int found = 0;
    for (int i = 0; i < vm->nr_drives; i++) {
        if (!snap_writable(vm, i) || !bdrv_can_snapshot(vm->drives[i])) {
            continue;
        }
        BlockSnapshotInfo sn;
        if (bdrv_snapshot_find(vm->drives[i], name, true, &sn, NULL) < 0) {
            continue;
        }
        found++;
        Error derr;
        error_init(&derr);
        int ret = bdrv_snapshot_delete(vm->drives[i], name, &derr);
        if (ret < 0) {
            error_setf(err, "Error while deleting snapshot on device '%s': %s",
                       snap_dev_name(vm, i), derr.msg);
            return ret;
        }
    }
    if (!found) {
        if (snap_vmstate_disk(vm) < 0) {
            error_setf(err, "No block device supports snapshots");
            return -ENOTSUP;
        }
        error_setf(err, "Snapshot '%s' does not exist", name);
        return -ENOENT;
    }
    return 0;
}

/* ---- info snapshots ---- */

typedef struct SnapText {
    char *buf;
    size_t len, cap;
} SnapText;

static void snap_printf(SnapText *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void snap_printf(SnapText *t, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) {
        return;
    }
    if (t->len + (size_t)n + 1 > t->cap) {
        size_t cap = (t->len + (size_t)n + 1) * 2;
        char *p = realloc(t->buf, cap);
        if (!p) {
            return;
        }
        t->buf = p;
        t->cap = cap;
    }
    va_start(ap, fmt);
    vsnprintf(t->buf + t->len, t->cap - t->len, fmt, ap);
    va_end(ap);
    t->len += (size_t)n;
}

static void snap_put(void *opaque, const char *line)
{
    snap_printf(opaque, "%s", line);
}

static void snap_header(SnapText *t)
{
    bdrv_snapshot_dump_header(snap_put, t);
}

static void snap_row(SnapText *t, const BlockSnapshotInfo *sn, const char *id)
{
    bdrv_snapshot_dump(sn, id, snap_put, t);
}

/* True when every other snapshot disk has a snapshot of this name. */
static bool snap_on_all(MigrationVM *vm, const char *name)
{
    for (int i = 0; i < vm->nr_drives; i++) {
        if (snap_writable(vm, i) && bdrv_can_snapshot(vm->drives[i]) &&
            snap_count_named(vm, i, name) == 0) {
            return false;
        }
    }
    return true;
}

int snapshot_info(MigrationVM *vm, char **out, Error *err)
{
    *out = NULL;
    int vi = snap_vmstate_disk(vm);
    if (vi < 0) {
        error_setf(err, "No available block device supports snapshots");
        return -ENOTSUP;
    }
    BlockSnapshotInfo *lists[MIGRATION_VM_MAX_DRIVES] = { NULL };
    int counts[MIGRATION_VM_MAX_DRIVES] = { 0 };
    int total = 0, ret = 0;
    for (int i = 0; i < vm->nr_drives && ret == 0; i++) {
        if (snap_writable(vm, i) && bdrv_can_snapshot(vm->drives[i])) {
            counts[i] = bdrv_snapshot_list(vm->drives[i], &lists[i], err);
            if (counts[i] < 0) {
                ret = counts[i];
                counts[i] = 0;
                lists[i] = NULL;
            }
            total += counts[i];
        }
    }
    SnapText t = { NULL, 0, 0 };
    if (ret < 0) {
        goto out;
    }
    if (total == 0) {
        snap_printf(&t, "There is no snapshot available.\n");
        goto out;
    }
    snap_printf(&t, "List of snapshots present on all disks:\n");
    snap_header(&t);
    int shown = 0;
    for (int k = 0; k < counts[vi]; k++) {
        if (snap_on_all(vm, lists[vi][k].name)) {
            snap_row(&t, &lists[vi][k], "--");     /* ids may differ per disk */
            shown++;
        }
    }
    if (!shown) {
        snap_printf(&t, "None\n");
    }
    for (int i = 0; i < vm->nr_drives; i++) {
        int partial = 0;
        for (int k = 0; k < counts[i]; k++) {
            if (snap_on_all(vm, lists[i][k].name)) {
                continue;
            }
            if (!partial++) {
                snap_printf(&t, "\nList of partial (non-loadable) snapshots on '%s':\n",
                            snap_dev_name(vm, i));
                snap_header(&t);
            }
            snap_row(&t, &lists[i][k], lists[i][k].id);
        }
    }
out:
    for (int i = 0; i < vm->nr_drives; i++) {
        free(lists[i]);
    }
    if (ret < 0) {
        free(t.buf);
        return ret;
    }
    if (!t.buf) {
        error_setf(err, "out of memory");
        return -ENOMEM;
    }
    *out = t.buf;
    return 0;
}

void snapshot_complete_tags(MigrationVM *vm, const char *prefix,
                            void (*add)(void *opaque, const char *tag), void *opaque)
{
    int vi = vm ? snap_vmstate_disk(vm) : -1;
    if (vi < 0) {
        return;
    }
    BlockSnapshotInfo *list;
    int n = bdrv_snapshot_list(vm->drives[vi], &list, NULL);
    for (int k = 0; k < n; k++) {
        if (strncmp(list[k].name, prefix, strlen(prefix)) == 0) {
            add(opaque, list[k].name);
        }
    }
    if (n >= 0) {
        free(list);
    }
}

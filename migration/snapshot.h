/* Internal snapshots of the whole machine in its disk images (savevm,
 * loadvm, delvm, info snapshots, -loadvm), as QEMU does them:
 *
 *   - every writable disk takes part; a writable disk whose format cannot
 *     hold snapshots (raw) refuses the operation before anything is written;
 *   - the VM state stream (savevm/savevm.c) goes into the vmstate area of
 *     the first snapshot-capable disk; the others get disk-only snapshots
 *     of the same name;
 *   - read-only disks are left alone.
 *
 * The block layer makes each step crash-safe (the VM state is unreachable
 * until the snapshot table that names it is committed); this file orders
 * the steps so a failure or crash leaves older snapshots intact. */
#ifndef MIGRATION_SNAPSHOT_H
#define MIGRATION_SNAPSHOT_H

#include <stddef.h>
#include <stdint.h>

#include "block/block.h"
#include "migration/vm.h"
#include "util/error.h"


/* savevm [name]: name NULL or "" generates vm-YYYYMMDDHHMMSS (local time).
 * An existing snapshot of that name is replaced (after the new one is
 * committed). The machine is stopped while it runs and then returns to its
 * previous run state, also on failure. */
int snapshot_save(MigrationVM *vm, const char *name, Error *err);

/* loadvm name (tag, or id on the VM state disk): reverts every disk and
 * loads the VM state. Success keeps the run state (running stays running;
 * a machine that could not run, e.g. after a failed load, becomes paused).
 * A failure once disks were reverted leaves the machine in internal-error:
 * it is never runnable half-loaded. */
int snapshot_load(MigrationVM *vm, const char *name, Error *err);

/* delvm name: deletes the snapshots of that name on every disk. */
int snapshot_delete_vm(MigrationVM *vm, const char *name, Error *err);

/* info snapshots: the text QEMU's monitor prints, in a malloc'd string
 * (*out), or an error ("No available block device supports snapshots"). */
int snapshot_info(MigrationVM *vm, char **out, Error *err);

/* Snapshot tags of the VM state disk starting with prefix (completion). */
void snapshot_complete_tags(MigrationVM *vm, const char *prefix,
                            void (*add)(void *opaque, const char *tag), void *opaque);

#endif

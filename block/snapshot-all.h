/* Internal snapshots over every disk of a machine at once (QEMU's
 * bdrv_all_*): the per-disk loops of savevm, loadvm, delvm and info
 * snapshots live here, so the snapshot orchestrator above makes one call
 * per step instead of asking about each disk.
 *
 * A set is nr slots of which any may be NULL. A disk takes part when it is
 * present and writable; read-only disks are left alone. Messages name a
 * disk by its -drive id, else its file (bdrv_device_name). */
#ifndef BLOCK_SNAPSHOT_ALL_H
#define BLOCK_SNAPSHOT_ALL_H

#include <stdbool.h>

#include "block/block.h"
#include "util/error.h"

/* A writable disk that cannot hold snapshots refuses the operation:
 * "Device 'x' is writable but does not support snapshots". */
int bdrv_all_can_snapshot(BlockDriverState *const *bs, int nr, Error *err);
/* The disk that holds the VM state: the first writable one that can
 * snapshot; -1 if none. */
int bdrv_all_find_vmstate_bs(BlockDriverState *const *bs, int nr);
int bdrv_all_flush(BlockDriverState *const *bs, int nr, Error *err);
/* True when a writable disk has a snapshot called name. */
bool bdrv_all_has_snapshot(BlockDriverState *const *bs, int nr, const char *name);

/* Creates sn on every writable disk, disk vi (with the VM state bvm, which
 * is consumed) first so that a failure leaves nothing referring to the
 * state; then deletes the older snapshots of the same name. Replacing only
 * after the commit means a crash never loses both. */
int bdrv_all_create_snapshot(BlockDriverState *const *bs, int nr, int vi,
                             const BlockSnapshotInfo *sn, BlockVmstate *bvm, Error *err);
/* Writes the VM state into a fresh vmstate area (the stream engine is
 * above this floor, so the caller gives the writer); negative with err on
 * failure, and the area is then dropped. */
typedef int (*BlockVmstateFill)(void *opaque, BlockVmstate *bvm, Error *err);
/* savevm's disk side in one call: the checks (every writable disk can
 * snapshot, and one can hold the VM state: "No block device can accept
 * snapshots"), a default name when sn->name is empty (QEMU's
 * vm-YYYYMMDDHHMMSS, then -2, -3, ... when taken; written into sn->name),
 * a flush, the VM state by fill, then sn on every disk
 * (bdrv_all_create_snapshot). */
int bdrv_all_save_snapshot(BlockDriverState *const *bs, int nr, BlockSnapshotInfo *sn,
                           BlockVmstateFill fill, void *opaque, Error *err);
/* loadvm's lookup: *vi is the VM state disk and *sn its snapshot called
 * name; every other writable disk must have one of that name too. */
int bdrv_all_find_snapshot(BlockDriverState *const *bs, int nr, const char *name, int *vi,
                           BlockSnapshotInfo *sn, Error *err);
/* Reverts every writable disk: vi by sn's id, the others by its name. */
int bdrv_all_goto_snapshot(BlockDriverState *const *bs, int nr, int vi,
                           const BlockSnapshotInfo *sn, Error *err);
/* delvm: the snapshots called name on every disk that can hold them. */
int bdrv_all_delete_snapshot(BlockDriverState *const *bs, int nr, const char *name,
                             Error *err);

/* info snapshots: QEMU's text (the table of snapshots on all disks, then
 * the partial ones per disk) in a malloc'd *out. */
int bdrv_all_snapshot_info(BlockDriverState *const *bs, int nr, char **out, Error *err);
/* Tags on the VM state disk that start with prefix (completion). */
void bdrv_all_snapshot_tags(BlockDriverState *const *bs, int nr, const char *prefix,
                            void (*add)(void *opaque, const char *tag), void *opaque);

#endif

/* -drive file=PATH[,format=qcow2|raw][,if=virtio|none][,id=NAME][,readonly=on|off]
 *        [,index=N][,media=disk]
 *        [,snapshot=on|off][,cache=writeback|unsafe|...]:
 * parsing and opening, shared by the command line and (later) the monitor. */
#ifndef BLOCK_DRIVE_H
#define BLOCK_DRIVE_H

#include <stdbool.h>
#include <stddef.h>

#include "block/block.h"
#include "util/error.h"
#include "util/report.h"

typedef enum DriveInterface {
    DRIVE_IF_VIRTIO,             /* default: a virtio-blk device on virtio-mmio */
    DRIVE_IF_NONE,               /* opened, attached to no device */
} DriveInterface;

typedef struct DriveOptions {
    char file[1024];
    char format[16];             /* "" = probe */
    DriveInterface iface;
    char id[64];                 /* "" = generated (virtioN / noneN, as QEMU) */
    int index;                   /* index=N (-hda: 0), or -1 */
    bool read_only;
    bool no_flush;               /* cache=unsafe: no fdatasync (throw-away images, tests) */
    /* snapshot=on: the image is opened read-only and the guest's writes go
     * to an overlay in memory (block/overlay.c), discarded at exit.
     * snapshot_given: the option was written (-snapshot leaves it alone). */
    bool snapshot, snapshot_given;
} DriveOptions;

/* Parses one -drive argument; false with a message naming the parameter. */
bool drive_parse(const char *spec, DriveOptions *o, Error *err);
/* -snapshot: snapshot=on for a drive that does not say snapshot=off. */
void drive_apply_global_snapshot(DriveOptions *o);
/* True when the drive's writes go to a memory overlay (snapshot=on on a
 * drive the guest may write; readonly=on needs none). */
bool drive_uses_overlay(const DriveOptions *o);
/* Opens the image (with snapshot=on: read-only, under an overlay); NULL
 * with a message naming the file. */
/* inactive (a machine waiting for an incoming migration): the image is
 * opened read-only and nothing is written to it (no repair, no header
 * update) until the migration's end reopens it with drive_open_flags(o)
 * (QEMU's inactive images and bdrv_activate_all). */
/* warn receives the warning for a probed raw image (may be NULL). */
BlockDriverState *drive_open(const DriveOptions *o, bool inactive, const Reporter *warn,
                             Error *err);
int drive_open_flags(const DriveOptions *o);

#endif

/* Reverse execution's disk log (reverse.h): every guest write to a drive
 * while reverse execution is on, with the bytes it replaced and the bytes
 * it wrote, in order. Going back undoes the writes after a checkpoint
 * (their old bytes, newest first); going forward to a later checkpoint
 * redoes them (their new bytes, oldest first); re-execution, which makes
 * the same writes again, only moves the cursor over their records. A
 * checkpoint keeps the cursor it was taken at. Host memory only: never
 * saved or migrated. */
#ifndef REPLAY_REV_DISK_H
#define REPLAY_REV_DISK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "block/block.h"
#include "util/error.h"

typedef struct RevDiskWrite {
    BlockDriverState *bs;
    uint64_t off;
    uint64_t len;
    uint8_t *old;                /* len bytes before the write, then len after it */
} RevDiskWrite;

typedef struct RevDisk {
    RevDiskWrite *w;
    size_t nr, cap;
    size_t cursor;               /* records that hold on the disks now */
    uint64_t bytes;              /* of old and new data kept */
    bool applying;               /* our own undo/redo writes: not logged */
    /* What went wrong inside a write (no memory, an unreadable old
     * content, re-execution writing elsewhere): the history before it
     * cannot be trusted (reverse.c starts a new one, or stops). */
    bool lost;
    bool diverged;
} RevDisk;

/* Watches bs's writes (a writable drive). */
void rev_disk_attach(RevDisk *rd, BlockDriverState *bs);
void rev_disk_detach(RevDisk *rd, BlockDriverState *bs);
/* Puts the disks as they were with n records applied (n <= nr). */
bool rev_disk_move_to(RevDisk *rd, size_t n, Error *err);
/* Forgets the records from n on (a new history from the cursor). */
void rev_disk_truncate(RevDisk *rd, size_t n);
/* Forgets the first n records (history now begins after them); returns
 * the bytes freed. */
uint64_t rev_disk_drop_first(RevDisk *rd, size_t n);
void rev_disk_free(RevDisk *rd);

#endif

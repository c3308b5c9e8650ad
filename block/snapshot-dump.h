/* The snapshot table as QEMU prints it (bdrv_snapshot_dump(): `info
 * snapshots` and `qemu-img snapshot -l`), one printer for the monitor and
 * amber-img. Text goes to a callback: block code never prints. */
#ifndef BLOCK_SNAPSHOT_DUMP_H
#define BLOCK_SNAPSHOT_DUMP_H

#include <stddef.h>
#include <stdint.h>

#include "block/block.h"

/* Receives one finished line, newline included. */
typedef void BlockDumpFn(void *opaque, const char *line);

/* "ID  TAG  VM SIZE  DATE  VM CLOCK  ICOUNT" */
void bdrv_snapshot_dump_header(BlockDumpFn *out, void *opaque);
/* One row; id overrides sn->id (the monitor shows "--" for a snapshot
 * present on every disk, whose ids may differ). */
void bdrv_snapshot_dump(const BlockSnapshotInfo *sn, const char *id, BlockDumpFn *out,
                        void *opaque);
/* The VM CLOCK column: "HH:MM:SS.mmm", hours not wrapped. */
void bdrv_snapshot_clock_str(uint64_t ns, char *buf, size_t len);

#endif

/* virtio-blk behind a virtio-mmio transport: read, write, flush, get-id,
 * served synchronously when the driver notifies (deterministic for
 * record/replay of snapshots). The disk is a BlockDriverState (host side). */
#ifndef HW_VIRTIO_BLK_H
#define HW_VIRTIO_BLK_H

#include <stdbool.h>
#include <stdint.h>

#include "block/block.h"
#include "util/report.h"
#include "hw/virtio-mmio.h"

#define VIRTIO_ID_BLOCK         2
#define VIRTIO_BLK_QUEUE_MAX    256
#define VIRTIO_BLK_SEG_MAX      126

typedef struct VirtioBlk {
    /* host side: no guest state lives here (the transport holds it) */
    BlockDriverState *bs;
    bool read_only;
    char serial[21];             /* GET_ID answer: the drive id, NUL-padded to 20 */
    uint8_t *buf;                /* bounce buffer for one segment */
    Reporter report;             /* where host I/O errors go (the guest sees IOERR) */
    VirtQueueElem elem;          /* the request being served (one at a time) */
} VirtioBlk;

extern const VirtioDeviceOps virtio_blk_ops;

/* Prepares dev for bs (which it does not own). */
bool virtio_blk_init(VirtioBlk *dev, BlockDriverState *bs, bool read_only, const char *id);
void virtio_blk_destroy(VirtioBlk *dev);

#endif

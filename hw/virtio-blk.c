/* virtio-blk request handling (virtio 1.1 section 5.2). A request is a
 * 16-byte header (type, reserved, sector), data buffers, and a final
 * one-byte status the device writes. */
#include "hw/virtio-blk.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define VIRTIO_BLK_F_SEG_MAX    2
#define VIRTIO_BLK_F_RO         5
#define VIRTIO_BLK_F_BLK_SIZE   6
#define VIRTIO_BLK_F_FLUSH      9

#define VIRTIO_BLK_T_IN         0
#define VIRTIO_BLK_T_OUT        1
#define VIRTIO_BLK_T_FLUSH      4
#define VIRTIO_BLK_T_GET_ID     8

#define VIRTIO_BLK_S_OK         0
#define VIRTIO_BLK_S_IOERR      1
#define VIRTIO_BLK_S_UNSUPP     2

#define VIRTIO_BLK_ID_BYTES     20
#define SECTOR                  512
#define BOUNCE                  (1u << 20)

static uint64_t virtio_blk_features(void *opaque)
{
    VirtioBlk *b = opaque;
    return (1ull << VIRTIO_BLK_F_SEG_MAX) | (1ull << VIRTIO_BLK_F_BLK_SIZE) |
           (1ull << VIRTIO_BLK_F_FLUSH) | (b->read_only ? 1ull << VIRTIO_BLK_F_RO : 0);
}

/* struct virtio_blk_config: capacity (sectors), size_max, seg_max,
 * geometry, blk_size; the rest reads as zero. */
static bool virtio_blk_config_read(void *opaque, uint64_t off, unsigned size, uint64_t *val)
{
    VirtioBlk *b = opaque;
    uint8_t cfg[64];
    memset(cfg, 0, sizeof(cfg));
    uint64_t cap = bdrv_getlength(b->bs) / SECTOR;
    uint32_t seg_max = VIRTIO_BLK_SEG_MAX, blk_size = SECTOR;
    memcpy(cfg, &cap, 8);
    memcpy(cfg + 12, &seg_max, 4);
    memcpy(cfg + 20, &blk_size, 4);
    *val = 0;
    if (off + size <= sizeof(cfg)) {
        memcpy(val, cfg + off, size);    /* little-endian host, as the guest */
    }
    return true;
}

static bool virtio_blk_config_write(void *opaque, uint64_t off, unsigned size, uint64_t val)
{
    (void)opaque;
    (void)off;
    (void)size;
    (void)val;
    return true;                 /* writeback/geometry fields not offered: ignored */
}

/* Moves len bytes between guest memory at addr and the disk at offset. */
static bool virtio_blk_rw(VirtioBlk *b, VirtioMmio *t, uint64_t addr, uint32_t len,
                          uint64_t offset, bool to_guest)
{
    Error err;
    error_init(&err);
    while (len) {
        uint32_t n = len < BOUNCE ? len : BOUNCE;
        if (to_guest) {
            if (bdrv_pread(b->bs, offset, b->buf, n, &err) < 0 ||
                !memory_rw(t->mem, addr, b->buf, n, true, false)) {
                goto fail;
            }
        } else {
            if (!memory_rw(t->mem, addr, b->buf, n, false, false) ||
                bdrv_pwrite(b->bs, offset, b->buf, n, &err) < 0) {
                goto fail;
            }
        }
        addr += n;
        offset += n;
        len -= n;
    }
    return true;
fail:
    if (err.set) {
        report_printf(&b->report, "amber: %s: %s", t->label, err.msg);
    }
    return false;
}

static void virtio_blk_handle(VirtioBlk *b, VirtioMmio *t, VirtQueueElem *e)
{
    struct {
        uint32_t type, reserved;
        uint64_t sector;
    } hdr;
    uint8_t status = VIRTIO_BLK_S_OK;
    uint32_t written = 0;
    const unsigned last = e->nr - 1;
    if (e->nr < 2 || e->seg[0].write || e->seg[0].len < sizeof(hdr) || !e->seg[last].write ||
        e->seg[last].len < 1 || !memory_rw(t->mem, e->seg[0].addr, &hdr, sizeof(hdr), false,
                                           false)) {
        virtio_mmio_set_needs_reset(t, "malformed virtio-blk request");
        return;
    }
    uint64_t offset = hdr.sector * SECTOR;
    switch (hdr.type) {
    case VIRTIO_BLK_T_IN:
    case VIRTIO_BLK_T_OUT: {
        bool in = hdr.type == VIRTIO_BLK_T_IN;
        uint64_t total = 0;
        for (unsigned i = 1; i < last; i++) {
            total += e->seg[i].len;
            if (e->seg[i].write != in) {
                status = VIRTIO_BLK_S_IOERR;   /* buffer of the wrong direction */
            }
        }
        if (hdr.sector > bdrv_getlength(b->bs) / SECTOR || total % SECTOR ||
            total > bdrv_getlength(b->bs) - offset || (!in && b->read_only)) {
            status = VIRTIO_BLK_S_IOERR;
        }
        for (unsigned i = 1; i < last && status == VIRTIO_BLK_S_OK; i++) {
            if (!virtio_blk_rw(b, t, e->seg[i].addr, e->seg[i].len, offset, in)) {
                status = VIRTIO_BLK_S_IOERR;
            }
            offset += e->seg[i].len;
            written += in ? e->seg[i].len : 0;
        }
        break;
    }
    case VIRTIO_BLK_T_FLUSH: {
        Error err;
        error_init(&err);
        if (bdrv_flush(b->bs, &err) < 0) {
            report_printf(&b->report, "amber: %s: %s", t->label, err.msg);
            status = VIRTIO_BLK_S_IOERR;
        }
        break;
    }
    case VIRTIO_BLK_T_GET_ID: {
        uint32_t n = e->nr > 2 && e->seg[1].write ? e->seg[1].len : 0;
        n = n < VIRTIO_BLK_ID_BYTES ? n : VIRTIO_BLK_ID_BYTES;
        if (n == 0 || !memory_rw(t->mem, e->seg[1].addr, b->serial, n, true, false)) {
            status = VIRTIO_BLK_S_IOERR;
        }
        written = n;
        break;
    }
    default:
        status = VIRTIO_BLK_S_UNSUPP;
        break;
    }
    if (!memory_rw(t->mem, e->seg[last].addr + e->seg[last].len - 1, &status, 1, true, false)) {
        virtio_mmio_set_needs_reset(t, "virtio-blk status byte outside RAM");
        return;
    }
    virtq_push(t, 0, e, written + 1);
}

static void virtio_blk_notify(void *opaque, VirtioMmio *t, unsigned q)
{
    VirtioBlk *b = opaque;
    (void)q;
    while (virtq_pop(t, 0, &b->elem) == 1) {
        virtio_blk_handle(b, t, &b->elem);
        if (t->st.status & VIRTIO_STATUS_NEEDS_RESET) {
            break;
        }
    }
}

static void virtio_blk_reset(void *opaque)
{
    (void)opaque;                /* requests complete synchronously: nothing in flight */
}

const VirtioDeviceOps virtio_blk_ops = {
    .device_id = VIRTIO_ID_BLOCK,
    .num_queues = 1,
    .queue_max = VIRTIO_BLK_QUEUE_MAX,
    .features = virtio_blk_features,
    .config_read = virtio_blk_config_read,
    .config_write = virtio_blk_config_write,
    .notify = virtio_blk_notify,
    .reset = virtio_blk_reset,
};

bool virtio_blk_init(VirtioBlk *dev, BlockDriverState *bs, bool read_only, const char *id)
{
    memset(dev, 0, sizeof(*dev));
    dev->bs = bs;
    dev->read_only = read_only;   /* the caller knows: the image may be inactive */
    dev->buf = malloc(BOUNCE);
    snprintf(dev->serial, sizeof(dev->serial), "%s", id ? id : "");
    return dev->buf != NULL;
}

void virtio_blk_destroy(VirtioBlk *dev)
{
    free(dev->buf);
    dev->buf = NULL;
}

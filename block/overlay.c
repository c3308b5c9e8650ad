/* snapshot=on: a writable disk over an image opened read-only, whose writes
 * stay in this process's memory and are gone when the drive is closed.
 * QEMU puts a temporary qcow2 file in /tmp for this; here the written data
 * is kept in a hash table of 4 KiB chunks keyed by chunk index. The first
 * write into a chunk copies the chunk from the image, so a read takes each
 * chunk either whole from the table or whole from the image: partial and
 * unaligned writes merge with the image's bytes at write time. */
#include "block/block.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define OVL_CHUNK_BITS 12
#define OVL_CHUNK      (1u << OVL_CHUNK_BITS)

typedef struct OverlaySlot {
    uint64_t chunk;              /* chunk index (offset >> OVL_CHUNK_BITS) */
    uint8_t *data;               /* NULL: empty slot */
} OverlaySlot;

typedef struct BDRVOverlay {
    BlockDriverState *base;      /* the image, read-only; owned */
    OverlaySlot *slots;          /* open addressing, linear probing */
    size_t cap;                  /* power of two, or 0 before the first write */
    size_t used;
} BDRVOverlay;

static size_t ovl_hash(uint64_t chunk, size_t cap)
{
    /* Fibonacci hashing: sequential chunks spread over the table. */
    return (size_t)((chunk * 0x9E3779B97F4A7C15ull) >> 32) & (cap - 1);
}

static OverlaySlot *ovl_slot(BDRVOverlay *s, uint64_t chunk)
{
    if (!s->cap) {
        return NULL;
    }
    for (size_t i = ovl_hash(chunk, s->cap);; i = (i + 1) & (s->cap - 1)) {
        if (!s->slots[i].data || s->slots[i].chunk == chunk) {
            return &s->slots[i];
        }
    }
}

/* Keeps the table at most half full, so probes stay short and a free slot
 * always exists. */
static int ovl_reserve(BDRVOverlay *s)
{
    if ((s->used + 1) * 2 <= s->cap) {
        return 0;
    }
    size_t cap = s->cap ? s->cap * 2 : 256;
    OverlaySlot *slots = calloc(cap, sizeof(*slots));
    if (!slots) {
        return -ENOMEM;
    }
    OverlaySlot *old = s->slots;
    size_t old_cap = s->cap;
    s->slots = slots;
    s->cap = cap;
    for (size_t i = 0; i < old_cap; i++) {
        if (old[i].data) {
            *ovl_slot(s, old[i].chunk) = old[i];
        }
    }
    free(old);
    return 0;
}

/* Bytes of chunk c that lie inside the disk (the last chunk may be short). */
static uint64_t ovl_chunk_len(const BlockDriverState *bs, uint64_t c)
{
    uint64_t start = c << OVL_CHUNK_BITS;
    uint64_t left = bs->total_size - start;
    return left < OVL_CHUNK ? left : OVL_CHUNK;
}

static int ovl_pread(BlockDriverState *bs, uint64_t off, void *buf, uint64_t len, Error *err)
{
    BDRVOverlay *s = bs->opaque;
    uint8_t *out = buf;
    uint64_t start = off, end = off + len;
    /* Runs of chunks the guest never wrote go to the image in one read. */
    uint64_t run_start = off;
    while (off < end) {
        uint64_t c = off >> OVL_CHUNK_BITS;
        uint64_t in = off & (OVL_CHUNK - 1);
        uint64_t n = OVL_CHUNK - in < end - off ? OVL_CHUNK - in : end - off;
        OverlaySlot *sl = ovl_slot(s, c);
        if (sl && sl->data) {
            if (run_start < off) {
                int ret = bdrv_pread(s->base, run_start, out + (run_start - start),
                                     off - run_start, err);
                if (ret < 0) {
                    return ret;
                }
            }
            memcpy(out + (off - start), sl->data + in, n);
            run_start = off + n;
        }
        off += n;
    }
    if (run_start < end) {
        return bdrv_pread(s->base, run_start, out + (run_start - start), end - run_start,
                          err);
    }
    return 0;
}

static int ovl_pwrite(BlockDriverState *bs, uint64_t off, const void *buf, uint64_t len,
                      Error *err)
{
    BDRVOverlay *s = bs->opaque;
    const uint8_t *in = buf;
    while (len > 0) {
        uint64_t c = off >> OVL_CHUNK_BITS;
        uint64_t at = off & (OVL_CHUNK - 1);
        uint64_t n = OVL_CHUNK - at < len ? OVL_CHUNK - at : len;
        OverlaySlot *sl = ovl_slot(s, c);
        if (!sl || !sl->data) {
            uint8_t *data = calloc(1, OVL_CHUNK);
            if (!data || ovl_reserve(s) < 0) {
                free(data);
                error_setf(err, "%s: snapshot=on overlay: out of memory after %zu KiB of "
                           "written data", bs->filename, s->used * (OVL_CHUNK / 1024));
                return -ENOMEM;
            }
            uint64_t clen = ovl_chunk_len(bs, c);
            /* A chunk the write does not cover whole starts as the image's. */
            if (at != 0 || n < clen) {
                int ret = bdrv_pread(s->base, c << OVL_CHUNK_BITS, data, clen, err);
                if (ret < 0) {
                    free(data);
                    return ret;
                }
            }
            sl = ovl_slot(s, c);         /* the table may have grown */
            sl->chunk = c;
            sl->data = data;
            s->used++;
        }
        memcpy(sl->data + at, in, n);
        in += n;
        off += n;
        len -= n;
    }
    return 0;
}

/* The written data is as durable as it will ever be: it lives only as long
 * as the process, and the image takes none of it. */
static int ovl_flush(BlockDriverState *bs, Error *err)
{
    (void)bs;
    (void)err;
    return 0;
}

static void ovl_close(BlockDriverState *bs)
{
    BDRVOverlay *s = bs->opaque;
    for (size_t i = 0; i < s->cap; i++) {
        free(s->slots[i].data);
    }
    free(s->slots);
    s->slots = NULL;
    s->cap = s->used = 0;
    bdrv_close(s->base);
    s->base = NULL;
}

/* Not in block.c's format table: an "overlay" is never opened or probed,
 * only made by bdrv_overlay_new(). No snapshot operations: savevm treats it
 * as a writable disk that cannot hold snapshots. */
static const BlockDriver bdrv_overlay = {
    .format_name = "overlay",
    .state_size = sizeof(BDRVOverlay),
    .close = ovl_close,
    .pread = ovl_pread,
    .pwrite = ovl_pwrite,
    .flush = ovl_flush,
};

BlockDriverState *bdrv_overlay_new(BlockDriverState *base, Error *err)
{
    BlockDriverState *bs = calloc(1, sizeof(*bs));
    BDRVOverlay *s = calloc(1, sizeof(*s));
    if (!bs || !s) {
        free(bs);
        free(s);
        error_setf(err, "Could not open '%s' with snapshot=on: out of memory", base->filename);
        bdrv_close(base);
        return NULL;
    }
    s->base = base;
    bs->drv = &bdrv_overlay;
    bs->fd = -1;
    bs->read_only = false;
    bs->no_flush = true;
    bs->total_size = base->total_size;
    bs->opaque = s;
    snprintf(bs->filename, sizeof(bs->filename), "%s", base->filename);
    snprintf(bs->id, sizeof(bs->id), "%s", base->id);
    return bs;
}

bool bdrv_is_overlay(const BlockDriverState *bs)
{
    return bs->drv == &bdrv_overlay;
}

BlockDriverState *bdrv_overlay_base(const BlockDriverState *bs)
{
    return bdrv_is_overlay(bs) ? ((const BDRVOverlay *)bs->opaque)->base : NULL;
}

uint64_t bdrv_overlay_bytes(const BlockDriverState *bs)
{
    return bdrv_is_overlay(bs) ? (uint64_t)((const BDRVOverlay *)bs->opaque)->used * OVL_CHUNK
                               : 0;
}

/* Reverse execution's disk log (rev-disk.h). */
#include "replay/rev-disk.h"

#include <stdlib.h>
#include <string.h>

static void rev_disk_watch(void *opaque, BlockDriverState *bs, uint64_t off, const void *buf,
                           uint64_t len)
{
    RevDisk *rd = opaque;
    if (rd->applying || rd->lost || len == 0) {
        return;
    }
    if (rd->cursor < rd->nr) {
        /* Re-execution: the write its record holds, made again. */
        const RevDiskWrite *w = &rd->w[rd->cursor];
        if (w->bs != bs || w->off != off || w->len != len || memcmp(w->old + len, buf, len)) {
            rd->diverged = true;
        }
        rd->cursor++;
        return;
    }
    if (rd->nr == rd->cap) {
        size_t cap = rd->cap ? rd->cap * 2 : 64;
        RevDiskWrite *n = realloc(rd->w, cap * sizeof(*n));
        if (!n) {
            rd->lost = true;
            return;
        }
        rd->w = n;
        rd->cap = cap;
    }
    uint8_t *data = len <= SIZE_MAX / 2 ? malloc(2 * len) : NULL;
    Error err;
    error_init(&err);
    if (!data || bdrv_pread(bs, off, data, len, &err) < 0) {
        free(data);
        rd->lost = true;
        return;
    }
    memcpy(data + len, buf, len);
    rd->w[rd->nr++] = (RevDiskWrite){ .bs = bs, .off = off, .len = len, .old = data };
    rd->cursor = rd->nr;
    rd->bytes += 2 * len;
}

void rev_disk_attach(RevDisk *rd, BlockDriverState *bs)
{
    bs->write_watch = rev_disk_watch;
    bs->write_watch_opaque = rd;
}

void rev_disk_detach(RevDisk *rd, BlockDriverState *bs)
{
    if (bs->write_watch_opaque == rd) {
        bs->write_watch = NULL;
        bs->write_watch_opaque = NULL;
    }
}

bool rev_disk_move_to(RevDisk *rd, size_t n, Error *err)
{
    bool ok = true;
    rd->applying = true;
    while (ok && rd->cursor > n) {
        const RevDiskWrite *w = &rd->w[rd->cursor - 1];
        ok = bdrv_pwrite(w->bs, w->off, w->old, w->len, err) >= 0;
        rd->cursor -= ok;
    }
    while (ok && rd->cursor < n) {
        const RevDiskWrite *w = &rd->w[rd->cursor];
        ok = bdrv_pwrite(w->bs, w->off, w->old + w->len, w->len, err) >= 0;
        rd->cursor += ok;
    }
    rd->applying = false;
    if (!ok) {
        error_prependf(err, "putting the disks back: ");
    }
    return ok;
}

void rev_disk_truncate(RevDisk *rd, size_t n)
{
    while (rd->nr > n) {
        RevDiskWrite *w = &rd->w[--rd->nr];
        rd->bytes -= 2 * w->len;
        free(w->old);
    }
    if (rd->cursor > rd->nr) {
        rd->cursor = rd->nr;
    }
}

uint64_t rev_disk_drop_first(RevDisk *rd, size_t n)
{
    uint64_t freed = 0;
    n = n < rd->nr ? n : rd->nr;
    for (size_t i = 0; i < n; i++) {
        freed += 2 * rd->w[i].len;
        free(rd->w[i].old);
    }
    if (n) {
        memmove(rd->w, rd->w + n, (rd->nr - n) * sizeof(*rd->w));
    }
    rd->nr -= n;
    rd->cursor = rd->cursor > n ? rd->cursor - n : 0;
    rd->bytes -= freed;
    return freed;
}

void rev_disk_free(RevDisk *rd)
{
    rev_disk_truncate(rd, 0);
    free(rd->w);
    memset(rd, 0, sizeof(*rd));
}

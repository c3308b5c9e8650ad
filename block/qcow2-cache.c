/* Write-back caches of L2 tables and refcount blocks. A dirty L2 table is
 * written only after the refcount blocks are flushed and synced, so a table
 * never reaches the disk pointing at a cluster whose refcount is still 0. */
#include "block/qcow2.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int qcow2_cache_init(Qcow2Cache *c, uint64_t cluster_size, const char *what)
{
    memset(c, 0, sizeof(*c));
    c->what = what;
    for (int i = 0; i < QCOW2_CACHE_SLOTS; i++) {
        c->data[i] = malloc(cluster_size);
        if (!c->data[i]) {
            return -ENOMEM;
        }
    }
    return 0;
}

void qcow2_cache_destroy(Qcow2Cache *c)
{
    for (int i = 0; i < QCOW2_CACHE_SLOTS; i++) {
        free(c->data[i]);
        c->data[i] = NULL;
    }
}

static int qcow2_cache_write_slot(Qcow2State *s, Qcow2Cache *c, int i, Error *err)
{
    if (!c->dirty[i]) {
        return 0;
    }
    int ret;
    if (c == &s->l2_cache) {
        ret = qcow2_flush_refcounts(s, err);
        if (ret < 0) {
            return ret;
        }
    }
    ret = qcow2_meta_write(s, c->offset[i], c->data[i], s->cluster_size, err, c->what);
    if (ret < 0) {
        return ret;
    }
    c->dirty[i] = false;
    if (c == &s->rb_cache) {
        s->rb_written = true;
    }
    return 0;
}

int qcow2_cache_get(Qcow2State *s, Qcow2Cache *c, uint64_t offset, bool fill, uint8_t **table,
                    Error *err)
{
    int victim = 0;
    for (int i = 0; i < QCOW2_CACHE_SLOTS; i++) {
        if (c->offset[i] == offset && offset != 0) {
            c->used[i] = ++c->stamp;
            if (!fill) {
                memset(c->data[i], 0, s->cluster_size);
                c->dirty[i] = true;
            }
            *table = c->data[i];
            return 0;
        }
        if (c->offset[i] == 0) {
            if (c->offset[victim] != 0) {
                victim = i;
            }
        } else if (c->offset[victim] != 0 && c->used[i] < c->used[victim]) {
            victim = i;
        }
    }
    int ret = qcow2_cache_write_slot(s, c, victim, err);
    if (ret < 0) {
        return ret;
    }
    c->offset[victim] = 0;
    if (fill) {
        ret = bdrv_pread_full(s->bs->fd, offset, c->data[victim], s->cluster_size, true, err,
                              c->what);
        if (ret < 0) {
            return ret;
        }
    } else {
        memset(c->data[victim], 0, s->cluster_size);
        c->dirty[victim] = true;
    }
    c->offset[victim] = offset;
    c->used[victim] = ++c->stamp;
    *table = c->data[victim];
    return 0;
}

void qcow2_cache_mark_dirty(Qcow2Cache *c, const uint8_t *table)
{
    for (int i = 0; i < QCOW2_CACHE_SLOTS; i++) {
        if (c->data[i] == table) {
            c->dirty[i] = true;
            return;
        }
    }
}

bool qcow2_cache_dirty(const Qcow2Cache *c)
{
    for (int i = 0; i < QCOW2_CACHE_SLOTS; i++) {
        if (c->offset[i] && c->dirty[i]) {
            return true;
        }
    }
    return false;
}

int qcow2_cache_flush(Qcow2State *s, Qcow2Cache *c, Error *err)
{
    for (int i = 0; i < QCOW2_CACHE_SLOTS; i++) {
        if (c->offset[i]) {
            int ret = qcow2_cache_write_slot(s, c, i, err);
            if (ret < 0) {
                return ret;
            }
        }
    }
    return 0;
}

/* Forgets a table without writing it (its cluster was freed). */
void qcow2_cache_discard(Qcow2Cache *c, uint64_t offset)
{
    for (int i = 0; i < QCOW2_CACHE_SLOTS; i++) {
        if (c->offset[i] == offset) {
            c->offset[i] = 0;
            c->dirty[i] = false;
        }
    }
}

void qcow2_cache_drop_all(Qcow2Cache *c)
{
    for (int i = 0; i < QCOW2_CACHE_SLOTS; i++) {
        c->offset[i] = 0;
        c->dirty[i] = false;
    }
}

/* Snapshot operations over a machine's set of disks (snapshot-all.h). */
#include "block/snapshot-all.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "block/snapshot-dump.h"

/* Disk i takes part in a snapshot. */
static bool all_writable(BlockDriverState *const *bs, int i)
{
    return bs[i] && !bs[i]->read_only;
}

/* Snapshots called name on disk i (0 when it has none or cannot list). */
static int all_count_named(BlockDriverState *b, const char *name)
{
    BlockSnapshotInfo *list;
    int n = bdrv_snapshot_list(b, &list, NULL);
    int count = 0;
    for (int k = 0; k < n; k++) {
        count += strcmp(list[k].name, name) == 0;
    }
    if (n >= 0) {
        free(list);
    }
    return count;
}

int bdrv_all_can_snapshot(BlockDriverState *const *bs, int nr, Error *err)
{
    for (int i = 0; i < nr; i++) {
        if (all_writable(bs, i) && !bdrv_can_snapshot(bs[i])) {
            error_setf(err, "Device '%s' is writable but does not support snapshots%s",
                       bdrv_device_name(bs[i]),
                       bdrv_is_overlay(bs[i])
                           ? " (snapshot=on: its writes are in a temporary overlay in memory)"
                           : "");
            return -ENOTSUP;
        }
    }
    return 0;
}

int bdrv_all_find_vmstate_bs(BlockDriverState *const *bs, int nr)
{
    for (int i = 0; i < nr; i++) {
        if (all_writable(bs, i) && bdrv_can_snapshot(bs[i])) {
            return i;
        }
    }
    return -1;
}

int bdrv_all_flush(BlockDriverState *const *bs, int nr, Error *err)
{
    for (int i = 0; i < nr; i++) {
        if (all_writable(bs, i)) {
            int ret = bdrv_flush(bs[i], err);
            if (ret < 0) {
                return ret;
            }
        }
    }
    return 0;
}

bool bdrv_all_has_snapshot(BlockDriverState *const *bs, int nr, const char *name)
{
    for (int i = 0; i < nr; i++) {
        if (all_writable(bs, i) && all_count_named(bs[i], name) > 0) {
            return true;
        }
    }
    return false;
}

int bdrv_all_create_snapshot(BlockDriverState *const *bs, int nr, int vi,
                             const BlockSnapshotInfo *sn, BlockVmstate *bvm, Error *err)
{
    for (int pass = 0; pass < 2; pass++) {
        for (int i = 0; i < nr; i++) {
            if (!all_writable(bs, i) || (pass == 0) != (i == vi)) {
                continue;
            }
            BlockSnapshotInfo one = *sn;
            int ret = bdrv_snapshot_create(bs[i], &one, i == vi ? bvm : NULL, err);
            if (ret < 0) {
                error_prependf(err, "Error while creating snapshot on '%s': ",
                               bdrv_device_name(bs[i]));
                return ret;
            }
        }
    }
    /* The new entry is the last of its name, and delete removes the first. */
    for (int i = 0; i < nr; i++) {
        if (!all_writable(bs, i)) {
            continue;
        }
        for (int n = all_count_named(bs[i], sn->name); n > 1; n--) {
            int ret = bdrv_snapshot_delete(bs[i], sn->name, err);
            if (ret < 0) {
                error_prependf(err, "Error while deleting the older snapshot '%s' on '%s': ",
                               sn->name, bdrv_device_name(bs[i]));
                return ret;
            }
        }
    }
    return 0;
}

/* QEMU's vm-YYYYMMDDHHMMSS, with -2, -3, ... when that is taken: QEMU's HMP
 * savevm replaces a snapshot that has the generated name (two tagless saves
 * in one second), but nothing the user did not name is replaced here. */
static int all_default_name(BlockDriverState *const *bs, int nr, char *buf, size_t len,
                            Error *err)
{
    time_t now = time(NULL);
    struct tm tm;
    char base[32];
    localtime_r(&now, &tm);
    strftime(base, sizeof(base), "vm-%Y%m%d%H%M%S", &tm);
    snprintf(buf, len, "%s", base);
    for (unsigned n = 2; bdrv_all_has_snapshot(bs, nr, buf); n++) {
        if (n > 9999) {
            error_setf(err, "No free snapshot name %s-N: name the snapshot", base);
            return -EEXIST;
        }
        snprintf(buf, len, "%s-%u", base, n);
    }
    return 0;
}

int bdrv_all_save_snapshot(BlockDriverState *const *bs, int nr, BlockSnapshotInfo *sn,
                           BlockVmstateFill fill, void *opaque, Error *err)
{
    int ret = bdrv_all_can_snapshot(bs, nr, err);
    if (ret < 0) {
        return ret;
    }
    int vi = bdrv_all_find_vmstate_bs(bs, nr);
    if (vi < 0) {
        error_setf(err, "No block device can accept snapshots");
        return -ENOTSUP;
    }
    if (!sn->name[0]) {
        ret = all_default_name(bs, nr, sn->name, sizeof(sn->name), err);
        if (ret < 0) {
            return ret;
        }
    }
    ret = bdrv_all_flush(bs, nr, err);
    if (ret < 0) {
        return ret;
    }
    BlockVmstate *bvm = bdrv_vmstate_writer_open(bs[vi], err);
    if (!bvm) {
        return -EIO;
    }
    ret = fill(opaque, bvm, err);
    if (ret < 0) {
        bdrv_vmstate_close(bvm);    /* the area is reachable from no snapshot */
        return ret;
    }
    return bdrv_all_create_snapshot(bs, nr, vi, sn, bvm, err);
}

int bdrv_all_find_snapshot(BlockDriverState *const *bs, int nr, const char *name, int *vi,
                           BlockSnapshotInfo *sn, Error *err)
{
    *vi = bdrv_all_find_vmstate_bs(bs, nr);
    if (*vi < 0) {
        error_setf(err, "No block device can accept snapshots");
        return -ENOTSUP;
    }
    if (bdrv_snapshot_find(bs[*vi], name, false, sn, NULL) < 0) {
        error_setf(err, "Snapshot '%s' does not exist in one or more devices", name);
        return -ENOENT;
    }
    for (int i = 0; i < nr; i++) {
        BlockSnapshotInfo other;
        if (all_writable(bs, i) && i != *vi &&
            bdrv_snapshot_find(bs[i], sn->name, true, &other, NULL) < 0) {
            error_setf(err, "Snapshot '%s' does not exist in one or more devices", name);
            return -ENOENT;
        }
    }
    return 0;
}

int bdrv_all_goto_snapshot(BlockDriverState *const *bs, int nr, int vi,
                           const BlockSnapshotInfo *sn, Error *err)
{
    for (int i = 0; i < nr; i++) {
        if (!all_writable(bs, i)) {
            continue;
        }
        Error gerr;
        error_init(&gerr);
        int ret = bdrv_snapshot_goto(bs[i], i == vi ? sn->id : sn->name, &gerr);
        if (ret < 0) {
            error_setf(err, "Error %d while activating snapshot '%s' on '%s': %s", ret,
                       sn->name, bdrv_device_name(bs[i]), gerr.msg);
            return ret;
        }
    }
    return 0;
}

int bdrv_all_delete_snapshot(BlockDriverState *const *bs, int nr, const char *name,
                             Error *err)
{
    int found = 0;
    for (int i = 0; i < nr; i++) {
        if (!all_writable(bs, i) || !bdrv_can_snapshot(bs[i])) {
            continue;
        }
        BlockSnapshotInfo sn;
        if (bdrv_snapshot_find(bs[i], name, true, &sn, NULL) < 0) {
            continue;
        }
        found++;
        Error derr;
        error_init(&derr);
        int ret = bdrv_snapshot_delete(bs[i], name, &derr);
        if (ret < 0) {
            error_setf(err, "Error while deleting snapshot on device '%s': %s",
                       bdrv_device_name(bs[i]), derr.msg);
            return ret;
        }
    }
    if (!found) {
        if (bdrv_all_find_vmstate_bs(bs, nr) < 0) {
            error_setf(err, "No block device supports snapshots");
            return -ENOTSUP;
        }
        error_setf(err, "Snapshot '%s' does not exist", name);
        return -ENOENT;
    }
    return 0;
}

/* ---- info snapshots ---- */

typedef struct AllText {
    char *buf;
    size_t len, cap;
    bool oom;
} AllText;

static void all_printf(AllText *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void all_printf(AllText *t, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || t->oom) {
        return;
    }
    if (t->len + (size_t)n + 1 > t->cap) {
        size_t cap = (t->len + (size_t)n + 1) * 2;
        char *p = realloc(t->buf, cap);
        if (!p) {
            t->oom = true;
            return;
        }
        t->buf = p;
        t->cap = cap;
    }
    va_start(ap, fmt);
    vsnprintf(t->buf + t->len, t->cap - t->len, fmt, ap);
    va_end(ap);
    t->len += (size_t)n;
}

static void all_put(void *opaque, const char *line)
{
    all_printf(opaque, "%s", line);
}

/* True when every other snapshot disk has a snapshot of this name. */
static bool all_on_every_disk(BlockDriverState *const *bs, int nr, const char *name)
{
    for (int i = 0; i < nr; i++) {
        if (all_writable(bs, i) && bdrv_can_snapshot(bs[i]) && all_count_named(bs[i], name) == 0) {
            return false;
        }
    }
    return true;
}

/* The lists of every snapshot disk; *total their sum. */
static int all_list(BlockDriverState *const *bs, int nr, BlockSnapshotInfo **lists, int *counts,
                    int *total, Error *err)
{
    *total = 0;
    for (int i = 0; i < nr; i++) {
        if (all_writable(bs, i) && bdrv_can_snapshot(bs[i])) {
            counts[i] = bdrv_snapshot_list(bs[i], &lists[i], err);
            if (counts[i] < 0) {
                int ret = counts[i];
                counts[i] = 0;
                lists[i] = NULL;
                return ret;
            }
            *total += counts[i];
        }
    }
    return 0;
}

static void all_print_tables(BlockDriverState *const *bs, int nr, int vi,
                             BlockSnapshotInfo **lists, const int *counts, AllText *t)
{
    all_printf(t, "List of snapshots present on all disks:\n");
    bdrv_snapshot_dump_header(all_put, t);
    int shown = 0;
    for (int k = 0; k < counts[vi]; k++) {
        if (all_on_every_disk(bs, nr, lists[vi][k].name)) {
            bdrv_snapshot_dump(&lists[vi][k], "--", all_put, t);   /* ids may differ per disk */
            shown++;
        }
    }
    if (!shown) {
        all_printf(t, "None\n");
    }
    for (int i = 0; i < nr; i++) {
        int partial = 0;
        for (int k = 0; k < counts[i]; k++) {
            if (all_on_every_disk(bs, nr, lists[i][k].name)) {
                continue;
            }
            if (!partial++) {
                all_printf(t, "\nList of partial (non-loadable) snapshots on '%s':\n",
                           bdrv_device_name(bs[i]));
                bdrv_snapshot_dump_header(all_put, t);
            }
            bdrv_snapshot_dump(&lists[i][k], lists[i][k].id, all_put, t);
        }
    }
}

int bdrv_all_snapshot_info(BlockDriverState *const *bs, int nr, char **out, Error *err)
{
    *out = NULL;
    int vi = bdrv_all_find_vmstate_bs(bs, nr);
    if (vi < 0) {
        error_setf(err, "No available block device supports snapshots");
        return -ENOTSUP;
    }
    BlockSnapshotInfo **lists = calloc((size_t)nr, sizeof(*lists));
    int *counts = calloc((size_t)nr, sizeof(*counts));
    AllText t = { NULL, 0, 0, false };
    int total = 0;
    int ret = -ENOMEM;
    if (!lists || !counts) {
        error_setf(err, "out of memory");
    } else {
        ret = all_list(bs, nr, lists, counts, &total, err);
    }
    if (ret == 0 && total == 0) {
        all_printf(&t, "There is no snapshot available.\n");
    } else if (ret == 0) {
        all_print_tables(bs, nr, vi, lists, counts, &t);
    }
    for (int i = 0; lists && i < nr; i++) {
        free(lists[i]);
    }
    free(lists);
    free(counts);
    if (ret == 0 && (t.oom || !t.buf)) {
        error_setf(err, "out of memory");
        ret = -ENOMEM;
    }
    if (ret < 0) {
        free(t.buf);
        return ret;
    }
    *out = t.buf;
    return 0;
}

void bdrv_all_snapshot_tags(BlockDriverState *const *bs, int nr, const char *prefix,
                            void (*add)(void *opaque, const char *tag), void *opaque)
{
    int vi = bdrv_all_find_vmstate_bs(bs, nr);
    if (vi < 0) {
        return;
    }
    BlockSnapshotInfo *list;
    int n = bdrv_snapshot_list(bs[vi], &list, NULL);
    for (int k = 0; k < n; k++) {
        if (strncmp(list[k].name, prefix, strlen(prefix)) == 0) {
            add(opaque, list[k].name);
        }
    }
    if (n >= 0) {
        free(list);
    }
}

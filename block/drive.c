/* -drive option parsing (QEMU's syntax: key=value pairs, ",," is a comma
 * inside a value) and opening. */
#include "block/drive.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool drive_fail(Error *err, const char *spec, const char *msg,
                       const char *what)
{
    error_setf(err, "-drive %s: %s%s%s%s", spec, msg, what ? " '" : "", what ? what : "",
               what ? "'" : "");
    return false;
}

static bool drive_set(char *dst, size_t len, const char *val)
{
    if (strlen(val) >= len) {
        return false;
    }
    strcpy(dst, val);
    return true;
}

bool drive_parse(const char *spec, DriveOptions *o, Error *err)
{
    memset(o, 0, sizeof(*o));
    o->index = -1;
    size_t n = strlen(spec);
    char *buf = malloc(n + 1);
    if (!buf) {
        return drive_fail(err, spec, "out of memory", NULL);
    }
    bool ok = true;
    for (size_t i = 0; ok && i <= n;) {
        /* one key=value item; ",," stands for a comma */
        size_t k = 0;
        while (i < n && !(spec[i] == ',' && spec[i + 1] != ',')) {
            buf[k++] = spec[i];
            i += (spec[i] == ',') ? 2 : 1;
        }
        buf[k] = '\0';
        i++;
        if (k == 0) {
            continue;
        }
        char *eq = strchr(buf, '=');
        if (!eq) {
            ok = drive_fail(err, spec, "expected key=value, got", buf);
            break;
        }
        *eq = '\0';
        const char *key = buf, *val = eq + 1;
        if (!strcmp(key, "file")) {
            ok = drive_set(o->file, sizeof(o->file), val) ||
                 drive_fail(err, spec, "file name too long", NULL);
        } else if (!strcmp(key, "format")) {
            ok = bdrv_find_format(val) ? drive_set(o->format, sizeof(o->format), val)
                                       : drive_fail(err, spec, "Unknown driver", val);
        } else if (!strcmp(key, "if")) {
            if (!strcmp(val, "virtio")) {
                o->iface = DRIVE_IF_VIRTIO;
            } else if (!strcmp(val, "none")) {
                o->iface = DRIVE_IF_NONE;
            } else {
                ok = drive_fail(err, spec, "unsupported interface (virtio or none)", val);
            }
        } else if (!strcmp(key, "id")) {
            ok = (val[0] && drive_set(o->id, sizeof(o->id), val)) ||
                 drive_fail(err, spec, "invalid id", val);
        } else if (!strcmp(key, "index")) {
            char *end;
            long idx = strtol(val, &end, 10);
            ok = (val[0] && !*end && idx >= 0 && idx < 1000) ||
                 drive_fail(err, spec, "invalid index", val);
            o->index = (int)idx;
        } else if (!strcmp(key, "media")) {
            /* No CD-ROM on the virt board (nor on QEMU's with virtio-blk). */
            ok = !strcmp(val, "disk") ||
                 drive_fail(err, spec, "unsupported media (only disk)", val);
        } else if (!strcmp(key, "readonly")) {
            if (!strcmp(val, "on")) {
                o->read_only = true;
            } else if (!strcmp(val, "off")) {
                o->read_only = false;
            } else {
                ok = drive_fail(err, spec, "readonly expects on or off, got", val);
            }
        } else if (!strcmp(key, "snapshot")) {
            o->snapshot_given = true;
            if (!strcmp(val, "on")) {
                o->snapshot = true;
            } else if (!strcmp(val, "off")) {
                o->snapshot = false;
            } else {
                ok = drive_fail(err, spec, "snapshot expects on or off, got", val);
            }
        } else if (!strcmp(key, "cache")) {
            /* QEMU's modes; only unsafe changes anything here (no fdatasync:
             * writes stay ordered, so a killed process still leaves at most
             * leaks, but a host crash may lose them). */
            static const char *const modes[] = { "writeback", "writethrough", "none",
                                                 "directsync", "unsafe", NULL };
            int m = 0;
            while (modes[m] && strcmp(modes[m], val)) {
                m++;
            }
            o->no_flush = modes[m] && !strcmp(val, "unsafe");
            ok = modes[m] || drive_fail(err, spec, "invalid cache option", val);
        } else {
            ok = drive_fail(err, spec, "Invalid parameter", key);
        }
    }
    free(buf);
    if (ok && !o->file[0]) {
        ok = drive_fail(err, spec, "a file=PATH is required", NULL);
    }
    return ok;
}

void drive_apply_global_snapshot(DriveOptions *o)
{
    /* As QEMU's drive_enable_snapshot(): an explicit snapshot=off wins. */
    if (!o->snapshot_given) {
        o->snapshot = true;
    }
}

bool drive_uses_overlay(const DriveOptions *o)
{
    return o->snapshot && !o->read_only;
}

int drive_open_flags(const DriveOptions *o)
{
    return (o->read_only || drive_uses_overlay(o) ? 0 : BDRV_O_RDWR) |
           (o->no_flush ? BDRV_O_NO_FLUSH : 0);
}

BlockDriverState *drive_open(const DriveOptions *o, bool inactive, const Reporter *warn,
                             Error *err)
{
    Error e;
    error_init(&e);
    if (!o->format[0]) {
        /* As QEMU: probing is allowed, but a guessed raw is worth a word. */
        BlockDriverState *probe = bdrv_open_report(o->file, NULL, 0, warn, &e);
        if (probe && strcmp(bdrv_format_name(probe), "raw") == 0) {
            report_printf(warn, "amber: warning: Image format was not specified for '%s' and "
                          "probing guessed raw; specify format=raw to silence this", o->file);
        }
        bdrv_close(probe);
    }
    error_init(&e);
    /* snapshot=on: the image itself is only read, so it is opened as such
     * (a read-only file, a qcow2 image that is neither repaired nor marked). */
    bool overlay = drive_uses_overlay(o);
    int flags = drive_open_flags(o);
    if (inactive && !overlay) {
        flags &= ~BDRV_O_RDWR;   /* until drive_activate: another process owns it */
    }
    BlockDriverState *bs = bdrv_open_report(o->file, o->format[0] ? o->format : NULL, flags,
                                            warn, &e);
    if (bs && !inactive && bdrv_lock(bs, flags & BDRV_O_RDWR, &e) < 0) {
        bdrv_close(bs);
        bs = NULL;
    }
    if (bs && overlay) {
        bs = bdrv_overlay_new(bs, &e);
    }
    if (!bs) {
        error_setf(err, "-drive file=%s: %s", o->file, e.msg);
        return NULL;
    }
    snprintf(bs->id, sizeof(bs->id), "%s", o->id);
    return bs;
}

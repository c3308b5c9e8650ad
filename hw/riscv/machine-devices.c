/* -device: QEMU's way to put a disk on virtio-mmio,
 *   -drive file=disk.img,if=none,id=hd0 -device virtio-blk-device,drive=hd0
 * The device models are virtio-blk-device and virtio-net-device (its
 * options are machine-net.c's); each takes the next free
 * virtio-mmio slot below the if=virtio drives (machine-drives.c). The
 * messages are QEMU's, so a command line written for qemu-system-riscv64
 * fails the same way here. */
#include "hw/riscv/machine.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEVICE_VIRTIO_BLK "virtio-blk-device"
#define DEVICE_VIRTIO_NET "virtio-net-device"

/* The drive whose id is `id`, or -1. */
static int device_find_drive(const Machine *m, const char *id)
{
    for (int i = 0; i < m->nr_drives; i++) {
        if (!strcmp(m->drive[i].id, id)) {
            return i;
        }
    }
    return -1;
}

static bool device_fail(Error *err, const char *spec, const char *fmt,
                        const char *a)
{
    char msg[256];
    snprintf(msg, sizeof(msg), fmt, a);
    error_setf(err, "-device %s: %s", spec, msg);
    return false;
}

/* One -device argument: "driver[,drive=ID][,serial=S][,id=NAME]" ("driver=" may be
 * spelled out, as QEMU allows). */
static bool device_plug(Machine *m, const char *spec, int *slot, const VirtioDeviceOps **ops,
                        Error *err)
{
    char *copy = strdup(spec);
    if (!copy) {
        return device_fail(err, spec, "%s", "out of memory");
    }
    char *save = NULL;
    const char *driver = NULL, *drive = NULL, *serial = NULL;
    bool ok = true;
    for (char *t = strtok_r(copy, ",", &save); t && ok; t = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(t, '=');
        if (!driver && !eq) {
            driver = t;
            continue;
        }
        if (!eq) {
            ok = device_fail(err, spec, "Invalid parameter '%s'", t);
            break;
        }
        *eq = '\0';
        if (!strcmp(t, "driver") && !driver) {
            driver = eq + 1;
        } else if (!driver) {
            ok = device_fail(err, spec, "%s", "Parameter 'driver' is missing");
        } else if (strcmp(driver, DEVICE_VIRTIO_BLK) != 0) {
            break;               /* reported below, as QEMU: the model first */
        } else if (!strcmp(t, "drive")) {
            drive = eq + 1;
        } else if (!strcmp(t, "serial")) {
            serial = eq + 1;
        } else if (!strcmp(t, "id")) {
            /* a device id: accepted, nothing refers to it */
        } else {
            ok = device_fail(err, spec, "Property '" DEVICE_VIRTIO_BLK ".%s' not found", t);
        }
    }
    if (ok && !driver) {
        ok = device_fail(err, spec, "%s", "Parameter 'driver' is missing");
    }
    if (ok && !strcmp(driver, DEVICE_VIRTIO_NET)) {
        free(copy);              /* a NIC: machine-net.c reads its options */
        return machine_plug_net_device(m, spec, slot, ops, err);
    }
    if (ok && !strcmp(driver, "virtio-net-pci")) {
        ok = device_fail(err, spec,
                         "'%s' is not a valid device model name (Amber's virt board has no "
                         "PCI; use virtio-net-device, on virtio-mmio)", driver);
    }
    if (ok && !strcmp(driver, "virtio-blk-pci")) {
        ok = device_fail(err, spec,
                         "'%s' is not a valid device model name (Amber's virt board has no "
                         "PCI; use virtio-blk-device, on virtio-mmio)", driver);
    } else if (ok && strcmp(driver, DEVICE_VIRTIO_BLK) != 0) {
        ok = device_fail(err, spec, "'%s' is not a valid device model name", driver);
    }
    if (ok && !drive) {
        ok = device_fail(err, spec, "%s", "drive property not set");
    }
    int i = ok ? device_find_drive(m, drive) : -1;
    if (ok && i < 0) {
        ok = device_fail(err, spec, "Property '" DEVICE_VIRTIO_BLK ".drive' can't find "
                         "value '%s'", drive);
    } else if (ok && m->drive[i].iface != DRIVE_IF_NONE) {
        ok = device_fail(err, spec, "Drive '%s' is already in use because it has been "
                         "automatically connected to another device (did you need 'if=none' in "
                         "the drive options?)", drive);
    } else if (ok && m->drive_slot[i] >= 0) {
        ok = device_fail(err, spec, "Property '" DEVICE_VIRTIO_BLK ".drive' can't take "
                         "value '%s', it's in use", drive);
    }
    if (ok) {
        char what[300];
        snprintf(what, sizeof(what), "-device %s", spec);
        ok = machine_plug_drive(m, i, slot, ops, serial, what, err);
    }
    free(copy);
    return ok;
}

bool machine_plug_devices(Machine *m, int *slot, const VirtioDeviceOps **ops, Error *err)
{
    for (int k = 0; k < m->opts.nr_devices; k++) {
        if (!device_plug(m, m->opts.devices[k], slot, ops, err)) {
            return false;
        }
    }
    return true;
}

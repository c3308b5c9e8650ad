/* The board's disks: -drive images and the eight virtio-mmio slots at
 * 0x10001000 + n * 0x1000 (PLIC irq 1 + n). As on QEMU's virt board, the
 * first virtio drive takes the highest slot (0x10008000), the next one the
 * slot below, and empty slots answer DeviceID 0. */
#include "hw/riscv/machine.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

bool machine_plug_drive(Machine *m, int i, int *slot, const VirtioDeviceOps **ops,
                        const char *serial, const char *what, Error *err)
{
    DriveOptions *d = &m->drive[i];
    if (*slot < 0) {
        error_setf(err, "%s: no free virtio-mmio slot (the board has %d)", what,
                   VIRT_VIRTIO_COUNT);
        return false;
    }
    /* Not the image's open mode: an incoming machine's images are
     * read-only only until the migration's end (drive_open). */
    bool ro = d->read_only || (!m->opts.incoming && m->drive_bs[i]->read_only);
    if (!virtio_blk_init(&m->virtio_blk[*slot], m->drive_bs[i], ro,
                         serial ? serial : d->id)) {
        error_setf(err, "%s: out of memory", what);
        return false;
    }
    m->virtio_blk[*slot].report = m->opts.warn;
    ops[*slot] = &virtio_blk_ops;
    m->drive_slot[i] = (*slot)--;
    return true;
}

bool machine_init_drives(Machine *m, Error *err)
{
    const VirtioDeviceOps *ops[VIRT_VIRTIO_COUNT] = { NULL };
    int slot = VIRT_VIRTIO_COUNT - 1, nvirtio = 0, nnone = 0;
    for (int i = 0; i < m->opts.nr_drives; i++) {
        DriveOptions *d = &m->drive[i];
        if (!drive_parse(m->opts.drives[i], d, err)) {
            return false;
        }
        if (m->opts.snapshot) {
            drive_apply_global_snapshot(d);
        }
        if (!d->id[0]) {
            snprintf(d->id, sizeof(d->id), "%s%d", d->iface == DRIVE_IF_VIRTIO ? "virtio" : "none",
                     d->iface == DRIVE_IF_VIRTIO ? nvirtio : nnone);
        }
        for (int j = 0; j < i; j++) {
            if (!strcmp(m->drive[j].id, d->id)) {
                error_setf(err, "-drive %s: Duplicate ID '%s' for drive",
                           m->opts.drives[i], d->id);
                return false;
            }
            /* index= (-hda is index=0) names a unit of the interface's bus;
             * two drives on one unit is QEMU's error too. */
            if (d->index >= 0 && m->drive[j].index == d->index && m->drive[j].iface == d->iface) {
                error_setf(err, "-drive %s: drive with bus=0, unit=%d (index=%d) exists",
                           m->opts.drives[i], d->index, d->index);
                return false;
            }
        }
        if (d->iface == DRIVE_IF_VIRTIO && nvirtio == VIRT_VIRTIO_COUNT) {
            error_setf(err, "-drive %s: no free virtio-mmio slot (the board has %d)",
                       m->opts.drives[i], VIRT_VIRTIO_COUNT);
            return false;
        }
        m->drive_slot[i] = -1;
        m->drive_bs[i] = drive_open(d, m->opts.incoming, &m->opts.warn, err);
        if (!m->drive_bs[i]) {
            return false;
        }
        m->nr_drives = i + 1;
        if (d->iface == DRIVE_IF_VIRTIO) {
            nvirtio++;
        } else {
            nnone++;
        }
    }
    /* if=virtio drives take the top slots in command-line order, then each
     * -device the next one down (QEMU's -device virtio-blk-device also
     * lands on the highest free virtio-mmio transport first). */
    for (int i = 0; i < m->nr_drives; i++) {
        if (m->drive[i].iface == DRIVE_IF_VIRTIO &&
            !machine_plug_drive(m, i, &slot, ops, NULL, m->opts.drives[i], err)) {
            return false;
        }
    }
    if (!machine_plug_nics(m, &slot, ops, err) || !machine_plug_devices(m, &slot, ops, err)) {
        return false;
    }
    for (int n = 0; n < VIRT_VIRTIO_COUNT; n++) {
        virtio_mmio_init(&m->virtio[n], &m->mem, VIRT_VIRTIO_BASE + (uint64_t)n * VIRT_VIRTIO_STRIDE,
                         plic_input(&m->plic, VIRT_VIRTIO_IRQ + n), ops[n],
                         ops[n] == &virtio_net_ops ? (void *)&m->virtio_net[n]
                         : ops[n] ? (void *)&m->virtio_blk[n] : NULL, "virtio-mmio");
        m->virtio[n].log = m->log;
    }
    machine_attach_nics(m);
    return true;
}

int machine_activate_drives(Machine *m, Error *err)
{
    for (int i = 0; i < m->nr_drives; i++) {
        if (!m->drive_bs[i]) {
            continue;
        }
        Error e;
        error_init(&e);
        BlockDriverState *bs = m->drive_bs[i];
        if (bdrv_reopen(bs, drive_open_flags(&m->drive[i]), &e) < 0 ||
            (bs->fd >= 0 && bdrv_lock(bs, !bs->read_only, &e) < 0)) {
            error_setf(err, "drive '%s': %s", m->drive[i].id, e.msg);
            return -EIO;
        }
    }
    return 0;
}

void machine_reset_drives(Machine *m)
{
    for (int n = 0; n < VIRT_VIRTIO_COUNT; n++) {
        virtio_mmio_reset(&m->virtio[n]);
    }
}

void machine_destroy_drives(Machine *m)
{
    for (int n = 0; n < VIRT_VIRTIO_COUNT; n++) {
        virtio_blk_destroy(&m->virtio_blk[n]);
    }
    for (int i = 0; i < m->nr_drives; i++) {
        bdrv_close(m->drive_bs[i]);      /* flushes qcow2 metadata; drops an overlay */
        m->drive_bs[i] = NULL;
    }
    m->nr_drives = 0;
}

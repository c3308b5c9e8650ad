/* info block: the machine's disks, in the layout of QEMU's `info block`. */
#include "hw/riscv/machine.h"
#include "monitor/hmp.h"

#include <stdio.h>
#include <string.h>

void hmp_info_block(Monitor *mon, const MonArgs *a)
{
    Machine *m = hmp_machine(mon);
    if (!m) {
        return;
    }
    for (int i = 0; i < m->nr_drives; i++) {
        const DriveOptions *d = &m->drive[i];
        const BlockDriverState *bs = m->drive_bs[i];
        bool overlay = drive_uses_overlay(d);
        char state[160] = "";
        if (d->read_only) {
            snprintf(state, sizeof(state), ", read-only");
        } else if (overlay && bs) {
            snprintf(state, sizeof(state), ", snapshot=on: the guest's writes stay in memory, "
                     "%llu KiB", (unsigned long long)(bdrv_overlay_bytes(bs) >> 10));
            bs = bdrv_overlay_base(bs);  /* the image's own format */
        } else if (bs && bs->read_only) {
            /* Between a migration's stop and its end (source), or before
             * the stream is in (destination): another process may own it. */
            snprintf(state, sizeof(state), ", inactive (migration)");
        }
        monitor_printf(mon, "%s: %s (%s%s)\n", d->id, d->file, bs ? bdrv_format_name(bs) : "?",
                       state);
        if (m->drive_slot[i] >= 0) {
            uint64_t base = VIRT_VIRTIO_BASE + (uint64_t)m->drive_slot[i] * VIRT_VIRTIO_STRIDE;
            monitor_printf(mon, "    Attached to:      virtio-mmio@%llx\n",
                           (unsigned long long)base);
        }
        monitor_printf(mon, "    Cache mode:       writeback%s\n",
                       d->no_flush ? ", ignore flushes" : "");
        if (i + 1 < m->nr_drives) {
            monitor_printf(mon, "\n");
        }
    }
}

/* VM state of a virtio-mmio transport: feature selection, status, interrupt
 * status and the split virtqueues (sizes, ring addresses, ring indices).
 * virtio-blk serves requests synchronously, so no request is ever in flight
 * at a save; the rings themselves live in guest RAM. Ring addresses are not
 * checked here: the transport validates them on every use (a ring outside
 * RAM makes the device need a reset, as for a misbehaving guest). */
#include <errno.h>
#include <stdio.h>

#include "emu/machine-vmstate.h"

_Static_assert(sizeof(VirtQueueState) == 40, "VirtQueueState changed: update vmstate_virtqueue");
_Static_assert(sizeof(VirtioMmioState) == 32 + 2 * sizeof(VirtQueueState),
               "VirtioMmioState changed: update vmstate_virtio_mmio");

static const VMStateDescription vmstate_virtqueue = {
    .name = "virtqueue",
    .version_id = 1,
    .minimum_version_id = 1,
    .fields = (const VMStateField[]) {
        VMSTATE_UINT32(num, VirtQueueState),
        VMSTATE_UINT32(ready, VirtQueueState),
        VMSTATE_UINT64(desc, VirtQueueState),
        VMSTATE_UINT64(avail, VirtQueueState),
        VMSTATE_UINT64(used, VirtQueueState),
        VMSTATE_UINT16(last_avail_idx, VirtQueueState),
        VMSTATE_UINT16(used_idx, VirtQueueState),
        VMSTATE_END_OF_LIST()
    },
};

static int virtio_mmio_post_load(void *opaque, int version_id, Error *err)
{
    VirtioMmio *t = opaque;
    char name[32];
    if (vmstate_check_max(err, "st.interrupt_status", t->st.interrupt_status, 3)) {
        return -EINVAL;
    }
    for (unsigned q = 0; q < VIRTIO_MMIO_MAX_QUEUES; q++) {
        const VirtQueueState *vq = &t->st.vq[q];
        unsigned max = t->ops && q < t->ops->num_queues ? t->ops->queue_max : 0;
        snprintf(name, sizeof(name), "st.vq[%u].num", q);
        if (vq->num & (vq->num - 1)) {
            error_setf(err, "%s: field '%s' value %u is not a power of two", t->name, name,
                       vq->num);
            return -EINVAL;
        }
        if (vmstate_check_max(err, name, vq->num, max)) {
            return -EINVAL;
        }
        snprintf(name, sizeof(name), "st.vq[%u].ready", q);
        if (vmstate_check_max(err, name, vq->ready, vq->num ? 1 : 0)) {
            return -EINVAL;
        }
    }
    virtio_mmio_update_irq(t);
    return 0;
}

const VMStateDescription vmstate_virtio_mmio = {
    .name = "virtio-mmio",
    .version_id = 1,
    .minimum_version_id = 1,
    .post_load = virtio_mmio_post_load,
    .fields = (const VMStateField[]) {
        VMSTATE_UINT32(st.device_features_sel, VirtioMmio),
        VMSTATE_UINT32(st.driver_features_sel, VirtioMmio),
        VMSTATE_UINT32_ARRAY(st.driver_features, VirtioMmio, 2),
        VMSTATE_UINT32(st.queue_sel, VirtioMmio),
        VMSTATE_UINT32(st.status, VirtioMmio),
        VMSTATE_UINT32(st.interrupt_status, VirtioMmio),
        VMSTATE_UINT32(st.config_generation, VirtioMmio),
        VMSTATE_STRUCT_ARRAY(st.vq, VirtioMmio, VIRTIO_MMIO_MAX_QUEUES, 1, vmstate_virtqueue,
                             VirtQueueState),
        VMSTATE_END_OF_LIST()
    },
};

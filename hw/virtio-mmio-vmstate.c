/* VM state of a virtio-mmio transport (with its virtio-blk device, whose
 * requests complete synchronously, so nothing is ever in flight): the
 * register file and the queues' ring positions. Loaded values are checked
 * against what the device offers before the interrupt line is re-driven. */
#include <errno.h>
#include <stdio.h>

#include "hw/virtio-mmio.h"

_Static_assert(sizeof(VirtQueueState) == 4 * 2 + 8 * 3 + 2 * 2 + 4,
               "VirtQueueState changed: update vmstate_virtqueue");

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
    VirtioMmioState *st = &t->st;
    uint64_t offered = t->ops ? t->ops->features(t->dev) | (1ull << VIRTIO_F_VERSION_1) : 0;
    uint64_t accepted = st->driver_features[0] | ((uint64_t)st->driver_features[1] << 32);
    if (accepted & ~offered) {
        error_setf(err, "field 'driver_features' value 0x%llx has features %s does not offer "
                   "(0x%llx)", (unsigned long long)accepted, t->label,
                   (unsigned long long)offered);
        return -EINVAL;
    }
    if (vmstate_check_max(err, "status", st->status, 0xff) ||
        vmstate_check_max(err, "interrupt_status", st->interrupt_status, 3)) {
        return -EINVAL;
    }
    unsigned nq = t->ops ? t->ops->num_queues : 0;
    for (unsigned i = 0; i < VIRTIO_MMIO_MAX_QUEUES; i++) {
        const VirtQueueState *q = &st->vq[i];
        char name[32];
        snprintf(name, sizeof(name), "vq[%u].num", i);
        if (vmstate_check_max(err, name, q->num, i < nq ? t->ops->queue_max : 0)) {
            return -EINVAL;
        }
        if (q->num & (q->num - 1)) {
            error_setf(err, "field '%s' value %u is not a power of two", name, q->num);
            return -EINVAL;
        }
        snprintf(name, sizeof(name), "vq[%u].ready", i);
        if (vmstate_check_max(err, name, q->ready, i < nq ? 1 : 0)) {
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

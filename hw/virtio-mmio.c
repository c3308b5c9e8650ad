/* virtio-mmio version 2 transport and split virtqueues. Rings live in guest
 * RAM and are accessed through memory_rw() (so DMA marks pages dirty for
 * migration); a ring outside RAM or a malformed chain puts the device in
 * NEEDS_RESET, never the host at risk. */
#include "hw/virtio-mmio.h"
#include "util/log.h"

#include <stdio.h>
#include <string.h>

#define REG_MAGIC               0x000
#define REG_VERSION             0x004
#define REG_DEVICE_ID           0x008
#define REG_VENDOR_ID           0x00c
#define REG_DEVICE_FEATURES     0x010
#define REG_DEVICE_FEATURES_SEL 0x014
#define REG_DRIVER_FEATURES     0x020
#define REG_DRIVER_FEATURES_SEL 0x024
#define REG_QUEUE_SEL           0x030
#define REG_QUEUE_NUM_MAX       0x034
#define REG_QUEUE_NUM           0x038
#define REG_QUEUE_READY         0x044
#define REG_QUEUE_NOTIFY        0x050
#define REG_INTERRUPT_STATUS    0x060
#define REG_INTERRUPT_ACK       0x064
#define REG_STATUS              0x070
#define REG_QUEUE_DESC_LOW      0x080
#define REG_QUEUE_DESC_HIGH     0x084
#define REG_QUEUE_DRIVER_LOW    0x090
#define REG_QUEUE_DRIVER_HIGH   0x094
#define REG_QUEUE_DEVICE_LOW    0x0a0
#define REG_QUEUE_DEVICE_HIGH   0x0a4
#define REG_CONFIG_GENERATION   0x0fc
#define REG_CONFIG              0x100

#define VIRTIO_INT_USED_RING    1

void virtio_mmio_update_irq(VirtioMmio *t)
{
    irq_set(&t->irq, t->st.interrupt_status != 0);
}

void virtio_mmio_reset(VirtioMmio *t)
{
    memset(&t->st, 0, sizeof(t->st));
    if (t->ops && t->ops->reset) {
        t->ops->reset(t->dev);
    }
    virtio_mmio_update_irq(t);
}

void virtio_mmio_set_needs_reset(VirtioMmio *t, const char *why)
{
    if (!(t->st.status & VIRTIO_STATUS_NEEDS_RESET)) {
        /* The guest drove the device wrong: QEMU's virtio_error() says so
         * under -d guest_errors too. */
        log_mask_printf(t->log, LOG_GUEST_ERROR, "%s: %s; device needs reset\n", t->label, why);
    }
    t->st.status |= VIRTIO_STATUS_NEEDS_RESET;
}

static VirtQueueState *virtio_cur_queue(VirtioMmio *t)
{
    if (!t->ops || t->st.queue_sel >= t->ops->num_queues) {
        return NULL;
    }
    return &t->st.vq[t->st.queue_sel];
}

static bool virtio_mmio_read(void *opaque, uint64_t off, unsigned size, uint64_t *val)
{
    VirtioMmio *t = opaque;
    if (off >= REG_CONFIG) {
        *val = 0;
        return t->ops && t->ops->config_read ? t->ops->config_read(t->dev, off - REG_CONFIG,
                                                                   size, val) : true;
    }
    if (size != 4 || (off & 3)) {
        return false;
    }
    VirtQueueState *q = virtio_cur_queue(t);
    switch (off) {
    case REG_MAGIC: *val = VIRTIO_MMIO_MAGIC; break;
    case REG_VERSION: *val = 2; break;
    case REG_DEVICE_ID: *val = t->ops ? t->ops->device_id : 0; break;
    case REG_VENDOR_ID: *val = VIRTIO_MMIO_VENDOR; break;
    case REG_DEVICE_FEATURES: {
        uint64_t f = t->ops ? t->ops->features(t->dev) | (1ull << VIRTIO_F_VERSION_1) : 0;
        *val = t->st.device_features_sel == 0 ? (uint32_t)f
             : t->st.device_features_sel == 1 ? (uint32_t)(f >> 32) : 0;
        break;
    }
    case REG_QUEUE_NUM_MAX: *val = q ? t->ops->queue_max : 0; break;
    case REG_QUEUE_READY: *val = q ? q->ready : 0; break;
    case REG_INTERRUPT_STATUS: *val = t->st.interrupt_status; break;
    case REG_STATUS: *val = t->st.status; break;
    case REG_CONFIG_GENERATION: *val = t->st.config_generation; break;
    default: *val = 0; break;    /* write-only registers read as 0 */
    }
    return true;
}

static void virtio_set_addr(VirtQueueState *q, uint64_t *field, bool high, uint32_t v)
{
    if (q->ready) {
        return;                  /* the spec forbids changes of a live queue */
    }
    *field = high ? (*field & 0xffffffffull) | ((uint64_t)v << 32)
                  : (*field & ~0xffffffffull) | v;
}

static bool virtio_mmio_write(void *opaque, uint64_t off, unsigned size, uint64_t val)
{
    VirtioMmio *t = opaque;
    if (off >= REG_CONFIG) {
        return t->ops && t->ops->config_write ? t->ops->config_write(t->dev, off - REG_CONFIG,
                                                                     size, val) : true;
    }
    if (size != 4 || (off & 3)) {
        return false;
    }
    uint32_t v = (uint32_t)val;
    VirtQueueState *q = virtio_cur_queue(t);
    switch (off) {
    case REG_DEVICE_FEATURES_SEL: t->st.device_features_sel = v; break;
    case REG_DRIVER_FEATURES_SEL: t->st.driver_features_sel = v; break;
    case REG_DRIVER_FEATURES:
        if (t->st.driver_features_sel < 2 && !(t->st.status & VIRTIO_STATUS_FEATURES_OK)) {
            t->st.driver_features[t->st.driver_features_sel] = v;
        }
        break;
    case REG_QUEUE_SEL: t->st.queue_sel = v; break;
    case REG_QUEUE_NUM:
        /* power of two up to the maximum; anything else leaves the queue
         * unusable (num 0) */
        if (q && !q->ready) {
            q->num = (v && v <= t->ops->queue_max && !(v & (v - 1))) ? v : 0;
        }
        break;
    case REG_QUEUE_READY:
        if (q) {
            q->ready = v & 1;
        }
        break;
    case REG_QUEUE_NOTIFY:
        if (t->ops && v < t->ops->num_queues && (t->st.status & VIRTIO_STATUS_DRIVER_OK) &&
            !(t->st.status & VIRTIO_STATUS_NEEDS_RESET) && t->st.vq[v].ready) {
            t->ops->notify(t->dev, t, v);
        }
        break;
    case REG_INTERRUPT_ACK:
        t->st.interrupt_status &= ~v;
        virtio_mmio_update_irq(t);
        break;
    case REG_STATUS:
        if (v == 0) {
            virtio_mmio_reset(t);
            break;
        }
        if ((v & VIRTIO_STATUS_FEATURES_OK) && !(t->st.status & VIRTIO_STATUS_FEATURES_OK)) {
            /* only a modern driver that accepted offered features */
            uint64_t want = t->st.driver_features[0] | ((uint64_t)t->st.driver_features[1] << 32);
            uint64_t have = t->ops ? t->ops->features(t->dev) | (1ull << VIRTIO_F_VERSION_1) : 0;
            if ((want & ~have) || !(want & (1ull << VIRTIO_F_VERSION_1))) {
                v &= ~VIRTIO_STATUS_FEATURES_OK;
            }
        }
        t->st.status = v | (t->st.status & VIRTIO_STATUS_NEEDS_RESET);
        break;
    case REG_QUEUE_DESC_LOW: if (q) virtio_set_addr(q, &q->desc, false, v); break;
    case REG_QUEUE_DESC_HIGH: if (q) virtio_set_addr(q, &q->desc, true, v); break;
    case REG_QUEUE_DRIVER_LOW: if (q) virtio_set_addr(q, &q->avail, false, v); break;
    case REG_QUEUE_DRIVER_HIGH: if (q) virtio_set_addr(q, &q->avail, true, v); break;
    case REG_QUEUE_DEVICE_LOW: if (q) virtio_set_addr(q, &q->used, false, v); break;
    case REG_QUEUE_DEVICE_HIGH: if (q) virtio_set_addr(q, &q->used, true, v); break;
    default: break;              /* read-only registers ignore writes */
    }
    return true;
}

static const MemoryRegionOps virtio_mmio_ops = {
    .read = virtio_mmio_read,
    .write = virtio_mmio_write,
    .min_size = 1,
    .max_size = 8,
};

void virtio_mmio_init(VirtioMmio *t, PhysMemory *mem, uint64_t base, IRQLine irq,
                      const VirtioDeviceOps *ops, void *dev, const char *name)
{
    memset(t, 0, sizeof(*t));
    t->ops = ops;
    t->dev = dev;
    t->mem = mem;
    t->irq = irq;
    t->name = name;
    t->log = &log_none;
    snprintf(t->label, sizeof(t->label), "%s@%llx", name, (unsigned long long)base);
    memory_add_mmio(mem, name, base, VIRTIO_MMIO_SIZE, &virtio_mmio_ops, t, 0);
    virtio_mmio_reset(t);
}

static bool virtq_read(VirtioMmio *t, uint64_t addr, void *buf, uint64_t len)
{
    return memory_rw(t->mem, addr, buf, len, false, false);
}

static bool virtq_write(VirtioMmio *t, uint64_t addr, const void *buf, uint64_t len)
{
    return memory_rw(t->mem, addr, (void *)buf, len, true, false);
}

int virtq_pop(VirtioMmio *t, unsigned qi, VirtQueueElem *e)
{
    VirtQueueState *q = &t->st.vq[qi];
    uint16_t avail_idx;
    if (!q->num) {
        virtio_mmio_set_needs_reset(t, "queue used with an invalid size");
        return -1;
    }
    if (!virtq_read(t, q->avail + 2, &avail_idx, 2)) {
        virtio_mmio_set_needs_reset(t, "available ring outside RAM");
        return -1;
    }
    if (avail_idx == q->last_avail_idx) {
        return 0;
    }
    if ((uint16_t)(avail_idx - q->last_avail_idx) > q->num) {
        virtio_mmio_set_needs_reset(t, "available index moved beyond the ring size");
        return -1;
    }
    uint16_t head;
    if (!virtq_read(t, q->avail + 4 + 2ull * (q->last_avail_idx % q->num), &head, 2)) {
        virtio_mmio_set_needs_reset(t, "available ring outside RAM");
        return -1;
    }
    q->last_avail_idx++;
    e->head = head;
    e->nr = 0;
    uint16_t i = head;
    for (unsigned n = 0;; n++) {
        struct {
            uint64_t addr;
            uint32_t len;
            uint16_t flags, next;
        } d;
        if (i >= q->num || n >= q->num || e->nr >= VIRTQ_MAX_SEGS) {
            virtio_mmio_set_needs_reset(t, "descriptor chain too long or index out of range");
            return -1;
        }
        if (!virtq_read(t, q->desc + 16ull * i, &d, 16)) {
            virtio_mmio_set_needs_reset(t, "descriptor table outside RAM");
            return -1;
        }
        e->seg[e->nr].addr = d.addr;
        e->seg[e->nr].len = d.len;
        e->seg[e->nr].write = d.flags & VIRTQ_DESC_F_WRITE;
        e->nr++;
        if (!(d.flags & VIRTQ_DESC_F_NEXT)) {
            break;
        }
        i = d.next;
    }
    return 1;
}

void virtq_push(VirtioMmio *t, unsigned qi, const VirtQueueElem *e, uint32_t len)
{
    VirtQueueState *q = &t->st.vq[qi];
    uint32_t elem[2] = { e->head, len };
    uint16_t idx = (uint16_t)(q->used_idx + 1), flags = 0;
    if (!virtq_write(t, q->used + 4 + 8ull * (q->used_idx % q->num), elem, 8) ||
        !virtq_write(t, q->used + 2, &idx, 2)) {
        virtio_mmio_set_needs_reset(t, "used ring outside RAM");
        return;
    }
    q->used_idx = idx;
    virtq_read(t, q->avail, &flags, 2);
    if (!(flags & VIRTQ_AVAIL_F_NO_INTERRUPT)) {
        t->st.interrupt_status |= VIRTIO_INT_USED_RING;
        virtio_mmio_update_irq(t);
    }
}

/* virtio-mmio transport, version 2 (virtio 1.x "modern" register layout),
 * with split virtqueues. One transport per 4 KiB slot; a slot without a
 * device answers DeviceID 0, as on QEMU's virt board.
 *
 * Saved state (VirtioMmioState) is plain fields, apart from the host side
 * (device callbacks, memory, interrupt line). */
#ifndef HW_VIRTIO_MMIO_H
#define HW_VIRTIO_MMIO_H

#include <stdbool.h>
#include <stdint.h>

#include "emu/irq.h"
#include "emu/memory.h"
#include "savevm/vmstate.h"
#include "util/log.h"

#define VIRTIO_MMIO_SIZE        0x200    /* registers; slots are 4 KiB apart */
#define VIRTIO_MMIO_MAX_QUEUES  2
#define VIRTIO_MMIO_MAGIC       0x74726976u   /* "virt" */
#define VIRTIO_MMIO_VENDOR      0x554d4551u   /* "QEMU" */

#define VIRTIO_STATUS_ACKNOWLEDGE  1
#define VIRTIO_STATUS_DRIVER       2
#define VIRTIO_STATUS_DRIVER_OK    4
#define VIRTIO_STATUS_FEATURES_OK  8
#define VIRTIO_STATUS_NEEDS_RESET  0x40
#define VIRTIO_STATUS_FAILED       0x80

#define VIRTIO_F_VERSION_1      32

#define VIRTQ_DESC_F_NEXT       1
#define VIRTQ_DESC_F_WRITE      2
#define VIRTQ_AVAIL_F_NO_INTERRUPT 1

typedef struct VirtQueueState {
    uint32_t num;                /* ring size the driver chose */
    uint32_t ready;
    uint64_t desc, avail, used;  /* guest physical addresses */
    uint16_t last_avail_idx;     /* next avail entry the device takes */
    uint16_t used_idx;
} VirtQueueState;

typedef struct VirtioMmioState {
    uint32_t device_features_sel;
    uint32_t driver_features_sel;
    uint32_t driver_features[2];
    uint32_t queue_sel;
    uint32_t status;
    uint32_t interrupt_status;
    uint32_t config_generation;
    VirtQueueState vq[VIRTIO_MMIO_MAX_QUEUES];
} VirtioMmioState;

typedef struct VirtioMmio VirtioMmio;

/* What a device behind the transport provides. */
typedef struct VirtioDeviceOps {
    uint32_t device_id;
    unsigned num_queues;
    uint16_t queue_max;
    uint64_t (*features)(void *dev);
    /* Config space accesses (offset from 0x100); false refuses. */
    bool (*config_read)(void *dev, uint64_t off, unsigned size, uint64_t *val);
    bool (*config_write)(void *dev, uint64_t off, unsigned size, uint64_t val);
    /* The driver notified queue q (only while DRIVER_OK). */
    void (*notify)(void *dev, VirtioMmio *t, unsigned q);
    void (*reset)(void *dev);
} VirtioDeviceOps;

struct VirtioMmio {
    VirtioMmioState st;
    /* host side */
    const VirtioDeviceOps *ops;  /* NULL: empty slot */
    void *dev;
    PhysMemory *mem;
    IRQLine irq;
    const char *name;            /* memory region name ("virtio-mmio", as QEMU) */
    char label[32];              /* "virtio-mmio@10008000", for messages */
    const Log *log;              /* guest errors go here (log_none until the board sets it) */
};

void virtio_mmio_init(VirtioMmio *t, PhysMemory *mem, uint64_t base, IRQLine irq,
                      const VirtioDeviceOps *ops, void *dev, const char *name);
void virtio_mmio_reset(VirtioMmio *t);
/* Re-drives the interrupt line from the state (after loading it). */
void virtio_mmio_update_irq(VirtioMmio *t);

/* A descriptor chain taken from a queue: up to VIRTQ_MAX_SEGS buffers. */
#define VIRTQ_MAX_SEGS 130
typedef struct VirtQueueElem {
    uint16_t head;
    unsigned nr;
    struct {
        uint64_t addr;
        uint32_t len;
        bool write;              /* device writes into it */
    } seg[VIRTQ_MAX_SEGS];
} VirtQueueElem;

/* Takes the next available chain: 1 taken, 0 queue empty, -1 the driver
 * broke the ring (the device is marked NEEDS_RESET and a message printed). */
int virtq_pop(VirtioMmio *t, unsigned q, VirtQueueElem *e);
/* Returns the chain with len bytes written, and raises the interrupt unless
 * the driver suppressed it. */
void virtq_push(VirtioMmio *t, unsigned q, const VirtQueueElem *e, uint32_t len);
/* Marks the device broken (guest error), naming the reason. */
void virtio_mmio_set_needs_reset(VirtioMmio *t, const char *why);

/* Its state table (the section's fields, versions and subsections). */
extern const VMStateDescription vmstate_virtio_mmio;

#endif

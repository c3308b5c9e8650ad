/* virtio-net behind a virtio-mmio transport (virtio 1.1 section 5.1):
 * queue 0 receives, queue 1 transmits; features MAC, STATUS, MRG_RXBUF,
 * CSUM and GUEST_CSUM. Frames go to and come from a NetDev (net/net.h), which a
 * back end (net/slirp.c) serves.
 *
 * The guest state (MAC, link status) is VirtioNetState, saved in its own
 * "virtio-net" section (hw/virtio-net-vmstate.c); the ring positions are
 * the transport's. A chain the guest got wrong puts the device in
 * NEEDS_RESET; nothing the guest writes reaches past its buffers. */
#ifndef HW_VIRTIO_NET_H
#define HW_VIRTIO_NET_H

#include <stdbool.h>
#include <stdint.h>

#include "emu/clock.h"
#include "emu/runstate.h"
#include "hw/virtio-mmio.h"
#include "net/net.h"
#include "savevm/vmstate.h"

#define VIRTIO_ID_NET           1
#define VIRTIO_NET_QUEUE_MAX    256
#define VIRTIO_NET_F_CSUM       0    /* the device completes TX checksums */
#define VIRTIO_NET_F_GUEST_CSUM 1    /* RX frames come with checked checksums */
#define VIRTIO_NET_F_MAC        5
#define VIRTIO_NET_F_HOST_TSO4  11   /* the device takes TCPv4 frames of up to 64 KiB */
#define VIRTIO_NET_F_MRG_RXBUF  15
#define VIRTIO_NET_F_STATUS     16
#define VIRTIO_NET_S_LINK_UP    1
#define VIRTIO_NET_HDR_LEN      12   /* struct virtio_net_hdr_v1 */
#define VIRTIO_NET_RX_CHAINS    64   /* buffers one received frame may span */
#define VIRTIO_NET_ANNOUNCE_ROUNDS 5

typedef struct VirtioNetState {
    uint8_t mac[6];
    uint16_t status;             /* config space status: VIRTIO_NET_S_LINK_UP */
} VirtioNetState;

typedef struct VirtioNet {
    VirtioNetState st;
    /* host side */
    VirtioMmio *t;               /* the transport it sits on */
    NetDev *nd;
    const VMRunState *run;       /* frames wait while the machine does not run */
    VirtClock *clock;
    char name[32];               /* "virtio-net-device.0" (info network, set_link) */
    uint8_t *txbuf;              /* one frame from the guest, header included */
    VirtQueueElem *rx;           /* chains taken for the frame being received */
    VirtQueueElem tx;
    Timer retry;                 /* offers waiting frames once the machine runs */
    Timer announce;              /* the next RARP round */
    int announce_left;
    uint64_t announced;          /* RARP frames sent */
} VirtioNet;

extern const VirtioDeviceOps virtio_net_ops;

/* Prepares dev for nd (which it does not own) with the given MAC. */
bool virtio_net_init(VirtioNet *dev, NetDev *nd, const uint8_t mac[6], const char *name,
                     const VMRunState *run, VirtClock *clock);
/* After the transport is set up (virtio_mmio_init). */
void virtio_net_attach(VirtioNet *dev, VirtioMmio *t);
void virtio_net_destroy(VirtioNet *dev);
/* The link as the guest sees it changed (set_link). */
void virtio_net_link_changed(VirtioNet *dev);
/* Sends VIRTIO_NET_ANNOUNCE_ROUNDS RARP frames with the MAC to the back end
 * (QEMU's announce: after an incoming migration, and announce_self), the
 * first now, then 50, 150, 250 and 350 ms of virtual time apart. */
void virtio_net_announce(VirtioNet *dev);
/* The RARP frame of QEMU's self-announce for mac (60 bytes). */
void virtio_net_rarp_frame(const uint8_t mac[6], uint8_t frame[60]);

extern const VMStateDescription vmstate_virtio_net;

#endif

/* VM state of virtio-net: its MAC and the link status the guest sees. The
 * rings are the transport's section ("virtio-mmio"); frames waiting in the
 * host's queue are not guest state and are not saved (TCP in the back end
 * sends them again). As QEMU, a loaded link status sets the link. */
#include <errno.h>

#include "hw/virtio-net.h"

_Static_assert(sizeof(VirtioNetState) == 8, "VirtioNetState changed: update vmstate_virtio_net");

static int virtio_net_post_load(void *opaque, int version_id, Error *err)
{
    VirtioNet *n = opaque;
    (void)version_id;
    if (vmstate_check_max(err, "status", n->st.status, VIRTIO_NET_S_LINK_UP)) {
        return -EINVAL;
    }
    if (n->st.mac[0] & 1) {
        error_setf(err, "field 'mac' is a multicast address (first byte 0x%02x)", n->st.mac[0]);
        return -EINVAL;
    }
    n->nd->link_down = !(n->st.status & VIRTIO_NET_S_LINK_UP);
    if (n->nd->link_down) {
        net_dev_purge(n->nd);
    }
    /* QEMU announces the guest after a load; the frames go out from the
     * main loop once the machine runs (this may be the loader's thread). */
    n->announce_left = VIRTIO_NET_ANNOUNCE_ROUNDS;
    timer_mod(&n->announce, clock_ns(n->clock));
    return 0;
}

const VMStateDescription vmstate_virtio_net = {
    .name = "virtio-net",
    .version_id = 1,
    .minimum_version_id = 1,
    .post_load = virtio_net_post_load,
    .fields = (const VMStateField[]) {
        VMSTATE_BUFFER(st.mac, VirtioNet),
        VMSTATE_UINT16(st.status, VirtioNet),
        VMSTATE_END_OF_LIST()
    },
};

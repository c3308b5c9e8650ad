/* virtio-net: the receive and transmit paths (hw/virtio-net.h).
 *
 * Every frame, each way, starts with a 12-byte virtio_net_hdr_v1. The back
 * end (slirp) takes and gives whole, checksummed frames of at most 1514
 * bytes. Beyond MAC, STATUS and MRG_RXBUF, two offloads spare the guest's
 * CPU (an interpreted guest pays for every byte it sums): CSUM (the guest
 * leaves a TCP/UDP checksum to the device, which completes it before the
 * frame goes to the back end) and GUEST_CSUM (received frames are marked
 * DATA_VALID: slirp's checksums are right by construction). QEMU offers a
 * slirp peer neither; its guest sums in software.
 *
 * HOST_TSO4: the guest hands over a TCPv4 segment of up to 64 KiB (IP total
 * length and the TCP checksum cover all of it) instead of MSS-sized frames.
 * slirp is a whole TCP stack that takes such a segment as one, within the
 * window it advertised, so the device passes it on unsplit: one frame where
 * the guest's stack would otherwise build some 45. */
#include "hw/virtio-net.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define VIRTIO_INT_CONFIG       2
#define VIRTIO_NET_HDR_F_NEEDS_CSUM 1
#define VIRTIO_NET_HDR_F_DATA_VALID 2
#define VIRTIO_NET_HDR_GSO_NONE     0
#define VIRTIO_NET_HDR_GSO_TCPV4    1

static uint64_t virtio_net_features(void *opaque)
{
    (void)opaque;
    return (1ull << VIRTIO_NET_F_MAC) | (1ull << VIRTIO_NET_F_STATUS) |
           (1ull << VIRTIO_NET_F_MRG_RXBUF) | (1ull << VIRTIO_NET_F_CSUM) |
           (1ull << VIRTIO_NET_F_GUEST_CSUM) | (1ull << VIRTIO_NET_F_HOST_TSO4);
}

static bool virtio_net_driver_has(const VirtioMmio *t, unsigned bit)
{
    return (t->st.driver_features[bit / 32] >> (bit % 32)) & 1;
}

/* struct virtio_net_config: mac[6], status (le16); the rest (queue pairs,
 * MTU) belongs to features not offered and reads as zero. */
static bool virtio_net_config_read(void *opaque, uint64_t off, unsigned size, uint64_t *val)
{
    VirtioNet *n = opaque;
    uint8_t cfg[16];
    memset(cfg, 0, sizeof(cfg));
    memcpy(cfg, n->st.mac, 6);
    memcpy(cfg + 6, &n->st.status, 2);
    *val = 0;
    if (off + size <= sizeof(cfg)) {
        memcpy(val, cfg + off, size);
    }
    return true;
}

static bool virtio_net_config_write(void *opaque, uint64_t off, unsigned size, uint64_t val)
{
    (void)opaque;
    (void)off;
    (void)size;
    (void)val;
    return true;                 /* read-only for a virtio 1 driver */
}

static bool virtio_net_ready(const VirtioNet *n)
{
    const VirtioMmio *t = n->t;
    return t && (t->st.status & VIRTIO_STATUS_DRIVER_OK) &&
           !(t->st.status & VIRTIO_STATUS_NEEDS_RESET) && t->st.vq[0].ready;
}

/* Writes len bytes of src at byte `skip` of the chain's writable buffers. */
static bool virtio_net_rx_copy(VirtioMmio *t, const VirtQueueElem *e, uint64_t skip,
                               const uint8_t *src, uint64_t len)
{
    for (unsigned i = 0; i < e->nr && len; i++) {
        uint64_t seg = e->seg[i].len;
        if (skip >= seg) {
            skip -= seg;
            continue;
        }
        uint64_t n = seg - skip < len ? seg - skip : len;
        if (!memory_rw(t->mem, e->seg[i].addr + skip, (void *)src, n, true, false)) {
            return false;
        }
        src += n;
        len -= n;
        skip = 0;
    }
    return len == 0;
}

static uint64_t virtio_net_chain_room(VirtioMmio *t, const VirtQueueElem *e)
{
    uint64_t room = 0;
    for (unsigned i = 0; i < e->nr; i++) {
        if (!e->seg[i].write) {
            virtio_mmio_set_needs_reset(t, "virtio-net receive buffer is not writable");
            return 0;
        }
        room += e->seg[i].len;
    }
    return room;
}

/* Puts the chains taken back (the frame waits for more buffers). */
static void virtio_net_rx_unpop(VirtioMmio *t, unsigned nr)
{
    t->st.vq[0].last_avail_idx -= (uint16_t)nr;
}

static bool virtio_net_receive(void *opaque, const uint8_t *buf, size_t len)
{
    VirtioNet *n = opaque;
    VirtioMmio *t = n->t;
    /* A frame injected by a replay or a reverse re-execution is taken on a
     * stopped machine too: re-execution runs it while a debugger holds it. */
    if (!virtio_net_ready(n) || (!runstate_is_running(n->run) && !n->nd->injecting)) {
        if (virtio_net_ready(n)) {
            /* the virtual clock stands still until the machine runs again */
            timer_mod(&n->retry, clock_ns(n->clock) + 1);
        }
        return false;
    }
    bool mergeable = virtio_net_driver_has(t, VIRTIO_NET_F_MRG_RXBUF);
    uint64_t total = VIRTIO_NET_HDR_LEN + len, have = 0;
    uint64_t room[VIRTIO_NET_RX_CHAINS];
    unsigned nr = 0;
    while (have < total) {
        if (nr == VIRTIO_NET_RX_CHAINS || (nr == 1 && !mergeable)) {
            break;               /* the guest's buffers are too small: truncated */
        }
        int r = virtq_pop(t, 0, &n->rx[nr]);
        if (r == 0) {
            virtio_net_rx_unpop(t, nr);
            return false;        /* waits for the guest to post buffers */
        }
        if (r < 0) {
            return false;        /* NEEDS_RESET; the reset drops the queue */
        }
        room[nr] = virtio_net_chain_room(t, &n->rx[nr]);
        if (room[nr] == 0) {
            if (!(t->st.status & VIRTIO_STATUS_NEEDS_RESET)) {
                virtio_mmio_set_needs_reset(t, "virtio-net receive buffer of length 0");
            }
            return false;
        }
        have += room[nr++];
    }
    uint8_t hdr[VIRTIO_NET_HDR_LEN];
    memset(hdr, 0, sizeof(hdr));
    if (virtio_net_driver_has(t, VIRTIO_NET_F_GUEST_CSUM)) {
        hdr[0] = VIRTIO_NET_HDR_F_DATA_VALID;
    }
    uint16_t num_buffers = (uint16_t)nr;
    memcpy(hdr + 10, &num_buffers, 2);
    uint64_t off = 0;
    for (unsigned i = 0; i < nr; i++) {
        uint64_t put = total - off < room[i] ? total - off : room[i], done = 0;
        if (off < VIRTIO_NET_HDR_LEN) {
            uint64_t h = VIRTIO_NET_HDR_LEN - off < put ? VIRTIO_NET_HDR_LEN - off : put;
            if (!virtio_net_rx_copy(t, &n->rx[i], 0, hdr + off, h)) {
                goto bad;
            }
            done = h;
        }
        if (put > done && !virtio_net_rx_copy(t, &n->rx[i], done,
                                              buf + (off + done - VIRTIO_NET_HDR_LEN),
                                              put - done)) {
            goto bad;
        }
        off += put;
        room[i] = put;
    }
    for (unsigned i = 0; i < nr; i++) {
        virtq_push(t, 0, &n->rx[i], (uint32_t)room[i]);
    }
    return true;
bad:
    virtio_mmio_set_needs_reset(t, "virtio-net receive buffer outside RAM");
    return false;
}

static void virtio_net_retry(void *opaque)
{
    VirtioNet *n = opaque;
    net_dev_flush(n->nd);
}

/* NEEDS_CSUM: the ones' complement sum from csum_start to the end (the
 * guest seeded the field with the pseudo-header's sum), stored at
 * csum_start + csum_offset. false when the offsets lie outside the frame. */
static bool virtio_net_complete_csum(uint8_t *frame, size_t len, uint16_t start, uint16_t off)
{
    if ((size_t)start + off + 2 > len) {
        return false;
    }
    uint32_t sum = 0;
    size_t i = start;
    for (; i + 1 < len; i += 2) {
        sum += (uint32_t)frame[i] << 8 | frame[i + 1];
    }
    if (i < len) {
        sum += (uint32_t)frame[i] << 8;
    }
    while (sum >> 16) {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    uint16_t c = (uint16_t)~sum;
    frame[start + off] = (uint8_t)(c >> 8);
    frame[start + off + 1] = (uint8_t)c;
    return true;
}

/* One frame from the guest: header + frame, in readable buffers only. */
static bool virtio_net_tx_one(VirtioNet *n, VirtioMmio *t, const VirtQueueElem *e)
{
    uint64_t total = 0;
    for (unsigned i = 0; i < e->nr; i++) {
        if (e->seg[i].write) {
            virtio_mmio_set_needs_reset(t, "virtio-net transmit buffer is write-only");
            return false;
        }
        total += e->seg[i].len;
        if (total > VIRTIO_NET_HDR_LEN + NET_FRAME_MAX) {
            virtio_mmio_set_needs_reset(t, "virtio-net transmitted frame larger than 64 KiB");
            return false;
        }
    }
    if (total < VIRTIO_NET_HDR_LEN) {
        virtio_mmio_set_needs_reset(t, "virtio-net transmit chain shorter than its header");
        return false;
    }
    uint64_t off = 0;
    for (unsigned i = 0; i < e->nr; i++) {
        if (!memory_rw(t->mem, e->seg[i].addr, n->txbuf + off, e->seg[i].len, false, false)) {
            virtio_mmio_set_needs_reset(t, "virtio-net transmit buffer outside RAM");
            return false;
        }
        off += e->seg[i].len;
    }
    uint8_t *frame = n->txbuf + VIRTIO_NET_HDR_LEN;
    size_t len = total - VIRTIO_NET_HDR_LEN;
    uint8_t gso = n->txbuf[1];
    if (gso != VIRTIO_NET_HDR_GSO_NONE &&
        (gso != VIRTIO_NET_HDR_GSO_TCPV4 || !virtio_net_driver_has(t, VIRTIO_NET_F_HOST_TSO4) ||
         !(n->txbuf[0] & VIRTIO_NET_HDR_F_NEEDS_CSUM))) {
        virtio_mmio_set_needs_reset(t, gso == VIRTIO_NET_HDR_GSO_TCPV4
                                           ? "virtio-net TCPv4 segmentation offload used without "
                                             "HOST_TSO4 or without NEEDS_CSUM"
                                           : "virtio-net transmit with an unknown segmentation "
                                             "offload type");
        return false;
    }
    if ((n->txbuf[0] & VIRTIO_NET_HDR_F_NEEDS_CSUM) &&
        virtio_net_driver_has(t, VIRTIO_NET_F_CSUM)) {
        uint16_t start, off;
        memcpy(&start, n->txbuf + 6, 2);
        memcpy(&off, n->txbuf + 8, 2);
        if (!virtio_net_complete_csum(frame, len, start, off)) {
            virtio_mmio_set_needs_reset(t, "virtio-net checksum offsets outside the frame");
            return false;
        }
    }
    if (len) {
        net_dev_send(n->nd, frame, len);
    }
    return true;
}

static void virtio_net_notify(void *opaque, VirtioMmio *t, unsigned q)
{
    VirtioNet *n = opaque;
    if (q == 0) {
        net_dev_flush(n->nd);    /* the guest posted receive buffers */
        return;
    }
    while (virtq_pop(t, 1, &n->tx) == 1) {
        if (!virtio_net_tx_one(n, t, &n->tx)) {
            break;
        }
        virtq_push(t, 1, &n->tx, 0);
    }
    net_dev_send_done(n->nd);
}

static void virtio_net_reset(void *opaque)
{
    VirtioNet *n = opaque;
    if (n->nd) {
        net_dev_purge(n->nd);    /* frames for the old driver are stale */
        n->st.status = n->nd->link_down ? 0 : VIRTIO_NET_S_LINK_UP;
    }
    timer_del(&n->retry);
}

const VirtioDeviceOps virtio_net_ops = {
    .device_id = VIRTIO_ID_NET,
    .num_queues = 2,
    .queue_max = VIRTIO_NET_QUEUE_MAX,
    .features = virtio_net_features,
    .config_read = virtio_net_config_read,
    .config_write = virtio_net_config_write,
    .notify = virtio_net_notify,
    .reset = virtio_net_reset,
};

void virtio_net_link_changed(VirtioNet *n)
{
    uint16_t status = n->nd->link_down ? 0 : VIRTIO_NET_S_LINK_UP;
    if (status == n->st.status) {
        return;
    }
    n->st.status = status;
    VirtioMmio *t = n->t;
    if (t) {
        t->st.config_generation++;
        if (t->st.status & VIRTIO_STATUS_DRIVER_OK) {
            t->st.interrupt_status |= VIRTIO_INT_CONFIG;
            virtio_mmio_update_irq(t);
        }
    }
}

static void virtio_net_peer_link(void *opaque)
{
    virtio_net_link_changed(opaque);
}

void virtio_net_rarp_frame(const uint8_t mac[6], uint8_t frame[60])
{
    /* Reverse ARP "request reverse" (opcode 3) from mac about mac, to the
     * broadcast address, padded to the 60-byte minimum: what QEMU's
     * announce sends so that switches learn where the MAC now is. */
    static const uint8_t rarp[] = { 0x80, 0x35, 0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x03 };
    memset(frame, 0, 60);
    memset(frame, 0xff, 6);
    memcpy(frame + 6, mac, 6);
    memcpy(frame + 12, rarp, sizeof(rarp));
    memcpy(frame + 22, mac, 6);          /* sender hardware address */
    memcpy(frame + 32, mac, 6);          /* target hardware address */
}

static void virtio_net_announce_round(void *opaque)
{
    VirtioNet *n = opaque;
    uint8_t frame[60];
    virtio_net_rarp_frame(n->st.mac, frame);
    if (!n->nd->link_down) {
        net_dev_send(n->nd, frame, sizeof(frame));
        net_dev_send_done(n->nd);
        n->announced++;
    }
    if (--n->announce_left > 0) {
        /* QEMU's steps: 50 ms, then 100 ms more each round */
        int done = VIRTIO_NET_ANNOUNCE_ROUNDS - n->announce_left;
        timer_mod(&n->announce, clock_ns(n->clock) + (50ull + 100ull * (done - 1)) * 1000000ull);
    }
}

void virtio_net_announce(VirtioNet *n)
{
    timer_del(&n->announce);
    n->announce_left = VIRTIO_NET_ANNOUNCE_ROUNDS;
    virtio_net_announce_round(n);
}

bool virtio_net_init(VirtioNet *n, NetDev *nd, const uint8_t mac[6], const char *name,
                     const VMRunState *run, VirtClock *clock)
{
    memset(n, 0, sizeof(*n));
    n->nd = nd;
    n->run = run;
    n->clock = clock;
    memcpy(n->st.mac, mac, 6);
    snprintf(n->name, sizeof(n->name), "%s", name);
    n->txbuf = malloc(VIRTIO_NET_HDR_LEN + NET_FRAME_MAX);
    n->rx = calloc(VIRTIO_NET_RX_CHAINS, sizeof(*n->rx));
    if (!n->txbuf || !n->rx) {
        virtio_net_destroy(n);
        return false;
    }
    timer_init(&n->retry, clock, "virtio-net-rx", virtio_net_retry, n);
    timer_init(&n->announce, clock, "virtio-net-announce", virtio_net_announce_round, n);
    nd->peer = (NetPeer){ .opaque = n, .receive = virtio_net_receive,
                          .link_changed = virtio_net_peer_link, .name = n->name };
    n->st.status = nd->link_down ? 0 : VIRTIO_NET_S_LINK_UP;
    return true;
}

void virtio_net_attach(VirtioNet *n, VirtioMmio *t)
{
    n->t = t;
}

void virtio_net_destroy(VirtioNet *n)
{
    if (n->clock) {
        timer_del(&n->retry);
        timer_del(&n->announce);
    }
    free(n->txbuf);
    free(n->rx);
    n->txbuf = NULL;
    n->rx = NULL;
    if (n->nd) {
        n->nd->peer = (NetPeer){ 0 };
    }
}

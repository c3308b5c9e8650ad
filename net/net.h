/* The network layer between a NIC (hw/virtio-net.c) and a back end
 * (net/slirp.c): a NetDev is one -netdev (QEMU's "netdev" client), with its
 * id, its link state, the frames waiting for the guest and the log of the
 * frames delivered to it.
 *
 * Frames from the back end are queued here until the NIC takes them (the
 * guest posted receive buffers, the machine runs); each delivered frame is
 * recorded with the instruction count at which the guest got it
 * (net/net-log.h), because frames that come from the host are an input from
 * outside, like typed serial input. */
#ifndef NET_NET_H
#define NET_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "net/net-log.h"
#include "util/error.h"

#define NET_ID_MAX          32
#define NET_FRAME_MAX       65536    /* larger frames are refused (dropped) */
#define NET_QUEUE_MAX       1024     /* frames waiting for the guest; then dropped */

/* The NIC's side. */
typedef struct NetPeer {
    void *opaque;
    /* Takes one frame: true when it was delivered, false when the guest has
     * no room now (the frame stays queued and is offered again). */
    bool (*receive)(void *opaque, const uint8_t *buf, size_t len);
    /* The link of the netdev changed (set_link on the netdev's id). */
    void (*link_changed)(void *opaque);
    const char *name;            /* "virtio-net-device.0" (info network) */
} NetPeer;

typedef struct NetDev NetDev;

/* Where the NIC's frames come from (record/replay, doc/replay.md). */
typedef enum NetInputMode {
    NET_INPUT_LIVE,              /* the back end's frames reach the NIC at once */
    /* Recording or -reverse: the back end's frames wait in the queue until
     * net_dev_release, which the main loop calls between CPU slices, so each
     * reaches the guest at a position a replay can give it at (never in the
     * middle of an instruction, e.g. the guest's TX notification). */
    NET_INPUT_HELD,
    /* Replaying: the log replaces the back end. Its frames are dropped, the
     * guest's are swallowed, net_dev_inject gives the logged ones. */
    NET_INPUT_LOG,
} NetInputMode;

/* A link change (net_dev_set_link), for record/replay. */
typedef void (*NetLinkSink)(void *opaque, NetDev *nd, bool up);

/* The back end's side. */
typedef struct NetBackendOps {
    const char *type;            /* "user" */
    /* A frame from the guest. */
    void (*send)(void *be, const uint8_t *buf, size_t len);
    /* The end of a batch of frames from the guest (optional): the back end
     * may push what they produced to the host now. */
    void (*flush)(void *be);
    /* The back end's part of `info network` after "type=user," */
    void (*describe)(void *be, char *buf, size_t size);
    void (*destroy)(void *be);
} NetBackendOps;

typedef struct NetPacket {
    struct NetPacket *next;
    size_t len;
    bool external;               /* see net_dev_receive */
    uint8_t data[];
} NetPacket;

struct NetDev {
    char id[NET_ID_MAX];
    int index;                   /* among the machine's netdevs */
    const NetBackendOps *ops;
    void *be;
    NetPeer peer;                /* receive NULL: no NIC uses it */
    bool link_down;
    NetPacket *head, *tail;
    unsigned queued;
    uint64_t rx_frames, tx_frames, rx_dropped;
    NetInputMode input;
    bool kick;                   /* HELD: a frame came or the guest posted buffers */
    bool muted;                  /* re-execution (reverse): the back end hears nothing */
    bool injecting;              /* net_dev_inject: the NIC takes it while stopped too */
    uint64_t tx_swallowed;       /* LOG or muted: guest frames no back end saw */
    NetLinkSink link_sink;
    void *link_sink_opaque;
    /* The instruction count now (the machine's), for the input log. */
    uint64_t (*icount)(void *opaque);
    void *icount_opaque;
    NetInputLog log;
};

void net_dev_init(NetDev *nd, const char *id, int index);
/* Frees the queue and the back end. */
void net_dev_destroy(NetDev *nd);
/* Back end -> guest: queues the frame and delivers what the NIC takes.
 * `external`: the frame carries data from outside the machine (a host
 * socket), as opposed to the back end's answer to a guest frame. */
void net_dev_receive(NetDev *nd, const uint8_t *buf, size_t len, bool external);
/* Delivers queued frames while the NIC takes them (the NIC calls it when
 * the guest posted buffers or the machine runs again). HELD: only notes
 * that a delivery may now succeed (nd->kick); net_dev_release delivers. */
void net_dev_flush(NetDev *nd);
/* HELD: delivers the queued frames the NIC takes now; how many. */
unsigned net_dev_release(NetDev *nd);
/* A frame from a replay log or a reverse history, given to the NIC now,
 * past the back end and the queue (and the run state: re-execution runs a
 * stopped machine). false when the NIC did not take it. */
bool net_dev_inject(NetDev *nd, const uint8_t *buf, size_t len);
void net_dev_set_input(NetDev *nd, NetInputMode mode);
void net_dev_set_link_sink(NetDev *nd, NetLinkSink sink, void *opaque);
/* Drops the queued frames (a NIC reset). */
void net_dev_purge(NetDev *nd);
/* Guest -> back end. */
void net_dev_send(NetDev *nd, const uint8_t *buf, size_t len);
/* After a batch of net_dev_send() (a TX notification served). */
void net_dev_send_done(NetDev *nd);
void net_dev_set_link(NetDev *nd, bool up);

#endif

/* NetDev: the queue between a back end and its NIC (net/net.h). */
#include "net/net.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void net_dev_init(NetDev *nd, const char *id, int index)
{
    memset(nd, 0, sizeof(*nd));
    snprintf(nd->id, sizeof(nd->id), "%s", id);
    nd->index = index;
    net_log_init(&nd->log);
}

void net_dev_purge(NetDev *nd)
{
    while (nd->head) {
        NetPacket *p = nd->head;
        nd->head = p->next;
        free(p);
    }
    nd->tail = NULL;
    nd->queued = 0;
}

void net_dev_destroy(NetDev *nd)
{
    net_dev_purge(nd);
    if (nd->ops && nd->ops->destroy) {
        nd->ops->destroy(nd->be);
    }
    nd->ops = NULL;
    nd->be = NULL;
}

/* Offers one frame to the NIC; logs it when taken. */
static bool net_dev_deliver(NetDev *nd, const uint8_t *buf, size_t len, bool external)
{
    if (!nd->peer.receive(nd->peer.opaque, buf, len)) {
        return false;
    }
    nd->rx_frames++;
    net_log_add(&nd->log, nd->icount ? nd->icount(nd->icount_opaque) : 0, buf, len, external);
    return true;
}

static unsigned net_dev_deliver_queue(NetDev *nd)
{
    unsigned n = 0;
    while (nd->head && nd->peer.receive) {
        NetPacket *p = nd->head;
        if (!net_dev_deliver(nd, p->data, p->len, p->external)) {
            return n;
        }
        nd->head = p->next;
        if (!nd->head) {
            nd->tail = NULL;
        }
        nd->queued--;
        free(p);
        n++;
    }
    return n;
}

void net_dev_flush(NetDev *nd)
{
    if (nd->input == NET_INPUT_HELD) {
        nd->kick = nd->head != NULL;
        return;
    }
    net_dev_deliver_queue(nd);
}

unsigned net_dev_release(NetDev *nd)
{
    nd->kick = false;
    return net_dev_deliver_queue(nd);
}

bool net_dev_inject(NetDev *nd, const uint8_t *buf, size_t len)
{
    if (!nd->peer.receive || len > NET_FRAME_MAX) {
        return false;
    }
    nd->injecting = true;
    bool ok = net_dev_deliver(nd, buf, len, true);
    nd->injecting = false;
    return ok;
}

void net_dev_set_input(NetDev *nd, NetInputMode mode)
{
    nd->input = mode;
    nd->kick = nd->head != NULL;
}

void net_dev_set_link_sink(NetDev *nd, NetLinkSink sink, void *opaque)
{
    nd->link_sink = sink;
    nd->link_sink_opaque = opaque;
}

void net_dev_receive(NetDev *nd, const uint8_t *buf, size_t len, bool external)
{
    if (!nd->peer.receive || nd->link_down || len > NET_FRAME_MAX ||
        nd->input == NET_INPUT_LOG || nd->muted) {
        nd->rx_dropped++;        /* no NIC, a cable pulled, or the log replaces us */
        return;
    }
    if (nd->input == NET_INPUT_HELD) {
        nd->kick = true;         /* net_dev_release delivers it between slices */
    } else {
        net_dev_flush(nd);
        if (!nd->head && net_dev_deliver(nd, buf, len, external)) {
            return;
        }
    }
    if (nd->queued >= NET_QUEUE_MAX) {
        nd->rx_dropped++;        /* TCP in the back end retransmits */
        return;
    }
    NetPacket *p = malloc(sizeof(*p) + len);
    if (!p) {
        nd->rx_dropped++;
        return;
    }
    p->next = NULL;
    p->len = len;
    p->external = external;
    memcpy(p->data, buf, len);
    if (nd->tail) {
        nd->tail->next = p;
    } else {
        nd->head = p;
    }
    nd->tail = p;
    nd->queued++;
}

void net_dev_send(NetDev *nd, const uint8_t *buf, size_t len)
{
    if (nd->link_down || !nd->ops) {
        return;
    }
    if (nd->input == NET_INPUT_LOG || nd->muted) {
        nd->tx_swallowed++;      /* the recording's back end answered it; the log has that */
        return;
    }
    nd->tx_frames++;
    nd->ops->send(nd->be, buf, len);
}

void net_dev_send_done(NetDev *nd)
{
    if (nd->ops && nd->ops->flush && nd->input != NET_INPUT_LOG && !nd->muted) {
        nd->ops->flush(nd->be);
    }
}

void net_dev_set_link(NetDev *nd, bool up)
{
    nd->link_down = !up;
    if (!up) {
        net_dev_purge(nd);
    }
    if (nd->peer.link_changed) {
        nd->peer.link_changed(nd->peer.opaque);
    }
    if (nd->link_sink) {
        nd->link_sink(nd->link_sink_opaque, nd, up);
    }
}

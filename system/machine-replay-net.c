/* Record/replay and reverse execution of the machine's networks
 * (machine-replay.h, doc/replay.md). Recording (and -reverse) holds the
 * back ends' frames until the main loop's hook, between CPU slices, so
 * each reaches the guest at a position a replay can give it at; every
 * frame a NIC takes is logged there (kind 4) and kept in the reverse
 * history. Replaying, the log replaces the back ends (NET_INPUT_LOG) and
 * its frames are injected at their positions. */
#include "system/machine-replay.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void mrn_warn(MachineReplay *mr, const Error *err)
{
    if (!mr->warned_net) {
        fprintf(stderr, "amber: %s\n", err->msg);
        mr->warned_net = true;
    }
}

/* Every frame a NIC took (released from the queue, or injected). */
static void mrn_frame_sink(void *opaque, const NetLogEntry *e, const uint8_t *frame)
{
    MachineReplayNic *nic = opaque;
    MachineReplay *mr = nic->mr;
    if (mr->regiving || !mr->net_buf || e->len > NET_FRAME_MAX) {
        return;                  /* re-execution gives what the history holds */
    }
    uint8_t *b = mr->net_buf;
    uint32_t idx = (uint32_t)nic->index;
    b[0] = (uint8_t)(idx >> 24);
    b[1] = (uint8_t)(idx >> 16);
    b[2] = (uint8_t)(idx >> 8);
    b[3] = (uint8_t)idx;
    memcpy(b + 4, frame, e->len);
    Error err;
    error_init(&err);
    if (mr->r.mode == REPLAY_MODE_RECORD &&
        !replay_input(&mr->r, REPLAY_EV_NET_FRAME, b, 4 + e->len, &err)) {
        mrn_warn(mr, &err);
    }
    reverse_note_input(&mr->rv, REPLAY_EV_NET_FRAME, b, 4 + e->len, replay_cursor(&mr->r));
}

/* A link change took effect (the monitor logged it while recording). */
static void mrn_link_sink(void *opaque, NetDev *nd, bool up)
{
    MachineReplay *mr = opaque;
    if (mr->regiving) {
        return;
    }
    uint8_t b[1 + NET_ID_MAX];
    size_t n = strlen(nd->id);
    b[0] = up;
    memcpy(b + 1, nd->id, n);
    reverse_note_input(&mr->rv, REPLAY_EV_SET_LINK, b, 1 + n, replay_cursor(&mr->r));
}

bool machine_replay_net_start(MachineReplay *mr, Error *err)
{
    Machine *m = mr->m;
    if (!mr->net_buf && m->nr_netdevs) {
        mr->net_buf = malloc(4 + NET_FRAME_MAX);
        if (!mr->net_buf) {
            error_setf(err, "out of memory for the network's record/replay buffer");
            return false;
        }
    }
    for (int i = 0; i < m->nr_netdevs; i++) {
        NetDev *nd = &m->netdev[i];
        mr->nic[i] = (MachineReplayNic){ .mr = mr, .index = i };
        net_log_set_sink(&nd->log, mrn_frame_sink, &mr->nic[i]);
        net_dev_set_link_sink(nd, mrn_link_sink, mr);
        if (nd->input != NET_INPUT_LOG) {
            net_dev_set_input(nd, NET_INPUT_HELD);
        }
    }
    return true;
}

void machine_replay_net_stop(MachineReplay *mr)
{
    Machine *m = mr->m;
    for (int i = 0; m && i < m->nr_netdevs; i++) {
        NetDev *nd = &m->netdev[i];
        net_log_set_sink(&nd->log, NULL, NULL);
        net_dev_set_link_sink(nd, NULL, NULL);
        nd->muted = false;
        if (nd->input == NET_INPUT_HELD) {
            net_dev_set_input(nd, NET_INPUT_LIVE);
            net_dev_flush(nd);
        }
    }
    free(mr->net_buf);
    mr->net_buf = NULL;
}

void machine_replay_net_release(MachineReplay *mr)
{
    Machine *m = mr->m;
    for (int i = 0; i < m->nr_netdevs; i++) {
        if (m->netdev[i].input == NET_INPUT_HELD) {
            net_dev_release(&m->netdev[i]);
        }
    }
}

bool machine_replay_net_pending(const MachineReplay *mr)
{
    const Machine *m = mr->m;
    for (int i = 0; i < m->nr_netdevs; i++) {
        if (m->netdev[i].input == NET_INPUT_HELD && m->netdev[i].kick) {
            return true;
        }
    }
    return false;
}

void machine_replay_net_quiet(MachineReplay *mr, bool on)
{
    Machine *m = mr->m;
    for (int i = 0; i < m->nr_netdevs; i++) {
        m->netdev[i].muted = on;
    }
}

bool machine_replay_net_frame(MachineReplay *mr, uint32_t nic, const uint8_t *buf, size_t len,
                              Error *err)
{
    Machine *m = mr->m;
    if (nic >= (uint32_t)m->nr_netdevs || m->net_slot[nic] < 0) {
        error_setf(err, "a frame for network %u: this machine has %d network%s with a NIC", nic,
                   m->nr_netdevs, m->nr_netdevs == 1 ? "" : "s");
        return false;
    }
    if (!net_dev_inject(&m->netdev[nic], buf, len)) {
        error_setf(err, "the NIC of network %s did not take a frame of %zu bytes (the guest "
                   "has no receive buffer or its link is down: the replay diverged)",
                   m->netdev[nic].id, len);
        return false;
    }
    return true;
}

bool machine_replay_net_set_link(MachineReplay *mr, const char *name, bool up, Error *err)
{
    Machine *m = mr->m;
    int i = machine_find_netdev(m, name);
    VirtioNet *n = i < 0 ? machine_find_nic(m, name) : NULL;
    if (i < 0 && !n) {
        error_setf(err, "set_link %s: this machine has no network or NIC of that name", name);
        return false;
    }
    net_dev_set_link(n ? n->nd : &m->netdev[i], up);
    return true;
}

/* Network commands: info network, info usernet, set_link, hostfwd_add,
 * hostfwd_remove, announce_self (QEMU's syntax and output). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hw/riscv/machine.h"
#include "monitor/hmp.h"
#include "monitor/monitor-int.h"
#include "replay/replay-log.h"

void hmp_info_network(Monitor *mon, const MonArgs *a)
{
    (void)a;
    Machine *m = hmp_machine(mon);
    if (!m) {
        return;
    }
    /* QEMU: each NIC, then its peer indented under " \ "; a netdev no
     * NIC uses on its own line. Amber adds ",link=down" while it is. */
    for (int i = 0; i < m->nr_netdevs; i++) {
        NetDev *nd = &m->netdev[i];
        char be[160] = "";
        if (nd->ops && nd->ops->describe) {
            nd->ops->describe(nd->be, be, sizeof(be));
        }
        const char *link = nd->link_down ? ",link=down" : "";
        if (m->net_slot[i] >= 0) {
            const VirtioNet *n = &m->virtio_net[m->net_slot[i]];
            const uint8_t *mac = n->st.mac;
            monitor_printf(mon, "%s: index=0,type=nic,model=virtio-net-device,"
                           "macaddr=%02x:%02x:%02x:%02x:%02x:%02x%s\n", n->name, mac[0],
                           mac[1], mac[2], mac[3], mac[4], mac[5], link);
            monitor_printf(mon, " \\ %s: index=0,type=user,%s%s\n", nd->id, be, link);
        } else {
            monitor_printf(mon, "%s: index=0,type=user,%s%s\n", nd->id, be, link);
        }
    }
}

void hmp_info_usernet(Monitor *mon, const MonArgs *a)
{
    (void)a;
    Machine *m = hmp_machine(mon);
    if (!m) {
        return;
    }
    for (int i = 0; i < m->nr_netdevs; i++) {
        char *info = m->slirp[i] ? net_slirp_connection_info(m->slirp[i]) : NULL;
        monitor_printf(mon, "Hub -1 (%s):\n%s", m->netdev[i].id, info ? info : "");
        free(info);
    }
}

void hmp_set_link(Monitor *mon, const MonArgs *a)
{
    Machine *m = hmp_machine(mon);
    if (!m) {
        return;
    }
    const char *name = mon_arg_str(a, "name", "");
    bool up = mon_arg_int(a, "up", 1) != 0;
    int i = machine_find_netdev(m, name);
    VirtioNet *n = i < 0 ? machine_find_nic(m, name) : NULL;
    if (i < 0 && !n) {
        monitor_error(mon, "Device '%s' not found", name);
        return;
    }
    /* Logged where it takes effect while recording, refused replaying. */
    uint8_t ev[1 + 64];
    size_t len = strlen(name) < 64 ? strlen(name) : 64;
    ev[0] = up;
    memcpy(ev + 1, name, len);
    if (!hmp_replay_input(mon, REPLAY_EV_SET_LINK, ev, 1 + len)) {
        return;
    }
    /* One link joins a NIC and its back end: naming either pulls it. */
    net_dev_set_link(n ? n->nd : &m->netdev[i], up);
}

/* The netdev a hostfwd command means: its first argument when there are
 * two, else the only (first) one. */
static NetSlirp *hmp_fwd_target(Monitor *mon, const MonArgs *a, const char **rule)
{
    Machine *m = hmp_machine(mon);
    if (!m) {
        return NULL;
    }
    const char *a1 = mon_arg_str(a, "arg1", ""), *a2 = mon_arg_str(a, "arg2", NULL);
    int i = 0;
    if (a2) {
        i = machine_find_netdev(m, a1);
        if (i < 0) {
            monitor_error(mon, "unknown netdev '%s'", a1);
            return NULL;
        }
        *rule = a2;
    } else {
        *rule = a1;
    }
    if (i >= m->nr_netdevs || !m->slirp[i]) {
        monitor_error(mon, "no netdev user: start Amber with -netdev user or -nic user");
        return NULL;
    }
    return m->slirp[i];
}

void hmp_hostfwd_add(Monitor *mon, const MonArgs *a)
{
    const char *rule = NULL;
    NetSlirp *s = hmp_fwd_target(mon, a, &rule);
    if (!s) {
        return;
    }
    NetSlirpFwd f;
    Error err;
    error_init(&err);
    if (!net_slirp_parse_fwd(rule, &f, &err) || !net_slirp_add_fwd(s, &f, &err)) {
        monitor_error(mon, "%s", err.msg);
    }
}

void hmp_hostfwd_remove(Monitor *mon, const MonArgs *a)
{
    const char *rule = NULL;
    NetSlirp *s = hmp_fwd_target(mon, a, &rule);
    if (!s) {
        return;
    }
    NetSlirpFwd f;
    Error err;
    error_init(&err);
    if (!net_slirp_parse_fwd_host(rule, &f, &err)) {
        monitor_error(mon, "%s", err.msg);
        return;
    }
    if (!net_slirp_remove_fwd(s, &f, &err)) {
        monitor_error(mon, "host forwarding rule for %s not found", rule);   /* QEMU's words */
        return;
    }
    monitor_printf(mon, "host forwarding rule for %s removed\n", rule);
}

void hmp_announce_self(Monitor *mon, const MonArgs *a)
{
    (void)a;
    Machine *m = hmp_machine(mon);
    if (!m) {
        return;
    }
    machine_net_announce(m);
}

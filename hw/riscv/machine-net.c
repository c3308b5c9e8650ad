/* The board's network: -netdev back ends, -nic, and
 * -device virtio-net-device,netdev=ID[,mac=MAC][,id=NAME] on virtio-mmio.
 *
 * Slots: the if=virtio drives take the top slots, then each -nic, then the
 * -device options in command-line order take the next slot down (QEMU's
 * riscv virt makes a PCI NIC of -nic; Amber has no PCI, so it is a
 * virtio-net-device). The messages are QEMU's where QEMU has one. */
#include "hw/riscv/machine.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEVICE_VIRTIO_NET "virtio-net-device"

static bool net_parse_mac(const char *s, uint8_t mac[6])
{
    unsigned v[6];
    char tail;
    if (sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5],
               &tail) != 6 || strlen(s) != 17) {
        return false;
    }
    for (int i = 0; i < 6; i++) {
        mac[i] = (uint8_t)v[i];
    }
    return true;
}

/* QEMU's default MACs: 52:54:00:12:34:56, then :57, ... per NIC. */
static void net_default_mac(int index, uint8_t mac[6])
{
    static const uint8_t base[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };
    memcpy(mac, base, 6);
    mac[5] = (uint8_t)(0x56 + index);
}

int machine_find_netdev(const Machine *m, const char *id)
{
    for (int i = 0; i < m->nr_netdevs; i++) {
        if (!strcmp(m->netdev[i].id, id)) {
            return i;
        }
    }
    return -1;
}

/* One back end from "user,id=ID,..." (spec) for the option `what`. With
 * nic (the -nic form) the NIC's own options are taken out into *nic. */
static bool net_new_backend(Machine *m, const char *what, const char *spec, MachineNic *nic,
                            Error *err)
{
    char *copy = strdup(spec), *save = NULL;
    if (!copy) {
        error_setf(err, "%s %s: out of memory", what, spec);
        return false;
    }
    const char *type = NULL, *id = NULL;
    NetSlirpOptions so;
    net_slirp_options_default(&so);
    bool ok = true, first = true;
    for (char *t = strtok_r(copy, ",", &save); t && ok; t = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(t, '=');
        if (first && !eq) {
            type = t;
        } else if (!eq) {
            error_setf(err, "%s %s: Invalid parameter '%s'", what, spec, t);
            ok = false;
        } else {
            *eq = '\0';
            const char *v = eq + 1;
            Error e;
            error_init(&e);
            if (!strcmp(t, "type") && !type) {
                type = v;
            } else if (!strcmp(t, "id")) {
                id = v;
            } else if (nic && !strcmp(t, "model")) {
                snprintf(nic->model, sizeof(nic->model), "%s", v);
            } else if (nic && !strcmp(t, "mac")) {
                snprintf(nic->mac, sizeof(nic->mac), "%s", v);
            } else if (type && !strcmp(type, "user") &&
                       !net_slirp_parse_option(&so, t, v, &e)) {
                error_setf(err, "%s %s: %s", what, spec, e.msg);
                ok = false;
            } else if (!type || strcmp(type, "user") != 0) {
                break;           /* the type is reported below, as QEMU: first */
            }
        }
        first = false;
    }
    if (ok && (!type || (strcmp(type, "user") != 0 && strcmp(type, "none") != 0))) {
        error_setf(err, "%s %s: Parameter 'type' expects a netdev backend type (Amber has "
                   "'user')", what, spec);
        ok = false;
    } else if (ok && !strcmp(type, "none")) {
        if (!nic) {
            error_setf(err, "%s %s: Parameter 'type' expects a netdev backend type (Amber has "
                       "'user')", what, spec);
            ok = false;
        } else {
            nic->none = true;
            free(copy);
            return true;
        }
    }
    char idbuf[NET_ID_MAX];
    if (ok && !id && !nic) {
        error_setf(err, "%s %s: Parameter 'id' is missing", what, spec);
        ok = false;
    } else if (ok && !id) {
        snprintf(idbuf, sizeof(idbuf), "__org.qemu.nic%d", m->nr_nics);
        id = idbuf;
    }
    if (ok && (strlen(id) >= NET_ID_MAX || !*id)) {
        error_setf(err, "%s %s: Parameter 'id' expects an identifier of 1 to %d characters",
                   what, spec, NET_ID_MAX - 1);
        ok = false;
    }
    if (ok && machine_find_netdev(m, id) >= 0) {
        error_setf(err, "%s %s: Duplicate ID '%s' for netdev", what, spec, id);
        ok = false;
    }
    if (ok && m->nr_netdevs == MACHINE_MAX_NETS) {
        error_setf(err, "%s %s: at most %d network back ends", what, spec, MACHINE_MAX_NETS);
        ok = false;
    }
    Error e;
    error_init(&e);
    if (ok && !net_slirp_options_check(&so, &e)) {
        error_setf(err, "%s %s: %s", what, spec, e.msg);
        ok = false;
    }
    if (ok) {
        int i = m->nr_netdevs;
        NetDev *nd = &m->netdev[i];
        net_dev_init(nd, id, i);
        nd->icount = machine_icount;
        nd->icount_opaque = m;
        if (m->opts.replaying) {
            /* Before the back end binds its forwards: it binds none. */
            net_dev_set_input(nd, NET_INPUT_LOG);
        }
        m->nr_netdevs++;
        m->slirp[i] = net_slirp_new(nd, &so, &m->clock, m->opts.loop, m->opts.incoming,
                                  &m->opts.warn, &e);
        if (!m->slirp[i]) {
            error_setf(err, "%s %s: %s", what, spec, e.msg);
            ok = false;
        }
        if (nic) {
            nic->netdev = i;
        }
    }
    free(copy);
    return ok;
}

bool machine_init_netdevs(Machine *m, Error *err)
{
    if (!m->opts.loop && (m->opts.nr_netdevs || m->opts.nr_nics)) {
        error_setf(err, "-netdev: this machine has no main loop to serve a network");
        return false;
    }
    for (int k = 0; k < m->opts.nr_netdevs; k++) {
        if (!net_new_backend(m, "-netdev", m->opts.netdevs[k], NULL, err)) {
            return false;
        }
    }
    for (int k = 0; k < m->opts.nr_nics; k++) {
        MachineNic *nic = &m->nics[m->nr_nics];
        memset(nic, 0, sizeof(*nic));
        nic->netdev = -1;
        if (!net_new_backend(m, "-nic", m->opts.nics[k], nic, err)) {
            return false;
        }
        m->nr_nics++;
        if (!nic->none && nic->model[0] && strcmp(nic->model, DEVICE_VIRTIO_NET) != 0) {
            error_setf(err, "-nic %s: model '%s' is not supported (Amber's virt board has no "
                       "PCI; the one model is " DEVICE_VIRTIO_NET ")", m->opts.nics[k],
                       nic->model);
            return false;
        }
    }
    return true;
}

/* Puts a virtio-net on the next free slot for netdev i. */
static bool net_plug(Machine *m, int i, const char *mac, const char *name, int *slot,
                     const VirtioDeviceOps **ops, const char *what, Error *err)
{
    uint8_t addr[6];
    if (*slot < 0) {
        error_setf(err, "%s: no free virtio-mmio slot (the board has %d)", what,
                   VIRT_VIRTIO_COUNT);
        return false;
    }
    if (m->net_slot[i] >= 0) {
        error_setf(err, "%s: Property '" DEVICE_VIRTIO_NET ".netdev' can't take value '%s', "
                   "it's in use", what, m->netdev[i].id);
        return false;
    }
    if (mac && !net_parse_mac(mac, addr)) {
        error_setf(err, "%s: Property '" DEVICE_VIRTIO_NET ".mac' doesn't take value '%s'",
                   what, mac);
        return false;
    }
    if (mac && (addr[0] & 1)) {
        error_setf(err, "%s: mac %s is a multicast address", what, mac);
        return false;
    }
    if (!mac) {
        net_default_mac(m->nr_nic_devices, addr);
    }
    char nm[32];
    if (name) {
        snprintf(nm, sizeof(nm), "%s", name);
    } else {
        snprintf(nm, sizeof(nm), DEVICE_VIRTIO_NET ".%d", m->nr_nic_devices);
    }
    if (!virtio_net_init(&m->virtio_net[*slot], &m->netdev[i], addr, nm, &m->run, &m->clock)) {
        error_setf(err, "%s: out of memory", what);
        return false;
    }
    m->nr_nic_devices++;
    ops[*slot] = &virtio_net_ops;
    m->net_slot[i] = (*slot)--;
    return true;
}

bool machine_plug_nics(Machine *m, int *slot, const VirtioDeviceOps **ops, Error *err)
{
    for (int i = 0; i < MACHINE_MAX_NETS; i++) {
        m->net_slot[i] = -1;
    }
    for (int k = 0; k < m->nr_nics; k++) {
        MachineNic *nic = &m->nics[k];
        char what[300];
        snprintf(what, sizeof(what), "-nic %s", m->opts.nics[k]);
        if (!nic->none && !net_plug(m, nic->netdev, nic->mac[0] ? nic->mac : NULL, NULL, slot,
                                    ops, what, err)) {
            return false;
        }
    }
    return true;
}

bool machine_plug_net_device(Machine *m, const char *spec, int *slot,
                             const VirtioDeviceOps **ops, Error *err)
{
    char *copy = strdup(spec), *save = NULL;
    if (!copy) {
        error_setf(err, "-device %s: out of memory", spec);
        return false;
    }
    const char *netdev = NULL, *mac = NULL, *id = NULL;
    bool ok = true, first = true;
    for (char *t = strtok_r(copy, ",", &save); t && ok; t = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(t, '=');
        if (first && !eq) {
            first = false;
            continue;            /* the driver name */
        }
        first = false;
        if (!eq) {
            error_setf(err, "-device %s: Invalid parameter '%s'", spec, t);
            ok = false;
            break;
        }
        *eq = '\0';
        if (!strcmp(t, "driver")) {
            continue;
        } else if (!strcmp(t, "netdev")) {
            netdev = eq + 1;
        } else if (!strcmp(t, "mac")) {
            mac = eq + 1;
        } else if (!strcmp(t, "id")) {
            id = eq + 1;
        } else {
            error_setf(err, "-device %s: Property '" DEVICE_VIRTIO_NET ".%s' not found", spec, t);
            ok = false;
        }
    }
    int i = -1;
    if (ok && !netdev) {
        error_setf(err, "-device %s: netdev property not set (each NIC needs a -netdev)", spec);
        ok = false;
    } else if (ok && (i = machine_find_netdev(m, netdev)) < 0) {
        error_setf(err, "-device %s: Property '" DEVICE_VIRTIO_NET ".netdev' can't find value "
                   "'%s'", spec, netdev);
        ok = false;
    }
    if (ok) {
        char what[300];
        snprintf(what, sizeof(what), "-device %s", spec);
        ok = net_plug(m, i, mac, id, slot, ops, what, err);
    }
    free(copy);
    return ok;
}

void machine_attach_nics(Machine *m)
{
    for (int i = 0; i < m->nr_netdevs; i++) {
        if (m->net_slot[i] >= 0) {
            virtio_net_attach(&m->virtio_net[m->net_slot[i]], &m->virtio[m->net_slot[i]]);
        } else {
            report_printf(&m->opts.warn, "Warning: netdev %s has no peer", m->netdev[i].id);
        }
    }
}

VirtioNet *machine_find_nic(Machine *m, const char *name)
{
    for (int i = 0; i < m->nr_netdevs; i++) {
        int s = m->net_slot[i];
        if (s >= 0 && !strcmp(m->virtio_net[s].name, name)) {
            return &m->virtio_net[s];
        }
    }
    return NULL;
}

void machine_net_release_forwards(Machine *m)
{
    for (int i = 0; i < m->nr_netdevs; i++) {
        if (m->slirp[i]) {
            net_slirp_release_forwards(m->slirp[i]);
        }
    }
}

bool machine_net_bind_forwards(Machine *m, Error *err)
{
    for (int i = 0; i < m->nr_netdevs; i++) {
        if (m->slirp[i] && !net_slirp_bind_forwards(m->slirp[i], err)) {
            error_prependf(err, "netdev %s: ", m->netdev[i].id);
            return false;
        }
    }
    return true;
}

void machine_net_announce(Machine *m)
{
    for (int i = 0; i < m->nr_netdevs; i++) {
        if (m->net_slot[i] >= 0) {
            virtio_net_announce(&m->virtio_net[m->net_slot[i]]);
        }
    }
}

void machine_destroy_nets(Machine *m)
{
    for (int n = 0; n < VIRT_VIRTIO_COUNT; n++) {
        if (m->virtio[n].ops == &virtio_net_ops) {
            virtio_net_destroy(&m->virtio_net[n]);
        }
    }
    for (int i = 0; i < m->nr_netdevs; i++) {
        net_dev_destroy(&m->netdev[i]);      /* and its back end */
        m->slirp[i] = NULL;
    }
    m->nr_netdevs = 0;
}

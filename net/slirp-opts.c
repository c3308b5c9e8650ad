/* The options of -netdev user (and -nic user), and hostfwd rules, with
 * QEMU's defaults and, where QEMU has them, its messages. */
#include "net/slirp.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct in_addr addr_of(uint32_t host_order)
{
    return (struct in_addr){ .s_addr = htonl(host_order) };
}

void net_slirp_options_default(NetSlirpOptions *o)
{
    memset(o, 0, sizeof(*o));
    o->net = addr_of(0x0a000200);        /* 10.0.2.0 */
    o->mask = addr_of(0xffffff00);
    o->host = addr_of(0x0a000202);
    o->dns = addr_of(0x0a000203);
    o->dhcp_start = addr_of(0x0a00020f);
}

static bool parse_port(const char *s, int *port)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (!*s || *end || errno || v < 0 || v > 65535) {
        return false;
    }
    *port = (int)v;
    return true;
}

static bool parse_addr(const char *s, struct in_addr *a)
{
    return inet_pton(AF_INET, s, a) == 1;
}

/* "ADDR[/BITS|/MASK]": the network and its mask. */
static bool parse_net(NetSlirpOptions *o, const char *value, Error *err)
{
    char buf[64];
    snprintf(buf, sizeof(buf), "%s", value);
    char *slash = strchr(buf, '/');
    struct in_addr net, mask = addr_of(0xffffff00);
    if (slash) {
        *slash++ = '\0';
        char *end;
        long bits = strtol(slash, &end, 10);
        if (*slash && !*end) {
            if (bits < 8 || bits > 30) {
                error_setf(err, "Invalid netmask provided (must be in range 8-30)");
                return false;
            }
            mask = addr_of(bits ? 0xffffffffu << (32 - bits) : 0);
        } else if (!parse_addr(slash, &mask)) {
            error_setf(err, "Invalid netmask provided (must be in range 8-30)");
            return false;
        }
    }
    if (!parse_addr(buf, &net)) {
        error_setf(err, "Invalid IPv4 network '%s'", value);
        return false;
    }
    uint32_t m = ntohl(mask.s_addr);
    if (m & ~(0xffffffffu << __builtin_ctz(m ? m : 1))) {
        error_setf(err, "Invalid netmask '%s' (not contiguous)", slash);
        return false;
    }
    if (net.s_addr & ~mask.s_addr) {
        error_setf(err, "Invalid IPv4 network '%s' (host bits set in the network address)",
                   value);
        return false;
    }
    /* As QEMU: host .2, DNS .3 and DHCP .15 of the new network. */
    uint32_t n = ntohl(net.s_addr);
    o->net = net;
    o->mask = mask;
    o->host = addr_of(n | 2);
    o->dns = addr_of(n | 3);
    o->dhcp_start = addr_of(n | 15);
    return true;
}

static bool parse_bool(const char *v, bool *out)
{
    if (!strcmp(v, "on") || !strcmp(v, "yes") || !strcmp(v, "y")) {
        *out = true;
    } else if (!strcmp(v, "off") || !strcmp(v, "no") || !strcmp(v, "n")) {
        *out = false;
    } else {
        return false;
    }
    return true;
}

bool net_slirp_parse_option(NetSlirpOptions *o, const char *name, const char *value,
                            Error *err)
{
    struct in_addr *a = NULL;
    if (!strcmp(name, "net")) {
        return parse_net(o, value, err);
    } else if (!strcmp(name, "host")) {
        a = &o->host;
    } else if (!strcmp(name, "dns")) {
        a = &o->dns;
    } else if (!strcmp(name, "dhcpstart")) {
        a = &o->dhcp_start;
    } else if (!strcmp(name, "restrict")) {
        if (!parse_bool(value, &o->restricted)) {
            error_setf(err, "Parameter 'restrict' expects 'on' or 'off'");
            return false;
        }
        return true;
    } else if (!strcmp(name, "hostfwd")) {
        if (o->nr_fwd == NET_SLIRP_MAX_FWD) {
            error_setf(err, "at most %d hostfwd rules", NET_SLIRP_MAX_FWD);
            return false;
        }
        if (!net_slirp_parse_fwd(value, &o->fwd[o->nr_fwd], err)) {
            return false;
        }
        o->nr_fwd++;
        return true;
    } else if (!strcmp(name, "ipv4")) {
        bool on;
        if (!parse_bool(value, &on) || !on) {
            error_setf(err, "Parameter 'ipv4' can only be 'on' (IPv4 is the one protocol)");
            return false;
        }
        return true;
    } else {
        error_setf(err, "Invalid parameter '%s'", name);
        return false;
    }
    if (!parse_addr(value, a)) {
        error_setf(err, "Parameter '%s' expects an IPv4 address, not '%s'", name, value);
        return false;
    }
    return true;
}

static bool in_net(const NetSlirpOptions *o, struct in_addr a)
{
    return (a.s_addr & o->mask.s_addr) == o->net.s_addr;
}

static bool is_net_or_broadcast(const NetSlirpOptions *o, struct in_addr a)
{
    uint32_t host = ntohl(a.s_addr & ~o->mask.s_addr), all = ntohl(~o->mask.s_addr);
    return host == 0 || host == all;
}

bool net_slirp_options_check(const NetSlirpOptions *o, Error *err)
{
    char net[INET_ADDRSTRLEN];
    inet_ntop(AF_INET, &o->net, net, sizeof(net));
    if (!in_net(o, o->host) || is_net_or_broadcast(o, o->host)) {
        error_setf(err, "host address is not a host of the network %s", net);
        return false;
    }
    if (!in_net(o, o->dns) || is_net_or_broadcast(o, o->dns)) {
        error_setf(err, "DNS address is not a host of the network %s", net);
        return false;
    }
    if (!in_net(o, o->dhcp_start) || is_net_or_broadcast(o, o->dhcp_start)) {
        error_setf(err, "DHCP start address is not a host of the network %s", net);
        return false;
    }
    if (o->host.s_addr == o->dns.s_addr || o->host.s_addr == o->dhcp_start.s_addr ||
        o->dns.s_addr == o->dhcp_start.s_addr) {
        error_setf(err, "host, DNS and DHCP start addresses must differ");
        return false;
    }
    for (int i = 0; i < o->nr_fwd; i++) {
        const NetSlirpFwd *f = &o->fwd[i];
        if (f->guest_addr.s_addr && !in_net(o, f->guest_addr)) {
            error_setf(err, "hostfwd: guest address is not in the network %s", net);
            return false;
        }
        for (int j = 0; j < i; j++) {
            if (o->fwd[j].udp == f->udp && o->fwd[j].host_port == f->host_port &&
                o->fwd[j].host_addr.s_addr == f->host_addr.s_addr) {
                error_setf(err, "hostfwd: two rules for %s host port %d",
                           f->udp ? "udp" : "tcp", f->host_port);
                return false;
            }
        }
    }
    return true;
}

/* "[tcp|udp]:[ADDR]:PORT"; rest points after it. */
static bool parse_fwd_host(const char *rule, char *buf, size_t size, NetSlirpFwd *f,
                           char **rest, Error *err)
{
    snprintf(buf, size, "%s", rule);
    char *p = buf, *colon = strchr(p, ':');
    memset(f, 0, sizeof(*f));
    if (!colon) {
        error_setf(err, "Invalid host forwarding rule '%s' (No : separators)", rule);
        return false;
    }
    *colon = '\0';
    if (!strcmp(p, "tcp") || !*p) {
        f->udp = false;
    } else if (!strcmp(p, "udp")) {
        f->udp = true;
    } else {
        error_setf(err, "Invalid host forwarding rule '%s' (Bad protocol name)", rule);
        return false;
    }
    p = colon + 1;
    colon = strchr(p, ':');
    if (!colon) {
        error_setf(err, "Invalid host forwarding rule '%s' (Missing : separator)", rule);
        return false;
    }
    *colon = '\0';
    /* Amber binds to the loopback address when none is given (QEMU: every
     * address), so a forwarded guest port is not open to the network by
     * default. */
    f->host_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (*p && !parse_addr(p, &f->host_addr)) {
        error_setf(err, "Invalid host forwarding rule '%s' (Bad host address)", rule);
        return false;
    }
    p = colon + 1;
    char *dash = strchr(p, '-');
    if (dash) {
        *dash = '\0';
    }
    if (!parse_port(p, &f->host_port)) {
        error_setf(err, "Invalid host forwarding rule '%s' (Bad host port)", rule);
        return false;
    }
    *rest = dash ? dash + 1 : NULL;
    return true;
}

bool net_slirp_parse_fwd_host(const char *rule, NetSlirpFwd *f, Error *err)
{
    char buf[256], *rest;
    if (!parse_fwd_host(rule, buf, sizeof(buf), f, &rest, err)) {
        return false;
    }
    if (rest) {
        error_setf(err, "Invalid host forwarding rule '%s' (no guest part in a removal)", rule);
        return false;
    }
    return true;
}

bool net_slirp_parse_fwd(const char *rule, NetSlirpFwd *f, Error *err)
{
    char buf[256], *p;
    if (!parse_fwd_host(rule, buf, sizeof(buf), f, &p, err)) {
        return false;
    }
    if (!p) {
        error_setf(err, "Invalid host forwarding rule '%s' (Missing - separator)", rule);
        return false;
    }
    char *colon = strchr(p, ':');
    if (!colon) {
        error_setf(err, "Invalid host forwarding rule '%s' (Missing : separator)", rule);
        return false;
    }
    *colon = '\0';
    if (*p && !parse_addr(p, &f->guest_addr)) {
        error_setf(err, "Invalid host forwarding rule '%s' (Bad guest address)", rule);
        return false;
    }
    if (!parse_port(colon + 1, &f->guest_port) || f->guest_port == 0) {
        error_setf(err, "Invalid host forwarding rule '%s' (Bad guest port)", rule);
        return false;
    }
    return true;
}

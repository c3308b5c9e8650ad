/* The "user" network back end: libslirp, QEMU's user-mode TCP/IP stack.
 *
 * The guest's frames go into slirp_input() while the NIC's notification is
 * served; slirp's answers come back through the NetDev at once. Its host
 * sockets are polled through one epoll descriptor in the machine's loop
 * (never blocking the CPU loop), its timers run on the machine's virtual
 * clock, so a guest that talks only to slirp (DHCP, ARP) runs the same way
 * every time. */
#ifndef NET_SLIRP_H
#define NET_SLIRP_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>

#include "emu/clock.h"
#include "emu/loop.h"
#include "net/net.h"
#include "savevm/vmstate.h"
#include "util/error.h"
#include "util/report.h"

#define NET_SLIRP_MAX_FWD 16

/* One hostfwd rule. */
typedef struct NetSlirpFwd {
    bool udp;
    struct in_addr host_addr;
    int host_port;
    struct in_addr guest_addr;   /* 0: the DHCP address (10.0.2.15) */
    int guest_port;
    bool active;                 /* bound now */
} NetSlirpFwd;

/* -netdev user,... */
typedef struct NetSlirpOptions {
    struct in_addr net, mask, host, dns, dhcp_start;
    bool restricted;
    NetSlirpFwd fwd[NET_SLIRP_MAX_FWD];
    int nr_fwd;
} NetSlirpOptions;

/* Defaults: QEMU's 10.0.2.0/24, host .2, DNS .3, DHCP from .15. */
void net_slirp_options_default(NetSlirpOptions *o);
/* One option of -netdev user (NAME=VALUE); net= moves the defaults of
 * host, dns and dhcpstart into the new network, as QEMU. false with err
 * set on a bad name or value. */
bool net_slirp_parse_option(NetSlirpOptions *o, const char *name, const char *value,
                            Error *err);
/* Checks the addresses against each other (after every option). */
bool net_slirp_options_check(const NetSlirpOptions *o, Error *err);
/* "[tcp|udp]:[HOSTADDR]:HOSTPORT-[GUESTADDR]:GUESTPORT"; a missing host
 * address is 127.0.0.1 (QEMU: every address). */
bool net_slirp_parse_fwd(const char *rule, NetSlirpFwd *f, Error *err);
/* "[tcp|udp]:[HOSTADDR]:HOSTPORT" (hostfwd_remove). */
bool net_slirp_parse_fwd_host(const char *rule, NetSlirpFwd *f, Error *err);

typedef struct NetSlirp NetSlirp;

/* Creates the stack for nd; binds the forwards unless defer_fwd (an
 * incoming migration: the source still holds the ports until it hands the
 * machine over; net_slirp_bind_forwards then). */
NetSlirp *net_slirp_new(NetDev *nd, const NetSlirpOptions *o, VirtClock *clock, Loop *loop,
                        bool defer_fwd, const Reporter *warn, Error *err);
bool net_slirp_bind_forwards(NetSlirp *s, Error *err);
/* Binds the forwards once the machine runs (after a load: the source of a
 * migration gave the ports up before it sent its devices); a port still
 * taken is retried every 100 ms of virtual time for 5 s, then reported. */
void net_slirp_bind_forwards_later(NetSlirp *s);
/* Replaces the stack with a new one of the same configuration: every
 * connection through it is closed on the host (a loaded state does not know
 * them) and the forwards are bound again later. Only when the stack was
 * used (a frame from the guest, a bound port): an incoming migration's
 * fresh stack is kept as it is. */
bool net_slirp_restart(NetSlirp *s, Error *err);
/* Closes the listening sockets (a migration's source hands the ports over). */
void net_slirp_release_forwards(NetSlirp *s);
bool net_slirp_add_fwd(NetSlirp *s, const NetSlirpFwd *f, Error *err);
bool net_slirp_remove_fwd(NetSlirp *s, const NetSlirpFwd *f, Error *err);
/* slirp's table of connections (info usernet); the caller frees it. */
char *net_slirp_connection_info(NetSlirp *s);

/* The "slirp" section: libslirp's own state through slirp_state_save and
 * slirp_state_load (net/slirp-vmstate.c). */
extern const VMStateDescription vmstate_slirp;
/* The object the section's table is registered with. */
void *net_slirp_vmstate_opaque(NetSlirp *s);

#endif

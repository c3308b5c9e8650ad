/* NetSlirp's insides, shared by net/slirp.c and net/slirp-vmstate.c. */
#ifndef NET_SLIRP_INT_H
#define NET_SLIRP_INT_H

#include <poll.h>
#include <slirp/libslirp.h>

#include "net/slirp.h"

/* The saved form of libslirp's state: the bytes slirp_state_save wrote
 * and the state version they are in. libslirp saves its IP id, its DHCP
 * leases and guestfwd connections (Amber makes none), a few hundred bytes. */
#define NET_SLIRP_STATE_MAX 16384

typedef struct NetSlirpVMState {
    NetSlirp *s;
    uint32_t version;
    uint32_t len;
    uint8_t buf[NET_SLIRP_STATE_MAX];
    uint32_t pos;                /* read position while loading */
} NetSlirpVMState;

typedef struct NetSlirpReg {
    int fd;
    uint32_t events;
} NetSlirpReg;

struct NetSlirp {
    NetDev *nd;
    Slirp *slirp;
    SlirpConfig cfg;             /* to make the stack anew (net_slirp_restart) */
    NetSlirpOptions opts;        /* with the forwards added since */
    VirtClock *clock;
    Loop *loop;
    int epfd;
    struct pollfd *pfd;          /* the last fill */
    int nr_pfd, cap_pfd;
    NetSlirpReg *reg;            /* what the epoll set holds */
    int nr_reg, cap_reg;
    Timer poll_timer;
    Timer activate;              /* net_slirp_bind_forwards_later */
    int activate_tries;
    Reporter warn;
    bool in_host_poll;           /* frames now carry host data */
    bool need_update;
    uint64_t guest_errors;
    NetSlirpVMState vms;
};

#endif

/* The stub's session state, shared by server.c (sockets), session.c
 * (framing, acks, stop replies, resuming) and commands.c (packets). */
#ifndef GDBSTUB_GDBSTUB_INT_H
#define GDBSTUB_GDBSTUB_INT_H

#include <stdint.h>

#include "gdbstub/gdbstub.h"
#include "gdbstub/packet.h"
#include "hw/riscv/machine.h"

/* Output not taken by a client that stopped reading: past this it is
 * disconnected (a reply is at most a few packets of GDB_PACKET_MAX). */
#define GDB_MAX_OUTQ (4u << 20)

struct GdbStub {
    Machine *m;
    struct Loop *loop;
    GdbMonitorFn monitor_fn;
    void *monitor_opaque;
    /* server.c */
    int listen_fd;               /* -1: not listening */
    int fd;                      /* the client, -1: none (tests write to outq only) */
    bool out_watched;
    char address[160];           /* what listen_fd is bound to */
    char unix_path[160];         /* removed when the listener closes */
    /* session.c */
    GdbPacketReader rd;
    GdbBuf outq;                 /* bytes for the client, not yet written */
    GdbBuf last;                 /* the last packet, framed (resent on '-') */
    GdbBuf reply;                /* the reply commands.c is building */
    bool no_ack;                 /* QStartNoAckMode */
    int g_hart;                  /* Hg: registers and memory */
    int c_hart;                  /* Hc: c and s without vCont (-1: every hart) */
    bool waiting;                /* gdb waits for a stop reply (after c/vCont) */
    int stop_hart;               /* the hart the last stop is about */
    uint64_t state_gen;          /* Machine.state_gen at the last stop gdb saw */
    bool detached;               /* D or k: the connection ends after the reply */
    struct Reverse *rev;         /* reverse execution (bs, bc), or NULL */
    struct Replay *replay;       /* record/replay: writes are inputs, or NULL */
};

/* ---- session.c ---- */
void gdb_session_reset(GdbStub *gs);
/* Bytes from the client: packets are answered, Ctrl-C stops the guest. */
void gdb_session_input(GdbStub *gs, const uint8_t *data, size_t len);
/* Frames gs->reply as a packet (or an empty one) and queues it. */
void gdb_send_reply(GdbStub *gs);
/* Queues the stop reply for hart h: T<sig>thread:<h+1>; plus watch:ADDR;
 * when a watchpoint stopped it; gdb no longer waits. */
void gdb_report_stop(GdbStub *gs, int h, int sig);
/* Stops a running machine for the debugger (run state debug). */
void gdb_stop_machine(GdbStub *gs, RunState st);
/* Resumes: step (hart >= 0: that hart alone, one instruction, and the
 * stop reply at once) or continue the harts of run_mask (bit h: hart h). */
void gdb_resume(GdbStub *gs, int step_hart, uint32_t run_mask);

/* ---- commands.c ---- */
/* Handles one packet's data (escapes kept): fills gs->reply and returns
 * true when it is to be sent now (c, s and vCont answer later). */
bool gdb_handle_packet(GdbStub *gs, char *pkt, size_t len);

/* ---- reverse.c ---- */
/* bs and bc: fills gs->reply (an error) and returns true, or queues the
 * stop reply and returns false. */
bool gdb_reverse_packet(GdbStub *gs, const char *pkt);
bool gdb_reverse_on(const GdbStub *gs);

/* ---- server.c ---- */
/* Queues bytes for the client and writes what it takes now. */
void gdb_server_output(GdbStub *gs, const char *data, size_t len);
void gdb_server_disconnect(GdbStub *gs);

#define GDB_SIGINT  2
#define GDB_SIGTRAP 5

#endif

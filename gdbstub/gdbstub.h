/* The GDB stub: a gdb remote serial protocol server for one machine
 * (doc/gdb.md). Host side only: the machine's breakpoints and watchpoints
 * are debugger state (Machine.debug), its sockets and session are here,
 * and none of it goes into a snapshot or a migration stream.
 *
 * Order of calls (system/main.c):
 *   gs = gdb_server_new(machine, loop)
 *   gdb_server_set_monitor(gs, fn, opaque)   qRcmd runs monitor commands
 *   gdb_server_start(gs, "tcp::1234", err)   -s, -gdb, HMP gdbserver
 *   the main loop calls gdb_server_debug_stop() when machine_exec returns
 *   CPU_EXIT_DEBUG, and gdb_server_poll() once per iteration
 *   gdb_server_exit(gs, status) when amber ends; gdb_server_free(gs)
 */
#ifndef GDBSTUB_GDBSTUB_H
#define GDBSTUB_GDBSTUB_H

#include <stdbool.h>
#include <stddef.h>

#include "util/error.h"

struct Machine;
struct Loop;
typedef struct GdbStub GdbStub;

/* Runs one monitor command line for gdb's `monitor CMD` (qRcmd) with gdb's
 * current hart as the monitor's; returns its output (malloc'ed, may be
 * empty) or NULL when it cannot run. */
typedef char *(*GdbMonitorFn)(void *opaque, const char *line, int hart);

/* The default device of -s and of a bare `gdbserver`. */
#define GDB_DEFAULT_DEVICE "tcp::1234"

GdbStub *gdb_server_new(struct Machine *m, struct Loop *loop);
void gdb_server_free(GdbStub *gs);
void gdb_server_set_monitor(GdbStub *gs, GdbMonitorFn fn, void *opaque);
/* Reverse execution for bs and bc (replay/reverse.h), or NULL: gdb is
 * offered ReverseStep and ReverseContinue while it is on. */
struct Reverse;
void gdb_server_set_reverse(GdbStub *gs, struct Reverse *rv);
/* The record/replay cursor (replay/replay.h), or NULL: gdb's writes to
 * registers and memory are inputs, logged while recording and refused
 * while replaying. */
struct Replay;
void gdb_server_set_replay(GdbStub *gs, struct Replay *r);
/* Listens on dev: tcp:[HOST]:PORT (HOST empty: 127.0.0.1, loopback as
 * the monitor's sockets should be reached), unix:PATH[,server], or
 * "none" (stops). Replaces a listener already open. */
bool gdb_server_start(GdbStub *gs, const char *dev, Error *err);
void gdb_server_stop(GdbStub *gs);
/* What it listens on ("tcp:127.0.0.1:1234"), or NULL. */
const char *gdb_server_address(const GdbStub *gs);
bool gdb_server_connected(const GdbStub *gs);
/* The machine stopped at a breakpoint or watchpoint (machine_exec gave
 * CPU_EXIT_DEBUG): enters the debug run state and tells gdb. */
void gdb_server_debug_stop(GdbStub *gs);
/* Once per main-loop iteration: tells a waiting gdb when the machine
 * stopped for another reason (the monitor's stop, a guest power-off
 * under -no-shutdown) or its state was replaced (loadvm). */
void gdb_server_poll(GdbStub *gs);
/* amber is ending with the guest's status: "W" to a connected gdb. */
void gdb_server_exit(GdbStub *gs, int status);

#endif

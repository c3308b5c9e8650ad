/* The monitor's public face for system/main.c: a hub that holds every
 * monitor of one machine and what they share, the command-line options
 * that say where monitors and the serial console live (-monitor, -serial,
 * -nographic), start-up after the machine exists, and the way out.
 *
 * Order of calls in main():
 *   hub = monitor_hub_new(loop)   (loop: main_loop_init())
 *   monitor_opt_monitor() / monitor_opt_serial() / monitor_opt_nographic()
 *                                         while parsing the command line
 *   monitor_init_serial(hub, &machine.serial0)  before machine_init()
 *   monitor_set_machine(), monitor_set_vm_name()  after machine_init()
 *   monitor_start(hub)
 *   main_loop_run(); monitor_cleanup(hub)  (also registered as loop cleanup)
 *   monitor_hub_free(hub)
 */
#ifndef MONITOR_MONITOR_H
#define MONITOR_MONITOR_H

#include <stdbool.h>
#include <stddef.h>

#include "io/chardev.h"
#include "util/error.h"

typedef struct MonitorHub MonitorHub;
struct Machine;
struct MigrationVM;
struct Loop;

MonitorHub *monitor_hub_new(struct Loop *loop);
/* Closes every monitor and frees the hub (after monitor_cleanup()). */
void monitor_hub_free(MonitorHub *hub);

/* -monitor stdio|unix:PATH,server[,nowait]|tcp:HOST:PORT,server[,nowait]|none
 * (may be given more than once). The syntax is checked here, so a typo is
 * reported before the machine is built. */
bool monitor_opt_monitor(MonitorHub *hub, const char *val, Error *err);
/* -serial stdio|file:PATH|unix:PATH,server[,nowait]|null|none|mon:stdio */
bool monitor_opt_serial(MonitorHub *hub, const char *val, Error *err);
/* -nographic: serial and monitor multiplexed on stdio (Ctrl-A c switches). */
void monitor_opt_nographic(MonitorHub *hub);

/* Sets up the serial back end (UART0's host side). */
bool monitor_init_serial(MonitorHub *hub, CharBackend *be, Error *err);
/* The machine the commands act on, and the same as migration and snapshots
 * see it (system/machine-migration.c). Both must outlive the hub's use. */
void monitor_set_machine(MonitorHub *hub, struct Machine *m, struct MigrationVM *vm);
/* -name: shown by `info name` and under the banner (NULL: none). The string
 * must outlive the hub. */
void monitor_set_vm_name(MonitorHub *hub, const char *name);
/* Opens the monitors (listening sockets, the terminal), registers their fds
 * with the main loop and prints the first prompts. */
bool monitor_start(MonitorHub *hub, Error *err);
/* Ends waiting commands, restores the terminal, writes the readline history
 * and removes the socket files. Idempotent. */
void monitor_cleanup(MonitorHub *hub);
/* The machine's GDB stub, for the gdbserver command (NULL: none). */
struct GdbStub;
void monitor_set_gdb(MonitorHub *hub, struct GdbStub *gs);
/* The machine's record/replay (replay/replay.h), or NULL. */
struct Replay;
void monitor_set_replay(MonitorHub *hub, struct Replay *r);
/* -reverse's checkpoints (replay/reverse.h), for info replay, or NULL. */
struct Reverse;
void monitor_set_reverse(MonitorHub *hub, struct Reverse *rv);
/* gdb's `monitor CMD` (qRcmd): runs one command line on a monitor of its
 * own whose current hart is cpu_index, and returns what it printed
 * (malloc'ed). A command that would wait for an event (expect, a migrate
 * without -d) is cancelled at once: gdb waits for the answer meanwhile. */
char *monitor_run_captured(MonitorHub *hub, const char *line, int cpu_index);
/* SIGINT: cancels commands that wait (expect). True when one was waiting, so
 * the signal is consumed instead of ending amber. */
bool monitor_interrupt(MonitorHub *hub);

#endif

/* The monitor's public face for system/main.c: the command-line options that
 * say where monitors and the serial console live (-monitor, -serial,
 * -nographic), start-up after the machine exists, and the way out.
 *
 * Order of calls in main():
 *   monitor_opt_monitor() / monitor_opt_serial() / monitor_opt_nographic()
 *                                         while parsing the command line
 *   monitor_init_serial(&machine.serial0)  before machine_init()
 *   monitor_start()                         after machine_init()
 *   main_loop_run(); monitor_cleanup()      (also registered as loop cleanup)
 */
#ifndef MONITOR_MONITOR_H
#define MONITOR_MONITOR_H

#include <stdbool.h>
#include <stddef.h>

#include "io/chardev.h"
#include "util/error.h"

/* -monitor stdio|unix:PATH,server[,nowait]|tcp:HOST:PORT,server[,nowait]|none
 * (may be given more than once). The syntax is checked here, so a typo is
 * reported before the machine is built. */
bool monitor_opt_monitor(const char *val, Error *err);
/* -serial stdio|file:PATH|unix:PATH,server[,nowait]|null|none|mon:stdio */
bool monitor_opt_serial(const char *val, Error *err);
/* -nographic: serial and monitor multiplexed on stdio (Ctrl-A c switches). */
void monitor_opt_nographic(void);

/* Sets up the serial back end (UART0's host side). */
bool monitor_init_serial(CharBackend *be, Error *err);
/* Opens the monitors (listening sockets, the terminal), registers their fds
 * with the main loop and prints the first prompts. */
bool monitor_start(Error *err);
/* -name: shown by `info name` and under the banner (NULL: none). The string
 * must outlive the monitor. */
void monitor_set_vm_name(const char *name);
/* The machine as migration and snapshots see it (system/machine-migration.c). */
struct MigrationVM;
void monitor_set_vm(struct MigrationVM *vm);
const char *monitor_vm_name(void);
/* Restores the terminal and writes the readline history. Idempotent. */
void monitor_cleanup(void);
/* SIGINT: cancels commands that wait (expect). True when one was waiting, so
 * the signal is consumed instead of ending amber. */
bool monitor_interrupt(void);

#endif

/* The terminal on stdio: the serial console (raw mode on a tty, Ctrl-A
 * escapes) and, with -nographic or -serial mon:stdio, a monitor sharing it
 * (QEMU's mux: Ctrl-A c switches between them). */
#ifndef MONITOR_CONSOLE_H
#define MONITOR_CONSOLE_H

#include <stdbool.h>

#include "io/chardev.h"

typedef struct Monitor Monitor;
typedef struct MonitorHub MonitorHub;

/* serial: UART0's back end on stdio; mux: a monitor will share it. Makes
 * the hub's console (hub->console). */
void console_init(MonitorHub *hub, CharBackend *serial, bool mux);
void console_set_monitor(MonitorHub *hub, Monitor *mon);
/* Puts a tty in raw mode and starts reading stdin (no-op without console_init). */
void console_start(MonitorHub *hub);
void console_restore(MonitorHub *hub);
/* Restores the terminal and frees the hub's console. */
void console_free(MonitorHub *hub);

#endif

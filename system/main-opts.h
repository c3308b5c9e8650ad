/* The QEMU options about the process and its character devices: -name,
 * -pidfile, -daemonize, -no-shutdown, -nodefaults, -hda, -device, -chardev,
 * -mon, -serial, -monitor and -nographic (system/main-opts.c). main.c offers
 * each argument here first; the rest of its options are its own.
 *
 * Order in main():
 *   main_opts_parse()      for each argument
 *   main_opts_finish()     after the command line: defaults, chardev
 *                          references, the checks needing every option
 *   main_opts_daemonize()  before anything opens a socket or a file
 *   main_opts_ready()      after the monitors listen: the parent exits */
#ifndef SYSTEM_MAIN_OPTS_H
#define SYSTEM_MAIN_OPTS_H

#include <stdbool.h>

#include "hw/riscv/machine.h"
#include "monitor/monitor.h"
#include "util/error.h"

/* 1: argv[*i] was one of these (*i moved past its argument), 0: not one
 * of these, -1: a bad value (err says which). */
int main_opts_parse(MachineOptions *o, int argc, char **argv, int *i, Error *err);
/* Hands the -serial, -monitor and -nographic spellings to the hub. */
int main_opts_finish(MachineOptions *o, MonitorHub *hub, Error *err);
/* -daemonize: forks; the parent waits for main_opts_ready() and exits
 * with 0 (ready) or 1 (the child failed). Then writes -pidfile. */
int main_opts_daemonize(Error *err);
void main_opts_ready(void);
/* -name NAME (or guest=NAME), NULL without: info name, the monitor banner. */
const char *main_opts_name(void);

#endif

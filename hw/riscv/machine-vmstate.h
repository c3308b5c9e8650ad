/* The board's VM state: the tables of the board and the virtual clock, and
 * the registration of every section of the machine with the section engine
 * (each device declares its own table in its own header).
 *
 * Sections, in stream order: "ram" (iterative), then FULL sections "cpu",
 * "timer", "riscv_sifive_plic", "riscv_aclint", "serial", "goldfish_rtc",
 * ["riscv.htif.uart"], ["virtio-mmio" per slot with a disk, instance = slot],
 * "virt", "globalstate". The clock comes right after
 * the CPU so that device post_load hooks, which re-arm timers and re-drive
 * interrupt lines, see the restored virtual time. */
#ifndef HW_RISCV_MACHINE_VMSTATE_H
#define HW_RISCV_MACHINE_VMSTATE_H

#include <stdbool.h>

#include "hw/riscv/machine.h"
#include "util/error.h"
#include "savevm/qemu-file.h"
#include "savevm/vmstate.h"

extern const VMStateDescription vmstate_timer;
extern const VMStateDescription vmstate_virt_board;


/* Registers the sections of m's CPU, clock, devices and board, in stream
 * order; "ram" goes before them and "globalstate" after
 * (machine_migration_attach in system/). */
int machine_vmstate_register(Machine *m);

/* Writes every registered section's description (name, instance, version,
 * minimum version, fields with types, sizes and versions, subsections) as
 * JSON (amber -dump-vmstate). */
int machine_dump_vmstate(Machine *m, const char *path, Error *err);

#endif

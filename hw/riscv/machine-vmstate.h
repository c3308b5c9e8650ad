/* The machine's VM state: the VMState tables of the CPU, the devices, the
 * board and the virtual clock, their registration with the section engine,
 * and the whole-machine operations built on it (save/load a complete
 * stream, device-only state, migration through a command).
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

extern const VMStateDescription vmstate_riscv_cpu;
extern const VMStateDescription vmstate_uart16550;
extern const VMStateDescription vmstate_plic;
extern const VMStateDescription vmstate_clint;
extern const VMStateDescription vmstate_goldfish_rtc;
extern const VMStateDescription vmstate_htif;
extern const VMStateDescription vmstate_timer;
extern const VMStateDescription vmstate_virt_board;
extern const VMStateDescription vmstate_virtio_mmio;

void cpu_vmstate_note_misa(uint64_t misa);

/* Registers every section of m (replacing any earlier registration). */
int machine_vmstate_register(Machine *m);
void machine_vmstate_unregister(void);

/* A complete stream (RAM included) of the stopped machine. */
int machine_save_state(Machine *m, QEMUFile *f, Error *err);
/* Loads a complete stream into m. On failure device state is as before; if
 * guest RAM was already partly overwritten the machine is marked
 * internal-error, so it cannot be continued (only reset, or loaded again).
 * On success host caches are dropped; the run state is the caller's
 * decision (see machine_incoming). */
int machine_load_state(Machine *m, QEMUFile *f, Error *err);
/* The same in two steps, for a load on another thread: the stream (touches
 * only the machine's state) and, after a failure, the run state verdict
 * (internal-error when RAM was already overwritten), on the main thread. */
int machine_load_stream(Machine *m, QEMUFile *f, Error *err);
void machine_load_failed(Machine *m);

/* Device-only state (CPU and devices, neither RAM nor disks), like QEMU's
 * xen-save-devices-state, but with the configuration section and the vmdesc
 * so amber-analyze can print it. Loading refuses while the machine runs and
 * replaces state in place; on failure nothing changes. */
int machine_save_devices_state(Machine *m, QEMUFile *f, Error *err);
int machine_load_devices_state(Machine *m, QEMUFile *f, Error *err);
int machine_save_devices_file(Machine *m, const char *path, Error *err);
int machine_load_devices_file(Machine *m, const char *path, Error *err);

/* migrate URI for "exec:CMD" (the stream goes to CMD's stdin) and
 * "file:PATH": records the run state, stops the machine, writes the stream.
 * Success leaves the machine in postmigrate; failure restores the previous
 * run state. Error messages are QEMU's where it has one. */
int machine_migrate(Machine *m, const char *uri, Error *err);
/* -incoming URI ("exec:CMD" reads CMD's stdout, "file:PATH"): loads the
 * stream and sets the run state as QEMU does: running if the source was
 * running (or sent no globalstate) unless start_paused, then paused; else
 * the source's state. */
int machine_incoming(Machine *m, const char *uri, bool start_paused, Error *err);

/* Writes every registered section's description (name, instance, version,
 * minimum version, fields with types, sizes and versions, subsections) as
 * JSON (amber -dump-vmstate). */
int machine_dump_vmstate(const char *path, Error *err);

#endif

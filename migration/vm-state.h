/* The whole machine's state as one stream (migration/vm-state.c). */
#ifndef MIGRATION_VM_STATE_H
#define MIGRATION_VM_STATE_H

#include "migration/vm.h"
#include "savevm/qemu-file.h"
#include "util/error.h"

/* A complete stream (RAM included) of the stopped machine. */
int vm_save_state(MigrationVM *vm, QEMUFile *f, Error *err);
/* Loads a complete stream into m. On failure device state is as before; if
 * guest RAM was already partly overwritten the machine is marked
 * internal-error, so it cannot be continued (only reset, or loaded again).
 * On success host caches are dropped; the run state is the caller's
 * decision. */
int vm_load_state(MigrationVM *vm, QEMUFile *f, Error *err);
/* The same in two steps, for a load on another thread: the stream (touches
 * only the machine's state) and, after a failure, the run state verdict
 * (internal-error when RAM was already overwritten), on the main thread. */
int vm_load_stream(MigrationVM *vm, QEMUFile *f, Error *err);
void vm_load_failed(MigrationVM *vm);

/* Device-only state (CPU and devices, neither RAM nor disks), like QEMU's
 * xen-save-devices-state, but with the configuration section and the vmdesc
 * so amber-analyze can print it. Loading refuses while the machine runs and
 * replaces state in place; on failure nothing changes. */
int vm_save_devices_state(MigrationVM *vm, QEMUFile *f, Error *err);
int vm_load_devices_state(MigrationVM *vm, QEMUFile *f, Error *err);
int vm_save_devices_file(MigrationVM *vm, const char *path, Error *err);
int vm_load_devices_file(MigrationVM *vm, const char *path, Error *err);

#endif

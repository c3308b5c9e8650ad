/* The glue between the board and migration (system/machine-migration.c). */
#ifndef SYSTEM_MACHINE_MIGRATION_H
#define SYSTEM_MACHINE_MIGRATION_H

#include <stddef.h>

#include "hw/riscv/machine.h"
#include "migration/vm.h"

/* After machine_init: makes the machine's migration context (vm->mig),
 * registers the machine's sections (replacing any earlier registration),
 * its drives' blockers and hand-over hooks, and returns the interface
 * migration and snapshots use for it. NULL with err set on failure. */
MigrationVM *machine_migration_attach(Machine *m, Loop *loop, Error *err);
/* Before machine_destroy: a migration in progress is cancelled, an incoming
 * load ended, and the context freed. */
void machine_migration_detach(MigrationVM *vm);

#endif

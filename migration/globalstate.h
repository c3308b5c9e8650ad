/* The "globalstate" section: the source's run state, so the destination
 * knows whether to run the guest after loading (ref-stream-format.md §5.4).
 * It is a record of the stream in a machine's registry, registered with the
 * machine's other sections (system/machine-migration.c). */
#ifndef MIGRATION_GLOBALSTATE_H
#define MIGRATION_GLOBALSTATE_H

#include <stdbool.h>

#include "emu/runstate.h"
#include "savevm/savevm.h"

/* Adds the record to s (it is freed when unregistered); run is the
 * machine's run state, sent when none was stored. */
int globalstate_register(SaveVMState *s, const VMRunState *run);
/* Records the run state for the next save of s that runs while the VM is
 * stopped for it (save-vm, finish-migrate); call it before stopping the
 * VM. Without it, or for a save in another state, the state at save time
 * is sent. _current records the machine's run state now. */
void globalstate_store_state(SaveVMState *s, RunState rs);
void globalstate_store_current(SaveVMState *s);
/* After a load into s: true and *out set if the stream carried a valid
 * globalstate. QEMU treats a stream without one as "running". */
bool globalstate_received(SaveVMState *s, RunState *out);

#endif

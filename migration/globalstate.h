/* The "globalstate" section: the source's run state, so the destination
 * knows whether to run the guest after loading (ref-stream-format.md §5.4).
 * savevm registers it by itself on the first save or load. */
#ifndef MIGRATION_GLOBALSTATE_H
#define MIGRATION_GLOBALSTATE_H

#include <stdbool.h>

#include "emu/runstate.h"

/* Records the current run state for the next save; call it before stopping
 * the VM. Without it, the state at save time is sent. */
void globalstate_store(void);
void globalstate_store_state(RunState s);
/* After a load: true and *out set if the stream carried a valid globalstate.
 * QEMU treats a stream without one as "running". */
bool globalstate_received(RunState *out);

/* For savevm.c. */
int globalstate_register(void);

#endif

/* A snapshot's VM state area as a stream (migration/block-vmstate.c). */
#ifndef MIGRATION_BLOCK_VMSTATE_H
#define MIGRATION_BLOCK_VMSTATE_H

#include "block/block.h"
#include "savevm/qemu-file.h"

/* The state as a QEMUFile from offset 0: a writer gives a writable file, a
 * reader a readable one. Closing the file does not close vm. NULL when out
 * of memory. */
QEMUFile *block_vmstate_open_file(BlockVmstate *vm);

#endif

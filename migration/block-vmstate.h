/* A snapshot's VM state area as a stream (migration/block-vmstate.c). */
#ifndef MIGRATION_BLOCK_VMSTATE_H
#define MIGRATION_BLOCK_VMSTATE_H

#include <stdbool.h>

#include "block/block.h"
#include "savevm/qemu-file.h"

/* The state as a QEMUFile from offset 0: writable over a writer
 * (bdrv_vmstate_writer_open), else readable over a reader. Closing the
 * file does not close vm. NULL when out of memory. */
QEMUFile *block_vmstate_open_file(BlockVmstate *vm, bool writable);

#endif

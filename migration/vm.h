/* What migration and snapshots know of a machine: a small interface the top
 * floor fills from the board (system/machine-migration.c), so migration/
 * never reaches into the board's struct. */
#ifndef MIGRATION_VM_H
#define MIGRATION_VM_H

#include <stdint.h>

#include "block/block.h"
#include "emu/clock.h"
#include "emu/loop.h"
#include "emu/memory.h"
#include "emu/runstate.h"
#include "io/chardev.h"
#include "savevm/savevm.h"
#include "util/error.h"

/* The machine's migration context (migration.h). */
typedef struct Migration Migration;

/* The most disks a machine hands over (the board's -drive limit is lower). */
#define MIGRATION_VM_MAX_DRIVES 16

typedef struct MigrationVM {
    SaveVMState *sections;       /* the machine's state sections */
    VirtClock *clock;            /* its virtual time (a snapshot's vm clock) */
    VMRunState *run;             /* its run state */
    Migration *mig;              /* its migration context (migration_new) */
    struct Loop *loop;           /* the main loop that serves it: fds, quit */
    PhysMemory *mem;             /* its RAM (info migrate's total) */
    CharBackend *serial;         /* input held during an incoming load */
    /* The disks: nr_drives slots, a slot may be NULL. */
    BlockDriverState *const *drives;
    int nr_drives;
    void *opaque;                /* the board */
    /* Instructions retired (a snapshot's icount). */
    uint64_t (*instret)(void *opaque);
    /* System reset: CPU and devices to power-on state. */
    void (*reset)(void *opaque);
    /* The state was loaded from outside the guest: drop host caches. */
    void (*state_changed)(void *opaque);
    /* The end of an incoming migration: the disks are reopened. */
    int (*activate_drives)(void *opaque, Error *err);
} MigrationVM;

#endif

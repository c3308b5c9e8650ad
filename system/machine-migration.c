/* Hands the board to migration, from the top floor so that neither knows
 * the other: the stream's sections in QEMU's order ("ram", the board's,
 * "globalstate"), migration's blockers as the section engine's check, a
 * blocker per snapshot=on drive, and the disks' hand-over in a live
 * migration: before the final phase each image is flushed and made
 * read-only (the destination takes it over); after a failed or cancelled
 * migration it becomes writable again, so the resumed guest can write
 * (QEMU's bdrv_inactivate_all/bdrv_activate_all). */
#include "system/machine-migration.h"

#include <errno.h>
#include <stdio.h>

#include "hw/riscv/machine-vmstate.h"
#include "migration/globalstate.h"
#include "migration/migration.h"
#include "migration/ram.h"
#include "savevm/savevm.h"

/* Why a snapshot=on drive blocks migrate and savevm (`info migrate` shows
 * it after the drive's id). */
#define DRIVE_SNAPSHOT_BLOCKER \
    "snapshot=on keeps the guest's disk writes in this process's memory; " \
    "they cannot move to the destination"

/* The migration blocker of a snapshot=on drive (its writes live in this
 * process), or -1. */
static int drive_blocker[MACHINE_MAX_DRIVES];

static bool drive_was_read_only[MACHINE_MAX_DRIVES];
static Machine *drives_machine;

static int drive_inactivate(void *opaque, Error *err)
{
    BlockDriverState **slot = opaque;
    Machine *m = drives_machine;
    int i = (int)(slot - m->drive_bs);
    if (!*slot) {
        return 0;
    }
    int ret = (*slot)->read_only ? 0 : bdrv_flush(*slot, err);
    if (ret < 0) {
        return ret;
    }
    drive_was_read_only[i] = (*slot)->read_only;
    (*slot)->read_only = true;
    bdrv_unlock(*slot);          /* the destination takes the image over */
    return 0;
}

static int drive_activate(void *opaque, Error *err)
{
    BlockDriverState **slot = opaque;
    Machine *m = drives_machine;
    if (!*slot) {
        return 0;
    }
    bool ro = drive_was_read_only[slot - m->drive_bs];
    /* Fails when the destination took the image over meanwhile: then this
     * guest must not write it (the caller keeps it stopped). */
    int ret = bdrv_lock(*slot, !ro, err);
    if (ret < 0) {
        return ret;
    }
    (*slot)->read_only = ro;
    return 0;
}

static void machine_migration_register_drives(Machine *m)
{
    drives_machine = m;
    for (int i = 0; i < m->nr_drives; i++) {
        MigrationBlockHooks h = { drive_inactivate, drive_activate, &m->drive_bs[i] };
        migration_remove_block_hooks(&m->drive_bs[i]);
        migration_add_block_hooks(&h);
    }
}

static void machine_migration_unregister_drives(Machine *m)
{
    for (int i = 0; i < MACHINE_MAX_DRIVES; i++) {
        migration_remove_block_hooks(&m->drive_bs[i]);
    }
}

int machine_migration_attach(Machine *m, Error *err)
{
    savevm_unregister_all(m->sections);
    savevm_set_blocker_check(m->sections, migration_check_blockers);
    int ret = ram_register(m->sections, &m->mem, NULL);
    ret = ret ? ret : machine_vmstate_register(m);
    ret = ret ? ret : globalstate_register(m->sections);
    if (ret < 0) {
        error_setf(err, "cannot register the machine's state sections (%d)", ret);
        return ret;
    }
    for (int i = 0; i < MACHINE_MAX_DRIVES; i++) {
        drive_blocker[i] = -1;
    }
    for (int i = 0; i < m->nr_drives; i++) {
        if (m->drive_bs[i] && drive_uses_overlay(&m->drive[i])) {
            drive_blocker[i] = migrate_add_blocker(m->drive[i].id, DRIVE_SNAPSHOT_BLOCKER);
            if (drive_blocker[i] < 0) {
                error_setf(err, "-drive %s: cannot register its migration blocker "
                           "(the table is full)", m->opts.drives[i]);
                return -ENOSPC;
            }
        }
    }
    machine_migration_register_drives(m);
    return 0;
}

void machine_migration_detach(Machine *m)
{
    machine_migration_unregister_drives(m);
    for (int i = 0; i < MACHINE_MAX_DRIVES; i++) {
        migrate_del_blocker(drive_blocker[i]);
        drive_blocker[i] = -1;
    }
    savevm_unregister_all(m->sections);
}

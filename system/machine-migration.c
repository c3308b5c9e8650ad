/* The machine's disks in a live migration: before the final phase each
 * image is flushed and made read-only (the destination takes it over);
 * after a failed or cancelled migration it becomes writable again, so the
 * resumed guest can write (QEMU's bdrv_inactivate_all/bdrv_activate_all). */
#include "hw/riscv/machine.h"
#include "migration/migration.h"

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

void machine_migration_register_drives(Machine *m)
{
    drives_machine = m;
    for (int i = 0; i < m->nr_drives; i++) {
        MigrationBlockHooks h = { drive_inactivate, drive_activate, &m->drive_bs[i] };
        migration_remove_block_hooks(&m->drive_bs[i]);
        migration_add_block_hooks(&h);
    }
}

void machine_migration_unregister_drives(Machine *m)
{
    for (int i = 0; i < MACHINE_MAX_DRIVES; i++) {
        migration_remove_block_hooks(&m->drive_bs[i]);
    }
}

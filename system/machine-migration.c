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
#include <stdlib.h>

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

_Static_assert(MACHINE_MAX_DRIVES <= MIGRATION_VM_MAX_DRIVES,
               "migration's snapshot code sizes its tables by MIGRATION_VM_MAX_DRIVES");

struct MachineLink;

/* The hooks' opaque is the drive's slot; its link is found from it. */
typedef struct DriveSlot {
    struct MachineLink *link;
    int i;
} DriveSlot;

/* One per attached machine: the interface migration sees (with the
 * machine's migration context), and what the disk hand-over needs to undo
 * itself. */
typedef struct MachineLink {
    MigrationVM vm;              /* first: a MigrationVM * is a MachineLink * */
    Machine *m;
    bool drive_was_read_only[MACHINE_MAX_DRIVES];
    DriveSlot drive_slots[MACHINE_MAX_DRIVES];
} MachineLink;

static int drive_inactivate(void *opaque, Error *err)
{
    DriveSlot *ds = opaque;
    BlockDriverState *bs = ds->link->m->drive_bs[ds->i];
    if (!bs) {
        return 0;
    }
    int ret = bs->read_only ? 0 : bdrv_flush(bs, err);
    if (ret < 0) {
        return ret;
    }
    ds->link->drive_was_read_only[ds->i] = bs->read_only;
    bs->read_only = true;
    bdrv_unlock(bs);             /* the destination takes the image over */
    return 0;
}

static int drive_activate(void *opaque, Error *err)
{
    DriveSlot *ds = opaque;
    BlockDriverState *bs = ds->link->m->drive_bs[ds->i];
    if (!bs) {
        return 0;
    }
    bool ro = ds->link->drive_was_read_only[ds->i];
    /* Fails when the destination took the image over meanwhile: then this
     * guest must not write it (the caller keeps it stopped). */
    int ret = bdrv_lock(bs, !ro, err);
    if (ret < 0) {
        return ret;
    }
    /* After a completed migration (cont in postmigrate) the destination
     * may have written the image: its tables, refcounts and snapshots are
     * reread, as QEMU's bdrv_co_invalidate_cache. The reopen closes the
     * fd, and with it the lock taken above, so that is taken again. */
    int flags = drive_open_flags(&ds->link->m->drive[ds->i]);
    if (ro) {
        flags &= ~BDRV_O_RDWR;
    }
    ret = bdrv_reopen(bs, flags, err);
    if (ret == 0) {
        ret = bdrv_lock(bs, !ro, err);
    }
    if (ret < 0) {
        return ret;
    }
    bs->read_only = ro;
    return 0;
}

/* A migration's source gives its hostfwd ports up before the final phase,
 * so the destination on the same host can bind them when it takes over;
 * a failed or cancelled migration binds them again. */
static int net_inactivate(void *opaque, Error *err)
{
    (void)err;
    machine_net_release_forwards(((MachineLink *)opaque)->m);
    return 0;
}

static int net_activate(void *opaque, Error *err)
{
    return machine_net_bind_forwards(((MachineLink *)opaque)->m, err) ? 0 : -EADDRINUSE;
}

/* ---- the interface ---- */

static uint64_t link_instret(void *opaque)
{
    return ((MachineLink *)opaque)->m->harts[0].env.instret;
}

static void link_reset(void *opaque)
{
    machine_reset(((MachineLink *)opaque)->m);
}

static void link_state_changed(void *opaque)
{
    machine_state_changed(((MachineLink *)opaque)->m);
}

static int link_activate_drives(void *opaque, Error *err)
{
    return machine_activate_drives(((MachineLink *)opaque)->m, err);
}

/* The section engine's blocker check: this machine's migration blockers. */
static int link_check_blockers(void *opaque, Error *err)
{
    return migration_check_blockers(((MachineLink *)opaque)->vm.mig, err);
}

MigrationVM *machine_migration_attach(Machine *m, Loop *loop, Error *err)
{
    MachineLink *l = calloc(1, sizeof(*l));
    if (!l) {
        error_setf(err, "out of memory");
        return NULL;
    }
    l->m = m;
    l->vm = (MigrationVM){
        .sections = m->sections, .clock = &m->clock, .run = &m->run, .mem = &m->mem,
        .serial = &m->serial0,
        .drives = m->drive_bs, .nr_drives = m->nr_drives, .opaque = l,
        .instret = link_instret, .reset = link_reset,
        .state_changed = link_state_changed, .activate_drives = link_activate_drives,
    };
    l->vm.loop = loop;
    l->vm.mig = migration_new(&l->vm);
    if (!l->vm.mig) {
        error_setf(err, "out of memory");
        free(l);
        return NULL;
    }
    savevm_unregister_all(m->sections);
    savevm_set_blocker_check(m->sections, link_check_blockers, l);
    int ret = ram_register(m->sections, &m->mem, NULL);
    ret = ret ? ret : machine_vmstate_register(m);
    ret = ret ? ret : globalstate_register(m->sections, &m->run);
    if (ret < 0) {
        error_setf(err, "cannot register the machine's state sections (%d)", ret);
        machine_migration_detach(&l->vm);
        return NULL;
    }
    for (int i = 0; i < m->nr_drives; i++) {
        /* A snapshot=on drive's writes live in this process. Its blocker
         * goes with the migration context (detach). */
        if (m->drive_bs[i] && drive_uses_overlay(&m->drive[i]) &&
            migrate_add_blocker(l->vm.mig, m->drive[i].id, DRIVE_SNAPSHOT_BLOCKER) < 0) {
            error_setf(err, "-drive %s: cannot register its migration blocker "
                       "(the table is full)", m->opts.drives[i]);
            machine_migration_detach(&l->vm);
            return NULL;
        }
        DriveSlot *ds = &l->drive_slots[i];
        *ds = (DriveSlot){ l, i };
        MigrationBlockHooks h = { drive_inactivate, drive_activate, ds };
        migration_add_block_hooks(l->vm.mig, &h);
    }
    if (m->nr_netdevs) {
        MigrationBlockHooks h = { net_inactivate, net_activate, l };
        migration_add_block_hooks(l->vm.mig, &h);
    }
    return &l->vm;
}

void machine_migration_detach(MigrationVM *vm)
{
    if (!vm) {
        return;
    }
    MachineLink *l = (MachineLink *)vm;
    /* First, while the sections and disks are there: a migration in
     * progress is cancelled, an incoming load ended. Its blockers and disk
     * hooks go with it. */
    migration_free(vm->mig);
    vm->mig = NULL;
    savevm_unregister_all(l->m->sections);
    savevm_set_blocker_check(l->m->sections, NULL, NULL);
    free(l);
}

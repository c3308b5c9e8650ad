/* Migration blockers and the disk activation hooks of the final phase. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "migration/migration-int.h"

int migrate_add_blocker(Migration *mig, const char *device, const char *reason)
{
    for (int i = 0; i < MIGRATION_MAX_BLOCKERS; i++) {
        if (!mig->blockers[i].used) {
            mig->blockers[i].used = true;
            snprintf(mig->blockers[i].text, sizeof(mig->blockers[i].text), "%s: %s", device,
                     reason);
            return i;
        }
    }
    return -1;
}

void migrate_del_blocker(Migration *mig, int id)
{
    if (id >= 0 && id < MIGRATION_MAX_BLOCKERS) {
        mig->blockers[id].used = false;
    }
}

int migration_check_blockers(const Migration *mig, Error *err)
{
    for (int i = 0; i < MIGRATION_MAX_BLOCKERS; i++) {
        if (mig->blockers[i].used) {
            error_setf(err, "%s", mig->blockers[i].text);
            return -EPERM;
        }
    }
    return 0;
}

void migration_foreach_blocker(const Migration *mig,
                               void (*fn)(void *opaque, const char *text), void *opaque)
{
    for (int i = 0; i < MIGRATION_MAX_BLOCKERS; i++) {
        if (mig->blockers[i].used) {
            fn(opaque, mig->blockers[i].text);
        }
    }
}

void migration_add_block_hooks(Migration *mig, const MigrationBlockHooks *h)
{
    if (mig->nr_block_hooks < MIGRATION_MAX_BLOCK_HOOKS) {
        mig->block_hooks[mig->nr_block_hooks++] = *h;
    }
}

void migration_remove_block_hooks(Migration *mig, void *opaque)
{
    int j = 0;
    for (int i = 0; i < mig->nr_block_hooks; i++) {
        if (mig->block_hooks[i].opaque != opaque) {
            mig->block_hooks[j++] = mig->block_hooks[i];
        }
    }
    mig->nr_block_hooks = j;
}

int migration_block_inactivate_all(Migration *mig, Error *err)
{
    for (int i = 0; i < mig->nr_block_hooks; i++) {
        const MigrationBlockHooks *h = &mig->block_hooks[i];
        int ret = h->inactivate ? h->inactivate(h->opaque, err) : 0;
        if (ret < 0) {
            /* Give back what was already handed over. */
            for (int k = 0; k < i; k++) {
                const MigrationBlockHooks *g = &mig->block_hooks[k];
                if (g->activate) {
                    g->activate(g->opaque, NULL);
                }
            }
            return ret;
        }
    }
    mig->block_inactive = true;
    return 0;
}

int migration_block_activate_all(Migration *mig, Error *err)
{
    if (!mig->block_inactive) {
        return 0;
    }
    int first = 0;
    for (int i = 0; i < mig->nr_block_hooks; i++) {
        const MigrationBlockHooks *h = &mig->block_hooks[i];
        int ret = h->activate ? h->activate(h->opaque, err) : 0;
        if (ret < 0 && !first) {
            first = ret;
        }
    }
    if (!first) {
        mig->block_inactive = false;
    }
    return first;
}

/* Migration blockers and the disk activation hooks of the final phase. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "migration/migration.h"

#define MIGRATION_MAX_BLOCKERS 16
#define MIGRATION_MAX_BLOCK_HOOKS 16

typedef struct Blocker {
    bool used;
    char text[256];
} Blocker;

static Blocker blockers[MIGRATION_MAX_BLOCKERS];
static MigrationBlockHooks block_hooks[MIGRATION_MAX_BLOCK_HOOKS];
static int nr_block_hooks;
static bool block_inactive;

int migrate_add_blocker(const char *device, const char *reason)
{
    for (int i = 0; i < MIGRATION_MAX_BLOCKERS; i++) {
        if (!blockers[i].used) {
            blockers[i].used = true;
            snprintf(blockers[i].text, sizeof(blockers[i].text), "%s: %s", device, reason);
            return i;
        }
    }
    return -1;
}

void migrate_del_blocker(int id)
{
    if (id >= 0 && id < MIGRATION_MAX_BLOCKERS) {
        blockers[id].used = false;
    }
}

int migration_check_blockers(Error *err)
{
    for (int i = 0; i < MIGRATION_MAX_BLOCKERS; i++) {
        if (blockers[i].used) {
            error_setf(err, "%s", blockers[i].text);
            return -EPERM;
        }
    }
    return 0;
}

void migration_foreach_blocker(void (*fn)(void *opaque, const char *text), void *opaque)
{
    for (int i = 0; i < MIGRATION_MAX_BLOCKERS; i++) {
        if (blockers[i].used) {
            fn(opaque, blockers[i].text);
        }
    }
}

void migration_add_block_hooks(const MigrationBlockHooks *h)
{
    if (nr_block_hooks < MIGRATION_MAX_BLOCK_HOOKS) {
        block_hooks[nr_block_hooks++] = *h;
    }
}

void migration_remove_block_hooks(void *opaque)
{
    int j = 0;
    for (int i = 0; i < nr_block_hooks; i++) {
        if (block_hooks[i].opaque != opaque) {
            block_hooks[j++] = block_hooks[i];
        }
    }
    nr_block_hooks = j;
}

int migration_block_inactivate_all(Error *err)
{
    for (int i = 0; i < nr_block_hooks; i++) {
        int ret = block_hooks[i].inactivate ? block_hooks[i].inactivate(block_hooks[i].opaque,
                                                                        err) : 0;
        if (ret < 0) {
            /* Give back what was already handed over. */
            for (int k = 0; k < i; k++) {
                if (block_hooks[k].activate) {
                    block_hooks[k].activate(block_hooks[k].opaque, NULL);
                }
            }
            return ret;
        }
    }
    block_inactive = true;
    return 0;
}

int migration_block_activate_all(Error *err)
{
    if (!block_inactive) {
        return 0;
    }
    int first = 0;
    for (int i = 0; i < nr_block_hooks; i++) {
        int ret = block_hooks[i].activate ? block_hooks[i].activate(block_hooks[i].opaque, err)
                                          : 0;
        if (ret < 0 && !first) {
            first = ret;
        }
    }
    if (!first) {
        block_inactive = false;
    }
    return first;
}

/* A machine's migration context: made with the machine's MigrationVM
 * (system/machine-migration.c) and gone before the machine is. */
#include <stdlib.h>

#include "migration/migration-int.h"

Migration *migration_new(MigrationVM *vm)
{
    Migration *mig = calloc(1, sizeof(*mig));
    if (!mig) {
        return NULL;
    }
    mig->snd = mig_sender_new();
    if (!mig->snd) {
        free(mig);
        return NULL;
    }
    mig->vm = vm;
    migration_out_init(&mig->out);
    migration_in_init(&mig->in);
    migration_options_reset(mig);
    return mig;
}

void migration_free(Migration *mig)
{
    if (!mig) {
        return;
    }
    /* Whoever waited for the end (a monitor) may be gone already. */
    migration_set_done_notify(mig, NULL, NULL);
    /* The sender thread reads guest RAM: it must stop while RAM is there. */
    migration_cancel(mig);
    migration_incoming_abort(mig);
    migration_fds_close_all(mig);
    mig_sender_free(mig->snd);
    free(mig);
}

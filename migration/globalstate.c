#include "migration/globalstate.h"

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* One per registry (machine). The fields the table lists are the wire
 * layout of QEMU >= 9.0: 104 bytes, the same bytes as the older
 * size + runstate[100]. */
typedef struct GlobalState {
    uint32_t size;               /* strlen(runstate) + 1 */
    uint8_t runstate[32];        /* NUL-padded run state name */
    uint8_t has_vm_was_suspended;
    uint8_t vm_was_suspended;
    uint8_t unused[66];
    bool stored;                 /* set for the next save by globalstate_store_state */
    RunState stored_state;
    bool received;               /* the last load carried a valid one */
    RunState received_state;
    const VMRunState *run;       /* the machine's: sent when none was stored */
} GlobalState;

static void globalstate_fill(GlobalState *gs, RunState rs)
{
    memset(gs, 0, offsetof(GlobalState, stored));
    const char *name = runstate_name(rs);
    strncpy((char *)gs->runstate, name, sizeof(gs->runstate) - 1);
    gs->size = (uint32_t)strlen((char *)gs->runstate) + 1;
    gs->has_vm_was_suspended = 1;
}

static GlobalState *globalstate_of(SaveVMState *s)
{
    return savevm_find_opaque(s, "globalstate", 0);
}

void globalstate_store_state(SaveVMState *s, RunState rs)
{
    GlobalState *gs = globalstate_of(s);
    if (gs) {
        gs->stored_state = rs;
        gs->stored = true;
    }
}

void globalstate_store_current(SaveVMState *s)
{
    GlobalState *gs = globalstate_of(s);
    if (gs) {
        gs->stored_state = runstate_get(gs->run);
        gs->stored = true;
    }
}

bool globalstate_received(SaveVMState *s, RunState *out)
{
    GlobalState *gs = globalstate_of(s);
    if (!gs || !gs->received) {
        return false;
    }
    if (out) {
        *out = gs->received_state;
    }
    return true;
}

static void globalstate_save_done(void *opaque)
{
    GlobalState *gs = opaque;
    gs->stored = false;
}

static void globalstate_load_begin(void *opaque)
{
    GlobalState *gs = opaque;
    gs->received = false;
}

static int globalstate_pre_save(void *opaque)
{
    GlobalState *gs = opaque;
    RunState rs = runstate_get(gs->run);
    /* A save stopped the VM (savevm, a migration's last phase): the state
     * stored before it. In any other state (a store whose save never came
     * left it behind, or nobody stored one) the current one. */
    if (gs->stored && (rs == RUN_STATE_SAVE_VM || rs == RUN_STATE_FINISH_MIGRATE)) {
        rs = gs->stored_state;
    }
    globalstate_fill(gs, rs);
    return 0;
}

static int globalstate_post_load(void *opaque, int version_id, Error *err)
{
    GlobalState *gs = opaque;
    GlobalState *w = gs;
    char name[sizeof(w->runstate) + 1];
    memcpy(name, w->runstate, sizeof(w->runstate));
    name[sizeof(w->runstate)] = '\0';
    if (w->size > sizeof(w->runstate) || w->size != strlen(name) + 1) {
        error_setf(err, "field 'size': value %u does not match the run state name '%s'",
                   w->size, name);
        return -EINVAL;
    }
    RunState rs;
    if (!runstate_from_name(name, &rs)) {
        error_setf(err, "field 'runstate': invalid parameter value: %s", name);
        return -EINVAL;
    }
    gs->received = true;
    gs->received_state = rs;
    return 0;
}

static const VMStateDescription vmstate_globalstate = {
    .name = "globalstate",
    .version_id = 1,
    .minimum_version_id = 1,
    .pre_save = globalstate_pre_save,
    .post_load = globalstate_post_load,
    .fields = (const VMStateField[]) {
        VMSTATE_UINT32(size, GlobalState),
        VMSTATE_BUFFER(runstate, GlobalState),
        VMSTATE_UINT8(has_vm_was_suspended, GlobalState),
        VMSTATE_UINT8(vm_was_suspended, GlobalState),
        VMSTATE_BUFFER(unused, GlobalState),
        VMSTATE_END_OF_LIST()
    },
};

static const SaveVMStreamHooks globalstate_hooks = {
    .save_done = globalstate_save_done,
    .load_begin = globalstate_load_begin,
    .release = free,
};

int globalstate_register(SaveVMState *s, const VMRunState *run)
{
    GlobalState *gs = calloc(1, sizeof(*gs));
    if (!gs) {
        return -ENOMEM;
    }
    gs->run = run;
    int ret = savevm_register_record(s, "globalstate", 0, &vmstate_globalstate,
                                     &globalstate_hooks, gs);
    if (ret < 0) {
        free(gs);
    }
    return ret;
}

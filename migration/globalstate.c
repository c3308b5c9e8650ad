#include "migration/globalstate.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "savevm/savevm.h"

/* The wire layout of QEMU >= 9.0: 104 bytes, same bytes as the older
 * size + runstate[100]. */
typedef struct GlobalState {
    uint32_t size;               /* strlen(runstate) + 1 */
    uint8_t runstate[32];        /* NUL-padded run state name */
    uint8_t has_vm_was_suspended;
    uint8_t vm_was_suspended;
    uint8_t unused[66];
} GlobalState;

static GlobalState global_state;
static bool global_state_stored;
static bool global_state_received;
static RunState global_state_received_state;

void globalstate_store_state(RunState s)
{
    memset(&global_state, 0, sizeof(global_state));
    const char *name = runstate_name(s);
    strncpy((char *)global_state.runstate, name, sizeof(global_state.runstate) - 1);
    global_state.size = (uint32_t)strlen((char *)global_state.runstate) + 1;
    global_state.has_vm_was_suspended = 1;
    global_state_stored = true;
}

void globalstate_store(void)
{
    globalstate_store_state(runstate_get());
}

static void globalstate_save_done(void *opaque)
{
    global_state_stored = false;
}

static void globalstate_load_begin(void *opaque)
{
    global_state_received = false;
}

static const SaveVMStreamHooks globalstate_hooks = {
    .save_done = globalstate_save_done,
    .load_begin = globalstate_load_begin,
};

bool globalstate_received(RunState *out)
{
    if (global_state_received && out) {
        *out = global_state_received_state;
    }
    return global_state_received;
}

static int globalstate_pre_save(void *opaque)
{
    if (!global_state_stored) {
        globalstate_store();
    }
    return 0;
}

static int globalstate_post_load(void *opaque, int version_id, Error *err)
{
    GlobalState *s = opaque;
    char name[sizeof(s->runstate) + 1];
    memcpy(name, s->runstate, sizeof(s->runstate));
    name[sizeof(s->runstate)] = '\0';
    if (s->size > sizeof(s->runstate) || s->size != strlen(name) + 1) {
        error_setf(err, "field 'size': value %u does not match the run state name '%s'",
                   s->size, name);
        return -EINVAL;
    }
    RunState rs;
    if (!runstate_from_name(name, &rs)) {
        error_setf(err, "field 'runstate': invalid parameter value: %s", name);
        return -EINVAL;
    }
    global_state_received = true;
    global_state_received_state = rs;
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

int globalstate_register(void)
{
    return savevm_register_record("globalstate", 0, &vmstate_globalstate, &globalstate_hooks,
                                  &global_state);
}

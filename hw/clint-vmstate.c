/* VM state of the CLINT: msip, mtimecmp and the mtime offset. mtime itself
 * follows the virtual clock (section "timer"), so the timer deadline is
 * recomputed from mtimecmp after a load. */
#include <errno.h>

#include "hw/clint.h"

_Static_assert(sizeof(ClintState) == 24, "ClintState changed: update vmstate_clint");

static int clint_post_load(void *opaque, int version_id, Error *err)
{
    Clint *s = opaque;
    if (vmstate_check_max(err, "msip", s->st.msip, 1)) {
        return -EINVAL;
    }
    clint_update(s);
    return 0;
}

const VMStateDescription vmstate_clint = {
    .name = "riscv_aclint",
    .version_id = 1,
    .minimum_version_id = 1,
    .post_load = clint_post_load,
    .fields = (const VMStateField[]) {
        VMSTATE_UINT32(st.msip, Clint),
        VMSTATE_UINT64(st.mtimecmp, Clint),
        VMSTATE_UINT64(st.mtime_offset, Clint),
        VMSTATE_END_OF_LIST()
    },
};

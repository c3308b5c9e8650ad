/* VM state of the CLINT: msip, mtimecmp and the mtime offset. mtime itself
 * follows the virtual clock (section "timer"), so the timer deadlines are
 * recomputed from mtimecmp after a load. Hart 0's registers keep the
 * one-hart layout of version 1; harts 1.. go in a subsection written only
 * when the machine has more than one hart, so one-hart streams are as
 * before. */
#include <errno.h>
#include <stdio.h>

#include "hw/clint.h"

_Static_assert(sizeof(ClintState) == 4 * CLINT_MAX_HARTS + 8 * CLINT_MAX_HARTS + 8,
               "ClintState changed: update vmstate_clint");

/* A hart the machine lacks must hold nothing (a stream from a machine with
 * more harts); one-hart machines keep the old field name "msip". */
static int clint_check_absent(Error *err, const char *field, int h, uint64_t value, int nr_harts)
{
    if (!value) {
        return 0;
    }
    error_setf(err, "field '%s[%d]' value %llu is for hart %d, but this machine has %d hart%s",
               field, h, (unsigned long long)value, h, nr_harts, nr_harts == 1 ? "" : "s");
    return -EINVAL;
}

static int clint_post_load(void *opaque, int version_id, Error *err)
{
    Clint *s = opaque;
    char name[24];
    for (int h = 0; h < CLINT_MAX_HARTS; h++) {
        if (h >= s->nr_harts) {
            if (clint_check_absent(err, "msip", h, s->st.msip[h], s->nr_harts)) {
                return -EINVAL;
            }
            continue;
        }
        if (s->nr_harts == 1) {
            snprintf(name, sizeof(name), "msip");
        } else {
            snprintf(name, sizeof(name), "msip[%d]", h);
        }
        if (vmstate_check_max(err, name, s->st.msip[h], 1)) {
            return -EINVAL;
        }
    }
    for (int h = s->nr_harts; h < CLINT_MAX_HARTS; h++) {
        if (clint_check_absent(err, "mtimecmp", h, s->st.mtimecmp[h], s->nr_harts)) {
            return -EINVAL;
        }
    }
    clint_update(s);
    return 0;
}

static bool clint_harts_needed(void *opaque)
{
    const Clint *s = opaque;
    return s->nr_harts > 1;
}

static const VMStateDescription vmstate_clint_harts = {
    .name = "riscv_aclint/harts",
    .version_id = 1,
    .minimum_version_id = 1,
    .needed = clint_harts_needed,
    .fields = (const VMStateField[]) {
        VMSTATE_UINT32_SLICE(st.msip, Clint, 1, CLINT_MAX_HARTS - 1),
        VMSTATE_UINT64_SLICE(st.mtimecmp, Clint, 1, CLINT_MAX_HARTS - 1),
        VMSTATE_END_OF_LIST()
    },
};

const VMStateDescription vmstate_clint = {
    .name = "riscv_aclint",
    .version_id = 1,
    .minimum_version_id = 1,
    .post_load = clint_post_load,
    .fields = (const VMStateField[]) {
        VMSTATE_UINT32_ELEM(st.msip, Clint, 0),
        VMSTATE_UINT64_ELEM(st.mtimecmp, Clint, 0),
        VMSTATE_UINT64(st.mtime_offset, Clint),
        VMSTATE_END_OF_LIST()
    },
    .subsections = (const VMStateDescription *const[]) {
        &vmstate_clint_harts,
        NULL
    },
};

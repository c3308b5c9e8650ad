/* VM state of the PLIC: priorities, pending/claimed/level bitmaps, enables
 * and thresholds. The output lines are re-driven after a load. */
#include <errno.h>
#include <stdio.h>

#include "hw/plic.h"

#define PLIC_WORDS (PLIC_NUM_SOURCES / 32)
#define PLIC_MAX_PRIORITY 7

_Static_assert(PLIC_WORDS == 3 && PLIC_NUM_CONTEXTS == 16, "vmstate_plic_harts lists the rows");
_Static_assert(sizeof(PlicState) == 4 * (PLIC_NUM_SOURCES + 3 * PLIC_WORDS +
                                         PLIC_NUM_CONTEXTS * PLIC_WORDS + PLIC_NUM_CONTEXTS),
               "PlicState changed: update vmstate_plic");

static int plic_check_words(Error *err, const char *field, const uint32_t *w)
{
    /* Source 0 does not exist: its bit can never be set. */
    if (w[0] & 1) {
        error_setf(err, "field '%s' value 0x%08x sets the bit of source 0, which does not "
                   "exist", field, w[0]);
        return -EINVAL;
    }
    return 0;
}

static int plic_post_load(void *opaque, int version_id, Error *err)
{
    Plic *s = opaque;
    PlicState *st = &s->st;
    char name[40];
    for (unsigned i = 0; i < PLIC_NUM_SOURCES; i++) {
        snprintf(name, sizeof(name), "priority[%u]", i);
        if (vmstate_check_max(err, name, st->priority[i], PLIC_MAX_PRIORITY)) {
            return -EINVAL;
        }
    }
    for (unsigned c = 0; c < PLIC_NUM_CONTEXTS; c++) {
        if (c >= s->nr_contexts && (st->threshold[c] || st->enable[c][0] || st->enable[c][1] ||
                                    st->enable[c][2])) {
            error_setf(err, "context %u (hart %u) is set, but this machine has %u harts", c,
                       c / 2, s->nr_contexts / 2);
            return -EINVAL;
        }
        snprintf(name, sizeof(name), "threshold[%u]", c);
        if (vmstate_check_max(err, name, st->threshold[c], PLIC_MAX_PRIORITY)) {
            return -EINVAL;
        }
        snprintf(name, sizeof(name), "enable[%u]", c);
        if (plic_check_words(err, name, st->enable[c])) {
            return -EINVAL;
        }
    }
    if (plic_check_words(err, "pending", st->pending) ||
        plic_check_words(err, "claimed", st->claimed) ||
        plic_check_words(err, "level", st->level)) {
        return -EINVAL;
    }
    plic_update(s);
    return 0;
}

static bool plic_harts_needed(void *opaque)
{
    const Plic *s = opaque;
    return s->nr_contexts > 2;
}

/* Harts 1..: their contexts, written only on a machine with more than one
 * hart, so one-hart streams keep version 1's layout. */
static const VMStateDescription vmstate_plic_harts = {
    .name = "riscv_sifive_plic/harts",
    .version_id = 1,
    .minimum_version_id = 1,
    .needed = plic_harts_needed,
    .fields = (const VMStateField[]) {
        VMSTATE_UINT32_ARRAY(st.enable[2], Plic, PLIC_WORDS),
        VMSTATE_UINT32_ARRAY(st.enable[3], Plic, PLIC_WORDS),
        VMSTATE_UINT32_ARRAY(st.enable[4], Plic, PLIC_WORDS),
        VMSTATE_UINT32_ARRAY(st.enable[5], Plic, PLIC_WORDS),
        VMSTATE_UINT32_ARRAY(st.enable[6], Plic, PLIC_WORDS),
        VMSTATE_UINT32_ARRAY(st.enable[7], Plic, PLIC_WORDS),
        VMSTATE_UINT32_ARRAY(st.enable[8], Plic, PLIC_WORDS),
        VMSTATE_UINT32_ARRAY(st.enable[9], Plic, PLIC_WORDS),
        VMSTATE_UINT32_ARRAY(st.enable[10], Plic, PLIC_WORDS),
        VMSTATE_UINT32_ARRAY(st.enable[11], Plic, PLIC_WORDS),
        VMSTATE_UINT32_ARRAY(st.enable[12], Plic, PLIC_WORDS),
        VMSTATE_UINT32_ARRAY(st.enable[13], Plic, PLIC_WORDS),
        VMSTATE_UINT32_ARRAY(st.enable[14], Plic, PLIC_WORDS),
        VMSTATE_UINT32_ARRAY(st.enable[15], Plic, PLIC_WORDS),
        VMSTATE_UINT32_SLICE(st.threshold, Plic, 2, PLIC_NUM_CONTEXTS - 2),
        VMSTATE_END_OF_LIST()
    },
};

const VMStateDescription vmstate_plic = {
    .name = "riscv_sifive_plic",
    .version_id = 1,
    .minimum_version_id = 1,
    .post_load = plic_post_load,
    .fields = (const VMStateField[]) {
        VMSTATE_UINT32_ARRAY(st.priority, Plic, PLIC_NUM_SOURCES),
        VMSTATE_UINT32_ARRAY(st.pending, Plic, PLIC_WORDS),
        VMSTATE_UINT32_ARRAY(st.claimed, Plic, PLIC_WORDS),
        VMSTATE_UINT32_ARRAY(st.level, Plic, PLIC_WORDS),
        VMSTATE_UINT32_ARRAY(st.enable[0], Plic, PLIC_WORDS),
        VMSTATE_UINT32_ARRAY(st.enable[1], Plic, PLIC_WORDS),
        VMSTATE_UINT32_SLICE(st.threshold, Plic, 0, 2),
        VMSTATE_END_OF_LIST()
    },
    .subsections = (const VMStateDescription *const[]) {
        &vmstate_plic_harts,
        NULL
    },
};

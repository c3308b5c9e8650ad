/* VM state of HTIF: the two mailboxes. Their addresses come from the ELF
 * (the same program on both sides), so they are configuration, not state. */
#include "hw/htif.h"

_Static_assert(sizeof(HtifState) == 16, "HtifState changed: update vmstate_htif");

const VMStateDescription vmstate_htif = {
    .name = "riscv.htif.uart",
    .version_id = 1,
    .minimum_version_id = 1,
    .fields = (const VMStateField[]) {
        VMSTATE_UINT64(st.tohost, Htif),
        VMSTATE_UINT64(st.fromhost, Htif),
        VMSTATE_END_OF_LIST()
    },
};

/* VM state of the Goldfish RTC: its epoch base, the alarm (deadline and
 * whether it runs), the latched TIME_HIGH and the interrupt flags. */
#include <errno.h>

#include "hw/goldfish_rtc.h"

_Static_assert(sizeof(GoldfishRtcState) == 40,
               "GoldfishRtcState changed: update vmstate_goldfish_rtc");

static int goldfish_rtc_post_load(void *opaque, int version_id, Error *err)
{
    GoldfishRtc *s = opaque;
    GoldfishRtcState *st = &s->st;
    int ret = vmstate_check_max(err, "irq_pending", st->irq_pending, 1);
    ret = ret ? ret : vmstate_check_max(err, "irq_enabled", st->irq_enabled, 1);
    ret = ret ? ret : vmstate_check_max(err, "alarm_running", st->alarm_running, 1);
    if (ret) {
        return ret;
    }
    goldfish_rtc_update(s);
    return 0;
}

const VMStateDescription vmstate_goldfish_rtc = {
    .name = "goldfish_rtc",
    .version_id = 1,
    .minimum_version_id = 1,
    .post_load = goldfish_rtc_post_load,
    .fields = (const VMStateField[]) {
        VMSTATE_UINT64(st.base_ns, GoldfishRtc),
        VMSTATE_UINT64(st.alarm_ns, GoldfishRtc),
        VMSTATE_UINT32(st.time_high_latch, GoldfishRtc),
        VMSTATE_UINT32(st.alarm_high, GoldfishRtc),
        VMSTATE_UINT32(st.irq_pending, GoldfishRtc),
        VMSTATE_UINT32(st.irq_enabled, GoldfishRtc),
        VMSTATE_UINT32(st.alarm_running, GoldfishRtc),
        VMSTATE_END_OF_LIST()
    },
};

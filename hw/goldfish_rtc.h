/* Goldfish RTC: nanoseconds since the epoch, an alarm and its interrupt.
 * Time = base + virtual clock, so a run in icount mode is reproducible when
 * the base is fixed (-rtc base=...). */
#ifndef HW_GOLDFISH_RTC_H
#define HW_GOLDFISH_RTC_H

#include <stdint.h>

#include "emu/clock.h"
#include "emu/irq.h"
#include "emu/memory.h"
#include "savevm/vmstate.h"

#define GOLDFISH_RTC_MMIO_SIZE 0x1000

typedef struct GoldfishRtcState {
    uint64_t base_ns;            /* wall time at virtual clock 0 */
    uint64_t alarm_ns;
    uint32_t time_high_latch;    /* TIME_HIGH latched by a TIME_LOW read */
    uint32_t alarm_high;
    uint32_t irq_pending, irq_enabled, alarm_running;
} GoldfishRtcState;

typedef struct GoldfishRtc {
    GoldfishRtcState st;
    IRQLine irq;
    Timer timer;
} GoldfishRtc;

void goldfish_rtc_init(GoldfishRtc *s, PhysMemory *mem, VirtClock *clock, uint64_t base, IRQLine irq,
                       uint64_t base_ns);
void goldfish_rtc_reset(GoldfishRtc *s);
void goldfish_rtc_update(GoldfishRtc *s);

/* Its state table (the section's fields, versions and subsections). */
extern const VMStateDescription vmstate_goldfish_rtc;

#endif

/* CLINT (SiFive/ACLINT layout): msip at +0, mtimecmp at +0x4000, mtime at
 * +0xbff8; mtime runs at 10 MHz from the virtual clock. */
#ifndef HW_CLINT_H
#define HW_CLINT_H

#include <stdint.h>

#include "emu/clock.h"
#include "emu/irq.h"
#include "emu/memory.h"
#include "savevm/vmstate.h"

#define CLINT_MMIO_SIZE 0x10000
#define CLINT_TIMEBASE_HZ 10000000ull

typedef struct ClintState {
    uint32_t msip;
    uint64_t mtimecmp;
    uint64_t mtime_offset;       /* mtime = clock_ns()/100 + mtime_offset */
} ClintState;

typedef struct Clint {
    ClintState st;
    IRQLine msip_irq, mtip_irq;
    Timer timer;
} Clint;

void clint_init(Clint *s, PhysMemory *mem, VirtClock *clock, uint64_t base, IRQLine msip, IRQLine mtip);
void clint_reset(Clint *s);
uint64_t clint_mtime(const Clint *s);
/* Re-arms the timer and re-drives the lines from the state (after loading). */
void clint_update(Clint *s);

/* Its state table (the section's fields, versions and subsections). */
extern const VMStateDescription vmstate_clint;

#endif

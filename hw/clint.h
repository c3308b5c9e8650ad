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

/* The most harts one CLINT serves (the board's limit). */
#define CLINT_MAX_HARTS 8

typedef struct ClintState {
    uint32_t msip[CLINT_MAX_HARTS];
    uint64_t mtimecmp[CLINT_MAX_HARTS];
    uint64_t mtime_offset;       /* mtime = clock_ns()/100 + mtime_offset */
} ClintState;

struct Clint;
/* What a hart's timer callback gets: which CLINT, which hart. */
typedef struct ClintHartRef {
    struct Clint *s;
    int hart;
} ClintHartRef;

typedef struct Clint {
    ClintState st;
    /* host side */
    int nr_harts;
    IRQLine msip_irq[CLINT_MAX_HARTS], mtip_irq[CLINT_MAX_HARTS];
    Timer timer[CLINT_MAX_HARTS];
    ClintHartRef ref[CLINT_MAX_HARTS];
} Clint;

/* nr_harts (1..CLINT_MAX_HARTS) harts; msip[i] and mtip[i] are hart i's
 * MSIP and MTIP lines. */
void clint_init(Clint *s, PhysMemory *mem, VirtClock *clock, uint64_t base, int nr_harts,
                const IRQLine *msip, const IRQLine *mtip);
void clint_reset(Clint *s);
uint64_t clint_mtime(const Clint *s);
/* Re-arms the timer and re-drives the lines from the state (after loading). */
void clint_update(Clint *s);

/* Its state table (the section's fields, versions and subsections). */
extern const VMStateDescription vmstate_clint;

#endif

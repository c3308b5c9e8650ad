/* SiFive PLIC as on QEMU's virt board: 96 sources (1..95), two contexts per
 * hart (2h = hart h's M-mode, 2h + 1 its S-mode), 7 priority levels. */
#ifndef HW_PLIC_H
#define HW_PLIC_H

#include <stdint.h>

#include "emu/irq.h"
#include "emu/memory.h"
#include "savevm/vmstate.h"

#define PLIC_NUM_SOURCES 96
#define PLIC_MAX_HARTS 8
#define PLIC_NUM_CONTEXTS (2 * PLIC_MAX_HARTS)   /* capacity; nr_contexts are wired */
#define PLIC_MMIO_SIZE 0x600000

typedef struct PlicState {
    uint32_t priority[PLIC_NUM_SOURCES];
    uint32_t pending[PLIC_NUM_SOURCES / 32];
    uint32_t claimed[PLIC_NUM_SOURCES / 32];        /* claimed, not yet completed */
    uint32_t level[PLIC_NUM_SOURCES / 32];          /* current input levels */
    uint32_t enable[PLIC_NUM_CONTEXTS][PLIC_NUM_SOURCES / 32];
    uint32_t threshold[PLIC_NUM_CONTEXTS];
} PlicState;

typedef struct Plic {
    PlicState st;
    /* host side */
    unsigned nr_contexts;            /* 2 per hart */
    IRQLine out[PLIC_NUM_CONTEXTS];  /* context 2h -> hart h's MEIP, 2h + 1 -> its SEIP */
    /* Rising edges per source (info irq); host statistics, not saved. */
    uint64_t irq_count[PLIC_NUM_SOURCES];
} Plic;

/* nr_harts (1..PLIC_MAX_HARTS) harts; meip[h] and seip[h] are hart h's lines. */
void plic_init(Plic *s, PhysMemory *mem, uint64_t base, int nr_harts, const IRQLine *meip,
               const IRQLine *seip);
void plic_reset(Plic *s);
/* IRQHandler for device lines; n is the source number (1..95). */
void plic_set_irq(void *opaque, int n, int level);
static inline IRQLine plic_input(Plic *s, int source)
{
    return irq_line(plic_set_irq, s, source);
}
void plic_update(Plic *s);       /* re-drives outputs (after loading state) */

/* Its state table (the section's fields, versions and subsections). */
extern const VMStateDescription vmstate_plic;

#endif

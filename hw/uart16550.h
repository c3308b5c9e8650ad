/* NS16550A UART with 16-byte FIFOs, all registers and interrupt sources. */
#ifndef HW_UART16550_H
#define HW_UART16550_H

#include <stdint.h>

#include "io/chardev.h"
#include "emu/clock.h"
#include "emu/irq.h"
#include "emu/memory.h"
#include "savevm/vmstate.h"

#define UART_FIFO_SIZE 16

/* Saved state: registers and FIFO contents as plain fields. */
typedef struct Uart16550State {
    uint8_t ier, iir, lcr, mcr, lsr, msr, scr, fcr;
    uint16_t divider;
    uint8_t rx_fifo[UART_FIFO_SIZE];
    uint8_t rx_head, rx_count;
    uint8_t thr_ipending;        /* THR-empty interrupt latched */
    uint8_t timeout_ipending;    /* character timeout (FIFO mode) */
    uint64_t timeout_ns;         /* deadline of the character-timeout timer, 0 = stopped */
} Uart16550State;

typedef struct Uart16550 {
    Uart16550State st;
    /* host side */
    IRQLine irq;
    CharBackend *chr;
    int irq_level;
    Timer timeout_timer;         /* armed from st.timeout_ns */
} Uart16550;

#define UART16550_MMIO_SIZE 0x100

void uart16550_init(Uart16550 *s, PhysMemory *mem, VirtClock *clock, uint64_t base, IRQLine irq, CharBackend *chr);
void uart16550_reset(Uart16550 *s);
/* Re-drives the IRQ line and re-arms the character-timeout timer from the
 * state (after loading state). */
void uart16550_update_irq(Uart16550 *s);

/* Its state table (the section's fields, versions and subsections). */
extern const VMStateDescription vmstate_uart16550;

#endif

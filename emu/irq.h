/* Interrupt lines between devices, the PLIC and the CPU: a line is a callback
 * plus the input number it drives on its target. */
#ifndef EMU_IRQ_H
#define EMU_IRQ_H

typedef void (*IRQHandler)(void *opaque, int n, int level);

typedef struct IRQLine {
    IRQHandler handler;
    void *opaque;
    int n;
} IRQLine;

static inline IRQLine irq_line(IRQHandler handler, void *opaque, int n)
{
    IRQLine l = { handler, opaque, n };
    return l;
}

static inline void irq_set(const IRQLine *l, int level)
{
    if (l->handler) {
        l->handler(l->opaque, l->n, level);
    }
}

#endif

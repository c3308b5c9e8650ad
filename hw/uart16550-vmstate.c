/* VM state of the NS16550A: registers, the receive FIFO with its ring
 * indexes, latched interrupt sources and the character-timeout deadline.
 * The transmitter has no FIFO state: bytes go to the back end at once. */
#include <errno.h>

#include "hw/uart16550.h"

_Static_assert(sizeof(Uart16550State) == 40, "Uart16550State changed: update vmstate_uart16550");

static int uart16550_post_load(void *opaque, int version_id, Error *err)
{
    Uart16550 *s = opaque;
    Uart16550State *st = &s->st;
    int ret = vmstate_check_max(err, "rx_head", st->rx_head, UART_FIFO_SIZE - 1);
    ret = ret ? ret : vmstate_check_max(err, "rx_count", st->rx_count, UART_FIFO_SIZE);
    ret = ret ? ret : vmstate_check_max(err, "thr_ipending", st->thr_ipending, 1);
    ret = ret ? ret : vmstate_check_max(err, "timeout_ipending", st->timeout_ipending, 1);
    if (ret) {
        return ret;
    }
    /* IIR is derived state: recomputed, with the line and the timer. */
    uart16550_update_irq(s);
    return 0;
}

const VMStateDescription vmstate_uart16550 = {
    .name = "serial",
    .version_id = 1,
    .minimum_version_id = 1,
    .post_load = uart16550_post_load,
    .fields = (const VMStateField[]) {
        VMSTATE_UINT16(st.divider, Uart16550),
        VMSTATE_UINT8(st.ier, Uart16550),
        VMSTATE_UINT8(st.iir, Uart16550),
        VMSTATE_UINT8(st.lcr, Uart16550),
        VMSTATE_UINT8(st.mcr, Uart16550),
        VMSTATE_UINT8(st.lsr, Uart16550),
        VMSTATE_UINT8(st.msr, Uart16550),
        VMSTATE_UINT8(st.scr, Uart16550),
        VMSTATE_UINT8(st.fcr, Uart16550),
        VMSTATE_UINT8_ARRAY(st.rx_fifo, Uart16550, UART_FIFO_SIZE),
        VMSTATE_UINT8(st.rx_head, Uart16550),
        VMSTATE_UINT8(st.rx_count, Uart16550),
        VMSTATE_UINT8(st.thr_ipending, Uart16550),
        VMSTATE_UINT8(st.timeout_ipending, Uart16550),
        VMSTATE_UINT64(st.timeout_ns, Uart16550),
        VMSTATE_END_OF_LIST()
    },
};

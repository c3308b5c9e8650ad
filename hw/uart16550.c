/* NS16550A UART. Transmission is instantaneous (THR writes go straight to the
 * back end), so THR and the TX FIFO are always empty; reception goes through
 * a 16-byte FIFO fed by the character back end. */
#include "hw/uart16550.h"

#include <string.h>

/* Register offsets (regshift 0). */
enum {
    UART_RBR = 0,                /* also THR, DLL */
    UART_IER = 1,                /* also DLM */
    UART_IIR = 2,                /* also FCR */
    UART_LCR = 3,
    UART_MCR = 4,
    UART_LSR = 5,
    UART_MSR = 6,
    UART_SCR = 7,
};

#define UART_IER_ERBFI   0x01
#define UART_IER_ETBEI   0x02
#define UART_IER_ELSI    0x04
#define UART_IER_EDSSI   0x08

#define UART_IIR_NONE    0x01
#define UART_IIR_MSI     0x00
#define UART_IIR_THRI    0x02
#define UART_IIR_RDI     0x04
#define UART_IIR_RLSI    0x06
#define UART_IIR_CTI     0x0c
#define UART_IIR_ID      0x0f
#define UART_IIR_FIFO    0xc0

#define UART_FCR_ENABLE  0x01
#define UART_FCR_CLR_RX  0x02
#define UART_FCR_CLR_TX  0x04
#define UART_FCR_DMA     0x08
#define UART_FCR_TRIG    0xc0

#define UART_LCR_DLAB    0x80

#define UART_MCR_DTR     0x01
#define UART_MCR_RTS     0x02
#define UART_MCR_OUT1    0x04
#define UART_MCR_OUT2    0x08
#define UART_MCR_LOOP    0x10

#define UART_LSR_DR      0x01
#define UART_LSR_OE      0x02
#define UART_LSR_PE      0x04
#define UART_LSR_FE      0x08
#define UART_LSR_BI      0x10
#define UART_LSR_THRE    0x20
#define UART_LSR_TEMT    0x40
#define UART_LSR_INT_ERR (UART_LSR_OE | UART_LSR_PE | UART_LSR_FE | UART_LSR_BI)

#define UART_MSR_DCTS    0x01
#define UART_MSR_DDSR    0x02
#define UART_MSR_TERI    0x04
#define UART_MSR_DDCD    0x08
#define UART_MSR_DELTA   0x0f
#define UART_MSR_CTS     0x10
#define UART_MSR_DSR     0x20
#define UART_MSR_RI      0x40
#define UART_MSR_DCD     0x80

/* 1.8432 MHz * 2, as on QEMU's virt (clock-frequency in the DTB). */
#define UART_CLOCK_HZ    3686400ull

static bool uart16550_fifo_on(const Uart16550State *st)
{
    return st->fcr & UART_FCR_ENABLE;
}

static unsigned uart16550_trigger(const Uart16550State *st)
{
    static const uint8_t levels[4] = { 1, 4, 8, 14 };
    return levels[st->fcr >> 6];
}

static uint8_t uart16550_compute_iir(const Uart16550State *st)
{
    uint8_t iir;
    bool rx_ready = uart16550_fifo_on(st) ? st->rx_count >= uart16550_trigger(st)
                                          : (st->lsr & UART_LSR_DR) != 0;

    if ((st->ier & UART_IER_ELSI) && (st->lsr & UART_LSR_INT_ERR)) {
        iir = UART_IIR_RLSI;
    } else if ((st->ier & UART_IER_ERBFI) && rx_ready) {
        iir = UART_IIR_RDI;
    } else if ((st->ier & UART_IER_ERBFI) && st->timeout_ipending) {
        iir = UART_IIR_CTI;
    } else if ((st->ier & UART_IER_ETBEI) && st->thr_ipending) {
        iir = UART_IIR_THRI;
    } else if ((st->ier & UART_IER_EDSSI) && (st->msr & UART_MSR_DELTA)) {
        iir = UART_IIR_MSI;
    } else {
        iir = UART_IIR_NONE;
    }
    if (uart16550_fifo_on(st)) {
        iir |= UART_IIR_FIFO;
    }
    return iir;
}

/* Recomputes IIR after a state change and moves the line if needed. */
static void uart16550_irq(Uart16550 *s)
{
    s->st.iir = uart16550_compute_iir(&s->st);
    int level = !(s->st.iir & UART_IIR_NONE);
    if (level != s->irq_level) {
        s->irq_level = level;
        irq_set(&s->irq, level);
    }
}

void uart16550_update_irq(Uart16550 *s)
{
    s->st.iir = uart16550_compute_iir(&s->st);
    s->irq_level = !(s->st.iir & UART_IIR_NONE);
    irq_set(&s->irq, s->irq_level);
    if (s->st.timeout_ns) {
        timer_mod(&s->timeout_timer, s->st.timeout_ns);
    } else {
        timer_del(&s->timeout_timer);
    }
}

/* Four character times at the programmed divisor and frame format. */
static uint64_t uart16550_timeout_delay(const Uart16550State *st)
{
    unsigned bits = 1 + 5 + (st->lcr & 3) + ((st->lcr & 0x08) ? 1 : 0) +
                    ((st->lcr & 0x04) ? 2 : 1);
    uint64_t div = st->divider ? st->divider : 1;
    return 4 * (bits * 16 * div * 1000000000ull) / UART_CLOCK_HZ;
}

static void uart16550_timeout_restart(Uart16550 *s)
{
    s->st.timeout_ns = clock_ns(s->timeout_timer.clock) + uart16550_timeout_delay(&s->st);
    timer_mod(&s->timeout_timer, s->st.timeout_ns);
}

static void uart16550_timeout_stop(Uart16550 *s)
{
    s->st.timeout_ns = 0;
    s->st.timeout_ipending = 0;
    timer_del(&s->timeout_timer);
}

static void uart16550_timeout_cb(void *opaque)
{
    Uart16550 *s = opaque;
    s->st.timeout_ns = 0;
    if (uart16550_fifo_on(&s->st) && s->st.rx_count) {
        s->st.timeout_ipending = 1;
    }
    uart16550_irq(s);
}

static void uart16550_rx_clear(Uart16550 *s)
{
    s->st.rx_head = 0;
    s->st.rx_count = 0;
    s->st.lsr &= (uint8_t)~UART_LSR_DR;
    uart16550_timeout_stop(s);
}

/* One received byte (from the back end or the loopback path). */
static void uart16550_rx_byte(Uart16550 *s, uint8_t b)
{
    Uart16550State *st = &s->st;
    if (uart16550_fifo_on(st)) {
        if (st->rx_count < UART_FIFO_SIZE) {
            st->rx_fifo[(st->rx_head + st->rx_count) % UART_FIFO_SIZE] = b;
            st->rx_count++;
        } else {
            st->lsr |= UART_LSR_OE;      /* FIFO full: the new byte is lost */
        }
        /* A pending timeout is only cleared by reading RBR. */
        if (!st->timeout_ipending) {
            uart16550_timeout_restart(s);
        }
    } else if (st->rx_count) {
        st->lsr |= UART_LSR_OE;          /* 16450 mode: the new byte overwrites RBR */
        st->rx_fifo[st->rx_head] = b;
    } else {
        st->rx_fifo[st->rx_head] = b;
        st->rx_count = 1;
    }
    st->lsr |= UART_LSR_DR;
}

static int uart16550_can_receive(void *opaque)
{
    Uart16550 *s = opaque;
    if (s->st.mcr & UART_MCR_LOOP) {
        return 0;                         /* the line input is disconnected */
    }
    if (uart16550_fifo_on(&s->st)) {
        return UART_FIFO_SIZE - s->st.rx_count;
    }
    return s->st.rx_count ? 0 : 1;
}

static void uart16550_receive(void *opaque, const uint8_t *buf, size_t len)
{
    Uart16550 *s = opaque;
    for (size_t i = 0; i < len; i++) {
        uart16550_rx_byte(s, buf[i]);
    }
    uart16550_irq(s);
}

/* Modem input lines: looped back from MCR, or a permanently connected
 * terminal (CTS, DSR, DCD) otherwise. Sets the delta bits on change. */
static void uart16550_update_msr(Uart16550 *s)
{
    Uart16550State *st = &s->st;
    uint8_t lines;
    if (st->mcr & UART_MCR_LOOP) {
        lines = ((st->mcr & UART_MCR_RTS) ? UART_MSR_CTS : 0) |
                ((st->mcr & UART_MCR_DTR) ? UART_MSR_DSR : 0) |
                ((st->mcr & UART_MCR_OUT1) ? UART_MSR_RI : 0) |
                ((st->mcr & UART_MCR_OUT2) ? UART_MSR_DCD : 0);
    } else {
        lines = UART_MSR_CTS | UART_MSR_DSR | UART_MSR_DCD;
    }
    uint8_t old = st->msr & 0xf0;
    uint8_t chg = old ^ lines;
    uint8_t delta = st->msr & UART_MSR_DELTA;
    if (chg & UART_MSR_CTS) {
        delta |= UART_MSR_DCTS;
    }
    if (chg & UART_MSR_DSR) {
        delta |= UART_MSR_DDSR;
    }
    if (chg & UART_MSR_DCD) {
        delta |= UART_MSR_DDCD;
    }
    if ((old & UART_MSR_RI) && !(lines & UART_MSR_RI)) {
        delta |= UART_MSR_TERI;           /* trailing edge of RI only */
    }
    st->msr = lines | delta;
}

static uint8_t uart16550_read_rbr(Uart16550 *s)
{
    Uart16550State *st = &s->st;
    if (st->rx_count == 0) {
        return 0;
    }
    uint8_t b = st->rx_fifo[st->rx_head];
    st->rx_head = (st->rx_head + 1) % UART_FIFO_SIZE;
    st->rx_count--;
    if (st->rx_count == 0) {
        uart16550_rx_clear(s);
    } else if (uart16550_fifo_on(st)) {
        st->timeout_ipending = 0;
        uart16550_timeout_restart(s);
    }
    uart16550_irq(s);
    if (s->chr) {
        chardev_accept_input(s->chr);
    }
    return b;
}

static bool uart16550_read(void *opaque, uint64_t offset, unsigned size, uint64_t *val)
{
    Uart16550 *s = opaque;
    Uart16550State *st = &s->st;

    /* LSR first: U-Boot polls it in a tight loop. */
    if (offset == UART_LSR) {
        uint8_t lsr = st->lsr;
        if (lsr & UART_LSR_INT_ERR) {
            st->lsr &= (uint8_t)~UART_LSR_INT_ERR;
            uart16550_irq(s);
        }
        *val = lsr;
        return true;
    }
    switch (offset) {
    case UART_RBR:
        *val = (st->lcr & UART_LCR_DLAB) ? (st->divider & 0xff) : uart16550_read_rbr(s);
        break;
    case UART_IER:
        *val = (st->lcr & UART_LCR_DLAB) ? (st->divider >> 8) : st->ier;
        break;
    case UART_IIR: {
        uint8_t iir = uart16550_compute_iir(st);
        if ((iir & UART_IIR_ID) == UART_IIR_THRI) {
            st->thr_ipending = 0;          /* reading IIR acknowledges THRE */
            uart16550_irq(s);
        }
        *val = iir;
        break;
    }
    case UART_LCR:
        *val = st->lcr;
        break;
    case UART_MCR:
        *val = st->mcr;
        break;
    case UART_MSR: {
        uint8_t msr = st->msr;
        if (msr & UART_MSR_DELTA) {
            st->msr &= (uint8_t)~UART_MSR_DELTA;
            uart16550_irq(s);
        }
        *val = msr;
        break;
    }
    case UART_SCR:
        *val = st->scr;
        break;
    default:
        *val = 0;
        break;
    }
    return true;
}

static void uart16550_write_thr(Uart16550 *s, uint8_t b)
{
    Uart16550State *st = &s->st;
    st->thr_ipending = 0;
    uart16550_irq(s);
    if (st->mcr & UART_MCR_LOOP) {
        uart16550_rx_byte(s, b);
    } else if (s->chr) {
        chardev_write(s->chr, &b, 1);
    }
    /* The byte left at once: THR is empty again. */
    st->thr_ipending = 1;
    uart16550_irq(s);
}

static void uart16550_write_fcr(Uart16550 *s, uint8_t v)
{
    Uart16550State *st = &s->st;
    if ((v ^ st->fcr) & UART_FCR_ENABLE) {
        uart16550_rx_clear(s);              /* toggling FIFO mode empties the FIFOs */
    }
    if (v & UART_FCR_CLR_RX) {
        uart16550_rx_clear(s);
    }
    /* CLR_TX: the TX FIFO is always empty. Other bits need FCR0 set. */
    st->fcr = (v & UART_FCR_ENABLE) ? (v & (UART_FCR_ENABLE | UART_FCR_DMA | UART_FCR_TRIG)) : 0;
    uart16550_irq(s);
    if (s->chr) {
        chardev_accept_input(s->chr);
    }
}

static bool uart16550_write(void *opaque, uint64_t offset, unsigned size, uint64_t val)
{
    Uart16550 *s = opaque;
    Uart16550State *st = &s->st;
    uint8_t v = (uint8_t)val;

    switch (offset) {
    case UART_RBR:
        if (st->lcr & UART_LCR_DLAB) {
            st->divider = (uint16_t)((st->divider & 0xff00) | v);
        } else {
            uart16550_write_thr(s, v);
        }
        break;
    case UART_IER:
        if (st->lcr & UART_LCR_DLAB) {
            st->divider = (uint16_t)((st->divider & 0x00ff) | (v << 8));
        } else {
            uint8_t old = st->ier;
            st->ier = v & 0x0f;
            /* Enabling ETBEI while THR is empty raises THRE at once. */
            if (!(old & UART_IER_ETBEI) && (st->ier & UART_IER_ETBEI) &&
                (st->lsr & UART_LSR_THRE)) {
                st->thr_ipending = 1;
            }
            uart16550_irq(s);
        }
        break;
    case UART_IIR:
        uart16550_write_fcr(s, v);
        break;
    case UART_LCR:
        st->lcr = v;
        break;
    case UART_MCR: {
        bool was_loop = st->mcr & UART_MCR_LOOP;
        st->mcr = v & 0x1f;
        uart16550_update_msr(s);
        uart16550_irq(s);
        if (was_loop && !(st->mcr & UART_MCR_LOOP) && s->chr) {
            chardev_accept_input(s->chr);
        }
        break;
    }
    case UART_SCR:
        st->scr = v;
        break;
    default:
        break;                              /* LSR, MSR: read-only */
    }
    return true;
}

static const MemoryRegionOps uart16550_ops = {
    .read = uart16550_read,
    .write = uart16550_write,
    .min_size = 1,
    .max_size = 4,
};

void uart16550_reset(Uart16550 *s)
{
    memset(&s->st, 0, sizeof(s->st));
    s->st.lsr = UART_LSR_THRE | UART_LSR_TEMT;
    uart16550_update_msr(s);
    s->st.msr &= (uint8_t)~UART_MSR_DELTA;  /* no change seen at reset */
    uart16550_update_irq(s);
}

void uart16550_init(Uart16550 *s, PhysMemory *mem, VirtClock *clock, uint64_t base, IRQLine irq, CharBackend *chr)
{
    memset(s, 0, sizeof(*s));
    s->irq = irq;
    s->chr = chr;
    timer_init(&s->timeout_timer, clock, "uart16550-timeout", uart16550_timeout_cb, s);
    memory_add_mmio(mem, "uart16550", base, UART16550_MMIO_SIZE, &uart16550_ops, s, 0);
    if (chr) {
        chardev_attach(chr, uart16550_can_receive, uart16550_receive, s);
    }
    uart16550_reset(s);
}

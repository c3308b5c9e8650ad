/* Amber demo guest: prints a status line every 0.25 s of virtual time
 * (CLINT mtimecmp + WFI + timer interrupt), keeps mutating a RAM buffer
 * whose checksum is shown, animates a bouncing marker, and echoes typed
 * characters (UART RX interrupt through the PLIC, plus polling as a
 * fallback).  Typing 'q' exits 0 through the finisher.  All state lives in
 * RAM, so restoring a snapshot visibly rewinds the tick counter.
 * -DMAX_TICKS=n: stop by itself after n ticks (for automated tests). */
#include "virt.h"

#define PERIOD (TIMEBASE_HZ / 4)
#define PLIC_PRIORITY(irq) (PLIC_BASE + 4 * (irq))
#define PLIC_ENABLE_M0 (PLIC_BASE + 0x2000)
#define PLIC_THRESHOLD_M0 (PLIC_BASE + 0x200000)
#define PLIC_CLAIM_M0 (PLIC_BASE + 0x200004)

static volatile uint64_t ticks;
static volatile uint64_t next_deadline;
static volatile char rx[64];
static volatile unsigned rx_head, rx_tail;
static uint32_t state[1024];          /* mutated every tick */
static uint64_t typed;

struct trap_frame;
static void rx_drain(void)
{
    int c;
    while ((c = uart_getc()) >= 0) {
        if (rx_head - rx_tail < sizeof rx)
            rx[rx_head++ % sizeof rx] = (char)c;
    }
}

void trap_handler(struct trap_frame *f)
{
    (void)f;
    uint64_t cause = csr_read(mcause);
    if (cause == (CAUSE_IRQ | 7)) {
        ticks++;
        next_deadline += PERIOD;
        /* if we fell behind (host paused), do not fire a burst */
        if (next_deadline < mtime())
            next_deadline = mtime() + PERIOD;
        set_mtimecmp(next_deadline);
    } else if (cause == (CAUSE_IRQ | 11)) {
        uint32_t irq = MMIO32(PLIC_CLAIM_M0);
        rx_drain();
        if (irq)
            MMIO32(PLIC_CLAIM_M0) = irq;
    } else {
        puts_raw("demo: unexpected trap ");
        put_hex(cause);
        puts_raw(" at ");
        put_hex(csr_read(mepc));
        puts_raw("\n");
        virt_exit(2);
    }
}

static uint32_t mutate_and_sum(uint64_t t)
{
    uint32_t x = (uint32_t)t * 2654435761u + 1;
    for (unsigned i = 0; i < 1024; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        state[i] = state[i] * 31 + x;
    }
    uint32_t s = 0;
    for (unsigned i = 0; i < 1024; i++)
        s = (s << 5 | s >> 27) ^ state[i];
    return s;
}

static void draw(uint64_t t, uint32_t sum)
{
    static const char spin[] = "|/-\\";
    int w = 24, pos = (int)(t % (2 * (w - 3)));
    if (pos >= w - 3)
        pos = 2 * (w - 3) - pos;
    puts_raw("tick ");
    put_pad_dec(t, 5);
    puts_raw("  sum=0x");
    put_hexn(sum, 8);
    puts_raw("  ");
    uart_putc(spin[t % 4]);
    puts_raw(" [");
    for (int i = 0; i < w; i++)
        uart_putc(i >= pos && i < pos + 3 ? "<=>"[i - pos] : (i % 6 == 0 ? '.' : ' '));
    puts_raw("]  typed=");
    put_dec(typed);
    puts_raw("\n");
}

int main(void)
{
    uart_init();
    puts_raw("Amber demo guest: a line every 0.25 s of virtual time; type keys, 'q' quits.\n");
    /* UART receive interrupt via the PLIC (context 0 = hart 0 M-mode) */
    MMIO32(PLIC_PRIORITY(UART_IRQ)) = 1;
    MMIO32(PLIC_ENABLE_M0) = 1u << UART_IRQ;
    MMIO32(PLIC_THRESHOLD_M0) = 0;
    MMIO8(UART_BASE + 1) = 0x01;          /* IER: received data available */

    next_deadline = mtime() + PERIOD;
    set_mtimecmp(next_deadline);
    csr_write(mie, MIP_MTIP | MIP_MEIP);
    csr_set(mstatus, MSTATUS_MIE);

    uint64_t shown = 0;
    for (;;) {
        __asm__ volatile("wfi");
        csr_clear(mstatus, MSTATUS_MIE);
        rx_drain();                       /* polling fallback */
        while (rx_tail != rx_head) {
            char c = rx[rx_tail++ % sizeof rx];
            typed++;
            puts_raw("you typed: '");
            if (c >= 32 && c < 127)
                uart_putc(c);
            else
                uart_putc('?');
            puts_raw("' (0x");
            put_hexn((uint8_t)c, 2);
            puts_raw(")\n");
            if (c == 'q') {
                puts_raw("bye after ");
                put_dec(ticks);
                puts_raw(" ticks\n");
                virt_exit(0);
            }
        }
        uint64_t t = ticks;
        csr_set(mstatus, MSTATUS_MIE);
        while (shown < t) {
            shown++;
            draw(shown, mutate_and_sum(shown));
#ifdef MAX_TICKS
            if (shown >= MAX_TICKS) {
                puts_raw("stopping after ");
                put_dec(shown);
                puts_raw(" ticks (MAX_TICKS)\n");
                virt_exit(0);
            }
#endif
        }
    }
}

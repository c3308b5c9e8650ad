/* NS16550A UART: registers, FIFO, interrupts, loopback, through the memory map. */
#include "hw/uart16550.h"
#include "tests/unit/unit.h"

#include <string.h>

/* The devices' virtual clock, driven by a fake icount. */
static VirtClock test_clock;

#define BASE 0x10000000ull

enum { RBR = 0, IER = 1, IIR = 2, LCR = 3, MCR = 4, LSR = 5, MSR = 6, SCR = 7 };

static uint64_t icount;
static PhysMemory mem;
static CharBackend chr;
static Uart16550 uart;
static int irq_level, irq_edges;
static uint8_t out[256];
static size_t out_len;
static uint8_t tapped[256];
static size_t tapped_len;

static uint64_t fake_icount(void *opaque)
{
    return *(uint64_t *)opaque;
}

static void rec_irq(void *opaque, int n, int level)
{
    if (level != irq_level) {
        irq_edges++;
    }
    irq_level = level;
}

static void rec_write(CharBackend *be, const uint8_t *buf, size_t len)
{
    memcpy(out + out_len, buf, len);
    out_len += len;
}

static void rec_tap(void *opaque, const uint8_t *buf, size_t len)
{
    memcpy(tapped + tapped_len, buf, len);
    tapped_len += len;
}

static void setup(void)
{
    icount = 0;
    clock_init(&test_clock, CLOCK_MODE_ICOUNT, 0, fake_icount, &icount);
    memory_init(&mem);
    chardev_init_null(&chr, "test");
    chr.host_write = rec_write;
    out_len = tapped_len = 0;
    irq_level = 0;
    irq_edges = 0;
    uart16550_init(&uart, &mem, &test_clock, BASE, irq_line(rec_irq, NULL, 10), &chr);
}

static void teardown(void)
{
    memory_destroy(&mem);
}

static uint8_t rd(unsigned reg)
{
    uint64_t v = 0xdead;
    CU_ASSERT_TRUE(memory_read(&mem, BASE + reg, 1, &v));
    return (uint8_t)v;
}

static void wr(unsigned reg, uint8_t v)
{
    CU_ASSERT_TRUE(memory_write(&mem, BASE + reg, 1, v));
}

static void feed(const char *s)
{
    chardev_feed(&chr, (const uint8_t *)s, strlen(s));
}

static void test_reset_values(void)
{
    setup();
    CU_ASSERT_EQUAL(rd(IER), 0);
    CU_ASSERT_EQUAL(rd(IIR), 0x01);
    CU_ASSERT_EQUAL(rd(LCR), 0);
    CU_ASSERT_EQUAL(rd(MCR), 0);
    CU_ASSERT_EQUAL(rd(LSR), 0x60);
    CU_ASSERT_EQUAL(rd(MSR), 0xb0);     /* CTS, DSR, DCD: a connected terminal */
    CU_ASSERT_EQUAL(rd(SCR), 0);
    CU_ASSERT_EQUAL(rd(RBR), 0);        /* empty FIFO */
    CU_ASSERT_EQUAL(irq_level, 0);
    teardown();
}

static void test_tx(void)
{
    setup();
    CU_ASSERT_TRUE(chardev_add_tap(&chr, rec_tap, NULL));
    wr(RBR, 'h');
    wr(RBR, 'i');
    CU_ASSERT_EQUAL(out_len, 2);
    CU_ASSERT_EQUAL(memcmp(out, "hi", 2), 0);
    CU_ASSERT_EQUAL(tapped_len, 2);
    CU_ASSERT_EQUAL(rd(LSR), 0x60);     /* TX is instantaneous */
    teardown();
}

static void test_plain_registers(void)
{
    setup();
    wr(SCR, 0xa5);
    CU_ASSERT_EQUAL(rd(SCR), 0xa5);
    wr(LCR, 0x1b);
    CU_ASSERT_EQUAL(rd(LCR), 0x1b);
    wr(MCR, 0xff);
    CU_ASSERT_EQUAL(rd(MCR), 0x1f);
    wr(MCR, 0);
    wr(IER, 0xff);
    CU_ASSERT_EQUAL(rd(IER), 0x0f);
    wr(IER, 0);
    wr(LSR, 0);                         /* read-only */
    wr(MSR, 0);
    CU_ASSERT_EQUAL(rd(LSR), 0x60);
    teardown();
}

static void test_divisor_latch(void)
{
    setup();
    wr(IER, 0x05);
    wr(LCR, 0x83);
    wr(RBR, 0x34);
    wr(IER, 0x12);
    CU_ASSERT_EQUAL(rd(RBR), 0x34);
    CU_ASSERT_EQUAL(rd(IER), 0x12);
    CU_ASSERT_EQUAL(uart.st.divider, 0x1234);
    CU_ASSERT_EQUAL(out_len, 0);        /* DLL write is not a THR write */
    feed("x");
    CU_ASSERT_EQUAL(rd(RBR), 0x34);     /* DLL read does not consume RBR */
    wr(LCR, 0x03);
    CU_ASSERT_EQUAL(rd(IER), 0x05);
    CU_ASSERT_EQUAL(rd(RBR), 'x');
    teardown();
}

static void test_rx_nonfifo(void)
{
    setup();
    feed("ab");
    CU_ASSERT_EQUAL(rd(LSR), 0x61);
    CU_ASSERT_EQUAL(chr.pending_len, 1);    /* one byte of room without FIFO */
    CU_ASSERT_EQUAL(rd(RBR), 'a');
    CU_ASSERT_EQUAL(rd(LSR), 0x61);         /* draining pulled the next byte */
    CU_ASSERT_EQUAL(rd(RBR), 'b');
    CU_ASSERT_EQUAL(rd(LSR), 0x60);
    CU_ASSERT_EQUAL(chr.pending_len, 0);
    teardown();
}

static void test_overrun_nonfifo(void)
{
    setup();
    wr(MCR, 0x10);
    wr(RBR, '1');
    wr(RBR, '2');
    CU_ASSERT_EQUAL(out_len, 0);            /* loopback: nothing on the wire */
    CU_ASSERT_EQUAL(rd(LSR), 0x63);         /* DR | OE */
    CU_ASSERT_EQUAL(rd(LSR), 0x61);         /* reading LSR cleared OE */
    CU_ASSERT_EQUAL(rd(RBR), '2');          /* the new byte overwrote RBR */
    CU_ASSERT_EQUAL(rd(LSR), 0x60);
    teardown();
}

static void test_fifo_flow(void)
{
    setup();
    wr(IIR, 0x01);
    CU_ASSERT_EQUAL(rd(IIR) & 0xc0, 0xc0);
    feed("abcdefghijklmnopqrst");           /* 20 bytes */
    CU_ASSERT_EQUAL(uart.st.rx_count, 16);
    CU_ASSERT_EQUAL(chr.pending_len, 4);
    CU_ASSERT_EQUAL(rd(LSR), 0x61);         /* no overrun: the back end waited */
    for (int i = 0; i < 20; i++) {
        CU_ASSERT_EQUAL(rd(RBR), 'a' + i);
    }
    CU_ASSERT_EQUAL(rd(LSR), 0x60);
    CU_ASSERT_EQUAL(uart.st.timeout_ns, 0);
    teardown();
}

static void test_fifo_overrun(void)
{
    setup();
    wr(IIR, 0x01);
    wr(MCR, 0x10);
    for (int i = 0; i < 17; i++) {
        wr(RBR, (uint8_t)('A' + i));
    }
    CU_ASSERT_EQUAL(rd(LSR), 0x63);
    CU_ASSERT_EQUAL(rd(LSR), 0x61);
    for (int i = 0; i < 16; i++) {
        CU_ASSERT_EQUAL(rd(RBR), 'A' + i);  /* the 17th byte was lost */
    }
    CU_ASSERT_EQUAL(rd(LSR), 0x60);
    teardown();
}

static void test_fifo_clear_and_disable(void)
{
    setup();
    wr(IIR, 0x01);
    feed("abc");
    wr(IIR, 0x03);                          /* clear RX */
    CU_ASSERT_EQUAL(rd(LSR), 0x60);
    CU_ASSERT_EQUAL(uart.st.rx_count, 0);
    feed("de");
    wr(IIR, 0x00);                          /* FIFO off: both FIFOs emptied */
    CU_ASSERT_EQUAL(rd(IIR), 0x01);
    CU_ASSERT_EQUAL(uart.st.fcr, 0);
    CU_ASSERT_EQUAL(rd(LSR), 0x60);
    wr(IIR, 0xc0);                          /* trigger bits need FCR0 */
    CU_ASSERT_EQUAL(uart.st.fcr, 0);
    wr(IIR, 0xcf);
    CU_ASSERT_EQUAL(uart.st.fcr, 0xc9);
    teardown();
}

static void test_trigger_levels(void)
{
    static const uint8_t fcr[4] = { 0x01, 0x41, 0x81, 0xc1 };
    static const int level[4] = { 1, 4, 8, 14 };
    for (int t = 0; t < 4; t++) {
        setup();
        wr(IIR, fcr[t]);
        wr(IER, 0x01);
        for (int i = 0; i < level[t] - 1; i++) {
            feed("x");
        }
        CU_ASSERT_EQUAL(rd(IIR), 0xc1);
        CU_ASSERT_EQUAL(irq_level, 0);
        feed("y");
        CU_ASSERT_EQUAL(rd(IIR), 0xc4);
        CU_ASSERT_EQUAL(irq_level, 1);
        rd(RBR);
        CU_ASSERT_EQUAL(irq_level, 0);
        teardown();
    }
}

static void test_char_timeout(void)
{
    setup();
    wr(LCR, 0x80);
    wr(RBR, 1);                             /* divisor 1 */
    wr(IER, 0);
    wr(LCR, 0x03);                          /* 8N1: 10 bits a character */
    wr(IIR, 0xc1);                          /* trigger 14 */
    wr(IER, 0x01);
    uint64_t four_chars = 4 * 10 * 16 * 1000000000ull / 3686400;
    icount = 1000;
    feed("abc");
    CU_ASSERT_EQUAL(uart.st.timeout_ns, 1000 + four_chars);
    CU_ASSERT_EQUAL(clock_next_deadline(&test_clock), 1000 + four_chars);
    icount = 1000 + four_chars - 1;
    CU_ASSERT_EQUAL(clock_run_timers(&test_clock), 0);
    CU_ASSERT_EQUAL(irq_level, 0);
    icount = 1000 + four_chars;
    CU_ASSERT_EQUAL(clock_run_timers(&test_clock), 1);
    CU_ASSERT_EQUAL(rd(IIR), 0xcc);
    CU_ASSERT_EQUAL(irq_level, 1);
    feed("d");                              /* does not clear a pending timeout */
    CU_ASSERT_EQUAL(rd(IIR), 0xcc);
    CU_ASSERT_EQUAL(rd(RBR), 'a');          /* reading clears it and restarts the timer */
    CU_ASSERT_EQUAL(irq_level, 0);
    CU_ASSERT_EQUAL(uart.st.timeout_ns, icount + four_chars);
    rd(RBR);
    rd(RBR);
    rd(RBR);
    CU_ASSERT_EQUAL(uart.st.timeout_ns, 0); /* empty: no timeout */
    CU_ASSERT_EQUAL(clock_next_deadline(&test_clock), CLOCK_NEVER);
    teardown();
}

static void test_thre_interrupt(void)
{
    setup();
    wr(IER, 0x02);                          /* enabling ETBEI with THR empty */
    CU_ASSERT_EQUAL(irq_level, 1);
    CU_ASSERT_EQUAL(rd(IIR), 0x02);
    CU_ASSERT_EQUAL(irq_level, 0);          /* reading IIR acknowledged it */
    CU_ASSERT_EQUAL(rd(IIR), 0x01);
    int edges = irq_edges;
    wr(RBR, 'z');                           /* THR empties again at once */
    CU_ASSERT_EQUAL(irq_level, 1);
    CU_ASSERT_EQUAL(irq_edges, edges + 1);
    wr(RBR, 'z');                           /* write clears, empty sets: a pulse */
    CU_ASSERT_EQUAL(irq_level, 1);
    CU_ASSERT_EQUAL(irq_edges, edges + 3);
    wr(IER, 0x00);
    CU_ASSERT_EQUAL(irq_level, 0);
    wr(IER, 0x02);
    CU_ASSERT_EQUAL(irq_level, 1);
    wr(IER, 0x02);                          /* no 0->1 change: stays as is */
    rd(IIR);
    wr(IER, 0x02);
    CU_ASSERT_EQUAL(irq_level, 0);
    teardown();
}

static void test_iir_priority(void)
{
    setup();
    wr(MCR, 0x10);                          /* loopback: CTS/DSR/DCD fall */
    wr(IER, 0x0f);
    wr(RBR, '1');
    wr(RBR, '2');                           /* overrun */
    CU_ASSERT_EQUAL(rd(IIR), 0x06);         /* line status first */
    CU_ASSERT_EQUAL(irq_level, 1);
    CU_ASSERT_EQUAL(rd(LSR), 0x63);
    CU_ASSERT_EQUAL(rd(IIR), 0x04);         /* then received data */
    CU_ASSERT_EQUAL(rd(RBR), '2');
    CU_ASSERT_EQUAL(rd(IIR), 0x02);         /* then THRE (cleared by this read) */
    CU_ASSERT_EQUAL(rd(IIR), 0x00);         /* then modem status */
    CU_ASSERT_EQUAL(rd(MSR), 0x0b);         /* DCTS | DDSR | DDCD, lines low */
    CU_ASSERT_EQUAL(rd(IIR), 0x01);
    CU_ASSERT_EQUAL(irq_level, 0);
    teardown();
}

static void test_loopback_modem(void)
{
    setup();
    wr(MCR, 0x1f);
    CU_ASSERT_EQUAL(rd(MSR) & 0xf0, 0xf0);  /* RTS->CTS, DTR->DSR, OUT1->RI, OUT2->DCD */
    CU_ASSERT_EQUAL(rd(MSR), 0xf0);         /* deltas were cleared by the read */
    wr(MCR, 0x1b);                          /* RI falls: trailing edge */
    CU_ASSERT_EQUAL(rd(MSR), 0xb4);
    wr(MCR, 0x1f);                          /* RI rises: no TERI */
    CU_ASSERT_EQUAL(rd(MSR), 0xf0);
    wr(MCR, 0x1d);                          /* RTS -> CTS */
    CU_ASSERT_EQUAL(rd(MSR), 0xe1);
    wr(MCR, 0x00);                          /* back to the terminal's lines */
    CU_ASSERT_EQUAL(rd(MSR) & 0xf0, 0xb0);
    teardown();
}

static void test_loopback_isolates_input(void)
{
    setup();
    wr(MCR, 0x10);
    feed("q");
    CU_ASSERT_EQUAL(rd(LSR), 0x60);         /* host input waits */
    CU_ASSERT_EQUAL(chr.pending_len, 1);
    wr(RBR, 'L');
    CU_ASSERT_EQUAL(out_len, 0);
    CU_ASSERT_EQUAL(rd(RBR), 'L');
    wr(MCR, 0x00);                          /* leaving loopback pulls the input */
    CU_ASSERT_EQUAL(chr.pending_len, 0);
    CU_ASSERT_EQUAL(rd(RBR), 'q');
    teardown();
}

static void test_access_sizes(void)
{
    setup();
    uint64_t v;
    CU_ASSERT_TRUE(memory_write(&mem, BASE + SCR, 4, 0x123456aa));
    CU_ASSERT_EQUAL(rd(SCR), 0xaa);
    CU_ASSERT_TRUE(memory_read(&mem, BASE + SCR, 2, &v));
    CU_ASSERT_EQUAL(v, 0xaa);
    CU_ASSERT_TRUE(memory_write(&mem, BASE + RBR, 4, 0x4241));
    CU_ASSERT_EQUAL(out_len, 1);
    CU_ASSERT_EQUAL(out[0], 0x41);
    CU_ASSERT_FALSE(memory_read(&mem, BASE + LSR, 8, &v));
    CU_ASSERT_FALSE(memory_write(&mem, BASE, 8, 0));
    CU_ASSERT_TRUE(memory_read(&mem, BASE + 0x80, 1, &v));
    CU_ASSERT_EQUAL(v, 0);
    CU_ASSERT_TRUE(memory_write(&mem, BASE + 0xff, 1, 0x55));
    CU_ASSERT_FALSE(memory_read(&mem, BASE + 0x100, 1, &v));
    teardown();
}

static void test_reset_and_update(void)
{
    setup();
    wr(IIR, 0x01);
    wr(IER, 0x03);
    wr(SCR, 9);
    feed("abc");
    CU_ASSERT_EQUAL(irq_level, 1);
    CU_ASSERT_NOT_EQUAL(clock_next_deadline(&test_clock), CLOCK_NEVER);
    uart16550_reset(&uart);
    CU_ASSERT_EQUAL(irq_level, 0);
    CU_ASSERT_EQUAL(clock_next_deadline(&test_clock), CLOCK_NEVER);
    CU_ASSERT_EQUAL(rd(SCR), 0);
    CU_ASSERT_EQUAL(rd(LSR), 0x60);
    CU_ASSERT_EQUAL(rd(IIR), 0x01);

    /* A state loaded from elsewhere: data in the FIFO, a timer running. */
    Uart16550State st = uart.st;
    st.fcr = 0x01;
    st.ier = 0x01;
    st.rx_fifo[3] = 'Z';
    st.rx_head = 3;
    st.rx_count = 1;
    st.lsr |= 0x01;
    st.timeout_ns = 777;
    uart.st = st;
    uart16550_update_irq(&uart);
    CU_ASSERT_EQUAL(irq_level, 1);
    CU_ASSERT_EQUAL(clock_next_deadline(&test_clock), 777);
    CU_ASSERT_EQUAL(rd(IIR), 0xc4);
    CU_ASSERT_EQUAL(rd(RBR), 'Z');
    CU_ASSERT_EQUAL(irq_level, 0);
    teardown();
}

static const UnitTest tests[] = {
    { "reset values", test_reset_values },
    { "transmit", test_tx },
    { "plain registers", test_plain_registers },
    { "divisor latch", test_divisor_latch },
    { "receive without FIFO", test_rx_nonfifo },
    { "overrun without FIFO", test_overrun_nonfifo },
    { "FIFO flow control", test_fifo_flow },
    { "FIFO overrun", test_fifo_overrun },
    { "FIFO clear and disable", test_fifo_clear_and_disable },
    { "trigger levels", test_trigger_levels },
    { "character timeout", test_char_timeout },
    { "THRE interrupt", test_thre_interrupt },
    { "IIR priority", test_iir_priority },
    { "loopback modem lines", test_loopback_modem },
    { "loopback isolates input", test_loopback_isolates_input },
    { "access sizes", test_access_sizes },
    { "reset and update", test_reset_and_update },
    { NULL, NULL },
};

int main(void)
{
    return unit_run("uart16550", tests);
}

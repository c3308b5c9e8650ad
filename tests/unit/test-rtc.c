/* Goldfish RTC: time, latching, setting the time, the alarm and its interrupt. */
#include "hw/goldfish_rtc.h"
#include "tests/unit/unit.h"

/* The devices' virtual clock, driven by a fake icount. */
static VirtClock test_clock;

#define BASE 0x101000ull
#define TIME_LOW (BASE + 0x00)
#define TIME_HIGH (BASE + 0x04)
#define ALARM_LOW (BASE + 0x08)
#define ALARM_HIGH (BASE + 0x0c)
#define IRQ_ENABLED (BASE + 0x10)
#define CLEAR_ALARM (BASE + 0x14)
#define ALARM_STATUS (BASE + 0x18)
#define CLEAR_INTERRUPT (BASE + 0x1c)

#define EPOCH 0x16fe8f2a00000000ull        /* some time in 2023, in ns */

static uint64_t icount;
static PhysMemory mem;
static GoldfishRtc rtc;
static int irq_level;

static uint64_t fake_icount(void *opaque)
{
    return *(uint64_t *)opaque;
}

static void rec_irq(void *opaque, int n, int level)
{
    irq_level = level;
}

static void setup(void)
{
    icount = 0;
    clock_init(&test_clock, CLOCK_MODE_ICOUNT, 0, fake_icount, &icount);
    memory_init(&mem);
    irq_level = -1;
    goldfish_rtc_init(&rtc, &mem, &test_clock, BASE, irq_line(rec_irq, NULL, 11), EPOCH);
}

static void teardown(void)
{
    memory_destroy(&mem);
}

static uint32_t rd(uint64_t addr)
{
    uint64_t v = 0xdead;
    CU_ASSERT_TRUE(memory_read(&mem, addr, 4, &v));
    return (uint32_t)v;
}

static void wr(uint64_t addr, uint32_t v)
{
    CU_ASSERT_TRUE(memory_write(&mem, addr, 4, v));
}

static uint64_t read_time(void)
{
    uint64_t lo = rd(TIME_LOW);
    return ((uint64_t)rd(TIME_HIGH) << 32) | lo;
}

static void set_alarm(uint64_t ns)
{
    wr(ALARM_HIGH, (uint32_t)(ns >> 32));
    wr(ALARM_LOW, (uint32_t)ns);
}

static void test_initial(void)
{
    setup();
    CU_ASSERT_EQUAL(irq_level, 0);
    CU_ASSERT_EQUAL(rd(IRQ_ENABLED), 0);
    CU_ASSERT_EQUAL(rd(ALARM_STATUS), 0);
    CU_ASSERT_EQUAL(read_time(), EPOCH);
    CU_ASSERT_EQUAL(rd(CLEAR_ALARM), 0);    /* write-only registers read 0 */
    CU_ASSERT_EQUAL(rd(CLEAR_INTERRUPT), 0);
    CU_ASSERT_EQUAL(rd(BASE + 0x20), 0);
    teardown();
}

static void test_time_latch(void)
{
    setup();
    icount = 0xffffffffull - (EPOCH & 0xffffffff);  /* low word at its maximum */
    uint32_t lo = rd(TIME_LOW);
    CU_ASSERT_EQUAL(lo, 0xffffffff);
    icount += 1;                            /* the low word wraps now */
    CU_ASSERT_EQUAL(rd(TIME_HIGH), EPOCH >> 32);    /* latched, not torn */
    CU_ASSERT_EQUAL(read_time(), (EPOCH | 0xffffffffull) + 1);
    teardown();
}

static void test_set_time(void)
{
    setup();
    icount = 1000;
    wr(TIME_HIGH, 0x12);
    wr(TIME_LOW, 0x34);
    CU_ASSERT_EQUAL(read_time(), 0x1200000034ull);
    icount = 1500;
    CU_ASSERT_EQUAL(read_time(), 0x1200000034ull + 500);
    CU_ASSERT_EQUAL(rtc.st.base_ns, 0x1200000034ull - 1000);
    teardown();
}

static void test_alarm(void)
{
    setup();
    wr(IRQ_ENABLED, 1);
    CU_ASSERT_EQUAL(rd(IRQ_ENABLED), 1);
    icount = 100;
    set_alarm(EPOCH + 5000);
    CU_ASSERT_EQUAL(rd(ALARM_STATUS), 1);
    CU_ASSERT_EQUAL(rd(ALARM_LOW), (uint32_t)(EPOCH + 5000));
    CU_ASSERT_EQUAL(rd(ALARM_HIGH), (EPOCH + 5000) >> 32);
    CU_ASSERT_EQUAL(clock_next_deadline(&test_clock), 5000);
    CU_ASSERT_EQUAL(irq_level, 0);
    icount = 4999;
    CU_ASSERT_EQUAL(clock_run_timers(&test_clock), 0);
    icount = 5000;
    CU_ASSERT_EQUAL(clock_run_timers(&test_clock), 1);
    CU_ASSERT_EQUAL(irq_level, 1);
    CU_ASSERT_EQUAL(rd(ALARM_STATUS), 0);
    wr(CLEAR_INTERRUPT, 1);
    CU_ASSERT_EQUAL(irq_level, 0);
    teardown();
}

static void test_alarm_in_past(void)
{
    setup();
    icount = 1000;
    wr(IRQ_ENABLED, 1);
    set_alarm(EPOCH + 1000);                /* now: fires at once */
    CU_ASSERT_EQUAL(irq_level, 1);
    CU_ASSERT_EQUAL(rd(ALARM_STATUS), 0);
    CU_ASSERT_EQUAL(clock_next_deadline(&test_clock), CLOCK_NEVER);
    wr(CLEAR_INTERRUPT, 0);
    set_alarm(5);                           /* long before the base */
    CU_ASSERT_EQUAL(irq_level, 1);
    teardown();
}

static void test_irq_enable_gates(void)
{
    setup();
    set_alarm(EPOCH + 10);
    icount = 10;
    clock_run_timers(&test_clock);
    CU_ASSERT_EQUAL(irq_level, 0);          /* pending but disabled */
    CU_ASSERT_EQUAL(rtc.st.irq_pending, 1);
    wr(IRQ_ENABLED, 3);
    CU_ASSERT_EQUAL(rd(IRQ_ENABLED), 1);
    CU_ASSERT_EQUAL(irq_level, 1);
    wr(IRQ_ENABLED, 0);
    CU_ASSERT_EQUAL(irq_level, 0);
    teardown();
}

static void test_clear_alarm(void)
{
    setup();
    wr(IRQ_ENABLED, 1);
    set_alarm(EPOCH + 100);
    wr(CLEAR_ALARM, 1);
    CU_ASSERT_EQUAL(rd(ALARM_STATUS), 0);
    CU_ASSERT_EQUAL(clock_next_deadline(&test_clock), CLOCK_NEVER);
    icount = 1000;
    clock_run_timers(&test_clock);
    CU_ASSERT_EQUAL(irq_level, 0);
    teardown();
}

static void test_time_change_moves_alarm(void)
{
    setup();
    set_alarm(EPOCH + 10000);
    CU_ASSERT_EQUAL(clock_next_deadline(&test_clock), 10000);
    wr(TIME_LOW, (uint32_t)(EPOCH + 4000)); /* time jumps 4000 ns ahead */
    CU_ASSERT_EQUAL(clock_next_deadline(&test_clock), 6000);
    teardown();
}

static void test_access_sizes(void)
{
    setup();
    uint64_t v;
    CU_ASSERT_FALSE(memory_read(&mem, TIME_LOW, 8, &v));
    CU_ASSERT_FALSE(memory_read(&mem, TIME_LOW, 1, &v));
    CU_ASSERT_FALSE(memory_write(&mem, IRQ_ENABLED, 2, 1));
    CU_ASSERT_FALSE(memory_write(&mem, IRQ_ENABLED + 1, 4, 1));
    CU_ASSERT_EQUAL(rd(IRQ_ENABLED), 0);
    teardown();
}

static void test_reset_and_update(void)
{
    setup();
    wr(IRQ_ENABLED, 1);
    wr(TIME_HIGH, 0x40);
    set_alarm(0x4000001000ull);
    icount = 0x1000;
    clock_run_timers(&test_clock);
    CU_ASSERT_EQUAL(irq_level, 1);
    goldfish_rtc_reset(&rtc);
    CU_ASSERT_EQUAL(irq_level, 0);
    CU_ASSERT_EQUAL(rd(IRQ_ENABLED), 0);
    CU_ASSERT_EQUAL(read_time() >> 32, 0x40);   /* wall time survives */

    GoldfishRtcState st = rtc.st;
    st.alarm_ns = st.base_ns + 0x9000;
    st.alarm_running = 1;
    st.irq_enabled = 1;
    st.irq_pending = 1;
    rtc.st = st;
    goldfish_rtc_update(&rtc);
    CU_ASSERT_EQUAL(irq_level, 1);
    CU_ASSERT_EQUAL(clock_next_deadline(&test_clock), 0x9000);
    teardown();
}

static const UnitTest tests[] = {
    { "initial state", test_initial },
    { "TIME_HIGH latch", test_time_latch },
    { "set the time", test_set_time },
    { "alarm", test_alarm },
    { "alarm in the past", test_alarm_in_past },
    { "IRQ_ENABLED gates the line", test_irq_enable_gates },
    { "clear alarm", test_clear_alarm },
    { "time change moves the alarm", test_time_change_moves_alarm },
    { "access sizes", test_access_sizes },
    { "reset and update", test_reset_and_update },
    { NULL, NULL },
};

int main(void)
{
    return unit_run("goldfish_rtc", tests);
}

/* CLINT: msip, mtime at 10 MHz, mtimecmp deadlines on the virtual clock. */
#include "hw/clint.h"
#include "tests/unit/unit.h"

/* The devices' virtual clock, driven by a fake icount. */
static VirtClock test_clock;

#define BASE 0x2000000ull
#define MSIP (BASE)
#define MTIMECMP (BASE + 0x4000)
#define MTIME (BASE + 0xbff8)

static uint64_t icount;
static PhysMemory mem;
static Clint clint;
static int msip_level, mtip_level;

static uint64_t fake_icount(void *opaque)
{
    return *(uint64_t *)opaque;
}

static void rec_irq(void *opaque, int n, int level)
{
    if (n == 3) {
        msip_level = level;
    } else {
        mtip_level = level;
    }
}

static void setup(void)
{
    icount = 0;
    clock_init(&test_clock, CLOCK_MODE_ICOUNT, 0, fake_icount, &icount);   /* 1 ns per instruction */
    memory_init(&mem);
    msip_level = mtip_level = -1;
    clint_init(&clint, &mem, &test_clock, BASE, irq_line(rec_irq, NULL, 3), irq_line(rec_irq, NULL, 7));
}

static void teardown(void)
{
    memory_destroy(&mem);
}

static uint64_t rd(uint64_t addr, unsigned size)
{
    uint64_t v = 0xdead;
    CU_ASSERT_TRUE(memory_read(&mem, addr, size, &v));
    return v;
}

static void wr(uint64_t addr, unsigned size, uint64_t v)
{
    CU_ASSERT_TRUE(memory_write(&mem, addr, size, v));
}

static void test_reset_state(void)
{
    setup();
    CU_ASSERT_EQUAL(msip_level, 0);
    CU_ASSERT_EQUAL(mtip_level, 1);         /* mtimecmp = 0 <= mtime, as on QEMU */
    CU_ASSERT_EQUAL(rd(MSIP, 4), 0);
    CU_ASSERT_EQUAL(rd(MTIMECMP, 8), 0);
    CU_ASSERT_EQUAL(rd(MTIME, 8), 0);
    CU_ASSERT_EQUAL(clock_next_deadline(&test_clock), CLOCK_NEVER);
    teardown();
}

static void test_msip(void)
{
    setup();
    wr(MSIP, 4, 0xffffffff);
    CU_ASSERT_EQUAL(rd(MSIP, 4), 1);
    CU_ASSERT_EQUAL(msip_level, 1);
    wr(MSIP, 4, 2);                         /* bit 0 only */
    CU_ASSERT_EQUAL(rd(MSIP, 4), 0);
    CU_ASSERT_EQUAL(msip_level, 0);
    wr(MSIP + 4, 4, 1);                     /* hart 1 does not exist */
    CU_ASSERT_EQUAL(rd(MSIP + 4, 4), 0);
    CU_ASSERT_EQUAL(msip_level, 0);
    teardown();
}

static void test_mtime_read(void)
{
    setup();
    icount = 1234567;                       /* ns */
    CU_ASSERT_EQUAL(clint_mtime(&clint), 12345);
    CU_ASSERT_EQUAL(rd(MTIME, 8), 12345);
    icount = 100ull * 0x123456789ull + 99;
    CU_ASSERT_EQUAL(rd(MTIME, 4), 0x23456789);
    CU_ASSERT_EQUAL(rd(MTIME + 4, 4), 0x1);
    teardown();
}

static void test_mtime_write(void)
{
    setup();
    icount = 500;
    wr(MTIME, 8, 0x100000000ull);
    CU_ASSERT_EQUAL(rd(MTIME, 8), 0x100000000ull);
    icount = 1500;
    CU_ASSERT_EQUAL(rd(MTIME, 8), 0x10000000aull);
    wr(MTIME, 4, 0x20);                     /* low half */
    CU_ASSERT_EQUAL(rd(MTIME, 8), 0x100000020ull);
    wr(MTIME + 4, 4, 0x7);                  /* high half */
    CU_ASSERT_EQUAL(rd(MTIME, 8), 0x700000020ull);
    wr(MTIME, 8, 0);
    CU_ASSERT_EQUAL(rd(MTIME, 8), 0);
    teardown();
}

static void test_mtimecmp_deadline(void)
{
    setup();
    icount = 150;                           /* mtime 1 */
    wr(MTIMECMP, 8, 5);
    CU_ASSERT_EQUAL(rd(MTIMECMP, 8), 5);
    CU_ASSERT_EQUAL(mtip_level, 0);
    CU_ASSERT_EQUAL(clock_next_deadline(&test_clock), 500);    /* exactly when mtime reaches 5 */
    icount = 499;
    CU_ASSERT_EQUAL(clock_run_timers(&test_clock), 0);
    CU_ASSERT_EQUAL(mtip_level, 0);
    icount = 500;
    CU_ASSERT_EQUAL(clock_run_timers(&test_clock), 1);
    CU_ASSERT_EQUAL(mtip_level, 1);
    CU_ASSERT_EQUAL(clock_next_deadline(&test_clock), CLOCK_NEVER);
    wr(MTIMECMP, 8, 100);                   /* pushed into the future again */
    CU_ASSERT_EQUAL(mtip_level, 0);
    CU_ASSERT_EQUAL(clock_next_deadline(&test_clock), 10000);
    wr(MTIMECMP, 8, 3);                     /* into the past: at once */
    CU_ASSERT_EQUAL(mtip_level, 1);
    CU_ASSERT_EQUAL(clock_next_deadline(&test_clock), CLOCK_NEVER);
    teardown();
}

static void test_mtimecmp_halves(void)
{
    setup();
    wr(MTIMECMP + 4, 4, 0xffffffff);        /* the usual sequence: high = -1 first */
    wr(MTIMECMP, 4, 0x1000);
    wr(MTIMECMP + 4, 4, 0);
    CU_ASSERT_EQUAL(rd(MTIMECMP, 8), 0x1000);
    CU_ASSERT_EQUAL(rd(MTIMECMP, 4), 0x1000);
    CU_ASSERT_EQUAL(rd(MTIMECMP + 4, 4), 0);
    CU_ASSERT_EQUAL(mtip_level, 0);
    CU_ASSERT_EQUAL(clock_next_deadline(&test_clock), 0x1000 * 100);
    wr(MTIMECMP, 8, UINT64_MAX);            /* never */
    CU_ASSERT_EQUAL(mtip_level, 0);
    CU_ASSERT_EQUAL(clock_next_deadline(&test_clock), CLOCK_NEVER);
    wr(MTIMECMP + 8, 8, 5);                 /* hart 1: absent */
    CU_ASSERT_EQUAL(rd(MTIMECMP + 8, 8), 0);
    teardown();
}

static void test_mtime_write_moves_deadline(void)
{
    setup();
    wr(MTIMECMP, 8, 1000);
    CU_ASSERT_EQUAL(clock_next_deadline(&test_clock), 100000);
    wr(MTIME, 8, 900);                      /* 100 ticks to go */
    CU_ASSERT_EQUAL(clock_next_deadline(&test_clock), 10000);
    wr(MTIME, 8, 1000);
    CU_ASSERT_EQUAL(mtip_level, 1);
    wr(MTIME, 8, 999);
    CU_ASSERT_EQUAL(mtip_level, 0);
    teardown();
}

static void test_shifted_clock(void)
{
    setup();
    clock_init(&test_clock, CLOCK_MODE_ICOUNT, 3, fake_icount, &icount);   /* 8 ns per instruction */
    clint_init(&clint, &mem, &test_clock, BASE + 0x10000, irq_line(rec_irq, NULL, 3), irq_line(rec_irq, NULL, 7));
    wr(BASE + 0x10000 + 0x4000, 8, 10);
    CU_ASSERT_EQUAL(clock_next_deadline(&test_clock), 1000);
    CU_ASSERT_EQUAL(clock_ns_to_icount_delta(&test_clock, 1000), 125);
    icount = 125;
    CU_ASSERT_EQUAL(clock_run_timers(&test_clock), 1);
    CU_ASSERT_EQUAL(mtip_level, 1);
    teardown();
}

static void test_access_sizes(void)
{
    setup();
    uint64_t v;
    CU_ASSERT_FALSE(memory_read(&mem, MSIP, 8, &v));
    CU_ASSERT_FALSE(memory_write(&mem, MSIP, 8, 1));
    CU_ASSERT_FALSE(memory_read(&mem, MSIP, 1, &v));
    CU_ASSERT_FALSE(memory_read(&mem, MSIP, 2, &v));
    CU_ASSERT_FALSE(memory_write(&mem, MTIMECMP, 2, 1));
    CU_ASSERT_FALSE(memory_read(&mem, MTIMECMP + 4, 8, &v));  /* misaligned */
    CU_ASSERT_FALSE(memory_write(&mem, MTIME + 2, 4, 1));
    CU_ASSERT_FALSE(memory_read(&mem, BASE + 0x10000, 4, &v));
    CU_ASSERT_EQUAL(rd(MTIMECMP, 8), 0);
    teardown();
}

static void test_reset_and_update(void)
{
    setup();
    icount = 10000;
    wr(MSIP, 4, 1);
    wr(MTIMECMP, 8, 500);
    CU_ASSERT_EQUAL(mtip_level, 0);
    clint_reset(&clint);
    CU_ASSERT_EQUAL(msip_level, 0);
    CU_ASSERT_EQUAL(mtip_level, 1);
    CU_ASSERT_EQUAL(rd(MTIME, 8), 0);       /* mtime restarts */
    CU_ASSERT_EQUAL(clock_next_deadline(&test_clock), CLOCK_NEVER);

    /* Loaded state: msip set, deadline 50 ticks away. */
    ClintState st = { .msip = 1, .mtimecmp = 150, .mtime_offset = 0 };
    clint.st = st;
    clint_update(&clint);
    CU_ASSERT_EQUAL(msip_level, 1);
    CU_ASSERT_EQUAL(mtip_level, 0);
    CU_ASSERT_EQUAL(clock_next_deadline(&test_clock), 15000);
    CU_ASSERT_EQUAL(rd(MTIME, 8), 100);
    teardown();
}

static const UnitTest tests[] = {
    { "reset state", test_reset_state },
    { "msip", test_msip },
    { "mtime read", test_mtime_read },
    { "mtime write", test_mtime_write },
    { "mtimecmp deadline", test_mtimecmp_deadline },
    { "mtimecmp halves", test_mtimecmp_halves },
    { "mtime write moves the deadline", test_mtime_write_moves_deadline },
    { "icount shift", test_shifted_clock },
    { "access sizes", test_access_sizes },
    { "reset and update", test_reset_and_update },
    { NULL, NULL },
};

int main(void)
{
    return unit_run("clint", tests);
}

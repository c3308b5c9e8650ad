/* CLINT: msip, mtime at 10 MHz, mtimecmp deadlines on the virtual clock. */
#include "hw/clint.h"
#include "io/channel.h"
#include "savevm/qemu-file.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>
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
    IRQLine msip = irq_line(rec_irq, NULL, 3), mtip = irq_line(rec_irq, NULL, 7);
    clint_init(&clint, &mem, &test_clock, BASE, 1, &msip, &mtip);
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
    IRQLine msip = irq_line(rec_irq, NULL, 3), mtip = irq_line(rec_irq, NULL, 7);
    clint_init(&clint, &mem, &test_clock, BASE + 0x10000, 1, &msip, &mtip);
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
    ClintState st = { .msip = { 1 }, .mtimecmp = { 150 }, .mtime_offset = 0 };
    clint.st = st;
    clint_update(&clint);
    CU_ASSERT_EQUAL(msip_level, 1);
    CU_ASSERT_EQUAL(mtip_level, 0);
    CU_ASSERT_EQUAL(clock_next_deadline(&test_clock), 15000);
    CU_ASSERT_EQUAL(rd(MTIME, 8), 100);
    teardown();
}

/* Four harts: each has its own msip and mtimecmp; one mtime. */
static int hart_msip[4], hart_mtip[4];

static void rec_hart(void *opaque, int n, int level)
{
    int h = (int)(intptr_t)opaque;
    if (n == 3) {
        hart_msip[h] = level;
    } else {
        hart_mtip[h] = level;
    }
}

static void setup_smp(void)
{
    setup();
    IRQLine msip[4], mtip[4];
    for (int h = 0; h < 4; h++) {
        msip[h] = irq_line(rec_hart, (void *)(intptr_t)h, 3);
        mtip[h] = irq_line(rec_hart, (void *)(intptr_t)h, 7);
        hart_msip[h] = hart_mtip[h] = -1;
    }
    memory_destroy(&mem);
    memory_init(&mem);
    clint_init(&clint, &mem, &test_clock, BASE, 4, msip, mtip);
}

static void test_smp_msip(void)
{
    setup_smp();
    wr(MSIP + 4 * 2, 4, 1);
    CU_ASSERT_EQUAL(hart_msip[2], 1);
    CU_ASSERT_EQUAL(hart_msip[0], 0);
    CU_ASSERT_EQUAL(hart_msip[1], 0);
    CU_ASSERT_EQUAL(rd(MSIP + 4 * 2, 4), 1);
    CU_ASSERT_EQUAL(rd(MSIP + 4 * 3, 4), 0);
    /* A hart the CLINT does not have: reads 0, writes ignored. */
    wr(MSIP + 4 * 5, 4, 1);
    CU_ASSERT_EQUAL(rd(MSIP + 4 * 5, 4), 0);
    CU_ASSERT_EQUAL(clint.st.msip[5], 0);
    wr(MSIP + 4 * 2, 4, 0);
    CU_ASSERT_EQUAL(hart_msip[2], 0);
    teardown();
}

static void test_smp_mtimecmp(void)
{
    setup_smp();
    icount = 0;
    for (int h = 0; h < 4; h++) {
        wr(MTIMECMP + 8 * h, 8, 100 * (h + 1));   /* hart h fires at tick 100(h+1) */
    }
    CU_ASSERT_EQUAL(clock_next_deadline(&test_clock), 10000);
    icount = 20000;                               /* tick 200: harts 0 and 1 */
    clock_run_timers(&test_clock);
    CU_ASSERT_EQUAL(hart_mtip[0], 1);
    CU_ASSERT_EQUAL(hart_mtip[1], 1);
    CU_ASSERT_EQUAL(hart_mtip[2], 0);
    CU_ASSERT_EQUAL(hart_mtip[3], 0);
    CU_ASSERT_EQUAL(clock_next_deadline(&test_clock), 30000);
    CU_ASSERT_EQUAL(rd(MTIMECMP + 8 * 3, 8), 400);
    CU_ASSERT_EQUAL(rd(MTIMECMP + 8 * 3 + 4, 4), 0);
    wr(MTIMECMP + 8 * 1, 8, UINT64_MAX);          /* hart 1 acknowledges */
    CU_ASSERT_EQUAL(hart_mtip[1], 0);
    CU_ASSERT_EQUAL(hart_mtip[0], 1);
    teardown();
}

static size_t save_clint(ChannelBuffer *b)
{
    memset(b, 0, sizeof(*b));
    QEMUFile *f = qemu_file_buffer_writer(b);
    Error err;
    error_init(&err);
    CU_ASSERT_EQUAL(vmstate_save(f, &vmstate_clint, &clint, NULL, &err), 0);
    CU_ASSERT_EQUAL(qemu_file_close(f, NULL), 0);
    return b->len;
}

static int load_clint(const ChannelBuffer *b, Error *err)
{
    QEMUFile *f = qemu_file_buffer_reader(b->data, b->len);
    int ret = vmstate_load(f, &vmstate_clint, &clint, 1, err);
    if (ret == 0 && qemu_file_tell(f) != b->len) {
        ret = -E2BIG;
    }
    qemu_file_close(f, NULL);
    return ret;
}

/* One hart: the stream is version 1's, no subsection; four: a subsection
 * carries harts 1.. and loads back. */
static void test_smp_vmstate(void)
{
    ChannelBuffer b;
    Error err;
    setup();
    CU_ASSERT_EQUAL(save_clint(&b), 4 + 8 + 8);
    channel_buffer_free(&b);
    teardown();

    setup_smp();
    wr(MSIP + 4 * 3, 4, 1);
    wr(MTIMECMP + 8 * 2, 8, 777);
    size_t sub = 1 + 1 + strlen("riscv_aclint/harts") + 4 + 7 * 4 + 7 * 8;
    CU_ASSERT_EQUAL(save_clint(&b), 4 + 8 + 8 + sub);
    ClintState saved = clint.st;
    clint_reset(&clint);
    CU_ASSERT_EQUAL(hart_msip[3], 0);
    error_init(&err);
    CU_ASSERT_EQUAL(load_clint(&b, &err), 0);
    CU_ASSERT_EQUAL(memcmp(&clint.st, &saved, sizeof(saved)), 0);
    CU_ASSERT_EQUAL(hart_msip[3], 1);                /* lines re-driven */
    CU_ASSERT_EQUAL(rd(MTIMECMP + 8 * 2, 8), 777);
    channel_buffer_free(&b);

    /* A four-hart stream into a one-hart CLINT: refused, naming the hart. */
    save_clint(&b);
    teardown();
    setup();
    error_init(&err);
    CU_ASSERT_EQUAL(load_clint(&b, &err), -EINVAL);
    CU_ASSERT_STRING_EQUAL(err.msg, "'riscv_aclint' refused the loaded state: field 'msip[3]' value 1 is for hart 3, but this machine "
                           "has 1 hart");
    channel_buffer_free(&b);
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
    { "4 harts: msip", test_smp_msip },
    { "4 harts: mtimecmp", test_smp_mtimecmp },
    { "4 harts: vmstate", test_smp_vmstate },
    { NULL, NULL },
};

int main(void)
{
    return unit_run("clint", tests);
}

/* PLIC: priorities, pending, enables, thresholds, claim/complete. */
#include "hw/plic.h"
#include "tests/unit/unit.h"

#define BASE 0x0c000000ull
#define PRIO(src) (BASE + 4 * (src))
#define PENDING(w) (BASE + 0x1000 + 4 * (w))
#define ENABLE(ctx, w) (BASE + 0x2000 + 0x80 * (ctx) + 4 * (w))
#define THRESH(ctx) (BASE + 0x200000 + 0x1000 * (ctx))
#define CLAIM(ctx) (BASE + 0x200004 + 0x1000 * (ctx))

static PhysMemory mem;
static Plic plic;
static int out_level[2];
static int out_calls;

static void rec_irq(void *opaque, int n, int level)
{
    out_level[n] = level;
    out_calls++;
}

static void setup(void)
{
    memory_init(&mem);
    out_level[0] = out_level[1] = -1;
    out_calls = 0;
    IRQLine meip = irq_line(rec_irq, NULL, 0), seip = irq_line(rec_irq, NULL, 1);
    plic_init(&plic, &mem, BASE, 1, &meip, &seip);
}

static void teardown(void)
{
    memory_destroy(&mem);
}

static uint32_t rd(uint64_t addr)
{
    uint64_t v = 0xdeadbeef;
    CU_ASSERT_TRUE(memory_read(&mem, addr, 4, &v));
    return (uint32_t)v;
}

static void wr(uint64_t addr, uint32_t v)
{
    CU_ASSERT_TRUE(memory_write(&mem, addr, 4, v));
}

static void test_init(void)
{
    setup();
    CU_ASSERT_EQUAL(out_level[0], 0);
    CU_ASSERT_EQUAL(out_level[1], 0);
    CU_ASSERT_EQUAL(rd(PRIO(1)), 0);
    CU_ASSERT_EQUAL(rd(PENDING(0)), 0);
    CU_ASSERT_EQUAL(rd(ENABLE(0, 0)), 0);
    CU_ASSERT_EQUAL(rd(THRESH(0)), 0);
    CU_ASSERT_EQUAL(rd(CLAIM(0)), 0);
    teardown();
}

static void test_priority_registers(void)
{
    setup();
    wr(PRIO(1), 0xffffffff);
    CU_ASSERT_EQUAL(rd(PRIO(1)), 7);
    wr(PRIO(95), 0x0a);
    CU_ASSERT_EQUAL(rd(PRIO(95)), 2);
    wr(PRIO(0), 5);                         /* source 0 does not exist */
    CU_ASSERT_EQUAL(rd(PRIO(0)), 0);
    CU_ASSERT_EQUAL(rd(PRIO(96)), 0);       /* beyond the last source */
    wr(PRIO(96), 5);
    CU_ASSERT_EQUAL(rd(PRIO(96)), 0);
    teardown();
}

static void test_enable_threshold_registers(void)
{
    setup();
    wr(ENABLE(0, 0), 0xffffffff);
    CU_ASSERT_EQUAL(rd(ENABLE(0, 0)), 0xfffffffe);   /* bit 0: source 0 */
    wr(ENABLE(0, 2), 0x80000001);
    CU_ASSERT_EQUAL(rd(ENABLE(0, 2)), 0x80000001);
    wr(ENABLE(1, 1), 0x1234);
    CU_ASSERT_EQUAL(rd(ENABLE(1, 1)), 0x1234);
    CU_ASSERT_EQUAL(rd(ENABLE(0, 1)), 0);
    CU_ASSERT_EQUAL(rd(ENABLE(0, 3)), 0);            /* no such word */
    CU_ASSERT_EQUAL(rd(ENABLE(2, 0)), 0);            /* no such context */
    wr(THRESH(0), 0xff);
    CU_ASSERT_EQUAL(rd(THRESH(0)), 7);
    wr(THRESH(1), 3);
    CU_ASSERT_EQUAL(rd(THRESH(1)), 3);
    CU_ASSERT_EQUAL(rd(THRESH(2)), 0);
    teardown();
}

static void test_pending_follows_level(void)
{
    setup();
    plic_set_irq(&plic, 10, 1);
    plic_set_irq(&plic, 40, 1);
    plic_set_irq(&plic, 95, 1);
    CU_ASSERT_EQUAL(rd(PENDING(0)), 1u << 10);
    CU_ASSERT_EQUAL(rd(PENDING(1)), 1u << 8);
    CU_ASSERT_EQUAL(rd(PENDING(2)), 1u << 31);
    wr(PENDING(0), 0);                      /* read-only */
    CU_ASSERT_EQUAL(rd(PENDING(0)), 1u << 10);
    plic_set_irq(&plic, 10, 0);
    CU_ASSERT_EQUAL(rd(PENDING(0)), 0);
    plic_set_irq(&plic, 0, 1);              /* ignored */
    plic_set_irq(&plic, 96, 1);
    CU_ASSERT_EQUAL(rd(PENDING(0)), 0);
    CU_ASSERT_EQUAL(out_level[0], 0);       /* nothing enabled */
    teardown();
}

static void test_claim_complete(void)
{
    setup();
    wr(PRIO(10), 1);
    wr(ENABLE(0, 0), 1u << 10);
    IRQLine line = plic_input(&plic, 10);
    irq_set(&line, 1);
    CU_ASSERT_EQUAL(out_level[0], 1);
    CU_ASSERT_EQUAL(out_level[1], 0);
    CU_ASSERT_EQUAL(rd(CLAIM(0)), 10);
    CU_ASSERT_EQUAL(out_level[0], 0);
    CU_ASSERT_EQUAL(rd(PENDING(0)), 0);
    CU_ASSERT_EQUAL(rd(CLAIM(0)), 0);       /* claimed: hidden */
    irq_set(&line, 0);
    irq_set(&line, 1);                      /* level moves while claimed */
    CU_ASSERT_EQUAL(rd(PENDING(0)), 0);
    CU_ASSERT_EQUAL(out_level[0], 0);
    wr(CLAIM(0), 10);                       /* complete: still high, pends again */
    CU_ASSERT_EQUAL(rd(PENDING(0)), 1u << 10);
    CU_ASSERT_EQUAL(out_level[0], 1);
    CU_ASSERT_EQUAL(rd(CLAIM(0)), 10);
    irq_set(&line, 0);
    wr(CLAIM(0), 10);                       /* complete with the level low */
    CU_ASSERT_EQUAL(rd(PENDING(0)), 0);
    CU_ASSERT_EQUAL(out_level[0], 0);
    teardown();
}

static void test_complete_not_enabled(void)
{
    setup();
    wr(PRIO(5), 1);
    wr(ENABLE(0, 0), 1u << 5);
    plic_set_irq(&plic, 5, 1);
    CU_ASSERT_EQUAL(rd(CLAIM(0)), 5);
    wr(CLAIM(1), 5);                        /* not enabled in context 1: ignored */
    CU_ASSERT_EQUAL(rd(PENDING(0)), 0);
    wr(CLAIM(0), 0);
    wr(CLAIM(0), 200);
    CU_ASSERT_EQUAL(out_level[0], 0);
    wr(CLAIM(0), 5);
    CU_ASSERT_EQUAL(out_level[0], 1);
    teardown();
}

static void test_priority_and_ties(void)
{
    setup();
    wr(ENABLE(0, 0), 0xfffffffe);
    wr(ENABLE(0, 1), 0xffffffff);
    wr(PRIO(3), 2);
    wr(PRIO(7), 5);
    wr(PRIO(9), 5);
    wr(PRIO(33), 6);
    wr(PRIO(4), 0);                         /* priority 0 never interrupts */
    plic_set_irq(&plic, 3, 1);
    plic_set_irq(&plic, 4, 1);
    plic_set_irq(&plic, 9, 1);
    plic_set_irq(&plic, 7, 1);
    plic_set_irq(&plic, 33, 1);
    CU_ASSERT_EQUAL(rd(CLAIM(0)), 33);
    CU_ASSERT_EQUAL(rd(CLAIM(0)), 7);       /* tie at 5: lowest id */
    CU_ASSERT_EQUAL(rd(CLAIM(0)), 9);
    CU_ASSERT_EQUAL(rd(CLAIM(0)), 3);
    CU_ASSERT_EQUAL(out_level[0], 0);
    CU_ASSERT_EQUAL(rd(CLAIM(0)), 0);
    CU_ASSERT_EQUAL(rd(PENDING(0)), 1u << 4);
    teardown();
}

static void test_threshold(void)
{
    setup();
    wr(ENABLE(0, 0), 1u << 2);
    wr(PRIO(2), 3);
    wr(THRESH(0), 3);
    plic_set_irq(&plic, 2, 1);
    CU_ASSERT_EQUAL(out_level[0], 0);       /* priority must exceed the threshold */
    CU_ASSERT_EQUAL(rd(CLAIM(0)), 0);
    wr(THRESH(0), 2);
    CU_ASSERT_EQUAL(out_level[0], 1);
    wr(PRIO(2), 1);
    CU_ASSERT_EQUAL(out_level[0], 0);
    wr(PRIO(2), 7);
    wr(THRESH(0), 7);
    CU_ASSERT_EQUAL(out_level[0], 0);
    wr(THRESH(0), 0);
    CU_ASSERT_EQUAL(rd(CLAIM(0)), 2);
    teardown();
}

static void test_contexts(void)
{
    setup();
    wr(PRIO(10), 1);
    wr(PRIO(1), 1);
    wr(ENABLE(1, 0), 1u << 10);             /* UART to S-mode */
    wr(ENABLE(0, 0), 1u << 1);
    plic_set_irq(&plic, 10, 1);
    CU_ASSERT_EQUAL(out_level[0], 0);
    CU_ASSERT_EQUAL(out_level[1], 1);
    plic_set_irq(&plic, 1, 1);
    CU_ASSERT_EQUAL(out_level[0], 1);
    CU_ASSERT_EQUAL(rd(CLAIM(0)), 1);
    CU_ASSERT_EQUAL(out_level[0], 0);
    CU_ASSERT_EQUAL(out_level[1], 1);
    CU_ASSERT_EQUAL(rd(CLAIM(1)), 10);
    CU_ASSERT_EQUAL(out_level[1], 0);
    /* A source enabled in both: a claim in one context hides it from the other. */
    wr(ENABLE(0, 0), (1u << 1) | (1u << 10));
    wr(CLAIM(1), 10);
    CU_ASSERT_EQUAL(out_level[0], 1);
    CU_ASSERT_EQUAL(out_level[1], 1);
    CU_ASSERT_EQUAL(rd(CLAIM(1)), 10);
    CU_ASSERT_EQUAL(out_level[0], 0);
    CU_ASSERT_EQUAL(out_level[1], 0);
    teardown();
}

static void test_access_sizes(void)
{
    setup();
    uint64_t v;
    CU_ASSERT_FALSE(memory_read(&mem, PRIO(1), 1, &v));
    CU_ASSERT_FALSE(memory_read(&mem, PRIO(1), 2, &v));
    CU_ASSERT_FALSE(memory_read(&mem, PRIO(2), 8, &v));
    CU_ASSERT_FALSE(memory_write(&mem, PRIO(1), 1, 1));
    CU_ASSERT_FALSE(memory_write(&mem, PRIO(2), 8, 1));
    CU_ASSERT_FALSE(memory_read(&mem, PRIO(1) + 2, 4, &v));  /* misaligned */
    CU_ASSERT_FALSE(memory_write(&mem, PRIO(1) + 1, 4, 1));
    CU_ASSERT_EQUAL(rd(PRIO(1)), 0);
    CU_ASSERT_EQUAL(rd(BASE + 0x5ffffc), 0);                 /* unused, last word */
    CU_ASSERT_FALSE(memory_read(&mem, BASE + 0x600000, 4, &v));
    teardown();
}

static void test_reset_and_update(void)
{
    setup();
    wr(PRIO(10), 3);
    wr(ENABLE(0, 0), 1u << 10);
    wr(THRESH(0), 1);
    plic_set_irq(&plic, 10, 1);
    CU_ASSERT_EQUAL(rd(CLAIM(0)), 10);
    plic_reset(&plic);
    CU_ASSERT_EQUAL(rd(PRIO(10)), 0);
    CU_ASSERT_EQUAL(rd(ENABLE(0, 0)), 0);
    CU_ASSERT_EQUAL(rd(THRESH(0)), 0);
    CU_ASSERT_EQUAL(rd(PENDING(0)), 1u << 10);   /* the wire is still high */
    CU_ASSERT_EQUAL(out_level[0], 0);

    /* Loaded state: source 10 pending and enabled in context 1. */
    PlicState st = plic.st;
    st.priority[10] = 2;
    st.enable[1][0] = 1u << 10;
    plic.st = st;
    out_level[1] = -1;
    plic_update(&plic);
    CU_ASSERT_EQUAL(out_level[0], 0);
    CU_ASSERT_EQUAL(out_level[1], 1);
    teardown();
}

/* Four harts: context 2h is hart h's M line, 2h + 1 its S line; contexts
 * beyond the harts read 0 and ignore writes. */
static int smp_level[8];

static void rec_smp(void *opaque, int n, int level)
{
    smp_level[n] = level;
}

static void test_smp_contexts(void)
{
    memory_init(&mem);
    IRQLine meip[4], seip[4];
    for (int h = 0; h < 4; h++) {
        meip[h] = irq_line(rec_smp, NULL, 2 * h);
        seip[h] = irq_line(rec_smp, NULL, 2 * h + 1);
    }
    plic_init(&plic, &mem, BASE, 4, meip, seip);
    wr(PRIO(10), 1);
    wr(ENABLE(5, 0), 1u << 10);             /* UART to hart 2's S-mode */
    wr(ENABLE(8, 0), 1u << 10);             /* hart 4: not on this machine */
    CU_ASSERT_EQUAL(rd(ENABLE(8, 0)), 0);
    wr(THRESH(9), 3);
    CU_ASSERT_EQUAL(rd(THRESH(9)), 0);
    plic_set_irq(&plic, 10, 1);
    for (int c = 0; c < 8; c++) {
        CU_ASSERT_EQUAL(smp_level[c], c == 5);
    }
    CU_ASSERT_EQUAL(rd(CLAIM(4)), 0);
    CU_ASSERT_EQUAL(rd(CLAIM(5)), 10);
    CU_ASSERT_EQUAL(smp_level[5], 0);
    teardown();
}

static const UnitTest tests[] = {
    { "initial state", test_init },
    { "priority registers", test_priority_registers },
    { "enable and threshold registers", test_enable_threshold_registers },
    { "pending follows level", test_pending_follows_level },
    { "claim and complete", test_claim_complete },
    { "complete for a source not enabled", test_complete_not_enabled },
    { "priority order and ties", test_priority_and_ties },
    { "threshold", test_threshold },
    { "two contexts", test_contexts },
    { "access sizes", test_access_sizes },
    { "reset and update", test_reset_and_update },
    { "4 harts: contexts", test_smp_contexts },
    { NULL, NULL },
};

int main(void)
{
    return unit_run("plic", tests);
}

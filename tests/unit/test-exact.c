/* Exact positions (machine_set_icount_exact, hw/riscv/machine-sched.c):
 * a run stops at the instruction asked for, also in the middle of a
 * block, on one hart and on four; a run stopped at many such points ends
 * as one that never stopped, and a position reached in one go holds the
 * same state as one reached instruction by instruction; a timer armed
 * during a slice stops the hart at its deadline. */
#include <string.h>

#include "hw/riscv/machine.h"
#include "tests/unit/unit.h"

/* At 0x80000000, entered with a0 = hartid: auipc t1, 0x10;
 * slli t0, a0, 3; add t1, t1, t0; loop: 20 x addi t2, t2, 1;
 * sd t2, 0(t1); j loop. The loop is one block of 22 instructions. */
static const uint32_t prog[] = {
    0x00010317, 0x00351293, 0x00530333,
    0x00138393, 0x00138393, 0x00138393, 0x00138393, 0x00138393,
    0x00138393, 0x00138393, 0x00138393, 0x00138393, 0x00138393,
    0x00138393, 0x00138393, 0x00138393, 0x00138393, 0x00138393,
    0x00138393, 0x00138393, 0x00138393, 0x00138393, 0x00138393,
    0x00733023, 0xfadff06f,
};

/* The back end the machines get: the interpreter, or the JIT (whose
 * linked blocks must stop at the same places). */
static bool use_jit;

static Machine *up(Machine *m, int smp, bool exact)
{
    MachineOptions o = {
        .machine = "virt", .ram_size = 16ull << 20, .bios = "none", .smp = smp,
        .clock_mode = CLOCK_MODE_ICOUNT, .icount_shift = 0, .rtc_base_ns = 1,
        .jit = use_jit,
    };
    Error err;
    error_init(&err);
    memset(m, 0, sizeof(*m));
    chardev_init_null(&m->serial0, "serial0");
    CU_ASSERT_FATAL(machine_init(m, &o, &err));
    CU_ASSERT_FATAL(memory_rw(&m->mem, VIRT_DRAM_BASE, (void *)prog, sizeof(prog), true, false));
    machine_set_icount_exact(m, exact);
    return m;
}

static bool same_state(Machine *a, Machine *b)
{
    bool same = machine_icount(a) == machine_icount(b) && a->sched_cur == b->sched_cur &&
                a->sched_left == b->sched_left;
    for (int h = 0; h < a->nr_harts; h++) {
        same = same && a->harts[h].env.pc == b->harts[h].env.pc &&
               a->harts[h].env.instret == b->harts[h].env.instret &&
               !memcmp(a->harts[h].env.gpr, b->harts[h].env.gpr, sizeof(a->harts[h].env.gpr));
    }
    uint64_t va, vb;
    for (int h = 0; h < a->nr_harts; h++) {
        uint64_t addr = VIRT_DRAM_BASE + 0x10000 + 8 * (uint64_t)h;
        same = same && memory_rw(&a->mem, addr, &va, 8, false, false) &&
               memory_rw(&b->mem, addr, &vb, 8, false, false) && va == vb;
    }
    return same;
}

/* The default run finishes the block it is in; an exact one does not. */
static void test_mid_block(void)
{
    static Machine a, b;
    up(&a, 1, false);
    up(&b, 1, true);
    machine_exec(&a, 6 + 3 + 5);   /* 6 in the boot ROM */
    machine_exec(&b, 6 + 3 + 5);
    CU_ASSERT_TRUE(machine_icount(&a) > 14);      /* ran on to the block's end */
    CU_ASSERT_EQUAL(machine_icount(&b), 14);
    CU_ASSERT_EQUAL(b.harts[0].env.pc, VIRT_DRAM_BASE + 4 * 8);
    CU_ASSERT_EQUAL(b.harts[0].env.gpr[7], 5);   /* t2: five addi */
    CU_ASSERT_EQUAL(machine_run_to(&b, 1000), CPU_EXIT_LIMIT);
    CU_ASSERT_EQUAL(machine_icount(&b), 1000);
    CU_ASSERT_TRUE(b.harts[0].stats.tb_capped > 0);
    machine_destroy(&a);
    machine_destroy(&b);
}

static void stops_match(int smp)
{
    static Machine a, b, c;
    static const uint64_t stops[] = { 1, 7, 100, 9999, 10001, 12345, 29999, 30003, 44444, 77777 };
    const uint64_t end = 123457;
    up(&a, smp, true);
    up(&b, smp, true);
    up(&c, smp, true);
    CU_ASSERT_EQUAL(machine_run_to(&a, end), CPU_EXIT_LIMIT);
    CU_ASSERT_EQUAL(machine_icount(&a), end);
    for (size_t i = 0; i < sizeof(stops) / sizeof(stops[0]); i++) {
        machine_run_to(&b, stops[i]);
        CU_ASSERT_EQUAL(machine_icount(&b), stops[i]);
    }
    machine_run_to(&b, end);
    CU_ASSERT_TRUE(same_state(&a, &b));
    /* One instruction at a time over the last stretch. */
    machine_run_to(&c, end - 300);
    while (machine_icount(&c) < end) {
        machine_exec(&c, 1);
    }
    CU_ASSERT_TRUE(same_state(&a, &c));
    machine_exec(&c, 1);
    CU_ASSERT_FALSE(same_state(&a, &c));        /* the comparison sees one instruction */
    machine_destroy(&a);
    machine_destroy(&b);
    machine_destroy(&c);
}

static void test_stops_1(void)
{
    stops_match(1);
}

static void test_stops_4(void)
{
    stops_match(4);
}

static void test_jit(void)
{
    if (!cpu_jit_available()) {
        fprintf(stderr, "no JIT on this host: the interpreter's runs above cover it\n");
        return;
    }
    use_jit = true;
    test_mid_block();
    stops_match(1);
    stops_match(4);
    use_jit = false;
}

/* At 0x80000000: mtimecmp = 500 ticks (50 us: instruction 50000 at
 * shift 0), then a loop of addi. The CLINT arms its timer during the
 * store, inside a slice asked for 200000 instructions: an exact run stops
 * where the deadline falls, so the timer fires at the same position however
 * the slices were cut (a replay without the recording's other timers); the
 * default run stops with the block, so the timer is not a slice late. */
static const uint32_t timer_prog[] = {
    0x020042b7,                  /* lui t0, 0x2004: CLINT mtimecmp, hart 0 */
    0x1f400313,                  /* li t1, 500 */
    0x0062b023,                  /* sd t1, 0(t0) */
    0x00138393,                  /* loop: addi t2, t2, 1 */
    0xffdff06f,                  /* j loop */
};

static void test_timer_armed_in_slice(void)
{
    static Machine a, b;
    for (int exact = 0; exact < 2; exact++) {
        Machine *m = up(exact ? &b : &a, 1, exact);
        CU_ASSERT_FATAL(memory_rw(&m->mem, VIRT_DRAM_BASE, (void *)timer_prog,
                                  sizeof(timer_prog), true, false));
        machine_exec(m, 200000);
    }
    /* The default stops too, at the end of the block that reaches the
     * deadline (a two-instruction loop here), not at the slice's end. */
    CU_ASSERT_TRUE(machine_icount(&a) >= 50000 && machine_icount(&a) <= 50002);
    CU_ASSERT_EQUAL(machine_icount(&b), 50000);   /* exact: stops at the deadline */
    CU_ASSERT_EQUAL(clock_next_deadline(&b.clock), 50000);
    CU_ASSERT_EQUAL(clock_run_timers(&b.clock), 1);
    CU_ASSERT_TRUE(b.harts[0].env.mip & (1ull << 7));   /* MTIP */
    machine_destroy(&a);
    machine_destroy(&b);
}

static const UnitTest tests[] = {
    { "an exact run stops in the middle of a block", test_mid_block },
    { "a timer armed during a slice stops it at its deadline", test_timer_armed_in_slice },
    { "stopped anywhere, one hart: the same state as never stopped", test_stops_1 },
    { "stopped anywhere, four harts: the same state as never stopped", test_stops_4 },
    { "the same three with the JIT", test_jit },
    { NULL, NULL },
};

int main(void)
{
    return unit_run("exact", tests);
}

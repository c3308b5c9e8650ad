/* The harts' round-robin schedule (hw/riscv/machine-sched.c, doc/smp.md):
 * turns in hart-id order, a quantum of MACHINE_QUANTUM instructions each, a
 * hart in WFI passed over until an interrupt is pending for it, and the same
 * run for the same inputs. Four harts run a hand-assembled loop; hart 3
 * parks in WFI. */
#include <string.h>

#include "hw/riscv/machine.h"
#include "tests/unit/unit.h"

#define Q MACHINE_QUANTUM

/* At 0x80000000, entered with a0 = hartid:
 *   li t3, 3; beq a0, t3, park; auipc t1, 0x10; slli t0, a0, 3; add t1, t1, t0
 *   loop: addi t2, t2, 1; sd t2, 0(t1); j loop
 *   park: wfi; j park */
static const uint32_t prog[] = {
    0x00300e13, 0x01c50e63, 0x00010317, 0x00351293, 0x00530333,
    0x00138393, 0x00733023, 0xff9ff06f,
    0x10500073, 0xffdff06f,
};

static Machine *up(void)
{
    static Machine machines[2];
    static int next;
    Machine *m = &machines[next++ % 2];
    MachineOptions o = {
        .machine = "virt", .ram_size = 16ull << 20, .bios = "none", .smp = 4,
        .clock_mode = CLOCK_MODE_ICOUNT, .icount_shift = 0, .rtc_base_ns = 1,
    };
    Error err;
    error_init(&err);
    chardev_init_null(&m->serial0, "serial0");
    CU_ASSERT_FATAL(machine_init(m, &o, &err));
    CU_ASSERT_FATAL(memory_rw(&m->mem, VIRT_DRAM_BASE, (void *)prog, sizeof(prog), true, false));
    return m;
}

static uint64_t ran(Machine *m, int h)
{
    return m->harts[h].env.instret;
}

/* A block may run past the quantum by a few instructions; never by more
 * than a block. */
static bool about(uint64_t got, uint64_t want)
{
    return got >= want && got < want + 64;
}

static void test_turns(void)
{
    Machine *m = up();
    CU_ASSERT_EQUAL(machine_exec(m, Q), CPU_EXIT_LIMIT);   /* hart 0's turn */
    CU_ASSERT_TRUE(about(ran(m, 0), Q));
    CU_ASSERT_EQUAL(ran(m, 1) + ran(m, 2) + ran(m, 3), 0);
    CU_ASSERT_EQUAL(m->sched_cur, 1);
    machine_exec(m, Q / 2);                                 /* half of hart 1's */
    CU_ASSERT_TRUE(about(ran(m, 1), Q / 2));
    CU_ASSERT_EQUAL(m->sched_cur, 1);
    CU_ASSERT_TRUE(m->sched_left > 0 && m->sched_left <= Q / 2);
    machine_exec(m, m->sched_left);                         /* the rest of it */
    CU_ASSERT_TRUE(about(ran(m, 1), Q));
    CU_ASSERT_EQUAL(ran(m, 2), 0);
    machine_exec(m, Q);                                     /* hart 2 */
    CU_ASSERT_TRUE(about(ran(m, 2), Q));
    /* Hart 3 parks after a few instructions; the rest of the slice goes
     * on to hart 0. */
    machine_exec(m, Q);
    CU_ASSERT_TRUE(m->harts[3].env.halted);
    uint64_t parked = ran(m, 3);
    CU_ASSERT_TRUE(parked > 0 && parked < 20);
    CU_ASSERT_TRUE(about(ran(m, 0), 2 * Q - parked));
    /* Many rounds: hart 3 is passed over, the others share equally. */
    for (int i = 0; i < 30; i++) {
        machine_exec(m, Q);
    }
    CU_ASSERT_EQUAL(ran(m, 3), parked);
    uint64_t lo = ran(m, 0), hi = ran(m, 0);
    for (int h = 1; h < 3; h++) {
        lo = ran(m, h) < lo ? ran(m, h) : lo;
        hi = ran(m, h) > hi ? ran(m, h) : hi;
    }
    CU_ASSERT_TRUE(hi - lo <= Q + 64);
    uint64_t c0;
    CU_ASSERT_TRUE(memory_read(&m->mem, VIRT_DRAM_BASE + 0x10008, 8, &c0));
    CU_ASSERT_TRUE(c0 > 0);
    machine_destroy(m);
}

static void test_wfi_wakes(void)
{
    Machine *m = up();
    for (int i = 0; i < 4; i++) {
        machine_exec(m, Q);
    }
    CU_ASSERT_TRUE(m->harts[3].env.halted);
    uint64_t parked = ran(m, 3);
    /* Every hart in WFI: the scheduler says so. */
    for (int h = 0; h < 3; h++) {
        m->harts[h].env.halted = 1;
    }
    CU_ASSERT_EQUAL(machine_exec(m, Q), CPU_EXIT_HALTED);
    for (int h = 0; h < 3; h++) {
        m->harts[h].env.halted = 0;
    }
    /* An IPI (CLINT msip of hart 3, enabled in mie) wakes hart 3: its wfi
     * now returns at once (pending), so it loops through its turns. */
    m->harts[3].env.mie = 1ull << IRQ_M_SOFT;
    CU_ASSERT_TRUE(memory_write(&m->mem, VIRT_CLINT_BASE + 4 * 3, 4, 1));
    CU_ASSERT_FALSE(m->harts[3].env.halted);
    for (int i = 0; i < 8; i++) {
        machine_exec(m, Q);
    }
    CU_ASSERT_TRUE(ran(m, 3) > parked + Q);
    machine_destroy(m);
}

/* As the main loop does: slices up to a point of virtual time (a timer
 * deadline), whatever stopped the last one early. */
static void run_to(Machine *m, uint64_t t)
{
    while (machine_icount(m) < t) {
        machine_exec(m, t - machine_icount(m));
    }
}

/* A run stopped at many points (the monitor, input, timers) ends exactly
 * as one that was never stopped: the turn resumes where it was. */
static void test_deterministic(void)
{
    Machine *a = up(), *b = up();
    static const uint64_t stops[] = { 1, 7, 100, 9999, 10001, 12345, 29999, 30003, 44444, 77777 };
    const uint64_t end = 123457;
    run_to(a, end);
    for (size_t i = 0; i < sizeof(stops) / sizeof(stops[0]); i++) {
        run_to(b, stops[i]);
    }
    run_to(b, end);
    for (int h = 0; h < 4; h++) {
        CU_ASSERT_EQUAL(ran(a, h), ran(b, h));
        CU_ASSERT_EQUAL(memcmp(a->harts[h].env.gpr, b->harts[h].env.gpr, sizeof(a->harts[h].env.gpr)),
                        0);
    }
    CU_ASSERT_EQUAL(a->sched_cur, b->sched_cur);
    CU_ASSERT_EQUAL(a->sched_left, b->sched_left);
    CU_ASSERT_EQUAL(machine_icount(a), machine_icount(b));
    machine_destroy(a);
    machine_destroy(b);
}

static const UnitTest tests[] = {
    { "turns in hart order, a quantum each", test_turns },
    { "WFI is passed over until an interrupt", test_wfi_wakes },
    { "stopped anywhere, a run ends as an unstopped one", test_deterministic },
    { NULL, NULL },
};

int main(void)
{
    return unit_run("machine-sched", tests);
}

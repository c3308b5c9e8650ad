/* Sstc: stimecmp access rules (menvcfg.STCE, mcounteren.TM), STIP as
 * time >= stimecmp at the exact virtual time through the hart's timer and
 * the executor, the interrupt it delivers, and the cpu/sstc subsection. */
#include <stdlib.h>
#include <string.h>

#include "io/channel.h"
#include "target/riscv/csr.h"
#include "tests/unit/unit.h"

#define CODE 0x80000000ull
#define STIP (1ull << IRQ_S_TIMER)

static PhysMemory mem;
static RISCVCPU *cpu;
static VirtClock clk;            /* shift 0: 1 ns per instruction, time = icount / 100 */

static RISCVCPU *new_cpu(void)
{
    RISCVCPU *c = calloc(1, sizeof(*c));
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    CU_ASSERT_FATAL(cpu_init(c, &mem, NULL));
    c->clock = &clk;
    cpu_reset(c, CODE);
    return c;
}

static void setup(void)
{
    memory_init(&mem);
    CU_ASSERT_PTR_NOT_NULL_FATAL(memory_add_ram(&mem, "ram", CODE, 1 << 20));
    cpu = calloc(1, sizeof(*cpu));
    CU_ASSERT_PTR_NOT_NULL_FATAL(cpu);
    CU_ASSERT_FATAL(cpu_init(cpu, &mem, NULL));
    clock_init(&clk, CLOCK_MODE_ICOUNT, 0, cpu_get_icount, cpu);
    cpu->clock = &clk;
    cpu_reset(cpu, CODE);
}

static void teardown(void)
{
    cpu_destroy(cpu);
    free(cpu);
    memory_destroy(&mem);
}

static int rd(int csr, uint64_t *v)
{
    return riscv_csr_access(cpu, csr, v, 0, 0, false);
}

static int wr(int csr, uint64_t v)
{
    return riscv_csr_access(cpu, csr, NULL, v, ~0ull, true);
}

static void set_priv(unsigned priv)
{
    cpu->env.priv = priv;
    riscv_update_mmu_idx(cpu);
}

static void test_access_rules(void)
{
    uint64_t v;
    setup();
    CU_ASSERT_STRING_EQUAL(cpu_csr_name(CSR_STIMECMP), "stimecmp");
    /* M: always */
    CU_ASSERT_EQUAL(wr(CSR_STIMECMP, 1234), EXCP_NONE);
    CU_ASSERT_EQUAL(rd(CSR_STIMECMP, &v), EXCP_NONE);
    CU_ASSERT_EQUAL(v, 1234);
    /* menvcfg gains STCE; senvcfg does not */
    CU_ASSERT_EQUAL(wr(CSR_MENVCFG, ~0ull), EXCP_NONE);
    CU_ASSERT_EQUAL(rd(CSR_MENVCFG, &v), EXCP_NONE);
    CU_ASSERT_EQUAL(v, MENVCFG_STCE | 1);
    CU_ASSERT_EQUAL(wr(CSR_SENVCFG, ~0ull), EXCP_NONE);
    CU_ASSERT_EQUAL(rd(CSR_SENVCFG, &v), EXCP_NONE);
    CU_ASSERT_EQUAL(v, 1);
    /* S: needs STCE and mcounteren.TM */
    set_priv(PRV_S);
    CU_ASSERT_EQUAL(rd(CSR_STIMECMP, &v), EXCP_ILLEGAL_INSN);         /* TM = 0 */
    cpu->env.mcounteren = COUNTEREN_TM;
    CU_ASSERT_EQUAL(rd(CSR_STIMECMP, &v), EXCP_NONE);
    CU_ASSERT_EQUAL(wr(CSR_STIMECMP, 99), EXCP_NONE);
    CU_ASSERT_EQUAL(cpu->env.stimecmp, 99);
    cpu->env.menvcfg = 0;
    CU_ASSERT_EQUAL(rd(CSR_STIMECMP, &v), EXCP_ILLEGAL_INSN);
    CU_ASSERT_EQUAL(wr(CSR_STIMECMP, 5), EXCP_ILLEGAL_INSN);
    CU_ASSERT_EQUAL(cpu->env.stimecmp, 99);
    /* U: never (an S-level number), whatever the enables */
    cpu->env.menvcfg = MENVCFG_STCE;
    cpu->env.scounteren = COUNTEREN_TM;
    set_priv(PRV_U);
    CU_ASSERT_EQUAL(rd(CSR_STIMECMP, &v), EXCP_ILLEGAL_INSN);
    teardown();
}

/* STIP follows time >= stimecmp; the timer stands at the deadline. */
static void test_stip_level(void)
{
    setup();
    CU_ASSERT_EQUAL(wr(CSR_STIMECMP, 0), EXCP_NONE);
    CU_ASSERT_EQUAL(cpu->env.mip & STIP, 0);            /* STCE = 0: no effect */
    /* M may write STIP while STCE = 0 ... */
    CU_ASSERT_EQUAL(wr(CSR_MIP, STIP), EXCP_NONE);
    CU_ASSERT_EQUAL(cpu->env.mip & STIP, STIP);
    CU_ASSERT_EQUAL(wr(CSR_MIP, 0), EXCP_NONE);
    CU_ASSERT_EQUAL(wr(CSR_MENVCFG, MENVCFG_STCE), EXCP_NONE);
    CU_ASSERT_EQUAL(cpu->env.mip & STIP, STIP);         /* time 0 >= 0 */
    /* ... not while Sstc drives it */
    CU_ASSERT_EQUAL(wr(CSR_MIP, 0), EXCP_NONE);
    CU_ASSERT_EQUAL(cpu->env.mip & STIP, STIP);
    CU_ASSERT_EQUAL(wr(CSR_STIMECMP, 10), EXCP_NONE);   /* time 10 = 1000 ns */
    CU_ASSERT_EQUAL(cpu->env.mip & STIP, 0);
    CU_ASSERT_EQUAL(clock_next_deadline(&clk), 1000);
    cpu->env.icount = 999;
    clock_run_timers(&clk);
    CU_ASSERT_EQUAL(cpu->env.mip & STIP, 0);
    cpu->env.icount = 1000;
    clock_run_timers(&clk);
    CU_ASSERT_EQUAL(cpu->env.mip & STIP, STIP);
    CU_ASSERT_EQUAL(clock_next_deadline(&clk), CLOCK_NEVER);
    /* a later compare value clears it again */
    CU_ASSERT_EQUAL(wr(CSR_STIMECMP, 11), EXCP_NONE);
    CU_ASSERT_EQUAL(cpu->env.mip & STIP, 0);
    CU_ASSERT_EQUAL(clock_next_deadline(&clk), 1100);
    /* beyond the end of virtual time: never */
    CU_ASSERT_EQUAL(wr(CSR_STIMECMP, ~0ull), EXCP_NONE);
    CU_ASSERT_EQUAL(clock_next_deadline(&clk), CLOCK_NEVER);
    CU_ASSERT_EQUAL(cpu->env.mip & STIP, 0);
    /* clearing STCE disarms and leaves STIP to software */
    CU_ASSERT_EQUAL(wr(CSR_STIMECMP, 20), EXCP_NONE);
    CU_ASSERT_EQUAL(clock_next_deadline(&clk), 2000);
    CU_ASSERT_EQUAL(wr(CSR_MENVCFG, 0), EXCP_NONE);
    CU_ASSERT_EQUAL(clock_next_deadline(&clk), CLOCK_NEVER);
    CU_ASSERT_EQUAL(wr(CSR_MIP, STIP), EXCP_NONE);
    CU_ASSERT_EQUAL(cpu->env.mip & STIP, STIP);
    /* reset disarms */
    CU_ASSERT_EQUAL(wr(CSR_MENVCFG, MENVCFG_STCE), EXCP_NONE);
    CU_ASSERT_NOT_EQUAL(clock_next_deadline(&clk), CLOCK_NEVER);
    cpu_reset(cpu, CODE);
    CU_ASSERT_EQUAL(clock_next_deadline(&clk), CLOCK_NEVER);
    teardown();
}

/* The main loop's way: run to the next deadline, fire timers. The
 * interrupt is taken in S at the instruction where time reaches stimecmp. */
static void test_interrupt_timing(void)
{
    setup();
    static const uint32_t code[] = {
        0x00150513,     /* loop: addi a0, a0, 1 */
        0xffdff06f,     /*       j loop */
    };
    CU_ASSERT_FATAL(memory_rw(&mem, CODE, (void *)code, sizeof(code), true, true));
    uint32_t spin = 0x0000006f;
    CU_ASSERT_FATAL(memory_rw(&mem, CODE + 0x100, &spin, 4, true, true));
    /* S may use all memory (no PMP entry would deny it) */
    CU_ASSERT_EQUAL(wr(CSR_PMPADDR0, ~0ull >> 10), EXCP_NONE);
    CU_ASSERT_EQUAL(wr(CSR_PMPCFG0, 0x1f), EXCP_NONE);
    cpu->env.menvcfg = MENVCFG_STCE;
    cpu->env.mcounteren = COUNTEREN_TM;
    cpu->env.mideleg = STIP;
    cpu->env.mie = STIP;
    cpu->env.stvec = CODE + 0x100;
    cpu->env.mstatus |= MSTATUS_SIE;
    set_priv(PRV_S);
    CU_ASSERT_EQUAL(wr(CSR_STIMECMP, 30), EXCP_NONE);   /* 3000 instructions */
    for (int i = 0; i < 10 && !(cpu->env.mip & STIP); i++) {
        uint64_t n = clock_ns_to_icount_delta(&clk, clock_next_deadline(&clk));
        cpu_exec(cpu, n);
        clock_run_timers(&clk);
    }
    CU_ASSERT_EQUAL(cpu->env.icount, 3000);
    CU_ASSERT_EQUAL(cpu->env.mip & STIP, STIP);
    cpu_exec(cpu, 10);
    CU_ASSERT_EQUAL(cpu->env.scause, (1ull << 63) | IRQ_S_TIMER);
    CU_ASSERT_EQUAL(cpu->env.pc, CODE + 0x100);
    /* 3000 instructions of the loop: 1500 addi */
    CU_ASSERT_EQUAL(cpu->env.gpr[10], 1500);
    CU_ASSERT_EQUAL(cpu->env.sepc, CODE);
    teardown();
}

/* ---- VM state ---- */

static size_t save(RISCVCPU *c, ChannelBuffer *b)
{
    memset(b, 0, sizeof(*b));
    QEMUFile *f = qemu_file_buffer_writer(b);
    CU_ASSERT_EQUAL_FATAL(vmstate_save(f, &vmstate_riscv_cpu, c, NULL, NULL), 0);
    qemu_file_close(f, NULL);
    return b->len;
}

static int load(RISCVCPU *c, const ChannelBuffer *b, Error *err)
{
    QEMUFile *f = qemu_file_buffer_reader(b->data, b->len);
    int ret = vmstate_load(f, &vmstate_riscv_cpu, c, vmstate_riscv_cpu.version_id, err);
    qemu_file_close(f, NULL);
    return ret;
}

static bool contains(const ChannelBuffer *b, const char *s)
{
    return memmem(b->data, b->len, s, strlen(s)) != NULL;
}

/* The CPU section's fields of the first version: 627 bytes. */
#define CPU_SECTION_V1_BYTES 627

static void test_vmstate(void)
{
    setup();
    ChannelBuffer b;
    /* at reset: exactly the first version's bytes, no subsection */
    ChannelBuffer b0;
    CU_ASSERT_EQUAL(save(cpu, &b0), CPU_SECTION_V1_BYTES);
    CU_ASSERT_FALSE(contains(&b0, "cpu/"));
    /* STCE on, a compare value: the subsection appears */
    wr(CSR_MENVCFG, MENVCFG_STCE);
    wr(CSR_STIMECMP, 50);
    CU_ASSERT_EQUAL(save(cpu, &b), CPU_SECTION_V1_BYTES + 1 + 1 + 8 + 4 + 8);
    CU_ASSERT_TRUE(contains(&b, "cpu/sstc"));
    CU_ASSERT_FALSE(contains(&b, "cpu/trigger"));
    /* into another hart (the loaded one is reset first, as loadvm does) */
    cpu_destroy(cpu);
    free(cpu);
    cpu = new_cpu();
    clk.icount_opaque = cpu;            /* the clock counts the new hart */
    CU_ASSERT_EQUAL(clock_next_deadline(&clk), CLOCK_NEVER);
    Error err;
    error_init(&err);
    CU_ASSERT_EQUAL(load(cpu, &b, &err), 0);
    CU_ASSERT_EQUAL(cpu->env.stimecmp, 50);
    CU_ASSERT_EQUAL(cpu->env.menvcfg, MENVCFG_STCE);
    CU_ASSERT_EQUAL(clock_next_deadline(&clk), 5000);    /* re-armed */
    cpu->env.icount = 5000;
    clock_run_timers(&clk);
    CU_ASSERT_EQUAL(cpu->env.mip & STIP, STIP);
    /* a stream without the subsection means stimecmp's reset value, not
     * what this hart held before the load */
    error_init(&err);
    CU_ASSERT_EQUAL(load(cpu, &b0, &err), 0);
    CU_ASSERT_EQUAL(cpu->env.stimecmp, 0);
    CU_ASSERT_EQUAL(clock_next_deadline(&clk), CLOCK_NEVER);
    channel_buffer_free(&b);
    channel_buffer_free(&b0);
    teardown();
}

static const UnitTest tests[] = {
    { "stimecmp access: STCE, TM, modes", test_access_rules },
    { "STIP is time >= stimecmp", test_stip_level },
    { "interrupt at the exact instruction", test_interrupt_timing },
    { "cpu/sstc subsection", test_vmstate },
    { NULL, NULL },
};

int main(void)
{
    return unit_run("sstc", tests);
}

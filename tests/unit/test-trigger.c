/* Sdtrig: the trigger CSRs' WARL rules, execute/load/store/AMO address
 * breakpoints through the executor (including code translated and TLB
 * entries filled before the trigger was armed), mode bits, delegation,
 * disarming, and the cpu/trigger subsection. */
#include <stdlib.h>
#include <string.h>

#include "io/channel.h"
#include "target/riscv/csr.h"
#include "tests/unit/unit.h"

#define CODE 0x80000000ull
#define DATA 0x80002000ull
#define HANDLER 0x80001000ull
#define TYPE2 (2ull << 60)
#define T_LOAD 0x1ull
#define T_STORE 0x2ull
#define T_EXEC 0x4ull
#define T_U 0x8ull
#define T_S 0x10ull
#define T_M 0x40ull

static PhysMemory mem;
static RISCVCPU *cpu;
static VirtClock clk;

static RISCVCPU *new_cpu(void)
{
    RISCVCPU *c = calloc(1, sizeof(*c));
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    CU_ASSERT_FATAL(cpu_init(c, &mem, NULL));
    c->clock = &clk;
    cpu_reset(c, CODE);
    c->env.mtvec = HANDLER;
    return c;
}

static void setup(void)
{
    memory_init(&mem);
    CU_ASSERT_PTR_NOT_NULL_FATAL(memory_add_ram(&mem, "ram", CODE, 1 << 20));
    cpu = new_cpu();
    clock_init(&clk, CLOCK_MODE_ICOUNT, 0, cpu_get_icount, cpu);
    uint32_t spin = 0x0000006f;                 /* handlers: j . */
    CU_ASSERT_FATAL(memory_rw(&mem, HANDLER, &spin, 4, true, true));
    CU_ASSERT_FATAL(memory_rw(&mem, HANDLER + 0x100, &spin, 4, true, true));
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

static uint64_t rdv(int csr)
{
    uint64_t v = 0xdeadbeef;
    CU_ASSERT_EQUAL(rd(csr, &v), EXCP_NONE);
    return v;
}

static int wr(int csr, uint64_t v)
{
    return riscv_csr_access(cpu, csr, NULL, v, ~0ull, true);
}

static void set_priv(unsigned priv)
{
    cpu->env.priv = priv;
    riscv_update_mmu_idx(cpu);
    cpu->translation_changed = true;
}

static void arm(unsigned n, uint64_t ctl, uint64_t addr)
{
    CU_ASSERT_EQUAL(wr(CSR_TSELECT, n), EXCP_NONE);
    CU_ASSERT_EQUAL(wr(CSR_TDATA2, addr), EXCP_NONE);
    CU_ASSERT_EQUAL(wr(CSR_TDATA1, TYPE2 | ctl), EXCP_NONE);
}

static void load_code(const uint32_t *code, size_t n)
{
    CU_ASSERT_FATAL(memory_rw(&mem, CODE, (void *)code, n * 4, true, true));
}

/* Runs from CODE; returns with the hart spinning in a handler or at the
 * program's final self-loop. */
static void run(void)
{
    cpu->env.pc = CODE;
    cpu->env.mcause = cpu->env.scause = 0;
    cpu_exec(cpu, 200);
}

static void test_csrs(void)
{
    uint64_t v;
    setup();
    CU_ASSERT_EQUAL(rdv(CSR_TINFO), 1ull << 2);
    CU_ASSERT_EQUAL(rdv(CSR_TSELECT), 0);
    CU_ASSERT_EQUAL(rdv(CSR_TDATA1), TYPE2);            /* type 2, nothing enabled */
    CU_ASSERT_EQUAL(rdv(CSR_TDATA2), 0);
    CU_ASSERT_EQUAL(rdv(CSR_TDATA3), 0);
    /* tselect: WARL over the two triggers */
    CU_ASSERT_EQUAL(wr(CSR_TSELECT, 1), EXCP_NONE);
    CU_ASSERT_EQUAL(rdv(CSR_TSELECT), 1);
    CU_ASSERT_EQUAL(wr(CSR_TSELECT, 2), EXCP_NONE);
    CU_ASSERT_EQUAL(rdv(CSR_TSELECT), 1);
    /* all bits written: mode and kind bits stay; dmode, action, match,
     * chain, timing, select, sizes, hit and maskmax read 0 */
    CU_ASSERT_EQUAL(wr(CSR_TDATA1, TYPE2 | 0x0fffffffffffffffull), EXCP_NONE);
    CU_ASSERT_EQUAL(rdv(CSR_TDATA1), TYPE2 | 0x5f);
    CU_ASSERT_EQUAL(cpu->env.tdata1[1], 0x5f);
    CU_ASSERT_EQUAL(cpu->env.tdata1[0], 0);
    CU_ASSERT_EQUAL(wr(CSR_TDATA2, 0x1234), EXCP_NONE);
    CU_ASSERT_EQUAL(rdv(CSR_TDATA2), 0x1234);
    CU_ASSERT_EQUAL(wr(CSR_TDATA3, ~0ull), EXCP_NONE);
    CU_ASSERT_EQUAL(rdv(CSR_TDATA3), 0);
    /* another type (6, icount 3) is ignored; type 0 or 15 disables */
    CU_ASSERT_EQUAL(wr(CSR_TDATA1, (6ull << 60) | T_EXEC), EXCP_NONE);
    CU_ASSERT_EQUAL(rdv(CSR_TDATA1), TYPE2 | 0x5f);
    CU_ASSERT_EQUAL(wr(CSR_TDATA1, 15ull << 60), EXCP_NONE);
    CU_ASSERT_EQUAL(rdv(CSR_TDATA1), TYPE2);
    CU_ASSERT_EQUAL(wr(CSR_TDATA1, TYPE2 | T_M | T_LOAD), EXCP_NONE);
    CU_ASSERT_EQUAL(cpu->trigger_armed, TRIGGER_ARMED_MEM);
    CU_ASSERT_EQUAL(wr(CSR_TDATA1, 0), EXCP_NONE);
    CU_ASSERT_EQUAL(rdv(CSR_TDATA1), TYPE2);
    CU_ASSERT_EQUAL(cpu->trigger_armed, 0);
    /* kind bits without a mode bit arm nothing */
    CU_ASSERT_EQUAL(wr(CSR_TDATA1, TYPE2 | T_EXEC | T_LOAD), EXCP_NONE);
    CU_ASSERT_EQUAL(cpu->trigger_armed, 0);
    CU_ASSERT_STRING_EQUAL(cpu_csr_name(CSR_TDATA1), "tdata1");
    CU_ASSERT_EQUAL(cpu_csr_by_name("tinfo"), CSR_TINFO);
    /* M-mode registers */
    set_priv(PRV_S);
    CU_ASSERT_EQUAL(rd(CSR_TSELECT, &v), EXCP_ILLEGAL_INSN);
    CU_ASSERT_EQUAL(rd(CSR_TDATA1, &v), EXCP_ILLEGAL_INSN);
    teardown();
}

static const uint32_t prog_addi[] = {
    0x00150513,     /* addi a0, a0, 1 */
    0x00150513,     /* +4 */
    0x00150513,     /* +8 */
    0x00150513,     /* +12 */
    0x0000006f,     /* j . */
};

static void test_execute(void)
{
    setup();
    load_code(prog_addi, 5);
    /* translated and run before arming: the flush must reach it */
    run();
    CU_ASSERT_EQUAL(cpu->env.gpr[10], 4);
    CU_ASSERT_EQUAL(cpu->env.mcause, 0);
    uint64_t flushes = cpu->stats.tb_flushes;
    arm(0, T_M | T_EXEC, CODE + 8);
    CU_ASSERT_EQUAL(cpu->trigger_armed, TRIGGER_ARMED_EXEC);
    CU_ASSERT_EQUAL(cpu->stats.tb_flushes, flushes + 1);
    cpu->env.gpr[10] = 0;
    uint64_t instret = cpu->env.instret;
    run();
    CU_ASSERT_EQUAL(cpu->env.mcause, EXCP_BREAKPOINT);
    CU_ASSERT_EQUAL(cpu->env.mepc, CODE + 8);
    CU_ASSERT_EQUAL(cpu->env.mtval, CODE + 8);
    CU_ASSERT_EQUAL(cpu->env.gpr[10], 2);           /* the third addi did not run */
    CU_ASSERT_EQUAL(cpu->env.pc, HANDLER);
    /* two addi retired, then the handler's spin */
    CU_ASSERT(cpu->env.instret - instret >= 2);
    /* the M bit alone matters in M */
    arm(0, T_S | T_U | T_EXEC, CODE + 8);
    cpu->env.gpr[10] = 0;
    run();
    CU_ASSERT_EQUAL(cpu->env.mcause, 0);
    CU_ASSERT_EQUAL(cpu->env.gpr[10], 4);
    /* disarmed: blocks are whole again */
    arm(0, 0, CODE + 8);
    CU_ASSERT_EQUAL(cpu->trigger_armed, 0);
    CU_ASSERT_EQUAL(cpu->stats.tb_flushes, flushes + 2);
    cpu->env.gpr[10] = 0;
    run();
    CU_ASSERT_EQUAL(cpu->env.gpr[10], 4);
    teardown();
}

static void test_execute_in_s_delegated(void)
{
    setup();
    load_code(prog_addi, 5);
    wr(CSR_PMPADDR0, ~0ull >> 10);
    wr(CSR_PMPCFG0, 0x1f);
    cpu->env.medeleg = 1ull << EXCP_BREAKPOINT;
    cpu->env.stvec = HANDLER + 0x100;
    arm(1, T_S | T_EXEC, CODE + 12);
    set_priv(PRV_S);
    run();
    CU_ASSERT_EQUAL(cpu->env.scause, EXCP_BREAKPOINT);
    CU_ASSERT_EQUAL(cpu->env.sepc, CODE + 12);
    CU_ASSERT_EQUAL(cpu->env.stval, CODE + 12);
    CU_ASSERT_EQUAL(cpu->env.gpr[10], 3);
    CU_ASSERT_EQUAL(cpu->env.pc, HANDLER + 0x100);
    CU_ASSERT_EQUAL(cpu->env.priv, PRV_S);
    teardown();
}

static const uint32_t prog_mem[] = {
    0x00063583,     /* ld a1, 0(a2) */
    0x00b63423,     /* sd a1, 8(a2) */
    0x00150513,     /* addi a0, a0, 1 */
    0x0000006f,     /* j . */
};

static void test_load_store(void)
{
    setup();
    load_code(prog_mem, 4);
    cpu->env.gpr[12] = DATA;
    run();                               /* fills the TLB's fast-path entries */
    CU_ASSERT_EQUAL(cpu->env.gpr[10], 1);
    /* a load trigger on a byte inside the 8-byte load */
    arm(0, T_M | T_LOAD, DATA + 5);
    CU_ASSERT_EQUAL(cpu->trigger_armed, TRIGGER_ARMED_MEM);
    cpu->env.gpr[10] = 0;
    run();
    CU_ASSERT_EQUAL(cpu->env.mcause, EXCP_BREAKPOINT);
    CU_ASSERT_EQUAL(cpu->env.mepc, CODE);
    CU_ASSERT_EQUAL(cpu->env.mtval, DATA);
    CU_ASSERT_EQUAL(cpu->env.gpr[10], 0);
    /* the store's bytes (DATA+8..15) do not match a load trigger */
    arm(0, T_M | T_LOAD, DATA + 8);
    run();
    CU_ASSERT_EQUAL(cpu->env.mcause, 0);
    CU_ASSERT_EQUAL(cpu->env.gpr[10], 1);
    /* ... a store trigger there does, after the load retired */
    arm(0, T_M | T_STORE, DATA + 15);
    cpu->env.gpr[10] = 0;
    run();
    CU_ASSERT_EQUAL(cpu->env.mcause, EXCP_BREAKPOINT);
    CU_ASSERT_EQUAL(cpu->env.mepc, CODE + 4);
    CU_ASSERT_EQUAL(cpu->env.mtval, DATA + 8);
    /* the byte after the access does not */
    arm(0, T_M | T_STORE, DATA + 16);
    cpu->env.gpr[10] = 0;
    run();
    CU_ASSERT_EQUAL(cpu->env.mcause, 0);
    CU_ASSERT_EQUAL(cpu->env.gpr[10], 1);
    /* both triggers: the first access that matches wins */
    arm(0, T_M | T_STORE, DATA + 8);
    arm(1, T_M | T_LOAD | T_STORE, DATA);
    run();
    CU_ASSERT_EQUAL(cpu->env.mcause, EXCP_BREAKPOINT);
    CU_ASSERT_EQUAL(cpu->env.mepc, CODE);
    /* disarmed: no trap, fast path again */
    arm(0, 0, 0);
    arm(1, 0, 0);
    CU_ASSERT_EQUAL(cpu->trigger_armed, 0);
    cpu->env.gpr[10] = 0;
    run();
    CU_ASSERT_EQUAL(cpu->env.mcause, 0);
    CU_ASSERT_EQUAL(cpu->env.gpr[10], 1);
    teardown();
}

static void test_amo(void)
{
    setup();
    static const uint32_t prog[] = {
        0x00c6b52f,     /* amoadd.d a0, a2, (a3) */
        0x0000006f,     /* j . */
    };
    load_code(prog, 2);
    cpu->env.gpr[13] = DATA;
    arm(0, T_M | T_LOAD, DATA);
    run();
    CU_ASSERT_EQUAL(cpu->env.mcause, EXCP_BREAKPOINT);
    CU_ASSERT_EQUAL(cpu->env.mtval, DATA);
    arm(0, T_M | T_STORE, DATA + 7);
    run();
    CU_ASSERT_EQUAL(cpu->env.mcause, EXCP_BREAKPOINT);
    arm(0, T_M | T_EXEC, CODE + 4);      /* after the AMO */
    run();
    CU_ASSERT_EQUAL(cpu->env.mcause, EXCP_BREAKPOINT);
    CU_ASSERT_EQUAL(cpu->env.mepc, CODE + 4);
    teardown();
}

/* ---- VM state ---- */

static void save(RISCVCPU *c, ChannelBuffer *b)
{
    memset(b, 0, sizeof(*b));
    QEMUFile *f = qemu_file_buffer_writer(b);
    CU_ASSERT_EQUAL_FATAL(vmstate_save(f, &vmstate_riscv_cpu, c, NULL, NULL), 0);
    qemu_file_close(f, NULL);
}

static int load(RISCVCPU *c, const ChannelBuffer *b, Error *err)
{
    QEMUFile *f = qemu_file_buffer_reader(b->data, b->len);
    int ret = vmstate_load(f, &vmstate_riscv_cpu, c, vmstate_riscv_cpu.version_id, err);
    qemu_file_close(f, NULL);
    return ret;
}

static void test_vmstate(void)
{
    setup();
    ChannelBuffer b;
    save(cpu, &b);
    CU_ASSERT_PTR_NULL(memmem(b.data, b.len, "cpu/trigger", 11));
    channel_buffer_free(&b);

    arm(0, T_M | T_EXEC, CODE + 8);
    arm(1, T_S | T_LOAD, DATA);
    save(cpu, &b);
    CU_ASSERT_PTR_NOT_NULL(memmem(b.data, b.len, "cpu/trigger", 11));
    RISCVCPU *other = new_cpu();
    Error err;
    error_init(&err);
    CU_ASSERT_EQUAL(load(other, &b, &err), 0);
    CU_ASSERT_EQUAL(other->env.tselect, 1);
    CU_ASSERT_EQUAL(other->env.tdata1[0], T_M | T_EXEC);
    CU_ASSERT_EQUAL(other->env.tdata2[1], DATA);
    CU_ASSERT_EQUAL(other->trigger_armed, TRIGGER_ARMED_EXEC | TRIGGER_ARMED_MEM);
    /* and it fires on the loaded hart */
    load_code(prog_addi, 5);
    RISCVCPU *keep = cpu;
    cpu = other;
    run();
    CU_ASSERT_EQUAL(cpu->env.mcause, EXCP_BREAKPOINT);
    CU_ASSERT_EQUAL(cpu->env.mepc, CODE + 8);
    cpu = keep;
    channel_buffer_free(&b);

    /* a stream without the subsection disarms: the reset value, not what
     * the hart held before the load */
    RISCVCPU *fresh = new_cpu();
    save(fresh, &b);
    cpu_destroy(fresh);
    free(fresh);
    error_init(&err);
    CU_ASSERT_EQUAL(load(other, &b, &err), 0);
    CU_ASSERT_EQUAL(other->env.tselect, 0);
    CU_ASSERT_EQUAL(other->env.tdata1[0], 0);
    CU_ASSERT_EQUAL(other->env.tdata2[1], 0);
    CU_ASSERT_EQUAL(other->trigger_armed, 0);
    channel_buffer_free(&b);

    /* refused: a trigger that does not exist, bits no write can set */
    cpu->env.tselect = 2;
    save(cpu, &b);
    error_init(&err);
    CU_ASSERT(load(other, &b, &err) < 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "env.tselect"));
    channel_buffer_free(&b);
    cpu->env.tselect = 0;
    cpu->env.tdata1[1] = 0x80;
    save(cpu, &b);
    error_init(&err);
    CU_ASSERT(load(other, &b, &err) < 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "env.tdata1[1]"));
    channel_buffer_free(&b);
    cpu_destroy(other);
    free(other);
    teardown();
}

static const UnitTest tests[] = {
    { "trigger CSRs and WARL rules", test_csrs },
    { "execute trigger in M", test_execute },
    { "execute trigger in S, delegated", test_execute_in_s_delegated },
    { "load and store triggers", test_load_store },
    { "AMO triggers", test_amo },
    { "cpu/trigger subsection", test_vmstate },
    { NULL, NULL },
};

int main(void)
{
    return unit_run("trigger", tests);
}

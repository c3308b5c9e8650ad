/* F and D in the hart: mstatus.FS states and SD, the illegal instruction
 * while FS is Off (instructions run by the executor and fcsr accesses),
 * dynamic rounding, NaN-boxing through fpu_eval, and the "cpu/fpu" VM state
 * subsection: written when needed, reset when absent, refused by a reader
 * that lacks it, and old streams (misa without F/D) still loading. */
#include <stdlib.h>
#include <string.h>

#include "io/channel.h"
#include "target/riscv/cpu-internal.h"
#include "target/riscv/disas.h"
#include "target/riscv/fpu-eval.h"
#include "tests/unit/unit.h"

#define RAM 0x80000000ull
#define TRAP_VEC (RAM + 0x800)
#define J_SELF 0x0000006fu          /* j . */
#define FS_INITIAL (1ull << 13)
#define FS_CLEAN   (2ull << 13)

static PhysMemory mem;
static RISCVCPU *cpu;
static VirtClock clock;

static void setup(void)
{
    memory_init(&mem);
    CU_ASSERT_PTR_NOT_NULL_FATAL(memory_add_ram(&mem, "ram", RAM, 1 << 20));
    cpu = calloc(1, sizeof(*cpu));
    CU_ASSERT_PTR_NOT_NULL_FATAL(cpu);
    CU_ASSERT_FATAL(cpu_init(cpu, &mem, NULL));
    clock_init(&clock, CLOCK_MODE_ICOUNT, 0, cpu_get_icount, cpu);
    cpu->clock = &clock;
    cpu_reset(cpu, RAM);
    cpu->env.mtvec = TRAP_VEC;
    CU_ASSERT(memory_write(&mem, TRAP_VEC, 4, J_SELF));
}

static void teardown(void)
{
    cpu_destroy(cpu);
    free(cpu);
    memory_destroy(&mem);
}

static int csr_rd(int csr, uint64_t *v)
{
    return riscv_csr_access(cpu, csr, v, 0, 0, false);
}

static int csr_wr(int csr, uint64_t v)
{
    return riscv_csr_access(cpu, csr, NULL, v, ~0ull, true);
}

static uint64_t fs(void)
{
    return cpu->env.mstatus & MSTATUS_FS;
}

/* Loads the program at RAM followed by "j .", and runs it to the loop. */
static void run(const uint32_t *insns, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        CU_ASSERT(memory_write(&mem, RAM + 4 * i, 4, insns[i]));
    }
    CU_ASSERT(memory_write(&mem, RAM + 4 * n, 4, J_SELF));
    cpu_tb_flush(cpu);
    cpu->env.pc = RAM;
    cpu->env.mcause = 0;
    cpu_exec(cpu, 1000);
}

enum {
    FMV_D_X_FT0_A0 = 0xf2050053,    /* fmv.d.x ft0, a0 */
    FADD_D_FT1 = 0x020070d3,        /* fadd.d ft1, ft0, ft0 (dyn) */
    FMV_X_D_A1_FT1 = 0xe20085d3,    /* fmv.x.d a1, ft1 */
    FMV_X_D_A1_FT0 = 0xe20005d3,    /* fmv.x.d a1, ft0 */
};

static void test_fs_off_is_illegal(void)
{
    setup();
    CU_ASSERT_EQUAL(cpu->env.misa & (MISA_F | MISA_D), MISA_F | MISA_D);
    CU_ASSERT_EQUAL(fs(), 0);
    uint64_t v;
    CU_ASSERT_EQUAL(csr_rd(CSR_FCSR, &v), EXCP_ILLEGAL_INSN);
    CU_ASSERT_EQUAL(csr_rd(CSR_FFLAGS, &v), EXCP_ILLEGAL_INSN);
    CU_ASSERT_EQUAL(csr_wr(CSR_FRM, 1), EXCP_ILLEGAL_INSN);
    static const uint32_t prog[] = { 0x00100513 /* li a0, 1 */, FMV_D_X_FT0_A0 };
    run(prog, 2);
    CU_ASSERT_EQUAL(cpu->env.mcause, EXCP_ILLEGAL_INSN);
    CU_ASSERT_EQUAL(cpu->env.mepc, RAM + 4);
    CU_ASSERT_EQUAL(cpu->env.mtval, FMV_D_X_FT0_A0);
    CU_ASSERT_EQUAL(cpu->env.gpr[10], 1);          /* the integer one ran */
    CU_ASSERT_EQUAL(cpu->env.fpr[0], 0);
    /* compressed: c.fldsp ft0, 0(sp) */
    static const uint32_t cprog[] = { 0x00012002 };  /* c.fldsp, then c.nop */
    run(cprog, 1);
    CU_ASSERT_EQUAL(cpu->env.mcause, EXCP_ILLEGAL_INSN);
    CU_ASSERT_EQUAL(cpu->env.mtval, 0x2002);
    teardown();
}

static void test_fs_transitions(void)
{
    setup();
    /* FS and SD through mstatus and the sstatus view */
    CU_ASSERT_EQUAL(csr_wr(CSR_MSTATUS, cpu->env.mstatus | FS_INITIAL), EXCP_NONE);
    CU_ASSERT_EQUAL(fs(), FS_INITIAL);
    CU_ASSERT_EQUAL(cpu->env.mstatus & MSTATUS_SD, 0);
    /* Initial -> Dirty when an f register is written */
    cpu->env.gpr[10] = 0x4000000000000000ull;         /* 2.0 */
    static const uint32_t prog[] = { FMV_D_X_FT0_A0, FADD_D_FT1, FMV_X_D_A1_FT1 };
    run(prog, 3);
    CU_ASSERT_EQUAL(cpu->env.mcause, 0);
    CU_ASSERT_EQUAL(cpu->env.gpr[11], 0x4010000000000000ull);   /* 4.0 */
    CU_ASSERT_EQUAL(fs(), MSTATUS_FS);
    CU_ASSERT((cpu->env.mstatus & MSTATUS_SD) != 0);
    uint64_t v;
    CU_ASSERT_EQUAL(csr_rd(CSR_SSTATUS, &v), EXCP_NONE);
    CU_ASSERT_EQUAL(v & (MSTATUS_FS | MSTATUS_SD), MSTATUS_FS | MSTATUS_SD);
    /* Clean stays Clean on reads only */
    CU_ASSERT_EQUAL(csr_wr(CSR_SSTATUS, (v & ~MSTATUS_FS) | FS_CLEAN), EXCP_NONE);
    CU_ASSERT_EQUAL(fs(), FS_CLEAN);
    CU_ASSERT_EQUAL(cpu->env.mstatus & MSTATUS_SD, 0);
    static const uint32_t rd_only[] = { FMV_X_D_A1_FT0 };
    run(rd_only, 1);
    CU_ASSERT_EQUAL(cpu->env.gpr[11], 0x4000000000000000ull);
    CU_ASSERT_EQUAL(fs(), FS_CLEAN);
    CU_ASSERT_EQUAL(csr_rd(CSR_FCSR, &v), EXCP_NONE);
    CU_ASSERT_EQUAL(fs(), FS_CLEAN);
    /* ... and a write to fcsr dirties it */
    CU_ASSERT_EQUAL(csr_wr(CSR_FRM, 2), EXCP_NONE);
    CU_ASSERT_EQUAL(fs(), MSTATUS_FS);
    CU_ASSERT_EQUAL(cpu->env.fcsr, 2 << 5);
    /* info registers' FP part: only while FS is not Off (or asked for) */
    char dump[2048];
    CU_ASSERT(cpu_dump_fpu(cpu, false, dump, sizeof(dump)) > 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(dump, " fcsr     0000000000000040\n"));
    CU_ASSERT_PTR_NOT_NULL(strstr(dump, " f0/ft0   4000000000000000 f1/ft1   4010000000000000"));
    CU_ASSERT_PTR_NOT_NULL(strstr(dump, " f31/ft11 0000000000000000\n"));
    uint64_t saved_ms = cpu->env.mstatus;
    cpu->env.mstatus &= ~(MSTATUS_FS | MSTATUS_SD);
    CU_ASSERT_EQUAL(cpu_dump_fpu(cpu, false, dump, sizeof(dump)), 0);
    CU_ASSERT(cpu_dump_fpu(cpu, true, dump, sizeof(dump)) > 0);
    cpu->env.mstatus = saved_ms;
    /* dynamic rounding with an invalid frm is illegal at run time */
    CU_ASSERT_EQUAL(csr_wr(CSR_FRM, 6), EXCP_NONE);
    run(prog + 1, 1);
    CU_ASSERT_EQUAL(cpu->env.mcause, EXCP_ILLEGAL_INSN);
    CU_ASSERT_EQUAL(cpu->env.mtval, FADD_D_FT1);
    /* a hart without F (loaded from an old Amber, FS Off) keeps FS Off */
    cpu->env.misa &= ~(MISA_F | MISA_D);
    cpu->env.mstatus &= ~(MSTATUS_FS | MSTATUS_SD);
    CU_ASSERT_EQUAL(csr_wr(CSR_MSTATUS, cpu->env.mstatus | MSTATUS_FS), EXCP_NONE);
    CU_ASSERT_EQUAL(fs(), 0);
    CU_ASSERT_EQUAL(cpu->env.mstatus & MSTATUS_SD, 0);
    /* reset: F and D back, FS Off, registers cleared */
    cpu_reset(cpu, RAM);
    CU_ASSERT_EQUAL(cpu->env.misa & (MISA_F | MISA_D), MISA_F | MISA_D);
    CU_ASSERT_EQUAL(fs(), 0);
    CU_ASSERT_EQUAL(cpu->env.fpr[1], 0);
    CU_ASSERT_EQUAL(cpu->env.fcsr, 0);
    teardown();
}

static void test_eval_boxing_and_rm(void)
{
    FPUEval r;
    /* fadd.s ft2, ft0, ft1 (dyn) */
    CU_ASSERT(fpu_eval(0x00107153, 0xffffffff3f800000ull, 0xffffffff3f800000ull, 0, 0, &r));
    CU_ASSERT_EQUAL(r.value, 0xffffffff40000000ull);
    CU_ASSERT_FALSE(r.to_x);
    CU_ASSERT_EQUAL(r.fflags, 0);
    /* an improperly boxed operand reads as the canonical NaN */
    CU_ASSERT(fpu_eval(0x00107153, 0x000000003f800000ull, 0xffffffff3f800000ull, 0, 0, &r));
    CU_ASSERT_EQUAL(r.value, 0xffffffff7fc00000ull);
    CU_ASSERT_EQUAL(r.fflags, 0);
    /* fmv.x.w a0, ft0 copies the low bits whatever the boxing */
    CU_ASSERT(fpu_eval(0xe0000553, 0x12345678bf800000ull, 0, 0, 0, &r));
    CU_ASSERT(r.to_x);
    CU_ASSERT_EQUAL(r.value, 0xffffffffbf800000ull);
    /* fmv.w.x ft0, a0 boxes */
    CU_ASSERT(fpu_eval(0xf0050053, 0xabcdef013f800000ull, 0, 0, 0, &r));
    CU_ASSERT_EQUAL(r.value, 0xffffffff3f800000ull);
    /* fdiv.d ft2, ft0, ft1 dyn: frm decides; frm 5 or 7 is illegal */
    CU_ASSERT(fpu_eval(0x1a107153, 0x3ff0000000000000ull, 0x4008000000000000ull, 0, 3, &r));
    CU_ASSERT_EQUAL(r.value, 0x3fd5555555555556ull);
    CU_ASSERT_EQUAL(r.fflags, 1);
    CU_ASSERT_FALSE(fpu_eval(0x1a107153, 0, 0, 0, 5, &r));
    CU_ASSERT_FALSE(fpu_eval(0x1a107153, 0, 0, 0, 7, &r));
    /* static rm 5 and loads are not computational / legal */
    CU_ASSERT_FALSE(fpu_eval(0x1a105153, 0, 0, 0, 0, &r));
    CU_ASSERT_FALSE(fpu_eval(0x00053507, 0, 0, 0, 0, &r));
    /* fmadd.d ft2, ft0, ft1, ft3 uses rs3 */
    CU_ASSERT(fpu_eval(0x1a107143, 0x4000000000000000ull, 0x4008000000000000ull,
                       0x3ff0000000000000ull, 0, &r));
    CU_ASSERT_EQUAL(r.value, 0x401c000000000000ull);        /* 7.0 */
    /* fcvt.w.d a0, ft0, rtz on NaN: saturates, NV */
    CU_ASSERT(fpu_eval(0xc2001553, 0x7ff8000000000000ull, 0, 0, 0, &r));
    CU_ASSERT_EQUAL(r.value, 0x7fffffff);
    CU_ASSERT_EQUAL(r.fflags, 16);
}

/* ---- VM state ---- */

/* b must start zeroed; a previous stream in it is freed */
static size_t save(ChannelBuffer *b, const VMStateDescription *vmsd)
{
    channel_buffer_free(b);
    memset(b, 0, sizeof(*b));
    QEMUFile *f = qemu_file_buffer_writer(b);
    CU_ASSERT_EQUAL(vmstate_save(f, vmsd, cpu, NULL, NULL), 0);
    qemu_file_close(f, NULL);
    return b->len;
}

static int load(const ChannelBuffer *b, const VMStateDescription *vmsd, Error *err)
{
    QEMUFile *f = qemu_file_buffer_reader(b->data, b->len);
    int ret = vmstate_load(f, vmsd, cpu, vmsd->version_id, err);
    if (ret == 0) {
        CU_ASSERT_EQUAL(qemu_file_tell(f), b->len);
    }
    qemu_file_close(f, NULL);
    return ret;
}

static bool has_subsection(const ChannelBuffer *b)
{
    static const char name[] = "cpu/fpu";
    for (size_t i = 0; i + sizeof(name) - 1 <= b->len; i++) {
        if (!memcmp(b->data + i, name, sizeof(name) - 1)) {
            return true;
        }
    }
    return false;
}

static void test_vmstate_subsection(void)
{
    ChannelBuffer b = { 0 }, b_off = { 0 };
    Error err;
    setup();
    /* the reset state: no subsection, the stream is the old layout */
    size_t old_len = save(&b_off, &vmstate_riscv_cpu);
    CU_ASSERT_FALSE(has_subsection(&b_off));
    /* FS Dirty with values: written, and restored exactly */
    cpu->env.mstatus |= MSTATUS_FS | MSTATUS_SD;
    for (int i = 0; i < 32; i++) {
        cpu->env.fpr[i] = 0x0123456789abcdefull * (uint64_t)(i + 1);
    }
    cpu->env.fcsr = 0x65;
    CPURISCVState saved = cpu->env;
    CU_ASSERT(save(&b, &vmstate_riscv_cpu) > old_len);
    CU_ASSERT(has_subsection(&b));
    memset(cpu->env.fpr, 0xaa, sizeof(cpu->env.fpr));
    cpu->env.fcsr = 0;
    error_init(&err);
    CU_ASSERT_EQUAL(load(&b, &vmstate_riscv_cpu, &err), 0);
    CU_ASSERT_EQUAL(memcmp(&saved, &cpu->env, sizeof(saved)), 0);
    /* a stream without it resets the FP state (FS Off, registers 0) */
    error_init(&err);
    CU_ASSERT_EQUAL(load(&b_off, &vmstate_riscv_cpu, &err), 0);
    CU_ASSERT_EQUAL(fs(), 0);
    CU_ASSERT_EQUAL(cpu->env.fpr[5], 0);
    CU_ASSERT_EQUAL(cpu->env.fcsr, 0);
    /* FS Off with live registers (a kernel between tasks) is still saved */
    cpu->env.fpr[7] = 0x4000000000000000ull;
    save(&b, &vmstate_riscv_cpu);
    CU_ASSERT(has_subsection(&b));
    cpu->env.fpr[7] = 0;
    error_init(&err);
    CU_ASSERT_EQUAL(load(&b, &vmstate_riscv_cpu, &err), 0);
    CU_ASSERT_EQUAL(cpu->env.fpr[7], 0x4000000000000000ull);
    /* a reader without the subsection refuses it by name */
    VMStateDescription older = vmstate_riscv_cpu;
    older.subsections = NULL;
    error_init(&err);
    CU_ASSERT(load(&b, &older, &err) < 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "VM subsection 'cpu/fpu' in 'cpu' does not exist"));
    /* fcsr bits above 7 are refused */
    cpu->env.fcsr = 0x100;
    save(&b, &vmstate_riscv_cpu);
    error_init(&err);
    CU_ASSERT(load(&b, &vmstate_riscv_cpu, &err) < 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "env.fcsr"));
    channel_buffer_free(&b);
    channel_buffer_free(&b_off);
    teardown();
}

static void test_vmstate_old_misa(void)
{
    ChannelBuffer b = { 0 };
    Error err;
    setup();
    /* what an Amber before F/D wrote: misa without F and D, FS 0, no
     * subsection */
    uint64_t model = cpu->env.misa;
    cpu->env.misa = model & ~(MISA_F | MISA_D);
    cpu->env.gpr[5] = 77;
    save(&b, &vmstate_riscv_cpu);
    CU_ASSERT_FALSE(has_subsection(&b));
    cpu_reset(cpu, RAM);
    error_init(&err);
    CU_ASSERT_EQUAL(load(&b, &vmstate_riscv_cpu, &err), 0);
    CU_ASSERT_EQUAL(cpu->env.misa, model & ~(MISA_F | MISA_D));
    CU_ASSERT_EQUAL(cpu->env.gpr[5], 77);
    /* the guest keeps its FPU-less hart: FS cannot be turned on */
    CU_ASSERT_EQUAL(csr_wr(CSR_MSTATUS, cpu->env.mstatus | FS_INITIAL), EXCP_NONE);
    CU_ASSERT_EQUAL(fs(), 0);
    /* such a misa with FS on is inconsistent */
    cpu->env.mstatus |= FS_INITIAL;
    save(&b, &vmstate_riscv_cpu);
    error_init(&err);
    CU_ASSERT(load(&b, &vmstate_riscv_cpu, &err) < 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "has no F"));
    /* other misa values are still refused */
    cpu->env.mstatus &= ~MSTATUS_FS;
    cpu->env.misa = model & ~MISA_D;
    save(&b, &vmstate_riscv_cpu);
    error_init(&err);
    CU_ASSERT(load(&b, &vmstate_riscv_cpu, &err) < 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "env.misa"));
    channel_buffer_free(&b);
    teardown();
}

/* objdump -M no-aliases spellings */
static void test_disas(void)
{
    static const struct { uint32_t insn; const char *text; } c[] = {
        { 0x00000000 | 0x2388, "c.fld   fa0,0(a5)" },
        { 0xa42e, "c.fsdsp fa1,8(sp)" },
        { 0x22a2, "c.fldsp ft5,8(sp)" },
        { 0x10104153, "fmul.s  ft2,ft0,ft1,rmm" },
        { 0x1a107143, "fmadd.d ft2,ft0,ft1,ft3" },
        { 0x42000153, "fcvt.d.s ft2,ft0" },
        { 0xd22ab153, "fcvt.d.l ft2,s5,rup" },
        { 0xc2001553, "fcvt.w.d a0,ft0,rtz" },
        { 0xa20027d3, "feq.d   a5,ft0,ft0" },
        { 0xe0000553, "fmv.x.w a0,ft0" },
        { 0x00842207, "flw     ft4,8(s0)" },
        { 0x02c5d553, "illegal" },
    };
    for (unsigned i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
        uint8_t b[4] = { (uint8_t)c[i].insn, (uint8_t)(c[i].insn >> 8),
                         (uint8_t)(c[i].insn >> 16), (uint8_t)(c[i].insn >> 24) };
        char out[96];
        disas_riscv(0x80000000, b, 4, out, sizeof(out));
        CU_ASSERT_STRING_EQUAL(out, c[i].text);
    }
}

static const UnitTest tests[] = {
    { "disassembly of F/D instructions", test_disas },
    { "FS=Off makes FP instructions and fcsr illegal", test_fs_off_is_illegal },
    { "FS Initial/Clean/Dirty, SD, sstatus, dynamic rm", test_fs_transitions },
    { "fpu_eval: NaN-boxing, rounding modes, legality", test_eval_boxing_and_rm },
    { "VM state: the cpu/fpu subsection", test_vmstate_subsection },
    { "VM state: streams of a hart without F/D", test_vmstate_old_misa },
    { NULL, NULL },
};

int main(void)
{
    return unit_run("fpu", tests);
}

/* The hart as gdb sees it: register numbers, their values, and the target
 * description (qXfer:features:read) that names them. The numbers are those
 * of gdb's own riscv target (riscv-tdep.h: x0..x31, pc, f0..f31, CSR n at
 * 65 + n, priv after the CSRs), so a remote 'p' and gdb's internal number
 * agree with or without the description.
 *
 * Features: org.gnu.gdb.riscv.cpu, .fpu (with fflags, frm, fcsr, 32 bits
 * each as QEMU gives them), .virtual (priv, as QEMU) and .csr (the CSRs
 * Amber implements, GDB_CSRS below). */
#include <string.h>

#include "target/riscv/csr.h"

/* name, number, gdb register number (65 + number, as a string for the
 * description; test-gdb checks the two agree). */
#define GDB_CSRS(X) \
    X(sstatus, 0x100, "321") \
    X(sie, 0x104, "325") \
    X(stvec, 0x105, "326") \
    X(scounteren, 0x106, "327") \
    X(senvcfg, 0x10a, "331") \
    X(sscratch, 0x140, "385") \
    X(sepc, 0x141, "386") \
    X(scause, 0x142, "387") \
    X(stval, 0x143, "388") \
    X(sip, 0x144, "389") \
    X(stimecmp, 0x14d, "398") \
    X(satp, 0x180, "449") \
    X(mstatus, 0x300, "833") \
    X(misa, 0x301, "834") \
    X(medeleg, 0x302, "835") \
    X(mideleg, 0x303, "836") \
    X(mie, 0x304, "837") \
    X(mtvec, 0x305, "838") \
    X(mcounteren, 0x306, "839") \
    X(menvcfg, 0x30a, "843") \
    X(mcountinhibit, 0x320, "865") \
    X(mscratch, 0x340, "897") \
    X(mepc, 0x341, "898") \
    X(mcause, 0x342, "899") \
    X(mtval, 0x343, "900") \
    X(mip, 0x344, "901") \
    X(pmpcfg0, 0x3a0, "993") \
    X(pmpcfg2, 0x3a2, "995") \
    X(pmpaddr0, 0x3b0, "1009") \
    X(pmpaddr1, 0x3b1, "1010") \
    X(pmpaddr2, 0x3b2, "1011") \
    X(pmpaddr3, 0x3b3, "1012") \
    X(pmpaddr4, 0x3b4, "1013") \
    X(pmpaddr5, 0x3b5, "1014") \
    X(pmpaddr6, 0x3b6, "1015") \
    X(pmpaddr7, 0x3b7, "1016") \
    X(pmpaddr8, 0x3b8, "1017") \
    X(pmpaddr9, 0x3b9, "1018") \
    X(pmpaddr10, 0x3ba, "1019") \
    X(pmpaddr11, 0x3bb, "1020") \
    X(pmpaddr12, 0x3bc, "1021") \
    X(pmpaddr13, 0x3bd, "1022") \
    X(pmpaddr14, 0x3be, "1023") \
    X(pmpaddr15, 0x3bf, "1024") \
    X(tselect, 0x7a0, "2017") \
    X(tdata1, 0x7a1, "2018") \
    X(tdata2, 0x7a2, "2019") \
    X(tdata3, 0x7a3, "2020") \
    X(mcycle, 0xb00, "2881") \
    X(minstret, 0xb02, "2883") \
    X(cycle, 0xc00, "3137") \
    X(time, 0xc01, "3138") \
    X(instret, 0xc02, "3139") \
    X(mvendorid, 0xf11, "3922") \
    X(marchid, 0xf12, "3923") \
    X(mimpid, 0xf13, "3924") \
    X(mhartid, 0xf14, "3925")

#define GDB_XML_CSR(name, num, regnum) \
    "<reg name=\"" #name "\" bitsize=\"64\" regnum=\"" regnum "\"/>"

static const char gdb_target_xml[] =
    "<?xml version=\"1.0\"?>"
    "<!DOCTYPE target SYSTEM \"gdb-target.dtd\">"
    "<target version=\"1.0\">"
    "<architecture>riscv:rv64</architecture>"
    "<feature name=\"org.gnu.gdb.riscv.cpu\">"
    "<reg name=\"zero\" bitsize=\"64\" type=\"int\" regnum=\"0\"/>"
    "<reg name=\"ra\" bitsize=\"64\" type=\"code_ptr\" regnum=\"1\"/>"
    "<reg name=\"sp\" bitsize=\"64\" type=\"data_ptr\" regnum=\"2\"/>"
    "<reg name=\"gp\" bitsize=\"64\" type=\"data_ptr\" regnum=\"3\"/>"
    "<reg name=\"tp\" bitsize=\"64\" type=\"data_ptr\" regnum=\"4\"/>"
    "<reg name=\"t0\" bitsize=\"64\" type=\"int\" regnum=\"5\"/>"
    "<reg name=\"t1\" bitsize=\"64\" type=\"int\" regnum=\"6\"/>"
    "<reg name=\"t2\" bitsize=\"64\" type=\"int\" regnum=\"7\"/>"
    "<reg name=\"fp\" bitsize=\"64\" type=\"data_ptr\" regnum=\"8\"/>"
    "<reg name=\"s1\" bitsize=\"64\" type=\"int\" regnum=\"9\"/>"
    "<reg name=\"a0\" bitsize=\"64\" type=\"int\" regnum=\"10\"/>"
    "<reg name=\"a1\" bitsize=\"64\" type=\"int\" regnum=\"11\"/>"
    "<reg name=\"a2\" bitsize=\"64\" type=\"int\" regnum=\"12\"/>"
    "<reg name=\"a3\" bitsize=\"64\" type=\"int\" regnum=\"13\"/>"
    "<reg name=\"a4\" bitsize=\"64\" type=\"int\" regnum=\"14\"/>"
    "<reg name=\"a5\" bitsize=\"64\" type=\"int\" regnum=\"15\"/>"
    "<reg name=\"a6\" bitsize=\"64\" type=\"int\" regnum=\"16\"/>"
    "<reg name=\"a7\" bitsize=\"64\" type=\"int\" regnum=\"17\"/>"
    "<reg name=\"s2\" bitsize=\"64\" type=\"int\" regnum=\"18\"/>"
    "<reg name=\"s3\" bitsize=\"64\" type=\"int\" regnum=\"19\"/>"
    "<reg name=\"s4\" bitsize=\"64\" type=\"int\" regnum=\"20\"/>"
    "<reg name=\"s5\" bitsize=\"64\" type=\"int\" regnum=\"21\"/>"
    "<reg name=\"s6\" bitsize=\"64\" type=\"int\" regnum=\"22\"/>"
    "<reg name=\"s7\" bitsize=\"64\" type=\"int\" regnum=\"23\"/>"
    "<reg name=\"s8\" bitsize=\"64\" type=\"int\" regnum=\"24\"/>"
    "<reg name=\"s9\" bitsize=\"64\" type=\"int\" regnum=\"25\"/>"
    "<reg name=\"s10\" bitsize=\"64\" type=\"int\" regnum=\"26\"/>"
    "<reg name=\"s11\" bitsize=\"64\" type=\"int\" regnum=\"27\"/>"
    "<reg name=\"t3\" bitsize=\"64\" type=\"int\" regnum=\"28\"/>"
    "<reg name=\"t4\" bitsize=\"64\" type=\"int\" regnum=\"29\"/>"
    "<reg name=\"t5\" bitsize=\"64\" type=\"int\" regnum=\"30\"/>"
    "<reg name=\"t6\" bitsize=\"64\" type=\"int\" regnum=\"31\"/>"
    "<reg name=\"pc\" bitsize=\"64\" type=\"code_ptr\" regnum=\"32\"/>"
    "</feature>"
    "<feature name=\"org.gnu.gdb.riscv.fpu\">"
    "<union id=\"riscv_double\">"
    "<field name=\"float\" type=\"ieee_single\"/>"
    "<field name=\"double\" type=\"ieee_double\"/>"
    "</union>"
    "<reg name=\"ft0\" bitsize=\"64\" type=\"riscv_double\" regnum=\"33\"/>"
    "<reg name=\"ft1\" bitsize=\"64\" type=\"riscv_double\" regnum=\"34\"/>"
    "<reg name=\"ft2\" bitsize=\"64\" type=\"riscv_double\" regnum=\"35\"/>"
    "<reg name=\"ft3\" bitsize=\"64\" type=\"riscv_double\" regnum=\"36\"/>"
    "<reg name=\"ft4\" bitsize=\"64\" type=\"riscv_double\" regnum=\"37\"/>"
    "<reg name=\"ft5\" bitsize=\"64\" type=\"riscv_double\" regnum=\"38\"/>"
    "<reg name=\"ft6\" bitsize=\"64\" type=\"riscv_double\" regnum=\"39\"/>"
    "<reg name=\"ft7\" bitsize=\"64\" type=\"riscv_double\" regnum=\"40\"/>"
    "<reg name=\"fs0\" bitsize=\"64\" type=\"riscv_double\" regnum=\"41\"/>"
    "<reg name=\"fs1\" bitsize=\"64\" type=\"riscv_double\" regnum=\"42\"/>"
    "<reg name=\"fa0\" bitsize=\"64\" type=\"riscv_double\" regnum=\"43\"/>"
    "<reg name=\"fa1\" bitsize=\"64\" type=\"riscv_double\" regnum=\"44\"/>"
    "<reg name=\"fa2\" bitsize=\"64\" type=\"riscv_double\" regnum=\"45\"/>"
    "<reg name=\"fa3\" bitsize=\"64\" type=\"riscv_double\" regnum=\"46\"/>"
    "<reg name=\"fa4\" bitsize=\"64\" type=\"riscv_double\" regnum=\"47\"/>"
    "<reg name=\"fa5\" bitsize=\"64\" type=\"riscv_double\" regnum=\"48\"/>"
    "<reg name=\"fa6\" bitsize=\"64\" type=\"riscv_double\" regnum=\"49\"/>"
    "<reg name=\"fa7\" bitsize=\"64\" type=\"riscv_double\" regnum=\"50\"/>"
    "<reg name=\"fs2\" bitsize=\"64\" type=\"riscv_double\" regnum=\"51\"/>"
    "<reg name=\"fs3\" bitsize=\"64\" type=\"riscv_double\" regnum=\"52\"/>"
    "<reg name=\"fs4\" bitsize=\"64\" type=\"riscv_double\" regnum=\"53\"/>"
    "<reg name=\"fs5\" bitsize=\"64\" type=\"riscv_double\" regnum=\"54\"/>"
    "<reg name=\"fs6\" bitsize=\"64\" type=\"riscv_double\" regnum=\"55\"/>"
    "<reg name=\"fs7\" bitsize=\"64\" type=\"riscv_double\" regnum=\"56\"/>"
    "<reg name=\"fs8\" bitsize=\"64\" type=\"riscv_double\" regnum=\"57\"/>"
    "<reg name=\"fs9\" bitsize=\"64\" type=\"riscv_double\" regnum=\"58\"/>"
    "<reg name=\"fs10\" bitsize=\"64\" type=\"riscv_double\" regnum=\"59\"/>"
    "<reg name=\"fs11\" bitsize=\"64\" type=\"riscv_double\" regnum=\"60\"/>"
    "<reg name=\"ft8\" bitsize=\"64\" type=\"riscv_double\" regnum=\"61\"/>"
    "<reg name=\"ft9\" bitsize=\"64\" type=\"riscv_double\" regnum=\"62\"/>"
    "<reg name=\"ft10\" bitsize=\"64\" type=\"riscv_double\" regnum=\"63\"/>"
    "<reg name=\"ft11\" bitsize=\"64\" type=\"riscv_double\" regnum=\"64\"/>"
    "<reg name=\"fflags\" bitsize=\"32\" type=\"int\" regnum=\"66\"/>"
    "<reg name=\"frm\" bitsize=\"32\" type=\"int\" regnum=\"67\"/>"
    "<reg name=\"fcsr\" bitsize=\"32\" type=\"int\" regnum=\"68\"/>"
    "</feature>"
    "<feature name=\"org.gnu.gdb.riscv.virtual\">"
    "<reg name=\"priv\" bitsize=\"64\" regnum=\"4161\"/>"
    "</feature>"
    "<feature name=\"org.gnu.gdb.riscv.csr\">"
    GDB_CSRS(GDB_XML_CSR)
    "</feature>"
    "</target>";

_Static_assert(CPU_GDB_PRIV == 4161, "priv's number in the description");

const char *cpu_gdb_xml(const char *annex)
{
    return strcmp(annex, "target.xml") == 0 ? gdb_target_xml : NULL;
}

/* The CSRs the description lists: others are no registers to gdb. */
static bool gdb_csr_listed(int csrno)
{
#define GDB_CSR_CASE(name, num, regnum) case num:
    switch (csrno) {
    GDB_CSRS(GDB_CSR_CASE)
        return true;
    default:
        return false;
    }
#undef GDB_CSR_CASE
}

static unsigned put64(uint8_t *buf, uint64_t v, unsigned len)
{
    for (unsigned i = 0; i < len; i++) {
        buf[i] = (uint8_t)(v >> (8 * i));
    }
    return len;
}

static uint64_t get64(const uint8_t *buf, unsigned len)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < len && i < 8; i++) {
        v |= (uint64_t)buf[i] << (8 * i);
    }
    return v;
}

unsigned cpu_gdb_read_reg(RISCVCPU *cpu, int regno, uint8_t *buf)
{
    const CPURISCVState *env = &cpu->env;
    if (regno >= 0 && regno < 32) {
        return put64(buf, regno ? env->gpr[regno] : 0, 8);
    }
    if (regno == CPU_GDB_PC) {
        return put64(buf, env->pc, 8);
    }
    if (regno >= CPU_GDB_F0 && regno < CPU_GDB_F0 + 32) {
        return put64(buf, env->fpr[regno - CPU_GDB_F0], 8);
    }
    if (regno == CPU_GDB_PRIV) {
        return put64(buf, env->priv, 8);
    }
    int csrno = regno - CPU_GDB_CSR0;
    switch (csrno) {
    case CSR_FFLAGS:
        return put64(buf, env->fcsr & 0x1f, 4);
    case CSR_FRM:
        return put64(buf, (env->fcsr >> 5) & 7, 4);
    case CSR_FCSR:
        return put64(buf, env->fcsr & 0xff, 4);
    }
    uint64_t v;
    if (!gdb_csr_listed(csrno) || !cpu_csr_peek(cpu, csrno, &v)) {
        return 0;
    }
    return put64(buf, v, 8);
}

/* A CSR write as an M-mode csrw would do it (side effects included:
 * satp flushes, mstatus recomputes the MMU contexts), whatever mode the
 * hart is in; the mode is then given back. */
static bool gdb_write_csr(RISCVCPU *cpu, int csrno, uint64_t v)
{
    uint8_t priv = cpu->env.priv;
    cpu->env.priv = PRV_M;
    int r = riscv_csr_access(cpu, csrno, NULL, v, ~0ull, true);
    cpu->env.priv = priv;
    riscv_update_mmu_idx(cpu);
    cpu->translation_changed = true;
    return r == EXCP_NONE;
}

bool cpu_gdb_write_reg(RISCVCPU *cpu, int regno, const uint8_t *buf, unsigned len)
{
    CPURISCVState *env = &cpu->env;
    uint64_t v = get64(buf, len);
    if (regno >= 0 && regno < 32) {
        if (regno) {
            env->gpr[regno] = v;     /* x0 stays zero */
        }
        return true;
    }
    if (regno == CPU_GDB_PC) {
        env->pc = v & ~1ull;
        return true;
    }
    if (regno >= CPU_GDB_F0 && regno < CPU_GDB_F0 + 32) {
        env->fpr[regno - CPU_GDB_F0] = v;
        return true;
    }
    if (regno == CPU_GDB_PRIV) {
        if (v != PRV_U && v != PRV_S && v != PRV_M) {
            return false;
        }
        env->priv = (uint8_t)v;
        riscv_update_mmu_idx(cpu);
        cpu->translation_changed = true;
        return true;
    }
    int csrno = regno - CPU_GDB_CSR0;
    switch (csrno) {
    case CSR_FFLAGS:
        env->fcsr = (env->fcsr & ~0x1fu) | (uint32_t)(v & 0x1f);
        return true;
    case CSR_FRM:
        env->fcsr = (env->fcsr & ~0xe0u) | (uint32_t)((v & 7) << 5);
        return true;
    case CSR_FCSR:
        env->fcsr = (uint32_t)(v & 0xff);
        return true;
    }
    return gdb_csr_listed(csrno) && gdb_write_csr(cpu, csrno, v);
}

/* Zihpm as QEMU's default CPU shows it without a PMU model: hpmcounter3..31
 * read 0 under the same mcounteren/scounteren gating as cycle; the machine
 * counters mhpmcounter3..31 and their selectors mhpmevent3..31 are WARL
 * zero. OpenSBI counts its usable counters by writing and reading them back,
 * so it finds none. */
#include "target/riscv/csr.h"

static int read_hpmcounter(RISCVCPU *cpu, int csrno, uint64_t *val)
{
    if (riscv_csr_counter_allowed(cpu, csrno) != EXCP_NONE) {
        return EXCP_ILLEGAL_INSN;
    }
    *val = 0;
    return EXCP_NONE;
}

static int read_zero(RISCVCPU *cpu, int csrno, uint64_t *val)
{
    *val = 0;
    return EXCP_NONE;
}

static int write_ignore(RISCVCPU *cpu, int csrno, uint64_t val)
{
    return EXCP_NONE;
}

#define HPM(i) \
    { CSR_HPMCOUNTER3 + (i) - 3, "hpmcounter" #i, 0, 0, read_hpmcounter, NULL }, \
    { CSR_MHPMCOUNTER3 + (i) - 3, "mhpmcounter" #i, 0, 0, read_zero, write_ignore }, \
    { CSR_MHPMEVENT3 + (i) - 3, "mhpmevent" #i, 0, 0, read_zero, write_ignore }

static const CSRInfo csr_hpm[] = {
    HPM(3), HPM(4), HPM(5), HPM(6), HPM(7), HPM(8), HPM(9), HPM(10),
    HPM(11), HPM(12), HPM(13), HPM(14), HPM(15), HPM(16), HPM(17), HPM(18),
    HPM(19), HPM(20), HPM(21), HPM(22), HPM(23), HPM(24), HPM(25), HPM(26),
    HPM(27), HPM(28), HPM(29), HPM(30), HPM(31),
};

const CSRTable csr_table_hpm = CSR_TABLE(csr_hpm);

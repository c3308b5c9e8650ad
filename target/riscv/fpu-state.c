/* The FP state outside the instructions: the fflags, frm and fcsr CSRs
 * (their CSR table) and the register dump of info registers. */
#include <stdio.h>

#include "target/riscv/csr.h"
#include "target/riscv/fpu.h"

int riscv_fp_csr_read(RISCVCPU *cpu, int csrno, uint64_t *val)
{
    uint32_t fcsr = cpu->env.fcsr;
    if (!(cpu->env.mstatus & MSTATUS_FS)) {
        return EXCP_ILLEGAL_INSN;
    }
    switch (csrno) {
    case CSR_FFLAGS: *val = fcsr & FCSR_FFLAGS_MASK; break;
    case CSR_FRM:    *val = (fcsr >> FCSR_FRM_SHIFT) & 7; break;
    default:         *val = fcsr & FCSR_MASK; break;
    }
    return EXCP_NONE;
}

int riscv_fp_csr_write(RISCVCPU *cpu, int csrno, uint64_t val)
{
    CPURISCVState *env = &cpu->env;
    if (!(env->mstatus & MSTATUS_FS)) {
        return EXCP_ILLEGAL_INSN;
    }
    switch (csrno) {
    case CSR_FFLAGS:
        env->fcsr = (env->fcsr & ~FCSR_FFLAGS_MASK) | (uint32_t)(val & FCSR_FFLAGS_MASK);
        break;
    case CSR_FRM:
        /* any frm is stored; an invalid one traps when an instruction uses it */
        env->fcsr = (env->fcsr & FCSR_FFLAGS_MASK) | (uint32_t)(val & 7) << FCSR_FRM_SHIFT;
        break;
    default:
        env->fcsr = (uint32_t)(val & FCSR_MASK);
        break;
    }
    riscv_fs_set_dirty(env);
    return EXCP_NONE;
}

static const CSRInfo csr_fp[] = {
    { CSR_FFLAGS, "fflags", 0, 0, riscv_fp_csr_read, riscv_fp_csr_write },
    { CSR_FRM, "frm", 0, 0, riscv_fp_csr_read, riscv_fp_csr_write },
    { CSR_FCSR, "fcsr", 0, 0, riscv_fp_csr_read, riscv_fp_csr_write },
};

const CSRTable csr_table_fp = CSR_TABLE(csr_fp);

/* QEMU's riscv_fpr_regnames */
static const char *const fpr_names[32] = {
    "f0/ft0", "f1/ft1", "f2/ft2", "f3/ft3", "f4/ft4", "f5/ft5", "f6/ft6", "f7/ft7",
    "f8/fs0", "f9/fs1", "f10/fa0", "f11/fa1", "f12/fa2", "f13/fa3", "f14/fa4", "f15/fa5",
    "f16/fa6", "f17/fa7", "f18/fs2", "f19/fs3", "f20/fs4", "f21/fs5", "f22/fs6", "f23/fs7",
    "f24/fs8", "f25/fs9", "f26/fs10", "f27/fs11", "f28/ft8", "f29/ft9", "f30/ft10", "f31/ft11",
};

size_t cpu_dump_fpu(RISCVCPU *cpu, bool all, char *buf, size_t len)
{
    size_t used = 0;
    if (len) {
        buf[0] = '\0';
    }
    if (!all && !(cpu->env.mstatus & MSTATUS_FS)) {
        return 0;
    }
    for (int i = -1; i < 32 && used < len; i++) {
        int n;
        if (i < 0) {
            n = snprintf(buf + used, len - used, " %-8s %016llx\n", "fcsr",
                         (unsigned long long)cpu->env.fcsr);
        } else {
            n = snprintf(buf + used, len - used, " %-8s %016llx%s", fpr_names[i],
                         (unsigned long long)cpu->env.fpr[i], (i & 3) == 3 ? "\n" : "");
        }
        if (n < 0) {
            break;
        }
        used += (size_t)n < len - used ? (size_t)n : len - used - 1;
    }
    return used;
}

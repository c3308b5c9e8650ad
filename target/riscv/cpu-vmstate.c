/* VM state of the hart: every architectural register, the privilege level,
 * WFI, the LR/SC reservation, pending interrupts (mip) and the instruction
 * counters that virtual time derives from. The TLB and translated blocks are
 * host caches: they are dropped after a load, never saved.
 *
 * Registers added since the first version go into subsections written only
 * when they differ from their reset value, so a stream of a hart that never
 * used them is byte for byte what earlier Amber wrote, and earlier streams
 * load: "cpu/fpu" (f0..f31, fcsr), "cpu/sstc", "cpu/trigger". */
#include <errno.h>
#include <string.h>

#include "target/riscv/cpu.h"
#include "target/riscv/csr.h"
#include "target/riscv/fpu.h"

/* A field added to CPURISCVState must get a line in the table below (and a
 * new version or subsection): this fails to compile until it does. */
_Static_assert(sizeof(CPURISCVState) == 952, "CPURISCVState changed: update vmstate_riscv_cpu");

/* Written when the FP state is not the reset one: FS not Off, or any f
 * register or fcsr nonzero. FS alone is not enough: Linux clears sstatus.FS
 * on every kernel entry while the interrupted task's f registers stay live
 * in the hart, so a snapshot taken in the kernel must still carry them. */
static bool cpu_fpu_needed(void *opaque)
{
    const CPURISCVState *env = &((RISCVCPU *)opaque)->env;
    if ((env->mstatus & MSTATUS_FS) || env->fcsr) {
        return true;
    }
    for (int i = 0; i < 32; i++) {
        if (env->fpr[i]) {
            return true;
        }
    }
    return false;
}

static int cpu_fpu_post_load(void *opaque, int version_id, Error *err)
{
    const CPURISCVState *env = &((RISCVCPU *)opaque)->env;
    return vmstate_check_max(err, "env.fcsr", env->fcsr, 0xff);
}

static const VMStateDescription vmstate_riscv_cpu_fpu = {
    .name = "cpu/fpu",
    .version_id = 1,
    .minimum_version_id = 1,
    .needed = cpu_fpu_needed,
    .post_load = cpu_fpu_post_load,
    .fields = (const VMStateField[]) {
        VMSTATE_UINT64_ARRAY(env.fpr, RISCVCPU, 32),
        VMSTATE_UINT32(env.fcsr, RISCVCPU),
        VMSTATE_END_OF_LIST()
    },
};

/* A stream without a subsection (not needed, or from an Amber before the
 * extension) means that state's reset value, not whatever this hart held
 * before the load. */
static void cpu_pre_load(void *opaque)
{
    CPURISCVState *env = &((RISCVCPU *)opaque)->env;
    memset(env->fpr, 0, sizeof(env->fpr));
    env->fcsr = 0;
    env->stimecmp = 0;
    env->tselect = 0;
    memset(env->tdata1, 0, sizeof(env->tdata1));
    memset(env->tdata2, 0, sizeof(env->tdata2));
}

static int cpu_post_load(void *opaque, int version_id, Error *err)
{
    RISCVCPU *cpu = opaque;
    CPURISCVState *env = &cpu->env;
    if (env->priv != PRV_U && env->priv != PRV_S && env->priv != PRV_M) {
        error_setf(err, "field 'env.priv' value %u is not a privilege level (0, 1 or 3)",
                   env->priv);
        return -EINVAL;
    }
    int ret = vmstate_check_max(err, "env.halted", env->halted, 1);
    ret = ret ? ret : vmstate_check_max(err, "env.load_res_valid", env->load_res_valid, 1);
    ret = ret ? ret : vmstate_check_max(err, "env.mtvec mode", env->mtvec & 3, 1);
    ret = ret ? ret : vmstate_check_max(err, "env.stvec mode", env->stvec & 3, 1);
    if (ret) {
        return ret;
    }
    if (((env->mstatus & MSTATUS_MPP) >> 11) == 2) {
        error_setf(err, "field 'env.mstatus' value 0x%llx has the reserved MPP value 2",
                   (unsigned long long)env->mstatus);
        return -EINVAL;
    }
    unsigned mode = (unsigned)(env->satp >> 60);
    if (mode != 0 && mode != 8 && mode != 9) {
        error_setf(err, "field 'env.satp' value 0x%llx has translation mode %u (this hart has "
                   "Bare, Sv39 and Sv48: 0, 8, 9)", (unsigned long long)env->satp, mode);
        return -EINVAL;
    }
    /* misa is read-only here: a stream from a hart with other extensions
     * would run code this one traps on, so it must match. One exception: a
     * hart saved by an Amber before F and D (misa without them, FS hardwired
     * Off). It keeps that misa, and FS stays Off (csr.c), so the guest goes
     * on seeing the hart it booted on; a reset brings F and D back. */
    uint64_t no_fd = cpu->model_misa & ~(MISA_F | MISA_D);
    if (env->misa != cpu->model_misa && env->misa != no_fd) {
        error_setf(err, "field 'env.misa' value 0x%llx differs from this hart's 0x%llx",
                   (unsigned long long)env->misa, (unsigned long long)cpu->model_misa);
        return -EINVAL;
    }
    if (!(env->misa & MISA_F) && (env->mstatus & (MSTATUS_FS | MSTATUS_SD))) {
        error_setf(err, "field 'env.mstatus' value 0x%llx has FS or SD set but 'env.misa' "
                   "0x%llx has no F", (unsigned long long)env->mstatus,
                   (unsigned long long)env->misa);
        return -EINVAL;
    }
    if ((env->mstatus & MSTATUS_SD) != (riscv_mstatus_sd(env->mstatus) & MSTATUS_SD)) {
        error_setf(err, "field 'env.mstatus' value 0x%llx has SD inconsistent with FS",
                   (unsigned long long)env->mstatus);
        return -EINVAL;
    }
    /* Translated code and TLB entries were built for the old state, and
     * for the old trigger setting. Kept code: the update compares the
     * triggers with the ones it was translated for. */
    if (!cpu->load_keeps_code) {
        cpu->trigger_armed = 0;
    }
    cpu_state_changed(cpu);
    riscv_trigger_update(cpu);
    riscv_sstc_rearm(cpu);
    return 0;
}

/* ---- Sstc ---- */

static bool cpu_sstc_needed(void *opaque)
{
    const RISCVCPU *cpu = opaque;
    return cpu->env.stimecmp != 0;
}

static const VMStateDescription vmstate_riscv_cpu_sstc = {
    .name = "cpu/sstc",
    .version_id = 1,
    .minimum_version_id = 1,
    .needed = cpu_sstc_needed,
    .fields = (const VMStateField[]) {
        VMSTATE_UINT64(env.stimecmp, RISCVCPU),
        VMSTATE_END_OF_LIST()
    },
};

/* ---- Sdtrig ---- */

static bool cpu_trigger_needed(void *opaque)
{
    const CPURISCVState *env = &((const RISCVCPU *)opaque)->env;
    bool set = env->tselect != 0;
    for (unsigned i = 0; i < TRIGGER_COUNT; i++) {
        set = set || env->tdata1[i] || env->tdata2[i];
    }
    return set;
}

static int cpu_trigger_post_load(void *opaque, int version_id, Error *err)
{
    RISCVCPU *cpu = opaque;
    const CPURISCVState *env = &cpu->env;
    if (vmstate_check_max(err, "env.tselect", env->tselect, TRIGGER_COUNT - 1)) {
        return -EINVAL;
    }
    for (unsigned i = 0; i < TRIGGER_COUNT; i++) {
        if (env->tdata1[i] & ~TRIGGER_TDATA1_WMASK) {
            error_setf(err, "field 'env.tdata1[%u]' value 0x%llx has bits outside the "
                       "mcontrol mode and match-kind bits (0x%llx)", i,
                       (unsigned long long)env->tdata1[i],
                       (unsigned long long)TRIGGER_TDATA1_WMASK);
            return -EINVAL;
        }
    }
    return 0;
}

static const VMStateDescription vmstate_riscv_cpu_trigger = {
    .name = "cpu/trigger",
    .version_id = 1,
    .minimum_version_id = 1,
    .needed = cpu_trigger_needed,
    .post_load = cpu_trigger_post_load,
    .fields = (const VMStateField[]) {
        VMSTATE_UINT64(env.tselect, RISCVCPU),
        VMSTATE_UINT64_ARRAY(env.tdata1, RISCVCPU, TRIGGER_COUNT),
        VMSTATE_UINT64_ARRAY(env.tdata2, RISCVCPU, TRIGGER_COUNT),
        VMSTATE_END_OF_LIST()
    },
};

const VMStateDescription vmstate_riscv_cpu = {
    .name = "cpu",
    .version_id = 1,
    .minimum_version_id = 1,
    .pre_load = cpu_pre_load,
    .post_load = cpu_post_load,
    .fields = (const VMStateField[]) {
        VMSTATE_UINT64_ARRAY(env.gpr, RISCVCPU, 32),
        VMSTATE_UINT64(env.pc, RISCVCPU),
        VMSTATE_UINT8(env.priv, RISCVCPU),
        VMSTATE_UINT8(env.halted, RISCVCPU),
        VMSTATE_UINT64(env.mstatus, RISCVCPU),
        VMSTATE_UINT64(env.misa, RISCVCPU),
        VMSTATE_UINT64(env.medeleg, RISCVCPU),
        VMSTATE_UINT64(env.mideleg, RISCVCPU),
        VMSTATE_UINT64(env.mie, RISCVCPU),
        VMSTATE_UINT64(env.mip, RISCVCPU),
        VMSTATE_UINT64(env.mtvec, RISCVCPU),
        VMSTATE_UINT64(env.mscratch, RISCVCPU),
        VMSTATE_UINT64(env.mepc, RISCVCPU),
        VMSTATE_UINT64(env.mcause, RISCVCPU),
        VMSTATE_UINT64(env.mtval, RISCVCPU),
        VMSTATE_UINT64(env.mcounteren, RISCVCPU),
        VMSTATE_UINT64(env.mcountinhibit, RISCVCPU),
        VMSTATE_UINT64(env.menvcfg, RISCVCPU),
        VMSTATE_UINT64(env.stvec, RISCVCPU),
        VMSTATE_UINT64(env.sscratch, RISCVCPU),
        VMSTATE_UINT64(env.sepc, RISCVCPU),
        VMSTATE_UINT64(env.scause, RISCVCPU),
        VMSTATE_UINT64(env.stval, RISCVCPU),
        VMSTATE_UINT64(env.satp, RISCVCPU),
        VMSTATE_UINT64(env.scounteren, RISCVCPU),
        VMSTATE_UINT64(env.senvcfg, RISCVCPU),
        VMSTATE_UINT64_ARRAY(env.pmpcfg, RISCVCPU, 2),
        VMSTATE_UINT64_ARRAY(env.pmpaddr, RISCVCPU, 16),
        VMSTATE_UINT64(env.icount, RISCVCPU),
        VMSTATE_UINT64(env.instret, RISCVCPU),
        VMSTATE_UINT64(env.minstret_delta, RISCVCPU),
        VMSTATE_UINT64(env.mcycle_delta, RISCVCPU),
        VMSTATE_UINT64(env.load_res, RISCVCPU),
        VMSTATE_UINT8(env.load_res_valid, RISCVCPU),
        VMSTATE_END_OF_LIST()
    },
    .subsections = (const VMStateDescription *const[]) {
        &vmstate_riscv_cpu_fpu,
        &vmstate_riscv_cpu_sstc,
        &vmstate_riscv_cpu_trigger,
        NULL
    },
};

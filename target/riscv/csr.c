/* Control and status registers. Declarative tables list every implemented
 * CSR: plain registers are a field offset and a mask of writable bits; views
 * and registers with side effects have handlers. This file holds the base
 * registers; an extension's registers sit in the extension's file (see
 * csr.h). Any number in no table is an illegal instruction, which is what
 * OpenSBI's feature probes expect. */
#include "target/riscv/csr.h"
#include "target/riscv/fpu.h"
#include "emu/clock.h"
#include "util/log.h"

#include <assert.h>
#include <stddef.h>
#include <string.h>
#include <strings.h>

#define CSR_MCONFIGPTR 0xf15

#define MIP_SSIP (1ull << IRQ_S_SOFT)
#define MIP_STIP (1ull << IRQ_S_TIMER)
#define MIP_SEIP (1ull << IRQ_S_EXT)
#define MIP_S_BITS (MIP_SSIP | MIP_STIP | MIP_SEIP)
#define MIP_M_BITS ((1ull << IRQ_M_SOFT) | (1ull << IRQ_M_TIMER) | (1ull << IRQ_M_EXT))

#define SSTATUS_MASK (MSTATUS_SIE | MSTATUS_SPIE | MSTATUS_UBE | MSTATUS_SPP | MSTATUS_FS | \
                      MSTATUS_XS | MSTATUS_SUM | MSTATUS_MXR | MSTATUS_UXL | MSTATUS_SD)
#define SSTATUS_WMASK (MSTATUS_SIE | MSTATUS_SPIE | MSTATUS_SPP | MSTATUS_FS | MSTATUS_SUM | \
                       MSTATUS_MXR)
#define MSTATUS_WMASK (SSTATUS_WMASK | MSTATUS_MIE | MSTATUS_MPIE | MSTATUS_MPP | \
                       MSTATUS_MPRV | MSTATUS_TVM | MSTATUS_TW | MSTATUS_TSR)
/* Fields that select how addresses are translated. */
#define MSTATUS_XLATE (MSTATUS_MPRV | MSTATUS_MPP | MSTATUS_SUM | MSTATUS_MXR)

/* Exceptions S-mode may handle: all but ecall from M and the reserved 10, 14. */
#define MEDELEG_WMASK 0xb3ffull

#define SATP_MODE_SHIFT 60
#define SATP_MODE_BARE 0
#define SATP_MODE_SV39 8
#define SATP_MODE_SV48 9
#define SATP_ASID_PPN_MASK ((0xffffull << 44) | ((1ull << 44) - 1))

#define COUNTEREN_MASK 0xffffffffull  /* CY, TM, IR, HPM3..31 (which read 0) */
#define MCOUNTINHIBIT_CY   0x1ull
#define MCOUNTINHIBIT_IR   0x4ull
#define MCOUNTINHIBIT_MASK (MCOUNTINHIBIT_CY | MCOUNTINHIBIT_IR)
#define ENVCFG_FIOM 1ull
#define MENVCFG_WMASK (ENVCFG_FIOM | MENVCFG_STCE)

#define PMPADDR_MASK ((1ull << 54) - 1)
#define PMP_L 0x80
#define PMP_A 0x18
#define PMP_A_TOR 0x08
#define PMP_R 0x01
#define PMP_W 0x02

#define FIELD(f) offsetof(CPURISCVState, f)

static uint64_t *csr_field(RISCVCPU *cpu, const CSRInfo *ci)
{
    return (uint64_t *)((uint8_t *)&cpu->env + ci->offset);
}

/* A write that may make an interrupt deliverable: leave the running block
 * when one is, so the executor takes it at the next instruction. */
void riscv_csr_irq_recheck(RISCVCPU *cpu)
{
    CPURISCVState *env = &cpu->env;
    uint64_t pending = env->mip & env->mie;
    if (!pending) {
        return;
    }
    bool m_on = env->priv < PRV_M || (env->mstatus & MSTATUS_MIE);
    bool s_on = env->priv < PRV_S || (env->priv == PRV_S && (env->mstatus & MSTATUS_SIE));
    if ((m_on && (pending & ~env->mideleg)) || (s_on && (pending & env->mideleg))) {
        cpu->icount_limit = 0;
        cpu->jit_guard = 0;
    }
}

/* ---- handlers ---- */

static int read_mhartid(RISCVCPU *cpu, int csrno, uint64_t *val)
{
    *val = cpu->hartid;
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

static void mstatus_set(RISCVCPU *cpu, uint64_t val)
{
    CPURISCVState *env = &cpu->env;
    uint64_t old = env->mstatus;
    /* FS stays Off on a hart whose misa has no F (one loaded from an
     * older Amber: see cpu-vmstate.c). */
    uint64_t wmask = MSTATUS_WMASK & ~((env->misa & MISA_F) ? 0 : MSTATUS_FS);
    uint64_t nv = (old & ~wmask) | (val & wmask);
    /* MPP is WARL over the implemented modes: 2 (reserved) keeps the old. */
    if ((nv & MSTATUS_MPP) == (2ull << 11)) {
        nv = (nv & ~MSTATUS_MPP) | (old & MSTATUS_MPP);
    }
    env->mstatus = nv = riscv_mstatus_sd(nv);
    if ((old ^ nv) & MSTATUS_XLATE) {
        if ((old ^ nv) & MSTATUS_MXR) {
            /* MXR widens or narrows read permission inside cached entries. */
            cpu_tlb_flush(cpu);
        }
        riscv_update_mmu_idx(cpu);
        cpu->translation_changed = true;
    }
    riscv_csr_irq_recheck(cpu);
}

static int read_mstatus(RISCVCPU *cpu, int csrno, uint64_t *val)
{
    /* SD is kept up to date with FS (XS is always 0). */
    *val = cpu->env.mstatus;
    return EXCP_NONE;
}

static int write_mstatus(RISCVCPU *cpu, int csrno, uint64_t val)
{
    mstatus_set(cpu, val);
    return EXCP_NONE;
}

static int read_sstatus(RISCVCPU *cpu, int csrno, uint64_t *val)
{
    *val = cpu->env.mstatus & SSTATUS_MASK;
    return EXCP_NONE;
}

static int write_sstatus(RISCVCPU *cpu, int csrno, uint64_t val)
{
    mstatus_set(cpu, (cpu->env.mstatus & ~SSTATUS_WMASK) | (val & SSTATUS_WMASK));
    return EXCP_NONE;
}

static int read_misa(RISCVCPU *cpu, int csrno, uint64_t *val)
{
    *val = cpu->env.misa;
    return EXCP_NONE;
}

static int write_mideleg(RISCVCPU *cpu, int csrno, uint64_t val)
{
    cpu->env.mideleg = val & MIP_S_BITS;
    riscv_csr_irq_recheck(cpu);
    return EXCP_NONE;
}

static int write_mie(RISCVCPU *cpu, int csrno, uint64_t val)
{
    cpu->env.mie = val & (MIP_S_BITS | MIP_M_BITS);
    riscv_csr_irq_recheck(cpu);
    return EXCP_NONE;
}

static int write_mip(RISCVCPU *cpu, int csrno, uint64_t val)
{
    /* MEIP/MTIP/MSIP follow the device lines only; so does STIP while
     * Sstc drives it from stimecmp. */
    uint64_t m = MIP_S_BITS & ~((cpu->env.menvcfg & MENVCFG_STCE) ? MIP_STIP : 0);
    cpu->env.mip = (cpu->env.mip & ~m) | (val & m);
    riscv_csr_irq_recheck(cpu);
    return EXCP_NONE;
}

static int read_sie(RISCVCPU *cpu, int csrno, uint64_t *val)
{
    *val = cpu->env.mie & cpu->env.mideleg;
    return EXCP_NONE;
}

static int write_sie(RISCVCPU *cpu, int csrno, uint64_t val)
{
    uint64_t m = cpu->env.mideleg;
    cpu->env.mie = (cpu->env.mie & ~m) | (val & m);
    riscv_csr_irq_recheck(cpu);
    return EXCP_NONE;
}

static int read_sip(RISCVCPU *cpu, int csrno, uint64_t *val)
{
    *val = cpu->env.mip & cpu->env.mideleg;
    return EXCP_NONE;
}

static int write_sip(RISCVCPU *cpu, int csrno, uint64_t val)
{
    /* Only SSIP is writable from S; STIP/SEIP come from M or devices. */
    uint64_t m = cpu->env.mideleg & MIP_SSIP;
    cpu->env.mip = (cpu->env.mip & ~m) | (val & m);
    riscv_csr_irq_recheck(cpu);
    return EXCP_NONE;
}

static int write_tvec(RISCVCPU *cpu, int csrno, uint64_t val)
{
    /* Modes 2 and 3 are reserved: such a write is ignored. */
    if ((val & 3) < 2) {
        *(csrno == CSR_MTVEC ? &cpu->env.mtvec : &cpu->env.stvec) = val;
    }
    return EXCP_NONE;
}

static int check_satp(RISCVCPU *cpu)
{
    return cpu->env.priv == PRV_S && (cpu->env.mstatus & MSTATUS_TVM) ?
           EXCP_ILLEGAL_INSN : EXCP_NONE;
}

static int read_satp(RISCVCPU *cpu, int csrno, uint64_t *val)
{
    if (check_satp(cpu) != EXCP_NONE) {
        return EXCP_ILLEGAL_INSN;
    }
    *val = cpu->env.satp;
    return EXCP_NONE;
}

static int write_satp(RISCVCPU *cpu, int csrno, uint64_t val)
{
    if (check_satp(cpu) != EXCP_NONE) {
        return EXCP_ILLEGAL_INSN;
    }
    unsigned mode = val >> SATP_MODE_SHIFT;
    if (mode != SATP_MODE_BARE && mode != SATP_MODE_SV39 && mode != SATP_MODE_SV48) {
        return EXCP_NONE;       /* unsupported mode: the whole write has no effect */
    }
    uint64_t nv = ((uint64_t)mode << SATP_MODE_SHIFT) | (val & SATP_ASID_PPN_MASK);
    if (nv != cpu->env.satp) {
        cpu->env.satp = nv;
        /* The TLB and the jump cache follow satp (cpu_tlb_switch,
         * exec_jc_switch): kept, not emptied. */
        cpu_tlb_switch(cpu, nv);
        cpu->translation_changed = true;
    }
    return EXCP_NONE;
}

static int write_xepc(RISCVCPU *cpu, int csrno, uint64_t val)
{
    *(csrno == CSR_MEPC ? &cpu->env.mepc : &cpu->env.sepc) = val & ~1ull;
    return EXCP_NONE;
}

/* Whether a lower mode may read the user counter views. */
int riscv_csr_counter_allowed(RISCVCPU *cpu, int csrno)
{
    uint64_t bit = 1ull << (csrno & 31);
    if (cpu->env.priv < PRV_M && !(cpu->env.mcounteren & bit)) {
        return EXCP_ILLEGAL_INSN;
    }
    if (cpu->env.priv < PRV_S && !(cpu->env.scounteren & bit)) {
        return EXCP_ILLEGAL_INSN;
    }
    return EXCP_NONE;
}

static int read_counter(RISCVCPU *cpu, int csrno, uint64_t *val)
{
    const CPURISCVState *env = &cpu->env;
    switch (csrno) {
    case CSR_CYCLE: case CSR_TIME: case CSR_INSTRET:
        if (riscv_csr_counter_allowed(cpu, csrno) != EXCP_NONE) {
            return EXCP_ILLEGAL_INSN;
        }
        break;
    }
    switch (csrno) {
    case CSR_CYCLE: case CSR_MCYCLE:
        /* One cycle per instruction; while inhibited the delta field holds
         * the frozen value itself (see write_mcountinhibit). */
        *val = (env->mcountinhibit & MCOUNTINHIBIT_CY) ? env->mcycle_delta
                                                       : env->instret + env->mcycle_delta;
        break;
    case CSR_INSTRET: case CSR_MINSTRET:
        *val = (env->mcountinhibit & MCOUNTINHIBIT_IR) ? env->minstret_delta
                                                       : env->instret + env->minstret_delta;
        break;
    default:
        *val = riscv_csr_time(cpu);
        break;
    }
    return EXCP_NONE;
}

uint64_t riscv_csr_time(RISCVCPU *cpu)
{
    return clock_ns(cpu->clock) / 100;
}

static int write_counter(RISCVCPU *cpu, int csrno, uint64_t val)
{
    CPURISCVState *env = &cpu->env;
    uint64_t inhibit = csrno == CSR_MCYCLE ? MCOUNTINHIBIT_CY : MCOUNTINHIBIT_IR;
    /* The writing instruction is not counted yet: it retires after this. */
    uint64_t delta = (env->mcountinhibit & inhibit) ? val : val - (env->instret + 1);
    if (csrno == CSR_MCYCLE) {
        env->mcycle_delta = delta;
    } else {
        env->minstret_delta = delta;
    }
    return EXCP_NONE;
}

static int read_mcountinhibit(RISCVCPU *cpu, int csrno, uint64_t *val)
{
    *val = cpu->env.mcountinhibit;
    return EXCP_NONE;
}

/* An inhibited counter stops where it is: its delta field then holds the
 * frozen value (the writing instruction still counts, it retires first),
 * and on release becomes a delta again so counting resumes from there. */
static int write_mcountinhibit(RISCVCPU *cpu, int csrno, uint64_t val)
{
    CPURISCVState *env = &cpu->env;
    uint64_t now = env->instret + 1;
    uint64_t old = env->mcountinhibit, new = val & MCOUNTINHIBIT_MASK;
    static const struct { uint64_t bit; size_t off; } ctr[] = {
        { MCOUNTINHIBIT_CY, offsetof(CPURISCVState, mcycle_delta) },
        { MCOUNTINHIBIT_IR, offsetof(CPURISCVState, minstret_delta) },
    };
    for (size_t i = 0; i < sizeof(ctr) / sizeof(ctr[0]); i++) {
        uint64_t *d = (uint64_t *)((uint8_t *)env + ctr[i].off);
        if ((new & ctr[i].bit) && !(old & ctr[i].bit)) {
            *d = now + *d;           /* freeze: the value after this instruction */
        } else if (!(new & ctr[i].bit) && (old & ctr[i].bit)) {
            *d = *d - now;           /* resume from the frozen value */
        }
    }
    env->mcountinhibit = new;
    return EXCP_NONE;
}

static int write_menvcfg(RISCVCPU *cpu, int csrno, uint64_t val)
{
    uint64_t old = cpu->env.menvcfg;
    cpu->env.menvcfg = val & MENVCFG_WMASK;
    if ((old ^ cpu->env.menvcfg) & MENVCFG_STCE) {
        riscv_sstc_update(cpu);
    }
    return EXCP_NONE;
}

static uint8_t pmp_cfg_byte(const CPURISCVState *env, unsigned i)
{
    return env->pmpcfg[i / 8] >> (8 * (i % 8));
}

static int read_pmpcfg(RISCVCPU *cpu, int csrno, uint64_t *val)
{
    *val = cpu->env.pmpcfg[(csrno - CSR_PMPCFG0) / 2];
    return EXCP_NONE;
}

static int write_pmpcfg(RISCVCPU *cpu, int csrno, uint64_t val)
{
    CPURISCVState *env = &cpu->env;
    unsigned reg = (csrno - CSR_PMPCFG0) / 2;
    uint64_t nv = 0;
    for (unsigned b = 0; b < 8; b++) {
        uint8_t old = pmp_cfg_byte(env, reg * 8 + b);
        uint8_t c = val >> (8 * b);
        if (old & PMP_L) {
            c = old;                            /* locked until reset */
        } else {
            c &= 0x9f;                          /* bits 5-6 are reserved */
            if ((c & (PMP_R | PMP_W)) == PMP_W) {
                c &= ~PMP_W;                    /* W without R is reserved */
            }
        }
        nv |= (uint64_t)c << (8 * b);
    }
    if (nv != env->pmpcfg[reg]) {
        env->pmpcfg[reg] = nv;
        cpu_tlb_flush(cpu);
        cpu->translation_changed = true;
        cpu->jc_stale = true;
    }
    return EXCP_NONE;
}

static int read_pmpaddr(RISCVCPU *cpu, int csrno, uint64_t *val)
{
    *val = cpu->env.pmpaddr[csrno - CSR_PMPADDR0];
    return EXCP_NONE;
}

static int write_pmpaddr(RISCVCPU *cpu, int csrno, uint64_t val)
{
    CPURISCVState *env = &cpu->env;
    unsigned i = csrno - CSR_PMPADDR0;
    if (pmp_cfg_byte(env, i) & PMP_L) {
        return EXCP_NONE;
    }
    /* A locked TOR entry above also locks its bottom bound. */
    if (i + 1 < 16 && (pmp_cfg_byte(env, i + 1) & (PMP_L | PMP_A)) == (PMP_L | PMP_A_TOR)) {
        return EXCP_NONE;
    }
    val &= PMPADDR_MASK;
    if (val != env->pmpaddr[i]) {
        env->pmpaddr[i] = val;
        cpu_tlb_flush(cpu);
        cpu->translation_changed = true;
        cpu->jc_stale = true;
    }
    return EXCP_NONE;
}

/* ---- the table ---- */

#define PLAIN(n, nm, f, m) { n, nm, FIELD(f), m, NULL, NULL }
#define CUSTOM(n, nm, rd, wr) { n, nm, 0, 0, rd, wr }
#define CONST0(n, nm) { n, nm, 0, 0, read_zero, write_ignore }
#define PMPADDR(i) CUSTOM(CSR_PMPADDR0 + i, "pmpaddr" #i, read_pmpaddr, write_pmpaddr)

static const CSRInfo csr_table[] = {
    /* user counters (read-only by number) */
    CUSTOM(CSR_CYCLE, "cycle", read_counter, NULL),
    CUSTOM(CSR_TIME, "time", read_counter, NULL),
    CUSTOM(CSR_INSTRET, "instret", read_counter, NULL),
    /* supervisor */
    CUSTOM(CSR_SSTATUS, "sstatus", read_sstatus, write_sstatus),
    CUSTOM(CSR_SIE, "sie", read_sie, write_sie),
    { CSR_STVEC, "stvec", FIELD(stvec), 0, NULL, write_tvec },
    PLAIN(CSR_SCOUNTEREN, "scounteren", scounteren, COUNTEREN_MASK),
    PLAIN(CSR_SENVCFG, "senvcfg", senvcfg, ENVCFG_FIOM),
    PLAIN(CSR_SSCRATCH, "sscratch", sscratch, ~0ull),
    { CSR_SEPC, "sepc", FIELD(sepc), 0, NULL, write_xepc },
    PLAIN(CSR_SCAUSE, "scause", scause, ~0ull),
    PLAIN(CSR_STVAL, "stval", stval, ~0ull),
    CUSTOM(CSR_SIP, "sip", read_sip, write_sip),
    CUSTOM(CSR_SATP, "satp", read_satp, write_satp),
    /* machine */
    CONST0(CSR_MVENDORID, "mvendorid"),
    CONST0(CSR_MARCHID, "marchid"),
    CONST0(CSR_MIMPID, "mimpid"),
    CUSTOM(CSR_MHARTID, "mhartid", read_mhartid, write_ignore),
    CONST0(CSR_MCONFIGPTR, "mconfigptr"),
    CUSTOM(CSR_MSTATUS, "mstatus", read_mstatus, write_mstatus),
    CUSTOM(CSR_MISA, "misa", read_misa, write_ignore),
    PLAIN(CSR_MEDELEG, "medeleg", medeleg, MEDELEG_WMASK),
    { CSR_MIDELEG, "mideleg", FIELD(mideleg), 0, NULL, write_mideleg },
    { CSR_MIE, "mie", FIELD(mie), 0, NULL, write_mie },
    { CSR_MTVEC, "mtvec", FIELD(mtvec), 0, NULL, write_tvec },
    PLAIN(CSR_MCOUNTEREN, "mcounteren", mcounteren, COUNTEREN_MASK),
    { CSR_MENVCFG, "menvcfg", FIELD(menvcfg), 0, NULL, write_menvcfg },
    CUSTOM(CSR_MCOUNTINHIBIT, "mcountinhibit", read_mcountinhibit, write_mcountinhibit),
    PLAIN(CSR_MSCRATCH, "mscratch", mscratch, ~0ull),
    { CSR_MEPC, "mepc", FIELD(mepc), 0, NULL, write_xepc },
    PLAIN(CSR_MCAUSE, "mcause", mcause, ~0ull),
    PLAIN(CSR_MTVAL, "mtval", mtval, ~0ull),
    { CSR_MIP, "mip", FIELD(mip), 0, NULL, write_mip },
    CUSTOM(CSR_PMPCFG0, "pmpcfg0", read_pmpcfg, write_pmpcfg),
    CUSTOM(CSR_PMPCFG0 + 2, "pmpcfg2", read_pmpcfg, write_pmpcfg),
    PMPADDR(0), PMPADDR(1), PMPADDR(2), PMPADDR(3),
    PMPADDR(4), PMPADDR(5), PMPADDR(6), PMPADDR(7),
    PMPADDR(8), PMPADDR(9), PMPADDR(10), PMPADDR(11),
    PMPADDR(12), PMPADDR(13), PMPADDR(14), PMPADDR(15),
    CUSTOM(CSR_MCYCLE, "mcycle", read_counter, write_counter),
    CUSTOM(CSR_MINSTRET, "minstret", read_counter, write_counter),
};

static const CSRTable csr_table_base = CSR_TABLE(csr_table);

static const CSRTable *const csr_tables[] = {
    &csr_table_base, &csr_table_fp, &csr_table_hpm, &csr_table_sstc, &csr_table_trigger,
};
#define CSR_NR_TABLES ((int)(sizeof(csr_tables) / sizeof(csr_tables[0])))

/* A hart's index holds (table << 8 | entry) + 1, 0 for no such CSR. */
void riscv_csr_index_build(RISCVCPU *cpu)
{
    memset(cpu->csr_index, 0, sizeof(cpu->csr_index));
    for (int t = 0; t < CSR_NR_TABLES; t++) {
        assert(csr_tables[t]->count < 256);
        for (size_t i = 0; i < csr_tables[t]->count; i++) {
            cpu->csr_index[csr_tables[t]->csrs[i].num] = (uint16_t)(((unsigned)t << 8 | i) + 1);
        }
    }
}

/* The guest's path: one load from the hart's index. */
static const CSRInfo *csr_lookup(const RISCVCPU *cpu, int csrno)
{
    if (csrno < 0 || csrno >= 4096) {
        return NULL;
    }
    unsigned i = cpu->csr_index[csrno];
    if (!i) {
        return NULL;
    }
    i--;
    return &csr_tables[i >> 8]->csrs[i & 0xff];
}

/* Without a hart (names for the disassembler): a scan of the table. */
static const CSRInfo *csr_find(int csrno)
{
    for (int t = 0; t < CSR_NR_TABLES; t++) {
        for (size_t i = 0; i < csr_tables[t]->count; i++) {
            if (csr_tables[t]->csrs[i].num == csrno) {
                return &csr_tables[t]->csrs[i];
            }
        }
    }
    return NULL;
}

static int csr_read(RISCVCPU *cpu, const CSRInfo *ci, uint64_t *val)
{
    if (ci->read) {
        return ci->read(cpu, ci->num, val);
    }
    *val = *csr_field(cpu, ci);
    return EXCP_NONE;
}

int riscv_csr_access(RISCVCPU *cpu, int csrno, uint64_t *old, uint64_t val,
                     uint64_t mask, bool write)
{
    const CSRInfo *ci = csr_lookup(cpu, csrno);
    if (!ci) {
        /* Illegal as on QEMU, which has no such CSR either; say so. */
        log_mask_printf(cpu->log, LOG_UNIMP, "riscv_csrrw: unimplemented CSR 0x%03x at pc 0x%016llx "
                        "(illegal instruction)\n", csrno, (unsigned long long)cpu->env.pc);
        return EXCP_ILLEGAL_INSN;
    }
    /* Address bits 9:8 give the lowest privilege, 11:10 == 3 is read-only. */
    if (cpu->env.priv < ((csrno >> 8) & 3)) {
        return EXCP_ILLEGAL_INSN;
    }
    if (write && (csrno >> 10) == 3) {
        return EXCP_ILLEGAL_INSN;
    }
    uint64_t cur;
    int r = csr_read(cpu, ci, &cur);
    if (r != EXCP_NONE) {
        return r;
    }
    if (write) {
        uint64_t nv = (cur & ~mask) | (val & mask);
        if (ci->write) {
            r = ci->write(cpu, ci->num, nv);
            if (r != EXCP_NONE) {
                return r;
            }
        } else {
            uint64_t *f = csr_field(cpu, ci);
            *f = (*f & ~ci->wmask) | (nv & ci->wmask);
        }
    }
    if (old) {
        *old = cur;
    }
    return EXCP_NONE;
}

const char *cpu_csr_name(int csrno)
{
    const CSRInfo *ci = csr_find(csrno);
    return ci ? ci->name : NULL;
}

int cpu_csr_by_name(const char *name)
{
    for (size_t t = 0; t < CSR_NR_TABLES; t++) {
        for (size_t i = 0; i < csr_tables[t]->count; i++) {
            if (!strcasecmp(csr_tables[t]->csrs[i].name, name)) {
                return csr_tables[t]->csrs[i].num;
            }
        }
    }
    return -1;
}

bool cpu_csr_peek(RISCVCPU *cpu, int csrno, uint64_t *val)
{
    const CSRInfo *ci = csr_lookup(cpu, csrno);
    if (!ci) {
        return false;
    }
    /* Bypass privilege and counter-enable checks: look at the state itself. */
    switch (csrno) {
    case CSR_SATP:
        *val = cpu->env.satp;
        return true;
    case CSR_CYCLE:
        csrno = CSR_MCYCLE;
        break;
    case CSR_INSTRET:
        csrno = CSR_MINSTRET;
        break;
    case CSR_TIME:
        *val = riscv_csr_time(cpu);
        return true;
    case CSR_STIMECMP:
        *val = cpu->env.stimecmp;
        return true;
    }
    if (csrno >= CSR_HPMCOUNTER3 && csrno < CSR_HPMCOUNTER3 + 29) {
        *val = 0;
        return true;
    }
    return csr_read(cpu, csr_lookup(cpu, csrno), val) == EXCP_NONE;
}

/* Sdtrig, minimal: two address-match triggers of type 2 (mcontrol) with
 * execute, load and store matching (match = 0: equal), action 0 (a
 * breakpoint exception, tval = the address) and the M, S and U mode bits;
 * no debug mode (dmode reads 0), chaining, timing or sizes, as in QEMU
 * 7.2. Writing a tdata1 of type 0 or 15 disables the trigger (QEMU ignores
 * such a write), other types are ignored.
 *
 * Checking costs nothing while no trigger is enabled: an armed execute
 * trigger makes the translator emit one-instruction blocks that start with
 * OP_TRIGGER, an armed load/store trigger keeps loads and stores off the
 * TLB fast path; arming and disarming drop what was built for the other
 * setting (riscv_trigger_update). */
#include "target/riscv/csr.h"

#define MCONTROL_TYPE     (2ull << 60)
#define MCONTROL_TYPE_OF(v) ((unsigned)((v) >> 60))
#define MCONTROL_LOAD     (1ull << 0)
#define MCONTROL_STORE    (1ull << 1)
#define MCONTROL_EXECUTE  (1ull << 2)
#define MCONTROL_U        (1ull << 3)
#define MCONTROL_S        (1ull << 4)
#define MCONTROL_M        (1ull << 6)
#define MCONTROL_MODES    (MCONTROL_U | MCONTROL_S | MCONTROL_M)
#define MCONTROL_WMASK    (MCONTROL_MODES | MCONTROL_EXECUTE | MCONTROL_STORE | MCONTROL_LOAD)

_Static_assert(MCONTROL_WMASK == TRIGGER_TDATA1_WMASK, "csr.h's copy of the mask");

_Static_assert(TRIGGER_LOAD == MCONTROL_LOAD && TRIGGER_STORE == MCONTROL_STORE,
               "access kinds are mcontrol bits");

static uint64_t trigger_mode_bit(unsigned priv)
{
    return priv == PRV_M ? MCONTROL_M : priv == PRV_S ? MCONTROL_S : MCONTROL_U;
}

void riscv_trigger_update(RISCVCPU *cpu)
{
    const CPURISCVState *env = &cpu->env;
    uint8_t armed = 0;
    for (unsigned i = 0; i < TRIGGER_COUNT; i++) {
        uint64_t c = env->tdata1[i];
        if (!(c & MCONTROL_MODES)) {
            continue;
        }
        if (c & MCONTROL_EXECUTE) {
            armed |= TRIGGER_ARMED_EXEC;
        }
        if (c & (MCONTROL_LOAD | MCONTROL_STORE)) {
            armed |= TRIGGER_ARMED_MEM;
        }
    }
    uint8_t changed = armed ^ cpu->trigger_armed;
    cpu->trigger_armed = armed;
    if (changed & TRIGGER_ARMED_EXEC) {
        cpu_tb_flush(cpu);      /* blocks with or without OP_TRIGGER */
    }
    if (changed & TRIGGER_ARMED_MEM) {
        cpu_tlb_flush(cpu);     /* entries with or without fast-path tags */
    }
}

bool riscv_trigger_exec_hit(RISCVCPU *cpu, uint64_t pc)
{
    const CPURISCVState *env = &cpu->env;
    uint64_t want = MCONTROL_EXECUTE | trigger_mode_bit(env->priv);
    for (unsigned i = 0; i < TRIGGER_COUNT; i++) {
        if ((env->tdata1[i] & want) == want && env->tdata2[i] == pc) {
            return true;
        }
    }
    return false;
}

int riscv_trigger_mem_check(RISCVCPU *cpu, uint64_t vaddr, unsigned size, unsigned kinds,
                            uint64_t *tval)
{
    const CPURISCVState *env = &cpu->env;
    uint64_t mode = trigger_mode_bit(env->priv);
    for (unsigned i = 0; i < TRIGGER_COUNT; i++) {
        uint64_t c = env->tdata1[i];
        /* Any byte of the access matches (sizelo = 0: any size). */
        if ((c & mode) && (c & kinds) && env->tdata2[i] - vaddr < size) {
            *tval = vaddr;
            return EXCP_BREAKPOINT;
        }
    }
    return EXCP_NONE;
}

/* ---- CSRs (M-mode only, by their numbers) ---- */

static int read_tselect(RISCVCPU *cpu, int csrno, uint64_t *val)
{
    *val = cpu->env.tselect;
    return EXCP_NONE;
}

static int write_tselect(RISCVCPU *cpu, int csrno, uint64_t val)
{
    if (val < TRIGGER_COUNT) {      /* WARL: a missing trigger keeps the old */
        cpu->env.tselect = val;
    }
    return EXCP_NONE;
}

static int read_tdata(RISCVCPU *cpu, int csrno, uint64_t *val)
{
    const CPURISCVState *env = &cpu->env;
    unsigned i = (unsigned)env->tselect;
    switch (csrno) {
    case CSR_TDATA1:
        *val = MCONTROL_TYPE | env->tdata1[i];
        break;
    case CSR_TDATA2:
        *val = env->tdata2[i];
        break;
    default:
        *val = 0;                   /* tdata3 (textra): no extra matching */
        break;
    }
    return EXCP_NONE;
}

static int write_tdata(RISCVCPU *cpu, int csrno, uint64_t val)
{
    CPURISCVState *env = &cpu->env;
    unsigned i = (unsigned)env->tselect;
    switch (csrno) {
    case CSR_TDATA1:
        switch (MCONTROL_TYPE_OF(val)) {
        case 2:
            env->tdata1[i] = val & MCONTROL_WMASK;
            break;
        case 0:
        case 15:
            env->tdata1[i] = 0;
            break;
        default:
            return EXCP_NONE;       /* a type we lack: the write is ignored */
        }
        riscv_trigger_update(cpu);
        break;
    case CSR_TDATA2:
        env->tdata2[i] = val;
        break;
    default:
        break;
    }
    return EXCP_NONE;
}

static int read_tinfo(RISCVCPU *cpu, int csrno, uint64_t *val)
{
    *val = 1ull << 2;               /* type 2 only */
    return EXCP_NONE;
}

static int write_ignore(RISCVCPU *cpu, int csrno, uint64_t val)
{
    return EXCP_NONE;
}

static const CSRInfo csr_trigger[] = {
    { CSR_TSELECT, "tselect", 0, 0, read_tselect, write_tselect },
    { CSR_TDATA1, "tdata1", 0, 0, read_tdata, write_tdata },
    { CSR_TDATA2, "tdata2", 0, 0, read_tdata, write_tdata },
    { CSR_TDATA3, "tdata3", 0, 0, read_tdata, write_tdata },
    { CSR_TINFO, "tinfo", 0, 0, read_tinfo, write_ignore },
};

const CSRTable csr_table_trigger = CSR_TABLE(csr_trigger);

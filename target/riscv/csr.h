/* The CSR tables: the entry type shared by target/riscv/csr.c (the base
 * registers and the lookup) and the files that add one extension's
 * registers (fpu-state.c, csr-hpm.c, sstc.c, trigger.c). Not for use
 * outside the CPU. */
#ifndef TARGET_RISCV_CSR_H
#define TARGET_RISCV_CSR_H

#include <stddef.h>

#include "target/riscv/cpu-internal.h"

#define CSR_STIMECMP     0x14d
#define CSR_MHPMEVENT3   0x323
#define CSR_TSELECT      0x7a0
#define CSR_TDATA1       0x7a1
#define CSR_TDATA2       0x7a2
#define CSR_TDATA3       0x7a3
#define CSR_TINFO        0x7a4
#define CSR_MHPMCOUNTER3 0xb03
#define CSR_HPMCOUNTER3  0xc03

#define MENVCFG_STCE     (1ull << 63)
#define TRIGGER_COUNT    2          /* Sdtrig triggers: env.tdata1[], tdata2[] */
#define TRIGGER_TDATA1_WMASK 0x5full /* the mcontrol bits env.tdata1 may hold */
#define COUNTEREN_TM     (1ull << 1)

typedef int (*CSRRead)(RISCVCPU *cpu, int csrno, uint64_t *val);
/* Gets the merged new value; returns EXCP_NONE or EXCP_ILLEGAL_INSN. */
typedef int (*CSRWrite)(RISCVCPU *cpu, int csrno, uint64_t val);

typedef struct CSRInfo {
    uint16_t num;
    const char *name;
    uint16_t offset;             /* plain register: field in CPURISCVState */
    uint64_t wmask;              /* plain register: writable bits */
    CSRRead read;                /* NULL: read the field */
    CSRWrite write;              /* NULL: masked write of the field */
} CSRInfo;

typedef struct CSRTable {
    const CSRInfo *csrs;
    size_t count;
} CSRTable;

#define CSR_TABLE(arr) { (arr), sizeof(arr) / sizeof((arr)[0]) }

/* The extension tables csr.c looks numbers up in besides its own. */
extern const CSRTable csr_table_fp;       /* F/D: fflags, frm, fcsr: fpu-state.c */
extern const CSRTable csr_table_hpm;      /* Zihpm: csr-hpm.c */
extern const CSRTable csr_table_sstc;     /* Sstc: sstc.c */
extern const CSRTable csr_table_trigger;  /* Sdtrig: trigger.c */

/* EXCP_NONE when the current mode may read user counter csrno (cycle,
 * time, instret, hpmcounterN) under mcounteren/scounteren. */
int riscv_csr_counter_allowed(RISCVCPU *cpu, int csrno);
/* Leaves the running block when a pending interrupt became deliverable. */
void riscv_csr_irq_recheck(RISCVCPU *cpu);
/* The time CSR: the CLINT's 10 MHz mtime from the hart's clock. */
uint64_t riscv_csr_time(RISCVCPU *cpu);

#endif

/* A minimal S-mode trap handler for delegation tests (shared by the
 * isa-priv / isa-irq / isa-vm programs).  It records scause, stval, sepc
 * and sstatus in s_rec; exceptions resume at sepc + 4 (tests only use
 * 4-byte faulting instructions there), interrupts clear sip.SSIP and
 * return with SIE off (SPIE = 0) so a level-triggered source cannot loop.
 * An ecall/trap arriving with a7 == LOWER_MAGIC is forwarded to M with an
 * ecall so run_lower() returns even when ecalls are delegated. */
#ifndef STRAP_H
#define STRAP_H
#include "test.h"

struct s_record { uint64_t cause, tval, epc, status, t1, count; };
extern volatile struct s_record s_rec;
void s_trap_entry(void);

__asm__(
    "   .text\n"
    "   .balign 4\n"
    "   .globl s_trap_entry\n"
    "s_trap_entry:\n"
    "   csrrw t0, sscratch, t0\n"
    "   sd t1, 32(t0)\n"
    "   li t1, 0x5a5a\n"
    "   bne a7, t1, 1f\n"
    "   ecall\n"
    "1: csrr t1, scause\n   sd t1, 0(t0)\n"
    "   csrr t1, stval\n    sd t1, 8(t0)\n"
    "   csrr t1, sepc\n     sd t1, 16(t0)\n"
    "   csrr t1, sstatus\n  sd t1, 24(t0)\n"
    "   ld t1, 40(t0)\n     addi t1, t1, 1\n   sd t1, 40(t0)\n"
    "   csrr t1, scause\n"
    "   bltz t1, 2f\n"
    "   csrr t1, sepc\n     addi t1, t1, 4\n   csrw sepc, t1\n"
    "   j 3f\n"
    "2: csrci sip, 2\n"
    "   li t1, 0x20\n       csrc sstatus, t1\n"
    "3: ld t1, 32(t0)\n"
    "   csrrw t0, sscratch, t0\n"
    "   sret\n");

volatile struct s_record s_rec;

static inline void s_setup(void)
{
    s_rec.cause = s_rec.tval = s_rec.epc = s_rec.status = ~0UL;
    s_rec.count = 0;
    csr_write(stvec, (uintptr_t)s_trap_entry);
    csr_write(sscratch, (uintptr_t)&s_rec);
}
#endif

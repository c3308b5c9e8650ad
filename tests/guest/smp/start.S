/* Multi-hart start for smptest: every hart gets its own stack (hart h's
 * below smp_stacks + (h + 1) * SMP_STACK), mtvec -> smp_trap, and calls
 * hart_main(hartid). Hart 0 clears .bss first; the others wait for
 * smp_go (in .data, so not cleared) before touching anything. */
#define SMP_STACK 8192
    .section .text.init, "ax"
    .globl _start
_start:
    .option push
    .option norelax
    la gp, __global_pointer$
    .option pop
    csrr s0, mhartid
    la sp, smp_stacks
    addi t0, s0, 1
    li t1, SMP_STACK
    mul t0, t0, t1
    add sp, sp, t0
    la t0, smp_trap
    csrw mtvec, t0
    csrw mie, zero
    bnez s0, wait_go
    la t0, __bss_start
    la t1, __bss_end
1:  bgeu t0, t1, 2f
    sd zero, 0(t0)
    addi t0, t0, 8
    j 1b
2:  fence
    la t0, smp_go
    li t1, 1
    sw t1, 0(t0)
    j run
wait_go:
    la t0, smp_go
3:  lw t1, 0(t0)
    beqz t1, 3b
    fence
run:
    mv a0, s0
    call hart_main
4:  wfi
    j 4b

    /* Interrupts only (M-mode, taken in C with the caller-saved registers
     * kept on the hart's own stack). */
    .balign 4
    .globl smp_trap
smp_trap:
    addi sp, sp, -144
    sd ra, 0(sp)
    sd t0, 8(sp)
    sd t1, 16(sp)
    sd t2, 24(sp)
    sd a0, 32(sp)
    sd a1, 40(sp)
    sd a2, 48(sp)
    sd a3, 56(sp)
    sd a4, 64(sp)
    sd a5, 72(sp)
    sd a6, 80(sp)
    sd a7, 88(sp)
    sd t3, 96(sp)
    sd t4, 104(sp)
    sd t5, 112(sp)
    sd t6, 120(sp)
    csrr a0, mcause
    csrr a1, mhartid
    call smp_interrupt
    ld ra, 0(sp)
    ld t0, 8(sp)
    ld t1, 16(sp)
    ld t2, 24(sp)
    ld a0, 32(sp)
    ld a1, 40(sp)
    ld a2, 48(sp)
    ld a3, 56(sp)
    ld a4, 64(sp)
    ld a5, 72(sp)
    ld a6, 80(sp)
    ld a7, 88(sp)
    ld t3, 96(sp)
    ld t4, 104(sp)
    ld t5, 112(sp)
    ld t6, 120(sp)
    addi sp, sp, 144
    mret

/* M-mode start for Amber's bare-metal guests.
 * Hart 0 runs; others park in wfi.  Sets up the stack, the trap stack
 * (kept in mscratch), mtvec -> trap_entry, clears .bss, calls main(hartid, dtb)
 * and exits through the sifive_test finisher with main's return value.
 *
 * trap_entry saves x1..x31 into a struct trap_frame on the trap stack and
 * calls trap_handler(frame) (weak default below: print and fail), then
 * restores registers (the handler may edit them and frame->mepc) and mrets. */
    .section .text.init, "ax"
    .globl _start
_start:
    .option push
    .option norelax
    la gp, __global_pointer$
    .option pop
    csrr t0, mhartid
    bnez t0, park
    la sp, __stack_top
    la t0, __trap_stack_top
    csrw mscratch, t0
    la t0, trap_entry
    csrw mtvec, t0
    csrw mie, zero
    mv s0, a0
    mv s1, a1
    la t0, __bss_start
    la t1, __bss_end
1:  bgeu t0, t1, 2f
    sd zero, 0(t0)
    addi t0, t0, 8
    j 1b
2:  mv a0, s0
    mv a1, s1
    call main
    call virt_exit
park:
    wfi
    j park

    .text
    .globl trap_entry
    .balign 4
trap_entry:
    csrrw sp, mscratch, sp          /* sp = trap stack, mscratch = old sp */
    addi sp, sp, -272
    sd x1, 8(sp)
    sd x3, 24(sp)
    sd x4, 32(sp)
    sd x5, 40(sp)
    sd x6, 48(sp)
    sd x7, 56(sp)
    sd x8, 64(sp)
    sd x9, 72(sp)
    sd x10, 80(sp)
    sd x11, 88(sp)
    sd x12, 96(sp)
    sd x13, 104(sp)
    sd x14, 112(sp)
    sd x15, 120(sp)
    sd x16, 128(sp)
    sd x17, 136(sp)
    sd x18, 144(sp)
    sd x19, 152(sp)
    sd x20, 160(sp)
    sd x21, 168(sp)
    sd x22, 176(sp)
    sd x23, 184(sp)
    sd x24, 192(sp)
    sd x25, 200(sp)
    sd x26, 208(sp)
    sd x27, 216(sp)
    sd x28, 224(sp)
    sd x29, 232(sp)
    sd x30, 240(sp)
    sd x31, 248(sp)
    csrr t0, mscratch
    sd t0, 16(sp)                   /* x2 = interrupted sp */
    csrr t0, mepc
    sd t0, 256(sp)
    csrw mscratch, sp               /* nested traps go below this frame */
    .option push
    .option norelax
    la gp, __global_pointer$
    .option pop
    mv a0, sp
    call trap_handler
    ld t0, 256(sp)
    csrw mepc, t0
    addi t0, sp, 272
    csrw mscratch, t0
    ld x1, 8(sp)
    ld x3, 24(sp)
    ld x4, 32(sp)
    ld x5, 40(sp)
    ld x6, 48(sp)
    ld x7, 56(sp)
    ld x8, 64(sp)
    ld x9, 72(sp)
    ld x10, 80(sp)
    ld x11, 88(sp)
    ld x12, 96(sp)
    ld x13, 104(sp)
    ld x14, 112(sp)
    ld x15, 120(sp)
    ld x16, 128(sp)
    ld x17, 136(sp)
    ld x18, 144(sp)
    ld x19, 152(sp)
    ld x20, 160(sp)
    ld x21, 168(sp)
    ld x22, 176(sp)
    ld x23, 184(sp)
    ld x24, 192(sp)
    ld x25, 200(sp)
    ld x26, 208(sp)
    ld x27, 216(sp)
    ld x28, 224(sp)
    ld x29, 232(sp)
    ld x30, 240(sp)
    ld x31, 248(sp)
    ld x2, 16(sp)
    mret

    /* Default handler: report and fail (exit code 3). */
    .weak trap_handler
trap_handler:
    mv s0, a0
    la a0, unexpected_msg
    call puts_raw
    csrr a0, mcause
    call put_hex
    li a0, ' '
    call uart_putc
    csrr a0, mepc
    call put_hex
    li a0, ' '
    call uart_putc
    csrr a0, mtval
    call put_hex
    li a0, '\n'
    call uart_putc
    li a0, 3
    call virt_exit

    .section .rodata
unexpected_msg:
    .asciz "unexpected trap: mcause mepc mtval = "

/* run_lower(mode, fn, arg): enter fn in U (0) or S (1) mode via mret,
 * and come back here when it ecalls with a7 = LOWER_MAGIC (trap_handler
 * calls lower_jump(a0)). */
    .text
    .globl run_lower, lower_jump, lower_exit
run_lower:
    la t0, lower_ctx
    sd ra, 0(t0)
    sd sp, 8(t0)
    sd s0, 16(t0)
    sd s1, 24(t0)
    sd s2, 32(t0)
    sd s3, 40(t0)
    sd s4, 48(t0)
    sd s5, 56(t0)
    sd s6, 64(t0)
    sd s7, 72(t0)
    sd s8, 80(t0)
    sd s9, 88(t0)
    sd s10, 96(t0)
    sd s11, 104(t0)
    sd gp, 112(t0)
    sd tp, 120(t0)
    li t1, 1
    la t0, lower_active
    sw t1, 0(t0)
    li t0, 0x1800             /* MPP */
    csrc mstatus, t0
    slli a0, a0, 11
    csrs mstatus, a0
    li t0, 0x80               /* MPIE = 0: M interrupts stay off after return */
    csrc mstatus, t0
    csrw mepc, a1
    mv a0, a2
    la ra, lower_exit
    la sp, lower_stack_top
    mret
lower_exit:
    li a7, 0x5a5a
    ecall
1:  j 1b

lower_jump:
    la t0, __trap_stack_top
    csrw mscratch, t0
    la t0, lower_ctx
    ld ra, 0(t0)
    ld sp, 8(t0)
    ld s0, 16(t0)
    ld s1, 24(t0)
    ld s2, 32(t0)
    ld s3, 40(t0)
    ld s4, 48(t0)
    ld s5, 56(t0)
    ld s6, 64(t0)
    ld s7, 72(t0)
    ld s8, 80(t0)
    ld s9, 88(t0)
    ld s10, 96(t0)
    ld s11, 104(t0)
    ld gp, 112(t0)
    ld tp, 120(t0)
    ret

    .bss
    .balign 16
lower_ctx:
    .space 128
    .balign 16
    .space 8192
lower_stack_top:

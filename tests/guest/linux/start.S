/* Entry of Amber's /init: no libc. The kernel leaves argc, argv[] and
 * envp[] on the stack; init_main(argc, argv) gets the first two. gp is set
 * for the linker's gp-relative relaxations. */
    .section .text.start, "ax"
    .globl _start
_start:
    .option push
    .option norelax
    la      gp, __global_pointer$
    .option pop
    ld      a0, 0(sp)
    addi    a1, sp, 8
    andi    sp, sp, -16
    call    init_main
    li      a7, 93              /* exit(status): init exiting panics the kernel, on purpose */
    ecall
1:  j       1b

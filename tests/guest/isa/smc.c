/* isa-smc: self-modifying code.  New code written to memory must run after
 * fence.i: generated functions, repeated patching of already-executed code,
 * patching the instruction right after the store in the running function,
 * 16-bit instructions and a function copied to another page. */
#include "test.h"

static uint32_t codebuf[1024] __attribute__((aligned(4096)));
static uint32_t copybuf[256] __attribute__((aligned(4096)));

#define LI_A0(imm) ((((uint32_t)(imm) & 0xfff) << 20) | 0x513)
#define RET 0x00008067u
#define C_LI_A0(imm) (0x4000u | ((((imm) >> 5) & 1u) << 12) | (10u << 7) | (((imm) & 31u) << 2) | 1u)
#define C_JR_RA 0x8082u

typedef long (*fn_t)(void);

long smc_self(void);
long smc_src(void);
extern char smc_src_end[];
__asm__(
    "   .section .text.page, \"ax\"\n"
    "   .option push\n   .option norvc\n"
    "   .globl smc_self\n"
    "smc_self:\n"
    "   la t0, 1f\n"
    "   li t1, 0x04d00513\n"       /* li a0, 77 */
    "   sw t1, 0(t0)\n"
    "   fence.i\n"
    "1: li a0, 5\n"
    "   ret\n"
    /* position-independent function copied elsewhere */
    "   .globl smc_src, smc_src_end\n"
    "smc_src:\n"
    "   li a0, 0\n   li t0, 10\n"
    "2: addi a0, a0, 3\n   addi t0, t0, -1\n   bnez t0, 2b\n"
    "   ret\n"
    "smc_src_end:\n"
    "   .option pop\n"
    "   .text\n");

int main(void)
{
    test_start("isa-smc");
    fn_t f = (fn_t)(uintptr_t)codebuf;

    codebuf[0] = LI_A0(1);
    codebuf[1] = RET;
    fence_i();
    check_eq("generated code runs", f(), 1);
    codebuf[0] = LI_A0(2);
    fence_i();
    check_eq("patched code runs after fence.i", f(), 2);
    int bad = 0;
    for (int i = 0; i < 200; i++) {
        codebuf[0] = LI_A0(i * 7 - 700);
        fence_i();
        if (f() != i * 7 - 700)
            bad++;
    }
    check_eq("200 patch/fence.i/run rounds", bad, 0);
    /* a longer block: patch the middle of a straight-line sequence */
    for (int i = 0; i < 16; i++)
        codebuf[64 + i] = 0x00150513;   /* addi a0, a0, 1 */
    codebuf[63] = LI_A0(0);
    codebuf[80] = RET;
    fence_i();
    fn_t g = (fn_t)(uintptr_t)&codebuf[63];
    check_eq("straight-line block", g(), 16);
    codebuf[70] = 0x06450513;          /* addi a0, a0, 100 */
    fence_i();
    check_eq("patch inside an executed block", g(), 115);
    check_eq("self-patching function (store then fence.i)", smc_self(), 77);
    check_eq("self-patching function, second call", smc_self(), 77);

    /* 16-bit instructions */
    uint16_t *h = (uint16_t *)&codebuf[512];
    h[0] = C_LI_A0(3);
    h[1] = C_JR_RA;
    fence_i();
    fn_t k = (fn_t)(uintptr_t)h;
    check_eq("compressed generated code", k(), 3);
    h[0] = C_LI_A0(0x3f);              /* -1 */
    fence_i();
    check_eq("compressed patch (c.li a0, -1)", k(), -1);
    /* 32-bit instruction at a 2-byte aligned address */
    h[0] = 0x0001;                      /* c.nop */
    h[1] = (uint16_t)(LI_A0(12) & 0xffff);
    h[2] = (uint16_t)(LI_A0(12) >> 16);
    h[3] = C_JR_RA;
    fence_i();
    check_eq("32-bit instruction at 2-byte aligned address", k(), 12);

    /* copy a function to another page and run it */
    unsigned n = (unsigned)((uintptr_t)smc_src_end - (uintptr_t)smc_src);
    memcpy(copybuf, (void *)(uintptr_t)smc_src, n);
    fence_i();
    check_eq("copied function runs", ((fn_t)(uintptr_t)copybuf)(), 30);
    copybuf[1] = 0x01400293;           /* li t0, 20 */
    fence_i();
    check_eq("copied function patched (loop count)", ((fn_t)(uintptr_t)copybuf)(), 60);
    return test_finish();
}

/* isa-rvc: every RV64C instruction (explicit c.* mnemonics, so the
 * assembler must emit the 16-bit form), plus reserved encodings. */
#include "test.h"

static volatile uint64_t cmem[8] __attribute__((aligned(16)));

/* r = op applied to (a [, b]) in compressed registers a0/a1 */
#define C1(insn, a, exp) do { register uint64_t x asm("a0") = (a); \
    __asm__ volatile(insn : "+r"(x)); check_eq(insn " on " #a, x, exp); } while (0)
#define C2(insn, a, b, exp) do { register uint64_t x asm("a0") = (a); \
    register uint64_t y asm("a1") = (b); \
    __asm__ volatile(insn : "+r"(x) : "r"(y)); check_eq(insn " on " #a ", " #b, x, exp); } while (0)

int main(void)
{
    test_start("isa-rvc");
    uint64_t r, r2;

    C1("c.li a0, -32", 5, 0xffffffffffffffe0ULL);
    C1("c.li a0, 31", 5, 31);
    C1("c.addi a0, -32", 0, 0xffffffffffffffe0ULL);
    C1("c.addi a0, 31", 0xffffffffffffffffULL, 30);
    C1("c.addiw a0, 1", 0x7fffffff, 0xffffffff80000000ULL);
    C1("c.addiw a0, -1", 0x100000000ULL, 0xffffffffffffffffULL);
    C1("c.addiw a0, 0", 0x12345678deadbeefULL, 0xffffffffdeadbeefULL);   /* sext.w */
    C1("c.lui a0, 1", 0, 0x1000);
    C1("c.lui a0, 0x1f", 0, 0x1f000);
    C1("c.lui a0, 0xfffe0", 0, 0xfffffffffffe0000ULL);
    C1("c.lui a0, 0xfffff", 0, 0xfffffffffffff000ULL);
    C1("c.srli a0, 1", 0x8000000000000000ULL, 0x4000000000000000ULL);
    C1("c.srli a0, 63", 0x8000000000000000ULL, 1);
    C1("c.srli a0, 32", 0xffffffff00000000ULL, 0xffffffffULL);
    C1("c.srai a0, 63", 0x8000000000000000ULL, 0xffffffffffffffffULL);
    C1("c.srai a0, 4", 0x8000000000000000ULL, 0xf800000000000000ULL);
    C1("c.srai a0, 32", 0x7fffffff00000000ULL, 0x7fffffffULL);
    C1("c.andi a0, -32", 0xffffffffffffffffULL, 0xffffffffffffffe0ULL);
    C1("c.andi a0, 31", 0xffffffffffffffffULL, 31);
    C1("c.andi a0, 0", 0xffffffffffffffffULL, 0);
    C1("c.slli a0, 63", 1, 0x8000000000000000ULL);
    C1("c.slli a0, 1", 0xc000000000000000ULL, 0x8000000000000000ULL);
    C1("c.slli a0, 32", 0x12345678ULL, 0x1234567800000000ULL);
    C2("c.sub a0, a1", 0, 1, 0xffffffffffffffffULL);
    C2("c.xor a0, a1", 0xff00ff00ff00ff00ULL, 0x0ff00ff00ff00ff0ULL, 0xf0f0f0f0f0f0f0f0ULL);
    C2("c.or a0, a1", 0xff00000000000000ULL, 0x1ULL, 0xff00000000000001ULL);
    C2("c.and a0, a1", 0xff00ff00ff00ff00ULL, 0x0ff00ff00ff00ff0ULL, 0x0f000f000f000f00ULL);
    C2("c.subw a0, a1", 0x80000000ULL, 1, 0x7fffffffULL);
    C2("c.subw a0, a1", 0, 1, 0xffffffffffffffffULL);
    C2("c.addw a0, a1", 0x7fffffffULL, 1, 0xffffffff80000000ULL);
    C2("c.addw a0, a1", 0xffffffff00000001ULL, 0x1ffffffffULL, 0);
    C2("c.mv a0, a1", 0, 0x8000000000000001ULL, 0x8000000000000001ULL);
    C2("c.add a0, a1", 0xffffffffffffffffULL, 2, 1);
    C2("c.add a0, a1", 0x7fffffffffffffffULL, 1, 0x8000000000000000ULL);
    {
        register uint64_t x asm("a0") = 7;
        __asm__ volatile("c.nop" : "+r"(x));
        check_eq("c.nop", x, 7);
    }

    /* register-based loads/stores (x8-x15) */
    cmem[0] = 0x8000000180000002ULL;
    cmem[1] = 0xfedcba9876543210ULL;
#define CLD(insn, base, exp) do { register uint64_t b_ asm("a1") = (uint64_t)(base); \
        register uint64_t x_ asm("a0"); \
        __asm__ volatile(insn : "=r"(x_) : "r"(b_) : "memory"); \
        check_eq(insn, x_, exp); } while (0)
#define CST(insn, base, val) do { register uint64_t b_ asm("a1") = (uint64_t)(base); \
        register uint64_t x_ asm("a0") = (val); \
        __asm__ volatile(insn :: "r"(x_), "r"(b_) : "memory"); } while (0)
    CLD("c.lw a0, 4(a1)", cmem, 0xffffffff80000001ULL);
    CLD("c.lw a0, 0(a1)", cmem, 0xffffffff80000002ULL);
    CLD("c.ld a0, 8(a1)", cmem, 0xfedcba9876543210ULL);
    /* base adjusted so the largest offsets land inside cmem */
    CST("c.sw a0, 124(a1)", (uint64_t)cmem - 124 + 16, 0x1122334455667788ULL);
    check_eq("c.sw offset 124", cmem[2] & 0xffffffff, 0x55667788);
    CST("c.sd a0, 248(a1)", (uint64_t)cmem - 248 + 24, 0x1122334455667788ULL);
    check_eq("c.sd offset 248", cmem[3], 0x1122334455667788ULL);
    CLD("c.ld a0, 248(a1)", (uint64_t)cmem - 248 + 8, 0xfedcba9876543210ULL);
    CLD("c.lw a0, 124(a1)", (uint64_t)cmem - 124 + 8, 0x76543210ULL);

    /* sp-based forms: point sp at cmem temporarily */
    cmem[4] = 0xffffffff8badf00dULL;
    cmem[5] = 0x0123456789abcdefULL;
    {
        register uint64_t x asm("a0");
        register uint64_t y asm("a1") = 0xa5a5a5a5c3c3c3c3ULL;
        register uint64_t base asm("a2") = (uint64_t)cmem;
        uint64_t v1, v2, v3, v4;
        __asm__ volatile(
            "mv t0, sp\n mv sp, %[b]\n"
            "c.lwsp %0, 32(sp)\n"          /* low word of cmem[4] */
            "c.ldsp %1, 40(sp)\n"
            "c.swsp %[y], 48(sp)\n"
            "c.sdsp %[y], 56(sp)\n"
            "c.addi4spn a0, sp, 1020\n mv %2, a0\n"
            "c.addi16sp sp, -512\n mv %3, sp\n c.addi16sp sp, 496\n c.addi16sp sp, 16\n"
            "mv sp, t0"
            : "=&r"(v1), "=&r"(v2), "=&r"(v3), "=&r"(v4), "=&r"(x)
            : [b] "r"(base), [y] "r"(y) : "t0", "memory");
        check_eq("c.lwsp sign-extends", v1, 0xffffffff8badf00dULL);
        check_eq("c.ldsp", v2, 0x0123456789abcdefULL);
        check_eq("c.swsp", cmem[6] & 0xffffffff, 0xc3c3c3c3);
        check_eq("c.sdsp", cmem[7], 0xa5a5a5a5c3c3c3c3ULL);
        check_eq("c.addi4spn 1020", v3, (uint64_t)cmem + 1020);
        check_eq("c.addi16sp -512", v4, (uint64_t)cmem - 512);
        uint64_t sp1, sp2;
        __asm__ volatile("mv %0, sp\n c.addi16sp sp, -16\n mv %1, sp\n c.addi16sp sp, 16"
                         : "=&r"(sp1), "=&r"(sp2));
        check_eq("c.addi16sp -16 / +16", sp2, sp1 - 16);
        __asm__ volatile("mv t0, sp\n mv sp, %1\n c.lwsp %0, 4(sp)\n mv sp, t0"
                         : "=&r"(v1) : "r"((uint64_t)cmem) : "t0", "memory");
        check_eq("c.lwsp offset 4", v1, 0xffffffff80000001ULL);
    }

    /* control flow */
    __asm__ volatile("li %0, 0\n c.j 1f\n li %0, 9\n 1:" : "=&r"(r));
    check_eq("c.j skips", r, 0);
    {
        register uint64_t x asm("a0") = 0;
        __asm__ volatile("li %1, 0\n c.beqz a0, 1f\n li %1, 9\n 1:" : "+r"(x), "=&r"(r));
        check_eq("c.beqz taken", r, 0);
        x = 1;
        __asm__ volatile("li %1, 0\n c.beqz a0, 1f\n li %1, 9\n 1:" : "+r"(x), "=&r"(r));
        check_eq("c.beqz not taken", r, 9);
        x = 0x8000000000000000ULL;
        __asm__ volatile("li %1, 0\n c.bnez a0, 1f\n li %1, 9\n 1:" : "+r"(x), "=&r"(r));
        check_eq("c.bnez taken (only bit 63 set)", r, 0);
        x = 0;
        __asm__ volatile("li %1, 0\n c.bnez a0, 1f\n li %1, 9\n 1:" : "+r"(x), "=&r"(r));
        check_eq("c.bnez not taken", r, 9);
        /* backward compressed branch */
        x = 3;
        __asm__ volatile("li %1, 0\n 1: addi %1, %1, 1\n c.addi a0, -1\n c.bnez a0, 1b" : "+r"(x), "=&r"(r));
        check_eq("c.bnez backward loop", r, 3);
    }
    {
        uint64_t link, expect;
        __asm__ volatile("la t1, 1f\n c.jalr t1\n 2: j 3f\n 1: mv %0, ra\n la %1, 2b\n c.jr %0\n 3:"
                         : "=&r"(link), "=&r"(expect) :: "t1", "ra");
        check_eq("c.jalr link = pc+2, c.jr returns", link, expect);
    }

    /* traps */
    trap_arm();
    __asm__ volatile("c.ebreak");
    check_trap("c.ebreak -> breakpoint (cause 3)", 3, 0, 1);
    trap_arm();
    __asm__ volatile(".2byte 0x0000");
    check_trap("all-zero 16-bit instruction is illegal, mtval=0", 2, 0, 0);
    trap_arm();
    __asm__ volatile(".2byte 0x6101");   /* c.addi16sp with imm 0: reserved */
    check_trap("c.addi16sp imm=0 is illegal", 2, 0x6101, 0);
    trap_arm();
    __asm__ volatile(".2byte 0x6501");   /* c.lui a0, 0: reserved */
    check_trap("c.lui imm=0 is illegal", 2, 0x6501, 0);
    trap_arm();
    __asm__ volatile(".2byte 0x2001");   /* c.addiw x0: reserved */
    check_trap("c.addiw rd=x0 is illegal", 2, 0x2001, 0);
    trap_arm();
    __asm__ volatile(".2byte 0x4002");   /* c.lwsp x0: reserved */
    check_trap("c.lwsp rd=x0 is illegal", 2, 0x4002, 0);
    trap_arm();
    __asm__ volatile(".2byte 0x8002");   /* c.jr x0: reserved */
    check_trap("c.jr x0 is illegal", 2, 0x8002, 0);
    (void)r2;
    return test_finish();
}

/* isa-rv64i: every RV64I computational, load/store, branch and jump
 * instruction, with edge cases (vectors.h is generated from a Python model). */
#include "test.h"
#include "vectors.h"

#define RR(op, a, b, exp) do { \
    uint64_t r, x = (a), y = (b); \
    __asm__ volatile(op " %0, %1, %2" : "=r"(r) : "r"(x), "r"(y)); \
    check_eq(op " " #a ", " #b, r, exp); } while (0);
#define RI(op, a, i, exp) do { \
    uint64_t r, x = (a); \
    __asm__ volatile(op " %0, %1, %2" : "=r"(r) : "r"(x), "i"(i)); \
    check_eq(op " " #a ", " #i, r, exp); } while (0);

static volatile uint64_t mem[4] __attribute__((aligned(16)));

#define LOAD(op, off, exp) do { uint64_t r; \
    __asm__ volatile(op " %0, %2(%1)" : "=r"(r) : "r"(mem), "i"(off) : "memory"); \
    check_eq(op " offset " #off, r, exp); } while (0)
#define STORE(op, off, val, exp0, exp1) do { mem[0] = 0x1111111111111111ULL; \
    mem[1] = 0x2222222222222222ULL; uint64_t v = (val); \
    __asm__ volatile(op " %0, %2(%1)" :: "r"(v), "r"(mem), "i"(off) : "memory"); \
    check_eq(op " offset " #off " word0", mem[0], exp0); \
    check_eq(op " offset " #off " word1", mem[1], exp1); } while (0)

#define BR(op, a, b, taken) do { uint64_t r = 0, x = (a), y = (b); \
    __asm__ volatile(op " %1, %2, 1f\n li %0, 0\n j 2f\n1: li %0, 1\n2:" \
                     : "=&r"(r) : "r"(x), "r"(y)); \
    check_eq(op " " #a ", " #b, r, taken); } while (0)

int main(void)
{
    test_start("isa-rv64i");
    RV64I_RR_VECTORS


    uint64_t r;
    __asm__ volatile("lui %0, 0x80000" : "=r"(r));
    check_eq("lui 0x80000 sign-extends", r, 0xffffffff80000000ULL);
    __asm__ volatile("lui %0, 0x7ffff" : "=r"(r));
    check_eq("lui 0x7ffff", r, 0x7ffff000ULL);
    __asm__ volatile("lui %0, 0xfffff" : "=r"(r));
    check_eq("lui 0xfffff", r, 0xfffffffffffff000ULL);
    uint64_t pc, r2;
    __asm__ volatile("1: auipc %0, 0\n la %1, 1b" : "=r"(r), "=r"(pc));
    check_eq("auipc 0", r, pc);
    __asm__ volatile("1: auipc %0, 0x1\n la %1, 1b" : "=r"(r), "=r"(pc));
    check_eq("auipc 0x1", r, pc + 0x1000);
    __asm__ volatile("1: auipc %0, 0xfffff\n la %1, 1b" : "=r"(r), "=r"(pc));
    check_eq("auipc -1 page", r, pc - 0x1000);

    /* x0 is hard-wired to zero */
    __asm__ volatile("li t0, 5\n addi x0, t0, 1\n mv %0, x0" : "=r"(r) :: "t0");
    check_eq("write to x0 ignored", r, 0);

    /* loads: sign/zero extension */
    mem[0] = 0x8081828384858687ULL;
    mem[1] = 0x7f6f5f4f3f2f1f0fULL;
    LOAD("lb", 0, 0xffffffffffffff87ULL);
    LOAD("lb", 8, 0x0f);
    LOAD("lbu", 0, 0x87);
    LOAD("lb", 7, 0xffffffffffffff80ULL);
    LOAD("lh", 0, 0xffffffffffff8687ULL);
    LOAD("lh", 14, 0x7f6f);
    LOAD("lhu", 6, 0x8081);
    LOAD("lw", 4, 0xffffffff80818283ULL);
    LOAD("lw", 8, 0x3f2f1f0f);
    LOAD("lwu", 4, 0x80818283ULL);
    LOAD("ld", 0, 0x8081828384858687ULL);
    LOAD("ld", 8, 0x7f6f5f4f3f2f1f0fULL);
    {
        uint64_t base = (uint64_t)&mem[1];
        __asm__ volatile("ld %0, -8(%1)" : "=r"(r) : "r"(base) : "memory");
        check_eq("ld negative offset", r, 0x8081828384858687ULL);
    }
    /* stores: only the addressed bytes change */
    STORE("sb", 3, 0xabcdef, 0x11111111ef111111ULL, 0x2222222222222222ULL);
    STORE("sh", 6, 0x12345678, 0x5678111111111111ULL, 0x2222222222222222ULL);
    STORE("sw", 4, 0xfedcba9876543210ULL, 0x7654321011111111ULL, 0x2222222222222222ULL);
    STORE("sd", 8, 0x0123456789abcdefULL, 0x1111111111111111ULL, 0x0123456789abcdefULL);
    STORE("sw", 8, 0xffffffffULL, 0x1111111111111111ULL, 0x22222222ffffffffULL);

    /* branches */
    BR("beq", 5, 5, 1); BR("beq", 5, 6, 0);
    BR("bne", 5, 6, 1); BR("bne", -1L, -1L, 0);
    BR("blt", -1L, 0, 1); BR("blt", 0, -1L, 0); BR("blt", 3, 3, 0);
    BR("bltu", 0, -1L, 1); BR("bltu", -1L, 0, 0);
    BR("bge", 0, -1L, 1); BR("bge", 3, 3, 1); BR("bge", -1L, 0, 0);
    BR("bgeu", -1L, 0, 1); BR("bgeu", 0, -1L, 0); BR("bgeu", 7, 7, 1);
    BR("blt", 0x8000000000000000ULL, 0x7fffffffffffffffULL, 1);
    BR("bltu", 0x7fffffffffffffffULL, 0x8000000000000000ULL, 1);

    /* jal / jalr: link value, target, LSB cleared by jalr */
    __asm__ volatile(".option push\n .option norvc\n"
                     "jal %0, 1f\n 2: nop\n 1: la %1, 2b\n .option pop"
                     : "=r"(r), "=r"(r2));
    check_eq("jal link = pc+4", r, r2);
    {
        uint64_t link, target, expect;
        __asm__ volatile(".option push\n .option norvc\n"
                         "la %1, 1f\n addi %1, %1, 1\n"   /* odd target */
                         "jalr %0, 0(%1)\n"
                         "3: li %1, 0\n j 2f\n"
                         "1: la %2, 3b\n"
                         "2:\n .option pop"
                         : "=&r"(link), "=&r"(target), "=&r"(expect));
        ok(target != 0, "jalr clears bit 0 of the target");
        check_eq("jalr link", link, expect);
    }
    {
        /* jalr with rd == rs1: target uses the old value */
        uint64_t t;
        __asm__ volatile(".option push\n .option norvc\n"
                         "la %0, 1f\n jalr %0, 0(%0)\n li %0, 0\n 1:\n .option pop" : "=&r"(t));
        ok(t != 0, "jalr rd == rs1 jumps to old rs1");
        __asm__ volatile(".option push\n .option norvc\n"
                         "la %0, 1f\n addi %0, %0, -16\n jalr x0, 16(%0)\n li %0, 0\n 1:\n .option pop" : "=&r"(t));
        ok(t != 0, "jalr with offset, rd = x0");
    }
    /* fence variants execute */
    __asm__ volatile("fence\n fence rw, rw\n fence r, r\n fence.tso\n fence.i" ::: "memory");
    ok(1, "fence / fence.tso / fence.i execute");
    __asm__ volatile("fence w, w\n fence iorw, iorw\n fence io, io" ::: "memory");
    ok(1, "fence w,w / iorw,iorw / io,io execute");
    return test_finish();
}

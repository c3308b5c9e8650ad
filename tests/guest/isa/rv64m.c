/* isa-rv64m: multiply/divide incl. division by zero, INT_MIN / -1,
 * high-part multiplies and the W variants (vectors from gen_vectors.py). */
#include "test.h"
#include "vectors.h"

#define RR(op, a, b, exp) do { \
    uint64_t r, x = (a), y = (b); \
    __asm__ volatile(op " %0, %1, %2" : "=r"(r) : "r"(x), "r"(y)); \
    check_eq(op " " #a ", " #b, r, exp); } while (0);

int main(void)
{
    test_start("isa-rv64m");
    RV64M_RR_VECTORS
    /* same register as source and destination */
    uint64_t r = 7;
    __asm__ volatile("mul %0, %0, %0" : "+r"(r));
    check_eq("mul rd = rs1 = rs2", r, 49);
    r = 0x8000000000000000ULL;
    __asm__ volatile("divu %0, %0, %0" : "+r"(r));
    check_eq("divu rd = rs1 = rs2", r, 1);
    /* no trap on division by zero */
    trap_arm();
    uint64_t z = 0;
    __asm__ volatile("div %0, %1, %2" : "=r"(r) : "r"(5UL), "r"(z));
    check_no_trap("div by zero does not trap");
    return test_finish();
}

/* rvbench guest driver (M-mode, no libc).  Lines starting with "@" carry
 * timing values that differ between emulators (diff-qemu.sh filters them). */
#include "virt.h"
#include "bench_core.h"

#ifndef ITERS
#define ITERS 50
#endif

int main(void)
{
    uart_init();
    puts_raw("rvbench iters=");
    put_dec(ITERS);
    puts_raw("\n");
    uint64_t t0 = mtime();
    uint64_t i0 = csr_read(minstret);
    uint64_t c0 = csr_read(mcycle);
    uint32_t sum = bench_run(ITERS);
    uint64_t c1 = csr_read(mcycle);
    uint64_t i1 = csr_read(minstret);
    uint64_t t1 = mtime();
    puts_raw("checksum=");
    uart_putc('0'); uart_putc('x');
    put_hexn(sum, 8);
#ifdef EXPECTED
    int good = sum == (uint32_t)(EXPECTED);
    puts_raw(good ? " OK\n" : " MISMATCH expected 0x");
    if (!good) {
        put_hexn((uint32_t)(EXPECTED), 8);
        puts_raw("\n");
    }
#else
    int good = 1;
    puts_raw(" (no expected value)\n");
#endif
    puts_raw("@minstret_delta=");
    put_dec(i1 - i0);
    puts_raw("\n@mcycle_delta=");
    put_dec(c1 - c0);
    puts_raw("\n@mtime_delta_10MHz=");
    put_dec(t1 - t0);
    puts_raw("\n");
    return good ? 0 : 1;
}

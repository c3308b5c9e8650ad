/* SMP benchmark guest (bench/smp.sh): every hart runs rvbench's CPU mix on
 * its own copy of the data (bench_core.c is compiled once per hart, with
 * its entry points renamed bench_run_hN, so no two harts share a byte) and
 * checks its checksum; hart 0 waits for the others, prints the guest
 * instructions each retired and exits through the sifive_test finisher.
 * The same ELF at -smp 1 runs the work of one hart. */
#include <stdint.h>

#include "virt.h"

#define MAX_HARTS 8
#define SMP_STACK 8192

uint8_t smp_stacks[MAX_HARTS * SMP_STACK] __attribute__((aligned(16)));
volatile uint32_t smp_go __attribute__((section(".data"))) = 0;

uint32_t bench_run_h0(uint32_t), bench_run_h1(uint32_t), bench_run_h2(uint32_t),
    bench_run_h3(uint32_t), bench_run_h4(uint32_t), bench_run_h5(uint32_t),
    bench_run_h6(uint32_t), bench_run_h7(uint32_t);
static uint32_t (*const runs[MAX_HARTS])(uint32_t) = {
    bench_run_h0, bench_run_h1, bench_run_h2, bench_run_h3,
    bench_run_h4, bench_run_h5, bench_run_h6, bench_run_h7,
};

static volatile uint32_t arrived, done;
static volatile uint64_t insns[MAX_HARTS];
static volatile uint32_t sums[MAX_HARTS];

/* No interrupts are enabled; start.S's trap entry wants a handler. */
void smp_interrupt(uint64_t cause, uint64_t hart);
void smp_interrupt(uint64_t cause, uint64_t hart)
{
    (void)cause;
    (void)hart;
}

void hart_main(uint64_t hartid, uint64_t dtb);
void hart_main(uint64_t hartid, uint64_t dtb)
{
    (void)dtb;
    uint32_t h = (uint32_t)hartid;
    __atomic_fetch_add(&arrived, 1, __ATOMIC_ACQ_REL);
    if (h == 0) {
        uart_init();
        uint64_t t0 = mtime();
        while (mtime() - t0 < 20000) {   /* 2 ms: every hart has started */
        }
        smp_go = 2;
    } else {
        while (smp_go != 2) {
        }
    }
    uint64_t i0 = csr_read(minstret);
    sums[h] = runs[h](ITERS);
    insns[h] = csr_read(minstret) - i0;
    __atomic_fetch_add(&done, 1, __ATOMIC_ACQ_REL);
    if (h != 0) {
        for (;;) {
            __asm__ volatile("wfi");
        }
    }
    while (done != arrived) {
    }
    puts_raw("smpbench: ");
    put_dec(arrived);
    puts_raw(" harts, iters=");
    put_dec(ITERS);
    puts_raw(" each\n");
    int good = 1;
    uint64_t total = 0;
    for (uint32_t i = 0; i < arrived; i++) {
        puts_raw("hart ");
        put_dec(i);
        puts_raw(" checksum=0x");
        put_hexn(sums[i], 8);
        puts_raw(sums[i] == (uint32_t)(EXPECTED) ? " OK" : " MISMATCH");
        puts_raw(" @minstret_delta=");
        put_dec(insns[i]);
        puts_raw("\n");
        good &= sums[i] == (uint32_t)(EXPECTED);
        total += insns[i];
    }
    puts_raw("@total_minstret=");
    put_dec(total);
    puts_raw("\n");
    virt_exit(good ? 0 : 1);
}

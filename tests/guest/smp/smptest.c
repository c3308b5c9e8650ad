/* Multi-hart test guest (tests/integration/smp.sh): every hart runs the
 * same phases, separated by barriers; hart 0 prints the results. Exact
 * totals show that AMOs are atomic across harts and that LR/SC
 * reservations break when another hart writes (a lost update otherwise);
 * code one hart rewrites runs new on another after fence.i; IPIs go
 * through the CLINT's msip, each hart's timer through its own mtimecmp. The "round" phase runs long enough for a snapshot to land with
 * every hart mid-work. Exits 0 through the sifive_test finisher on success. */
#include <stdint.h>

#include "virt.h"

#define MAX_HARTS 8
#define SMP_STACK 8192
#define K_AMO 20000
#define K_LRSC 20000
#define K_LOCK 5000
#define IPI_ROUNDS 8
#define TIMER_SHOTS 4
#define ROUNDS 16

uint8_t smp_stacks[MAX_HARTS * SMP_STACK] __attribute__((aligned(16)));
volatile uint32_t smp_go __attribute__((section(".data"))) = 0;

static volatile uint32_t arrived, nr;
static volatile uint32_t bar_count, bar_sense;
static volatile uint32_t amo32;
static volatile uint64_t amo64, amomax;
static volatile uint64_t lrsc_ctr;
static volatile uint64_t mix_ctr;
static volatile uint32_t lock;
static volatile uint64_t locked_ctr;
static volatile uint64_t lrsc_fails[MAX_HARTS];
static volatile uint32_t ipi_count[MAX_HARTS], acks;
static volatile uint32_t timer_count[MAX_HARTS], timer_early[MAX_HARTS];
static volatile uint64_t timer_deadline[MAX_HARTS];
static volatile uint32_t bad_boot;
/* Reservation probes: V and its neighbour W share a page, not a doubleword. */
static volatile uint64_t probe[2] __attribute__((aligned(64)));
static volatile uint32_t probe_ready, probe_stored;
static volatile uint64_t probe_rc[2];

/* Code one hart writes and another runs: a page of its own. */
__attribute__((section(".text.page"), aligned(4096))) uint32_t patch_code[4] = {
    0x00008067,                  /* ret (replaced before anyone calls it) */
};
static volatile uint32_t code_ready, code_seen;
static volatile uint64_t code_v1, code_v2;

static void barrier(void)
{
    uint32_t s = bar_sense;
    if (__atomic_fetch_add(&bar_count, 1, __ATOMIC_ACQ_REL) == nr - 1) {
        bar_count = 0;
        __atomic_store_n(&bar_sense, !s, __ATOMIC_RELEASE);
    } else {
        while (bar_sense == s) {
        }
    }
}

/* One increment by LR/SC; returns the failed attempts. */
static uint64_t lrsc_inc(volatile uint64_t *p)
{
    uint64_t fails = 0, tmp, rc;
    for (;;) {
        __asm__ volatile("lr.d %0, (%2)\n\taddi %0, %0, 1\n\tsc.d %1, %0, (%2)"
                         : "=&r"(tmp), "=&r"(rc) : "r"(p) : "memory");
        if (rc == 0) {
            return fails;
        }
        fails++;
    }
}

static void lock_take(void)
{
    while (__atomic_exchange_n(&lock, 1, __ATOMIC_ACQUIRE)) {
        while (lock) {
        }
    }
}

static void lock_give(void)
{
    __atomic_store_n(&lock, 0, __ATOMIC_RELEASE);
}

static void msip_set(uint32_t hart, uint32_t v)
{
    MMIO32(CLINT_MSIP + 4 * hart) = v;
}

void smp_interrupt(uint64_t cause, uint64_t hart);
void smp_interrupt(uint64_t cause, uint64_t hart)
{
    if (cause == (CAUSE_IRQ | 3)) {
        msip_set(hart, 0);
        if (hart == 0) {
            acks++;
        } else {
            ipi_count[hart]++;
            msip_set(0, 1);      /* acknowledge to hart 0 */
        }
    } else if (cause == (CAUSE_IRQ | 7)) {
        if (mtime() < timer_deadline[hart]) {
            timer_early[hart]++;
        }
        MMIO64(CLINT_MTIMECMP + 8 * hart) = ~0ull;
        timer_count[hart]++;
    } else {
        puts_raw("smptest: unexpected trap\n");
        virt_exit(3);
    }
}

/* Waits with interrupts masked, so none slips between test and wfi; each
 * wake-up lets the pending one in. */
static void wait_until(volatile uint32_t *v, uint32_t want, unsigned long mie)
{
    csr_write(mie, mie);
    while (*v != want) {
        __asm__ volatile("wfi");
        csr_set(mstatus, MSTATUS_MIE);
        csr_clear(mstatus, MSTATUS_MIE);
    }
    csr_write(mie, 0);
}

static void put_line(const char *what, uint64_t got, uint64_t want)
{
    puts_raw(what);
    put_dec(got);
    puts_raw(got == want ? " ok\n" : " WRONG\n");
    if (got != want) {
        puts_raw("smptest: FAIL\n");
        virt_exit(1);
    }
}

static void phase_counters(uint32_t h)
{
    uint64_t fails = 0;
    for (int i = 0; i < K_AMO; i++) {
        __atomic_fetch_add(&amo32, 1, __ATOMIC_RELAXED);
        __atomic_fetch_add(&amo64, 3, __ATOMIC_RELAXED);
        uint64_t v = (uint64_t)h * 100000 + (uint64_t)i;
        __asm__ volatile("amomaxu.d zero, %1, (%0)" :: "r"(&amomax), "r"(v) : "memory");
    }
    for (int i = 0; i < K_LRSC; i++) {
        fails += lrsc_inc(&lrsc_ctr);
    }
    /* Odd harts LR/SC, even harts AMO, on one word: AMO stores break
     * reservations too. */
    for (int i = 0; i < K_LRSC; i++) {
        if (h & 1) {
            fails += lrsc_inc(&mix_ctr);
        } else {
            __atomic_fetch_add(&mix_ctr, 1, __ATOMIC_RELAXED);
        }
    }
    for (int i = 0; i < K_LOCK; i++) {
        lock_take();
        locked_ctr = locked_ctr + 1;     /* plain load and store, under the lock */
        lock_give();
    }
    lrsc_fails[h] = fails;
}

/* Hart 1 holds a reservation on probe[0] while hart 0 stores: to probe[1]
 * (same page, other doubleword: the SC succeeds), then to probe[0] (the SC
 * fails). */
static void phase_probe(uint32_t h)
{
    for (int k = 0; k < 2; k++) {
        if (h == 1) {
            uint64_t tmp, rc;
            __asm__ volatile("lr.d %0, (%1)" : "=&r"(tmp) : "r"(&probe[0]) : "memory");
            probe_ready = k + 1;
            while (probe_stored != (uint32_t)k + 1) {
            }
            __asm__ volatile("sc.d %0, %2, (%1)" : "=&r"(rc) : "r"(&probe[0]), "r"(tmp + 1)
                             : "memory");
            probe_rc[k] = rc;
        } else if (h == 0) {
            while (probe_ready != (uint32_t)k + 1) {
            }
            probe[k == 0 ? 1 : 0] += 5;
            probe_stored = k + 1;
        }
        barrier();
    }
}

/* Hart 1 writes a function (addi a0, zero, 1; ret), hart 0 runs it (its
 * translation makes the page a code page, which withdraws hart 1's
 * fast-path writes), hart 1 rewrites it (addi a0, zero, 2): after fence.i
 * hart 0 must run the new code, not its stale translation. */
static void write_fn(int value)
{
    patch_code[0] = ((uint32_t)value << 20) | (10u << 7) | 0x13;
    patch_code[1] = 0x00008067;
    __asm__ volatile("fence" ::: "memory");
}

static void phase_code(uint32_t h)
{
    uint64_t (*fn)(void) = (uint64_t (*)(void))(uintptr_t)patch_code;
    if (h == 1) {
        write_fn(1);
        code_ready = 1;
        while (code_seen != 1) {
        }
        write_fn(2);
        code_ready = 2;
    } else if (h == 0) {
        while (code_ready != 1) {
        }
        __asm__ volatile("fence.i" ::: "memory");
        code_v1 = fn();
        code_seen = 1;
        while (code_ready != 2) {
        }
        __asm__ volatile("fence.i" ::: "memory");
        code_v2 = fn();
    }
}

static void phase_ipi(uint32_t h)
{
    if (h == 0) {
        for (int r = 0; r < IPI_ROUNDS; r++) {
            for (uint32_t t = 1; t < nr; t++) {
                uint32_t before = acks;
                msip_set(t, 1);
                wait_until(&acks, before + 1, MIP_MSIP);
            }
        }
    } else {
        wait_until(&ipi_count[h], IPI_ROUNDS, MIP_MSIP);
    }
}

static void phase_timer(uint32_t h)
{
    for (uint32_t t = 0; t < TIMER_SHOTS; t++) {
        uint64_t d = mtime() + (h + 1) * 500;
        timer_deadline[h] = d;
        MMIO64(CLINT_MTIMECMP + 8 * h) = d;
        wait_until(&timer_count[h], t + 1, MIP_MTIP);
    }
}

static void report_counters(void)
{
    uint64_t fails = 0;
    put_line("amoadd.w total ", amo32, (uint64_t)nr * K_AMO);
    put_line("amoadd.d total ", amo64, 3ull * nr * K_AMO);
    put_line("amomax.d ", amomax, (uint64_t)(nr - 1) * 100000 + K_AMO - 1);
    put_line("lr/sc total ", lrsc_ctr, (uint64_t)nr * K_LRSC);
    put_line("lr/sc+amo total ", mix_ctr, (uint64_t)nr * K_LRSC);
    put_line("locked total ", locked_ctr, (uint64_t)nr * K_LOCK);
    for (uint32_t i = 0; i < nr; i++) {
        fails += lrsc_fails[i];
    }
    puts_raw("sc failures ");
    put_dec(fails);
    puts_raw(nr == 1 ? (fails == 0 ? " ok\n" : " WRONG\n") : "\n");
}

void hart_main(uint64_t hartid, uint64_t dtb);
void hart_main(uint64_t hartid, uint64_t dtb)
{
    uint32_t h = (uint32_t)hartid;
    if (hartid != csr_read(mhartid) || MMIO32(dtb) != 0xedfe0dd0u) {
        bad_boot++;              /* a0 = hartid, a1 = the device tree */
    }
    __atomic_fetch_add(&arrived, 1, __ATOMIC_ACQ_REL);
    if (h == 0) {
        uart_init();
        uint64_t t0 = mtime();
        while (mtime() - t0 < 20000) {   /* 2 ms: every hart has started */
        }
        nr = arrived;
        puts_raw("smptest: ");
        put_dec(nr);
        puts_raw(" harts\n");
        put_line("bad boot registers ", bad_boot, 0);
        __atomic_store_n(&bar_sense, 0, __ATOMIC_RELEASE);
        smp_go = 2;
    } else {
        while (smp_go != 2) {
        }
    }
    phase_counters(h);
    barrier();
    if (h == 0) {
        report_counters();
    }
    barrier();
    if (nr > 1) {
        phase_probe(h);
        if (h == 0) {
            put_line("sc after a store to the neighbour doubleword: rc ", probe_rc[0], 0);
            put_line("sc after a store to the reserved doubleword: rc ", probe_rc[1], 1);
        }
        barrier();
        phase_code(h);
        barrier();
        if (h == 0) {
            put_line("code written by hart 1, run by hart 0: ", code_v1, 1);
            put_line("rewritten by hart 1, after fence.i: ", code_v2, 2);
        }
        barrier();
    }
    phase_ipi(h);
    barrier();
    if (h == 0) {
        uint64_t sum = 0;
        for (uint32_t i = 1; i < nr; i++) {
            sum += ipi_count[i];
        }
        put_line("ipis received ", sum, (uint64_t)(nr - 1) * IPI_ROUNDS);
        put_line("ipi acks ", acks, (uint64_t)(nr - 1) * IPI_ROUNDS);
    }
    barrier();
    phase_timer(h);
    barrier();
    if (h == 0) {
        uint64_t shots = 0, early = 0;
        for (uint32_t i = 0; i < nr; i++) {
            shots += timer_count[i];
            early += timer_early[i];
        }
        put_line("timer interrupts ", shots, (uint64_t)nr * TIMER_SHOTS);
        put_line("timer interrupts before the deadline ", early, 0);
    }
    barrier();
    for (int r = 1; r <= ROUNDS; r++) {
        if (h == nr - 1) {
            /* The last hart says the round began (hart 0 prints only
             * between the barriers): a snapshot taken at this mark finds
             * every hart in the work. */
            puts_raw("work ");
            put_dec(r);
            puts_raw("\n");
        }
        phase_counters(h);
        barrier();
        if (h == 0) {
            uint64_t fails = 0;
            for (uint32_t i = 0; i < nr; i++) {
                fails += lrsc_fails[i];
            }
            puts_raw("round ");
            put_dec(r);
            puts_raw(": amo ");
            put_dec(amo32);
            puts_raw(" lr/sc ");
            put_dec(lrsc_ctr);
            puts_raw(" locked ");
            put_dec(locked_ctr);
            puts_raw(" sc-fails ");
            put_dec(fails);
            puts_raw(" mtime ");
            put_dec(mtime());
            puts_raw("\n");
            uint64_t want = (uint64_t)(r + 1) * nr;
            if (amo32 != want * K_AMO || lrsc_ctr != want * K_LRSC || locked_ctr != want * K_LOCK ||
                mix_ctr != want * K_LRSC) {
                puts_raw("smptest: FAIL\n");
                virt_exit(1);
            }
        }
        barrier();
    }
    if (h == 0) {
        puts_raw("smptest: PASS\n");
        virt_exit(0);
    }
    for (;;) {
        __asm__ volatile("wfi");
    }
}

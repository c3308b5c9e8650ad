/* log-paging: a guest for the debug log and info mem tests. It builds Sv39
 * tables (RAM identity-mapped with a 2 MiB page rwx-ad, a 4 KiB read-only page
 * at 0x40000000, a global user page at 0x40001000), turns paging on, and in
 * S-mode takes a page fault (-d mmu, -d int); in M-mode it executes an
 * unimplemented CSR (-d unimp) and reads an unmapped address (-d
 * guest_errors). Then it prints "paging on", spins so a monitor can look
 * (info mem), and exits 0. */
#include "virt.h"

#define PTE_V 1UL
#define PTE_R 2UL
#define PTE_W 4UL
#define PTE_X 8UL
#define PTE_U 16UL
#define PTE_G 32UL
#define PTE_A 64UL
#define PTE_D 128UL
#define PTE(pa, fl) ((((uint64_t)(pa)) >> 12) << 10 | (fl))
#define SATP_SV39 (8UL << 60)

static uint64_t root[512] __attribute__((aligned(4096)));
static uint64_t l1[512] __attribute__((aligned(4096)));
static uint64_t l1b[512] __attribute__((aligned(4096)));
static uint64_t l0[512] __attribute__((aligned(4096)));
static uint64_t data[2][512] __attribute__((aligned(4096)));

static volatile uint64_t faults, last_cause;

struct trap_frame {
    uint64_t x[32];
    uint64_t mepc;
    uint64_t pad;
};

void trap_handler(struct trap_frame *f);
void trap_handler(struct trap_frame *f)
{
    uint64_t cause = csr_read(mcause);
    faults++;
    last_cause = cause;
    if (cause == 1 || cause == 12) {
        puts_raw("unexpected fetch fault\n");     /* skipping cannot help */
        virt_exit(3);
    }
    if (cause == 9) {                       /* ecall from S: back to M after it */
        csr_clear(mstatus, MSTATUS_MPP);
        csr_set(mstatus, 3UL << 11);
    }
    /* Skip the faulting instruction (all are 4 bytes here). */
    f->mepc += 4;
}

static void s_mode_code(void)
{
    /* A store to the read-only page: store page fault. */
    __asm__ volatile(".option push\n .option norvc\n sd zero, 0(%0)\n .option pop"
                     :: "r"(0x40000000UL) : "memory");
    __asm__ volatile("ecall");
}

int main(void)
{
    uart_init();
    /* PMP: let S-mode reach all memory (without an entry only M may). */
    csr_write(pmpaddr0, ~0UL >> 10);
    csr_write(pmpcfg0, 0x1f);                           /* NAPOT, R W X */
    root[2] = PTE(l1, PTE_V);                           /* 0x80000000: 1 GiB slot 2 */
    l1[0] = PTE(RAM_BASE, PTE_V | PTE_R | PTE_W | PTE_X | PTE_A | PTE_D);  /* 2 MiB */
    root[1] = PTE(l1b, PTE_V);                          /* 0x40000000: slot 1 */
    l1b[0] = PTE(l0, PTE_V);
    l0[0] = PTE(data[0], PTE_V | PTE_R | PTE_A);
    l0[1] = PTE(data[1], PTE_V | PTE_R | PTE_W | PTE_U | PTE_G | PTE_A | PTE_D);
    csr_write(satp, SATP_SV39 | ((uintptr_t)root >> 12));
    __asm__ volatile("sfence.vma" ::: "memory");

    /* Run s_mode_code in S-mode: mret with MPP = S. */
    csr_clear(mstatus, MSTATUS_MPP);
    csr_set(mstatus, 1UL << 11);
    csr_write(mepc, (uintptr_t)s_mode_code);
    __asm__ volatile("la ra, 1f\n mret\n 1:" ::: "ra", "memory");

    /* Back in M-mode (the ecall handler set MPP = M and skipped the ecall,
     * which returned through ra to here). */
    __asm__ volatile(".option push\n .option norvc\n csrr t0, 0x7c0\n .option pop"
                     ::: "t0");
    __asm__ volatile(".option push\n .option norvc\n lw t0, 0(%0)\n .option pop"
                     :: "r"(0x90000000UL) : "t0", "memory");   /* nothing there */

    puts_raw("paging on, faults ");
    put_dec(faults);
    puts_raw("\n");
    for (volatile unsigned long i = 0; i < 20000000UL; i++) {
    }
    return 0;
}

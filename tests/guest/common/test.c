#include "test.h"

volatile struct trap_info trap;
volatile struct irq_info irq;
void (*volatile irq_hook)(uint64_t cause, struct trap_frame *f);
int lower_active;
static int n_ok, n_fail, n_test;
static const char *prog_name;

long lower_jump(long value);   /* harness.S */

void test_start(const char *prog)
{
    prog_name = prog;
    uart_init();
    puts_raw("# ");
    puts_raw(prog);
    puts_raw("\n");
}

int test_finish(void)
{
    puts_raw("# summary ");
    puts_raw(prog_name);
    puts_raw(": ");
    put_dec(n_ok);
    puts_raw(" ok, ");
    put_dec(n_fail);
    puts_raw(" not ok\n");
    puts_raw("1..");
    put_dec(n_test);
    puts_raw("\n");
    return n_fail ? 1 : 0;
}

static void line(int pass, const char *name)
{
    n_test++;
    if (pass)
        n_ok++;
    else
        n_fail++;
    puts_raw(pass ? "ok " : "not ok ");
    put_dec(n_test);
    puts_raw(" - ");
    puts_raw(name);
}

void ok(int cond, const char *name)
{
    line(cond, name);
    puts_raw("\n");
}

void check_eq(const char *name, uint64_t got, uint64_t expected)
{
    line(got == expected, name);
    if (got != expected) {
        puts_raw(": got ");
        put_hex(got);
        puts_raw(" expected ");
        put_hex(expected);
    }
    puts_raw("\n");
}

void trap_arm(void)
{
    trap.count = 0;
    trap.cause = trap.tval = trap.epc = ~0UL;
    trap.armed = 1;
}

void check_trap(const char *name, uint64_t cause, uint64_t tval, int tval_any)
{
    int pass = trap.count == 1 && trap.cause == cause && (tval_any || trap.tval == tval);
    trap.armed = 0;
    trap.resume = 0;
    line(pass, name);
    if (!pass) {
        puts_raw(": traps ");
        put_dec(trap.count);
        puts_raw(" mcause ");
        put_hex(trap.cause);
        puts_raw(" mtval ");
        put_hex(trap.tval);
        puts_raw(" expected mcause ");
        put_hex(cause);
        if (!tval_any) {
            puts_raw(" mtval ");
            put_hex(tval);
        }
    }
    puts_raw("\n");
}

void check_no_trap(const char *name)
{
    int pass = trap.count == 0;
    trap.armed = 0;
    line(pass, name);
    if (!pass) {
        puts_raw(": unexpected trap mcause ");
        put_hex(trap.cause);
        puts_raw(" mtval ");
        put_hex(trap.tval);
    }
    puts_raw("\n");
}

static int insn_len(uint64_t pc)
{
    /* Only read code that is in RAM (identity mapped); other addresses are
     * paging aliases whose snippets use 4-byte instructions only. */
    if (pc >= RAM_BASE && pc < RAM_BASE + 0x8000000 && !(pc & 1))
        return (*(volatile uint16_t *)pc & 3) == 3 ? 4 : 2;
    return 4;
}

void trap_handler(struct trap_frame *f)
{
    uint64_t cause = csr_read(mcause);
    if (cause & CAUSE_IRQ) {
        irq.count++;
        irq.cause = cause;
        irq.epc = f->mepc;
        irq.mstatus = csr_read(mstatus);
        if (irq_hook) {
            irq_hook(cause, f);
        } else {
            /* Silence the source so we do not loop. */
            uint64_t c = cause & 63;
            if (c == 7)
                set_mtimecmp(~0UL);
            else if (c == 3)
                MMIO32(CLINT_MSIP) = 0;
            else
                csr_clear(mie, 1UL << c);
        }
        return;
    }
    if ((cause == 8 || cause == 9) && f->x[17] == LOWER_MAGIC && lower_active) {
        lower_active = 0;
        lower_jump((long)f->x[10]);   /* does not return */
    }
    if (!trap.armed) {
        puts_raw("not ok - unexpected trap mcause ");
        put_hex(cause);
        puts_raw(" mepc ");
        put_hex(f->mepc);
        puts_raw(" mtval ");
        put_hex(csr_read(mtval));
        puts_raw("\n");
        n_fail++;
        test_finish();
        virt_exit(3);
    }
    trap.count++;
    trap.cause = cause;
    trap.tval = csr_read(mtval);
    trap.epc = f->mepc;
    trap.mstatus = csr_read(mstatus);
    if (trap.count > 8) {
        puts_raw("not ok - trap storm\n");
        virt_exit(4);
    }
    if (trap.resume)
        f->mepc = trap.resume;
    else if (cause == 0 || cause == 1 || cause == 12)
        f->mepc = f->x[1];            /* fetch faults: return to the caller */
    else
        f->mepc += insn_len(f->mepc);
}

/* Let S/U access all memory (needed when PMP is implemented: with no
 * matching entry, S/U accesses fail).  Tolerates a missing PMP. */
void pmp_open_all(void)
{
    trap_arm();
    __asm__ volatile("csrw pmpaddr0, %0" :: "r"(~0UL >> 10));
    __asm__ volatile("csrw pmpcfg0, %0" :: "r"(0x1fUL));   /* NAPOT RWX */
    trap.armed = 0;
}

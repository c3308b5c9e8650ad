/* M-mode test harness for the ISA suite: TAP-like "ok N - name" lines,
 * expected-trap capture and running code in S or U mode. */
#ifndef AMBER_GUEST_TEST_H
#define AMBER_GUEST_TEST_H
#include <stdint.h>
#include "virt.h"

struct trap_frame {
    uint64_t x[32];      /* x[0] unused; x[2] = interrupted sp */
    uint64_t mepc;
    uint64_t pad;
};

struct trap_info {
    int armed;           /* an exception is expected */
    int count;           /* exceptions taken while armed */
    uint64_t cause, tval, epc, mstatus;
    uint64_t resume;     /* where to continue (0: skip the instruction,
                            or ra for instruction-fetch faults) */
};
extern volatile struct trap_info trap;

/* Interrupt log filled by the default interrupt path. */
struct irq_info {
    int count;
    uint64_t cause, epc, mstatus;
};
extern volatile struct irq_info irq;
/* Optional hook called for every M-mode interrupt (after logging). */
extern void (*volatile irq_hook)(uint64_t cause, struct trap_frame *f);

void test_start(const char *prog);
int test_finish(void);               /* prints the summary, returns exit code */
void ok(int cond, const char *name);
void check_eq(const char *name, uint64_t got, uint64_t expected);
void trap_arm(void);
/* Checks that exactly one trap with this cause (and tval unless tval_any)
 * happened since trap_arm(), then disarms. */
void check_trap(const char *name, uint64_t cause, uint64_t tval, int tval_any);
void check_no_trap(const char *name);

#define MODE_U 0
#define MODE_S 1
/* Runs fn(arg) in mode U or S (MPP) on a separate stack; fn returns by
 * returning (through lower_exit: ecall with a7 = LOWER_MAGIC) or by any
 * ecall with a7 = LOWER_MAGIC.  Returns fn's a0. */
#define LOWER_MAGIC 0x5a5a
long run_lower(long mode, long (*fn)(long), long arg);
void pmp_open_all(void);

static inline void fence_i(void) { __asm__ volatile("fence.i" ::: "memory"); }
#endif

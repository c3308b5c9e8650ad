/* The GDB stub's test guest (tests/integration/gdb.sh): named functions to
 * break in, globals to read and watch, and a known result. Exits 0 when
 * nothing was changed from outside, with the checksum's low byte otherwise
 * (a debugger that writes `counter` changes the exit status). A debugger
 * that sets `spin` keeps it looping at the end (a guest that runs while
 * gdb waits). */
#include "virt.h"

volatile unsigned long counter;      /* sum of 1..i */
volatile unsigned long watched;      /* written every 10th iteration */
volatile unsigned long readme = 7;   /* read every 100th iteration */
volatile unsigned long sink;
/* A debugger sets it to keep the guest looping at the end; in .data, so
 * that crt0 clearing .bss does not undo a write made before main. */
__attribute__((section(".data"))) volatile unsigned long spin;

__attribute__((noinline)) void bump(unsigned long i)
{
    counter += i;
}

__attribute__((noinline)) void touch(void)
{
    watched = counter * 2;
}

__attribute__((noinline)) void peek(void)
{
    sink = readme;
}

int main(unsigned long hartid, void *dtb)
{
    (void)hartid;
    (void)dtb;
    for (unsigned long i = 1; i <= 1000; i++) {
        bump(i);
        if (i % 10 == 0) {
            touch();
        }
        if (i % 100 == 0) {
            peek();
        }
    }
    while (spin) {
        sink++;
    }
    return counter == 500500 ? 0 : (int)(counter & 0x7f) | 1;
}

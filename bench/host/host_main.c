/* Host build of rvbench's core: prints the checksum the guest must reach
 * for N iterations (baked into the guest as -DEXPECTED). */
#include <stdio.h>
#include <stdlib.h>
#include "bench_core.h"

int main(int argc, char **argv)
{
    unsigned long n = argc > 1 ? strtoul(argv[1], NULL, 0) : 50;
    printf("0x%08x\n", bench_run((uint32_t)n));
    return 0;
}

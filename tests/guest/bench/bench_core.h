/* rvbench: a CoreMark-like CPU mix, portable C shared by the guest and the
 * host (bench/host/host_main.c computes the expected checksum). */
#ifndef RVBENCH_CORE_H
#define RVBENCH_CORE_H
#include <stdint.h>
void bench_init(void);
uint32_t bench_iteration(uint32_t iter);   /* one iteration's checksum */
uint32_t bench_run(uint32_t iters);        /* combined checksum */
#endif

/* sifive_test finisher: 0x5555 pass, (code << 16) | 0x3333 fail, 0x7777 reset.
 * Accepts accesses of at most 32 bits (a 64-bit store is an access fault, as
 * on QEMU). */
#ifndef HW_SIFIVE_TEST_H
#define HW_SIFIVE_TEST_H

#include <stdbool.h>
#include <stdint.h>

#include "emu/memory.h"

#define SIFIVE_TEST_MMIO_SIZE 0x1000

typedef struct SifiveTest {
    /* reset == true: system reset; else exit with status `code` */
    void (*finish)(void *opaque, int code, bool reset);
    void *opaque;
} SifiveTest;

void sifive_test_init(SifiveTest *s, PhysMemory *mem, uint64_t base,
                      void (*finish)(void *opaque, int code, bool reset), void *opaque);

#endif

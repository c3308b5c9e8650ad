/* sifive_test finisher: a write to offset 0 ends the run or resets the board.
 * Status values as measured on QEMU 7.2 (a fail with code 0 exits 0; the
 * process status masking is left to the caller). */
#include "hw/sifive_test.h"

#define SIFIVE_TEST_FAIL   0x3333
#define SIFIVE_TEST_PASS   0x5555
#define SIFIVE_TEST_RESET  0x7777

static bool sifive_test_read(void *opaque, uint64_t offset, unsigned size, uint64_t *val)
{
    *val = 0;
    return true;
}

static bool sifive_test_write(void *opaque, uint64_t offset, unsigned size, uint64_t val)
{
    SifiveTest *s = opaque;
    if (offset != 0 || !s->finish) {
        return true;
    }
    uint32_t status = val & 0xffff;
    int code = (int)((val >> 16) & 0xffff);
    switch (status) {
    case SIFIVE_TEST_FAIL:
        s->finish(s->opaque, code, false);
        break;
    case SIFIVE_TEST_PASS:
        s->finish(s->opaque, 0, false);
        break;
    case SIFIVE_TEST_RESET:
        s->finish(s->opaque, 0, true);
        break;
    default:
        break;                          /* unknown values are ignored */
    }
    return true;
}

static const MemoryRegionOps sifive_test_ops = {
    .read = sifive_test_read,
    .write = sifive_test_write,
    .min_size = 1,
    .max_size = 4,
};

void sifive_test_init(SifiveTest *s, PhysMemory *mem, uint64_t base,
                      void (*finish)(void *opaque, int code, bool reset), void *opaque)
{
    s->finish = finish;
    s->opaque = opaque;
    memory_add_mmio(mem, "sifive_test", base, SIFIVE_TEST_MMIO_SIZE, &sifive_test_ops, s, 0);
}

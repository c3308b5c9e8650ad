/* sifive_test finisher: the values measured on QEMU 7.2. */
#include "hw/sifive_test.h"
#include "tests/unit/unit.h"

#define BASE 0x100000ull

static PhysMemory mem;
static SifiveTest dev;
static int calls, last_code;
static bool last_reset;

static void rec_finish(void *opaque, int code, bool reset)
{
    CU_ASSERT_PTR_EQUAL(opaque, &mem);
    calls++;
    last_code = code;
    last_reset = reset;
}

static void setup(void)
{
    memory_init(&mem);
    calls = 0;
    last_code = -1;
    last_reset = false;
    sifive_test_init(&dev, &mem, BASE, rec_finish, &mem);
}

static void teardown(void)
{
    memory_destroy(&mem);
}

static void test_pass(void)
{
    setup();
    CU_ASSERT_TRUE(memory_write(&mem, BASE, 4, 0x5555));
    CU_ASSERT_EQUAL(calls, 1);
    CU_ASSERT_EQUAL(last_code, 0);
    CU_ASSERT_FALSE(last_reset);
    teardown();
}

static void test_fail_codes(void)
{
    setup();
    CU_ASSERT_TRUE(memory_write(&mem, BASE, 4, (7 << 16) | 0x3333));
    CU_ASSERT_EQUAL(last_code, 7);
    CU_ASSERT_TRUE(memory_write(&mem, BASE, 4, 0x3333));
    CU_ASSERT_EQUAL(last_code, 0);          /* a fail with code 0 looks like a pass */
    CU_ASSERT_TRUE(memory_write(&mem, BASE, 4, (257 << 16) | 0x3333));
    CU_ASSERT_EQUAL(last_code, 257);        /* raw: the caller masks to 8 bits */
    CU_ASSERT_TRUE(memory_write(&mem, BASE, 4, 0xffff3333u));
    CU_ASSERT_EQUAL(last_code, 0xffff);
    CU_ASSERT_EQUAL(calls, 4);
    CU_ASSERT_FALSE(last_reset);
    teardown();
}

static void test_reset(void)
{
    setup();
    CU_ASSERT_TRUE(memory_write(&mem, BASE, 4, 0x7777));
    CU_ASSERT_EQUAL(calls, 1);
    CU_ASSERT_TRUE(last_reset);
    teardown();
}

static void test_ignored(void)
{
    setup();
    CU_ASSERT_TRUE(memory_write(&mem, BASE, 4, 0x1234));
    CU_ASSERT_TRUE(memory_write(&mem, BASE, 4, 0));
    CU_ASSERT_TRUE(memory_write(&mem, BASE + 4, 4, 0x5555));  /* not offset 0 */
    CU_ASSERT_EQUAL(calls, 0);
    teardown();
}

static void test_sizes(void)
{
    setup();
    uint64_t v = 1;
    CU_ASSERT_FALSE(memory_write(&mem, BASE, 8, (3ull << 16) | 0x3333));  /* sd faults */
    CU_ASSERT_FALSE(memory_read(&mem, BASE, 8, &v));
    CU_ASSERT_EQUAL(calls, 0);
    CU_ASSERT_TRUE(memory_write(&mem, BASE, 2, 0x5555));                 /* sh works */
    CU_ASSERT_EQUAL(calls, 1);
    CU_ASSERT_TRUE(memory_read(&mem, BASE, 4, &v));
    CU_ASSERT_EQUAL(v, 0);
    CU_ASSERT_TRUE(memory_read(&mem, BASE + 0xffc, 4, &v));
    CU_ASSERT_FALSE(memory_read(&mem, BASE + 0x1000, 4, &v));
    teardown();
}

static void test_no_callback(void)
{
    memory_init(&mem);
    sifive_test_init(&dev, &mem, BASE, NULL, NULL);
    CU_ASSERT_TRUE(memory_write(&mem, BASE, 4, 0x5555));
    memory_destroy(&mem);
}

static const UnitTest tests[] = {
    { "pass", test_pass },
    { "fail codes", test_fail_codes },
    { "reset", test_reset },
    { "other values ignored", test_ignored },
    { "access sizes", test_sizes },
    { "no callback", test_no_callback },
    { NULL, NULL },
};

int main(void)
{
    return unit_run("sifive_test", tests);
}

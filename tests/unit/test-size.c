/* util/size.c: QEMU's size syntax (qemu_strtosz rules) as the monitor,
 * migration parameters and amber-img read it, and bad input of every kind. */
#include <errno.h>
#include <string.h>

#include "tests/unit/unit.h"
#include "util/size.h"

static uint64_t ok(const char *s, char def)
{
    uint64_t v = 12345;
    Error err;
    error_init(&err);
    CU_ASSERT_EQUAL(size_parse(s, def, &v, &err), 0);
    CU_ASSERT_FALSE(error_is_set(&err));
    return v;
}

static int bad(const char *s, char def)
{
    uint64_t v = 12345;
    Error err;
    error_init(&err);
    int r = size_parse(s, def, &v, &err);
    CU_ASSERT(r < 0);
    CU_ASSERT(error_is_set(&err));
    CU_ASSERT_EQUAL(v, 12345);   /* untouched on error */
    return r;
}

static void test_suffixes(void)
{
    CU_ASSERT_EQUAL(ok("0", 'B'), 0);
    CU_ASSERT_EQUAL(ok("4096", 'B'), 4096);
    CU_ASSERT_EQUAL(ok("12B", 'B'), 12);
    CU_ASSERT_EQUAL(ok("64k", 'B'), 64 << 10);
    CU_ASSERT_EQUAL(ok("64K", 'B'), 64 << 10);
    CU_ASSERT_EQUAL(ok("3m", 'B'), 3 << 20);
    CU_ASSERT_EQUAL(ok("2G", 'B'), 2ull << 30);
    CU_ASSERT_EQUAL(ok("1t", 'B'), 1ull << 40);
    CU_ASSERT_EQUAL(ok("1P", 'B'), 1ull << 50);
    CU_ASSERT_EQUAL(ok("15E", 'B'), 15ull << 60);
    CU_ASSERT_EQUAL(size_suffix_shift('x'), -1);
    CU_ASSERT_EQUAL(size_suffix_shift('g'), 30);
}

static void test_default_suffix(void)
{
    /* HMP's migrate_set_parameter: a bare number is MiB */
    CU_ASSERT_EQUAL(ok("32", 'M'), 32ull << 20);
    CU_ASSERT_EQUAL(ok("32B", 'M'), 32);
    CU_ASSERT_EQUAL(ok("0.5", 'M'), 512 << 10);
}

static void test_fractions(void)
{
    CU_ASSERT_EQUAL(ok("1.5k", 'B'), 1536);
    CU_ASSERT_EQUAL(ok("0.5G", 'B'), 512ull << 20);
    CU_ASSERT_EQUAL(ok("1.k", 'B'), 1024);
    /* a fraction of a byte is refused */
    CU_ASSERT_EQUAL(bad("1.5", 'B'), -EINVAL);
    CU_ASSERT_EQUAL(bad("1.5B", 'M'), -EINVAL);
}

static void test_bad_input(void)
{
    CU_ASSERT_EQUAL(bad("", 'B'), -EINVAL);
    CU_ASSERT_EQUAL(bad("k", 'B'), -EINVAL);
    CU_ASSERT_EQUAL(bad("-1", 'B'), -EINVAL);
    CU_ASSERT_EQUAL(bad("+1", 'B'), -EINVAL);
    CU_ASSERT_EQUAL(bad(" 1", 'B'), -EINVAL);
    CU_ASSERT_EQUAL(bad(".5k", 'B'), -EINVAL);
    CU_ASSERT_EQUAL(bad("1x", 'B'), -EINVAL);
    CU_ASSERT_EQUAL(bad("1KB", 'B'), -EINVAL);   /* one letter, as in QEMU */
    CU_ASSERT_EQUAL(bad("1k ", 'B'), -EINVAL);
    CU_ASSERT_EQUAL(bad("0x10", 'B'), -EINVAL);
    CU_ASSERT_EQUAL(bad("1e3", 'B'), -EINVAL);
}

static void test_range(void)
{
    CU_ASSERT_EQUAL(ok("18446744073709551615", 'B'), UINT64_MAX);
    CU_ASSERT_EQUAL(bad("18446744073709551616", 'B'), -ERANGE);
    CU_ASSERT_EQUAL(bad("16E", 'B'), -ERANGE);
    CU_ASSERT_EQUAL(bad("17179869184G", 'B'), -ERANGE);
    CU_ASSERT_EQUAL(ok("17179869183G", 'B'), 17179869183ull << 30);
    CU_ASSERT_EQUAL(bad("15.99999999999999999E", 'B'), -ERANGE);
}

static void test_to_str(void)
{
    char buf[32];
    size_to_str(0, buf, sizeof(buf));
    CU_ASSERT_STRING_EQUAL(buf, "0 B");
    size_to_str(64 << 10, buf, sizeof(buf));
    CU_ASSERT_STRING_EQUAL(buf, "64 KiB");
    size_to_str(UINT64_MAX, buf, sizeof(buf));
    CU_ASSERT_STRING_EQUAL(buf, "16 EiB");
}

static const UnitTest tests[] = {
    { "suffixes", test_suffixes },
    { "default suffix", test_default_suffix },
    { "fractions", test_fractions },
    { "bad input", test_bad_input },
    { "range", test_range },
    { "to_str", test_to_str },
    { NULL, NULL },
};

int main(void)
{
    return unit_run("size", tests);
}

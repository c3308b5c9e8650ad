/* The snapshot table's text columns, as QEMU prints them (ref-qcow2.md §11):
 * size_to_str and the VM clock. */
#include <string.h>

#include "block/snapshot-dump.h"
#include "util/size.h"
#include "tests/unit/unit.h"

static void check_size(uint64_t v, const char *want)
{
    char buf[32];
    size_to_str(v, buf, sizeof(buf));
    CU_ASSERT_STRING_EQUAL(buf, want);
}

static void test_size_str(void)
{
    check_size(0, "0 B");
    check_size(999, "999 B");
    check_size(1000, "0.977 KiB");
    check_size(1031, "1.01 KiB");
    check_size(100000, "97.7 KiB");
    check_size(216586, "212 KiB");
    check_size((5ull << 30) + 12345, "5 GiB");
    check_size(270756523, "258 MiB");
}

static void test_clock_str(void)
{
    char buf[32];
    bdrv_snapshot_clock_str(0, buf, sizeof(buf));
    CU_ASSERT_STRING_EQUAL(buf, "00:00:00.000");
    bdrv_snapshot_clock_str(5918000000ull, buf, sizeof(buf));
    CU_ASSERT_STRING_EQUAL(buf, "00:00:05.918");
    /* hours are not wrapped and may take more than two digits */
    bdrv_snapshot_clock_str((400ull * 3600 + 59 * 60 + 7) * 1000000000ull + 890123456, buf,
                       sizeof(buf));
    CU_ASSERT_STRING_EQUAL(buf, "400:59:07.890");
}

static const UnitTest tests[] = {
    { "size_to_str", test_size_str },
    { "vm clock", test_clock_str },
    { NULL, NULL },
};

int main(void)
{
    return unit_run("snapshot", tests);
}

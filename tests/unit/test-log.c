/* The debug log (util/log.c): item parsing as QEMU's -d, the list -d help
 * prints, the mask, and the output file. */
#include "util/log.h"
#include "tests/unit/unit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void test_parse_items(void)
{
    Error err;
    error_init(&err);
    unsigned m = 0;
    error_init(&err);
    CU_ASSERT_TRUE(log_parse_items("in_asm", &m, &err));
    CU_ASSERT_EQUAL(m, LOG_IN_ASM);
    error_init(&err);
    CU_ASSERT_TRUE(log_parse_items("in_asm,int,exec,cpu,guest_errors,unimp,mmu", &m, &err));
    CU_ASSERT_EQUAL(m, LOG_IN_ASM | LOG_INT | LOG_EXEC | LOG_CPU | LOG_GUEST_ERROR |
                       LOG_UNIMP | LOG_MMU);
    error_init(&err);
    CU_ASSERT_TRUE(log_parse_items("int,int", &m, &err));
    CU_ASSERT_EQUAL(m, LOG_INT);
    error_init(&err);
    CU_ASSERT_TRUE(log_parse_items("none", &m, &err));
    CU_ASSERT_EQUAL(m, 0);
}

static void test_parse_errors(void)
{
    Error err;
    error_init(&err);
    unsigned m = 1234;
    error_init(&err);
    CU_ASSERT_FALSE(log_parse_items("int,bogus", &m, &err));
    CU_ASSERT_STRING_EQUAL(err.msg, "unknown log item 'bogus'");
    CU_ASSERT_EQUAL(m, 1234);               /* untouched on error */
    error_init(&err);
    CU_ASSERT_FALSE(log_parse_items("", &m, &err));
    CU_ASSERT_STRING_EQUAL(err.msg, "unknown log item ''");
    error_init(&err);
    CU_ASSERT_FALSE(log_parse_items("int,", &m, &err));
    error_init(&err);
    CU_ASSERT_FALSE(log_parse_items("in_as", &m, &err));
    error_init(&err);
    CU_ASSERT_FALSE(log_parse_items("in_asmx", &m, &err));
    error_init(&err);
    CU_ASSERT_FALSE(log_parse_items("none,int", &m, &err));
    /* Long input is cut in the message. */
    char big[4096];
    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    error_init(&err);
    CU_ASSERT_FALSE(log_parse_items(big, &m, &err));
    CU_ASSERT(strlen(err.msg) < 100);
}

static char *read_all(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        return NULL;
    }
    static char buf[8192];
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

static void test_print_items(void)
{
    char path[] = "/tmp/amber-test-log-XXXXXX";
    int fd = mkstemp(path);
    CU_ASSERT_FATAL(fd >= 0);
    FILE *f = fdopen(fd, "w");
    log_print_items(f);
    fclose(f);
    const char *s = read_all(path);
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    CU_ASSERT_EQUAL(strncmp(s, "Log items (comma separated):\n", 29), 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(s, "\nin_asm          show target assembly code for each compiled TB\n"));
    for (const LogItem *it = log_items; it->mask; it++) {
        char line[64];
        snprintf(line, sizeof(line), "\n%-15s ", it->name);
        CU_ASSERT_PTR_NOT_NULL(strstr(s, line));
    }
    unlink(path);
}

static void test_mask(void)
{
    Log l = { 0 };
    Log other = { 0 };
    log_set_mask(&l, 0);
    CU_ASSERT_FALSE(log_enabled(&l, LOG_INT));
    CU_ASSERT_EQUAL(log_set_mask(&l, LOG_INT | LOG_MMU), 0);
    CU_ASSERT_TRUE(log_enabled(&l, LOG_INT));
    CU_ASSERT_TRUE(log_enabled(&l, LOG_MMU | LOG_EXEC));
    CU_ASSERT_FALSE(log_enabled(&l, LOG_EXEC));
    /* Two logs are independent (two machines may log apart). */
    CU_ASSERT_FALSE(log_enabled(&other, LOG_INT));
    CU_ASSERT_EQUAL(log_set_mask(&l, 0), LOG_INT | LOG_MMU);
}

static void test_file(void)
{
    Log l = { 0 };
    Error err;
    error_init(&err);
    char path[] = "/tmp/amber-test-log-XXXXXX";
    int fd = mkstemp(path);
    CU_ASSERT_FATAL(fd >= 0);
    close(fd);
    error_init(&err);
    CU_ASSERT_TRUE(log_set_file(&l, path, &err));
    CU_ASSERT_STRING_EQUAL(log_file_name(&l), path);
    log_set_mask(&l, LOG_INT);
    log_mask_printf(&l, LOG_INT, "int %d\n", 1);
    log_mask_printf(&l, LOG_EXEC, "exec %d\n", 2);     /* off: not written */
    log_write(&l, "plain\n");
    log_flush(&l);
    CU_ASSERT_STRING_EQUAL(read_all(path), "int 1\nplain\n");
    /* A file that cannot be opened leaves the log where it was. */
    error_init(&err);
    CU_ASSERT_FALSE(log_set_file(&l, "/nonexistent-dir/x.log", &err));
    CU_ASSERT_STRING_EQUAL(err.msg, "could not open '/nonexistent-dir/x.log': No such file or directory");
    CU_ASSERT_STRING_EQUAL(log_file_name(&l), path);
    log_printf(&l, "more\n");
    /* Back to stderr: the file is flushed and closed. */
    error_init(&err);
    CU_ASSERT_TRUE(log_set_file(&l, NULL, &err));
    CU_ASSERT_PTR_NULL(log_file_name(&l));
    CU_ASSERT_STRING_EQUAL(read_all(path), "int 1\nplain\nmore\n");
    log_set_mask(&l, 0);
    unlink(path);
}

static const UnitTest tests[] = {
    { "parse items", test_parse_items },
    { "parse errors", test_parse_errors },
    { "-d help list", test_print_items },
    { "mask", test_mask },
    { "file", test_file },
    { NULL, NULL },
};

int main(void)
{
    return unit_run("log", tests);
}

/* Reverse execution's page store (replay/rev-pages.c): slots in a memfd,
 * copied in batches of consecutive slots. Pages written in any order of
 * slots (new ones, reused ones, across the file's growth, both
 * directions queued one after the other) read back as written; slots
 * given back are handed out again before the file grows; and the
 * untouched-page probe tells never-written anonymous pages apart. */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "replay/rev-pages.h"
#include "tests/unit/unit.h"

enum { N = 1500 };                 /* past two growth steps of 512 */

static void fill(uint8_t *page, uint32_t tag)
{
    for (size_t i = 0; i < PAGE_SIZE; i += 4) {
        uint32_t v = tag * 2654435761u + (uint32_t)i;
        memcpy(page + i, &v, 4);
    }
}

static void test_write_read(void)
{
    RevPagePool pp;
    Error err;
    error_init(&err);
    CU_ASSERT_FATAL(rev_pages_open(&pp, &err));
    uint8_t *src = malloc((size_t)N * PAGE_SIZE), *dst = malloc((size_t)N * PAGE_SIZE);
    uint32_t *slot = malloc(N * sizeof(uint32_t));
    CU_ASSERT_FATAL(src && dst && slot);
    for (uint32_t i = 0; i < N; i++) {
        slot[i] = rev_pages_get(&pp);
        CU_ASSERT_EQUAL(slot[i], i);
        fill(src + (size_t)i * PAGE_SIZE, i);
    }
    CU_ASSERT_EQUAL(pp.in_use, N);
    /* Every third slot back, then taken again: reused, newest given back
     * first, and the file does not grow. */
    uint32_t size = pp.size;
    for (uint32_t i = 0; i < N; i += 3) {
        rev_pages_put(&pp, slot[i]);
    }
    for (uint32_t i = N - (N % 3 ? N % 3 : 3); i < N; i -= 3) {
        uint32_t s = rev_pages_get(&pp);
        CU_ASSERT_EQUAL(s, slot[i]);
        if (i < 3) {
            break;
        }
    }
    CU_ASSERT_EQUAL(pp.size, size);
    /* Writes in a shuffled order: runs of consecutive slots and single ones. */
    for (uint32_t k = 0; k < N; k++) {
        uint32_t i = (k * 7u) % N;
        CU_ASSERT(rev_pages_write(&pp, slot[i], src + (size_t)i * PAGE_SIZE, &err));
    }
    CU_ASSERT(rev_pages_flush(&pp, &err));
    memset(dst, 0, (size_t)N * PAGE_SIZE);
    for (uint32_t i = 0; i < N; i++) {
        CU_ASSERT(rev_pages_read(&pp, slot[i], dst + (size_t)i * PAGE_SIZE, &err));
    }
    CU_ASSERT(rev_pages_flush(&pp, &err));
    CU_ASSERT_EQUAL(memcmp(src, dst, (size_t)N * PAGE_SIZE), 0);
    /* A read queued after a write of the same slot sees the write. */
    fill(src, 99999);
    CU_ASSERT(rev_pages_write(&pp, slot[0], src, &err));
    CU_ASSERT(rev_pages_read(&pp, slot[0], dst, &err));
    CU_ASSERT(rev_pages_flush(&pp, &err));
    CU_ASSERT_EQUAL(memcmp(src, dst, PAGE_SIZE), 0);
    CU_ASSERT_FALSE(err.set);
    rev_pages_free_all(&pp);
    CU_ASSERT_EQUAL(pp.fd, -1);
    free(src);
    free(dst);
    free(slot);
}

static void test_untouched(void)
{
    enum { P = 64 };
    uint8_t *m = mmap(NULL, P * PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                      -1, 0);
    CU_ASSERT_FATAL(m != MAP_FAILED);
    m[5 * PAGE_SIZE] = 1;
    m[40 * PAGE_SIZE + 100] = 2;
    uint8_t known[P];
    if (!memory_host_untouched(m, P, known)) {
        printf("SKIP: /proc/self/pagemap not readable here\n");
    } else {
        CU_ASSERT_FALSE(known[5]);
        CU_ASSERT_FALSE(known[40]);
        CU_ASSERT_TRUE(known[6] || known[7] || known[63]);   /* THP may fill around them */
    }
    CU_ASSERT_FALSE(memory_page_is_zero(m + 40 * PAGE_SIZE));
    CU_ASSERT_TRUE(memory_page_is_zero(m + 41 * PAGE_SIZE));
    munmap(m, P * PAGE_SIZE);
}

static const UnitTest tests[] = {
    { "pages written in any slot order read back as written", test_write_read },
    { "untouched and zero pages are told apart", test_untouched },
    { NULL, NULL },
};

int main(void)
{
    return unit_run("rev-pages", tests);
}

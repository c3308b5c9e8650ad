/* Page storage for reverse execution (rev-pages.h). */
#include "replay/rev-pages.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define REV_CHUNK_PAGES 512u                  /* 2 MiB: slot >> 9 is the chunk */
#define REV_CHUNK_BYTES ((size_t)REV_CHUNK_PAGES << PAGE_BITS)

static bool rev_pages_add_chunk(RevPagePool *pp)
{
    if ((uint64_t)(pp->nr_chunks + 1) * REV_CHUNK_PAGES >= REV_SLOT_NONE) {
        return false;
    }
    if (pp->nr_chunks == pp->cap_chunks) {
        size_t cap = pp->cap_chunks ? pp->cap_chunks * 2 : 16;
        uint8_t **n = realloc(pp->chunks, cap * sizeof(*n));
        if (!n) {
            return false;
        }
        pp->chunks = n;
        pp->cap_chunks = cap;
    }
    void *p = mmap(NULL, REV_CHUNK_BYTES, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
    if (p == MAP_FAILED) {
        return false;
    }
    pp->chunks[pp->nr_chunks++] = p;
    return true;
}

uint32_t rev_pages_get(RevPagePool *pp)
{
    uint32_t slot;
    if (pp->nr_free) {
        slot = pp->free[--pp->nr_free];
    } else {
        if (pp->next == pp->nr_chunks * REV_CHUNK_PAGES && !rev_pages_add_chunk(pp)) {
            return REV_SLOT_NONE;
        }
        slot = pp->next++;
    }
    pp->in_use++;
    return slot;
}

void rev_pages_put(RevPagePool *pp, uint32_t slot)
{
    if (slot == REV_SLOT_NONE) {
        return;
    }
    if (pp->nr_free == pp->cap_free) {
        size_t cap = pp->cap_free ? pp->cap_free * 2 : 1024;
        uint32_t *n = realloc(pp->free, cap * sizeof(*n));
        if (!n) {
            pp->in_use--;        /* the slot is lost until the pool is freed */
            return;
        }
        pp->free = n;
        pp->cap_free = cap;
    }
    pp->free[pp->nr_free++] = slot;
    pp->in_use--;
}

void rev_pages_free_all(RevPagePool *pp)
{
    for (size_t i = 0; i < pp->nr_chunks; i++) {
        munmap(pp->chunks[i], REV_CHUNK_BYTES);
    }
    free(pp->chunks);
    free(pp->free);
    memset(pp, 0, sizeof(*pp));
}

bool rev_pages_untouched(const uint8_t *host, uint64_t npages, uint8_t *known)
{
    /* /proc/self/pagemap: one 64-bit entry per host page; bit 63 present,
     * bit 62 swapped. Neither: never written since mapped (or discarded),
     * which for private anonymous memory means zeroes. */
    if (sysconf(_SC_PAGESIZE) != (long)PAGE_SIZE) {
        return false;
    }
    int fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return false;
    }
    enum { BATCH = 4096 };
    uint64_t buf[BATCH];
    uint64_t first = (uintptr_t)host >> PAGE_BITS;
    for (uint64_t i = 0; i < npages;) {
        uint64_t n = npages - i < BATCH ? npages - i : BATCH;
        ssize_t r = pread(fd, buf, n * sizeof(uint64_t), (off_t)((first + i) * sizeof(uint64_t)));
        if (r != (ssize_t)(n * sizeof(uint64_t))) {
            close(fd);
            return false;
        }
        for (uint64_t j = 0; j < n; j++) {
            known[i + j] = !(buf[j] >> 62);
        }
        i += n;
    }
    close(fd);
    return true;
}

bool rev_page_is_zero(const uint8_t *page)
{
    const uint64_t *w = (const uint64_t *)(const void *)page;
    uint64_t acc = 0;
    for (size_t i = 0; i < PAGE_SIZE / 8; i++) {
        acc |= w[i];
    }
    return acc == 0;
}

/* Page storage for reverse execution (rev-pages.h). */
#include "replay/rev-pages.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <unistd.h>

#define REV_GROW_PAGES 512u                   /* the file grows 2 MiB at a time */

bool rev_pages_open(RevPagePool *pp, Error *err)
{
    memset(pp, 0, sizeof(*pp));
    pp->fd = memfd_create("amber-reverse", MFD_CLOEXEC);
    if (pp->fd < 0) {
        error_setf(err, "reverse execution: cannot create the page store (memfd_create: %s)",
                   strerror(errno));
        return false;
    }
    return true;
}

uint32_t rev_pages_get(RevPagePool *pp)
{
    uint32_t slot;
    if (pp->nr_free) {
        slot = pp->free[--pp->nr_free];
    } else {
        if (pp->next == pp->size) {
            if ((uint64_t)pp->size + REV_GROW_PAGES >= REV_SLOT_NONE ||
                ftruncate(pp->fd, (off_t)((uint64_t)(pp->size + REV_GROW_PAGES) << PAGE_BITS))) {
                return REV_SLOT_NONE;
            }
            pp->size += REV_GROW_PAGES;
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
            pp->in_use--;        /* the slot is lost until the store is closed */
            return;
        }
        pp->free = n;
        pp->cap_free = cap;
    }
    pp->free[pp->nr_free++] = slot;
    pp->in_use--;
}

bool rev_pages_flush(RevPagePool *pp, Error *err)
{
    struct iovec *iov = pp->iov;
    unsigned left = pp->nr_iov;
    off_t off = (off_t)((uint64_t)pp->first << PAGE_BITS);
    pp->nr_iov = 0;
    while (left) {
        ssize_t r = pp->writing ? pwritev(pp->fd, iov, (int)left, off)
                                : preadv(pp->fd, iov, (int)left, off);
        if (r <= 0) {
            if (r < 0 && errno == EINTR) {
                continue;
            }
            error_setf(err, "%s slot %llu of the page store: %s", pp->writing ? "writing" : "reading",
                       (unsigned long long)(off >> PAGE_BITS), r < 0 ? strerror(errno) : "end of file");
            return false;
        }
        /* A short transfer: on from where it stopped (pages are whole). */
        off += r;
        while (left && (size_t)r >= iov->iov_len) {
            r -= (ssize_t)iov->iov_len;
            iov++;
            left--;
        }
        if (left && r) {
            iov->iov_base = (uint8_t *)iov->iov_base + r;
            iov->iov_len -= (size_t)r;
        }
    }
    return true;
}

static bool rev_pages_queue(RevPagePool *pp, uint32_t slot, void *mem, bool writing, Error *err)
{
    if (pp->nr_iov && (pp->writing != writing || slot != pp->first + pp->nr_iov ||
                       pp->nr_iov == REV_PAGES_BATCH)) {
        if (!rev_pages_flush(pp, err)) {
            return false;
        }
    }
    if (!pp->nr_iov) {
        pp->first = slot;
        pp->writing = writing;
    }
    pp->iov[pp->nr_iov].iov_base = mem;
    pp->iov[pp->nr_iov].iov_len = PAGE_SIZE;
    pp->nr_iov++;
    return true;
}

bool rev_pages_write(RevPagePool *pp, uint32_t slot, const uint8_t *src, Error *err)
{
    return rev_pages_queue(pp, slot, (void *)(uintptr_t)src, true, err);
}

bool rev_pages_read(RevPagePool *pp, uint32_t slot, uint8_t *dst, Error *err)
{
    return rev_pages_queue(pp, slot, dst, false, err);
}

void rev_pages_free_all(RevPagePool *pp)
{
    if (pp->fd >= 0) {
        close(pp->fd);
    }
    free(pp->free);
    memset(pp, 0, sizeof(*pp));
    pp->fd = -1;
}

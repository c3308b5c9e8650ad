/* Page storage for reverse execution (reverse.h): the guest pages kept by
 * checkpoints, a slot each in a memfd, written and read with pwritev and
 * preadv in batches. The kernel copies into its own mapping of the file,
 * so a new slot costs no first touch of a fresh user page (about 14 us a
 * page on a virtualised host, against about 1 us this way), and a slot a
 * folded or dropped checkpoint gives back is reused before the file
 * grows. Host memory only: nothing here is ever saved or migrated. */
#ifndef REPLAY_REV_PAGES_H
#define REPLAY_REV_PAGES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "emu/memory.h"
#include "util/error.h"

#define REV_SLOT_NONE UINT32_MAX         /* no slot: a page of zeroes */
#define REV_PAGES_BATCH 256              /* pages a system call moves at most */

typedef struct RevPagePool {
    int fd;                      /* -1 until rev_pages_open */
    uint32_t size;               /* slots the file holds */
    uint32_t next;               /* first slot never handed out */
    uint32_t *free;              /* slots given back */
    size_t nr_free, cap_free;
    size_t in_use;
    /* The batch: consecutive slots from first, one direction. */
    struct iovec iov[REV_PAGES_BATCH];
    unsigned nr_iov;
    uint32_t first;
    bool writing;
} RevPagePool;

bool rev_pages_open(RevPagePool *pp, Error *err);
/* A slot, or REV_SLOT_NONE when the host has no memory for one. */
uint32_t rev_pages_get(RevPagePool *pp);
/* Gives a slot back (REV_SLOT_NONE is ignored). */
void rev_pages_put(RevPagePool *pp, uint32_t slot);
/* Queue a page's copy into or out of a slot; the memory must stay as it
 * is until rev_pages_flush, which every batch ends with. */
bool rev_pages_write(RevPagePool *pp, uint32_t slot, const uint8_t *src, Error *err);
bool rev_pages_read(RevPagePool *pp, uint32_t slot, uint8_t *dst, Error *err);
bool rev_pages_flush(RevPagePool *pp, Error *err);
/* Closes the file. */
void rev_pages_free_all(RevPagePool *pp);

#endif

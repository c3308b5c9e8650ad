/* Page storage for reverse execution (reverse.h): guest pages kept by
 * checkpoints, in slots of large host chunks. Chunks are populated when
 * mapped (one system call instead of a page fault per page: faults are the
 * largest cost of a checkpoint on a virtualised host) and a slot a folded
 * or dropped checkpoint gives back is reused before a new chunk is mapped.
 * Host memory only: nothing here is ever saved or migrated. */
#ifndef REPLAY_REV_PAGES_H
#define REPLAY_REV_PAGES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "emu/memory.h"

#define REV_SLOT_NONE UINT32_MAX         /* no slot: a page of zeroes */

typedef struct RevPagePool {
    uint8_t **chunks;
    size_t nr_chunks, cap_chunks;
    uint32_t next;               /* first slot never handed out */
    uint32_t *free;              /* slots given back */
    size_t nr_free, cap_free;
    size_t in_use;
} RevPagePool;

/* A slot, or REV_SLOT_NONE when the host has no memory for one. */
uint32_t rev_pages_get(RevPagePool *pp);
/* Gives a slot back (REV_SLOT_NONE is ignored). */
void rev_pages_put(RevPagePool *pp, uint32_t slot);
static inline uint8_t *rev_pages_at(const RevPagePool *pp, uint32_t slot)
{
    return pp->chunks[slot >> 9] + ((size_t)(slot & 511) << PAGE_BITS);
}
/* Unmaps every chunk. */
void rev_pages_free_all(RevPagePool *pp);

/* Which pages of a private anonymous mapping the host never populated
 * (they read as zeroes): known[i] = 1 for page i of [host, host + npages
 * pages). False when the host cannot tell (then nothing is known). */
bool rev_pages_untouched(const uint8_t *host, uint64_t npages, uint8_t *known);
bool rev_page_is_zero(const uint8_t *page);

#endif

/* The guest physical address space: RAM, ROM and MMIO regions.
 *
 * RAM pages carry two kinds of host-side bookkeeping that are never saved:
 *  - a CODE flag per page, set when translated code was made from the page,
 *    so writes to it invalidate that code (self-modifying code);
 *  - dirty bitmaps, one per client that logs (live migration and savevm,
 *    reverse execution), so that one client's passes neither clear nor
 *    stop the other's.
 * A write that must update either goes through memory_write()/memory_rw(), so
 * the CPU only installs a fast-path write TLB entry for a page when
 * memory_page_write_fast() says that page needs no bookkeeping. */
#ifndef EMU_MEMORY_H
#define EMU_MEMORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PAGE_BITS 12
#define PAGE_SIZE (1ull << PAGE_BITS)
#define PAGE_MASK (~(PAGE_SIZE - 1))

typedef struct MemoryRegionOps {
    /* Return false to refuse an access (the CPU raises an access fault). */
    bool (*read)(void *opaque, uint64_t offset, unsigned size, uint64_t *val);
    bool (*write)(void *opaque, uint64_t offset, unsigned size, uint64_t val);
    /* Accepted access sizes in bytes; other sizes are refused without calling
     * the device. 0 means no limit (1 and 8). */
    uint8_t min_size, max_size;
} MemoryRegionOps;

typedef enum MemoryRegionKind {
    MR_RAM,
    MR_ROM,
    MR_MMIO,
} MemoryRegionKind;

typedef struct MemoryRegion {
    const char *name;
    MemoryRegionKind kind;
    uint64_t base, size;
    const MemoryRegionOps *ops;  /* MMIO */
    void *opaque;                /* MMIO */
    uint8_t *host;               /* RAM and ROM */
    int priority;                /* higher wins where regions overlap */
} MemoryRegion;

#define MEMORY_MAX_REGIONS 64

/* Per-page host flags for RAM. */
#define MEM_PAGE_CODE   0x01     /* translated code exists for this page */
#define MEM_PAGE_IO     0x02     /* an MMIO region overlaps this RAM page */
#define MEM_PAGE_RESV   0x04     /* a waiting hart holds an LR reservation here */

/* Who caches what memory holds (a hart: its TLB's host pointers and its
 * translated code), told when that goes stale. Either callback may be NULL. */
typedef struct MemoryListener {
    /* A guest or DMA write touched a page with translated code. */
    void (*code_write)(void *opaque, uint64_t paddr, uint64_t len);
    /* Fast-path write permissions must be withdrawn (dirty log started or
     * synced): flush the TLB. */
    void (*tlb_flush)(void *opaque);
    /* Fast-path writes to the page at paddr must be withdrawn (it got code
     * or a reservation): drop the TLB's write entries for it. */
    void (*page_watch)(void *opaque, uint64_t paddr);
    /* A write hit a page with a reservation (MEM_PAGE_RESV). */
    void (*resv_write)(void *opaque, uint64_t paddr, uint64_t len);
    void *opaque;
} MemoryListener;

#define MEMORY_MAX_LISTENERS 16

/* Who logs dirty pages. */
typedef enum MemoryDirtyClient {
    MEMORY_DIRTY_MIGRATION,      /* live migration, savevm (migration/ram.c) */
    MEMORY_DIRTY_REVERSE,        /* reverse execution's checkpoints */
    MEMORY_DIRTY_NR
} MemoryDirtyClient;

typedef struct PhysMemory {
    MemoryRegion regions[MEMORY_MAX_REGIONS];
    int nr_regions;
    /* Main RAM (at most one region of kind MR_RAM). */
    MemoryRegion *ram;
    uint8_t *page_flags;         /* one byte per RAM page */
    /* Per RAM page: how many listeners (harts) have code there; the page
     * loses MEM_PAGE_CODE when the last one drops its code. */
    uint8_t *code_users;
    /* Per RAM page: how many waiting harts protect a reservation there. */
    uint8_t *resv_users;
    uint64_t *dirty[MEMORY_DIRTY_NR];   /* one bit per RAM page, per client */
    uint8_t dirty_log;           /* a bit per client that logs */
    MemoryListener listeners[MEMORY_MAX_LISTENERS];
    int nr_listeners;
} PhysMemory;

void memory_init(PhysMemory *m);
void memory_destroy(PhysMemory *m);
/* Adds l (copied); false when the table is full. Removing finds it by its
 * opaque. */
bool memory_add_listener(PhysMemory *m, const MemoryListener *l);
void memory_remove_listener(PhysMemory *m, void *opaque);
/* The bookkeeping after a write of len bytes at paddr inside RAM done
 * through a host pointer: dirty log, and the listeners when it touched a
 * page with translated code. */
void memory_ram_written(PhysMemory *m, uint64_t paddr, uint64_t len);

/* RAM beyond what the guest touches costs nothing: it is an anonymous
 * MAP_NORESERVE mapping. Returns NULL (with errno) if it cannot be mapped. */
MemoryRegion *memory_add_ram(PhysMemory *m, const char *name, uint64_t base, uint64_t size);
MemoryRegion *memory_add_rom(PhysMemory *m, const char *name, uint64_t base, uint64_t size);
MemoryRegion *memory_add_mmio(PhysMemory *m, const char *name, uint64_t base, uint64_t size,
                              const MemoryRegionOps *ops, void *opaque, int priority);

/* The region that answers at addr (highest priority), or NULL. */
MemoryRegion *memory_find(PhysMemory *m, uint64_t addr);

/* Host pointer for the whole page holding paddr when the page is plain RAM or
 * ROM (no MMIO overlaps it); NULL otherwise. */
uint8_t *memory_page_host(PhysMemory *m, uint64_t paddr, bool *is_rom);
/* True when a write to this RAM page can bypass memory_write() (no code, and
 * no dirty bit to set). */
bool memory_page_write_fast(PhysMemory *m, uint64_t paddr);

/* Single access of 1, 2, 4 or 8 bytes (naturally aligned or not: RAM accepts
 * either, MMIO gets the access as it is). Returns false for an access fault
 * (no region, ROM write, refused by the device). */
bool memory_read(PhysMemory *m, uint64_t addr, unsigned size, uint64_t *val);
bool memory_write(PhysMemory *m, uint64_t addr, unsigned size, uint64_t val);

/* Bulk copy for DMA, loaders and debuggers: RAM and ROM only (MMIO refused).
 * Writes mark pages dirty and invalidate code. rom_ok lets loaders fill ROM. */
bool memory_rw(PhysMemory *m, uint64_t addr, void *buf, uint64_t len, bool is_write, bool rom_ok);

/* Code-page bookkeeping, used by the translator. */
/* One listener's first code on the page / its last code gone. The first
 * code of any listener withdraws every listener's fast-path writes. */
void memory_set_code_page(PhysMemory *m, uint64_t paddr);
void memory_clear_code_page(PhysMemory *m, uint64_t paddr);
/* A hart that stops running holds a reservation on the page: until it
 * puts it back, every write to the page (any hart's store, AMO or SC, DMA)
 * goes through the slow path and tells the listeners (resv_write). Counted:
 * the page is fast again when the last hart puts it back. */
void memory_get_resv_page(PhysMemory *m, uint64_t paddr);
void memory_put_resv_page(PhysMemory *m, uint64_t paddr);

/* Dirty logging, by client: a page is written through the fast path only
 * when it is dirty for every client that logs. */
void memory_dirty_log_start(PhysMemory *m, MemoryDirtyClient c);
void memory_dirty_log_stop(PhysMemory *m, MemoryDirtyClient c);
/* Marks every RAM page dirty/clean in the client's bitmap. */
void memory_dirty_set_all(PhysMemory *m, MemoryDirtyClient c, bool dirty);
static inline bool memory_page_dirty(const PhysMemory *m, MemoryDirtyClient c,
                                     uint64_t page_index)
{
    return (m->dirty[c][page_index >> 6] >> (page_index & 63)) & 1;
}
/* Clears and returns the dirty bit of one page; withdraws fast-path writes
 * from the CPU when any bit is cleared (call memory_dirty_sync_done after a
 * batch). */
bool memory_dirty_test_and_clear(PhysMemory *m, MemoryDirtyClient c, uint64_t page_index);
/* The first dirty page at or after from, or the number of RAM pages when
 * none is: a word of the bitmap at a time. */
uint64_t memory_dirty_next(const PhysMemory *m, MemoryDirtyClient c, uint64_t from);
void memory_dirty_sync_done(PhysMemory *m);
static inline void memory_mark_dirty(PhysMemory *m, uint64_t paddr, uint64_t len)
{
    if (!m->ram || len == 0) {
        return;
    }
    uint64_t first = (paddr - m->ram->base) >> PAGE_BITS;
    uint64_t last = (paddr + len - 1 - m->ram->base) >> PAGE_BITS;
    for (uint64_t p = first; p <= last; p++) {
        for (int c = 0; c < MEMORY_DIRTY_NR; c++) {
            m->dirty[c][p >> 6] |= 1ull << (p & 63);
        }
    }
}

/* Host-side probes of RAM's host pages. Which pages of a private anonymous
 * mapping the host never populated (they read as zeroes, and reading them
 * would fault each one in): known[i] = 1 for page i of [host, host +
 * npages pages). False when the host cannot tell (then nothing is known). */
bool memory_host_untouched(const uint8_t *host, uint64_t npages, uint8_t *known);
bool memory_page_is_zero(const uint8_t *page);

/* True when [addr, addr+len) lies inside main RAM. */
static inline bool memory_in_ram(const PhysMemory *m, uint64_t addr, uint64_t len)
{
    return m->ram && addr >= m->ram->base && len <= m->ram->size &&
           addr - m->ram->base <= m->ram->size - len;
}

#endif

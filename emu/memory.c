#include "emu/memory.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

void memory_init(PhysMemory *m)
{
    memset(m, 0, sizeof(*m));
}

void memory_destroy(PhysMemory *m)
{
    for (int i = 0; i < m->nr_regions; i++) {
        MemoryRegion *r = &m->regions[i];
        if (r->host) {
            munmap(r->host, r->size);
        }
    }
    free(m->page_flags);
    free(m->code_users);
    free(m->resv_users);
    free(m->dirty[0]);           /* one block for every client's bitmap */
    memset(m, 0, sizeof(*m));
}

/* Keeps regions ordered by descending priority so the first match wins. */
static MemoryRegion *memory_insert(PhysMemory *m, const MemoryRegion *proto)
{
    if (m->nr_regions >= MEMORY_MAX_REGIONS) {
        errno = ENOSPC;
        return NULL;
    }
    int i = m->nr_regions;
    while (i > 0 && m->regions[i - 1].priority < proto->priority) {
        m->regions[i] = m->regions[i - 1];
        i--;
    }
    m->regions[i] = *proto;
    m->nr_regions++;
    /* Pointers into the array moved: refresh the RAM shortcut. */
    m->ram = NULL;
    for (int j = 0; j < m->nr_regions; j++) {
        if (m->regions[j].kind == MR_RAM) {
            m->ram = &m->regions[j];
        }
    }
    return &m->regions[i];
}

static void memory_mark_io_pages(PhysMemory *m)
{
    if (!m->ram) {
        return;
    }
    uint64_t pages = m->ram->size >> PAGE_BITS;
    for (uint64_t p = 0; p < pages; p++) {
        m->page_flags[p] &= (uint8_t)~MEM_PAGE_IO;
    }
    for (int i = 0; i < m->nr_regions; i++) {
        MemoryRegion *r = &m->regions[i];
        if (r->kind != MR_MMIO || r->base + r->size <= m->ram->base ||
            r->base >= m->ram->base + m->ram->size) {
            continue;
        }
        uint64_t lo = r->base > m->ram->base ? r->base : m->ram->base;
        uint64_t hi = r->base + r->size < m->ram->base + m->ram->size ?
                      r->base + r->size : m->ram->base + m->ram->size;
        for (uint64_t a = lo & PAGE_MASK; a < hi; a += PAGE_SIZE) {
            m->page_flags[(a - m->ram->base) >> PAGE_BITS] |= MEM_PAGE_IO;
        }
    }
}

#define MEMORY_HUGE_PAGE (2ull << 20)

/* Guest RAM starts on a 2 MiB host boundary and asks for transparent huge
 * pages: a booting kernel touches memory all over its RAM, and one host
 * fault per 2 MiB instead of per 4 KiB is much cheaper (Linux boot: see
 * bench/linux-boot.sh). Untouched RAM still costs nothing. */
static uint8_t *memory_map_anon(uint64_t size)
{
    uint64_t len = size + MEMORY_HUGE_PAGE;
    void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED) {
        return NULL;
    }
    uintptr_t start = (uintptr_t)p;
    uintptr_t aligned = (start + MEMORY_HUGE_PAGE - 1) & ~(uintptr_t)(MEMORY_HUGE_PAGE - 1);
    if (aligned > start) {
        munmap(p, aligned - start);
    }
    uintptr_t end = start + len, want_end = aligned + size;
    if (end > want_end) {
        munmap((void *)want_end, end - want_end);
    }
#ifdef MADV_HUGEPAGE
    madvise((void *)aligned, size, MADV_HUGEPAGE);   /* a hint: failure is harmless */
#endif
    return (uint8_t *)aligned;
}

MemoryRegion *memory_add_ram(PhysMemory *m, const char *name, uint64_t base, uint64_t size)
{
    if (m->ram || size == 0 || (size & (PAGE_SIZE - 1)) || (base & (PAGE_SIZE - 1))) {
        errno = EINVAL;
        return NULL;
    }
    uint64_t pages = size >> PAGE_BITS;
    uint8_t *host = memory_map_anon(size);
    uint8_t *flags = calloc(pages, 1);
    uint8_t *users = calloc(pages, 1);
    uint8_t *resv = calloc(pages, 1);
    uint64_t words = (pages + 63) / 64;
    uint64_t *dirty = calloc(words * MEMORY_DIRTY_NR, sizeof(uint64_t));
    if (!host || !flags || !users || !resv || !dirty) {
        if (host) {
            munmap(host, size);
        }
        free(flags);
        free(users);
        free(resv);
        free(dirty);
        errno = ENOMEM;
        return NULL;
    }
    MemoryRegion r = { .name = name, .kind = MR_RAM, .base = base, .size = size, .host = host };
    m->page_flags = flags;
    m->code_users = users;
    m->resv_users = resv;
    for (int c = 0; c < MEMORY_DIRTY_NR; c++) {
        m->dirty[c] = dirty + c * words;
    }
    MemoryRegion *mr = memory_insert(m, &r);
    if (!mr) {
        munmap(host, size);
        free(flags);
        free(users);
        free(resv);
        free(dirty);
        m->page_flags = NULL;
        m->code_users = NULL;
        m->resv_users = NULL;
        memset(m->dirty, 0, sizeof(m->dirty));
        return NULL;
    }
    memory_mark_io_pages(m);
    return m->ram;
}

MemoryRegion *memory_add_rom(PhysMemory *m, const char *name, uint64_t base, uint64_t size)
{
    uint64_t mapsize = (size + PAGE_SIZE - 1) & PAGE_MASK;
    uint8_t *host = memory_map_anon(mapsize);
    if (!host) {
        errno = ENOMEM;
        return NULL;
    }
    MemoryRegion r = { .name = name, .kind = MR_ROM, .base = base, .size = size, .host = host };
    MemoryRegion *mr = memory_insert(m, &r);
    if (!mr) {
        munmap(host, mapsize);
    }
    return mr;
}

MemoryRegion *memory_add_mmio(PhysMemory *m, const char *name, uint64_t base, uint64_t size,
                              const MemoryRegionOps *ops, void *opaque, int priority)
{
    MemoryRegion r = { .name = name, .kind = MR_MMIO, .base = base, .size = size,
                       .ops = ops, .opaque = opaque, .priority = priority };
    MemoryRegion *mr = memory_insert(m, &r);
    if (mr) {
        const char *nm = mr->name;
        memory_mark_io_pages(m);
        /* memory_insert may have moved the entry; find it again by name. */
        for (int i = 0; i < m->nr_regions; i++) {
            if (m->regions[i].name == nm && m->regions[i].base == base) {
                return &m->regions[i];
            }
        }
    }
    return mr;
}

MemoryRegion *memory_find(PhysMemory *m, uint64_t addr)
{
    for (int i = 0; i < m->nr_regions; i++) {
        MemoryRegion *r = &m->regions[i];
        if (addr >= r->base && addr - r->base < r->size) {
            return r;
        }
    }
    return NULL;
}

uint8_t *memory_page_host(PhysMemory *m, uint64_t paddr, bool *is_rom)
{
    uint64_t page = paddr & PAGE_MASK;
    MemoryRegion *r = memory_find(m, page);
    if (!r || r->kind == MR_MMIO) {
        return NULL;
    }
    if (r->kind == MR_RAM) {
        if (m->page_flags[(page - r->base) >> PAGE_BITS] & MEM_PAGE_IO) {
            return NULL;
        }
    } else if (page - r->base + PAGE_SIZE > ((r->size + PAGE_SIZE - 1) & PAGE_MASK) ||
               page < r->base) {
        return NULL;
    }
    if (is_rom) {
        *is_rom = r->kind == MR_ROM;
    }
    return r->host + (page - r->base);
}

bool memory_page_write_fast(PhysMemory *m, uint64_t paddr)
{
    if (!memory_in_ram(m, paddr & PAGE_MASK, PAGE_SIZE)) {
        return false;
    }
    uint64_t p = ((paddr & PAGE_MASK) - m->ram->base) >> PAGE_BITS;
    if (m->page_flags[p] & (MEM_PAGE_CODE | MEM_PAGE_IO | MEM_PAGE_RESV)) {
        return false;
    }
    for (int c = 0; c < MEMORY_DIRTY_NR; c++) {
        if ((m->dirty_log >> c & 1) && !memory_page_dirty(m, (MemoryDirtyClient)c, p)) {
            return false;
        }
    }
    return true;
}

void memory_ram_written(PhysMemory *m, uint64_t paddr, uint64_t len)
{
    memory_mark_dirty(m, paddr, len);
    uint64_t first = (paddr - m->ram->base) >> PAGE_BITS;
    uint64_t last = (paddr + len - 1 - m->ram->base) >> PAGE_BITS;
    uint8_t seen = 0;
    for (uint64_t p = first; p <= last; p++) {
        seen |= m->page_flags[p];
    }
    if (!(seen & (MEM_PAGE_CODE | MEM_PAGE_RESV))) {
        return;
    }
    for (int i = 0; i < m->nr_listeners; i++) {
        MemoryListener *l = &m->listeners[i];
        if ((seen & MEM_PAGE_CODE) && l->code_write) {
            l->code_write(l->opaque, paddr, len);
        }
        if ((seen & MEM_PAGE_RESV) && l->resv_write) {
            l->resv_write(l->opaque, paddr, len);
        }
    }
}

static uint64_t load_le(const uint8_t *p, unsigned size)
{
    uint64_t v = 0;
    memcpy(&v, p, size);   /* host is little-endian (checked by configure's target) */
    return v;
}

static void store_le(uint8_t *p, unsigned size, uint64_t v)
{
    memcpy(p, &v, size);
}

static bool memory_mmio_size_ok(const MemoryRegion *r, unsigned size)
{
    unsigned lo = r->ops->min_size ? r->ops->min_size : 1;
    unsigned hi = r->ops->max_size ? r->ops->max_size : 8;
    return size >= lo && size <= hi;
}

bool memory_read(PhysMemory *m, uint64_t addr, unsigned size, uint64_t *val)
{
    MemoryRegion *r = memory_find(m, addr);
    if (!r || addr - r->base > r->size - size || size > r->size) {
        return false;
    }
    if (r->kind == MR_MMIO) {
        if (!memory_mmio_size_ok(r, size) || !r->ops->read) {
            return false;
        }
        uint64_t v = 0;
        if (!r->ops->read(r->opaque, addr - r->base, size, &v)) {
            return false;
        }
        *val = size == 8 ? v : v & ((1ull << (size * 8)) - 1);
        return true;
    }
    *val = load_le(r->host + (addr - r->base), size);
    return true;
}

bool memory_write(PhysMemory *m, uint64_t addr, unsigned size, uint64_t val)
{
    MemoryRegion *r = memory_find(m, addr);
    if (!r || addr - r->base > r->size - size || size > r->size) {
        return false;
    }
    switch (r->kind) {
    case MR_MMIO:
        if (!memory_mmio_size_ok(r, size) || !r->ops->write) {
            return false;
        }
        if (size < 8) {
            val &= (1ull << (size * 8)) - 1;
        }
        return r->ops->write(r->opaque, addr - r->base, size, val);
    case MR_ROM:
        return false;
    case MR_RAM:
        store_le(r->host + (addr - r->base), size, val);
        memory_ram_written(m, addr, size);
        return true;
    }
    return false;
}

bool memory_rw(PhysMemory *m, uint64_t addr, void *buf, uint64_t len, bool is_write, bool rom_ok)
{
    uint8_t *b = buf;
    while (len > 0) {
        MemoryRegion *r = memory_find(m, addr);
        if (!r || r->kind == MR_MMIO || (is_write && r->kind == MR_ROM && !rom_ok)) {
            return false;
        }
        uint64_t off = addr - r->base;
        uint64_t chunk = r->size - off < len ? r->size - off : len;
        /* Stop at the next MMIO region that might overlap this RAM. */
        if (r->kind == MR_RAM) {
            for (int i = 0; i < m->nr_regions; i++) {
                MemoryRegion *o = &m->regions[i];
                if (o->kind == MR_MMIO && o->base > addr && o->base - addr < chunk) {
                    chunk = o->base - addr;
                }
            }
        }
        if (is_write) {
            memcpy(r->host + off, b, chunk);
            if (r->kind == MR_RAM) {
                memory_ram_written(m, addr, chunk);
            }
        } else {
            memcpy(b, r->host + off, chunk);
        }
        b += chunk;
        addr += chunk;
        len -= chunk;
    }
    return true;
}

static void memory_watch_page(PhysMemory *m, uint64_t paddr)
{
    for (int i = 0; i < m->nr_listeners; i++) {
        MemoryListener *l = &m->listeners[i];
        if (l->page_watch) {
            l->page_watch(l->opaque, paddr & PAGE_MASK);
        }
    }
}

void memory_set_code_page(PhysMemory *m, uint64_t paddr)
{
    if (memory_in_ram(m, paddr, 1)) {
        uint64_t p = (paddr - m->ram->base) >> PAGE_BITS;
        if (m->code_users[p]++ == 0) {
            m->page_flags[p] |= MEM_PAGE_CODE;
            memory_watch_page(m, paddr);
        }
    }
}

void memory_clear_code_page(PhysMemory *m, uint64_t paddr)
{
    if (memory_in_ram(m, paddr, 1)) {
        uint64_t p = (paddr - m->ram->base) >> PAGE_BITS;
        if (m->code_users[p] && --m->code_users[p] == 0) {
            m->page_flags[p] &= (uint8_t)~MEM_PAGE_CODE;
        }
    }
}

void memory_get_resv_page(PhysMemory *m, uint64_t paddr)
{
    if (memory_in_ram(m, paddr, 1)) {
        uint64_t p = (paddr - m->ram->base) >> PAGE_BITS;
        if (m->resv_users[p]++ == 0) {
            m->page_flags[p] |= MEM_PAGE_RESV;
            memory_watch_page(m, paddr);
        }
    }
}

void memory_put_resv_page(PhysMemory *m, uint64_t paddr)
{
    if (memory_in_ram(m, paddr, 1)) {
        uint64_t p = (paddr - m->ram->base) >> PAGE_BITS;
        if (m->resv_users[p] && --m->resv_users[p] == 0) {
            m->page_flags[p] &= (uint8_t)~MEM_PAGE_RESV;
        }
    }
}

static void memory_withdraw_fast_writes(PhysMemory *m)
{
    for (int i = 0; i < m->nr_listeners; i++) {
        MemoryListener *l = &m->listeners[i];
        if (l->tlb_flush) {
            l->tlb_flush(l->opaque);
        }
    }
}

bool memory_add_listener(PhysMemory *m, const MemoryListener *l)
{
    if (m->nr_listeners == MEMORY_MAX_LISTENERS) {
        return false;
    }
    m->listeners[m->nr_listeners++] = *l;
    return true;
}

void memory_remove_listener(PhysMemory *m, void *opaque)
{
    for (int i = 0; i < m->nr_listeners; i++) {
        if (m->listeners[i].opaque == opaque) {
            m->listeners[i] = m->listeners[--m->nr_listeners];
            i--;
        }
    }
}

void memory_dirty_set_all(PhysMemory *m, MemoryDirtyClient c, bool dirty)
{
    if (!m->ram) {
        return;
    }
    uint64_t pages = m->ram->size >> PAGE_BITS;
    memset(m->dirty[c], dirty ? 0xff : 0, ((pages + 63) / 64) * sizeof(uint64_t));
    if (dirty && (pages & 63)) {
        m->dirty[c][pages / 64] = (1ull << (pages & 63)) - 1;
    }
    if (!dirty) {
        memory_withdraw_fast_writes(m);
    }
}

void memory_dirty_log_start(PhysMemory *m, MemoryDirtyClient c)
{
    m->dirty_log |= (uint8_t)(1u << c);
    memory_withdraw_fast_writes(m);
}

void memory_dirty_log_stop(PhysMemory *m, MemoryDirtyClient c)
{
    m->dirty_log &= (uint8_t)~(1u << c);
}

bool memory_dirty_test_and_clear(PhysMemory *m, MemoryDirtyClient c, uint64_t page_index)
{
    uint64_t bit = 1ull << (page_index & 63);
    uint64_t *w = &m->dirty[c][page_index >> 6];
    bool was = (*w & bit) != 0;
    *w &= ~bit;
    return was;
}

uint64_t memory_dirty_next(const PhysMemory *m, MemoryDirtyClient c, uint64_t from)
{
    uint64_t pages = m->ram ? m->ram->size >> PAGE_BITS : 0;
    if (from >= pages) {
        return pages;
    }
    const uint64_t *d = m->dirty[c];
    uint64_t i = from >> 6;
    uint64_t w = d[i] & (~0ull << (from & 63));
    while (!w) {
        if (++i >= (pages + 63) / 64) {
            return pages;
        }
        w = d[i];
    }
    uint64_t p = i * 64 + (uint64_t)__builtin_ctzll(w);
    return p < pages ? p : pages;
}

void memory_dirty_sync_done(PhysMemory *m)
{
    memory_withdraw_fast_writes(m);
}

bool memory_host_untouched(const uint8_t *host, uint64_t npages, uint8_t *known)
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

bool memory_page_is_zero(const uint8_t *page)
{
    /* Host pages are page aligned: 64 bytes a step, out at the first word. */
    const uint64_t *w = (const uint64_t *)(const void *)page;
    for (size_t i = 0; i < PAGE_SIZE / 8; i += 8) {
        if (w[i] | w[i + 1] | w[i + 2] | w[i + 3] | w[i + 4] | w[i + 5] | w[i + 6] | w[i + 7]) {
            return false;
        }
    }
    return true;
}

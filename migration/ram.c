#include "migration/ram.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "savevm/savevm.h"
#include "migration/xbzrle.h"

/* Pages the process never touched read as zero but cost a page fault each
 * to check (tens of microseconds under a hypervisor: seconds for a large,
 * mostly idle guest). /proc/self/pagemap says which pages were never
 * touched (neither present nor swapped), a batch at a time. */
#define PAGEMAP_BATCH 512
#define PAGEMAP_PRESENT (1ull << 63)
#define PAGEMAP_SWAPPED (1ull << 62)

typedef struct RamPagemap {
    int fd;                      /* -1: unavailable, check by reading */
    const uint8_t *base;         /* host address of the cached batch */
    uint64_t entries[PAGEMAP_BATCH];
    bool valid;
} RamPagemap;

typedef struct RamState {
    PhysMemory *m;
    const char *name;
    uint64_t pages;
    uint64_t cursor;             /* next page a PART looks at */
    /* The pass being sent: the dirty bits taken from the memory at the last
     * sync. Only the sender touches it during a pass (the guest goes on
     * marking the memory's own bitmap), so a pass can run on another
     * thread than the CPU. */
    uint64_t *round;
    _Atomic uint64_t round_left; /* pages still set in round */
    /* Save: a page of the block was sent, so later ones may use CONTINUE
     * (it persists across sections, as QEMU's last_sent_block does).
     * Load: the same for received pages. */
    bool block_sent;
    bool block_received;
    uint64_t iterate_max;        /* pages per PART */
    uint64_t iterate_max_next;   /* for the next save (ram_set_iterate_max_pages) */
    RamStats stats;              /* the sender's own counters */
    RamStats published;          /* a copy for other threads, under stats_lock */
    pthread_mutex_t stats_lock;
    /* The save's (sender thread) or the load's (loader thread), never both
     * at once: a machine saves or loads. */
    RamPagemap pagemap;
    /* XBZRLE: a direct-mapped cache of the last sent copy of pages, filled
     * from the first pass on and used for deltas from the second. */
    uint64_t xb_size;            /* bytes asked for the next save; 0 = off */
    uint64_t xb_slots;
    uint8_t *xb_data;
    uint64_t *xb_tag;            /* page index + 1; 0 = empty slot */
    uint8_t xb_buf[PAGE_SIZE];
    uint8_t xb_page[PAGE_SIZE];  /* a stable copy of the page being encoded */
} RamState;

static void ram_publish_stats(RamState *rs)
{
    pthread_mutex_lock(&rs->stats_lock);
    rs->published = rs->stats;
    pthread_mutex_unlock(&rs->stats_lock);
}

static bool ram_page_untouched(RamState *rs, const uint8_t *host)
{
    RamPagemap *pm = &rs->pagemap;
    if (pm->fd == -2) {
        pm->fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
    }
    if (pm->fd < 0) {
        return false;
    }
    uintptr_t hp = (uintptr_t)host / PAGE_SIZE;
    uintptr_t first = hp - hp % PAGEMAP_BATCH;
    if (!pm->valid || (uintptr_t)pm->base != first) {
        ssize_t n = pread(pm->fd, pm->entries, sizeof(pm->entries), (off_t)(first * 8));
        if (n != (ssize_t)sizeof(pm->entries)) {
            pm->valid = false;
            return false;
        }
        pm->base = (const uint8_t *)first;
        pm->valid = true;
    }
    return !(pm->entries[hp - first] & (PAGEMAP_PRESENT | PAGEMAP_SWAPPED));
}

/* A page the load is about to write: the pagemap batch over it is stale,
 * and the page is dirty for whoever logs (reverse execution's checkpoint
 * after a loadvm must hold it). */
static void ram_load_writes(RamState *rs, const uint8_t *host)
{
    memory_mark_dirty(rs->m, rs->m->ram->base + (uint64_t)(host - rs->m->ram->host), PAGE_SIZE);
    uintptr_t first = (uintptr_t)host / PAGE_SIZE;
    first -= first % PAGEMAP_BATCH;
    if (rs->pagemap.valid && (uintptr_t)rs->pagemap.base == first) {
        rs->pagemap.valid = false;   /* that batch is stale now */
    }
}

/* Zero test that avoids faulting in pages never touched. The batch cache
 * is dropped at each section end, since the guest runs in between. */
static bool ram_page_is_zero_fast(RamState *rs, const uint8_t *host)
{
    return ram_page_untouched(rs, host) || memory_page_is_zero(host);
}

void ram_stats_get(SaveVMState *s, RamStats *out)
{
    RamState *rs = savevm_find_opaque(s, "ram", 0);
    if (!rs) {
        memset(out, 0, sizeof(*out));
        return;
    }
    pthread_mutex_lock(&rs->stats_lock);
    *out = rs->published;
    pthread_mutex_unlock(&rs->stats_lock);
}

void ram_set_iterate_max_pages(SaveVMState *s, uint64_t n)
{
    RamState *rs = savevm_find_opaque(s, "ram", 0);
    if (rs) {
        rs->iterate_max_next = n ? n : RAM_ITERATE_MAX_PAGES;
    }
}

int ram_set_xbzrle(SaveVMState *s, uint64_t cache_size)
{
    RamState *rs = savevm_find_opaque(s, "ram", 0);
    if (!rs) {
        return -ENOENT;
    }
    rs->xb_size = cache_size;
    return 0;
}

static void ram_xbzrle_free(RamState *rs)
{
    free(rs->xb_data);
    free(rs->xb_tag);
    rs->xb_data = NULL;
    rs->xb_tag = NULL;
    rs->xb_slots = 0;
}

static int ram_xbzrle_alloc(RamState *rs, uint64_t size)
{
    ram_xbzrle_free(rs);
    if (!size) {
        return 0;
    }
    uint64_t slots = size / PAGE_SIZE;
    if (slots > rs->pages) {
        slots = rs->pages;           /* more slots than pages would stay empty */
    }
    rs->xb_data = malloc(slots * PAGE_SIZE);
    rs->xb_tag = calloc(slots, sizeof(uint64_t));
    if (!rs->xb_data || !rs->xb_tag) {
        ram_xbzrle_free(rs);
        return -ENOMEM;
    }
    rs->xb_slots = slots;
    return 0;
}


static void ram_put_page_header(QEMUFile *f, RamState *rs, uint64_t offset, uint64_t flag)
{
    qemu_file_put_be64(f, offset | flag | (rs->block_sent ? RAM_SAVE_FLAG_CONTINUE : 0));
    if (!rs->block_sent) {
        qemu_file_put_str8(f, rs->name);
        rs->block_sent = true;
    }
}

/* XBZRLE for one non-zero page: true when the page was dealt with (sent
 * encoded, or unchanged and skipped), false to send it whole. The cache
 * always ends up holding what the destination will have. */
static bool ram_send_xbzrle(QEMUFile *f, RamState *rs, uint64_t page, const uint8_t *host)
{
    uint64_t slot = page % rs->xb_slots;
    uint8_t *cached = rs->xb_data + slot * PAGE_SIZE;
    if (rs->xb_tag[slot] != page + 1) {
        if (rs->stats.sync_count > 1) {
            rs->stats.xbzrle_cache_miss++;   /* the first pass only fills it */
        }
        rs->xb_tag[slot] = page + 1;
        memcpy(cached, host, PAGE_SIZE);
        return false;            /* caller sends the cached copy */
    }
    /* QEMU sends a whole page when the encoding would not be shorter. */
    int n = xbzrle_encode(cached, host, PAGE_SIZE, rs->xb_buf, PAGE_SIZE - PAGE_SIZE / 8);
    memcpy(cached, host, PAGE_SIZE);
    if (n < 0) {
        rs->stats.xbzrle_overflow++;
        return false;
    }
    rs->stats.xbzrle_pages++;
    if (n == 0) {
        return true;             /* unchanged since it was sent */
    }
    ram_put_page_header(f, rs, page << PAGE_BITS, RAM_SAVE_FLAG_XBZRLE);
    qemu_file_put_u8(f, RAM_XBZRLE_ENCODING);
    qemu_file_put_be16(f, (uint16_t)n);
    qemu_file_put_buffer(f, rs->xb_buf, (size_t)n);
    rs->stats.xbzrle_bytes += (uint64_t)n + 3;
    return true;
}

static void ram_send_page(QEMUFile *f, RamState *rs, uint64_t page)
{
    uint64_t offset = page << PAGE_BITS;
    const uint8_t *host = rs->m->ram->host + offset;
    /* From the first pass on: it fills the cache, so the second pass (often
     * the final one, with the guest stopped) already sends deltas. */
    bool xb = rs->xb_slots != 0;
    if (xb) {
        /* The guest may be writing the page right now: the cache must hold
         * exactly what was encoded, so both work from one copy. */
        memcpy(rs->xb_page, host, PAGE_SIZE);
        host = rs->xb_page;
    }
    if (ram_page_is_zero_fast(rs, host)) {
        if (xb && rs->xb_tag[page % rs->xb_slots] == page + 1) {
            memset(rs->xb_data + (page % rs->xb_slots) * PAGE_SIZE, 0, PAGE_SIZE);
        }
        ram_put_page_header(f, rs, offset, RAM_SAVE_FLAG_ZERO);
        qemu_file_put_u8(f, 0);
        rs->stats.zero_pages++;
    } else if (!xb || !ram_send_xbzrle(f, rs, page, host)) {
        ram_put_page_header(f, rs, offset, RAM_SAVE_FLAG_PAGE);
        if (xb) {
            qemu_file_put_buffer(f, host, PAGE_SIZE);    /* host is xb_page */
        } else {
            qemu_file_put_buffer_ref(f, host, PAGE_SIZE);
        }
        rs->stats.normal_pages++;
    }
}

/* Sends up to max pages of the pass from [*cursor, pages), clearing their
 * bits. Returns the count sent; *cursor is where to continue. */
static uint64_t ram_send_dirty(QEMUFile *f, RamState *rs, uint64_t *cursor, uint64_t max)
{
    uint64_t sent = 0;
    uint64_t p = *cursor;
    while (p < rs->pages && sent < max && !qemu_file_get_error(f)) {
        uint64_t word = rs->round[p >> 6] >> (p & 63);
        if (!word) {
            p = (p | 63) + 1;    /* skip the rest of a clean word */
            continue;
        }
        p += (uint64_t)__builtin_ctzll(word);
        if (p >= rs->pages) {
            break;
        }
        rs->round[p >> 6] &= ~(1ull << (p & 63));
        ram_send_page(f, rs, p);
        sent++;
        p++;
    }
    atomic_fetch_sub(&rs->round_left, sent);
    *cursor = p;
    return sent;
}

static uint64_t ram_count_bits(const uint64_t *map, uint64_t pages)
{
    uint64_t n = 0;
    for (uint64_t i = 0; i < (pages + 63) / 64; i++) {
        n += (uint64_t)__builtin_popcountll(map[i]);
    }
    return n;
}

/* Starts a pass: what the guest dirtied since the last one moves from the
 * memory's bitmap into the pass, and the CPU loses its fast-path writes so
 * that its next write to any page marks it again. The CPU must not be
 * running (it is the caller's thread) and no pass may be in progress. */
static void ram_save_sync(void *opaque)
{
    RamState *rs = opaque;
    uint64_t *dirty = rs->m->dirty[MEMORY_DIRTY_MIGRATION];
    uint64_t moved = 0, left = 0;
    for (uint64_t i = 0; i < (rs->pages + 63) / 64; i++) {
        moved += (uint64_t)__builtin_popcountll(dirty[i] & ~rs->round[i]);
        rs->round[i] |= dirty[i];
        left += (uint64_t)__builtin_popcountll(rs->round[i]);
        dirty[i] = 0;
    }
    memory_dirty_sync_done(rs->m);
    rs->pagemap.valid = false;   /* the guest ran since the batch was read */
    rs->cursor = 0;
    atomic_store(&rs->round_left, left);
    rs->stats.sync_count++;
    rs->stats.dirty_pages_last_sync = moved;
    ram_publish_stats(rs);
}

static int ram_save_setup(QEMUFile *f, void *opaque, Error *err)
{
    RamState *rs = opaque;
    free(rs->round);
    rs->round = calloc((rs->pages + 63) / 64, sizeof(uint64_t));
    if (!rs->round) {
        error_setf(err, "cannot allocate the RAM pass bitmap");
        return -ENOMEM;
    }
    atomic_store(&rs->round_left, 0);
    memory_dirty_log_start(rs->m, MEMORY_DIRTY_MIGRATION);
    memory_dirty_set_all(rs->m, MEMORY_DIRTY_MIGRATION, true);
    rs->cursor = 0;
    rs->block_sent = false;
    rs->iterate_max = rs->iterate_max_next;
    memset(&rs->stats, 0, sizeof(rs->stats));
    ram_publish_stats(rs);
    if (ram_xbzrle_alloc(rs, rs->xb_size) < 0) {
        error_setf(err, "cannot allocate the XBZRLE cache of %llu bytes",
                   (unsigned long long)rs->xb_size);
        return -ENOMEM;
    }
    uint64_t size = rs->m->ram->size;
    qemu_file_put_be64(f, size | RAM_SAVE_FLAG_MEM_SIZE);
    qemu_file_put_str8(f, rs->name);
    qemu_file_put_be64(f, size);
    qemu_file_put_be64(f, RAM_SAVE_FLAG_EOS);
    return qemu_file_get_error(f);
}

static int ram_finish_section(QEMUFile *f, RamState *rs)
{
    qemu_file_put_be64(f, RAM_SAVE_FLAG_EOS);
    ram_publish_stats(rs);
    /* Pages went out by reference: they must be written before returning. */
    return qemu_file_flush(f);
}

/* One PART of the current pass; 1 when the pass is sent (the caller syncs
 * for the next one). Touches only the pass, the stream and guest RAM
 * (read), so it may run on a sender thread while the guest runs. */
static int ram_save_iterate(QEMUFile *f, void *opaque, Error *err)
{
    RamState *rs = opaque;
    ram_send_dirty(f, rs, &rs->cursor, rs->iterate_max);
    int ret = ram_finish_section(f, rs);
    if (ret < 0) {
        return ret;
    }
    return atomic_load(&rs->round_left) == 0 ? 1 : 0;
}

/* The guest is stopped: what is left of the pass and all it dirtied. */
static int ram_save_complete(QEMUFile *f, void *opaque, Error *err)
{
    RamState *rs = opaque;
    ram_save_sync(rs);
    uint64_t cursor = 0;
    ram_send_dirty(f, rs, &cursor, UINT64_MAX);
    return ram_finish_section(f, rs);
}

/* Not sent yet: the rest of the pass and what the guest dirtied since. */
static uint64_t ram_save_pending(void *opaque)
{
    RamState *rs = opaque;
    return (ram_count_bits(rs->m->dirty[MEMORY_DIRTY_MIGRATION], rs->pages) + atomic_load(&rs->round_left)) << PAGE_BITS;
}

static void ram_save_cleanup(void *opaque)
{
    RamState *rs = opaque;
    memory_dirty_log_stop(rs->m, MEMORY_DIRTY_MIGRATION);
    ram_xbzrle_free(rs);
    free(rs->round);
    rs->round = NULL;
    atomic_store(&rs->round_left, 0);
}

static void ram_load_setup(void *opaque)
{
    RamState *rs = opaque;
    rs->block_received = false;
}

static int ram_load_block_list(QEMUFile *f, RamState *rs, uint64_t total, Error *err)
{
    uint64_t size = rs->m->ram->size;
    while (total > 0) {
        char name[256];
        if (qemu_file_get_str8(f, name) < 0) {
            return qemu_file_get_error(f);
        }
        uint64_t len = qemu_file_get_be64(f);
        if (qemu_file_get_error(f)) {
            return qemu_file_get_error(f);
        }
        if (strcmp(name, rs->name) != 0) {
            error_setf(err, "Unknown ramblock \"%s\", cannot accept migration (local block "
                       "is \"%s\")", name, rs->name);
            return -EINVAL;
        }
        if (len != size) {
            error_setf(err, "RAM size mismatch: stream has %llu, machine has %llu",
                       (unsigned long long)len, (unsigned long long)size);
            return -EINVAL;
        }
        if (len > total) {
            error_setf(err, "RAM block list is inconsistent: block \"%s\" of %llu bytes "
                       "exceeds the announced total left %llu", name, (unsigned long long)len,
                       (unsigned long long)total);
            return -EINVAL;
        }
        total -= len;
    }
    return 0;
}

static int ram_load_page(QEMUFile *f, RamState *rs, uint64_t addr, uint64_t flags, Error *err)
{
    uint64_t at = qemu_file_tell(f) - 8;
    if (flags & RAM_SAVE_FLAG_CONTINUE) {
        if (!rs->block_received) {
            error_setf(err, "RAM page record at offset %llu continues a block but none was "
                       "named before", (unsigned long long)at);
            return -EINVAL;
        }
    } else {
        char name[256];
        if (qemu_file_get_str8(f, name) < 0) {
            return qemu_file_get_error(f);
        }
        if (strcmp(name, rs->name) != 0) {
            error_setf(err, "RAM page record at offset %llu names unknown block \"%s\"",
                       (unsigned long long)at, name);
            return -EINVAL;
        }
        rs->block_received = true;
    }
    if (addr >= rs->m->ram->size) {
        error_setf(err, "RAM page offset 0x%llx at stream offset %llu is beyond block \"%s\" "
                   "of 0x%llx bytes", (unsigned long long)addr, (unsigned long long)at,
                   rs->name, (unsigned long long)rs->m->ram->size);
        return -EINVAL;
    }
    uint8_t *host = rs->m->ram->host + addr;
    if (flags & RAM_SAVE_FLAG_XBZRLE) {
        uint8_t enc = qemu_file_get_u8(f);
        uint16_t len = qemu_file_get_be16(f);
        if (qemu_file_get_error(f)) {
            return qemu_file_get_error(f);
        }
        if (enc != RAM_XBZRLE_ENCODING) {
            error_setf(err, "Failed to load XBZRLE page - wrong compression! (encoding %u at "
                       "stream offset %llu)", enc, (unsigned long long)at);
            return -EINVAL;
        }
        if (len > PAGE_SIZE) {
            error_setf(err, "Failed to load XBZRLE page - len overflow! (%u bytes at stream "
                       "offset %llu)", len, (unsigned long long)at);
            return -EINVAL;
        }
        qemu_file_get_buffer(f, rs->xb_buf, len);
        if (qemu_file_get_error(f)) {
            return qemu_file_get_error(f);
        }
        ram_load_writes(rs, host);
        if (xbzrle_decode(rs->xb_buf, len, host, PAGE_SIZE) < 0) {
            error_setf(err, "Failed to load XBZRLE page - decode error! (page 0x%llx at "
                       "stream offset %llu)", (unsigned long long)addr, (unsigned long long)at);
            return -EINVAL;
        }
        return 0;
    }
    if (flags & RAM_SAVE_FLAG_ZERO) {
        uint8_t fill = qemu_file_get_u8(f);
        if (qemu_file_get_error(f)) {
            return qemu_file_get_error(f);
        }
        if (fill != 0) {
            error_setf(err, "Found a zero page with value %u at stream offset %llu", fill,
                       (unsigned long long)at);
            return -EINVAL;
        }
        /* Untouched pages stay unallocated: only clear what is not zero. */
        if (!ram_page_is_zero_fast(rs, host)) {
            ram_load_writes(rs, host);
            memset(host, 0, PAGE_SIZE);
        }
        return 0;
    }
    ram_load_writes(rs, host);
    qemu_file_get_buffer(f, host, PAGE_SIZE);
    return qemu_file_get_error(f);
}

static int ram_load_state(QEMUFile *f, void *opaque, int version_id, int section_type,
                          Error *err)
{
    RamState *rs = opaque;
    if (version_id != 4) {
        error_setf(err, "RAM section version %d is not supported (expected 4)", version_id);
        return -EINVAL;
    }
    for (;;) {
        uint64_t word = qemu_file_get_be64(f);
        int ret = qemu_file_get_error(f);
        if (ret < 0) {
            return ret;
        }
        uint64_t flags = word & (PAGE_SIZE - 1);
        uint64_t addr = word & PAGE_MASK;
        switch (flags & ~(uint64_t)RAM_SAVE_FLAG_CONTINUE) {
        case RAM_SAVE_FLAG_MEM_SIZE:
            if (!(flags & RAM_SAVE_FLAG_CONTINUE)) {
                ret = ram_load_block_list(f, rs, addr, err);
                break;
            }
            goto unknown;
        case RAM_SAVE_FLAG_ZERO:
        case RAM_SAVE_FLAG_PAGE:
        case RAM_SAVE_FLAG_XBZRLE:
            ret = ram_load_page(f, rs, addr, flags, err);
            break;
        case RAM_SAVE_FLAG_EOS:
            if (flags == RAM_SAVE_FLAG_EOS && addr == 0) {
                return 0;
            }
            goto unknown;
        default:
        unknown:
            error_setf(err, "Unknown combination of migration flags: 0x%llx at stream offset "
                       "%llu", (unsigned long long)flags,
                       (unsigned long long)qemu_file_tell(f) - 8);
            return -EINVAL;
        }
        if (ret < 0) {
            return ret;
        }
    }
}

static void ram_release(void *opaque)
{
    RamState *rs = opaque;
    free(rs->round);
    ram_xbzrle_free(rs);
    if (rs->pagemap.fd >= 0) {
        close(rs->pagemap.fd);
    }
    pthread_mutex_destroy(&rs->stats_lock);
    free(rs);
}

static const SaveLiveOps ram_ops = {
    .save_setup = ram_save_setup,
    .save_sync = ram_save_sync,
    .save_iterate = ram_save_iterate,
    .save_complete = ram_save_complete,
    .save_pending = ram_save_pending,
    .save_cleanup = ram_save_cleanup,
    .load_setup = ram_load_setup,
    .load_state = ram_load_state,
    .release = ram_release,
};

int ram_register(SaveVMState *s, PhysMemory *m, const char *block_name)
{
    if (!m->ram) {
        return -EINVAL;
    }
    RamState *rs = calloc(1, sizeof(*rs));
    if (!rs) {
        return -ENOMEM;
    }
    rs->m = m;
    rs->name = block_name ? block_name : RAM_BLOCK_NAME;
    rs->pages = m->ram->size >> PAGE_BITS;
    rs->iterate_max_next = RAM_ITERATE_MAX_PAGES;
    rs->pagemap.fd = -2;         /* opened at first use */
    pthread_mutex_init(&rs->stats_lock, NULL);
    atomic_init(&rs->round_left, 0);
    int ret = savevm_register_live(s, "ram", 0, 4, &ram_ops, rs);
    if (ret < 0) {
        pthread_mutex_destroy(&rs->stats_lock);
        free(rs);
    }
    return ret;
}

void ram_unregister(SaveVMState *s)
{
    savevm_unregister(s, "ram", 0);
}

#include "savevm/ram.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "savevm/savevm.h"

/* Pages per mincore() call when telling untouched pages from written ones. */
#define RAM_RES_WINDOW 1024

typedef struct RamState {
    PhysMemory *m;
    const char *name;
    uint64_t pages;
    uint64_t cursor;             /* next page a PART looks at */
    /* Save: a page of the block was sent, so later ones may use CONTINUE
     * (it persists across sections, as QEMU's last_sent_block does).
     * Load: the same for received pages. */
    bool block_sent;
    bool block_received;
    /* Host residency (mincore) of a window of pages: a page the host never
     * backed was never written, so it is zero without being read (reading
     * it would cost a page fault; 768 MiB of untouched RAM took seconds). */
    uint64_t res_base;
    bool res_valid;
    unsigned char res[RAM_RES_WINDOW];
} RamState;

static RamState ram_state;

static bool ram_page_is_zero(const uint8_t *p)
{
    /* Host pages are page aligned; check 64 bytes per step with early exit. */
    const uint64_t *w = (const uint64_t *)p;
    for (size_t i = 0; i < PAGE_SIZE / 8; i += 8) {
        if (w[i] | w[i + 1] | w[i + 2] | w[i + 3] | w[i + 4] | w[i + 5] | w[i + 6] | w[i + 7]) {
            return false;
        }
    }
    return true;
}

/* True when page may hold data (the host backs it, or residency is unknown). */
static bool ram_page_resident(RamState *rs, uint64_t page)
{
    static long host_page = -1;
    if (host_page < 0) {
        host_page = sysconf(_SC_PAGESIZE);
    }
    if (host_page != PAGE_SIZE) {
        return true;             /* mincore counts host pages: no shortcut */
    }
    uint64_t base = page & ~(uint64_t)(RAM_RES_WINDOW - 1);
    if (!rs->res_valid || rs->res_base != base) {
        uint64_t n = rs->pages - base < RAM_RES_WINDOW ? rs->pages - base : RAM_RES_WINDOW;
        if (mincore(rs->m->ram->host + (base << PAGE_BITS), n << PAGE_BITS, rs->res) != 0) {
            memset(rs->res, 1, sizeof(rs->res));
        }
        rs->res_base = base;
        rs->res_valid = true;
    }
    return rs->res[page - base] & 1;
}

static void ram_put_page_header(QEMUFile *f, RamState *rs, uint64_t offset, uint64_t flag)
{
    qemu_file_put_be64(f, offset | flag | (rs->block_sent ? RAM_SAVE_FLAG_CONTINUE : 0));
    if (!rs->block_sent) {
        qemu_file_put_str8(f, rs->name);
        rs->block_sent = true;
    }
}

static void ram_send_page(QEMUFile *f, RamState *rs, uint64_t page)
{
    uint64_t offset = page << PAGE_BITS;
    const uint8_t *host = rs->m->ram->host + offset;
    if (!ram_page_resident(rs, page) || ram_page_is_zero(host)) {
        ram_put_page_header(f, rs, offset, RAM_SAVE_FLAG_ZERO);
        qemu_file_put_u8(f, 0);
    } else {
        ram_put_page_header(f, rs, offset, RAM_SAVE_FLAG_PAGE);
        qemu_file_put_buffer_ref(f, host, PAGE_SIZE);
    }
}

/* Sends up to max dirty pages from [*cursor, pages), clearing their bits.
 * Returns the count sent; *cursor is where to continue. */
static uint64_t ram_send_dirty(QEMUFile *f, RamState *rs, uint64_t *cursor, uint64_t max)
{
    PhysMemory *m = rs->m;
    uint64_t sent = 0;
    uint64_t p = *cursor;
    rs->res_valid = false;       /* the guest may have run since the last call */
    while (p < rs->pages && sent < max && !qemu_file_get_error(f)) {
        uint64_t word = m->dirty[p >> 6] >> (p & 63);
        if (!word) {
            p = (p | 63) + 1;    /* skip the rest of a clean word */
            continue;
        }
        p += (uint64_t)__builtin_ctzll(word);
        if (p >= rs->pages) {
            break;
        }
        memory_dirty_test_and_clear(m, p);
        ram_send_page(f, rs, p);
        sent++;
        p++;
    }
    *cursor = p;
    return sent;
}

static uint64_t ram_dirty_pages(const RamState *rs)
{
    uint64_t n = 0;
    for (uint64_t i = 0; i < (rs->pages + 63) / 64; i++) {
        n += (uint64_t)__builtin_popcountll(rs->m->dirty[i]);
    }
    return n;
}

static int ram_save_setup(QEMUFile *f, void *opaque, Error *err)
{
    RamState *rs = opaque;
    memory_dirty_log_start(rs->m);
    memory_dirty_set_all(rs->m, true);
    rs->cursor = 0;
    rs->block_sent = false;
    uint64_t size = rs->m->ram->size;
    qemu_file_put_be64(f, size | RAM_SAVE_FLAG_MEM_SIZE);
    qemu_file_put_str8(f, rs->name);
    qemu_file_put_be64(f, size);
    qemu_file_put_be64(f, RAM_SAVE_FLAG_EOS);
    return qemu_file_get_error(f);
}

static int ram_finish_section(QEMUFile *f, RamState *rs)
{
    memory_dirty_sync_done(rs->m);
    qemu_file_put_be64(f, RAM_SAVE_FLAG_EOS);
    /* Pages went out by reference: they must be written before returning. */
    return qemu_file_flush(f);
}

static int ram_save_iterate(QEMUFile *f, void *opaque, Error *err)
{
    RamState *rs = opaque;
    uint64_t sent = ram_send_dirty(f, rs, &rs->cursor, RAM_ITERATE_MAX_PAGES);
    if (sent < RAM_ITERATE_MAX_PAGES && rs->cursor >= rs->pages) {
        rs->cursor = 0;          /* next pass picks up pages dirtied meanwhile */
    }
    int ret = ram_finish_section(f, rs);
    if (ret < 0) {
        return ret;
    }
    return ram_dirty_pages(rs) == 0 ? 1 : 0;
}

static int ram_save_complete(QEMUFile *f, void *opaque, Error *err)
{
    RamState *rs = opaque;
    uint64_t cursor = 0;
    ram_send_dirty(f, rs, &cursor, UINT64_MAX);
    return ram_finish_section(f, rs);
}

static uint64_t ram_save_pending(void *opaque)
{
    return ram_dirty_pages(opaque) << PAGE_BITS;
}

static void ram_save_cleanup(void *opaque)
{
    RamState *rs = opaque;
    memory_dirty_log_stop(rs->m);
}

static void ram_load_setup(void *opaque)
{
    RamState *rs = opaque;
    rs->block_received = false;
    rs->res_valid = false;
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
        if (ram_page_resident(rs, addr >> PAGE_BITS) && !ram_page_is_zero(host)) {
            memset(host, 0, PAGE_SIZE);
        }
        return 0;
    }
    qemu_file_get_buffer(f, host, PAGE_SIZE);
    uint64_t page = addr >> PAGE_BITS;
    if (rs->res_valid && page - rs->res_base < RAM_RES_WINDOW) {
        rs->res[page - rs->res_base] = 1;    /* now backed: a later zero record clears it */
    }
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

static const SaveLiveOps ram_ops = {
    .save_setup = ram_save_setup,
    .save_iterate = ram_save_iterate,
    .save_complete = ram_save_complete,
    .save_pending = ram_save_pending,
    .save_cleanup = ram_save_cleanup,
    .load_setup = ram_load_setup,
    .load_state = ram_load_state,
};

int ram_register(PhysMemory *m, const char *block_name)
{
    if (!m->ram) {
        return -EINVAL;
    }
    ram_state = (RamState){
        .m = m,
        .name = block_name ? block_name : RAM_BLOCK_NAME,
        .pages = m->ram->size >> PAGE_BITS,
    };
    return savevm_register_live("ram", 0, 4, &ram_ops, &ram_state);
}

void ram_unregister(void)
{
    savevm_unregister("ram", 0);
}

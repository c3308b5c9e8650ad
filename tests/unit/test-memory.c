/* emu/memory.c (RAM, ROM, MMIO dispatch, page flags, dirty log, code-page
 * hook) and io/chardev.c (pending input, taps). */
#include "io/chardev.h"
#include "emu/memory.h"
#include "tests/unit/unit.h"

#include <string.h>

#define RAM 0x80000000ull
#define RAM_SIZE 0x100000ull       /* 256 pages: a multiple of 64 */
#define ROM 0x1000ull
#define DEV 0x10000000ull

static PhysMemory mem;

/* A device with one 64-bit register at each offset: it records accesses
 * and refuses offset 0xf0. */
typedef struct FakeDev {
    uint64_t last_off, last_val;
    unsigned last_size;
    int reads, writes;
    uint64_t value;
} FakeDev;

static bool fake_read(void *opaque, uint64_t off, unsigned size, uint64_t *val)
{
    FakeDev *d = opaque;
    if (off == 0xf0) {
        return false;
    }
    d->reads++;
    d->last_off = off;
    d->last_size = size;
    *val = d->value;
    return true;
}

static bool fake_write(void *opaque, uint64_t off, unsigned size, uint64_t val)
{
    FakeDev *d = opaque;
    if (off == 0xf0) {
        return false;
    }
    d->writes++;
    d->last_off = off;
    d->last_size = size;
    d->last_val = val;
    return true;
}

static const MemoryRegionOps fake_ops = { fake_read, fake_write, 0, 0 };
static const MemoryRegionOps fake_ops_4 = { fake_read, fake_write, 4, 4 };
static const MemoryRegionOps fake_ops_ro = { fake_read, NULL, 0, 0 };

static int flushes, code_hits;
static uint64_t code_addr, code_len;

static void rec_flush(void *opaque)
{
    flushes++;
}

static void rec_code(void *opaque, uint64_t paddr, uint64_t len)
{
    code_hits++;
    code_addr = paddr;
    code_len = len;
}

static void setup(void)
{
    memory_init(&mem);
    CU_ASSERT_PTR_NOT_NULL_FATAL(memory_add_ram(&mem, "ram", RAM, RAM_SIZE));
    flushes = code_hits = 0;
    memory_add_listener(&mem, &(MemoryListener){ .code_write = rec_code, .tlb_flush = rec_flush });
}

static void teardown(void)
{
    memory_destroy(&mem);
}

static void test_ram_access(void)
{
    setup();
    uint64_t v;
    CU_ASSERT_TRUE(memory_write(&mem, RAM, 8, 0x0807060504030201ull));
    CU_ASSERT_TRUE(memory_read(&mem, RAM, 1, &v));
    CU_ASSERT_EQUAL(v, 0x01);
    CU_ASSERT_TRUE(memory_read(&mem, RAM + 1, 2, &v));   /* misaligned is fine */
    CU_ASSERT_EQUAL(v, 0x0302);
    CU_ASSERT_TRUE(memory_read(&mem, RAM + 3, 4, &v));
    CU_ASSERT_EQUAL(v, 0x07060504);
    CU_ASSERT_TRUE(memory_write(&mem, RAM + 2, 2, 0xffffaaaa));  /* truncated */
    CU_ASSERT_TRUE(memory_read(&mem, RAM, 8, &v));
    CU_ASSERT_EQUAL(v, 0x08070605aaaa0201ull);
    CU_ASSERT_TRUE(memory_write(&mem, RAM + RAM_SIZE - 8, 8, 1));
    CU_ASSERT_FALSE(memory_write(&mem, RAM + RAM_SIZE - 4, 8, 1));   /* crosses the end */
    CU_ASSERT_FALSE(memory_read(&mem, RAM + RAM_SIZE, 1, &v));
    CU_ASSERT_FALSE(memory_read(&mem, RAM - 1, 1, &v));
    CU_ASSERT_FALSE(memory_read(&mem, 0, 4, &v));                    /* nothing there */
    CU_ASSERT_PTR_NULL(memory_add_ram(&mem, "ram2", 0x100000000ull, 0x1000));  /* one RAM */
    teardown();
}

static void test_ram_args(void)
{
    memory_init(&mem);
    CU_ASSERT_PTR_NULL(memory_add_ram(&mem, "ram", RAM, 0));
    CU_ASSERT_PTR_NULL(memory_add_ram(&mem, "ram", RAM, 0x1800));
    CU_ASSERT_PTR_NULL(memory_add_ram(&mem, "ram", RAM + 8, 0x1000));
    CU_ASSERT_PTR_NULL(mem.ram);
    memory_destroy(&mem);
}

/* RAM sits on a 2 MiB host boundary, so guest 2 MiB regions can be backed
 * by host huge pages; the whole size stays usable and is unmapped cleanly. */
static void test_ram_huge_alignment(void)
{
    for (int i = 0; i < 3; i++) {
        uint64_t size = (16ull << 20) + (uint64_t)i * 0x1000;
        memory_init(&mem);
        MemoryRegion *r = memory_add_ram(&mem, "ram", RAM, size);
        CU_ASSERT_PTR_NOT_NULL_FATAL(r);
        CU_ASSERT_EQUAL((uintptr_t)r->host & ((2u << 20) - 1), 0);
        CU_ASSERT_TRUE(memory_write(&mem, RAM + size - 8, 8, 0x1122334455667788ull));
        uint64_t v = 0;
        CU_ASSERT_TRUE(memory_read(&mem, RAM + size - 8, 8, &v));
        CU_ASSERT_EQUAL(v, 0x1122334455667788ull);
        memory_destroy(&mem);
    }
}

static void test_rom(void)
{
    setup();
    MemoryRegion *r = memory_add_rom(&mem, "rom", ROM, 0x20);
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    uint32_t code[2] = { 0x00000297, 0x02828613 };
    CU_ASSERT_FALSE(memory_rw(&mem, ROM, code, 8, true, false));
    CU_ASSERT_TRUE(memory_rw(&mem, ROM, code, 8, true, true));      /* loader */
    uint64_t v;
    CU_ASSERT_TRUE(memory_read(&mem, ROM + 4, 4, &v));
    CU_ASSERT_EQUAL(v, 0x02828613);
    CU_ASSERT_FALSE(memory_write(&mem, ROM, 4, 0));                  /* guest write */
    CU_ASSERT_FALSE(memory_read(&mem, ROM + 0x20, 4, &v));           /* past its size */
    bool is_rom = false;
    uint8_t *host = memory_page_host(&mem, ROM + 4, &is_rom);
    CU_ASSERT_PTR_EQUAL(host, r->host);
    CU_ASSERT_TRUE(is_rom);
    CU_ASSERT_FALSE(memory_page_write_fast(&mem, ROM));
    CU_ASSERT_PTR_EQUAL(memory_find(&mem, ROM + 0x1f), r);
    CU_ASSERT_PTR_NULL(memory_find(&mem, ROM + 0x20));
    teardown();
}

static void test_mmio_dispatch(void)
{
    setup();
    FakeDev d = { .value = 0x1122334455667788ull };
    MemoryRegion *r = memory_add_mmio(&mem, "dev", DEV, 0x100, &fake_ops, &d, 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    CU_ASSERT_EQUAL(r->base, DEV);
    CU_ASSERT_PTR_EQUAL(memory_find(&mem, DEV + 0x10), r);
    uint64_t v;
    CU_ASSERT_TRUE(memory_read(&mem, DEV + 0x10, 2, &v));
    CU_ASSERT_EQUAL(v, 0x7788);             /* masked to the access size */
    CU_ASSERT_EQUAL(d.last_off, 0x10);
    CU_ASSERT_EQUAL(d.last_size, 2);
    CU_ASSERT_TRUE(memory_read(&mem, DEV, 8, &v));
    CU_ASSERT_EQUAL(v, 0x1122334455667788ull);
    CU_ASSERT_TRUE(memory_write(&mem, DEV + 3, 1, 0x1ff));
    CU_ASSERT_EQUAL(d.last_val, 0xff);      /* truncated before the device */
    CU_ASSERT_EQUAL(d.last_off, 3);
    CU_ASSERT_FALSE(memory_read(&mem, DEV + 0xf0, 4, &v));          /* device refuses */
    CU_ASSERT_FALSE(memory_write(&mem, DEV + 0xf0, 4, 0));
    CU_ASSERT_FALSE(memory_read(&mem, DEV + 0xfc, 8, &v));          /* crosses the end */
    CU_ASSERT_FALSE(memory_rw(&mem, DEV, &v, 8, false, false));     /* no DMA to MMIO */
    teardown();
}

static void test_mmio_sizes(void)
{
    setup();
    FakeDev d = { 0 }, ro = { 0 };
    memory_add_mmio(&mem, "dev4", DEV, 0x100, &fake_ops_4, &d, 0);
    memory_add_mmio(&mem, "ro", DEV + 0x1000, 0x100, &fake_ops_ro, &ro, 0);
    uint64_t v;
    CU_ASSERT_FALSE(memory_read(&mem, DEV, 1, &v));
    CU_ASSERT_FALSE(memory_read(&mem, DEV, 2, &v));
    CU_ASSERT_FALSE(memory_read(&mem, DEV, 8, &v));
    CU_ASSERT_FALSE(memory_write(&mem, DEV, 8, 0));
    CU_ASSERT_TRUE(memory_read(&mem, DEV, 4, &v));
    CU_ASSERT_EQUAL(d.reads, 1);
    CU_ASSERT_EQUAL(d.writes, 0);
    CU_ASSERT_FALSE(memory_write(&mem, DEV + 0x1000, 4, 0));        /* no write op */
    CU_ASSERT_TRUE(memory_read(&mem, DEV + 0x1000, 4, &v));
    teardown();
}

static void test_priorities(void)
{
    setup();
    FakeDev lo = { .value = 1 }, hi = { .value = 2 };
    memory_add_mmio(&mem, "lo", DEV, 0x1000, &fake_ops, &lo, 0);
    memory_add_mmio(&mem, "hi", DEV + 0x100, 0x10, &fake_ops, &hi, 1);
    uint64_t v;
    CU_ASSERT_TRUE(memory_read(&mem, DEV + 0x100, 4, &v));
    CU_ASSERT_EQUAL(v, 2);
    CU_ASSERT_EQUAL(hi.last_off, 0);
    CU_ASSERT_TRUE(memory_read(&mem, DEV + 0x110, 4, &v));
    CU_ASSERT_EQUAL(v, 1);
    CU_ASSERT_EQUAL(lo.last_off, 0x110);
    CU_ASSERT_TRUE(memory_read(&mem, DEV + 0xfc, 4, &v));
    CU_ASSERT_EQUAL(v, 1);
    /* The RAM shortcut survives regions being inserted in front of it. */
    CU_ASSERT_EQUAL(mem.ram->kind, MR_RAM);
    CU_ASSERT_EQUAL(mem.ram->base, RAM);
    teardown();
}

static void test_mmio_over_ram(void)
{
    setup();
    FakeDev d = { .value = 0x77 };
    uint64_t page = RAM + 5 * PAGE_SIZE;
    bool rom;
    CU_ASSERT_PTR_NOT_NULL(memory_page_host(&mem, page + 8, &rom));
    CU_ASSERT_FALSE(rom);
    CU_ASSERT_TRUE(memory_page_write_fast(&mem, page));
    MemoryRegion *r = memory_add_mmio(&mem, "win", page + 0x100, 0x10, &fake_ops, &d, 1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    CU_ASSERT_EQUAL(r->base, page + 0x100);
    CU_ASSERT_PTR_NULL(memory_page_host(&mem, page, &rom));     /* page not fast */
    CU_ASSERT_FALSE(memory_page_write_fast(&mem, page + 0xfff));
    CU_ASSERT_TRUE(memory_page_write_fast(&mem, page - 1));     /* neighbours are */
    CU_ASSERT_TRUE(memory_page_write_fast(&mem, page + PAGE_SIZE));
    CU_ASSERT_TRUE(mem.page_flags[5] & MEM_PAGE_IO);
    uint64_t v;
    CU_ASSERT_TRUE(memory_read(&mem, page + 0x100, 8, &v));
    CU_ASSERT_EQUAL(v, 0x77);
    CU_ASSERT_TRUE(memory_write(&mem, page + 0xf8, 8, 0xabcd));  /* RAM beside it */
    CU_ASSERT_TRUE(memory_read(&mem, page + 0xf8, 8, &v));
    CU_ASSERT_EQUAL(v, 0xabcd);
    CU_ASSERT_EQUAL(d.writes, 0);
    /* Bulk copies stop at the window and refuse to go through it. */
    uint8_t buf[0x200];
    CU_ASSERT_FALSE(memory_rw(&mem, page, buf, sizeof(buf), false, false));
    CU_ASSERT_TRUE(memory_rw(&mem, page, buf, 0x100, false, false));
    CU_ASSERT_TRUE(memory_rw(&mem, page + 0x110, buf, 0x100, false, false));

    /* A window spanning two pages marks both. */
    memory_add_mmio(&mem, "span", RAM + 0x20ff0, 0x20, &fake_ops, &d, 1);
    CU_ASSERT_TRUE(mem.page_flags[0x20] & MEM_PAGE_IO);
    CU_ASSERT_TRUE(mem.page_flags[0x21] & MEM_PAGE_IO);
    CU_ASSERT_FALSE(mem.page_flags[0x22] & MEM_PAGE_IO);
    teardown();
}

static void test_rw_across_regions(void)
{
    setup();
    /* ROM right after the end of RAM. */
    MemoryRegion *rom = memory_add_rom(&mem, "rom", RAM + RAM_SIZE, PAGE_SIZE);
    CU_ASSERT_PTR_NOT_NULL_FATAL(rom);
    uint8_t src[64], dst[64];
    for (int i = 0; i < 64; i++) {
        src[i] = (uint8_t)(i * 3);
    }
    uint64_t at = RAM + RAM_SIZE - 32;
    CU_ASSERT_FALSE(memory_rw(&mem, at, src, 64, true, false));  /* ROM half refused */
    CU_ASSERT_TRUE(memory_rw(&mem, at, src, 64, true, true));
    CU_ASSERT_TRUE(memory_rw(&mem, at, dst, 64, false, false));
    CU_ASSERT_EQUAL(memcmp(src, dst, 64), 0);
    CU_ASSERT_EQUAL(rom->host[31], src[63]);
    CU_ASSERT_FALSE(memory_rw(&mem, RAM + RAM_SIZE + PAGE_SIZE - 8, dst, 16, false, false));
    CU_ASSERT_TRUE(memory_rw(&mem, RAM, dst, 0, false, false));  /* empty copy */
    CU_ASSERT_TRUE(memory_in_ram(&mem, RAM, RAM_SIZE));
    CU_ASSERT_FALSE(memory_in_ram(&mem, RAM, RAM_SIZE + 1));
    CU_ASSERT_FALSE(memory_in_ram(&mem, RAM + RAM_SIZE - 1, 2));
    CU_ASSERT_FALSE(memory_in_ram(&mem, RAM - 1, 1));
    CU_ASSERT_FALSE(memory_in_ram(&mem, UINT64_MAX, 2));
    teardown();
}

static void test_dirty_log(void)
{
    setup();
    CU_ASSERT_TRUE(memory_page_write_fast(&mem, RAM));
    memory_dirty_log_start(&mem, MEMORY_DIRTY_MIGRATION);
    CU_ASSERT_EQUAL(flushes, 1);            /* fast writes withdrawn */
    CU_ASSERT_FALSE(memory_page_write_fast(&mem, RAM));     /* clean page */
    CU_ASSERT_TRUE(memory_write(&mem, RAM + 3 * PAGE_SIZE + 4, 4, 1));
    CU_ASSERT_TRUE(memory_page_dirty(&mem, MEMORY_DIRTY_MIGRATION, 3));
    CU_ASSERT_FALSE(memory_page_dirty(&mem, MEMORY_DIRTY_MIGRATION, 2));
    CU_ASSERT_TRUE(memory_page_write_fast(&mem, RAM + 3 * PAGE_SIZE));   /* already dirty */
    uint8_t buf[PAGE_SIZE + 2];
    memset(buf, 1, sizeof(buf));
    CU_ASSERT_TRUE(memory_rw(&mem, RAM + 70 * PAGE_SIZE - 1, buf, sizeof(buf), true, false));
    CU_ASSERT_TRUE(memory_page_dirty(&mem, MEMORY_DIRTY_MIGRATION, 69));
    CU_ASSERT_TRUE(memory_page_dirty(&mem, MEMORY_DIRTY_MIGRATION, 70));
    CU_ASSERT_TRUE(memory_page_dirty(&mem, MEMORY_DIRTY_MIGRATION, 71));
    CU_ASSERT_FALSE(memory_page_dirty(&mem, MEMORY_DIRTY_MIGRATION, 72));
    CU_ASSERT_TRUE(memory_dirty_test_and_clear(&mem, MEMORY_DIRTY_MIGRATION, 70));
    CU_ASSERT_FALSE(memory_dirty_test_and_clear(&mem, MEMORY_DIRTY_MIGRATION, 70));
    CU_ASSERT_FALSE(memory_page_dirty(&mem, MEMORY_DIRTY_MIGRATION, 70));
    memory_dirty_sync_done(&mem);
    CU_ASSERT_EQUAL(flushes, 2);
    memory_dirty_set_all(&mem, MEMORY_DIRTY_MIGRATION, true);
    CU_ASSERT_TRUE(memory_page_dirty(&mem, MEMORY_DIRTY_MIGRATION, 0));
    CU_ASSERT_TRUE(memory_page_dirty(&mem, MEMORY_DIRTY_MIGRATION, 255));
    memory_dirty_set_all(&mem, MEMORY_DIRTY_MIGRATION, false);
    CU_ASSERT_EQUAL(flushes, 3);
    CU_ASSERT_FALSE(memory_page_dirty(&mem, MEMORY_DIRTY_MIGRATION, 3));
    memory_dirty_log_stop(&mem, MEMORY_DIRTY_MIGRATION);
    CU_ASSERT_TRUE(memory_page_write_fast(&mem, RAM));
    teardown();
}

/* Migration (or a savevm) and reverse execution log at once: one's pass
 * neither clears nor stops the other's, and a page is fast to write only
 * when it is dirty for both. */
static void test_dirty_two_clients(void)
{
    setup();
    memory_dirty_log_start(&mem, MEMORY_DIRTY_REVERSE);
    memory_dirty_set_all(&mem, MEMORY_DIRTY_REVERSE, false);
    CU_ASSERT_TRUE(memory_write(&mem, RAM + 5 * PAGE_SIZE, 8, 1));
    memory_dirty_log_start(&mem, MEMORY_DIRTY_MIGRATION);
    memory_dirty_set_all(&mem, MEMORY_DIRTY_MIGRATION, true);
    CU_ASSERT_FALSE(memory_page_dirty(&mem, MEMORY_DIRTY_REVERSE, 6));
    /* The migration's pass takes its bits; reverse's stay. */
    memory_dirty_set_all(&mem, MEMORY_DIRTY_MIGRATION, false);
    CU_ASSERT_TRUE(memory_page_dirty(&mem, MEMORY_DIRTY_REVERSE, 5));
    CU_ASSERT_FALSE(memory_page_write_fast(&mem, RAM + 5 * PAGE_SIZE));  /* clean for migration */
    CU_ASSERT_TRUE(memory_write(&mem, RAM + 5 * PAGE_SIZE, 8, 2));
    CU_ASSERT_TRUE(memory_page_write_fast(&mem, RAM + 5 * PAGE_SIZE));
    CU_ASSERT_TRUE(memory_page_dirty(&mem, MEMORY_DIRTY_MIGRATION, 5));
    /* The migration ends: reverse still logs, so a clean page stays slow
     * and a write to it is seen. */
    memory_dirty_log_stop(&mem, MEMORY_DIRTY_MIGRATION);
    CU_ASSERT_FALSE(memory_page_write_fast(&mem, RAM + 9 * PAGE_SIZE));
    CU_ASSERT_TRUE(memory_write(&mem, RAM + 9 * PAGE_SIZE, 8, 3));
    CU_ASSERT_TRUE(memory_page_dirty(&mem, MEMORY_DIRTY_REVERSE, 9));
    CU_ASSERT_EQUAL(memory_dirty_next(&mem, MEMORY_DIRTY_REVERSE, 0), 5);
    CU_ASSERT_EQUAL(memory_dirty_next(&mem, MEMORY_DIRTY_REVERSE, 6), 9);
    CU_ASSERT_EQUAL(memory_dirty_next(&mem, MEMORY_DIRTY_REVERSE, 10), RAM_SIZE / PAGE_SIZE);
    memory_dirty_log_stop(&mem, MEMORY_DIRTY_REVERSE);
    CU_ASSERT_TRUE(memory_page_write_fast(&mem, RAM + 9 * PAGE_SIZE));
    teardown();
}

static void test_dirty_odd_size(void)
{
    memory_init(&mem);
    CU_ASSERT_PTR_NOT_NULL_FATAL(memory_add_ram(&mem, "ram", RAM, 70 * PAGE_SIZE));
    memory_dirty_set_all(&mem, MEMORY_DIRTY_MIGRATION, true);
    CU_ASSERT_TRUE(memory_page_dirty(&mem, MEMORY_DIRTY_MIGRATION, 69));
    CU_ASSERT_EQUAL(mem.dirty[MEMORY_DIRTY_MIGRATION][1], (1ull << 6) - 1);   /* no bits past the end */
    memory_destroy(&mem);
}

static void test_code_pages(void)
{
    setup();
    memory_set_code_page(&mem, RAM + 2 * PAGE_SIZE + 100);
    CU_ASSERT_FALSE(memory_page_write_fast(&mem, RAM + 2 * PAGE_SIZE));
    CU_ASSERT_PTR_NOT_NULL(memory_page_host(&mem, RAM + 2 * PAGE_SIZE, NULL));  /* reads stay fast */
    CU_ASSERT_TRUE(memory_write(&mem, RAM + PAGE_SIZE, 8, 1));
    CU_ASSERT_EQUAL(code_hits, 0);
    CU_ASSERT_TRUE(memory_write(&mem, RAM + 2 * PAGE_SIZE + 8, 4, 1));
    CU_ASSERT_EQUAL(code_hits, 1);
    CU_ASSERT_EQUAL(code_addr, RAM + 2 * PAGE_SIZE + 8);
    CU_ASSERT_EQUAL(code_len, 4);
    uint8_t buf[16] = { 0 };
    CU_ASSERT_TRUE(memory_rw(&mem, RAM + 2 * PAGE_SIZE - 8, buf, 16, true, false));
    CU_ASSERT_EQUAL(code_hits, 2);          /* DMA across into the code page */
    CU_ASSERT_EQUAL(code_len, 16);
    CU_ASSERT_TRUE(memory_rw(&mem, RAM + 2 * PAGE_SIZE, buf, 16, false, false));
    CU_ASSERT_EQUAL(code_hits, 2);          /* reads never fire */
    memory_clear_code_page(&mem, RAM + 2 * PAGE_SIZE);
    CU_ASSERT_TRUE(memory_write(&mem, RAM + 2 * PAGE_SIZE, 1, 1));
    CU_ASSERT_EQUAL(code_hits, 2);
    CU_ASSERT_TRUE(memory_page_write_fast(&mem, RAM + 2 * PAGE_SIZE));
    memory_set_code_page(&mem, 0x1000);     /* outside RAM: ignored */
    memory_clear_code_page(&mem, 0x1000);
    teardown();
}

static void test_region_limit(void)
{
    memory_init(&mem);
    FakeDev d = { 0 };
    int added = 0;
    while (memory_add_mmio(&mem, "dev", DEV + (uint64_t)added * 0x1000, 0x1000, &fake_ops, &d, 0)) {
        added++;
    }
    CU_ASSERT_EQUAL(added, MEMORY_MAX_REGIONS);
    CU_ASSERT_PTR_NULL(memory_add_rom(&mem, "rom", ROM, 0x100));
    memory_destroy(&mem);
}

/* chardev */

static uint8_t rx[8192];
static size_t rx_len;
static int room;
static uint8_t tx[64], tap1[64], tap2[64];
static size_t tx_len, tap1_len, tap2_len;

static int fe_can_receive(void *fe)
{
    return room;
}

static void fe_receive(void *fe, const uint8_t *buf, size_t len)
{
    CU_ASSERT_TRUE((int)len <= room);
    memcpy(rx + rx_len, buf, len);
    rx_len += len;
    room -= (int)len;
}

static void be_write(CharBackend *be, const uint8_t *buf, size_t len)
{
    memcpy(tx + tx_len, buf, len);
    tx_len += len;
}

static void tap_a(void *opaque, const uint8_t *buf, size_t len)
{
    memcpy(tap1 + tap1_len, buf, len);
    tap1_len += len;
}

static void tap_b(void *opaque, const uint8_t *buf, size_t len)
{
    memcpy(tap2 + tap2_len, buf, len);
    tap2_len += len;
}

static void test_chardev_input(void)
{
    CharBackend be;
    chardev_init_null(&be, "null");
    CU_ASSERT_EQUAL(be.fd_in, -1);
    rx_len = 0;
    chardev_feed(&be, (const uint8_t *)"abc", 3);   /* no front end yet */
    CU_ASSERT_EQUAL(be.pending_len, 3);
    chardev_attach(&be, fe_can_receive, fe_receive, NULL);
    room = 2;
    chardev_accept_input(&be);
    CU_ASSERT_EQUAL(rx_len, 2);
    CU_ASSERT_EQUAL(be.pending_len, 1);
    chardev_accept_input(&be);              /* no room: nothing moves */
    CU_ASSERT_EQUAL(rx_len, 2);
    room = 10;
    chardev_feed(&be, (const uint8_t *)"de", 2);
    CU_ASSERT_EQUAL(rx_len, 5);
    CU_ASSERT_EQUAL(memcmp(rx, "abcde", 5), 0);
    CU_ASSERT_EQUAL(be.pending_len, 0);

    /* Input beyond the pending buffer is dropped. */
    static uint8_t big[5000];
    memset(big, 'x', sizeof(big));
    room = 0;
    chardev_feed(&be, big, sizeof(big));
    CU_ASSERT_EQUAL(be.pending_len, sizeof(be.pending));
    room = 100000;
    chardev_accept_input(&be);
    CU_ASSERT_EQUAL(rx_len, 5 + sizeof(be.pending));
}

static void test_chardev_taps(void)
{
    CharBackend be;
    chardev_init_null(&be, "null");
    chardev_write(&be, (const uint8_t *)"lost", 4);     /* null: discarded */
    be.host_write = be_write;
    tx_len = tap1_len = tap2_len = 0;
    CU_ASSERT_TRUE(chardev_add_tap(&be, tap_a, NULL));
    CU_ASSERT_TRUE(chardev_add_tap(&be, tap_b, &be));
    chardev_write(&be, (const uint8_t *)"hi", 2);
    CU_ASSERT_EQUAL(tx_len, 2);
    CU_ASSERT_EQUAL(tap1_len, 2);
    CU_ASSERT_EQUAL(tap2_len, 2);
    chardev_remove_tap(&be, tap_a, &be);    /* wrong opaque: stays */
    chardev_remove_tap(&be, tap_a, NULL);
    chardev_write(&be, (const uint8_t *)"!", 1);
    CU_ASSERT_EQUAL(tap1_len, 2);
    CU_ASSERT_EQUAL(tap2_len, 3);
    CU_ASSERT_EQUAL(memcmp(tx, "hi!", 3), 0);
    for (int i = 1; i < CHARDEV_MAX_TAPS; i++) {
        CU_ASSERT_TRUE(chardev_add_tap(&be, tap_a, NULL));
    }
    CU_ASSERT_FALSE(chardev_add_tap(&be, tap_a, NULL));
}

static const UnitTest tests[] = {
    { "RAM access", test_ram_access },
    { "RAM arguments", test_ram_args },
    { "RAM on a huge-page boundary", test_ram_huge_alignment },
    { "ROM", test_rom },
    { "MMIO dispatch", test_mmio_dispatch },
    { "MMIO access sizes", test_mmio_sizes },
    { "region priorities", test_priorities },
    { "MMIO over RAM", test_mmio_over_ram },
    { "memory_rw across regions", test_rw_across_regions },
    { "dirty log", test_dirty_log },
    { "dirty log: migration and reverse execution at once", test_dirty_two_clients },
    { "dirty bitmap of an odd size", test_dirty_odd_size },
    { "code pages", test_code_pages },
    { "region limit", test_region_limit },
    { "chardev input", test_chardev_input },
    { "chardev taps", test_chardev_taps },
    { NULL, NULL },
};

int main(void)
{
    return unit_run("memory", tests);
}

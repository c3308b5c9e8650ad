/* virtio-mmio + virtio-blk: register interface, feature negotiation, a
 * read and a write through a split queue (DMA marks pages dirty), the
 * interrupt line, reset, and malformed rings from the guest (the device
 * reports NEEDS_RESET; the host carries on). */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hw/virtio-blk.h"
#include "hw/virtio-mmio.h"
#include "tests/unit/unit.h"

#define BASE 0x10008000ull
#define EMPTY 0x10001000ull
#define RAM 0x80000000ull
#define DESC (RAM + 0x1000)
#define AVAIL (RAM + 0x2000)
#define USED (RAM + 0x3000)
#define HDR (RAM + 0x4000)
#define DATA (RAM + 0x5000)
#define STATUS (RAM + 0x7000)

static PhysMemory mem;
static VirtioMmio t, empty;
static VirtioBlk blk;
static BlockDriverState *bs;
static int irq_level;
static char path[64];
static uint16_t avail_idx;

static void irq_cb(void *opaque, int n, int level)
{
    (void)opaque;
    (void)n;
    irq_level = level;
}

static uint32_t rd(uint64_t a)
{
    uint64_t v = 0;
    CU_ASSERT_TRUE(memory_read(&mem, a, 4, &v));
    return (uint32_t)v;
}

static void wr(uint64_t a, uint32_t v)
{
    CU_ASSERT_TRUE(memory_write(&mem, a, 4, v));
}

static void setup(void)
{
    snprintf(path, sizeof(path), "/tmp/amber-virtio-XXXXXX");
    int fd = mkstemp(path);
    uint8_t sector[512];
    for (int s = 0; s < 64; s++) {
        memset(sector, s, sizeof(sector));
        CU_ASSERT_EQUAL(write(fd, sector, 512), 512);
    }
    close(fd);
    Error err;
    error_init(&err);
    bs = bdrv_open(path, "raw", BDRV_O_RDWR, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(bs);
    memory_init(&mem);
    CU_ASSERT_PTR_NOT_NULL_FATAL(memory_add_ram(&mem, "ram", RAM, 1 << 20));
    virtio_blk_init(&blk, bs, false, "unit0");
    virtio_mmio_init(&t, &mem, BASE, irq_line(irq_cb, NULL, 8), &virtio_blk_ops, &blk,
                     "virtio-mmio");
    virtio_mmio_init(&empty, &mem, EMPTY, irq_line(irq_cb, NULL, 1), NULL, NULL, "virtio-mmio");
    avail_idx = 0;
}

static void teardown(void)
{
    virtio_blk_destroy(&blk);
    bdrv_close(bs);
    memory_destroy(&mem);
    unlink(path);
}

/* The driver's side of initialisation, with a queue of 8. */
static void bring_up(void)
{
    wr(BASE + 0x70, 0);
    wr(BASE + 0x70, 3);
    wr(BASE + 0x24, 1);
    wr(BASE + 0x20, 1);                      /* VERSION_1 */
    wr(BASE + 0x24, 0);
    wr(BASE + 0x20, 1u << 9);                /* FLUSH */
    wr(BASE + 0x70, 3 | 8);
    CU_ASSERT_EQUAL(rd(BASE + 0x70), 3 | 8);
    wr(BASE + 0x30, 0);
    wr(BASE + 0x38, 8);
    wr(BASE + 0x80, (uint32_t)DESC);
    wr(BASE + 0x84, (uint32_t)(DESC >> 32));
    wr(BASE + 0x90, (uint32_t)AVAIL);
    wr(BASE + 0x94, 0);
    wr(BASE + 0xa0, (uint32_t)USED);
    wr(BASE + 0xa4, 0);
    wr(BASE + 0x44, 1);
    wr(BASE + 0x70, 3 | 8 | 4);
}

static void put_desc(int i, uint64_t addr, uint32_t len, uint16_t flags, uint16_t next)
{
    struct {
        uint64_t addr;
        uint32_t len;
        uint16_t flags, next;
    } d = { addr, len, flags, next };
    memory_rw(&mem, DESC + 16ull * i, &d, 16, true, false);
}

static void submit(uint16_t head)
{
    memory_rw(&mem, AVAIL + 4 + 2ull * (avail_idx % 8), &head, 2, true, false);
    avail_idx++;
    memory_rw(&mem, AVAIL + 2, &avail_idx, 2, true, false);
    wr(BASE + 0x50, 0);
}

static void request(uint32_t type, uint64_t sector, uint32_t len, bool dev_writes)
{
    struct {
        uint32_t type, reserved;
        uint64_t sector;
    } h = { type, 0, sector };
    memory_rw(&mem, HDR, &h, 16, true, false);
    put_desc(0, HDR, 16, VIRTQ_DESC_F_NEXT, 1);
    put_desc(1, DATA, len, VIRTQ_DESC_F_NEXT | (dev_writes ? VIRTQ_DESC_F_WRITE : 0), 2);
    put_desc(2, STATUS, 1, VIRTQ_DESC_F_WRITE, 0);
    submit(0);
}

static uint8_t status_byte(void)
{
    uint8_t s = 0xee;
    memory_rw(&mem, STATUS, &s, 1, false, false);
    return s;
}

static void test_registers(void)
{
    setup();
    CU_ASSERT_EQUAL(rd(BASE), 0x74726976);
    CU_ASSERT_EQUAL(rd(BASE + 4), 2);
    CU_ASSERT_EQUAL(rd(BASE + 8), 2);
    CU_ASSERT_EQUAL(rd(BASE + 0xc), 0x554d4551);
    CU_ASSERT_EQUAL(rd(EMPTY + 8), 0);               /* empty slot */
    CU_ASSERT_EQUAL(rd(BASE + 0x34), VIRTIO_BLK_QUEUE_MAX);
    CU_ASSERT_EQUAL(rd(BASE + 0x100), 64);           /* capacity in sectors */
    uint64_t v;
    CU_ASSERT_TRUE(memory_read(&mem, BASE + 0x100, 8, &v));
    CU_ASSERT_EQUAL(v, 64);
    wr(BASE + 0x14, 1);
    CU_ASSERT_EQUAL(rd(BASE + 0x10) & 1, 1);         /* VERSION_1 offered */
    /* a legacy driver (no VERSION_1) is refused FEATURES_OK */
    wr(BASE + 0x70, 3);
    wr(BASE + 0x24, 1);
    wr(BASE + 0x20, 0);
    wr(BASE + 0x70, 3 | 8);
    CU_ASSERT_EQUAL(rd(BASE + 0x70) & 8, 0);
    teardown();
}

static void test_read_write(void)
{
    setup();
    bring_up();
    memory_dirty_log_start(&mem, MEMORY_DIRTY_MIGRATION);
    memory_dirty_set_all(&mem, MEMORY_DIRTY_MIGRATION, false);
    request(0, 3, 1024, true);                       /* sectors 3 and 4 */
    CU_ASSERT_EQUAL(status_byte(), 0);
    uint8_t buf[1024];
    memory_rw(&mem, DATA, buf, sizeof(buf), false, false);
    CU_ASSERT_EQUAL(buf[0], 3);
    CU_ASSERT_EQUAL(buf[1023], 4);
    CU_ASSERT_TRUE(memory_page_dirty(&mem, MEMORY_DIRTY_MIGRATION, (DATA - RAM) >> PAGE_BITS));
    CU_ASSERT_TRUE(memory_page_dirty(&mem, MEMORY_DIRTY_MIGRATION, (USED - RAM) >> PAGE_BITS));
    CU_ASSERT_EQUAL(irq_level, 1);
    CU_ASSERT_EQUAL(rd(BASE + 0x60), 1);
    wr(BASE + 0x64, 1);
    CU_ASSERT_EQUAL(irq_level, 0);
    struct {
        uint16_t flags, idx;
        uint32_t id, len;
    } used;
    memory_rw(&mem, USED, &used, sizeof(used), false, false);
    CU_ASSERT_EQUAL(used.idx, 1);
    CU_ASSERT_EQUAL(used.len, 1025);

    memset(buf, 0xab, sizeof(buf));
    memory_rw(&mem, DATA, buf, 512, true, false);
    request(1, 10, 512, false);
    CU_ASSERT_EQUAL(status_byte(), 0);
    Error err;
    error_init(&err);
    uint8_t back[512];
    CU_ASSERT_EQUAL(bdrv_pread(bs, 10 * 512, back, 512, &err), 0);
    CU_ASSERT_EQUAL(back[100], 0xab);
    request(0, 64, 512, true);                       /* past the end */
    CU_ASSERT_EQUAL(status_byte(), 1);
    request(99, 0, 512, true);                       /* unknown type */
    CU_ASSERT_EQUAL(status_byte(), 2);
    request(8, 0, 20, true);                         /* GET_ID */
    memory_rw(&mem, DATA, buf, 20, false, false);
    CU_ASSERT_EQUAL(memcmp(buf, "unit0", 6), 0);
    CU_ASSERT_EQUAL(rd(BASE + 0x70) & VIRTIO_STATUS_NEEDS_RESET, 0);
    /* reset clears the device */
    wr(BASE + 0x70, 0);
    CU_ASSERT_EQUAL(rd(BASE + 0x70), 0);
    CU_ASSERT_EQUAL(rd(BASE + 0x44), 0);
    CU_ASSERT_EQUAL(irq_level, 0);
    teardown();
}

static void test_malformed_rings(void)
{
    setup();
    bring_up();
    /* descriptor index out of range */
    submit(200);
    CU_ASSERT_NOT_EQUAL(rd(BASE + 0x70) & VIRTIO_STATUS_NEEDS_RESET, 0);
    /* a reset makes it usable again; then a descriptor loop */
    avail_idx = 0;
    bring_up();
    CU_ASSERT_EQUAL(rd(BASE + 0x70) & VIRTIO_STATUS_NEEDS_RESET, 0);
    put_desc(0, HDR, 16, VIRTQ_DESC_F_NEXT, 1);
    put_desc(1, DATA, 512, VIRTQ_DESC_F_NEXT, 0);
    submit(0);
    CU_ASSERT_NOT_EQUAL(rd(BASE + 0x70) & VIRTIO_STATUS_NEEDS_RESET, 0);
    /* rings outside RAM */
    avail_idx = 0;
    wr(BASE + 0x70, 0);
    wr(BASE + 0x70, 3);
    wr(BASE + 0x24, 1);
    wr(BASE + 0x20, 1);
    wr(BASE + 0x70, 3 | 8);
    wr(BASE + 0x38, 8);
    wr(BASE + 0x80, 0x1000);                         /* the boot ROM area: no RAM */
    wr(BASE + 0x90, 0x2000);
    wr(BASE + 0xa0, 0x3000);
    wr(BASE + 0x44, 1);
    wr(BASE + 0x70, 3 | 8 | 4);
    wr(BASE + 0x50, 0);
    CU_ASSERT_NOT_EQUAL(rd(BASE + 0x70) & VIRTIO_STATUS_NEEDS_RESET, 0);
    /* data buffer outside RAM: an I/O error for that request only */
    avail_idx = 0;
    bring_up();
    struct {
        uint32_t type, reserved;
        uint64_t sector;
    } h = { 0, 0, 0 };
    memory_rw(&mem, HDR, &h, 16, true, false);
    put_desc(0, HDR, 16, VIRTQ_DESC_F_NEXT, 1);
    put_desc(1, 0x4000, 512, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 2);
    put_desc(2, STATUS, 1, VIRTQ_DESC_F_WRITE, 0);
    submit(0);
    CU_ASSERT_EQUAL(status_byte(), 1);
    CU_ASSERT_EQUAL(rd(BASE + 0x70) & VIRTIO_STATUS_NEEDS_RESET, 0);
    /* notify before DRIVER_OK is ignored */
    wr(BASE + 0x70, 0);
    wr(BASE + 0x50, 0);
    CU_ASSERT_EQUAL(rd(BASE + 0x70), 0);
    teardown();
}

static const UnitTest tests[] = {
    { "registers and features", test_registers },
    { "read, write, irq, reset", test_read_write },
    { "malformed rings", test_malformed_rings },
    { NULL, NULL },
};

int main(void)
{
    return unit_run("virtio", tests);
}

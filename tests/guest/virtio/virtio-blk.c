/* virtio-blk guest test: finds the virtio-mmio block device (scanning the
 * eight slots), brings it up the modern (version 2) way with one split
 * queue, and by polling the used ring:
 *   - reads sectors 0..7 and prints an FNV-1a checksum of them,
 *   - writes a pattern to sectors 8..11 (sector n: byte i = n*7 + i),
 *     reads it back and compares,
 *   - flushes, and asks for the device id.
 * Output lines (checked by tests/integration/virtio-blk.sh):
 *   virtio-blk: slot N capacity S sectors
 *   read: fnv1a 0x........
 *   write: ok | write: ioerr (status N)
 *   readback: ok | readback: MISMATCH
 *   flush: ok
 *   id: NAME
 * Exits 0 when every step behaved as the device advertised. */
#include "virt.h"

#define VIRTIO_BASE(n) (0x10001000UL + 0x1000UL * (n))
#define R(n, off) MMIO32(VIRTIO_BASE(n) + (off))
#define QSIZE 8

struct desc {
    uint64_t addr;
    uint32_t len;
    uint16_t flags, next;
};

static struct desc descs[QSIZE] __attribute__((aligned(16)));
static struct {
    uint16_t flags, idx, ring[QSIZE];
} avail __attribute__((aligned(2)));
static struct {
    uint16_t flags, idx;
    struct {
        uint32_t id, len;
    } ring[QSIZE];
} used __attribute__((aligned(4)));
static struct {
    uint32_t type, reserved;
    uint64_t sector;
} hdr;
static uint8_t data[8 * 512] __attribute__((aligned(8)));
static volatile uint8_t status;
static int slot = -1;
static uint16_t seen;

static int request(uint32_t type, uint64_t sector, void *buf, uint32_t len, int dev_writes)
{
    hdr.type = type;
    hdr.reserved = 0;
    hdr.sector = sector;
    status = 0xff;
    descs[0] = (struct desc){ (uint64_t)(uintptr_t)&hdr, 16, 1, 1 };
    int n = 1;
    if (len) {
        descs[1] = (struct desc){ (uint64_t)(uintptr_t)buf, len, (uint16_t)(1 | (dev_writes ? 2 : 0)), 2 };
        n = 2;
    }
    descs[n] = (struct desc){ (uint64_t)(uintptr_t)&status, 1, 2, 0 };
    if (n == 1) {
        descs[0].next = 1;
    }
    avail.ring[avail.idx % QSIZE] = 0;
    __asm__ volatile("fence rw, rw" ::: "memory");
    avail.idx++;
    __asm__ volatile("fence rw, rw" ::: "memory");
    R(slot, 0x050) = 0;                      /* QueueNotify */
    uint64_t start = mtime();
    while (*(volatile uint16_t *)&used.idx == seen) {
        /* 10 s of mtime: QEMU completes requests (fdatasync) asynchronously */
        if (mtime() - start > 10 * TIMEBASE_HZ) {
            puts_raw("virtio-blk: request timed out\n");
            virt_exit(3);
        }
    }
    seen++;
    if (R(slot, 0x060) & 1) {                /* InterruptStatus: used ring */
        R(slot, 0x064) = 1;                  /* InterruptACK */
    }
    return status;
}

static uint32_t fnv1a(const uint8_t *p, unsigned n)
{
    uint32_t h = 2166136261u;
    for (unsigned i = 0; i < n; i++) {
        h = (h ^ p[i]) * 16777619u;
    }
    return h;
}

int main(void)
{
    uart_init();
    for (int n = 7; n >= 0 && slot < 0; n--) {
        if (R(n, 0) == 0x74726976 && R(n, 4) == 2 && R(n, 8) == 2) {
            slot = n;
        }
    }
    if (slot < 0) {
        puts_raw("virtio-blk: no device\n");
        return 1;
    }
    R(slot, 0x070) = 0;                      /* reset */
    R(slot, 0x070) = 1 | 2;                  /* ACKNOWLEDGE | DRIVER */
    R(slot, 0x014) = 1;
    uint32_t f1 = R(slot, 0x010);
    R(slot, 0x014) = 0;
    uint32_t f0 = R(slot, 0x010);
    int ro = (f0 >> 5) & 1;
    R(slot, 0x024) = 1;
    R(slot, 0x020) = f1 & 1;                 /* VERSION_1 */
    R(slot, 0x024) = 0;
    R(slot, 0x020) = f0 & ((1u << 9) | (1u << 5));   /* FLUSH, RO */
    R(slot, 0x070) = 1 | 2 | 8;              /* FEATURES_OK */
    if (!(R(slot, 0x070) & 8)) {
        puts_raw("virtio-blk: features refused\n");
        return 1;
    }
    R(slot, 0x030) = 0;
    if (R(slot, 0x034) < QSIZE) {
        puts_raw("virtio-blk: queue too small\n");
        return 1;
    }
    R(slot, 0x038) = QSIZE;
    R(slot, 0x080) = (uint32_t)(uintptr_t)descs;
    R(slot, 0x084) = 0;
    R(slot, 0x090) = (uint32_t)(uintptr_t)&avail;
    R(slot, 0x094) = 0;
    R(slot, 0x0a0) = (uint32_t)(uintptr_t)&used;
    R(slot, 0x0a4) = 0;
    R(slot, 0x044) = 1;                      /* QueueReady */
    R(slot, 0x070) = 1 | 2 | 8 | 4;          /* DRIVER_OK */
    uint64_t cap = R(slot, 0x100) | ((uint64_t)R(slot, 0x104) << 32);
    puts_raw("virtio-blk: slot ");
    put_dec(slot);
    puts_raw(" capacity ");
    put_dec(cap);
    puts_raw(" sectors\n");

    int ok = 1;
    int st = request(0, 0, data, sizeof(data), 1);
    puts_raw("read: fnv1a ");
    put_hexn(fnv1a(data, sizeof(data)), 8);
    puts_raw(st ? " (error)\n" : "\n");
    ok &= st == 0;

    for (unsigned i = 0; i < 4 * 512; i++) {
        data[i] = (uint8_t)((8 + i / 512) * 7 + i % 512);
    }
    st = request(1, 8, data, 4 * 512, 0);
    if (st == 0) {
        puts_raw("write: ok\n");
        ok &= !ro;
    } else {
        puts_raw("write: ioerr (status ");
        put_dec(st);
        puts_raw(")\n");
        ok &= ro && st == 1;
    }
    for (unsigned i = 0; i < 4 * 512; i++) {
        data[i] = 0;
    }
    st = request(0, 8, data, 4 * 512, 1);
    int same = st == 0;
    for (unsigned i = 0; i < 4 * 512 && same; i++) {
        same = data[i] == (uint8_t)((8 + i / 512) * 7 + i % 512);
    }
    puts_raw(same ? "readback: ok\n" : "readback: MISMATCH\n");
    ok &= same != ro;

    st = request(4, 0, 0, 0, 0);
    puts_raw(st ? "flush: error\n" : "flush: ok\n");
    ok &= st == 0;

    char id[21];
    for (int i = 0; i < 21; i++) {
        id[i] = 0;
    }
    st = request(8, 0, id, 20, 1);
    puts_raw("id: ");
    puts_raw(st ? "(error)" : id);
    puts_raw("\n");
    ok &= st == 0;

    /* out of range: must be an I/O error, not a crash */
    st = request(0, cap, data, 512, 1);
    puts_raw(st == 1 ? "beyond end: ioerr\n" : "beyond end: WRONG\n");
    ok &= st == 1;
    return ok ? 0 : 1;
}

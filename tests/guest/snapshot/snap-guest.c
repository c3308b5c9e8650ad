/* Snapshot test guest: a deterministic workload whose output depends on
 * the CPU, RAM, the timer and the virtio disk, so a restored snapshot that
 * lost any of them prints something different.
 *
 * Each tick: a few hundred thousand instructions of arithmetic folded into
 * `state`, a write of one sector derived from it to the virtio disk (if
 * there is one) and a flush, a read of an earlier sector folded into `disk`,
 * then
 *   tick N state=0x........ disk=0x........ mtime=M
 * After TICKS ticks it prints "done" and exits 0 (sifive_test).
 *
 * With -DTOUCH_MIB=N (the snapshot benchmark) it first fills N MiB of RAM
 * from 0x81000000 with non-zero, distinct words, prints "touched N MiB" and
 * then ticks forever (no disk needed). */
#include "virt.h"

#ifndef TICKS
#define TICKS 40
#endif
#define SPIN 20000
#define SECTORS 32                       /* sectors 64..95 are the guest's */

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
static uint8_t sector_buf[512] __attribute__((aligned(8)));
static volatile uint8_t status;
static int slot = -1;
static uint16_t seen;

static int blk_request(uint32_t type, uint64_t sector, void *buf, uint32_t len, int dev_writes)
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
    avail.ring[avail.idx % QSIZE] = 0;
    __asm__ volatile("fence rw, rw" ::: "memory");
    avail.idx++;
    __asm__ volatile("fence rw, rw" ::: "memory");
    R(slot, 0x050) = 0;                      /* QueueNotify */
    while (*(volatile uint16_t *)&used.idx == seen) {
    }
    seen++;
    if (R(slot, 0x060) & 1) {
        R(slot, 0x064) = 1;                  /* InterruptACK */
    }
    return status;
}

static void blk_init(void)
{
    for (int n = 7; n >= 0 && slot < 0; n--) {
        if (R(n, 0) == 0x74726976 && R(n, 4) == 2 && R(n, 8) == 2) {
            slot = n;
        }
    }
    if (slot < 0) {
        return;
    }
    R(slot, 0x070) = 0;
    R(slot, 0x070) = 1 | 2;
    R(slot, 0x024) = 1;
    R(slot, 0x020) = 1;                      /* VERSION_1 */
    R(slot, 0x024) = 0;
    R(slot, 0x014) = 0;
    R(slot, 0x020) = R(slot, 0x010) & (1u << 9);   /* FLUSH if offered */
    R(slot, 0x070) = 1 | 2 | 8;
    R(slot, 0x030) = 0;
    R(slot, 0x038) = QSIZE;
    R(slot, 0x080) = (uint32_t)(uintptr_t)descs;
    R(slot, 0x084) = 0;
    R(slot, 0x090) = (uint32_t)(uintptr_t)&avail;
    R(slot, 0x094) = 0;
    R(slot, 0x0a0) = (uint32_t)(uintptr_t)&used;
    R(slot, 0x0a4) = 0;
    R(slot, 0x044) = 1;
    R(slot, 0x070) = 1 | 2 | 8 | 4;          /* DRIVER_OK */
}

static uint32_t fnv1a(uint32_t h, const uint8_t *p, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        h = (h ^ p[i]) * 16777619u;
    }
    return h;
}

#ifdef TOUCH_MIB
static void touch(void)
{
    volatile uint64_t *p = (volatile uint64_t *)0x81000000UL;
    uint64_t words = (uint64_t)TOUCH_MIB << 17;
    for (uint64_t i = 0; i < words; i++) {
        p[i] = ((uint64_t)(uintptr_t)&p[i] * 0x9e3779b97f4a7c15ull) | 1;
    }
    puts_raw("touched ");
    put_dec(TOUCH_MIB);
    puts_raw(" MiB\n");
}
#endif

int main(void)
{
    uart_init();
    uint32_t state = 1, disk = 2166136261u;
    blk_init();
#ifdef TOUCH_MIB
    touch();
    for (uint64_t tick = 1;; tick++) {
#else
    for (uint64_t tick = 1; tick <= TICKS; tick++) {
#endif
        for (int i = 0; i < SPIN; i++) {
            state = state * 1664525u + 1013904223u + (uint32_t)tick;
        }
        if (slot >= 0) {
            for (unsigned i = 0; i < 512; i++) {
                sector_buf[i] = (uint8_t)(state >> (i % 4 * 8)) ^ (uint8_t)i;
            }
            blk_request(1, 64 + tick % SECTORS, sector_buf, 512, 0);
            blk_request(4, 0, 0, 0, 0);      /* flush: the write must survive a crash */
            blk_request(0, 64 + (tick * 7) % SECTORS, sector_buf, 512, 1);
            disk = fnv1a(disk, sector_buf, 512);
        }
        puts_raw("tick ");
        put_dec(tick);
        puts_raw(" state=");
        put_hexn(state, 8);
        puts_raw(" disk=");
        put_hexn(disk, 8);
        puts_raw(" mtime=");
        put_dec(mtime());
        puts_raw("\n");
    }
    puts_raw("done\n");
    return 0;
}

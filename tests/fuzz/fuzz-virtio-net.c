/* libFuzzer target for virtio-net's queue and frame handling: a virtio-mmio
 * transport with a virtio-net device on 64 KiB of guest RAM, a NetDev whose
 * back end only counts frames. Each input is
 *   RAM image (first 16 KiB: rings and buffers the guest "wrote"),
 *   then operations, one byte each with its operands:
 *     0 notify TX      1 notify RX       2 LEN16 BYTES: a frame from the host
 *     3 OFF16 8 BYTES: the guest rewrites RAM    4 link toggle
 *     5 device reset and driver setup again      6 NUM8: queue sizes, setup again
 * Nothing it does may crash, leak or read out of bounds (ASan, UBSan); a
 * frame the back end gets is never longer than the device allows.
 *
 * FUZZ_WRITE_SEED=PATH writes a well-formed input (a TX chain with a
 * header and an ARP frame, posted RX buffers, a host frame) and exits. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hw/virtio-net.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

#define RAM_BASE   0x80000000ull
#define RAM_SIZE   0x10000ull
#define IMAGE      0x4000u
#define MMIO_BASE  0x10001000ull
#define Q0_DESC    (RAM_BASE + 0x0000)
#define Q0_AVAIL   (RAM_BASE + 0x0800)
#define Q0_USED    (RAM_BASE + 0x0a00)
#define Q1_DESC    (RAM_BASE + 0x1000)
#define Q1_AVAIL   (RAM_BASE + 0x1800)
#define Q1_USED    (RAM_BASE + 0x1a00)

typedef struct Fuzz {
    PhysMemory mem;
    VirtClock clock;
    VMRunState run;
    VirtioMmio t;
    VirtioNet n;
    NetDev nd;
    uint64_t icount;
    uint64_t frames;
} Fuzz;

static Fuzz fz;
static const NetBackendOps fuzz_backend;

static uint64_t fuzz_icount(void *opaque)
{
    return ((Fuzz *)opaque)->icount;
}

static void fuzz_send(void *be, const uint8_t *buf, size_t len)
{
    Fuzz *f = be;
    if (len > NET_FRAME_MAX) {
        abort();                 /* the device let an oversized frame out */
    }
    volatile uint8_t sum = 0;
    for (size_t i = 0; i < len; i++) {
        sum ^= buf[i];           /* every byte must be readable */
    }
    f->frames++;
}

static const NetBackendOps fuzz_backend = { .type = "fuzz", .send = fuzz_send };

static void reg(unsigned off, uint32_t v)
{
    memory_write(&fz.mem, MMIO_BASE + off, 4, v);
}

static void fuzz_setup(unsigned num, bool mrg)
{
    reg(0x070, 0);                                   /* reset */
    reg(0x070, 1 | 2);                               /* ACKNOWLEDGE | DRIVER */
    reg(0x024, 0);
    reg(0x020, (1u << VIRTIO_NET_F_MAC) | (1u << VIRTIO_NET_F_STATUS) | (1u << VIRTIO_NET_F_CSUM) |
               (1u << VIRTIO_NET_F_GUEST_CSUM) |
               (mrg ? 1u << VIRTIO_NET_F_MRG_RXBUF : 0));
    reg(0x024, 1);
    reg(0x020, 1);                                   /* VERSION_1 */
    reg(0x070, 1 | 2 | 8);                           /* FEATURES_OK */
    const uint64_t q[2][3] = { { Q0_DESC, Q0_AVAIL, Q0_USED }, { Q1_DESC, Q1_AVAIL, Q1_USED } };
    for (unsigned i = 0; i < 2; i++) {
        reg(0x030, i);
        reg(0x038, num);
        reg(0x080, (uint32_t)q[i][0]);
        reg(0x084, (uint32_t)(q[i][0] >> 32));
        reg(0x090, (uint32_t)q[i][1]);
        reg(0x094, (uint32_t)(q[i][1] >> 32));
        reg(0x0a0, (uint32_t)q[i][2]);
        reg(0x0a4, (uint32_t)(q[i][2] >> 32));
        reg(0x044, 1);
    }
    reg(0x070, 1 | 2 | 8 | 4);                       /* DRIVER_OK */
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    memory_init(&fz.mem);
    memory_add_ram(&fz.mem, "ram", RAM_BASE, RAM_SIZE);
    clock_init(&fz.clock, CLOCK_MODE_ICOUNT, 3, fuzz_icount, &fz);
    runstate_set(&fz.run, RUN_STATE_RUNNING);
    net_dev_init(&fz.nd, "n0", 0);
    fz.nd.ops = &fuzz_backend;
    fz.nd.be = &fz;
    fz.nd.icount = fuzz_icount;
    fz.nd.icount_opaque = &fz;
    static const uint8_t mac[6] = { 0x52, 0x54, 0, 0x12, 0x34, 0x56 };
    if (!virtio_net_init(&fz.n, &fz.nd, mac, "virtio-net-device.0", &fz.run, &fz.clock)) {
        abort();
    }
    virtio_mmio_init(&fz.t, &fz.mem, MMIO_BASE, irq_line(NULL, NULL, 0), &virtio_net_ops, &fz.n,
                     "virtio-mmio");
    virtio_net_attach(&fz.n, &fz.t);
    const char *seed = getenv("FUZZ_WRITE_SEED");
    if (seed) {
        uint8_t in[IMAGE + 128];
        memset(in, 0, sizeof(in));
        /* TX: descriptor 0 = header + ARP frame (12 + 42 bytes) at 0x2000 */
        uint64_t a = RAM_BASE + 0x2000;
        uint32_t len = 54;
        memcpy(in + 0x1000, &a, 8);
        memcpy(in + 0x1008, &len, 4);
        uint16_t one = 1;
        memcpy(in + 0x1800 + 2, &one, 2);            /* avail idx 1, ring[0] = 0 */
        memset(in + 0x2000 + 12, 0xff, 6);
        in[0x2000 + 24] = 0x08; in[0x2000 + 25] = 0x06;
        /* RX: descriptors 0..3, 1526 bytes each at 0x3000 + i*0x600, writable */
        for (uint16_t i = 0; i < 4; i++) {
            uint64_t b = RAM_BASE + 0x2800 + (uint64_t)i * 0x400;
            uint32_t l = 0x400;
            uint16_t fl = VIRTQ_DESC_F_WRITE;
            memcpy(in + 16 * i, &b, 8);
            memcpy(in + 16 * i + 8, &l, 4);
            memcpy(in + 16 * i + 12, &fl, 2);
            memcpy(in + 0x800 + 4 + 2 * i, &i, 2);
        }
        uint16_t four = 4;
        memcpy(in + 0x800 + 2, &four, 2);
        uint8_t *op = in + IMAGE;
        *op++ = 0;                                   /* notify TX */
        *op++ = 1;                                   /* notify RX */
        *op++ = 2; *op++ = 60; *op++ = 0;            /* a 60-byte host frame */
        op += 60;
        *op++ = 4;                                   /* link down */
        *op++ = 4;                                   /* link up */
        FILE *out = fopen(seed, "wb");
        if (!out || fwrite(in, 1, (size_t)(op - in), out) != (size_t)(op - in) || fclose(out)) {
            fprintf(stderr, "fuzz-virtio-net: cannot write %s\n", seed);
            exit(1);
        }
        exit(0);
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t zero[IMAGE];
    memset(zero, 0, sizeof(zero));
    memory_rw(&fz.mem, RAM_BASE, zero, sizeof(zero), true, false);
    size_t img = size < IMAGE ? size : IMAGE;
    memory_rw(&fz.mem, RAM_BASE, (void *)data, img, true, false);
    net_dev_set_link(&fz.nd, true);
    fuzz_setup(16, true);
    for (size_t i = img; i < size;) {
        uint8_t op = data[i++] % 7;
        fz.icount += 100;
        switch (op) {
        case 0: reg(0x050, 1); break;
        case 1: reg(0x050, 0); break;
        case 2: {
            if (i + 2 > size) {
                return 0;
            }
            size_t len = (data[i] | (size_t)data[i + 1] << 8) % 2048;
            i += 2;
            len = len < size - i ? len : size - i;
            net_dev_receive(&fz.nd, data + i, len, true);
            i += len;
            break;
        }
        case 3: {
            if (i + 10 > size) {
                return 0;
            }
            uint64_t off = (data[i] | (uint64_t)data[i + 1] << 8) % (RAM_SIZE - 8);
            memory_rw(&fz.mem, RAM_BASE + off, (void *)(data + i + 2), 8, true, false);
            i += 10;
            break;
        }
        case 4: net_dev_set_link(&fz.nd, fz.nd.link_down); break;
        case 5: fuzz_setup(16, (data[i - 1] >> 3) & 1); break;
        case 6:
            if (i < size) {
                fuzz_setup(data[i++], true);         /* any size, valid or not */
            }
            break;
        }
    }
    net_dev_purge(&fz.nd);
    return 0;
}

/* virtio-net on virtio-mmio with a NetDev whose back end records frames:
 * transmit (header stripped, NEEDS_CSUM completed), receive (header,
 * DATA_VALID, num_buffers across mergeable buffers), frames waiting for
 * buffers, the input log, link changes (STATUS and the configuration
 * interrupt), announce (RARP rounds on virtual time), and malformed chains
 * (NEEDS_RESET, nothing sent). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hw/virtio-net.h"
#include "tests/unit/unit.h"

#define BASE  0x10008000ull
#define RAM   0x80000000ull
#define Q0D   (RAM + 0x1000)
#define Q0A   (RAM + 0x2000)
#define Q0U   (RAM + 0x3000)
#define Q1D   (RAM + 0x4000)
#define Q1A   (RAM + 0x5000)
#define Q1U   (RAM + 0x6000)
#define BUF   (RAM + 0x10000)

static PhysMemory mem;
static VirtClock clk;
static VMRunState run;
static VirtioMmio t;
static VirtioNet net;
static NetDev nd;
static uint64_t icount;
static int irq_level;
static uint8_t sent[8][65536];
static size_t sent_len[8];
static int nsent;
static uint16_t avail[2];

static uint64_t get_icount(void *o) { (void)o; return icount; }
static void irq_cb(void *o, int n, int level) { (void)o; (void)n; irq_level = level; }

static void be_send(void *be, const uint8_t *buf, size_t len)
{
    (void)be;
    if (nsent < 8 && len <= sizeof(sent[0])) {
        memcpy(sent[nsent], buf, len);
        sent_len[nsent] = len;
    }
    nsent++;
}

static const NetBackendOps be_ops = { .type = "test", .send = be_send };

static void wr(unsigned off, uint32_t v) { CU_ASSERT_TRUE(memory_write(&mem, BASE + off, 4, v)); }
static uint32_t rd(unsigned off)
{
    uint64_t v = 0;
    CU_ASSERT_TRUE(memory_read(&mem, BASE + off, 4, &v));
    return (uint32_t)v;
}
static void put(uint64_t a, const void *p, size_t n) { memory_rw(&mem, a, (void *)p, n, true, false); }
static void get(uint64_t a, void *p, size_t n) { memory_rw(&mem, a, p, n, false, false); }

static void desc(uint64_t table, unsigned i, uint64_t addr, uint32_t len, uint16_t flags,
                 uint16_t next)
{
    put(table + 16 * i, &addr, 8);
    put(table + 16 * i + 8, &len, 4);
    put(table + 16 * i + 12, &flags, 2);
    put(table + 16 * i + 14, &next, 2);
}

/* Puts chain head on queue q's available ring. */
static void offer(unsigned q, uint16_t head)
{
    uint64_t a = q ? Q1A : Q0A;
    put(a + 4 + 2 * (avail[q] % 16), &head, 2);
    avail[q]++;
    put(a + 2, &avail[q], 2);
}

static uint16_t used_idx(unsigned q)
{
    uint16_t v;
    get((q ? Q1U : Q0U) + 2, &v, 2);
    return v;
}

static void setup(uint32_t features)
{
    memset(sent, 0, sizeof(sent));
    nsent = 0;
    avail[0] = avail[1] = 0;
    icount = 1000;
    memory_init(&mem);
    CU_ASSERT_PTR_NOT_NULL_FATAL(memory_add_ram(&mem, "ram", RAM, 1 << 20));
    clock_init(&clk, CLOCK_MODE_ICOUNT, 3, get_icount, NULL);
    runstate_set(&run, RUN_STATE_RUNNING);
    net_dev_init(&nd, "n0", 0);
    nd.ops = &be_ops;
    nd.icount = get_icount;
    static const uint8_t mac[6] = { 0x52, 0x54, 0, 0x12, 0x34, 0x56 };
    CU_ASSERT_TRUE_FATAL(virtio_net_init(&net, &nd, mac, "virtio-net-device.0", &run, &clk));
    virtio_mmio_init(&t, &mem, BASE, irq_line(irq_cb, NULL, 8), &virtio_net_ops, &net,
                     "virtio-mmio");
    virtio_net_attach(&net, &t);
    wr(0x070, 3);
    wr(0x024, 0);
    wr(0x020, features);
    wr(0x024, 1);
    wr(0x020, 1);
    wr(0x070, 3 | 8);
    CU_ASSERT_EQUAL(rd(0x070) & 8, 8);
    const uint64_t q[2][3] = { { Q0D, Q0A, Q0U }, { Q1D, Q1A, Q1U } };
    for (unsigned i = 0; i < 2; i++) {
        wr(0x030, i);
        wr(0x038, 16);
        wr(0x080, (uint32_t)q[i][0]);
        wr(0x090, (uint32_t)q[i][1]);
        wr(0x0a0, (uint32_t)q[i][2]);
        wr(0x084, 0x0);
        wr(0x094, 0x0);
        wr(0x0a4, 0x0);
        wr(0x044, 1);
    }
    wr(0x070, 3 | 8 | 4);
}

static void teardown(void)
{
    virtio_net_destroy(&net);
    net_dev_destroy(&nd);
    memory_destroy(&mem);
}

#define ALL_FEATURES ((1u << VIRTIO_NET_F_MAC) | (1u << VIRTIO_NET_F_STATUS) | \
                      (1u << VIRTIO_NET_F_MRG_RXBUF) | (1u << VIRTIO_NET_F_CSUM) | \
                      (1u << VIRTIO_NET_F_GUEST_CSUM))

static void test_config_and_tx(void)
{
    setup(ALL_FEATURES);
    CU_ASSERT_EQUAL(rd(0x008), VIRTIO_ID_NET);
    uint64_t mac = 0;
    memory_read(&mem, BASE + 0x100, 4, &mac);
    CU_ASSERT_EQUAL(mac, 0x12005452u);
    CU_ASSERT_EQUAL(rd(0x104) >> 16, VIRTIO_NET_S_LINK_UP);   /* status after the MAC */
    /* a 12-byte header and a 60-byte frame in two buffers */
    uint8_t hdr[12] = { 0 }, frame[60];
    for (int i = 0; i < 60; i++) {
        frame[i] = (uint8_t)(i * 7);
    }
    put(BUF, hdr, 12);
    put(BUF + 0x100, frame, 60);
    desc(Q1D, 0, BUF, 12, VIRTQ_DESC_F_NEXT, 1);
    desc(Q1D, 1, BUF + 0x100, 60, 0, 0);
    offer(1, 0);
    wr(0x050, 1);
    CU_ASSERT_EQUAL(nsent, 1);
    CU_ASSERT_EQUAL(sent_len[0], 60);
    CU_ASSERT_EQUAL(memcmp(sent[0], frame, 60), 0);
    CU_ASSERT_EQUAL(used_idx(1), 1);
    CU_ASSERT_EQUAL(irq_level, 1);
    CU_ASSERT_EQUAL(nd.tx_frames, 1);
    teardown();
}

/* NEEDS_CSUM: the device sums from csum_start and stores at +csum_offset. */
static void test_tx_checksum(void)
{
    setup(ALL_FEATURES);
    uint8_t b[12 + 40];
    memset(b, 0, sizeof(b));
    b[0] = 1;                                    /* NEEDS_CSUM */
    uint16_t start = 20, off = 6;
    memcpy(b + 6, &start, 2);
    memcpy(b + 8, &off, 2);
    for (int i = 0; i < 40; i++) {
        b[12 + i] = (uint8_t)(0x11 * i);
    }
    put(BUF, b, sizeof(b));
    desc(Q1D, 0, BUF, sizeof(b), 0, 0);
    offer(1, 0);
    wr(0x050, 1);
    CU_ASSERT_EQUAL_FATAL(nsent, 1);
    /* the receiver's check: the seeded value (the pseudo-header's sum) plus
     * the region with the stored checksum folds to 0xffff */
    uint32_t sum = (uint32_t)b[12 + start + off] << 8 | b[12 + start + off + 1];
    for (int i = start; i < 40; i += 2) {
        sum += (uint32_t)sent[0][i] << 8 | sent[0][i + 1];
    }
    while (sum >> 16) {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    CU_ASSERT_EQUAL(sum, 0xffff);
    CU_ASSERT_NOT_EQUAL(sent[0][start + off] | sent[0][start + off + 1], 0);
    /* offsets past the frame: NEEDS_RESET, nothing sent */
    start = 38;
    memcpy(b + 6, &start, 2);
    put(BUF, b, sizeof(b));
    offer(1, 0);
    wr(0x050, 1);
    CU_ASSERT_EQUAL(nsent, 1);
    CU_ASSERT_EQUAL(rd(0x070) & VIRTIO_STATUS_NEEDS_RESET, VIRTIO_STATUS_NEEDS_RESET);
    teardown();
}

static void test_rx_mergeable_and_log(void)
{
    setup(ALL_FEATURES);
    uint8_t frame[1400];
    for (int i = 0; i < 1400; i++) {
        frame[i] = (uint8_t)(i ^ 0x5a);
    }
    /* no buffers yet: the frame waits */
    net_dev_receive(&nd, frame, sizeof(frame), true);
    CU_ASSERT_EQUAL(nd.queued, 1);
    CU_ASSERT_EQUAL(nd.log.count, 0);
    for (unsigned i = 0; i < 4; i++) {
        desc(Q0D, i, BUF + 0x1000 * i, 512, VIRTQ_DESC_F_WRITE, 0);
        offer(0, (uint16_t)i);
    }
    icount = 4242;
    wr(0x050, 0);                                /* the guest posted buffers */
    CU_ASSERT_EQUAL(nd.queued, 0);
    CU_ASSERT_EQUAL(used_idx(0), 3);             /* 12 + 1400 bytes in 3 x 512 */
    uint8_t hdr[12];
    get(BUF, hdr, 12);
    CU_ASSERT_EQUAL(hdr[0], 2);                  /* DATA_VALID */
    CU_ASSERT_EQUAL(hdr[10] | hdr[11] << 8, 3);  /* num_buffers */
    uint8_t back[1400];
    get(BUF + 12, back, 500);
    get(BUF + 0x1000, back + 500, 512);
    get(BUF + 0x2000, back + 1012, 388);
    CU_ASSERT_EQUAL(memcmp(back, frame, sizeof(frame)), 0);
    uint32_t len;
    get(Q0U + 4 + 8 * 2 + 4, &len, 4);
    CU_ASSERT_EQUAL(len, 12 + 1400 - 1024);
    const NetLogEntry *e = net_log_get(&nd.log, 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(e);
    CU_ASSERT_EQUAL(e->icount, 4242);
    CU_ASSERT_EQUAL(e->len, 1400);
    CU_ASSERT_TRUE(e->external);
    CU_ASSERT_EQUAL(nd.log.external, 1);
    /* one buffer left, too small for the next frame: it waits, nothing used */
    net_dev_receive(&nd, frame, sizeof(frame), false);
    CU_ASSERT_EQUAL(nd.queued, 1);
    CU_ASSERT_EQUAL(used_idx(0), 3);
    teardown();
}

static void test_rx_waits_while_paused(void)
{
    setup(ALL_FEATURES);
    desc(Q0D, 0, BUF, 2048, VIRTQ_DESC_F_WRITE, 0);
    offer(0, 0);
    runstate_set(&run, RUN_STATE_PAUSED);
    uint8_t frame[64] = { 1 };
    net_dev_receive(&nd, frame, sizeof(frame), true);
    CU_ASSERT_EQUAL(used_idx(0), 0);
    CU_ASSERT_EQUAL(nd.queued, 1);
    runstate_set(&run, RUN_STATE_RUNNING);
    icount += 1000;                              /* time passes once it runs */
    clock_run_timers(&clk);
    CU_ASSERT_EQUAL(used_idx(0), 1);
    CU_ASSERT_EQUAL(nd.queued, 0);
    teardown();
}

static void test_link(void)
{
    setup(ALL_FEATURES);
    wr(0x064, 3);
    uint32_t gen = rd(0x0fc);
    net_dev_set_link(&nd, false);
    CU_ASSERT_EQUAL(rd(0x104) >> 16, 0);
    CU_ASSERT_EQUAL(rd(0x060) & 2, 2);           /* configuration change */
    CU_ASSERT_NOT_EQUAL(rd(0x0fc), gen);
    uint8_t frame[64] = { 0 };
    net_dev_receive(&nd, frame, sizeof(frame), true);
    CU_ASSERT_EQUAL(nd.rx_dropped, 1);
    uint8_t b[12 + 60] = { 0 };
    put(BUF, b, sizeof(b));
    desc(Q1D, 0, BUF, sizeof(b), 0, 0);
    offer(1, 0);
    wr(0x050, 1);
    CU_ASSERT_EQUAL(nsent, 0);                   /* the cable is out */
    net_dev_set_link(&nd, true);
    CU_ASSERT_EQUAL(rd(0x104) >> 16, VIRTIO_NET_S_LINK_UP);
    teardown();
}

static void test_announce(void)
{
    setup(ALL_FEATURES);
    virtio_net_announce(&net);
    CU_ASSERT_EQUAL(nsent, 1);
    uint8_t want[60];
    virtio_net_rarp_frame(net.st.mac, want);
    CU_ASSERT_EQUAL(sent_len[0], 60);
    CU_ASSERT_EQUAL(memcmp(sent[0], want, 60), 0);
    CU_ASSERT_EQUAL(sent[0][12], 0x80);          /* ethertype RARP */
    CU_ASSERT_EQUAL(sent[0][13], 0x35);
    CU_ASSERT_EQUAL(memcmp(sent[0] + 6, net.st.mac, 6), 0);
    /* the other 4 rounds on virtual time, 50, 150, 250 and 350 ms apart */
    for (int r = 0; r < 79; r++) {
        icount += 10000000 >> 3;                 /* 10 ms at shift 3 */
        clock_run_timers(&clk);
    }
    CU_ASSERT_EQUAL(nsent, 4);                   /* 790 ms: the last is due at 800 */
    for (int r = 0; r < 2; r++) {
        icount += 10000000 >> 3;                 /* 10 ms at shift 3 */
        clock_run_timers(&clk);
    }
    CU_ASSERT_EQUAL(nsent, 5);
    teardown();
}

static void test_malformed(void)
{
    setup(ALL_FEATURES);
    desc(Q1D, 0, BUF, 100, VIRTQ_DESC_F_WRITE, 0);   /* write-only TX buffer */
    offer(1, 0);
    wr(0x050, 1);
    CU_ASSERT_EQUAL(nsent, 0);
    CU_ASSERT_EQUAL(rd(0x070) & VIRTIO_STATUS_NEEDS_RESET, VIRTIO_STATUS_NEEDS_RESET);
    teardown();

    setup(ALL_FEATURES);
    desc(Q1D, 0, BUF, 8, 0, 0);                      /* shorter than its header */
    offer(1, 0);
    wr(0x050, 1);
    CU_ASSERT_EQUAL(rd(0x070) & VIRTIO_STATUS_NEEDS_RESET, VIRTIO_STATUS_NEEDS_RESET);
    teardown();

    setup(ALL_FEATURES);
    desc(Q0D, 0, BUF, 2048, 0, 0);                   /* read-only RX buffer */
    offer(0, 0);
    uint8_t frame[64] = { 0 };
    net_dev_receive(&nd, frame, sizeof(frame), true);
    CU_ASSERT_EQUAL(rd(0x070) & VIRTIO_STATUS_NEEDS_RESET, VIRTIO_STATUS_NEEDS_RESET);
    CU_ASSERT_EQUAL(used_idx(0), 0);
    wr(0x070, 0);                                    /* reset: the queue is dropped */
    CU_ASSERT_EQUAL(nd.queued, 0);
    teardown();

    setup(ALL_FEATURES);
    desc(Q1D, 0, RAM + (2u << 20), 100, 0, 0);       /* outside RAM */
    offer(1, 0);
    wr(0x050, 1);
    CU_ASSERT_EQUAL(rd(0x070) & VIRTIO_STATUS_NEEDS_RESET, VIRTIO_STATUS_NEEDS_RESET);
    teardown();
}

/* HOST_TSO4: a 64 KiB TCPv4 segment goes to the back end whole, its
 * checksum completed; without the feature, or with another GSO type, the
 * device needs a reset and sends nothing. */
static void test_tx_tso(void)
{
    enum { LEN = 60000 };
    static uint8_t b[12 + LEN];
    for (unsigned feat = 0; feat < 3; feat++) {
        setup(ALL_FEATURES | (feat != 1 ? 1u << VIRTIO_NET_F_HOST_TSO4 : 0));
        memset(b, 0, 12);
        b[0] = 1;                                /* NEEDS_CSUM */
        b[1] = feat == 2 ? 4 : 1;                /* GSO_TCPV4; 4 is TCPV6 */
        uint16_t start = 34, off = 16;
        memcpy(b + 6, &start, 2);
        memcpy(b + 8, &off, 2);
        for (int i = 0; i < LEN; i++) {
            b[12 + i] = (uint8_t)(i * 13 + 1);
        }
        put(BUF, b, sizeof(b));
        desc(Q1D, 0, BUF, sizeof(b), 0, 0);
        offer(1, 0);
        wr(0x050, 1);
        if (feat == 0) {
            CU_ASSERT_EQUAL(nsent, 1);
            CU_ASSERT_EQUAL(sent_len[0], LEN);
            CU_ASSERT_EQUAL(memcmp(sent[0] + 60, b + 12 + 60, LEN - 60), 0);
            CU_ASSERT_EQUAL(rd(0x070) & VIRTIO_STATUS_NEEDS_RESET, 0);
        } else {
            CU_ASSERT_EQUAL(nsent, 0);
            CU_ASSERT_EQUAL(rd(0x070) & VIRTIO_STATUS_NEEDS_RESET, VIRTIO_STATUS_NEEDS_RESET);
        }
        teardown();
    }
}

/* Record/replay's input modes: HELD keeps the back end's frames until
 * net_dev_release (never in the guest's notification), LOG cuts the back
 * end off both ways and takes injected frames, also while paused. */
static void test_input_modes(void)
{
    setup(ALL_FEATURES);
    net_dev_set_input(&nd, NET_INPUT_HELD);
    desc(Q0D, 0, BUF, 2048, VIRTQ_DESC_F_WRITE, 0);
    offer(0, 0);
    uint8_t frame[64] = { 7 };
    net_dev_receive(&nd, frame, sizeof(frame), true);
    CU_ASSERT_EQUAL(nd.queued, 1);
    CU_ASSERT_TRUE(nd.kick);
    wr(0x050, 0);                                /* a notification delivers nothing */
    CU_ASSERT_EQUAL(used_idx(0), 0);
    icount = 777;
    CU_ASSERT_EQUAL(net_dev_release(&nd), 1);
    CU_ASSERT_FALSE(nd.kick);
    CU_ASSERT_EQUAL(used_idx(0), 1);
    CU_ASSERT_EQUAL(net_log_get(&nd.log, 0)->icount, 777);

    net_dev_set_input(&nd, NET_INPUT_LOG);
    desc(Q0D, 1, BUF + 0x1000, 2048, VIRTQ_DESC_F_WRITE, 0);
    offer(0, 1);
    net_dev_receive(&nd, frame, sizeof(frame), true);
    CU_ASSERT_EQUAL(nd.queued, 0);               /* the back end's frame is dropped */
    CU_ASSERT_EQUAL(used_idx(0), 1);
    desc(Q1D, 0, BUF + 0x8000, 12 + 60, 0, 0);
    offer(1, 0);
    wr(0x050, 1);
    CU_ASSERT_EQUAL(nsent, 0);                   /* and the guest's swallowed */
    CU_ASSERT_EQUAL(nd.tx_swallowed, 1);
    runstate_set(&run, RUN_STATE_PAUSED);
    frame[0] = 9;
    CU_ASSERT_TRUE(net_dev_inject(&nd, frame, sizeof(frame)));
    CU_ASSERT_EQUAL(used_idx(0), 2);
    uint8_t got = 0;
    get(BUF + 0x1000 + 12, &got, 1);
    CU_ASSERT_EQUAL(got, 9);
    CU_ASSERT_FALSE(net_dev_inject(&nd, frame, sizeof(frame)));   /* no buffer left */
    runstate_set(&run, RUN_STATE_RUNNING);
    teardown();
}

static const UnitTest tests[] = {
    { "input modes: held, log, inject", test_input_modes },
    { "config space and transmit", test_config_and_tx },
    { "transmit checksum offload", test_tx_checksum },
    { "transmit segmentation offload (HOST_TSO4)", test_tx_tso },
    { "receive: mergeable buffers, waiting frames, the input log", test_rx_mergeable_and_log },
    { "receive waits while the machine is paused", test_rx_waits_while_paused },
    { "link down and up", test_link },
    { "announce: RARP rounds", test_announce },
    { "malformed chains", test_malformed },
    { NULL, NULL },
};

int main(void)
{
    return unit_run("virtio-net", tests);
}

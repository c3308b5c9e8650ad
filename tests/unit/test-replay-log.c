/* The record/replay log's network events (replay/replay-log.c,
 * replay/replay.c): malformed kind 4 (u32 NIC + frame) and kind 5 (u8 up +
 * NIC name) events are refused with the byte offset of the event; good
 * ones reach ReplayOps.net_frame and .set_link decoded, at their
 * positions, and an op's refusal names the event and its position. So do
 * a debugger's writes (kinds 6 and 7). */
#include <stdlib.h>
#include <string.h>

#include "replay/replay.h"
#include "tests/unit/unit.h"

#define CONFIG "virt ram=134217728 smp=1 shift=3"

/* A log in memory: the header, then events appended by ev(). */
static uint8_t buf[4096];
static size_t len;

static void put_be(uint8_t *p, uint64_t v, unsigned n)
{
    for (unsigned i = n; i-- > 0;) {
        p[i] = (uint8_t)v;
        v >>= 8;
    }
}

static void header(void)
{
    size_t clen = strlen(CONFIG);
    memset(buf, 0, sizeof(buf));
    memcpy(buf, REPLAY_LOG_MAGIC, 8);
    put_be(buf + 8, REPLAY_LOG_VERSION, 4);
    put_be(buf + 12, clen, 4);
    put_be(buf + 16, replay_fingerprint(CONFIG), 8);
    put_be(buf + 24, 100, 8);
    put_be(buf + 32, 1, 8);
    memcpy(buf + REPLAY_LOG_HEADER_SIZE, CONFIG, clen);
    len = REPLAY_LOG_HEADER_SIZE + clen;
}

/* Appends an event; returns its offset. */
static size_t ev(uint8_t kind, uint64_t pos, const void *data, uint32_t n)
{
    size_t at = len;
    buf[len] = kind;
    put_be(buf + len + 1, pos, 8);
    put_be(buf + len + 9, n, 4);
    if (n) {
        memcpy(buf + len + 13, data, n);     /* data may be NULL when n is 0 */
    }
    len += 13 + n;
    return at;
}

/* Parses a copy; returns the error text ("" when it parsed). */
static char msg[512];
static bool parse(ReplayLog *log)
{
    uint8_t *copy = malloc(len);
    CU_ASSERT_PTR_NOT_NULL_FATAL(copy);
    memcpy(copy, buf, len);
    Error err;
    error_init(&err);
    bool ok = replay_log_parse(log, copy, len, CONFIG, &err);
    snprintf(msg, sizeof(msg), "%s", ok ? "" : err.msg);
    return ok;
}

static void refused_at(size_t off, const char *what)
{
    ReplayLog log;
    CU_ASSERT_FALSE(parse(&log));
    char want[64];
    snprintf(want, sizeof(want), "offset %zu: ", off);
    CU_ASSERT_EQUAL(strncmp(msg, want, strlen(want)), 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(msg, what));
}

static void test_malformed_net_events(void)
{
    static const uint8_t nic_only[4] = { 0, 0, 0, 0 };
    header();
    size_t at = ev(REPLAY_EV_NET_FRAME, 200, nic_only, 4);   /* no frame after the NIC */
    ev(REPLAY_EV_END, 300, NULL, 0);
    refused_at(at, "net-frame event with a payload of 4 bytes");

    static const uint8_t up2[] = { 2, 'n', '0' };
    header();
    at = ev(REPLAY_EV_SET_LINK, 200, up2, sizeof(up2));
    ev(REPLAY_EV_END, 300, NULL, 0);
    refused_at(at, "set-link state 2 is neither 0 nor 1");

    static const uint8_t noname[] = { 1 };
    header();
    at = ev(REPLAY_EV_SET_LINK, 200, noname, sizeof(noname));
    ev(REPLAY_EV_END, 300, NULL, 0);
    refused_at(at, "set-link event with a payload of 1 bytes");

    static const uint8_t nul[] = { 1, 'n', 0, '0' };
    header();
    ev(REPLAY_EV_SERIAL, 150, "x", 1);
    at = ev(REPLAY_EV_SET_LINK, 200, nul, sizeof(nul));
    ev(REPLAY_EV_END, 300, NULL, 0);
    refused_at(at, "set-link name holds a NUL byte");

    uint8_t longname[1 + 65];
    memset(longname, 'a', sizeof(longname));
    longname[0] = 1;
    header();
    at = ev(REPLAY_EV_SET_LINK, 200, longname, sizeof(longname));
    ev(REPLAY_EV_END, 300, NULL, 0);
    refused_at(at, "allowed 2 to 65");

    /* a frame event that claims more bytes than the file has */
    header();
    static const uint8_t frame[] = { 0, 0, 0, 1, 0xaa, 0xbb };
    at = ev(REPLAY_EV_NET_FRAME, 200, frame, sizeof(frame));
    put_be(buf + at + 9, 4000, 4);
    refused_at(at, "net-frame event of 4000 bytes, the file ends after 6");
}

/* ---- giving the events ---- */

static uint64_t now;
static uint32_t got_nic;
static uint8_t got_frame[16];
static size_t got_len;
static char got_name[80];
static int got_up = -1;
static bool refuse;

static uint64_t op_position(void *o) { (void)o; return now; }
static void op_serial(void *o, const uint8_t *b, size_t n) { (void)o; (void)b; (void)n; }
static void op_reset(void *o) { (void)o; }
static bool op_loadvm(void *o, const char *name, Error *err)
{
    (void)o; (void)name; (void)err;
    return true;
}
static bool op_net_frame(void *o, uint32_t nic, const uint8_t *b, size_t n, Error *err)
{
    (void)o;
    if (refuse) {
        error_setf(err, "no network %u", nic);
        return false;
    }
    got_nic = nic;
    got_len = n < sizeof(got_frame) ? n : sizeof(got_frame);
    memcpy(got_frame, b, got_len);
    return true;
}
static bool op_set_link(void *o, const char *name, bool up, Error *err)
{
    (void)o;
    (void)err;
    snprintf(got_name, sizeof(got_name), "%s", name);
    got_up = up;
    return true;
}

static uint32_t got_hart, got_regno;
static uint64_t got_vaddr;
static uint8_t got_bytes[16];
static size_t got_nbytes;
static bool op_debug_reg(void *o, uint32_t hart, uint16_t regno, const uint8_t *v, unsigned n,
                         Error *err)
{
    (void)o;
    (void)err;
    got_hart = hart;
    got_regno = regno;
    got_nbytes = n < sizeof(got_bytes) ? n : sizeof(got_bytes);
    memcpy(got_bytes, v, got_nbytes);
    return true;
}
static bool op_debug_mem(void *o, uint32_t hart, uint64_t vaddr, const uint8_t *b, size_t n,
                         Error *err)
{
    (void)o;
    if (refuse) {
        error_setf(err, "the debugger's write at %#llx failed", (unsigned long long)vaddr);
        return false;
    }
    got_hart = hart;
    got_vaddr = vaddr;
    got_nbytes = n < sizeof(got_bytes) ? n : sizeof(got_bytes);
    memcpy(got_bytes, b, got_nbytes);
    return true;
}

static const ReplayOps ops = {
    .position = op_position, .serial = op_serial, .reset = op_reset, .loadvm = op_loadvm,
    .net_frame = op_net_frame, .set_link = op_set_link,
    .debug_reg = op_debug_reg, .debug_mem = op_debug_mem,
};

static void play(Replay *r)
{
    replay_init(r, &ops, NULL);
    ReplayLog log;
    CU_ASSERT_TRUE_FATAL(parse(&log));
    r->log = log;
    r->mode = REPLAY_MODE_PLAY;
    snprintf(r->path, sizeof(r->path), "mem.log");
}

static void test_give_net_events(void)
{
    static const uint8_t frame[] = { 0, 0, 0, 2, 0xde, 0xad, 0xbe, 0xef };
    static const uint8_t link[] = { 0, 'n', 'e', 't', '0' };
    header();
    ev(REPLAY_EV_NET_FRAME, 200, frame, sizeof(frame));
    ev(REPLAY_EV_SET_LINK, 250, link, sizeof(link));
    ev(REPLAY_EV_END, 300, NULL, 0);
    Replay r;
    play(&r);
    Error err;
    error_init(&err);
    now = 100;
    CU_ASSERT_EQUAL(replay_apply_due(&r, &err), 0);
    CU_ASSERT_EQUAL(replay_run_limit(&r), 200);
    now = 200;
    CU_ASSERT_EQUAL(replay_apply_due(&r, &err), 1);
    CU_ASSERT_EQUAL(got_nic, 2);
    CU_ASSERT_EQUAL(got_len, 4);
    CU_ASSERT_EQUAL(memcmp(got_frame, frame + 4, 4), 0);
    now = 250;
    CU_ASSERT_EQUAL(replay_apply_due(&r, &err), 1);
    CU_ASSERT_STRING_EQUAL(got_name, "net0");
    CU_ASSERT_EQUAL(got_up, 0);
    /* reverse execution puts the cursor back: the frame is given again */
    replay_rewind(&r, 0);
    CU_ASSERT_EQUAL(replay_cursor(&r), 0);
    now = 200;
    got_nic = 0;
    CU_ASSERT_EQUAL(replay_apply_due(&r, &err), 1);
    CU_ASSERT_EQUAL(got_nic, 2);
    replay_finish(&r, &err);

    /* an op that refuses: the error names the event and its position */
    play(&r);
    refuse = true;
    now = 200;
    error_init(&err);
    CU_ASSERT_EQUAL(replay_apply_due(&r, &err), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "event 1 at position 200: no network 2"));
    refuse = false;
    replay_finish(&r, &err);

    /* a machine without a network cannot take the log's frames */
    static const ReplayOps no_net = {
        .position = op_position, .serial = op_serial, .reset = op_reset, .loadvm = op_loadvm,
    };
    play(&r);
    r.ops = &no_net;
    error_init(&err);
    CU_ASSERT_EQUAL(replay_apply_due(&r, &err), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "this machine has no network"));
    replay_finish(&r, &err);
}

/* kind 6: u32 hart | u16 register | 1-8 value bytes; kind 7: u32 hart |
 * u64 address | bytes (gdb's P/G and M/X under -record) */
static void test_debug_events(void)
{
    static const uint8_t reg[] = { 0, 0, 0, 1, 0x00, 0x20, 0x78, 0x56, 0x34, 0x12 };
    static const uint8_t mem[] = { 0, 0, 0, 3, 0, 0, 0, 0, 0x80, 0, 0x10, 0x08, 7, 0, 0 };
    header();
    ev(REPLAY_EV_DEBUG_REG, 200, reg, sizeof(reg));
    ev(REPLAY_EV_DEBUG_MEM, 250, mem, sizeof(mem));
    ev(REPLAY_EV_END, 300, NULL, 0);
    Replay r;
    play(&r);
    Error err;
    error_init(&err);
    now = 200;
    CU_ASSERT_EQUAL(replay_apply_due(&r, &err), 1);
    CU_ASSERT_EQUAL(got_hart, 1);
    CU_ASSERT_EQUAL(got_regno, 32);          /* pc */
    CU_ASSERT_EQUAL(got_nbytes, 4);
    CU_ASSERT_EQUAL(memcmp(got_bytes, reg + 6, 4), 0);
    now = 250;
    CU_ASSERT_EQUAL(replay_apply_due(&r, &err), 1);
    CU_ASSERT_EQUAL(got_hart, 3);
    CU_ASSERT_EQUAL(got_vaddr, 0x80001008ull);
    CU_ASSERT_EQUAL(got_nbytes, 3);
    CU_ASSERT_EQUAL(got_bytes[0], 7);
    replay_finish(&r, &err);

    /* a write that fails on replay is a divergence, named with its event */
    play(&r);
    refuse = true;
    now = 200;
    CU_ASSERT_EQUAL(replay_apply_due(&r, &err), 1);
    now = 250;
    error_init(&err);
    CU_ASSERT_EQUAL(replay_apply_due(&r, &err), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "event 2 at position 250: the debugger's write at "
                                           "0x80001008 failed"));
    refuse = false;
    replay_finish(&r, &err);

    /* malformed: no value, a value of 9 bytes, an address without bytes */
    header();
    size_t at = ev(REPLAY_EV_DEBUG_REG, 200, reg, 6);
    ev(REPLAY_EV_END, 300, NULL, 0);
    refused_at(at, "debug-reg event with a payload of 6 bytes (allowed 7 to 14)");
    uint8_t big[15] = { 0 };
    header();
    at = ev(REPLAY_EV_DEBUG_REG, 200, big, sizeof(big));
    ev(REPLAY_EV_END, 300, NULL, 0);
    refused_at(at, "debug-reg event with a payload of 15 bytes");
    header();
    at = ev(REPLAY_EV_DEBUG_MEM, 200, mem, 12);
    ev(REPLAY_EV_END, 300, NULL, 0);
    refused_at(at, "debug-mem event with a payload of 12 bytes (allowed 13 to 65548)");
}

static const UnitTest tests[] = {
    { "malformed net-frame and set-link events: refused at their offset",
      test_malformed_net_events },
    { "net-frame and set-link events given decoded, and again after a rewind",
      test_give_net_events },
    { "debug-reg and debug-mem events given decoded; malformed ones refused",
      test_debug_events },
    { NULL, NULL },
};

int main(void)
{
    return unit_run("replay-log", tests);
}

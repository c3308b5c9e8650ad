/* libFuzzer target for the record/replay log parser (replay/replay-log.c):
 * every input is parsed as a log, with and without a machine config to
 * match; a log that parses is then given event by event through a Replay
 * (replay/replay.c) whose ops check what reaches them: a network frame of
 * at least one byte with its NIC index, a set-link name without a NUL of
 * at most 64 bytes, a debugger's write of 1 to 8 register bytes or 1 to
 * 65536 memory bytes. Parses may fail; they must never crash, leak or read
 * out of bounds (built by `make fuzz` with ASan and UBSan).
 *
 * FUZZ_WRITE_SEED=PATH: writes a real log (header, serial, reset, loadvm,
 * set-link, network and debugger-write events, END) to PATH and exits. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "replay/replay.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

#define FUZZ_CONFIG "virt ram=134217728 smp=1 shift=3"

static void fuzz_write_seed(const char *path)
{
    ReplayWriter w;
    Error err;
    error_init(&err);
    static const uint8_t frame[] = { 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 1, 2 };
    static const uint8_t link[] = { 1, 'n', 'e', 't', '0' };
    static const uint8_t dreg[] = { 0, 0, 0, 0, 0, 10, 5, 0, 0, 0, 0, 0, 0, 0 };
    static const uint8_t dmem[] = { 0, 0, 0, 0, 0, 0, 0, 0, 0x80, 0, 0x10, 0, 1, 2, 3, 4 };
    if (!replay_writer_open(&w, path, FUZZ_CONFIG, 100, 1, &err) ||
        !replay_writer_event(&w, REPLAY_EV_SERIAL, 150, "ls\n", 3, &err) ||
        !replay_writer_event(&w, REPLAY_EV_RESET, 200, NULL, 0, &err) ||
        !replay_writer_event(&w, REPLAY_EV_LOADVM, 200, "s1", 2, &err) ||
        !replay_writer_event(&w, REPLAY_EV_NET_FRAME, 300, frame, sizeof(frame), &err) ||
        !replay_writer_event(&w, REPLAY_EV_SET_LINK, 400, link, sizeof(link), &err) ||
        !replay_writer_event(&w, REPLAY_EV_DEBUG_REG, 400, dreg, sizeof(dreg), &err) ||
        !replay_writer_event(&w, REPLAY_EV_DEBUG_MEM, 450, dmem, sizeof(dmem), &err) ||
        !replay_writer_close(&w, 500, &err)) {
        fprintf(stderr, "fuzz-replay-log: cannot write seed %s: %s\n", path, err.msg);
        exit(1);
    }
    exit(0);
}

static uint64_t fz_pos;

static uint64_t fz_position(void *o) { (void)o; return fz_pos; }
static void fz_serial(void *o, const uint8_t *b, size_t n)
{
    (void)o;
    if (!n || !b) {
        abort();
    }
}
static void fz_reset(void *o) { (void)o; }
static bool fz_loadvm(void *o, const char *name, Error *err)
{
    (void)o;
    (void)err;
    return strlen(name) > 0;
}
static bool fz_net_frame(void *o, uint32_t nic, const uint8_t *b, size_t n, Error *err)
{
    (void)o;
    if (!n || n > 65536) {
        abort();
    }
    volatile uint8_t last = b[n - 1];   /* ASan: the frame lies in the buffer */
    (void)last;
    if (nic > 3) {
        error_setf(err, "no network %u", nic);   /* as a machine with 4 refuses */
        return false;
    }
    return true;
}
static bool fz_set_link(void *o, const char *name, bool up, Error *err)
{
    (void)o;
    (void)up;
    (void)err;
    size_t n = strlen(name);
    if (n == 0 || n > 64) {
        abort();
    }
    return true;
}

static bool fz_debug_reg(void *o, uint32_t hart, uint16_t regno, const uint8_t *v, unsigned n,
                         Error *err)
{
    (void)o;
    (void)regno;
    if (!n || n > 8) {
        abort();
    }
    volatile uint8_t last = v[n - 1];
    (void)last;
    if (hart > 3) {
        error_setf(err, "no hart %u", hart);
        return false;
    }
    return true;
}
static bool fz_debug_mem(void *o, uint32_t hart, uint64_t vaddr, const uint8_t *b, size_t n,
                         Error *err)
{
    (void)o;
    (void)vaddr;
    if (!n || n > 65536) {
        abort();
    }
    volatile uint8_t last = b[n - 1];
    (void)last;
    if (hart > 3) {
        error_setf(err, "no hart %u", hart);
        return false;
    }
    return true;
}

static const ReplayOps fz_ops = {
    .position = fz_position, .serial = fz_serial, .reset = fz_reset, .loadvm = fz_loadvm,
    .net_frame = fz_net_frame, .set_link = fz_set_link,
    .debug_reg = fz_debug_reg, .debug_mem = fz_debug_mem,
};

/* Gives every event at its position, as the main loop would. */
static void fz_play(ReplayLog *log)
{
    Replay r;
    replay_init(&r, &fz_ops, NULL);
    r.log = *log;
    r.mode = REPLAY_MODE_PLAY;
    fz_pos = log->start_pos;
    for (;;) {
        Error err;
        error_init(&err);
        int n = replay_apply_due(&r, &err);
        if (n < 0) {
            if (!err.set) {
                abort();
            }
            break;
        }
        if (replay_at_end(&r)) {
            break;
        }
        uint64_t lim = replay_run_limit(&r);
        if (lim < fz_pos) {
            abort();             /* the cursor never points back */
        }
        fz_pos = lim;
    }
    *log = r.log;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    const char *seed = getenv("FUZZ_WRITE_SEED");
    if (seed) {
        fuzz_write_seed(seed);
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    for (int pass = 0; pass < 2; pass++) {
        uint8_t *buf = malloc(size ? size : 1);
        if (!buf) {
            return 0;
        }
        memcpy(buf, data, size);
        ReplayLog log;
        Error err;
        error_init(&err);
        if (replay_log_parse(&log, buf, size, pass ? FUZZ_CONFIG : NULL, &err)) {
            /* Every event the parser kept lies inside the buffer. */
            for (size_t i = 0; i < log.nr_events; i++) {
                const ReplayEvent *ev = &log.events[i];
                if (ev->data < log.buf || ev->data + ev->len > log.buf + log.len) {
                    abort();
                }
            }
            fz_play(&log);
            replay_log_free(&log);
        } else if (!err.set) {
            abort();             /* a refusal always says why */
        }
    }
    return 0;
}

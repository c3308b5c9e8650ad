/* libFuzzer target for the record/replay log parser (replay/replay-log.c):
 * every input is parsed as a log, with and without a machine config to
 * match. Parses may fail; they must never crash, leak or read out of
 * bounds (built by `make fuzz` with ASan and UBSan).
 *
 * FUZZ_WRITE_SEED=PATH: writes a real log (header, serial, reset, loadvm,
 * set-link and network events, END) to PATH and exits. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "replay/replay-log.h"

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
    if (!replay_writer_open(&w, path, FUZZ_CONFIG, 100, 1, &err) ||
        !replay_writer_event(&w, REPLAY_EV_SERIAL, 150, "ls\n", 3, &err) ||
        !replay_writer_event(&w, REPLAY_EV_RESET, 200, NULL, 0, &err) ||
        !replay_writer_event(&w, REPLAY_EV_LOADVM, 200, "s1", 2, &err) ||
        !replay_writer_event(&w, REPLAY_EV_NET_FRAME, 300, frame, sizeof(frame), &err) ||
        !replay_writer_event(&w, REPLAY_EV_SET_LINK, 400, link, sizeof(link), &err) ||
        !replay_writer_close(&w, 500, &err)) {
        fprintf(stderr, "fuzz-replay-log: cannot write seed %s: %s\n", path, err.msg);
        exit(1);
    }
    exit(0);
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
            replay_log_free(&log);
        } else if (!err.set) {
            abort();             /* a refusal always says why */
        }
    }
    return 0;
}

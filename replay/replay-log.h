/* The record/replay log file (doc/replay.md): a header that names the
 * format, its version and the machine it was recorded on, then the
 * nondeterministic inputs in the order they took effect, each with the
 * machine-wide instruction position (machine_icount) at which it did.
 *
 *   header: "AMBER-RR" | u32 version | u32 config length | u64 config
 *           fingerprint (FNV-1a) | u64 start position | u64 RTC base ns |
 *           config text (the machine's, for a mismatch message)
 *   event:  u8 kind | u64 position | u32 payload length | payload
 *   END:    kind 0xff, the position the recording stopped at, no payload
 *
 * All integers are big-endian. The parser reads a whole file from memory
 * and checks every field before the replay starts: an error names the byte
 * offset and what is wrong there. */
#ifndef REPLAY_REPLAY_LOG_H
#define REPLAY_REPLAY_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "util/error.h"

#define REPLAY_LOG_MAGIC "AMBER-RR"
#define REPLAY_LOG_VERSION 1
#define REPLAY_LOG_HEADER_SIZE 40       /* before the config text */
#define REPLAY_LOG_MAX_CONFIG 4096
#define REPLAY_LOG_EVENT_HEADER 13
#define REPLAY_LOG_MAX_FILE (1ull << 30)

typedef enum ReplayEventKind {
    REPLAY_EV_SERIAL = 1,        /* bytes into UART0's input (typed, type, sendkey) */
    REPLAY_EV_RESET = 2,         /* system_reset from the monitor */
    REPLAY_EV_LOADVM = 3,        /* loadvm NAME */
    REPLAY_EV_NET_FRAME = 4,     /* u32 NIC index | frame: a frame given to the guest */
    REPLAY_EV_SET_LINK = 5,      /* u8 up | NIC name */
    REPLAY_EV_DEBUG_REG = 6,     /* u32 hart | u16 gdb register number | value (LE, 1-8) */
    REPLAY_EV_DEBUG_MEM = 7,     /* u32 hart | u64 address (the hart's view) | bytes */
    REPLAY_EV_END = 0xff,        /* where the recording stopped */
} ReplayEventKind;

typedef struct ReplayEvent {
    uint8_t kind;
    uint64_t pos;
    uint32_t len;
    const uint8_t *data;         /* into the parsed buffer */
} ReplayEvent;

typedef struct ReplayLog {
    uint32_t version;
    uint64_t fingerprint;
    uint64_t start_pos;
    uint64_t rtc_base_ns;
    char config[REPLAY_LOG_MAX_CONFIG + 1];
    ReplayEvent *events;         /* without END */
    size_t nr_events;
    uint64_t end_pos;            /* END's position */
    uint8_t *buf;                /* the file's bytes (events point into it) */
    size_t len;
} ReplayLog;

/* The fingerprint of a machine's config text. */
uint64_t replay_fingerprint(const char *config);
/* "serial", "reset", ...; NULL for an unknown kind. */
const char *replay_event_name(uint8_t kind);

/* Parses and checks buf (taken over: freed by replay_log_free, also on
 * failure). When config is not NULL, the log must have been recorded on a
 * machine with the same config text. */
bool replay_log_parse(ReplayLog *log, uint8_t *buf, size_t len, const char *config, Error *err);
bool replay_log_load(ReplayLog *log, const char *path, const char *config, Error *err);
void replay_log_free(ReplayLog *log);

/* Writing: the header at open, an event per input (flushed, so a crashed
 * recording keeps what it had), END at close. */
typedef struct ReplayWriter {
    FILE *f;
    uint64_t last_pos;
} ReplayWriter;

bool replay_writer_open(ReplayWriter *w, const char *path, const char *config, uint64_t start_pos,
                        uint64_t rtc_base_ns, Error *err);
bool replay_writer_event(ReplayWriter *w, uint8_t kind, uint64_t pos, const void *data,
                         uint32_t len, Error *err);
bool replay_writer_close(ReplayWriter *w, uint64_t end_pos, Error *err);

#endif

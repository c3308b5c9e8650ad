/* The record/replay log file: writer and checking parser (replay-log.h). */
#include "replay/replay-log.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* The largest payload of each kind, and the smallest. */
typedef struct KindInfo {
    const char *name;
    uint32_t min_len, max_len;
} KindInfo;

static const KindInfo *kind_info(uint8_t kind)
{
    static const KindInfo serial = { "serial", 1, 4096 };
    static const KindInfo reset = { "reset", 0, 0 };
    static const KindInfo loadvm = { "loadvm", 1, 256 };
    static const KindInfo net = { "net-frame", 4 + 1, 4 + 65536 };
    static const KindInfo link = { "set-link", 1 + 1, 1 + 64 };
    static const KindInfo dreg = { "debug-reg", 4 + 2 + 1, 4 + 2 + 8 };
    static const KindInfo dmem = { "debug-mem", 4 + 8 + 1, 4 + 8 + 65536 };
    static const KindInfo end = { "end", 0, 0 };
    switch (kind) {
    case REPLAY_EV_SERIAL: return &serial;
    case REPLAY_EV_RESET: return &reset;
    case REPLAY_EV_LOADVM: return &loadvm;
    case REPLAY_EV_NET_FRAME: return &net;
    case REPLAY_EV_SET_LINK: return &link;
    case REPLAY_EV_DEBUG_REG: return &dreg;
    case REPLAY_EV_DEBUG_MEM: return &dmem;
    case REPLAY_EV_END: return &end;
    default: return NULL;
    }
}

const char *replay_event_name(uint8_t kind)
{
    const KindInfo *k = kind_info(kind);
    return k ? k->name : NULL;
}

uint64_t replay_fingerprint(const char *config)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (const unsigned char *p = (const unsigned char *)config; *p; p++) {
        h = (h ^ *p) * 0x100000001b3ull;
    }
    return h;
}

static uint64_t get_be(const uint8_t *p, unsigned n)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < n; i++) {
        v = v << 8 | p[i];
    }
    return v;
}

static void put_be(uint8_t *p, uint64_t v, unsigned n)
{
    for (unsigned i = n; i-- > 0;) {
        p[i] = (uint8_t)v;
        v >>= 8;
    }
}

void replay_log_free(ReplayLog *log)
{
    free(log->events);
    free(log->buf);
    log->events = NULL;
    log->buf = NULL;
    log->nr_events = 0;
}

static bool parse_header(ReplayLog *log, const uint8_t *b, size_t len, const char *config,
                         size_t *off, Error *err)
{
    if (len < REPLAY_LOG_HEADER_SIZE) {
        error_setf(err, "offset 0: the file is %zu bytes, shorter than a log header (%d)", len,
                   REPLAY_LOG_HEADER_SIZE);
        return false;
    }
    if (memcmp(b, REPLAY_LOG_MAGIC, 8) != 0) {
        error_setf(err, "offset 0: not an Amber record/replay log (no '%s' magic)",
                   REPLAY_LOG_MAGIC);
        return false;
    }
    log->version = (uint32_t)get_be(b + 8, 4);
    if (log->version != REPLAY_LOG_VERSION) {
        error_setf(err, "offset 8: log version %u, this Amber reads version %d", log->version,
                   REPLAY_LOG_VERSION);
        return false;
    }
    uint32_t clen = (uint32_t)get_be(b + 12, 4);
    if (clen > REPLAY_LOG_MAX_CONFIG) {
        error_setf(err, "offset 12: config length %u is over the limit of %d", clen,
                   REPLAY_LOG_MAX_CONFIG);
        return false;
    }
    if (len - REPLAY_LOG_HEADER_SIZE < clen) {
        error_setf(err, "offset %d: config text of %u bytes, the file ends after %zu",
                   REPLAY_LOG_HEADER_SIZE, clen, len - REPLAY_LOG_HEADER_SIZE);
        return false;
    }
    log->fingerprint = get_be(b + 16, 8);
    log->start_pos = get_be(b + 24, 8);
    log->rtc_base_ns = get_be(b + 32, 8);
    memcpy(log->config, b + REPLAY_LOG_HEADER_SIZE, clen);
    log->config[clen] = '\0';
    if (strlen(log->config) != clen) {
        error_setf(err, "offset %d: the config text holds a NUL byte", REPLAY_LOG_HEADER_SIZE);
        return false;
    }
    if (replay_fingerprint(log->config) != log->fingerprint) {
        error_setf(err, "offset 16: config fingerprint %016llx does not match its text",
                   (unsigned long long)log->fingerprint);
        return false;
    }
    if (config && strcmp(config, log->config) != 0) {
        error_setf(err, "the log was recorded on a machine '%s', this one is '%s'", log->config,
                   config);
        return false;
    }
    *off = REPLAY_LOG_HEADER_SIZE + clen;
    return true;
}

bool replay_log_parse(ReplayLog *log, uint8_t *buf, size_t len, const char *config, Error *err)
{
    memset(log, 0, sizeof(*log));
    log->buf = buf;
    log->len = len;
    size_t off, cap = 0;
    if (!parse_header(log, buf, len, config, &off, err)) {
        replay_log_free(log);
        return false;
    }
    uint64_t last = log->start_pos;
    bool ended = false;
    while (off < len) {
        if (ended) {
            error_setf(err, "offset %zu: data after the end event", off);
            goto fail;
        }
        if (len - off < REPLAY_LOG_EVENT_HEADER) {
            error_setf(err, "offset %zu: truncated event header (%zu of %d bytes)", off,
                       len - off, REPLAY_LOG_EVENT_HEADER);
            goto fail;
        }
        ReplayEvent ev = {
            .kind = buf[off],
            .pos = get_be(buf + off + 1, 8),
            .len = (uint32_t)get_be(buf + off + 9, 4),
        };
        const KindInfo *k = kind_info(ev.kind);
        if (!k) {
            error_setf(err, "offset %zu: unknown event kind %u", off, ev.kind);
            goto fail;
        }
        if (ev.len < k->min_len || ev.len > k->max_len) {
            error_setf(err, "offset %zu: %s event with a payload of %u bytes (allowed %u to %u)",
                       off, k->name, ev.len, k->min_len, k->max_len);
            goto fail;
        }
        if (ev.pos < last) {
            error_setf(err, "offset %zu: %s event at position %llu, before the previous one (%llu)",
                       off, k->name, (unsigned long long)ev.pos, (unsigned long long)last);
            goto fail;
        }
        if (len - off - REPLAY_LOG_EVENT_HEADER < ev.len) {
            error_setf(err, "offset %zu: %s event of %u bytes, the file ends after %zu", off,
                       k->name, ev.len, len - off - REPLAY_LOG_EVENT_HEADER);
            goto fail;
        }
        ev.data = buf + off + REPLAY_LOG_EVENT_HEADER;
        if (ev.kind == REPLAY_EV_SET_LINK && ev.data[0] > 1) {
            error_setf(err, "offset %zu: set-link state %u is neither 0 nor 1", off, ev.data[0]);
            goto fail;
        }
        if (ev.kind == REPLAY_EV_SET_LINK && memchr(ev.data + 1, 0, ev.len - 1)) {
            error_setf(err, "offset %zu: set-link name holds a NUL byte", off);
            goto fail;
        }
        last = ev.pos;
        off += REPLAY_LOG_EVENT_HEADER + ev.len;
        if (ev.kind == REPLAY_EV_END) {
            log->end_pos = ev.pos;
            ended = true;
            continue;
        }
        if (log->nr_events == cap) {
            cap = cap ? cap * 2 : 64;
            ReplayEvent *n = realloc(log->events, cap * sizeof(*n));
            if (!n) {
                error_setf(err, "out of memory for %zu events", cap);
                goto fail;
            }
            log->events = n;
        }
        log->events[log->nr_events++] = ev;
    }
    if (!ended) {
        error_setf(err, "offset %zu: the log has no end event (a recording that did not finish)",
                   off);
        goto fail;
    }
    return true;
fail:
    replay_log_free(log);
    return false;
}

bool replay_log_load(ReplayLog *log, const char *path, const char *config, Error *err)
{
    memset(log, 0, sizeof(*log));
    FILE *f = fopen(path, "rb");
    if (!f) {
        error_setf(err, "%s: %s", path, strerror(errno));
        return false;
    }
    size_t cap = 1 << 16, len = 0;
    uint8_t *buf = malloc(cap);
    while (buf) {
        size_t n = fread(buf + len, 1, cap - len, f);
        len += n;
        if (len < cap) {
            break;
        }
        if (cap >= REPLAY_LOG_MAX_FILE) {
            fclose(f);
            free(buf);
            error_setf(err, "%s: larger than %llu bytes", path,
                       (unsigned long long)REPLAY_LOG_MAX_FILE);
            return false;
        }
        uint8_t *nb = realloc(buf, cap * 2);
        if (!nb) {
            free(buf);
        }
        buf = nb;
        cap *= 2;
    }
    bool bad = ferror(f);
    fclose(f);
    if (!buf || bad) {
        free(buf);
        error_setf(err, "%s: %s", path, buf ? "read error" : "out of memory");
        return false;
    }
    if (!replay_log_parse(log, buf, len, config, err)) {
        error_prependf(err, "%s: ", path);
        return false;
    }
    return true;
}

static bool writer_put(ReplayWriter *w, const void *data, size_t len, Error *err)
{
    if (len && fwrite(data, 1, len, w->f) != len) {
        error_setf(err, "writing the replay log: %s", strerror(errno));
        return false;
    }
    return true;
}

bool replay_writer_open(ReplayWriter *w, const char *path, const char *config, uint64_t start_pos,
                        uint64_t rtc_base_ns, Error *err)
{
    size_t clen = strlen(config);
    if (clen > REPLAY_LOG_MAX_CONFIG) {
        error_setf(err, "machine config text of %zu bytes is over the limit of %d", clen,
                   REPLAY_LOG_MAX_CONFIG);
        return false;
    }
    w->f = fopen(path, "wb");
    if (!w->f) {
        error_setf(err, "%s: %s", path, strerror(errno));
        return false;
    }
    w->last_pos = start_pos;
    uint8_t h[REPLAY_LOG_HEADER_SIZE];
    memcpy(h, REPLAY_LOG_MAGIC, 8);
    put_be(h + 8, REPLAY_LOG_VERSION, 4);
    put_be(h + 12, clen, 4);
    put_be(h + 16, replay_fingerprint(config), 8);
    put_be(h + 24, start_pos, 8);
    put_be(h + 32, rtc_base_ns, 8);
    if (!writer_put(w, h, sizeof(h), err) || !writer_put(w, config, clen, err) ||
        fflush(w->f) != 0) {
        error_prependf(err, "%s: ", path);
        fclose(w->f);
        w->f = NULL;
        return false;
    }
    return true;
}

bool replay_writer_event(ReplayWriter *w, uint8_t kind, uint64_t pos, const void *data,
                         uint32_t len, Error *err)
{
    const KindInfo *k = kind_info(kind);
    if (!w->f || !k || len < k->min_len || len > k->max_len || pos < w->last_pos) {
        error_setf(err, "replay log: cannot log a %s event of %u bytes at position %llu",
                   k ? k->name : "unknown", len, (unsigned long long)pos);
        return false;
    }
    uint8_t h[REPLAY_LOG_EVENT_HEADER];
    h[0] = kind;
    put_be(h + 1, pos, 8);
    put_be(h + 9, len, 4);
    w->last_pos = pos;
    if (!writer_put(w, h, sizeof(h), err) || !writer_put(w, data, len, err)) {
        return false;
    }
    if (fflush(w->f) != 0) {
        error_setf(err, "writing the replay log: %s", strerror(errno));
        return false;
    }
    return true;
}

bool replay_writer_close(ReplayWriter *w, uint64_t end_pos, Error *err)
{
    if (!w->f) {
        return true;
    }
    bool ok = replay_writer_event(w, REPLAY_EV_END, end_pos, NULL, 0, err);
    if (fclose(w->f) != 0 && ok) {
        error_setf(err, "closing the replay log: %s", strerror(errno));
        ok = false;
    }
    w->f = NULL;
    return ok;
}

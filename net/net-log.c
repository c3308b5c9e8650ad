/* The delivered-frame record (net/net-log.h). */
#include "net/net-log.h"

#include <string.h>
#include <zlib.h>

void net_log_init(NetInputLog *log)
{
    memset(log, 0, sizeof(*log));
}

void net_log_set_sink(NetInputLog *log, NetLogSink sink, void *opaque)
{
    log->sink = sink;
    log->sink_opaque = opaque;
}

void net_log_add(NetInputLog *log, uint64_t icount, const uint8_t *frame, size_t len,
                 bool external)
{
    NetLogEntry *e = &log->ring[log->count % NET_LOG_RING];
    e->seq = log->count++;
    e->icount = icount;
    e->len = (uint32_t)len;
    e->crc = (uint32_t)crc32(0L, frame, (uInt)len);
    e->external = external;
    log->external += external;
    if (log->sink) {
        log->sink(log->sink_opaque, e, frame);
    }
}

const NetLogEntry *net_log_get(const NetInputLog *log, uint64_t seq)
{
    if (seq >= log->count || log->count - seq > NET_LOG_RING) {
        return NULL;
    }
    return &log->ring[seq % NET_LOG_RING];
}

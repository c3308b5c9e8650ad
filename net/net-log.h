/* The record of frames delivered to the guest: which frame reached it at
 * which instruction count. Frames from the host are inputs from outside the
 * machine; with this record (and their bytes, kept while a recorder is
 * attached) a replay can deliver each at the same instruction again. Runs
 * without outside traffic need none of it: the back end's answers to the
 * guest's own frames are delivered while the guest's notification is
 * served, at an instruction count the guest alone decides.
 *
 * The log keeps a ring of the last NET_LOG_RING entries (info network shows
 * the counts) and hands every entry, bytes included, to a sink when one is
 * set (system/machine-replay-net.c: record/replay and reverse execution). */
#ifndef NET_NET_LOG_H
#define NET_NET_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NET_LOG_RING 256

typedef struct NetLogEntry {
    uint64_t seq;                /* 0, 1, ... in delivery order */
    uint64_t icount;             /* instructions retired when the guest got it */
    uint32_t len;
    uint32_t crc;                /* CRC-32 of the frame */
    bool external;               /* carried host data (an input) */
} NetLogEntry;

typedef void (*NetLogSink)(void *opaque, const NetLogEntry *e, const uint8_t *frame);

typedef struct NetInputLog {
    NetLogEntry ring[NET_LOG_RING];
    uint64_t count;              /* entries ever logged */
    uint64_t external;           /* of which external */
    NetLogSink sink;
    void *sink_opaque;
} NetInputLog;

void net_log_init(NetInputLog *log);
void net_log_set_sink(NetInputLog *log, NetLogSink sink, void *opaque);
void net_log_add(NetInputLog *log, uint64_t icount, const uint8_t *frame, size_t len,
                 bool external);
/* The entry with sequence number seq, or NULL when it left the ring. */
const NetLogEntry *net_log_get(const NetInputLog *log, uint64_t seq);

#endif

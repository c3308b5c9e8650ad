/* The sender thread of an outgoing live migration.
 *
 * The guest CPU runs on the main-loop thread; producing the stream (reading
 * guest RAM, zero tests, XBZRLE) and writing it to the transport run here,
 * so the two share the host's cores instead of one thread's time slices.
 * The thread does one job at a time, each started from the main thread:
 *   round: PARTs of the current RAM pass (savevm_save_iterate) until the
 *          pass is sent, each written out before the next is produced;
 *   drain: write what the main thread queued (the final phase's END and
 *          device sections), then, with the return path, wait for the
 *          destination's verdict.
 * Between jobs the main thread owns the stream and the queue (it syncs the
 * dirty bitmap and writes the final phase with the guest stopped). When a
 * job ends the event fd becomes readable. The transport fd is non-blocking
 * and every wait also watches a wake-up fd, so cancel never waits on a
 * stalled destination. */
#ifndef MIGRATION_MIGRATION_SENDER_H
#define MIGRATION_MIGRATION_SENDER_H

#include <stdbool.h>
#include <stdint.h>

#include "io/channel.h"
#include "savevm/savevm.h"
#include "savevm/qemu-file.h"

typedef enum MigSenderJob {
    MIG_JOB_NONE,
    MIG_JOB_CONNECT,             /* tcp:/unix: connect, cancellable */
    MIG_JOB_ROUND,
    MIG_JOB_DRAIN,
} MigSenderJob;

typedef enum MigSenderOutcome {
    MIG_SENDER_OK,
    MIG_SENDER_ERROR,            /* msg says what */
    MIG_SENDER_CANCELLED,
} MigSenderOutcome;

typedef struct MigSenderResult {
    MigSenderJob job;
    MigSenderOutcome outcome;
    char msg[1024];
} MigSenderResult;

/* One per migration context; its thread runs from mig_sender_start to
 * mig_sender_stop and gets the sender as its argument. */
typedef struct MigSender MigSender;

/* NULL when out of memory. */
MigSender *mig_sender_new(void);
/* Stops the thread if it runs. */
void mig_sender_free(MigSender *s);

/* f writes into q; fd is the transport (made non-blocking; -1 until a
 * connect job made one); what names it in errors. Returns 0 or a negative
 * errno. */
int mig_sender_start(MigSender *s, SaveVMState *sections, int fd, const char *what,
                     QEMUFile *f, ChannelBuffer *q);
/* Stops the current job (if any), ends and joins the thread. */
void mig_sender_stop(MigSender *s);
/* Stops the current job and waits until the thread is idle. */
void mig_sender_quiesce(MigSender *s);

/* Connects to uri (tcp: or unix:) without blocking the caller; the fd is
 * then mig_sender_fd(), the transport's to close. */
void mig_sender_connect(MigSender *s, const char *uri);
int mig_sender_fd(MigSender *s);
void mig_sender_round(MigSender *s);
/* with_rp: after writing, wait for the destination's MIG_RP_MSG_SHUT. */
void mig_sender_drain(MigSender *s, bool with_rp);

/* Readable once a job has ended; then mig_sender_take_result. */
int mig_sender_event_fd(MigSender *s);
/* false when no finished job is waiting. */
bool mig_sender_take_result(MigSender *s, MigSenderResult *out);

/* max-bandwidth in bytes per second, 0 = unlimited (any thread). */
void mig_sender_set_rate(MigSender *s, uint64_t bytes_per_second);
/* Bytes written to the transport / produced into the stream, so far. */
uint64_t mig_sender_written(MigSender *s);
uint64_t mig_sender_produced(MigSender *s);

#endif

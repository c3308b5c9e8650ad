/* The migration context of one machine (Migration, migration.h): what the
 * files of migration/ keep for it. Private to migration/; everyone else
 * holds a Migration * and calls the functions of migration.h. */
#ifndef MIGRATION_MIGRATION_INT_H
#define MIGRATION_MIGRATION_INT_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "io/channel.h"
#include "savevm/qemu-file.h"
#include "migration/migration-sender.h"
#include "migration/migration-transport.h"
#include "migration/migration.h"
#include "util/report.h"

#define MIGRATION_MAX_BLOCKERS 16
#define MIGRATION_MAX_BLOCK_HOOKS 16
#define MIGRATION_MAX_FDS 16

/* The source (migration.c); a new migration starts from a fresh one. */
typedef struct MigrationOut {
    MigrationStatus status;
    char error[512];
    MigrationTransport t;
    QEMUFile *f;                 /* writes into q */
    ChannelBuffer q;             /* produced, not yet written to t.fd */
    bool sender_on;              /* the sender thread runs (migration-sender.c) */
    bool savevm_open;            /* savevm_save_begin done, complete not yet */
    bool stopped_vm;             /* we stopped the guest for the final phase */
    RunState vm_before;
    int timer_fd;
    /* times (host ns) */
    uint64_t start_ns, setup_ns, stop_ns, end_ns;
    /* accounting */
    uint64_t written;            /* bytes written to the transport (at the end) */
    uint64_t period_start_ns, period_written_mark, period_pages;
    uint64_t bandwidth_bps;      /* measured, bytes per second */
    double mbps;
    uint64_t pages_per_second;
    uint64_t expected_downtime_ms;
    uint64_t last_sync_count, last_sync_ns, dirty_pages_rate;
    uint64_t sync_pages, sync_produced;   /* pages and bytes sent at the last sync */
    uint64_t bytes_per_page;     /* in the last pass that resent dirty pages */
    /* auto-converge */
    uint64_t ac_start_ns, ac_written, ac_dirty_pages;
    int ac_high_cnt;
} MigrationOut;

/* The destination (migration-incoming.c). */
typedef struct MigrationIn {
    MigrationStatus status;
    char error[512];
    MigrationTransport t;
    bool start_paused, exit_on_error, defer;
    bool autostart_set;          /* cont/stop while inmigrate chose start_paused */
    /* A socket stream loads on a loader thread, so the monitor answers
     * while the source sends (the guest does not run meanwhile). */
    bool loading;
    pthread_t loader;
    int loader_event;            /* eventfd: the loader is done */
    int load_fd, load_ret;
    int load_ctl;                /* a dup of load_fd: shut down to stop the loader */
    bool load_rp, load_file_ok;
    Error load_err;
} MigrationIn;

/* The vCPU throttle of auto-converge (migration-throttle.c). */
typedef struct MigrationThrottle {
    int pct;
    uint64_t run_since;          /* host ns the current run share began */
    uint64_t sleep_until;
} MigrationThrottle;

typedef struct MigrationBlocker {
    bool used;
    char text[256];
} MigrationBlocker;

typedef struct MigrationNamedFd {
    char name[64];
    int fd;
} MigrationNamedFd;

struct Migration {
    MigrationVM *vm;             /* the machine it moves */
    MigrationOut out;
    MigSender *snd;              /* the source's sender thread (idle between migrations) */
    MigrationIn in;
    /* migration-options.c */
    bool caps[MIGRATION_CAP__SUPPORTED];
    MigrationParams params;
    MigrationThrottle throttle;
    /* migration-blocker.c */
    MigrationBlocker blockers[MIGRATION_MAX_BLOCKERS];
    MigrationBlockHooks block_hooks[MIGRATION_MAX_BLOCK_HOOKS];
    int nr_block_hooks;
    bool block_inactive;
    /* migration-fds.c */
    MigrationNamedFd fds[MIGRATION_MAX_FDS];
    int nr_fds;
    /* The end of the current outgoing migration (one listener). */
    void (*notify)(void *opaque);
    void *notify_opaque;
    Reporter report;             /* failures of both directions */
};

/* Fresh state of each part, for migration_new (and a new migration). */
void migration_out_init(MigrationOut *o);
void migration_in_init(MigrationIn *in);
/* Closes every named fd (migration_free). */
void migration_fds_close_all(Migration *mig);

#endif

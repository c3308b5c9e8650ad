/* Live migration (ref-stream-format.md §7-8): capabilities and parameters,
 * the source state machine (precopy), the destination, blockers and the
 * vCPU throttle of auto-converge.
 *
 * All of it is per machine: a Migration context (migration_new) holds one
 * machine's outgoing and incoming migration, sender thread, options,
 * throttle, blockers, disk hooks and named fds, and every function here
 * takes it. system/ makes one per machine (MigrationVM.mig), so two
 * machines in one process migrate, block and throttle apart.
 *
 * Scheduling (source): the state machine, the dirty-bitmap syncs, the final
 * phase (guest stopped) and the monitor run on the main-loop thread, with
 * the guest CPU. Each RAM pass is produced and written by a sender thread
 * (migration-sender.c) while the guest runs, so a busy guest and the stream
 * use separate cores. The stream goes through an in-memory queue to the
 * transport's fd, which is non-blocking: a destination that stops reading
 * stalls only the sender, and cancel wakes it. A 100 ms host timer
 * (timerfd) measures throughput, passes max-bandwidth to the sender and
 * estimates the downtime; auto-converge is evaluated at each sync. */
#ifndef MIGRATION_MIGRATION_H
#define MIGRATION_MIGRATION_H

#include <stdbool.h>
#include <stdint.h>

#include "emu/runstate.h"
#include "migration/vm.h"
#include "util/error.h"
#include "util/report.h"


/* ---- states (QEMU's MigrationStatus names) ---- */
typedef enum MigrationStatus {
    MIGRATION_STATUS_NONE,
    MIGRATION_STATUS_SETUP,
    MIGRATION_STATUS_CANCELLING,
    MIGRATION_STATUS_CANCELLED,
    MIGRATION_STATUS_ACTIVE,
    MIGRATION_STATUS_COMPLETED,
    MIGRATION_STATUS_FAILED,
    MIGRATION_STATUS_DEVICE,
    MIGRATION_STATUS__MAX,
} MigrationStatus;

const char *migration_status_name(MigrationStatus s);

/* ---- the context ---- */
/* A context for the machine vm (which must outlive it), with QEMU's
 * default capabilities and parameters. NULL when out of memory. */
Migration *migration_new(MigrationVM *vm);
/* Cancels an outgoing migration in progress (without telling its done
 * listener), ends an incoming load (the machine stays unloaded), closes the
 * named fds. Call it while the machine is whole. NULL: nothing. */
void migration_free(Migration *mig);

/* ---- capabilities and parameters (migration-options.c) ---- */
typedef enum MigrationCapability {
    MIGRATION_CAP_XBZRLE,
    MIGRATION_CAP_AUTO_CONVERGE,
    MIGRATION_CAP_RETURN_PATH,   /* on by default: socket transports only */
    MIGRATION_CAP__SUPPORTED,    /* QEMU's other names follow, refused */
} MigrationCapability;

typedef struct MigrationParams {
    int64_t throttle_trigger_threshold;   /* % */
    int64_t cpu_throttle_initial;         /* % */
    int64_t cpu_throttle_increment;       /* % */
    int64_t cpu_throttle_tailslow;        /* bool */
    int64_t max_cpu_throttle;             /* % */
    int64_t max_bandwidth;                /* bytes/s; 0 = unlimited */
    int64_t avail_switchover_bandwidth;   /* bytes/s; 0 = measured */
    int64_t downtime_limit;               /* ms */
    int64_t xbzrle_cache_size;            /* bytes */
} MigrationParams;

const MigrationParams *migration_params(const Migration *mig);
bool migrate_cap(const Migration *mig, MigrationCapability c);

/* Every capability QEMU names, in QEMU 10.2's order; fn gets each name and
 * its state (unsupported ones are always off). */
void migration_foreach_capability(const Migration *mig,
                                  void (*fn)(void *opaque, const char *name, bool on),
                                  void *opaque);
int migration_set_capability(Migration *mig, const char *name, bool on, Error *err);
/* One "name: value[ unit]" line per parameter, in QEMU's order. */
void migration_foreach_parameter(Migration *mig, void (*fn)(void *opaque, const char *line),
                                 void *opaque);
/* value as typed: sizes take B/K/M/G/T suffixes (MiB without one, as QEMU's
 * HMP), booleans on/off. */
int migration_set_parameter(Migration *mig, const char *name, const char *value, Error *err);
/* Completion of capability and parameter names (the same for every context). */
void migration_complete_names(const char *prefix, void (*add)(void *opaque, const char *name),
                              void *opaque);
void migration_options_reset(Migration *mig);   /* back to the defaults */

/* ---- blockers (migration-blocker.c) ---- */
/* A device bound to a host resource registers why it cannot move; migrate
 * and savevm then refuse with "<device>: <reason>" naming it. Returns an id
 * for migrate_del_blocker, or -1 (full). */
int migrate_add_blocker(Migration *mig, const char *device, const char *reason);
void migrate_del_blocker(Migration *mig, int id);
/* 0, or -EPERM with err set to the first blocker's text. */
int migration_check_blockers(const Migration *mig, Error *err);
void migration_foreach_blocker(const Migration *mig,
                               void (*fn)(void *opaque, const char *text), void *opaque);

/* Disks give up their images before the final phase (the destination takes
 * them over) and take them back when a migration fails or is cancelled. */
typedef struct MigrationBlockHooks {
    int (*inactivate)(void *opaque, Error *err);
    int (*activate)(void *opaque, Error *err);
    void *opaque;
} MigrationBlockHooks;
void migration_add_block_hooks(Migration *mig, const MigrationBlockHooks *h);
void migration_remove_block_hooks(Migration *mig, void *opaque);
int migration_block_inactivate_all(Migration *mig, Error *err);
int migration_block_activate_all(Migration *mig, Error *err);

/* ---- the vCPU throttle (migration-throttle.c) ---- */
void migration_throttle_set(Migration *mig, int percent);   /* 0 stops it */
int migration_throttle_percent(const Migration *mig);
/* The main loop asks before each CPU slice: ns the vCPU must still sleep
 * (0 while the throttle is off). */
uint64_t migration_throttle_wait_ns(Migration *mig);

/* ---- the source (migration.c) ---- */
typedef struct MigrationInfo {
    MigrationStatus status;
    char error_desc[512];
    uint64_t total_time_ms, setup_time_ms, downtime_ms, expected_downtime_ms;
    uint64_t transferred, remaining, total;
    uint64_t duplicate, normal, normal_bytes;
    uint64_t dirty_sync_count, dirty_pages_rate, pages_per_second;
    double mbps;
    int throttle_percent;
    uint64_t xbzrle_bytes, xbzrle_pages, xbzrle_cache_miss, xbzrle_overflow;
} MigrationInfo;

/* Starts an outgoing migration to uri (tcp:, unix:, exec:, fd:, file:).
 * Refusals (blockers, a migration in progress, bad run state, a transport
 * that cannot open) return a negative errno with err set, and the machine
 * is untouched. Otherwise it runs from the main loop. */
int migration_start(Migration *mig, const char *uri, Error *err);
int migration_cancel(Migration *mig);
bool migration_is_running(const Migration *mig);
void migration_get_info(Migration *mig, MigrationInfo *out);
/* Called once when the current migration ends (completed, failed or
 * cancelled); one listener (the waiting monitor). */
void migration_set_done_notify(Migration *mig, void (*fn)(void *opaque), void *opaque);
/* Where a failure that no command waits for is told, one line: "migration
 * failed: ..." (an outgoing migration running from the main loop) and "load
 * of migration failed: ..." (an incoming one). The system prints them. */
void migration_set_reporter(Migration *mig, const Reporter *r);
const Reporter *migration_reporter(Migration *mig);

/* ---- the destination (migration-incoming.c) ---- */
/* -incoming URI at start-up, or migrate_incoming with -incoming defer.
 * Sockets listen and load when the source connects (the monitor works while
 * waiting); exec:, fd: and file: load at once. exit_on_error: a failed load
 * ends amber (with the message to migration_reporter); otherwise the destination keeps
 * waiting for migrate_incoming (defer). */
void migration_incoming_set_defer(Migration *mig, bool defer);
bool migration_incoming_deferred(const Migration *mig);
int migration_incoming_start(Migration *mig, const char *uri, bool start_paused,
                             bool exit_on_error, Error *err);
MigrationStatus migration_incoming_status(const Migration *mig);
/* cont (on) or stop (off) while inmigrate, as QEMU's autostart: whether the
 * machine runs once a load completes; overrides -S for every later load. */
void migration_incoming_set_autostart(Migration *mig, bool on);
/* A socket stream is being loaded (on the loader thread): the machine's
 * state belongs to it until the load ends. The main loop asks before it
 * touches the machine. */
bool migration_incoming_loading(const Migration *mig);
/* At exit: ends a load in progress (its socket is shut down, the loader
 * joined); the machine stays unloaded. */
void migration_incoming_abort(Migration *mig);
const char *migration_incoming_error(const Migration *mig);
/* The listening address while waiting ("tcp:127.0.0.1:4444"), or NULL. */
const char *migration_incoming_listen_uri(const Migration *mig);

/* ---- named fds for fd:NAME (getfd/closefd over the unix monitor) ---- */
/* Per machine here (QEMU keeps them per monitor). Takes ownership of fd
 * under name (replacing one of the same name). */
int migration_fd_add(Migration *mig, const char *name, int fd, Error *err);
int migration_fd_close(Migration *mig, const char *name, Error *err);
/* Removes and returns the fd named name, or -1 with err set. */
int migration_fd_take(Migration *mig, const char *name, Error *err);

#endif

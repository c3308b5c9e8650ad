/* Record and replay (doc/replay.md): every nondeterministic input to the
 * machine goes through here with the machine-wide instruction position at
 * which it takes effect. Recording writes it to the log; replaying refuses
 * inputs from the host and gives the machine, at their positions, the ones
 * the log holds. Amber's run is otherwise a function of those inputs
 * (exact positions: machine_set_icount_exact), so a replay in another
 * process gives the same serial transcript and the same final state.
 *
 * Host side only: the log, its file and the cursor are never part of a
 * snapshot or a migration stream. The machine is reached through ReplayOps
 * (system/machine-replay.c fills them in). */
#ifndef REPLAY_REPLAY_H
#define REPLAY_REPLAY_H

#include "replay/replay-log.h"

typedef enum ReplayMode {
    REPLAY_MODE_NONE,
    REPLAY_MODE_RECORD,
    REPLAY_MODE_PLAY,
} ReplayMode;

/* What the replay does to the machine. */
typedef struct ReplayOps {
    uint64_t (*position)(void *opaque);
    /* Bytes into UART0's input, past the record/replay filter. */
    void (*serial)(void *opaque, const uint8_t *buf, size_t len);
    void (*reset)(void *opaque);
    bool (*loadvm)(void *opaque, const char *name, Error *err);
    /* A network frame for network nic (its index among the machine's
     * netdevs), given to its NIC past the back end. */
    bool (*net_frame)(void *opaque, uint32_t nic, const uint8_t *buf, size_t len, Error *err);
    bool (*set_link)(void *opaque, const char *name, bool up, Error *err);
    /* A debugger's register or memory write (the gdb stub's P, G, M, X);
     * only writes that took effect are logged, so a failure is an error. */
    bool (*debug_reg)(void *opaque, uint32_t hart, uint16_t regno, const uint8_t *v,
                      unsigned len, Error *err);
    bool (*debug_mem)(void *opaque, uint32_t hart, uint64_t vaddr, const uint8_t *buf,
                      size_t len, Error *err);
} ReplayOps;

typedef struct Replay {
    ReplayMode mode;
    const ReplayOps *ops;
    void *opaque;
    char path[256];
    ReplayWriter writer;         /* record */
    ReplayLog log;               /* play */
    size_t next;                 /* play: the next event of log.events */
    bool ended;                  /* play: every event given, END reached */
    uint64_t events;             /* recorded or replayed so far */
} Replay;

void replay_init(Replay *r, const ReplayOps *ops, void *opaque);
bool replay_start_record(Replay *r, const char *path, const char *config, uint64_t rtc_base_ns,
                         Error *err);
/* Loads and checks the whole log; config must match the recording's. */
bool replay_start_play(Replay *r, const char *path, const char *config, Error *err);
/* Record: writes END at the current position. Play: drops the log. */
bool replay_finish(Replay *r, Error *err);

/* An input from the host (a typed byte, `type`, system_reset, a frame):
 * false with err when it must not be applied (replaying: the log drives
 * the machine); recording: logged at the current position, and true. The
 * caller applies it when true. */
bool replay_input(Replay *r, ReplayEventKind kind, const void *data, size_t len, Error *err);

/* A debugger's write that took effect (kind REPLAY_EV_DEBUG_REG: where is
 * the gdb register number; REPLAY_EV_DEBUG_MEM: the address): logged while
 * recording, in the payload replay_give decodes; true otherwise. */
bool replay_input_debug_write(Replay *r, ReplayEventKind kind, uint32_t hart, uint64_t where,
                              const uint8_t *data, size_t len, Error *err);

/* Play: gives the machine every event due at the current position; -1
 * with err when the run has passed an event's position (it diverged from
 * the recording), else how many it gave. Then the position the CPU may
 * run to: the next event's, END's, or UINT64_MAX when not replaying. */
int replay_apply_due(Replay *r, Error *err);
uint64_t replay_run_limit(const Replay *r);
/* Play: at END with every event given (the replay is over; the machine
 * may go on live: replay_go_live). */
bool replay_at_end(const Replay *r);
void replay_go_live(Replay *r);
/* Play: the next event to give (its index in log.events). Reverse
 * execution moved the machine back: next is the first event not given at
 * the position it is now at (from the reverse history's marks). */
size_t replay_cursor(const Replay *r);
void replay_rewind(Replay *r, size_t next);

#endif

/* Reverse execution (doc/replay.md): automatic in-memory checkpoints of
 * the machine while it runs, and deterministic re-execution from the one
 * before a target position to the target, giving back the inputs that
 * were applied on the way (typed bytes, network frames, link changes, or
 * what a replay's log gave), so it also works while a person types into
 * the guest.
 *
 * A checkpoint holds the device state (CPU, devices, board: the savevm
 * engine's device-only stream into a buffer), the pages of RAM written
 * since the checkpoint before (dirty-page deltas over one copy of RAM at
 * the oldest checkpoint, where pages of zeroes take no room), UART0's queued host input and how many
 * inputs had been applied, and where the log of disk writes was (rev-disk.h:
 * going back puts the disks back too). A drive changed otherwise (loadvm's
 * snapshot, a reopen) starts a new history. When the checkpoints pass the
 * memory bound the
 * oldest is folded into the full copy and dropped. All of it is host side:
 * none of it is ever saved or migrated. */
#ifndef REPLAY_REVERSE_H
#define REPLAY_REVERSE_H

#include "hw/riscv/machine.h"
#include "migration/vm.h"
#include "replay/replay-log.h"
#include "replay/rev-disk.h"
#include "replay/rev-pages.h"

#define REVERSE_DEFAULT_INTERVAL 10000000ull      /* instructions run between checkpoints */
#define REVERSE_DEFAULT_MEM (512ull << 20)        /* bytes of checkpoints at most */

typedef struct RevCheckpoint {
    uint64_t pos;
    uint64_t retired;            /* instructions the harts retired (idle time is not) */
    uint8_t *dev;                /* device-only stream */
    size_t dev_len;
    uint64_t *pages;             /* RAM page indexes written since the one before */
    uint32_t *slots;             /* their contents at pos (REV_SLOT_NONE: zeroes) */
    size_t nr_pages;
    size_t bytes;                /* what it counts against the bound */
    uint8_t pending[sizeof(((CharBackend *)0)->pending)];
    size_t pending_len;
    size_t nr_inputs;            /* inputs applied before it was taken */
    size_t disk_mark;            /* disk writes made before it (RevDisk) */
    uint64_t disk_gen;           /* the drives' content_gen then */
    uint64_t mark;               /* ReverseOps.mark when it was taken */
} RevCheckpoint;

typedef struct RevInput {
    uint8_t kind;                /* REPLAY_EV_SERIAL, _NET_FRAME, _SET_LINK */
    uint64_t pos;
    uint32_t len;
    uint8_t *data;
    uint64_t mark;               /* the caller's cursor once it was given */
} RevInput;

/* What the owner does for re-execution (all optional). The mark is the
 * owner's own cursor (a replay: the next event of its log), kept with each
 * checkpoint and input, so that after going back the owner learns where
 * its cursor was at the new position. */
typedef struct ReverseOps {
    /* An input again (without: serial bytes into UART0). */
    void (*give)(void *opaque, const RevInput *in);
    /* Re-execution starts (on) or ends: the back ends must hear nothing. */
    void (*quiet)(void *opaque, bool on);
    uint64_t (*mark)(void *opaque);
    /* The machine was put at another position; mark is the cursor there. */
    void (*moved)(void *opaque, uint64_t mark);
} ReverseOps;

typedef struct Reverse {
    Machine *m;
    MigrationVM *vm;
    bool on;
    uint64_t interval;
    uint64_t mem_limit;
    uint64_t mem_used;           /* deltas and device streams (not the full copy) */
    uint32_t *base;              /* RAM at the oldest checkpoint: a slot a page */
    uint64_t base_pages;         /* the pages of it that are not zeroes */
    RevPagePool pool;            /* where the pages of base and deltas live */
    RevDisk disk;                /* the guest's disk writes, undoable */
    uint64_t restarts;           /* histories begun anew (a disk switched) */
    uint32_t *rs_src;            /* rev_restore_ram's work arrays, a page each */
    uint8_t *rs_want;
    RevCheckpoint *cp;
    size_t nr_cp, cap_cp;
    RevInput *in;                /* inputs applied since the oldest checkpoint */
    size_t nr_in, cap_in;
    uint64_t last_steps;         /* Machine.debug_steps at the last checkpoint */
    uint64_t last_gen;           /* Machine.state_gen at the last checkpoint */
    uint64_t last_writes;        /* Machine.debug_writes at the last checkpoint */
    uint64_t dropped;            /* checkpoints folded into base */
    uint64_t horizon;            /* the furthest position the history holds */
    size_t ram_at;               /* RAM is checkpoint ram_at's plus the dirty pages */
    bool in_past;                /* put back by reverse_goto: later checkpoints exist */
    size_t cursor;               /* inputs given so far on the way to where it is */
    uint64_t mark;               /* the owner's cursor where it is (ReverseOps) */
    const ReverseOps *ops;
    void *ops_opaque;
    /* The largest the history grew (bench/reverse.sh reports them). */
    uint64_t peak_pos, peak_mem;
    size_t peak_cp;
} Reverse;

/* Host-clock mode is refused: its runs cannot be re-executed. */
bool reverse_enable(Reverse *rv, Machine *m, MigrationVM *vm, uint64_t interval,
                    uint64_t mem_limit, Error *err);
void reverse_disable(Reverse *rv);
void reverse_set_ops(Reverse *rv, const ReverseOps *ops, void *opaque);
/* An input given to the machine now (it is given again on re-execution);
 * mark: the owner's cursor after it. In the past it starts a new history. */
void reverse_note_input(Reverse *rv, uint8_t kind, const void *data, size_t len,
                        uint64_t mark);
/* From the main loop, between slices: a checkpoint when the interval has
 * passed, or the state was changed from outside (loadvm, reset, a
 * debugger's step or write). */
bool reverse_tick(Reverse *rv, Error *err);
/* Takes a checkpoint at the current position (replacing one there). */
bool reverse_checkpoint(Reverse *rv, Error *err);
/* The oldest position that can be reached. */
uint64_t reverse_begin(const Reverse *rv);
/* Puts the machine at position target (begin <= target <= now): restores
 * the last checkpoint at or before it and re-executes. The machine must be
 * stopped. Debug points are ignored on the way. */
bool reverse_goto(Reverse *rv, uint64_t target, Error *err);
/* gdb's bs: one instruction back (machine-wide). 1 done, 0 at the
 * beginning of history, -1 error. */
int reverse_stepi(Reverse *rv, Error *err);
/* gdb's bc: to the last breakpoint or watchpoint hit before now, left as
 * a forward run would stop there (Machine.debug_hart, the hart's dbg_hit).
 * 1 found, 0 none: the machine is at the beginning of history, -1 error. */
int reverse_continue(Reverse *rv, Error *err);
/* Forward execution from a point in the past starts a new history: the
 * checkpoints and inputs after now are dropped. */
void reverse_truncate(Reverse *rv);

#endif

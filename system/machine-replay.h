/* Record/replay for the process's machine (system/machine-replay.c):
 * -record FILE, -replay FILE and -icount ...,rr=record|replay,rrfile=FILE.
 * Builds the machine's config text (checked against a log's), gives the
 * replay its ReplayOps (UART0 input, reset, loadvm, network frames,
 * set_link) and reverse execution its ReverseOps, filters UART0's host
 * input, and hands the main loop the position it may run to. */
#ifndef SYSTEM_MACHINE_REPLAY_H
#define SYSTEM_MACHINE_REPLAY_H

#include "hw/riscv/machine.h"
#include "migration/vm.h"
#include "replay/replay.h"
#include "replay/reverse.h"

typedef struct MachineReplay MachineReplay;

/* A network's sink opaque: its index goes into the log's frame events. */
typedef struct MachineReplayNic {
    MachineReplay *mr;
    int index;
} MachineReplayNic;

struct MachineReplay {
    Machine *m;
    MigrationVM *vm;
    Replay r;
    bool warned_input;           /* play: host input was dropped (said once) */
    bool reported_end;
    Reverse rv;                  /* -reverse: checkpoints for gdb's bs and bc */
    bool warned_reverse;
    bool warned_net;
    bool regiving;               /* re-execution gives an input: not logged or kept again */
    uint64_t steps_seen;         /* Machine.debug_steps the hook last saw */
    MachineReplayNic nic[MACHINE_MAX_NETS];
    uint8_t *net_buf;            /* u32 network index + frame, a log event's payload */
};

/* The machine's config text for a log header: what must be the same for a
 * replay to be exact (board, RAM, harts, time base, images by name and
 * size, command line of the kernel). */
void machine_replay_config(const Machine *m, char *buf, size_t len);
/* Play: reads the RTC base the recording used (it must be set before the
 * machine is built). */
bool machine_replay_peek_rtc(const char *path, uint64_t *rtc_base_ns, Error *err);
/* Starts recording or replaying on a machine just built. Refuses host-clock
 * mode. Turns on exact positions. */
bool machine_replay_start(MachineReplay *mr, Machine *m, MigrationVM *vm, ReplayMode mode,
                          const char *path, Error *err);
/* -reverse: checkpoints every interval instructions within mem bytes (0:
 * the defaults), and the input filter and main-loop hook they need. */
bool machine_reverse_start(MachineReplay *mr, Machine *m, MigrationVM *vm, uint64_t interval,
                           uint64_t mem, Error *err);
/* Once per main-loop iteration, also while stopped: a debugger's stepi
 * since the last checkpoint makes one (re-execution cannot redo it). */
void machine_replay_poll(MachineReplay *mr);
/* The main loop's hook: gives the machine the events due now and returns
 * the position the CPU may run to (UINT64_MAX: no limit). At the end of a
 * replayed log the machine stops (paused) and the hook says so; a
 * divergence stops it with the error. */
uint64_t machine_replay_limit(void *opaque /* MachineReplay * */, bool apply);
/* Recording's hook: no limit, but the main loop's idle time follows the
 * record/replay rule (ends at deadlines, not at host moments). */
uint64_t machine_replay_record_limit(void *opaque, bool apply);
/* At exit: the recording gets its END; both print the final position and
 * the state checksum (RAM and the harts' registers), to compare runs. */
void machine_replay_finish(MachineReplay *mr);
/* Drops the checkpoints (before the machine goes). */
void machine_replay_free(MachineReplay *mr);
/* The networks (system/machine-replay-net.c): sinks on every netdev, the
 * back ends' frames held for the hook unless a log replaces them. */
bool machine_replay_net_start(MachineReplay *mr, Error *err);
void machine_replay_net_stop(MachineReplay *mr);
/* Between slices: the held frames the NICs take now. */
void machine_replay_net_release(MachineReplay *mr);
/* A held frame may be deliverable: the loop must not idle. */
bool machine_replay_net_pending(const MachineReplay *mr);
/* Re-execution: no back end hears or says anything. */
void machine_replay_net_quiet(MachineReplay *mr, bool on);
bool machine_replay_net_frame(MachineReplay *mr, uint32_t nic, const uint8_t *buf, size_t len,
                              Error *err);
bool machine_replay_net_set_link(MachineReplay *mr, const char *name, bool up, Error *err);
/* FNV-1a over RAM in host-order 64-bit words, then the bytes of pc and
 * x1..x31 of each hart. */
uint64_t machine_state_checksum(Machine *m);

#endif

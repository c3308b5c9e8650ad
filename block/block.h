/* The block layer: disk images behind one table of operations per format
 * (raw, qcow2). Devices (virtio-blk), amber-img and the savevm commands go
 * through these functions; the format drivers live in block/raw.c and
 * block/qcow2*.c.
 *
 * Errors: functions return 0 or a negative errno and describe the failure in
 * err (a NULL err is allowed). Offsets and lengths are bytes of the virtual
 * disk. */
#ifndef BLOCK_BLOCK_H
#define BLOCK_BLOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/error.h"
#include "util/report.h"

typedef struct BlockDriverState BlockDriverState;
typedef struct BlockVmstate BlockVmstate;
typedef struct BlockCheckResult BlockCheckResult;
typedef void BdrvWriteWatch(void *opaque, BlockDriverState *bs, uint64_t off, const void *buf,
                            uint64_t len);

/* Test fault injection (bdrv_fault_configure): mode 0 none, 1 kill, 2 enospc.
 * trace (unit tests set it after open): called before every write of the
 * image file (what, offset, length) and at every ordering point ("sync"). */
typedef struct BlockFault {
    int mode;
    unsigned long long target, count;
    void (*trace)(void *opaque, const char *what, uint64_t off, uint64_t len);
    void *trace_opaque;
} BlockFault;

/* Open flags. */
#define BDRV_O_RDWR      0x1
/* cache=unsafe: no fdatasync at ordering points (tests, throw-away images).
 * Writes are still ordered, so a killed process leaves at most leaks. */
#define BDRV_O_NO_FLUSH  0x2
/* Used by check: open images whose tables fail validation far enough to
 * report on them. */
#define BDRV_O_CHECK     0x4

/* One internal snapshot, as the qcow2 snapshot table stores it. */
typedef struct BlockSnapshotInfo {
    char id[128];
    char name[256];
    uint32_t date_sec, date_nsec;
    uint64_t vm_clock_nsec;
    uint64_t vm_state_size;
    uint64_t disk_size;
    uint64_t icount;             /* UINT64_MAX: none (savevm without record/replay) */
} BlockSnapshotInfo;

#define BLOCK_ICOUNT_NONE UINT64_MAX

typedef struct BlockCreateOptions {
    const char *format;          /* "qcow2" or "raw" */
    uint64_t size;
    unsigned cluster_bits;       /* qcow2; 0 = 16 (64 KiB) */
    int version;                 /* qcow2: 2 (compat=0.10) or 3 (compat=1.1, default) */
} BlockCreateOptions;

typedef struct BlockDriver {
    const char *format_name;
    size_t state_size;           /* bytes of driver state allocated for bs->opaque */
    /* Score (0 = not this format) for the first bytes of a file. */
    int (*probe)(const uint8_t *buf, size_t len);
    int (*create)(const char *path, const BlockCreateOptions *opts, Error *err);
    int (*open)(BlockDriverState *bs, int flags, Error *err);
    void (*close)(BlockDriverState *bs);
    int (*pread)(BlockDriverState *bs, uint64_t off, void *buf, uint64_t len, Error *err);
    int (*pwrite)(BlockDriverState *bs, uint64_t off, const void *buf, uint64_t len, Error *err);
    int (*flush)(BlockDriverState *bs, Error *err);
    /* Optional: internal snapshots (qcow2). */
    int (*snapshot_list)(BlockDriverState *bs, BlockSnapshotInfo **list, Error *err);
    int (*snapshot_create)(BlockDriverState *bs, BlockSnapshotInfo *sn, BlockVmstate *vm,
                           Error *err);
    int (*snapshot_goto)(BlockDriverState *bs, const char *id_or_name, Error *err);
    int (*snapshot_delete)(BlockDriverState *bs, const char *name, Error *err);
    BlockVmstate *(*vmstate_writer)(BlockDriverState *bs, Error *err);
    BlockVmstate *(*vmstate_reader)(BlockDriverState *bs, const char *name, Error *err);
    /* Optional: consistency check and repair (fix: 0, BDRV_FIX_LEAKS|ERRORS). */
    int (*check)(BlockDriverState *bs, BlockCheckResult *res, int fix, Error *err);
} BlockDriver;

struct BlockDriverState {
    const BlockDriver *drv;
    char filename[1024];
    char id[64];                 /* -drive id=, or "" */
    int fd;                      /* -1: no file of its own (overlay) */
    bool read_only;
    bool no_flush;
    uint64_t total_size;         /* virtual size in bytes */
    void *opaque;                /* driver state */
    /* Where the driver's diagnostics that are not failures go: qcow2's
     * corruption warnings, a failed flush at close, check's findings. Set
     * by the opener (bdrv_open_report); none: dropped. */
    Reporter report;
    BlockFault fault;            /* AMBER_BLOCK_FAULT at open (tests) */
    /* Sees each bdrv_pwrite before it is done, with the bytes it writes
     * (reverse execution keeps an undo log of the guest's writes). */
    BdrvWriteWatch *write_watch;
    void *write_watch_opaque;
    /* Counts changes of the contents not made by bdrv_pwrite (a snapshot
     * gone to, the image reopened): what a write watch cannot see. */
    uint64_t content_gen;
};

/* Drops everything the driver knows of the image (header, tables, caches)
 * and opens it again with flags: another process may have changed it (an
 * incoming migration's source, which wrote the shared image until it
 * stopped). The image must not have unwritten changes here (it was opened
 * read-only, or flushed). A BlockDriverState without its own file (overlay)
 * is left as it is. 0, or a negative errno: bs is then unusable and only
 * bdrv_close may follow. */
int bdrv_reopen(BlockDriverState *bs, int flags, Error *err);

/* block/lock.c: QEMU's inter-process image locks on bs's file, as a guest
 * disk takes them (write: a writable one). -EAGAIN with QEMU's message
 * ("Failed to get "write" lock ...") when another process (Amber or QEMU)
 * uses the image in a conflicting way. No-op without a file of its own;
 * file systems without locks are accepted, as QEMU does. */
int bdrv_lock(BlockDriverState *bs, bool write, Error *err);
void bdrv_unlock(BlockDriverState *bs);

extern const BlockDriver bdrv_raw;
extern const BlockDriver bdrv_qcow2;

/* The driver named fmt ("raw", "qcow2"), or NULL. */
const BlockDriver *bdrv_find_format(const char *fmt);

/* Opens path as fmt (NULL: probe, as qemu-img does). Returns NULL with err
 * set ("Could not open 'x': ..."). */
BlockDriverState *bdrv_open(const char *path, const char *fmt, int flags, Error *err);
/* bdrv_open whose image hands its warnings to report (may be NULL). */
BlockDriverState *bdrv_open_report(const char *path, const char *fmt, int flags,
                                   const Reporter *report, Error *err);
void bdrv_close(BlockDriverState *bs);
int bdrv_create(const char *path, const BlockCreateOptions *opts, Error *err);

uint64_t bdrv_getlength(const BlockDriverState *bs);
/* The name messages give a disk: its -drive id, else its file. */
const char *bdrv_device_name(const BlockDriverState *bs);
const char *bdrv_format_name(const BlockDriverState *bs);
int bdrv_pread(BlockDriverState *bs, uint64_t off, void *buf, uint64_t len, Error *err);
int bdrv_pwrite(BlockDriverState *bs, uint64_t off, const void *buf, uint64_t len, Error *err);
int bdrv_flush(BlockDriverState *bs, Error *err);

/* Internal snapshots. bdrv_can_snapshot() is false for formats without them
 * (savevm's "Device 'x' is writable but does not support snapshots"). */
bool bdrv_can_snapshot(const BlockDriverState *bs);
/* Allocates *list (free() it); returns the count or a negative errno. */
int bdrv_snapshot_list(BlockDriverState *bs, BlockSnapshotInfo **list, Error *err);
/* Finds a snapshot by id first, then by name (qemu-img snapshot -a, loadvm's
 * lookup is by name: pass by_name_only). Returns 0 and fills *out, or -ENOENT. */
int bdrv_snapshot_find(BlockDriverState *bs, const char *id_or_name, bool by_name_only,
                       BlockSnapshotInfo *out, Error *err);
/* Creates snapshot sn (sn->id empty: the next free number is chosen and
 * written back; date, vm_clock_nsec, icount as given). vm, if not NULL, is a
 * vmstate writer opened on the same image: its data becomes the snapshot's VM
 * state and vm is consumed whatever the outcome. */
int bdrv_snapshot_create(BlockDriverState *bs, BlockSnapshotInfo *sn, BlockVmstate *vm,
                         Error *err);
int bdrv_snapshot_goto(BlockDriverState *bs, const char *id_or_name, Error *err);
/* Deletes the first snapshot with this name (qemu-img snapshot -d, delvm). */
int bdrv_snapshot_delete(BlockDriverState *bs, const char *name, Error *err);

/* VM state area (savevm/loadvm). A writer collects the state before the
 * snapshot exists; nothing it writes is reachable until
 * bdrv_snapshot_create() commits it (a crash leaves only leaked clusters).
 * A reader serves the VM state of an existing snapshot. Offsets are from the
 * start of the VM state. */
BlockVmstate *bdrv_vmstate_writer_open(BlockDriverState *bs, Error *err);
BlockVmstate *bdrv_vmstate_reader_open(BlockDriverState *bs, const char *name, Error *err);
int bdrv_vmstate_pwrite(BlockVmstate *vm, uint64_t off, const void *buf, uint64_t len, Error *err);
/* Reads up to len bytes; returns the count (short at the end of the state)
 * or a negative errno. */
int64_t bdrv_vmstate_pread(BlockVmstate *vm, uint64_t off, void *buf, uint64_t len, Error *err);
/* Bytes written so far (writer) or the snapshot's vm_state_size (reader). */
uint64_t bdrv_vmstate_size(const BlockVmstate *vm);
/* Closes a reader, or abandons a writer (its clusters are freed). */
void bdrv_vmstate_close(BlockVmstate *vm);

/* snapshot=on (block/overlay.c): a writable disk over base, an image opened
 * read-only, that keeps the guest's writes in this process's memory (4 KiB
 * chunks, each copied from base on its first write) and never writes base.
 * Closing it discards them and closes base. Takes base in every case;
 * NULL with err set when out of memory. Flush is a no-op; no snapshots. */
BlockDriverState *bdrv_overlay_new(BlockDriverState *base, Error *err);
bool bdrv_is_overlay(const BlockDriverState *bs);
/* The image under an overlay, or NULL when bs is not one. */
BlockDriverState *bdrv_overlay_base(const BlockDriverState *bs);
/* Host memory the overlay's written chunks take (0 when bs is not one). */
uint64_t bdrv_overlay_bytes(const BlockDriverState *bs);

/* Consistency check (amber-img check). */
#define BDRV_FIX_LEAKS  1
#define BDRV_FIX_ERRORS 2
struct BlockCheckResult {
    int corruptions, leaks, check_errors;
    int corruptions_fixed, leaks_fixed;
    uint64_t image_end_offset;
    uint64_t total_clusters, allocated_clusters, fragmented_clusters, compressed_clusters;
};
int bdrv_check(BlockDriverState *bs, BlockCheckResult *res, int fix, Error *err);

/* Crash and I/O-error injection for tests, per image: with
 * AMBER_BLOCK_FAULT=kill:N in the environment when an image is opened, the
 * process SIGKILLs itself just before the Nth write to that image's file;
 * with enospc:N that write and every later one fail with ENOSPC. */
void bdrv_fault_configure(BlockDriverState *bs, const char *spec);

/* Helpers shared by the drivers. */
int bdrv_pread_full(int fd, uint64_t off, void *buf, size_t len, bool zero_fill, Error *err,
                    const char *what);
/* A write to bs's file, through its fault injection. */
int bdrv_pwrite_full(BlockDriverState *bs, uint64_t off, const void *buf, size_t len, Error *err,
                     const char *what);
/* A write to a file that is not (yet) an open image (qcow2 create). */
int bdrv_pwrite_fd(int fd, uint64_t off, const void *buf, size_t len, Error *err,
                   const char *what);
int bdrv_sync(BlockDriverState *bs, Error *err);

#endif

#include "block/snapshot-dump.h"

#include <inttypes.h>
#include <stdio.h>
#include <time.h>

#include "util/size.h"

void bdrv_snapshot_clock_str(uint64_t ns, char *buf, size_t len)
{
    uint64_t secs = ns / 1000000000ull;
    snprintf(buf, len, "%02d:%02d:%02d.%03d", (int)(secs / 3600), (int)((secs / 60) % 60),
             (int)(secs % 60), (int)((ns / 1000000) % 1000));
}

/* QEMU 5.2's column widths: the header's ID column is one wider than the
 * rows' because the rows put a space after it. */
void bdrv_snapshot_dump_header(BlockDumpFn *out, void *opaque)
{
    char line[128];
    snprintf(line, sizeof(line), "%-10s%-17s%8s%20s%13s%11s\n", "ID", "TAG", "VM SIZE", "DATE",
             "VM CLOCK", "ICOUNT");
    out(opaque, line);
}

void bdrv_snapshot_dump(const BlockSnapshotInfo *sn, const char *id, BlockDumpFn *out,
                        void *opaque)
{
    char size[32], date[64], clk[64], icount[32] = "";
    size_to_str(sn->vm_state_size, size, sizeof(size));
    time_t tt = (time_t)sn->date_sec;
    struct tm tm;
    localtime_r(&tt, &tm);
    strftime(date, sizeof(date), "%Y-%m-%d %H:%M:%S", &tm);
    bdrv_snapshot_clock_str(sn->vm_clock_nsec, clk, sizeof(clk));
    if (sn->icount != BLOCK_ICOUNT_NONE) {
        snprintf(icount, sizeof(icount), "%" PRId64, (int64_t)sn->icount);
    }
    char line[1024];
    snprintf(line, sizeof(line), "%-9s %-16s %8s%20s%13s%11s\n", id ? id : sn->id, sn->name,
             size, date, clk, icount);
    out(opaque, line);
}

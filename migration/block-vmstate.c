/* A snapshot's VM state area (block/, read and written by offset) as a
 * QEMUFile stream for the section engine: the adapter between the block
 * layer, which knows no streams, and savevm/loadvm. */
#include "migration/block-vmstate.h"

#include <stdlib.h>

typedef struct BlockVmstateFile {
    BlockVmstate *vm;
    uint64_t pos;                /* stream position = offset in the state */
} BlockVmstateFile;

static int vm_file_writev(void *opaque, const struct iovec *iov, int iovcnt, Error *err)
{
    BlockVmstateFile *vf = opaque;
    for (int i = 0; i < iovcnt; i++) {
        int ret = bdrv_vmstate_pwrite(vf->vm, vf->pos, iov[i].iov_base, iov[i].iov_len, err);
        if (ret < 0) {
            return ret;
        }
        vf->pos += iov[i].iov_len;
    }
    return 0;
}

static ssize_t vm_file_read(void *opaque, uint8_t *buf, size_t len, Error *err)
{
    BlockVmstateFile *vf = opaque;
    int64_t n = bdrv_vmstate_pread(vf->vm, vf->pos, buf, len, err);
    if (n > 0) {
        vf->pos += (uint64_t)n;
    }
    return (ssize_t)n;
}

/* Closing the file leaves vm open: the caller commits it with
 * bdrv_snapshot_create() or drops it with bdrv_vmstate_close(). */
static int vm_file_close(void *opaque, Error *err)
{
    (void)err;
    free(opaque);
    return 0;
}

static const IOChannelOps vm_file_write_ops = {
    .writev = vm_file_writev,
    .close = vm_file_close,
};

static const IOChannelOps vm_file_read_ops = {
    .read = vm_file_read,
    .close = vm_file_close,
};

QEMUFile *block_vmstate_open_file(BlockVmstate *vm, bool writable)
{
    BlockVmstateFile *vf = calloc(1, sizeof(*vf));
    if (!vf) {
        return NULL;
    }
    vf->vm = vm;
    QEMUFile *f = qemu_file_new(writable ? &vm_file_write_ops : &vm_file_read_ops, vf,
                                writable);
    if (!f) {
        free(vf);
    }
    return f;
}

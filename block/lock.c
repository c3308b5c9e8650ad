/* Image locking between processes, with QEMU's byte-range protocol
 * (file-posix), so Amber and QEMU (qemu-system-*, qemu-img, qemu-io)
 * exclude each other as two QEMUs do.
 *
 * Each permission i (consistent read 0, write 1, write-unchanged 2,
 * resize 3, graph-mod 4) has two bytes of the image file: 100 + i is
 * read-locked by every open that holds permission i, 200 + i by every open
 * that does not let others hold it. Locks are open-file-description locks
 * (F_OFD_*): they belong to the fd, vanish when it is closed (or the
 * process dies) and never conflict with locks of the same fd. Taking a
 * permission means: no other fd locks "does not share" for it; unsharing
 * one means: no other fd locks "holds" for it. */
#include "block/block.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>

#define LOCK_PERM_BASE   100
#define LOCK_SHARED_BASE 200
#define LOCK_PERM_COUNT  5

static const char *const lock_perm_names[LOCK_PERM_COUNT] = {
    "consistent read", "write", "write unchanged", "resize", "change children",
};

enum { PERM_CONSISTENT_READ = 1, PERM_WRITE = 2, PERM_WRITE_UNCHANGED = 4, PERM_RESIZE = 8 };

static int lock_byte(int fd, off_t off, short type)
{
    struct flock fl = { .l_type = type, .l_whence = SEEK_SET, .l_start = off, .l_len = 1 };
    return fcntl(fd, F_OFD_SETLK, &fl) == 0 ? 0 : -errno;
}

/* True when another fd holds a lock on the byte. */
static bool lock_byte_taken(int fd, off_t off)
{
    struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = off, .l_len = 1 };
    return fcntl(fd, F_OFD_GETLK, &fl) == 0 && fl.l_type != F_UNLCK;
}

void bdrv_unlock(BlockDriverState *bs)
{
    if (bs->fd < 0) {
        return;
    }
    struct flock fl = { .l_type = F_UNLCK, .l_whence = SEEK_SET, .l_start = LOCK_PERM_BASE,
                        .l_len = LOCK_SHARED_BASE + LOCK_PERM_COUNT - LOCK_PERM_BASE };
    fcntl(bs->fd, F_OFD_SETLK, &fl);
}

int bdrv_lock(BlockDriverState *bs, bool write, Error *err)
{
    if (bs->fd < 0) {
        return 0;                /* an overlay: its image is locked by its own state */
    }
    /* What a guest disk holds and refuses to share, as QEMU's defaults:
     * a writer holds read, write and write-unchanged; every guest disk
     * refuses to share write and resize. */
    unsigned perm = PERM_CONSISTENT_READ | (write ? PERM_WRITE | PERM_WRITE_UNCHANGED : 0);
    unsigned unshared = PERM_WRITE | PERM_RESIZE;
    for (int i = 0; i < LOCK_PERM_COUNT; i++) {
        int r = 0;
        if (perm & (1u << i)) {
            r = lock_byte(bs->fd, LOCK_PERM_BASE + i, F_RDLCK);
        }
        if (r == 0 && (unshared & (1u << i))) {
            r = lock_byte(bs->fd, LOCK_SHARED_BASE + i, F_RDLCK);
        }
        if (r == -EOPNOTSUPP || r == -ENOLCK || r == -EINVAL) {
            bdrv_unlock(bs);
            return 0;            /* a file system without locks: as QEMU, go on */
        }
        if (r < 0) {
            bdrv_unlock(bs);
            error_setf(err, "Failed to lock byte %d of '%s': %s", LOCK_PERM_BASE + i,
                       bs->filename, strerror(-r));
            return r;
        }
    }
    for (int i = 0; i < LOCK_PERM_COUNT; i++) {
        const char *why = NULL;
        if ((perm & (1u << i)) && lock_byte_taken(bs->fd, LOCK_SHARED_BASE + i)) {
            why = "Failed to get \"%s\" lock";
        } else if ((unshared & (1u << i)) && lock_byte_taken(bs->fd, LOCK_PERM_BASE + i)) {
            why = "Failed to get shared \"%s\" lock";
        }
        if (why) {
            bdrv_unlock(bs);
            char first[64];
            snprintf(first, sizeof(first), why, lock_perm_names[i]);
            error_setf(err, "%s; is another process using the image [%s]?", first,
                       bs->filename);
            return -EAGAIN;
        }
    }
    return 0;
}

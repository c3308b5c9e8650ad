/* qcow2 through the block API: reads and writes against a byte model,
 * copy-on-write after snapshots, goto/delete, VM state, cluster sizes,
 * v2, corrupt/dirty bits, unknown extensions, ENOSPC and SIGKILL at every
 * write of snapshot create/delete. qemu-img (Debian qemu-utils) is the
 * judge of every image; without it those checks are skipped, said so. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "block/block.h"
#include "block/qcow2.h"
#include "savevm/qemu-file.h"
#include "migration/block-vmstate.h"
#include "tests/unit/unit.h"

static char dir[64];
static bool have_qemu_img;

static void path(char *buf, size_t len, const char *name)
{
    snprintf(buf, len, "%s/%s", dir, name);
}

/* Runs a shell command quietly; returns its exit status (-1 on signal). */
static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int sh(const char *fmt, ...)
{
    char cmd[1024], full[1200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof(cmd), fmt, ap);
    va_end(ap);
    snprintf(full, sizeof(full), "cd %s && (%s) >/dev/null 2>&1", dir, cmd);
    int st = system(full);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static int qemu_check(const char *name)
{
    int rc = have_qemu_img ? sh("qemu-img check %s", name) : 0;
    if (rc != 0 && rc != 3) {
        char cmd[256];
        snprintf(cmd, sizeof(cmd), "cd %s && qemu-img check %s >&2", dir, name);
        if (system(cmd) < 0) {
            perror("system");
        }
    }
    return rc;
}

static BlockDriverState *open_img(const char *name, int flags)
{
    char p[128];
    Error err;
    error_init(&err);
    path(p, sizeof(p), name);
    BlockDriverState *bs = bdrv_open(p, NULL, flags | BDRV_O_NO_FLUSH, &err);
    if (!bs) {
        fprintf(stderr, "open %s: %s\n", name, err.msg);
    }
    return bs;
}

static void create_img(const char *name, uint64_t size, unsigned cb, int version)
{
    char p[128];
    Error err;
    error_init(&err);
    path(p, sizeof(p), name);
    BlockCreateOptions o = { .format = "qcow2", .size = size, .cluster_bits = cb,
                             .version = version };
    CU_ASSERT_EQUAL_FATAL(bdrv_create(p, &o, &err), 0);
}

static uint32_t rng = 12345;
static uint32_t rnd(void)
{
    rng = rng * 1103515245 + 12345;
    return rng >> 8;
}

static void fill(uint8_t *b, size_t n, uint8_t seed)
{
    for (size_t i = 0; i < n; i++) {
        b[i] = (uint8_t)(seed + i * 7 + (i >> 9));
    }
}

static bool same_as(BlockDriverState *bs, const uint8_t *model, uint64_t size)
{
    uint8_t *buf = malloc(size);
    Error err;
    error_init(&err);
    bool ok = buf && bdrv_pread(bs, 0, buf, size, &err) == 0 && memcmp(buf, model, size) == 0;
    free(buf);
    return ok;
}

static void random_writes(BlockDriverState *bs, uint8_t *model, uint64_t size, int n)
{
    uint8_t buf[70000];
    Error err;
    error_init(&err);
    for (int i = 0; i < n; i++) {
        uint64_t len = 1 + rnd() % sizeof(buf);
        uint64_t off = rnd() % (size - len);
        fill(buf, len, (uint8_t)rnd());
        CU_ASSERT_EQUAL(bdrv_pwrite(bs, off, buf, len, &err), 0);
        memcpy(model + off, buf, len);
    }
}

static bool file_equals(const char *name, const uint8_t *model, uint64_t size)
{
    char p[128];
    path(p, sizeof(p), name);
    FILE *f = fopen(p, "rb");
    uint8_t *buf = malloc(size + 1);
    bool ok = f && buf && fread(buf, 1, size + 1, f) == size && memcmp(buf, model, size) == 0;
    if (f) {
        fclose(f);
    }
    free(buf);
    return ok;
}

static void snap(BlockDriverState *bs, const char *name, BlockVmstate *vm)
{
    BlockSnapshotInfo sn;
    memset(&sn, 0, sizeof(sn));
    snprintf(sn.name, sizeof(sn.name), "%s", name);
    sn.date_sec = 1700000000;
    sn.vm_clock_nsec = 5918000000ull;
    sn.icount = BLOCK_ICOUNT_NONE;
    Error err;
    error_init(&err);
    int ret = bdrv_snapshot_create(bs, &sn, vm, &err);
    if (ret < 0) {
        fprintf(stderr, "snapshot %s: %s\n", name, err.msg);
    }
    CU_ASSERT_EQUAL(ret, 0);
}

/* Writes, snapshot, overwrite (COW), goto, delete, for one cluster size. */
static void cow_cycle(unsigned cb, int version)
{
    const uint64_t size = 4 << 20;
    uint8_t *m0 = calloc(1, size), *m1 = malloc(size);
    create_img("cow.qcow2", size, cb, version);
    BlockDriverState *bs = open_img("cow.qcow2", BDRV_O_RDWR);
    CU_ASSERT_PTR_NOT_NULL_FATAL(bs);
    random_writes(bs, m0, size, 40);
    CU_ASSERT_TRUE(same_as(bs, m0, size));
    snap(bs, "s1", NULL);
    memcpy(m1, m0, size);
    random_writes(bs, m1, size, 40);
    CU_ASSERT_TRUE(same_as(bs, m1, size));
    bdrv_close(bs);
    CU_ASSERT_EQUAL(qemu_check("cow.qcow2"), 0);
    if (have_qemu_img) {
        CU_ASSERT_EQUAL(sh("qemu-img convert -O raw -l snapshot.name=s1 cow.qcow2 s1.raw"), 0);
        CU_ASSERT_TRUE(file_equals("s1.raw", m0, size));
        CU_ASSERT_EQUAL(sh("qemu-img convert -O raw cow.qcow2 a.raw"), 0);
        CU_ASSERT_TRUE(file_equals("a.raw", m1, size));
    }
    bs = open_img("cow.qcow2", BDRV_O_RDWR);
    CU_ASSERT_PTR_NOT_NULL_FATAL(bs);
    Error err;
    error_init(&err);
    snap(bs, "s2", NULL);
    CU_ASSERT_EQUAL(bdrv_snapshot_goto(bs, "s1", &err), 0);
    CU_ASSERT_TRUE(same_as(bs, m0, size));
    random_writes(bs, m0, size, 10);
    CU_ASSERT_TRUE(same_as(bs, m0, size));
    CU_ASSERT_EQUAL(bdrv_snapshot_goto(bs, "2", &err), 0);     /* by id */
    CU_ASSERT_TRUE(same_as(bs, m1, size));
    CU_ASSERT_EQUAL(bdrv_snapshot_delete(bs, "s1", &err), 0);
    CU_ASSERT_EQUAL(bdrv_snapshot_delete(bs, "s1", &err), -ENOENT);
    CU_ASSERT_EQUAL(bdrv_snapshot_delete(bs, "s2", &err), 0);
    CU_ASSERT_TRUE(same_as(bs, m1, size));
    bdrv_close(bs);
    CU_ASSERT_EQUAL(qemu_check("cow.qcow2"), 0);
    free(m0);
    free(m1);
}

static void test_cow_64k(void) { cow_cycle(16, 3); }
static void test_cow_512(void) { cow_cycle(9, 3); }
static void test_cow_2m(void) { cow_cycle(21, 3); }
static void test_cow_v2(void) { cow_cycle(12, 2); }

static void test_create_matches_qemu(void)
{
    create_img("c.qcow2", 100 << 20, 16, 3);
    if (!have_qemu_img) {
        return;
    }
    CU_ASSERT_EQUAL(sh("qemu-img create -f qcow2 q.qcow2 100M && cmp c.qcow2 q.qcow2"), 0);
    create_img("c2.qcow2", 1 << 30, 9, 3);
    CU_ASSERT_EQUAL(qemu_check("c2.qcow2"), 0);
    create_img("c3.qcow2", 1 << 20, 16, 2);
    CU_ASSERT_EQUAL(sh("qemu-img create -f qcow2 -o compat=0.10 q3.qcow2 1M && "
                       "cmp c3.qcow2 q3.qcow2"), 0);
}

/* VM state round trip, and QEMU's view of where it lives. */
static void test_vmstate(void)
{
    const uint64_t size = 100 << 20, vmsize = 3 * 65536 + 1000;
    uint8_t *state = calloc(1, vmsize);
    fill(state, 70000, 3);                       /* then zeros, then a tail */
    fill(state + vmsize - 5000, 5000, 9);
    create_img("vm.qcow2", size, 16, 3);
    BlockDriverState *bs = open_img("vm.qcow2", BDRV_O_RDWR);
    CU_ASSERT_PTR_NOT_NULL_FATAL(bs);
    Error err;
    error_init(&err);
    BlockVmstate *vm = bdrv_vmstate_writer_open(bs, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(vm);
    for (uint64_t off = 0; off < vmsize; off += 4000) {
        uint64_t n = vmsize - off < 4000 ? vmsize - off : 4000;
        CU_ASSERT_EQUAL(bdrv_vmstate_pwrite(vm, off, state + off, n, &err), 0);
    }
    snap(bs, "vm1", vm);
    uint8_t *back = malloc(vmsize + 100);
    vm = bdrv_vmstate_reader_open(bs, "vm1", &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(vm);
    CU_ASSERT_EQUAL(bdrv_vmstate_size(vm), vmsize);
    CU_ASSERT_EQUAL(bdrv_vmstate_pread(vm, 0, back, vmsize + 100, &err), (int64_t)vmsize);
    CU_ASSERT_EQUAL(memcmp(back, state, vmsize), 0);
    bdrv_vmstate_close(vm);
    /* an abandoned writer leaves nothing behind */
    vm = bdrv_vmstate_writer_open(bs, &err);
    CU_ASSERT_EQUAL(bdrv_vmstate_pwrite(vm, 0, state, vmsize, &err), 0);
    bdrv_vmstate_close(vm);
    bdrv_close(bs);
    CU_ASSERT_EQUAL(qemu_check("vm.qcow2"), 0);
    if (have_qemu_img) {
        CU_ASSERT_EQUAL(sh("TZ=UTC qemu-img snapshot -l vm.qcow2 | grep -q "
                           "'^1         vm1               193 KiB 2023-11-14 22:13:20 "
                           "00:00:05.918           $'"), 0);
        /* QEMU reads the state at vm_state_offset (512 MiB) through the
         * snapshot: apply it on a copy, extend the size over it, dd it out. */
        CU_ASSERT_EQUAL(sh("cp vm.qcow2 t.qcow2 && qemu-img snapshot -a vm1 t.qcow2"), 0);
        char p[128];
        path(p, sizeof(p), "t.qcow2");
        int fd = open(p, O_RDWR);
        uint8_t be[8];
        qcow2_put64(be, (512ull << 20) + ((vmsize + 511) & ~511ull));
        CU_ASSERT_EQUAL(pwrite(fd, be, 8, 24), 8);
        close(fd);
        CU_ASSERT_EQUAL(sh("qemu-img dd -f qcow2 -O raw if=t.qcow2 of=vm.bin bs=512 skip=%llu",
                           (512ull << 20) / 512), 0);
        path(p, sizeof(p), "vm.bin");
        FILE *f = fopen(p, "rb");
        CU_ASSERT_PTR_NOT_NULL_FATAL(f);
        CU_ASSERT_EQUAL(fread(back, 1, vmsize, f), vmsize);
        fclose(f);
        CU_ASSERT_EQUAL(memcmp(back, state, vmsize), 0);
    }
    free(back);
    free(state);
}

/* The VM state as a QEMUFile stream, the way savevm/loadvm use it. */
static void test_vmstate_qemufile(void)
{
    create_img("qf.qcow2", 8 << 20, 12, 3);
    BlockDriverState *bs = open_img("qf.qcow2", BDRV_O_RDWR);
    CU_ASSERT_PTR_NOT_NULL_FATAL(bs);
    Error err;
    error_init(&err);
    BlockVmstate *vm = bdrv_vmstate_writer_open(bs, &err);
    QEMUFile *f = block_vmstate_open_file(vm, true);
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    static uint8_t page[4096];
    fill(page, sizeof(page), 77);
    qemu_file_put_be32(f, 0x5145564d);   /* "QEVM" */
    qemu_file_put_be32(f, 3);
    for (int i = 0; i < 100; i++) {
        qemu_file_put_be64(f, (uint64_t)i);
        qemu_file_put_buffer(f, page, sizeof(page));
    }
    uint64_t total = qemu_file_tell(f);
    CU_ASSERT_EQUAL(qemu_file_close(f, &err), 0);
    CU_ASSERT_EQUAL(bdrv_vmstate_size(vm), total);
    snap(bs, "qf", vm);
    vm = bdrv_vmstate_reader_open(bs, "qf", &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(vm);
    f = block_vmstate_open_file(vm, false);
    CU_ASSERT_EQUAL(qemu_file_get_be32(f), 0x5145564d);
    CU_ASSERT_EQUAL(qemu_file_get_be32(f), 3);
    static uint8_t back[4096];
    bool same = true;
    for (int i = 0; i < 100; i++) {
        same &= qemu_file_get_be64(f) == (uint64_t)i;
        same &= qemu_file_get_buffer(f, back, sizeof(back)) == sizeof(back) &&
                memcmp(back, page, sizeof(page)) == 0;
    }
    CU_ASSERT_TRUE(same);
    CU_ASSERT_EQUAL(qemu_file_get_error(f), 0);
    qemu_file_get_u8(f);                 /* past the end: truncated */
    CU_ASSERT_TRUE(qemu_file_is_truncated(f));
    qemu_file_close(f, &err);
    bdrv_vmstate_close(vm);
    bdrv_close(bs);
    CU_ASSERT_EQUAL(qemu_check("qf.qcow2"), 0);
}

/* A snapshot QEMU made and applied is usable, and QEMU reads ours. */
static void test_qemu_interop(void)
{
    if (!have_qemu_img) {
        return;
    }
    CU_ASSERT_EQUAL(sh("qemu-img create -f qcow2 -o cluster_size=4k q.qcow2 8M && "
                       "qemu-io -c 'write -P 0x11 0 1M' -c 'write -z 2M 64k' q.qcow2 && "
                       "qemu-img snapshot -c q1 q.qcow2 && "
                       "qemu-io -c 'write -P 0x22 512k 1M' q.qcow2"), 0);
    BlockDriverState *bs = open_img("q.qcow2", BDRV_O_RDWR);
    CU_ASSERT_PTR_NOT_NULL_FATAL(bs);
    uint8_t buf[4096];
    Error err;
    error_init(&err);
    CU_ASSERT_EQUAL(bdrv_pread(bs, 1280 << 10, buf, sizeof(buf), &err), 0);
    CU_ASSERT_EQUAL(buf[0], 0x22);
    CU_ASSERT_EQUAL(bdrv_snapshot_goto(bs, "q1", &err), 0);
    CU_ASSERT_EQUAL(bdrv_pread(bs, 1280 << 10, buf, sizeof(buf), &err), 0);
    CU_ASSERT_EQUAL(buf[0], 0);
    CU_ASSERT_EQUAL(bdrv_pread(bs, 512 << 10, buf, sizeof(buf), &err), 0);
    CU_ASSERT_EQUAL(buf[100], 0x11);
    memset(buf, 0x33, sizeof(buf));
    CU_ASSERT_EQUAL(bdrv_pwrite(bs, 100, buf, sizeof(buf), &err), 0);
    bdrv_close(bs);
    CU_ASSERT_EQUAL(qemu_check("q.qcow2"), 0);
    CU_ASSERT_EQUAL(sh("qemu-io -c 'read -P 0x33 100 4096' -c 'read -P 0x11 8192 4096' "
                       "q.qcow2 | grep -q 'read 4096/4096'"), 0);
    CU_ASSERT_EQUAL(sh("qemu-img snapshot -d q1 q.qcow2 && qemu-img check q.qcow2"), 0);
}

static void patch_header(const char *name, unsigned off, uint64_t v)
{
    char p[128];
    uint8_t be[8];
    path(p, sizeof(p), name);
    int fd = open(p, O_RDWR);
    qcow2_put64(be, v);
    CU_ASSERT_EQUAL(pwrite(fd, be, 8, off), 8);
    close(fd);
}

static void test_corrupt_and_dirty(void)
{
    create_img("k.qcow2", 1 << 20, 16, 3);
    patch_header("k.qcow2", QCOW2_HDR_INCOMPAT, QCOW2_INCOMPAT_CORRUPT);
    char p[128];
    path(p, sizeof(p), "k.qcow2");
    Error err;
    error_init(&err);
    CU_ASSERT_PTR_NULL(bdrv_open(p, "qcow2", BDRV_O_RDWR, &err));
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "Image is corrupt; cannot be opened read/write"));
    BlockDriverState *bs = open_img("k.qcow2", 0);
    CU_ASSERT_PTR_NOT_NULL(bs);
    bdrv_close(bs);
    /* unknown incompatible feature: refused */
    patch_header("k.qcow2", QCOW2_HDR_INCOMPAT, 1ull << 20);
    error_init(&err);
    CU_ASSERT_PTR_NULL(bdrv_open(p, "qcow2", 0, &err));
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "Unsupported qcow2 feature"));
    /* dirty with a leaked cluster: repaired on read-write open */
    create_img("d.qcow2", 1 << 20, 16, 3);
    bs = open_img("d.qcow2", BDRV_O_RDWR);
    Qcow2State *s = bs->opaque;
    CU_ASSERT_EQUAL(qcow2_update_refcount(s, 3 << 16, 1 << 16, 1, &err), 0);
    bdrv_close(bs);
    CU_ASSERT_EQUAL(qemu_check("d.qcow2"), have_qemu_img ? 3 : 0);
    patch_header("d.qcow2", QCOW2_HDR_INCOMPAT, QCOW2_INCOMPAT_DIRTY);
    bs = open_img("d.qcow2", BDRV_O_RDWR);
    CU_ASSERT_PTR_NOT_NULL_FATAL(bs);
    s = bs->opaque;
    CU_ASSERT_EQUAL(s->incompat, 0);
    bdrv_close(bs);
    CU_ASSERT_EQUAL(qemu_check("d.qcow2"), 0);
}

/* An unknown extension and autoclear bit: the rewrite on read-write open
 * clears the bit and keeps the extension. */
static void test_unknown_extension(void)
{
    create_img("e.qcow2", 1 << 20, 12, 3);     /* 4K: no feature table */
    char p[128];
    path(p, sizeof(p), "e.qcow2");
    int fd = open(p, O_RDWR);
    uint8_t ext[16] = { 0x12, 0x34, 0x56, 0x78, 0, 0, 0, 5, 'h', 'e', 'l', 'l', 'o' };
    CU_ASSERT_EQUAL(pwrite(fd, ext, sizeof(ext), 112), (ssize_t)sizeof(ext));
    close(fd);
    patch_header("e.qcow2", 88, 0x80);
    BlockDriverState *bs = open_img("e.qcow2", BDRV_O_RDWR);
    CU_ASSERT_PTR_NOT_NULL_FATAL(bs);
    Qcow2State *s = bs->opaque;
    CU_ASSERT_EQUAL(s->nr_exts, 1);
    bdrv_close(bs);
    bs = open_img("e.qcow2", 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(bs);
    s = bs->opaque;
    CU_ASSERT_EQUAL(s->autoclear, 0);
    CU_ASSERT_EQUAL_FATAL(s->nr_exts, 1);
    CU_ASSERT_EQUAL(s->exts[0].type, 0x12345678u);
    CU_ASSERT_EQUAL(s->exts[0].len, 5);
    CU_ASSERT_EQUAL(memcmp(s->exts[0].data, "hello", 5), 0);
    bdrv_close(bs);
    CU_ASSERT_EQUAL(qemu_check("e.qcow2"), 0);
}

/* ENOSPC at every write of a snapshot with VM state: an error, and the
 * image stays consistent with its data intact. */
static void test_enospc(void)
{
    const uint64_t size = 1 << 20;
    uint8_t *model = calloc(1, size), state[20000];
    fill(state, sizeof(state), 5);
    create_img("n.qcow2", size, 12, 3);
    BlockDriverState *bs = open_img("n.qcow2", BDRV_O_RDWR);
    random_writes(bs, model, size, 10);
    bdrv_close(bs);
    int failures = 0;
    for (int n = 1; n < 200; n++) {
        bs = open_img("n.qcow2", BDRV_O_RDWR);
        CU_ASSERT_PTR_NOT_NULL_FATAL(bs);
        Error err;
        error_init(&err);
        bdrv_fault_configure(bs, NULL);
        BlockVmstate *vm = bdrv_vmstate_writer_open(bs, &err);
        char spec[32];
        snprintf(spec, sizeof(spec), "enospc:%d", n);
        bdrv_fault_configure(bs, spec);
        int ret = bdrv_vmstate_pwrite(vm, 0, state, sizeof(state), &err);
        BlockSnapshotInfo sn;
        memset(&sn, 0, sizeof(sn));
        snprintf(sn.name, sizeof(sn.name), "x");
        if (ret == 0) {
            ret = bdrv_snapshot_create(bs, &sn, vm, &err);
        } else {
            bdrv_vmstate_close(vm);
        }
        bdrv_fault_configure(bs, NULL);
        if (ret == 0) {
            bdrv_close(bs);
            break;               /* no write failed any more */
        }
        failures++;
        CU_ASSERT_TRUE(same_as(bs, model, size));
        bdrv_close(bs);
        int rc = qemu_check("n.qcow2");
        CU_ASSERT_TRUE(rc == 0 || rc == 3);
        if (rc == 3) {
            CU_ASSERT_EQUAL(sh("qemu-img check -r leaks n.qcow2"), 0);
        }
    }
    printf("(%d failing points) ", failures);
    CU_ASSERT_TRUE(failures > 5);
    free(model);
}

/* SIGKILL before each write of snapshot create, goto and delete: check
 * must find no corruption, and the disk must read back as before. */
static void crash_op(const char *op)
{
    const uint64_t size = 2 << 20;
    uint8_t *model = calloc(1, size), *m2;
    create_img("k.qcow2", size, 12, 3);
    BlockDriverState *bs = open_img("k.qcow2", BDRV_O_RDWR);
    random_writes(bs, model, size, 20);
    snap(bs, "base", NULL);
    m2 = malloc(size);
    memcpy(m2, model, size);
    random_writes(bs, m2, size, 20);     /* active differs from "base" */
    bdrv_close(bs);
    int kills = 0;
    for (int n = 1; n < 400; n++) {
        CU_ASSERT_EQUAL(sh("cp k.qcow2 kc.qcow2"), 0);
        pid_t pid = fork();
        if (pid == 0) {
            BlockDriverState *c = open_img("kc.qcow2", BDRV_O_RDWR);
            char spec[32];
            snprintf(spec, sizeof(spec), "kill:%d", n);
            bdrv_fault_configure(c, spec);
            Error err;
            error_init(&err);
            BlockSnapshotInfo sn;
            memset(&sn, 0, sizeof(sn));
            snprintf(sn.name, sizeof(sn.name), "new");
            if (!strcmp(op, "create")) {
                BlockVmstate *vm = bdrv_vmstate_writer_open(c, &err);
                bdrv_vmstate_pwrite(vm, 0, model, 30000, &err);
                bdrv_snapshot_create(c, &sn, vm, &err);
            } else if (!strcmp(op, "goto")) {
                bdrv_snapshot_goto(c, "base", &err);
            } else {
                bdrv_snapshot_delete(c, "base", &err);
            }
            bdrv_close(c);
            _exit(0);
        }
        int st;
        waitpid(pid, &st, 0);
        if (!WIFSIGNALED(st)) {
            break;
        }
        kills++;
        int rc = qemu_check("kc.qcow2");
        if (rc != 0 && rc != 3) {
            fprintf(stderr, "%s: kill before write %d: qemu-img check exit %d\n", op, n, rc);
        }
        CU_ASSERT_TRUE(rc == 0 || rc == 3);
        bs = open_img("kc.qcow2", 0);
        CU_ASSERT_PTR_NOT_NULL_FATAL(bs);
        /* the active disk is the old one or (goto) the snapshot's */
        CU_ASSERT_TRUE(same_as(bs, m2, size) || (!strcmp(op, "goto") && same_as(bs, model, size)));
        bdrv_close(bs);
    }
    printf("(%s: killed at %d points) ", op, kills);
    CU_ASSERT_TRUE(kills > 3);
    free(model);
    free(m2);
}

static void test_crash_create(void) { crash_op("create"); }
static void test_crash_goto(void) { crash_op("goto"); }
static void test_crash_delete(void) { crash_op("delete"); }

/* The image-file operations of one run, in order (BlockFault.trace). */
static struct {
    int n;
    const char *what[4096];
} ops;
static void record_op(void *opaque, const char *what, uint64_t off, uint64_t len)
{
    (void)opaque, (void)off, (void)len;
    if (ops.n < (int)(sizeof(ops.what) / sizeof(ops.what[0]))) {
        ops.what[ops.n++] = what;
    }
}

/* A process killed after a refcount block is written but before the L2
 * table that points at the new clusters leaks them. That window must not
 * hold the write-back of all the data written since the last flush (64
 * MiB of a guest's dd took 60 ms of fdatasync there): data is synced
 * first, so every refcount block write follows a sync after the last data
 * write. */
static void test_refcount_window(void)
{
    create_img("win.qcow2", 64 << 20, 16, 3);
    BlockDriverState *bs = open_img("win.qcow2", BDRV_O_RDWR);
    CU_ASSERT_PTR_NOT_NULL_FATAL(bs);
    ops.n = 0;
    bs->fault.trace = record_op;
    size_t len = 4 << 20;
    uint8_t *buf = malloc(len);
    CU_ASSERT_PTR_NOT_NULL_FATAL(buf);
    fill(buf, len, 5);
    Error err;
    error_init(&err);
    /* Two rounds: the second allocates into existing tables. */
    for (int round = 0; round < 2; round++) {
        CU_ASSERT_EQUAL(bdrv_pwrite(bs, (uint64_t)round * len * 2, buf, len, &err), 0);
        CU_ASSERT_EQUAL(bdrv_flush(bs, &err), 0);
    }
    bs->fault.trace = NULL;
    int rb = 0, l2 = 0, bad = 0;
    bool unsynced = false;
    for (int i = 0; i < ops.n; i++) {
        if (!strcmp(ops.what[i], "data cluster")) {
            unsynced = true;
        } else if (!strcmp(ops.what[i], "sync")) {
            unsynced = false;
        } else if (!strcmp(ops.what[i], "refcount block")) {
            rb++;
            bad += unsynced;
        } else if (!strcmp(ops.what[i], "L2 table")) {
            l2++;
        }
    }
    CU_ASSERT(rb >= 2 && l2 >= 2);
    CU_ASSERT_EQUAL(bad, 0);
    if (bad) {
        fprintf(stderr, "%d of %d refcount block writes came with unsynced data before them\n",
                bad, rb);
    }
    bdrv_close(bs);
    free(buf);
    CU_ASSERT_EQUAL(qemu_check("win.qcow2"), 0);
}

static void test_bad_images(void)
{
    char p[128];
    path(p, sizeof(p), "bad.qcow2");
    Error err;
    create_img("bad.qcow2", 1 << 20, 16, 3);
    patch_header("bad.qcow2", 16, 17ull << 32);        /* cluster_bits 17 ok; 0x11 */
    patch_header("bad.qcow2", 16, 30ull);               /* cluster_bits 30 */
    error_init(&err);
    CU_ASSERT_PTR_NULL(bdrv_open(p, "qcow2", 0, &err));
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "Unsupported cluster size"));
    create_img("bad.qcow2", 1 << 20, 16, 3);
    patch_header("bad.qcow2", 40, 0x12345);             /* unaligned L1 */
    error_init(&err);
    CU_ASSERT_PTR_NULL(bdrv_open(p, "qcow2", 0, &err));
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "Active L1 table offset invalid"));
    create_img("bad.qcow2", 1 << 20, 16, 3);
    patch_header("bad.qcow2", 0, 0x514649fb00000007ull);
    error_init(&err);
    CU_ASSERT_PTR_NULL(bdrv_open(p, "qcow2", 0, &err));
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "Unsupported qcow2 version 7"));
}

/* Damaged images (random bytes overwritten in the metadata area) must give
 * errors, never crashes or hangs: open, read everything, check, write,
 * snapshot operations. */
static void test_damaged_images(void)
{
    const uint64_t size = 1 << 20;
    uint8_t *model = calloc(1, size), state[3000];
    fill(state, sizeof(state), 1);
    create_img("f.qcow2", size, 9, 3);
    BlockDriverState *bs = open_img("f.qcow2", BDRV_O_RDWR);
    random_writes(bs, model, size, 8);
    snap(bs, "a", NULL);
    random_writes(bs, model, size, 4);
    Error err;
    error_init(&err);
    BlockVmstate *vm = bdrv_vmstate_writer_open(bs, &err);
    bdrv_vmstate_pwrite(vm, 0, state, sizeof(state), &err);
    snap(bs, "b", vm);
    bdrv_close(bs);
    char p[128];
    path(p, sizeof(p), "f.qcow2");
    struct stat st;
    CU_ASSERT_EQUAL_FATAL(stat(p, &st), 0);
    uint8_t *orig = malloc((size_t)st.st_size), *buf = malloc(size);
    FILE *f = fopen(p, "rb");
    CU_ASSERT_EQUAL_FATAL(fread(orig, 1, (size_t)st.st_size, f), (size_t)st.st_size);
    fclose(f);
    int opened = 0;
    for (int iter = 0; iter < 200; iter++) {
        f = fopen(p, "wb");
        fwrite(orig, 1, (size_t)st.st_size, f);
        fclose(f);
        int fd = open(p, O_RDWR);
        for (int k = 0; k < 1 + (int)(rnd() % 4); k++) {
            /* metadata lives mostly in the first clusters and the tables
             * written last: hit both */
            uint64_t at = (rnd() & 1) ? rnd() % 4096 : rnd() % (uint64_t)st.st_size;
            uint8_t v = (uint8_t)rnd();
            CU_ASSERT_EQUAL(pwrite(fd, &v, 1, (off_t)at), 1);
        }
        close(fd);
        error_init(&err);
        bs = bdrv_open(p, NULL, BDRV_O_NO_FLUSH, &err);
        if (bs) {
            BlockCheckResult r;
            opened++;
            bdrv_pread(bs, 0, buf, bdrv_getlength(bs) < size ? bdrv_getlength(bs) : size, &err);
            bdrv_check(bs, &r, 0, &err);
            BlockVmstate *rd = bdrv_vmstate_reader_open(bs, "b", &err);
            if (rd) {
                bdrv_vmstate_pread(rd, 0, buf, 4096, &err);
                bdrv_vmstate_close(rd);
            }
            bdrv_close(bs);
        }
        error_init(&err);
        bs = bdrv_open(p, NULL, BDRV_O_RDWR | BDRV_O_NO_FLUSH, &err);
        if (bs) {
            if (bdrv_getlength(bs) >= 8192) {
                bdrv_pwrite(bs, 4096, state, 3000, &err);
            }
            BlockSnapshotInfo sn;
            memset(&sn, 0, sizeof(sn));
            snprintf(sn.name, sizeof(sn.name), "c");
            bdrv_snapshot_create(bs, &sn, NULL, &err);
            bdrv_snapshot_goto(bs, "a", &err);
            bdrv_snapshot_delete(bs, "b", &err);
            bdrv_close(bs);
        }
    }
    printf("(%d of 200 damaged images opened) ", opened);
    CU_ASSERT_TRUE(opened > 0);
    free(orig);
    free(buf);
    free(model);
}

static const UnitTest tests[] = {
    { "create matches qemu-img", test_create_matches_qemu },
    { "cow 64k", test_cow_64k },
    { "cow 512", test_cow_512 },
    { "cow 2M", test_cow_2m },
    { "cow v2 4k", test_cow_v2 },
    { "vmstate", test_vmstate },
    { "qemu interop", test_qemu_interop },
    { "vmstate as a QEMUFile", test_vmstate_qemufile },
    { "corrupt and dirty bits", test_corrupt_and_dirty },
    { "unknown extension kept", test_unknown_extension },
    { "bad headers", test_bad_images },
    { "enospc during savevm", test_enospc },
    { "sigkill during create", test_crash_create },
    { "sigkill during goto", test_crash_goto },
    { "sigkill during delete", test_crash_delete },
    { "damaged images", test_damaged_images },
    { "refcount write window holds no data write-back", test_refcount_window },
    { NULL, NULL },
};

int main(void)
{
    snprintf(dir, sizeof(dir), "/tmp/amber-qcow2-XXXXXX");
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    have_qemu_img = system("qemu-img --version >/dev/null 2>&1") == 0;
    if (!have_qemu_img) {
        printf("SKIP: qemu-img not installed; images are not cross-checked with QEMU\n");
    }
    if (getenv("KEEP")) { printf("%s\n", dir); }
    int ret = unit_run("qcow2", tests);
    if (getenv("KEEP")) { return ret; }
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    if (system(cmd) != 0) {
        fprintf(stderr, "could not remove %s\n", dir);
    }
    return ret;
}

/* The snapshot=on overlay (block/overlay.c) against a byte model: writes
 * are visible to reads, partial and unaligned writes merge with the
 * image's bytes (chunk boundaries, the short last chunk), the hash table
 * grows without losing chunks, and the image file's bytes never change,
 * raw or qcow2. Then the -drive side: snapshot=on|off parsing, -snapshot,
 * and which drives get an overlay. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "block/block.h"
#include "block/drive.h"
#include "tests/unit/unit.h"

static char dir[64];

/* Disk size not a multiple of the 4 KiB chunk: the last chunk is short. */
#define DISK_SIZE ((1u << 20) + 777)

static void path(char *buf, size_t len, const char *name)
{
    snprintf(buf, len, "%s/%s", dir, name);
}

static uint8_t pattern(uint64_t i)
{
    return (uint8_t)(i * 31 + (i >> 9) + 1);
}

/* Whole file contents, *len set; NULL if unreadable. */
static uint8_t *slurp(const char *p, size_t *len)
{
    FILE *f = fopen(p, "rb");
    if (!f) {
        return NULL;
    }
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *buf = malloc(n > 0 ? (size_t)n : 1);
    if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    *len = (size_t)n;
    return buf;
}

/* A raw image of DISK_SIZE bytes holding pattern(). */
static void make_raw(const char *name)
{
    char p[128];
    path(p, sizeof(p), name);
    FILE *f = fopen(p, "wb");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    for (uint64_t i = 0; i < DISK_SIZE; i++) {
        fputc(pattern(i), f);
    }
    CU_ASSERT_EQUAL(fclose(f), 0);
}

/* The image opened read-only under an overlay. */
static BlockDriverState *open_overlay(const char *name, const char *fmt)
{
    char p[128];
    Error err;
    error_init(&err);
    path(p, sizeof(p), name);
    BlockDriverState *base = bdrv_open(p, fmt, 0, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(base);
    BlockDriverState *bs = bdrv_overlay_new(base, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(bs);
    return bs;
}

static bool read_matches(BlockDriverState *bs, const uint8_t *model, uint64_t off, uint64_t len)
{
    uint8_t *buf = malloc(len ? len : 1);
    Error err;
    error_init(&err);
    bool ok = buf && bdrv_pread(bs, off, buf, len, &err) == 0 &&
              memcmp(buf, model + off, len) == 0;
    if (!ok) {
        fprintf(stderr, "read of %llu bytes at %llu differs from the model: %s\n",
                (unsigned long long)len, (unsigned long long)off, err.msg);
    }
    free(buf);
    return ok;
}

static void write_both(BlockDriverState *bs, uint8_t *model, uint64_t off, const uint8_t *data,
                       uint64_t len)
{
    Error err;
    error_init(&err);
    CU_ASSERT_EQUAL(bdrv_pwrite(bs, off, data, len, &err), 0);
    memcpy(model + off, data, len);
}

static uint8_t *model_of_pattern(void)
{
    uint8_t *m = malloc(DISK_SIZE);
    for (uint64_t i = 0; m && i < DISK_SIZE; i++) {
        m[i] = pattern(i);
    }
    return m;
}

/* The image file is byte for byte what it was before (frees before). */
static void assert_file_unchanged(const char *p, uint8_t *before, size_t before_len)
{
    size_t after_len;
    uint8_t *after = slurp(p, &after_len);
    CU_ASSERT_TRUE(after && after_len == before_len && memcmp(after, before, before_len) == 0);
    free(after);
    free(before);
}

static void test_basic_and_partial(void)
{
    make_raw("a.raw");
    char p[128];
    path(p, sizeof(p), "a.raw");
    size_t before_len;
    uint8_t *before = slurp(p, &before_len);
    CU_ASSERT_PTR_NOT_NULL_FATAL(before);
    uint8_t *model = model_of_pattern();
    CU_ASSERT_PTR_NOT_NULL_FATAL(model);

    BlockDriverState *bs = open_overlay("a.raw", "raw");
    CU_ASSERT_FALSE(bs->read_only);
    CU_ASSERT_TRUE(bdrv_is_overlay(bs));
    CU_ASSERT_TRUE(bdrv_overlay_base(bs)->read_only);
    CU_ASSERT_FALSE(bdrv_can_snapshot(bs));
    CU_ASSERT_EQUAL(bdrv_getlength(bs), DISK_SIZE);
    CU_ASSERT_EQUAL(bdrv_overlay_bytes(bs), 0);
    CU_ASSERT_TRUE(read_matches(bs, model, 0, DISK_SIZE));

    uint8_t data[12000];
    for (size_t i = 0; i < sizeof(data); i++) {
        data[i] = (uint8_t)(0xA5 ^ i);
    }
    /* A whole aligned chunk, then single bytes and short runs inside one. */
    write_both(bs, model, 8192, data, 4096);
    CU_ASSERT_EQUAL(bdrv_overlay_bytes(bs), 4096);
    write_both(bs, model, 100, data + 7, 7);
    write_both(bs, model, 0, data + 1, 1);
    write_both(bs, model, 4095, data + 3, 1);
    CU_ASSERT_EQUAL(bdrv_overlay_bytes(bs), 2 * 4096);   /* chunk 0 once */
    CU_ASSERT_TRUE(read_matches(bs, model, 0, 3 * 4096));
    /* Across a chunk boundary, and three chunks with unaligned ends. */
    write_both(bs, model, 5 * 4096 - 3, data, 6);
    write_both(bs, model, 10 * 4096 + 511, data + 100, 2 * 4096 + 10);
    /* Over a chunk written before: only the covered bytes change. */
    write_both(bs, model, 8192 + 1000, data + 50, 24);
    /* The short last chunk: a partial write, then the disk's last byte. */
    write_both(bs, model, DISK_SIZE - 500, data, 300);
    write_both(bs, model, DISK_SIZE - 1, data + 9, 1);
    CU_ASSERT_TRUE(read_matches(bs, model, DISK_SIZE - 4096 - 777, 4096 + 777));
    /* Reads mixing written and unwritten chunks, at odd offsets. */
    CU_ASSERT_TRUE(read_matches(bs, model, 1, DISK_SIZE - 1));
    CU_ASSERT_TRUE(read_matches(bs, model, 4 * 4096 + 17, 9 * 4096));
    CU_ASSERT_TRUE(read_matches(bs, model, 0, 0));

    /* Beyond the end: refused, nothing kept. */
    Error err;
    error_init(&err);
    uint64_t kept = bdrv_overlay_bytes(bs);
    CU_ASSERT_EQUAL(bdrv_pwrite(bs, DISK_SIZE - 1, data, 2, &err), -EINVAL);
    CU_ASSERT_EQUAL(bdrv_overlay_bytes(bs), kept);

    /* Flush succeeds and the image file is what it was, during and after. */
    error_init(&err);
    CU_ASSERT_EQUAL(bdrv_flush(bs, &err), 0);
    size_t mid_len;
    uint8_t *mid = slurp(p, &mid_len);
    CU_ASSERT_TRUE(mid && mid_len == before_len && memcmp(mid, before, before_len) == 0);
    free(mid);
    bdrv_close(bs);
    size_t after_len;
    uint8_t *after = slurp(p, &after_len);
    CU_ASSERT_TRUE(after && after_len == before_len && memcmp(after, before, before_len) == 0);
    free(after);

    /* A new overlay on the same image starts from the image again. */
    bs = open_overlay("a.raw", "raw");
    uint8_t *fresh = model_of_pattern();
    CU_ASSERT_TRUE(read_matches(bs, fresh, 0, DISK_SIZE));
    bdrv_close(bs);
    free(fresh);
    free(before);
    free(model);
}

/* Many random writes and reads against the model: exercises table growth
 * (thousands of chunks) and every alignment. */
static void test_random(void)
{
    make_raw("r.raw");
    char p[128];
    path(p, sizeof(p), "r.raw");
    size_t before_len;
    uint8_t *before = slurp(p, &before_len);
    uint8_t *model = model_of_pattern();
    CU_ASSERT_PTR_NOT_NULL_FATAL(before);
    CU_ASSERT_PTR_NOT_NULL_FATAL(model);
    BlockDriverState *bs = open_overlay("r.raw", NULL);   /* probed as raw */
    uint8_t data[9000];
    uint64_t x = 0x2545F4914F6CDD1Dull;
    int bad = 0;
    for (int round = 0; round < 3000 && !bad; round++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        uint64_t len = 1 + x % sizeof(data);
        uint64_t off = (x >> 20) % (DISK_SIZE - len + 1);
        if (x & 0x100000000ull) {
            for (uint64_t i = 0; i < len; i++) {
                data[i] = (uint8_t)(x >> (i % 56)) ^ (uint8_t)i;
            }
            write_both(bs, model, off, data, len);
        } else {
            bad += !read_matches(bs, model, off, len);
        }
    }
    CU_ASSERT_EQUAL(bad, 0);
    CU_ASSERT_TRUE(read_matches(bs, model, 0, DISK_SIZE));
    /* The whole disk was covered many times over: every chunk is kept. */
    CU_ASSERT_EQUAL(bdrv_overlay_bytes(bs), (DISK_SIZE + 4095) / 4096 * 4096);
    bdrv_close(bs);
    assert_file_unchanged(p, before, before_len);
    free(model);
}

/* qcow2 underneath: the overlay reads through the format driver; the image
 * (header, tables, data) is byte for byte what it was. */
static void test_qcow2_base(void)
{
    char p[128];
    path(p, sizeof(p), "q.qcow2");
    Error err;
    error_init(&err);
    BlockCreateOptions o = { .format = "qcow2", .size = DISK_SIZE, .cluster_bits = 12 };
    CU_ASSERT_EQUAL_FATAL(bdrv_create(p, &o, &err), 0);
    uint8_t *model = model_of_pattern();
    CU_ASSERT_PTR_NOT_NULL_FATAL(model);
    memset(model + 65536, 0, 3 * 4096);           /* a hole the image never allocated */
    BlockDriverState *rw = bdrv_open(p, "qcow2", BDRV_O_RDWR | BDRV_O_NO_FLUSH, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(rw);
    CU_ASSERT_EQUAL(bdrv_pwrite(rw, 0, model, 65536, &err), 0);
    CU_ASSERT_EQUAL(bdrv_pwrite(rw, 65536 + 3 * 4096, model + 65536 + 3 * 4096,
                                DISK_SIZE - 65536 - 3 * 4096, &err), 0);
    bdrv_close(rw);
    size_t before_len;
    uint8_t *before = slurp(p, &before_len);
    CU_ASSERT_PTR_NOT_NULL_FATAL(before);

    BlockDriverState *bs = open_overlay("q.qcow2", "qcow2");
    CU_ASSERT_STRING_EQUAL(bdrv_format_name(bdrv_overlay_base(bs)), "qcow2");
    uint8_t data[5000];
    memset(data, 0x5A, sizeof(data));
    write_both(bs, model, 65536 + 4000, data, sizeof(data));   /* into the hole */
    write_both(bs, model, 3, data, 10);
    CU_ASSERT_TRUE(read_matches(bs, model, 0, DISK_SIZE));
    error_init(&err);
    CU_ASSERT_EQUAL(bdrv_flush(bs, &err), 0);
    bdrv_close(bs);
    assert_file_unchanged(p, before, before_len);
    free(model);
}

static void test_drive_options(void)
{
    DriveOptions d;
    Error err;
#define ERR (error_init(&err), &err)
    CU_ASSERT_TRUE(drive_parse("file=x.qcow2,snapshot=on", &d, ERR));
    CU_ASSERT_TRUE(d.snapshot && d.snapshot_given && drive_uses_overlay(&d));
    CU_ASSERT_TRUE(drive_parse("file=x.qcow2,snapshot=off", &d, ERR));
    CU_ASSERT_TRUE(!d.snapshot && d.snapshot_given);
    drive_apply_global_snapshot(&d);                /* -snapshot: off stays off */
    CU_ASSERT_FALSE(d.snapshot);
    CU_ASSERT_TRUE(drive_parse("file=x.qcow2", &d, ERR));
    CU_ASSERT_FALSE(d.snapshot);
    drive_apply_global_snapshot(&d);
    CU_ASSERT_TRUE(d.snapshot && drive_uses_overlay(&d));
    /* readonly=on: the guest cannot write, so no overlay is needed. */
    CU_ASSERT_TRUE(drive_parse("file=x.qcow2,snapshot=on,readonly=on", &d, ERR));
    CU_ASSERT_FALSE(drive_uses_overlay(&d));
    CU_ASSERT_FALSE(drive_parse("file=x.qcow2,snapshot=yes", &d, ERR));
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "snapshot expects on or off, got 'yes'"));

    /* drive_open: an overlay named after the drive over a read-only image. */
    make_raw("d.raw");
    char spec[256];
    snprintf(spec, sizeof(spec), "file=%s/d.raw,format=raw,snapshot=on,id=disk7", dir);
    CU_ASSERT_TRUE_FATAL(drive_parse(spec, &d, ERR));
    BlockDriverState *bs = drive_open(&d, false, NULL, ERR);
    CU_ASSERT_PTR_NOT_NULL_FATAL(bs);
    CU_ASSERT_TRUE(bdrv_is_overlay(bs));
    CU_ASSERT_STRING_EQUAL(bs->id, "disk7");
    CU_ASSERT_TRUE(bdrv_overlay_base(bs)->read_only);
    bdrv_close(bs);
    snprintf(spec, sizeof(spec), "file=%s/d.raw,format=raw", dir);
    CU_ASSERT_TRUE_FATAL(drive_parse(spec, &d, ERR));
    bs = drive_open(&d, false, NULL, ERR);
    CU_ASSERT_PTR_NOT_NULL_FATAL(bs);
    CU_ASSERT_FALSE(bdrv_is_overlay(bs));
    CU_ASSERT_EQUAL(bdrv_overlay_bytes(bs), 0);
    bdrv_close(bs);
#undef ERR
}

static const UnitTest tests[] = {
    { "writes visible, partial writes merge, image unchanged", test_basic_and_partial },
    { "random writes and reads against a model", test_random },
    { "qcow2 image underneath", test_qcow2_base },
    { "-drive snapshot=on|off and -snapshot", test_drive_options },
    { NULL, NULL },
};

int main(void)
{
    snprintf(dir, sizeof(dir), "/tmp/amber-overlay-XXXXXX");
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    int ret = unit_run("overlay", tests);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    if (system(cmd) != 0) {
        fprintf(stderr, "could not remove %s\n", dir);
    }
    return ret;
}

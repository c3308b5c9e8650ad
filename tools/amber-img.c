/* amber-img: create, inspect, check and snapshot disk images, with
 * qemu-img's wording and exit codes where the two overlap. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "block/block.h"
#include "block/qcow2.h"
#include "block/snapshot-dump.h"
#include "util/size.h"

static void img_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void img_error(const char *fmt, ...)
{
    va_list ap;
    fputs("amber-img: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

static int img_usage(void)
{
    printf("usage: amber-img COMMAND [options]\n"
           "Commands (as in qemu-img):\n"
           "  create [-f qcow2|raw] [-o cluster_size=N,compat=0.10|1.1] FILE SIZE\n"
           "  info [-f FMT] FILE\n"
           "  check [-f FMT] [-q] [-r leaks|all] FILE\n"
           "       exit status: 0 clean, 1 check not completed, 2 corruptions, 3 leaks\n"
           "  snapshot [-l | -c TAG | -a TAG | -d TAG] FILE\n"
           "  convert [-f FMT] [-O FMT] [-o OPTIONS] INPUT OUTPUT\n"
           "SIZE takes the suffixes k, M, G, T (powers of 1024); plain numbers are bytes.\n");
    return 0;
}

/* qemu-img's size syntax (util/size.h): bytes unless a suffix says otherwise. */
static bool img_parse_size(const char *s, uint64_t *out)
{
    return size_parse(s, 'B', out, NULL) == 0;
}

static void img_put(void *opaque, const char *line)
{
    fputs(line, stdout);
}

static int img_list_snapshots(BlockDriverState *bs)
{
    BlockSnapshotInfo *list;
    Error err;
    error_init(&err);
    int n = bdrv_snapshot_list(bs, &list, &err);
    if (n < 0) {
        img_error("%s", err.msg);
        return 1;
    }
    if (n > 0) {
        printf("Snapshot list:\n");
        bdrv_snapshot_dump_header(img_put, NULL);
        for (int i = 0; i < n; i++) {
            bdrv_snapshot_dump(&list[i], NULL, img_put, NULL);
        }
    }
    free(list);
    return 0;
}

static int img_create(int argc, char **argv)
{
    BlockCreateOptions o = { .format = "raw" };
    const char *opts = NULL;
    bool quiet = false;
    int c;
    optind = 1;
    while ((c = getopt(argc, argv, "hf:o:q")) != -1) {
        switch (c) {
        case 'f': o.format = optarg; break;
        case 'o': opts = optarg; break;
        case 'q': quiet = true; break;
        default: img_usage(); return 1;
        }
    }
    if (argc - optind != 2) {
        img_error("Expecting image file name and size");
        return 1;
    }
    const char *file = argv[optind];
    if (!bdrv_find_format(o.format)) {
        img_error("Unknown file format '%s'", o.format);
        return 1;
    }
    if (!img_parse_size(argv[optind + 1], &o.size)) {
        img_error("Invalid image size specified. You may use k, M, G, T, P or E suffixes for");
        fprintf(stderr, "amber-img: kilobytes, megabytes, gigabytes, terabytes, petabytes and "
                "exabytes.\n");
        return 1;
    }
    bool qcow2 = strcmp(o.format, "qcow2") == 0;
    uint64_t cluster = 65536;
    char *copy = opts ? strdup(opts) : NULL, *save = NULL;
    for (char *t = copy ? strtok_r(copy, ",", &save) : NULL; t; t = strtok_r(NULL, ",", &save)) {
        if (qcow2 && strncmp(t, "cluster_size=", 13) == 0) {
            if (!img_parse_size(t + 13, &cluster) || cluster < 512 || cluster > (2u << 20) ||
                (cluster & (cluster - 1))) {
                img_error("Cluster size must be a power of two between 512 and 2048k");
                free(copy);
                return 1;
            }
        } else if (qcow2 && strncmp(t, "compat=", 7) == 0) {
            const char *v = t + 7;
            if (!strcmp(v, "0.10") || !strcmp(v, "v2")) {
                o.version = 2;
            } else if (!strcmp(v, "1.1") || !strcmp(v, "v3")) {
                o.version = 3;
            } else {
                img_error("Invalid compatibility level: '%s'", v);
                free(copy);
                return 1;
            }
        } else {
            img_error("Invalid parameter '%.*s'", (int)strcspn(t, "="), t);
            free(copy);
            return 1;
        }
    }
    free(copy);
    o.cluster_bits = (unsigned)__builtin_ctzll(cluster);
    if (quiet) {
        /* no "Formatting" line */
    } else if (qcow2) {
        printf("Formatting '%s', fmt=qcow2 cluster_size=%" PRIu64 " extended_l2=off "
               "compression_type=zlib size=%" PRIu64 "%s lazy_refcounts=off refcount_bits=16\n",
               file, cluster, o.size, o.version == 2 ? " compat=0.10" : "");
    } else {
        printf("Formatting '%s', fmt=raw size=%" PRIu64 "\n", file, o.size);
    }
    Error err;
    error_init(&err);
    if (bdrv_create(file, &o, &err) < 0) {
        img_error("%s: %s", file, err.msg);
        return 1;
    }
    return 0;
}

/* -U (force-share): open an image another process uses, read-only. */
static bool img_force_share;

/* The image's findings and warnings (check's per-cluster lines, "Marking
 * image as corrupt"): stderr, as qemu-img prints them. */
static void img_report(void *opaque, const char *msg)
{
    (void)opaque;
    fprintf(stderr, "%s\n", msg);
}

static const Reporter img_reporter = { .fn = img_report };

/* Opens and locks the image as qemu-img does (block/lock.c), so a running
 * machine's image is not changed behind its back. */
static BlockDriverState *img_open(const char *file, const char *fmt, int flags)
{
    Error err;
    error_init(&err);
    if (img_force_share && (flags & BDRV_O_RDWR)) {
        img_error("force-share=on can only be used with read-only images");
        return NULL;
    }
    BlockDriverState *bs = bdrv_open_report(file, fmt, flags, &img_reporter, &err);
    if (!bs) {
        img_error("%s", err.msg);
        return NULL;
    }
    if (!img_force_share && bdrv_lock(bs, flags & BDRV_O_RDWR, &err) < 0) {
        img_error("Could not open '%s': %s", file, err.msg);   /* qemu-img's wording */
        bdrv_close(bs);
        return NULL;
    }
    return bs;
}

static int img_info(int argc, char **argv)
{
    const char *fmt = NULL;
    int c;
    optind = 1;
    while ((c = getopt(argc, argv, "hf:U")) != -1) {
        switch (c) {
        case 'f': fmt = optarg; break;
        case 'U': img_force_share = true; break;
        default: img_usage(); return 1;
        }
    }
    if (optind != argc - 1) {
        img_error("Expecting one image file name");
        return 1;
    }
    const char *file = argv[optind];
    BlockDriverState *bs = img_open(file, fmt, 0);
    if (!bs) {
        return 1;
    }
    struct stat st;
    char vsize[32], dsize[32];
    size_to_str(bdrv_getlength(bs), vsize, sizeof(vsize));
    size_to_str(fstat(bs->fd, &st) == 0 ? (uint64_t)st.st_blocks * 512 : 0, dsize, sizeof(dsize));
    printf("image: %s\nfile format: %s\nvirtual size: %s (%" PRIu64 " bytes)\ndisk size: %s\n",
           file, bdrv_format_name(bs), vsize, bdrv_getlength(bs), dsize);
    if (strcmp(bdrv_format_name(bs), "qcow2") == 0) {
        Qcow2State *s = bs->opaque;
        printf("cluster_size: %" PRIu64 "\n", s->cluster_size);
        img_list_snapshots(bs);
        printf("Format specific information:\n");
        if (s->version >= 3) {
            printf("    compat: 1.1\n    compression type: zlib\n    lazy refcounts: %s\n"
                   "    refcount bits: %u\n    corrupt: %s\n    extended l2: false\n",
                   (s->compat & QCOW2_COMPAT_LAZY_REFCOUNTS) ? "true" : "false",
                   1u << s->refcount_order,
                   (s->incompat & QCOW2_INCOMPAT_CORRUPT) ? "true" : "false");
        } else {
            printf("    compat: 0.10\n    compression type: zlib\n    refcount bits: 16\n");
        }
    }
    bdrv_close(bs);
    return 0;
}

static void img_print_check(const BlockCheckResult *r)
{
    if (r->corruptions == 0 && r->leaks == 0 && r->check_errors == 0) {
        printf("No errors were found on the image.\n");
    } else {
        if (r->corruptions) {
            printf("\n%d errors were found on the image.\n"
                   "Data may be corrupted, or further writes to the image may corrupt it.\n",
                   r->corruptions);
        }
        if (r->leaks) {
            printf("\n%d leaked clusters were found on the image.\n"
                   "This means waste of disk space, but no harm to data.\n", r->leaks);
        }
        if (r->check_errors) {
            printf("\n%d internal errors have occurred during the check.\n", r->check_errors);
        }
    }
    if (r->total_clusters && r->allocated_clusters) {
        printf("%" PRIu64 "/%" PRIu64 " = %0.2f%% allocated, %0.2f%% fragmented, "
               "%0.2f%% compressed clusters\n", r->allocated_clusters, r->total_clusters,
               r->allocated_clusters * 100.0 / r->total_clusters,
               r->fragmented_clusters * 100.0 / r->allocated_clusters,
               r->compressed_clusters * 100.0 / r->allocated_clusters);
    }
    if (r->image_end_offset) {
        printf("Image end offset: %" PRIu64 "\n", r->image_end_offset);
    }
}

static int img_check(int argc, char **argv)
{
    const char *fmt = NULL;
    int fix = 0, c;
    bool quiet = false;
    optind = 1;
    while ((c = getopt(argc, argv, "hf:r:qU")) != -1) {
        switch (c) {
        case 'f': fmt = optarg; break;
        case 'q': quiet = true; break;
        case 'U': img_force_share = true; break;
        case 'r':
            if (!strcmp(optarg, "leaks")) {
                fix = BDRV_FIX_LEAKS;
            } else if (!strcmp(optarg, "all")) {
                fix = BDRV_FIX_LEAKS | BDRV_FIX_ERRORS;
            } else {
                img_error("Unknown option value for -r (expecting 'leaks' or 'all'): %s", optarg);
                return 1;
            }
            break;
        default: img_usage(); return 1;
        }
    }
    if (optind != argc - 1) {
        img_error("Expecting one image file name");
        return 1;
    }
    BlockDriverState *bs = img_open(argv[optind], fmt,
                                    BDRV_O_CHECK | (fix ? BDRV_O_RDWR : 0));
    if (!bs) {
        return 1;
    }
    BlockCheckResult r;
    Error err;
    error_init(&err);
    int ret = bdrv_check(bs, &r, fix, &err);
    if (ret == -ENOTSUP) {
        img_error("This image format does not support checks");
        bdrv_close(bs);
        return 63;
    }
    if (ret == 0 && (r.corruptions_fixed || r.leaks_fixed)) {
        if (!quiet) {
            printf("The following inconsistencies were found and repaired:\n\n"
                   "    %d leaked clusters\n    %d corruptions\n\n"
                   "Double checking the fixed image now...\n", r.leaks_fixed, r.corruptions_fixed);
        }
        ret = bdrv_check(bs, &r, 0, &err);
    }
    bdrv_close(bs);
    if (ret < 0) {
        img_error("Check failed: %s", err.msg);
        return 1;
    }
    if (!quiet) {
        img_print_check(&r);
    }
    return r.check_errors ? 1 : r.corruptions ? 2 : r.leaks ? 3 : 0;
}

static int img_snapshot(int argc, char **argv)
{
    char action = 0;
    const char *tag = NULL;
    int c;
    optind = 1;
    while ((c = getopt(argc, argv, "hlc:a:d:qU")) != -1) {
        switch (c) {
        case 'l':
        case 'c':
        case 'a':
        case 'd':
            if (action) {
                img_error("Cannot mix '-l', '-a', '-c', '-d'");
                return 1;
            }
            action = (char)c;
            tag = optarg;
            break;
        case 'q':
            break;
        case 'U':
            img_force_share = true;
            break;
        default: img_usage(); return 1;
        }
    }
    if (optind != argc - 1) {
        img_error("Expecting one image file name");
        return 1;
    }
    if (!action) {
        action = 'l';
    }
    BlockDriverState *bs = img_open(argv[optind], NULL, action == 'l' ? 0 : BDRV_O_RDWR);
    if (!bs) {
        return 1;
    }
    Error err;
    error_init(&err);
    int ret = 0;
    switch (action) {
    case 'l':
        ret = img_list_snapshots(bs);
        break;
    case 'c': {
        BlockSnapshotInfo sn;
        memset(&sn, 0, sizeof(sn));
        snprintf(sn.name, sizeof(sn.name), "%s", tag);
        struct timeval tv;
        gettimeofday(&tv, NULL);
        sn.date_sec = (uint32_t)tv.tv_sec;
        sn.date_nsec = (uint32_t)tv.tv_usec * 1000;
        sn.icount = 0;           /* what qemu-img writes */
        if (bdrv_snapshot_create(bs, &sn, NULL, &err) < 0) {
            img_error("Could not create snapshot '%s': %s", tag, err.msg);
            ret = 1;
        }
        break;
    }
    case 'a':
        if (bdrv_snapshot_goto(bs, tag, &err) < 0) {
            img_error("Could not apply snapshot '%s': %s", tag, err.msg);
            ret = 1;
        }
        break;
    case 'd':
        if (bdrv_snapshot_delete(bs, tag, &err) < 0) {
            img_error("Could not delete snapshot '%s': %s", tag, err.msg);
            ret = 1;
        }
        break;
    }
    if (ret == 0 && action != 'l' && bdrv_flush(bs, &err) < 0) {
        img_error("%s", err.msg);
        ret = 1;
    }
    bdrv_close(bs);
    return ret;
}

/* convert [-f FMT] [-O FMT] [-o OPTS] IN OUT: copies the disk contents;
 * all-zero clusters are left unallocated in the output. */
static int img_convert(int argc, char **argv)
{
    const char *fmt = NULL, *ofmt = "raw", *opts = NULL;
    int c;
    optind = 1;
    while ((c = getopt(argc, argv, "hf:O:o:qU")) != -1) {
        switch (c) {
        case 'f': fmt = optarg; break;
        case 'O': ofmt = optarg; break;
        case 'o': opts = optarg; break;
        case 'q': break;
        case 'U': img_force_share = true; break;
        default: img_usage(); return 1;
        }
    }
    if (argc - optind != 2) {
        img_error("Expecting one input and one output file name");
        return 1;
    }
    const char *in_path = argv[optind], *out_path = argv[optind + 1];
    BlockDriverState *in = img_open(in_path, fmt, 0);
    if (!in) {
        return 1;
    }
    char size[32];
    snprintf(size, sizeof(size), "%" PRIu64, bdrv_getlength(in));
    char *cargv[8];
    int n = 0;
    cargv[n++] = "create";
    cargv[n++] = "-q";
    cargv[n++] = "-f";
    cargv[n++] = (char *)ofmt;
    if (opts) {
        cargv[n++] = "-o";
        cargv[n++] = (char *)opts;
    }
    cargv[n++] = (char *)out_path;
    cargv[n++] = size;
    int saved = dup(1);
    FILE *null = freopen("/dev/null", "w", stdout);
    int ret = img_create(n, cargv);
    fflush(stdout);
    dup2(saved, 1);
    close(saved);
    (void)null;
    if (ret != 0) {
        bdrv_close(in);
        return 1;
    }
    BlockDriverState *out = img_open(out_path, ofmt, BDRV_O_RDWR);
    if (!out) {
        bdrv_close(in);
        return 1;
    }
    const size_t chunk = 1 << 20;
    uint8_t *buf = malloc(chunk), *zero = calloc(1, 65536);
    Error err;
    error_init(&err);
    for (uint64_t off = 0; ret == 0 && buf && off < bdrv_getlength(in); off += chunk) {
        uint64_t len = bdrv_getlength(in) - off < chunk ? bdrv_getlength(in) - off : chunk;
        if (bdrv_pread(in, off, buf, len, &err) < 0) {
            ret = 1;
            break;
        }
        for (uint64_t p = 0; p < len && ret == 0; p += 65536) {
            uint64_t l = len - p < 65536 ? len - p : 65536;
            if (memcmp(buf + p, zero, l) != 0 && bdrv_pwrite(out, off + p, buf + p, l, &err) < 0) {
                ret = 1;
            }
        }
    }
    if (!buf) {
        error_setf(&err, "out of memory");
        ret = 1;
    }
    if (ret == 0 && bdrv_flush(out, &err) < 0) {
        ret = 1;
    }
    if (ret) {
        img_error("error while converting: %s", err.msg);
    }
    free(buf);
    free(zero);
    bdrv_close(out);
    bdrv_close(in);
    return ret;
}

static const struct {
    const char *name;
    int (*fn)(int argc, char **argv);
} img_commands[] = {
    { "create", img_create },
    { "info", img_info },
    { "check", img_check },
    { "snapshot", img_snapshot },
    { "convert", img_convert },
};

int main(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
        img_usage();
        return argc < 2 ? 1 : 0;
    }
    for (size_t i = 0; i < sizeof(img_commands) / sizeof(img_commands[0]); i++) {
        if (strcmp(argv[1], img_commands[i].name) == 0) {
            return img_commands[i].fn(argc - 1, argv + 1);
        }
    }
    img_error("Command not found: %s", argv[1]);
    return 1;
}

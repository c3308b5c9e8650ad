/* Capabilities and parameters: one table each, with QEMU's names, order,
 * defaults, ranges and messages (ref-stream-format.md §7.1, 7.4-7.7). */
#include <ctype.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "migration/migration-int.h"
#include "util/size.h"

/* QEMU 10.2's capability order; the ones Amber implements carry their enum
 * value, the others are listed (always off) and refused. */
typedef struct CapDesc {
    const char *name;
    int cap;                     /* MigrationCapability, or -1 */
} CapDesc;

static const CapDesc cap_table[] = {
    { "xbzrle", MIGRATION_CAP_XBZRLE },
    { "rdma-pin-all", -1 },
    { "auto-converge", MIGRATION_CAP_AUTO_CONVERGE },
    { "events", -1 },
    { "postcopy-ram", -1 },
    { "x-colo", -1 },
    { "release-ram", -1 },
    { "return-path", MIGRATION_CAP_RETURN_PATH },
    { "pause-before-switchover", -1 },
    { "multifd", -1 },
    { "dirty-bitmaps", -1 },
    { "postcopy-blocktime", -1 },
    { "late-block-activate", -1 },
    { "x-ignore-shared", -1 },
    { "validate-uuid", -1 },
    { "background-snapshot", -1 },
    { "zero-copy-send", -1 },
    { "postcopy-preempt", -1 },
    { "switchover-ack", -1 },
    { "dirty-limit", -1 },
    { "mapped-ram", -1 },
};

typedef enum ParamKind {
    PK_INT,        /* plain integer, printed with unit */
    PK_SIZE,       /* bytes; HMP default unit MiB */
    PK_BOOL,
    PK_FIXED,      /* shown for QEMU's layout, not settable */
} ParamKind;

typedef struct ParamDesc {
    const char *name;
    ParamKind kind;
    size_t off;                  /* in MigrationParams (not PK_FIXED) */
    int64_t def, min, max;
    const char *unit;            /* printed after the value, may be "" */
    const char *range_name;      /* QEMU's message names it with '_' */
    const char *fixed;           /* PK_FIXED: the text printed */
} ParamDesc;

#define P(field) offsetof(MigrationParams, field)

/* QEMU 10.2's order. Amber implements the settable ones; the fixed lines
 * are the values of features it does not have (no TLS, one channel). */
static const ParamDesc param_table[] = {
    { "throttle-trigger-threshold", PK_INT, P(throttle_trigger_threshold), 50, 1, 100, "",
      "throttle_trigger_threshold", NULL },
    { "cpu-throttle-initial", PK_INT, P(cpu_throttle_initial), 20, 1, 99, "",
      "cpu_throttle_initial", NULL },
    { "cpu-throttle-increment", PK_INT, P(cpu_throttle_increment), 10, 1, 99, "",
      "cpu_throttle_increment", NULL },
    { "cpu-throttle-tailslow", PK_BOOL, P(cpu_throttle_tailslow), 0, 0, 1, "", NULL, NULL },
    { "max-cpu-throttle", PK_INT, P(max_cpu_throttle), 99, 1, 99, "", "max_cpu_throttle",
      NULL },
    { "tls-creds", PK_FIXED, 0, 0, 0, 0, "", NULL, "''" },
    { "tls-hostname", PK_FIXED, 0, 0, 0, 0, "", NULL, "''" },
    { "tls-authz", PK_FIXED, 0, 0, 0, 0, "", NULL, "''" },
    { "max-bandwidth", PK_SIZE, P(max_bandwidth), 128ll << 20, 0, INT64_MAX, " bytes/second",
      "max_bandwidth", NULL },
    { "avail-switchover-bandwidth", PK_SIZE, P(avail_switchover_bandwidth), 0, 0, INT64_MAX,
      " bytes/second", "avail_switchover_bandwidth", NULL },
    { "downtime-limit", PK_INT, P(downtime_limit), 300, 0, 2000000, " ms", "downtime_limit",
      NULL },
    { "multifd-channels", PK_FIXED, 0, 0, 0, 0, "", NULL, "1" },
    { "multifd-compression", PK_FIXED, 0, 0, 0, 0, "", NULL, "none" },
    { "xbzrle-cache-size", PK_SIZE, P(xbzrle_cache_size), 64ll << 20, 4096, 1ll << 40,
      " bytes", "xbzrle_cache_size", NULL },
    { "mode", PK_FIXED, 0, 0, 0, 0, "", NULL, "normal" },
};

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

static int64_t *param_ptr(MigrationParams *p, const ParamDesc *d)
{
    return (int64_t *)((char *)p + d->off);
}

void migration_options_reset(Migration *mig)
{
    memset(mig->caps, 0, sizeof(mig->caps));
    /* Amber's one default that differs from QEMU: without a return path a
     * source cannot know the destination took over (migration-rp.c). */
    mig->caps[MIGRATION_CAP_RETURN_PATH] = true;
    for (size_t i = 0; i < ARRAY_LEN(param_table); i++) {
        if (param_table[i].kind != PK_FIXED) {
            *param_ptr(&mig->params, &param_table[i]) = param_table[i].def;
        }
    }
}

bool migrate_cap(const Migration *mig, MigrationCapability c)
{
    return c < MIGRATION_CAP__SUPPORTED && mig->caps[c];
}

const MigrationParams *migration_params(const Migration *mig)
{
    return &mig->params;
}

void migration_foreach_capability(const Migration *mig,
                                  void (*fn)(void *opaque, const char *name, bool on),
                                  void *opaque)
{
    for (size_t i = 0; i < ARRAY_LEN(cap_table); i++) {
        fn(opaque, cap_table[i].name, cap_table[i].cap >= 0 && mig->caps[cap_table[i].cap]);
    }
}

int migration_set_capability(Migration *mig, const char *name, bool on, Error *err)
{
    for (size_t i = 0; i < ARRAY_LEN(cap_table); i++) {
        if (strcmp(cap_table[i].name, name) != 0) {
            continue;
        }
        if (migration_is_running(mig)) {
            error_setf(err, "There's a migration process in progress");
            return -EBUSY;
        }
        if (cap_table[i].cap < 0) {
            if (!on) {
                return 0;        /* already off */
            }
            error_setf(err, "Capability '%s' is not supported by Amber (supported: xbzrle, "
                       "auto-converge, return-path)", name);
            return -ENOTSUP;
        }
        mig->caps[cap_table[i].cap] = on;
        return 0;
    }
    error_setf(err, "invalid parameter value: %s", name);
    return -EINVAL;
}

void migration_foreach_parameter(Migration *mig, void (*fn)(void *opaque, const char *line),
                                 void *opaque)
{
    MigrationParams *p = &mig->params;
    char line[160];
    for (size_t i = 0; i < ARRAY_LEN(param_table); i++) {
        const ParamDesc *d = &param_table[i];
        switch (d->kind) {
        case PK_FIXED:
            snprintf(line, sizeof(line), "%s: %s", d->name, d->fixed);
            break;
        case PK_BOOL:
            snprintf(line, sizeof(line), "%s: %s", d->name, *param_ptr(p, d) ? "on" : "off");
            break;
        default:
            snprintf(line, sizeof(line), "%s: %lld%s", d->name, (long long)*param_ptr(p, d),
                     d->unit);
            break;
        }
        fn(opaque, line);
    }
}

/* A size as HMP takes it: util/size.h's syntax, MiB when there is no suffix. */
static bool parse_size_mib(const char *s, int64_t *out)
{
    uint64_t v;
    if (size_parse(s, 'M', &v, NULL) < 0 || v > INT64_MAX) {
        return false;
    }
    *out = (int64_t)v;
    return true;
}

int migration_set_parameter(Migration *mig, const char *name, const char *value, Error *err)
{
    MigrationParams *p = &mig->params;
    for (size_t i = 0; i < ARRAY_LEN(param_table); i++) {
        const ParamDesc *d = &param_table[i];
        if (strcmp(d->name, name) != 0) {
            continue;
        }
        int64_t v;
        char *end;
        switch (d->kind) {
        case PK_FIXED:
            error_setf(err, "Parameter '%s' cannot be changed in Amber (it is fixed at %s)",
                       name, d->fixed);
            return -ENOTSUP;
        case PK_BOOL:
            if (!strcmp(value, "on") || !strcmp(value, "true")) {
                v = 1;
            } else if (!strcmp(value, "off") || !strcmp(value, "false")) {
                v = 0;
            } else {
                error_setf(err, "Parameter '%s' expects 'on' or 'off'", name);
                return -EINVAL;
            }
            break;
        case PK_SIZE:
            if (!parse_size_mib(value, &v)) {
                error_setf(err, "Parameter '%s' expects a size", name);
                return -EINVAL;
            }
            if (d->off == P(xbzrle_cache_size) && (v < 4096 || (v & (v - 1)))) {
                error_setf(err, "Parameter 'xbzrle_cache_size' expects a power of two no "
                           "less than the target page size");
                return -EINVAL;
            }
            break;
        default:
            errno = 0;
            v = strtoll(value, &end, 0);
            if (end == value || *end || errno) {
                error_setf(err, "Parameter '%s' expects an integer", name);
                return -EINVAL;
            }
            break;
        }
        if (d->range_name && (v < d->min || v > d->max)) {
            if (d->kind == PK_SIZE) {
                error_setf(err, "Option %s expects a size in the range of %lld to %lld",
                           d->range_name, (long long)d->min, (long long)d->max);
            } else {
                error_setf(err, "Option %s expects an integer in the range of %lld to %lld%s",
                           d->range_name, (long long)d->min, (long long)d->max, d->unit);
            }
            return -EINVAL;
        }
        if (d->off == P(max_cpu_throttle) && v < mig->params.cpu_throttle_initial) {
            error_setf(err, "max_cpu_throttle must be no less than cpu_throttle_initial (%lld)",
                       (long long)mig->params.cpu_throttle_initial);
            return -EINVAL;
        }
        *param_ptr(p, d) = v;
        return 0;
    }
    error_setf(err, "invalid parameter value: %s", name);
    return -EINVAL;
}

void migration_complete_names(const char *prefix, void (*add)(void *opaque, const char *name),
                              void *opaque)
{
    size_t n = strlen(prefix);
    for (size_t i = 0; i < ARRAY_LEN(cap_table); i++) {
        if (!strncmp(cap_table[i].name, prefix, n)) {
            add(opaque, cap_table[i].name);
        }
    }
    for (size_t i = 0; i < ARRAY_LEN(param_table); i++) {
        if (!strncmp(param_table[i].name, prefix, n)) {
            add(opaque, param_table[i].name);
        }
    }
}

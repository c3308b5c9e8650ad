/* Argument parsing driven by the command table's argument specs. Nothing
 * here prints or touches the machine: every error comes back as text, so the
 * parser can be unit-tested and fuzzed on its own. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "monitor/hmp.h"
#include "util/size.h"

/* Input lines are capped so a pathological line costs bounded work. */
#define MON_MAX_STRING 65536

static const char *skip_ws(const char *p)
{
    while (*p == ' ' || *p == '\t') {
        p++;
    }
    return p;
}

bool mon_spec_parse(const char *spec, MonArgSpec *out, int *n, Error *err)
{
    *n = 0;
    const char *p = spec ? spec : "";
    for (;;) {
        p = skip_ws(p);
        if (!*p) {
            return true;
        }
        if (*n == MON_MAX_ARGS) {
            error_setf(err, "spec '%s': too many arguments", spec);
            return false;
        }
        MonArgSpec *s = &out[(*n)++];
        memset(s, 0, sizeof(*s));
        size_t len = strcspn(p, " \t");
        if (p[0] == '-' && len == 2 && isalpha((unsigned char)p[1])) {
            s->type = MON_ARG_FLAG;
            s->flag = p[1];
            s->optional = true;
            snprintf(s->name, sizeof(s->name), "-%c", p[1]);
        } else if (p[0] == '/') {
            if (*n != 1) {
                error_setf(err, "spec '%s': /fmt must come first", spec);
                return false;
            }
            s->type = MON_ARG_FMT;
            s->optional = true;
            snprintf(s->name, sizeof(s->name), "%.*s", (int)(len - 1), p + 1);
        } else {
            const char *colon = memchr(p, ':', len);
            if (!colon || colon == p || (size_t)(colon - p) >= sizeof(s->name) ||
                colon + 1 >= p + len || !strchr("sSizbFICTP", colon[1]) ||
                (colon + 2 < p + len && !(colon[2] == '?' && colon + 3 == p + len))) {
                error_setf(err, "spec '%s': bad element '%.*s'", spec, (int)len, p);
                return false;
            }
            memcpy(s->name, p, (size_t)(colon - p));
            s->type = (MonArgType)colon[1];
            s->optional = colon + 2 < p + len;
        }
        p += len;
    }
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    c = tolower(c);
    return (c >= 'a' && c <= 'f') ? c - 'a' + 10 : -1;
}

char *mon_parse_string(const char **pp, Error *err)
{
    const char *p = skip_ws(*pp);
    size_t cap = strlen(p) + 1;
    if (cap > MON_MAX_STRING) {
        error_setf(err, "string too long (limit %d bytes)", MON_MAX_STRING);
        return NULL;
    }
    char *out = malloc(cap);
    size_t n = 0;
    if (*p == '"' || *p == '\'') {
        char q = *p++;
        for (;;) {
            if (!*p) {
                error_setf(err, "unterminated string (missing %c)", q);
                free(out);
                return NULL;
            }
            if (*p == q) {
                p++;
                break;
            }
            if (q == '"' && *p == '\\') {
                p++;
                switch (*p) {
                case 'n': out[n++] = '\n'; p++; break;
                case 't': out[n++] = '\t'; p++; break;
                case 'r': out[n++] = '\r'; p++; break;
                case 'e': out[n++] = 0x1b; p++; break;
                case '\\': out[n++] = '\\'; p++; break;
                case '"': out[n++] = '"'; p++; break;
                case 'x': {
                    int h1 = hexval((unsigned char)p[1]);
                    int h2 = h1 >= 0 ? hexval((unsigned char)p[2]) : -1;
                    if (h1 < 0 || h2 < 0) {
                        error_setf(err, "bad escape '\\x' (use \\xHH)");
                        free(out);
                        return NULL;
                    }
                    if (h1 == 0 && h2 == 0) {
                        error_setf(err, "bad escape '\\x00' (strings cannot hold NUL bytes)");
                        free(out);
                        return NULL;
                    }
                    out[n++] = (char)(h1 * 16 + h2);
                    p += 3;
                    break;
                }
                case '\0':
                    error_setf(err, "unterminated string (missing %c)", q);
                    free(out);
                    return NULL;
                default:
                    /* Kept as written, so regexes like "\d+" work. */
                    out[n++] = '\\';
                    out[n++] = *p++;
                    break;
                }
                continue;
            }
            out[n++] = *p++;
        }
        if (*p && *p != ' ' && *p != '\t') {
            error_setf(err, "junk after closing quote: '%.20s'", p);
            free(out);
            return NULL;
        }
    } else {
        while (*p && *p != ' ' && *p != '\t') {
            out[n++] = *p++;
        }
    }
    out[n] = '\0';
    *pp = p;
    return out;
}

static int size_of_letter(char c)
{
    switch (c) {
    case 'b': return 1;
    case 'h': return 2;
    case 'w': return 4;
    case 'g': return 8;
    default: return 0;
    }
}

bool mon_parse_format(const char **pp, MonFormat *fmt, const MonFormat *last, Error *err)
{
    const char *p = *pp;
    int count = 1;
    if (isdigit((unsigned char)*p)) {
        long long c = 0;
        while (isdigit((unsigned char)*p)) {
            c = c * 10 + (*p++ - '0');
            if (c > 1000000) {
                error_setf(err, "count too large (limit 1000000)");
                return false;
            }
        }
        count = (int)c;
    }
    char format = 0;
    int size = 0;
    /* Format and size letters may come in either order (QEMU accepts both). */
    while (*p && *p != ' ' && *p != '\t') {
        char c = *p++;
        if (strchr("xduocsi", c) && !format) {
            format = c;
        } else if (size_of_letter(c) && !size) {
            size = size_of_letter(c);
        } else {
            error_setf(err, "invalid char in format: '%c'", c);
            return false;
        }
    }
    if (!format) {
        format = last && last->format ? last->format : 'x';
    }
    if (!size) {
        if (format == 'c' || format == 's') {
            size = 1;
        } else if (format == 'i') {
            size = 4;
        } else {
            size = last && last->size ? last->size : 4;
        }
    }
    fmt->count = count;
    fmt->format = format;
    fmt->size = size;
    *pp = p;
    return true;
}

/* Sizes: an expression and an optional binary suffix (util/size.h's
 * letters, optionally followed by B as in "4KB"). The suffix is split off the
 * word first, because "4K" is not a valid number for the expression parser. */
static bool parse_size(const char **pp, const MonParseCtx *ctx, int64_t *out, Error *err)
{
    const char *p = skip_ws(*pp);
    size_t wl = strcspn(p, " \t");
    char *word = strndup(p, wl);
    size_t l = wl;
    int shift = 0;
    if (l > 1 && (word[l - 1] == 'b' || word[l - 1] == 'B') && size_suffix_shift(word[l - 2]) > 0) {
        l--;
    }
    /* In a hex number, b and e are digits ("0x1b", "0x1e"), not suffixes. */
    bool hex = l > 2 && word[0] == '0' && (word[1] == 'x' || word[1] == 'X') &&
               isxdigit((unsigned char)word[l - 1]);
    if (l > 1 && !hex && size_suffix_shift(word[l - 1]) >= 0) {
        shift = size_suffix_shift(word[l - 1]);
        l--;
    } else {
        l = wl;
    }
    word[l] = '\0';
    const char *q = word;
    int64_t v;
    bool ok = mon_eval_expr(&q, ctx, &v, err);
    if (ok && *q) {
        if (isalpha((unsigned char)*q)) {
            error_setf(err, "invalid size suffix '%c' (use K, M, G or T)", *q);
        } else {
            error_setf(err, "invalid character '%c' in size", *q);
        }
        ok = false;
    }
    free(word);
    if (!ok) {
        return false;
    }
    if (v < 0) {
        error_setf(err, "size must not be negative");
        return false;
    }
    if (shift && (uint64_t)v > (UINT64_MAX >> 1) >> shift) {
        error_setf(err, "size out of range");
        return false;
    }
    *out = (int64_t)((uint64_t)v << shift);
    *pp = p + wl;
    return true;
}

const char *mon_split_name(const char *line, char *buf, size_t buflen)
{
    const char *p = skip_ws(line);
    size_t n = 0;
    while (*p && *p != ' ' && *p != '\t' && *p != '/') {
        if (n + 1 < buflen) {
            buf[n++] = *p;
        }
        p++;
    }
    if (buflen) {
        buf[n] = '\0';
    }
    return p;
}

bool mon_parse_args(const MonCmd *cmd, const char *p, const MonParseCtx *ctx, MonArgs *a,
                    Error *err)
{
    MonArgSpec specs[MON_MAX_ARGS];
    int nspecs;
    memset(a, 0, sizeof(*a));
    a->cmd = cmd;
    if (!mon_spec_parse(cmd->args, specs, &nspecs, err)) {
        return false;
    }
    a->n = nspecs;
    for (int i = 0; i < nspecs; i++) {
        a->v[i].spec = specs[i];
    }
    /* No /FMT given: the remembered defaults, count 1. */
    a->fmt.count = 1;
    a->fmt.format = ctx->last_fmt.format ? ctx->last_fmt.format : 'x';
    a->fmt.size = ctx->last_fmt.size ? ctx->last_fmt.size : 4;

    for (int i = 0; i < nspecs; i++) {
        MonArgSpec *s = &a->v[i].spec;
        if (s->type == MON_ARG_FMT) {
            if (*p == '/') {
                p++;
                if (!mon_parse_format(&p, &a->fmt, &ctx->last_fmt, err)) {
                    return false;
                }
                a->v[i].present = true;
            }
            continue;
        }
        p = skip_ws(p);
        if (s->type == MON_ARG_FLAG) {
            if (p[0] == '-' && p[1] == s->flag && (p[2] == '\0' || p[2] == ' ' || p[2] == '\t')) {
                a->v[i].present = true;
                p += 2;
            }
            continue;
        }
        if (!*p) {
            if (!s->optional) {
                error_setf(err, "missing argument '%s'", s->name);
                return false;
            }
            continue;
        }
        switch (s->type) {
        case MON_ARG_INT:
            if (!mon_eval_expr(&p, ctx, &a->v[i].num, err)) {
                return false;
            }
            if (*p && *p != ' ' && *p != '\t') {
                error_setf(err, "invalid character '%c' in expression", *p);
                return false;
            }
            break;
        case MON_ARG_SIZE:
            if (!parse_size(&p, ctx, &a->v[i].num, err)) {
                return false;
            }
            break;
        case MON_ARG_REST: {
            size_t len = strlen(p);
            while (len && (p[len - 1] == ' ' || p[len - 1] == '\t')) {
                len--;
            }
            a->v[i].str = strndup(p, len);
            p += strlen(p);
            break;
        }
        case MON_ARG_BOOL: {
            char *w = mon_parse_string(&p, err);
            if (!w) {
                return false;
            }
            if (!strcmp(w, "on")) {
                a->v[i].num = 1;
            } else if (!strcmp(w, "off")) {
                a->v[i].num = 0;
            } else {
                error_setf(err, "'%s' expects on or off", s->name);
                free(w);
                return false;
            }
            free(w);
            break;
        }
        default:
            a->v[i].str = mon_parse_string(&p, err);
            if (!a->v[i].str) {
                return false;
            }
            break;
        }
        a->v[i].present = true;
    }
    p = skip_ws(p);
    if (*p) {
        error_setf(err, "too many arguments: '%.20s%s'", p, strlen(p) > 20 ? "..." : "");
        return false;
    }
    return true;
}

void mon_args_free(MonArgs *a)
{
    for (int i = 0; i < a->n && i < MON_MAX_ARGS; i++) {
        free(a->v[i].str);
        a->v[i].str = NULL;
    }
}

static int arg_index(const MonArgs *a, const char *name)
{
    for (int i = 0; i < a->n; i++) {
        if (!strcmp(a->v[i].spec.name, name)) {
            return i;
        }
    }
    return -1;
}

bool mon_arg_present(const MonArgs *a, const char *name)
{
    int i = arg_index(a, name);
    return i >= 0 && a->v[i].present;
}

const char *mon_arg_str(const MonArgs *a, const char *name, const char *dflt)
{
    int i = arg_index(a, name);
    return i >= 0 && a->v[i].present && a->v[i].str ? a->v[i].str : dflt;
}

int64_t mon_arg_int(const MonArgs *a, const char *name, int64_t dflt)
{
    int i = arg_index(a, name);
    return i >= 0 && a->v[i].present ? a->v[i].num : dflt;
}

bool mon_arg_flag(const MonArgs *a, char flag)
{
    for (int i = 0; i < a->n; i++) {
        if (a->v[i].spec.type == MON_ARG_FLAG && a->v[i].spec.flag == flag) {
            return a->v[i].present;
        }
    }
    return false;
}

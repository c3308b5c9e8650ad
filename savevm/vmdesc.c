#include "savevm/vmdesc.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void vmdesc_init(VMDescWriter *w)
{
    memset(w, 0, sizeof(*w));
    w->first[0] = true;
}

void vmdesc_free(VMDescWriter *w)
{
    free(w->buf);
    vmdesc_init(w);
}

static void vmdesc_append(VMDescWriter *w, const char *s, size_t n)
{
    if (w->oom) {
        return;
    }
    if (w->len + n + 1 > w->cap) {
        size_t cap = w->cap ? w->cap : 1024;
        while (cap < w->len + n + 1) {
            cap *= 2;
        }
        char *b = realloc(w->buf, cap);
        if (!b) {
            w->oom = true;
            return;
        }
        w->buf = b;
        w->cap = cap;
    }
    memcpy(w->buf + w->len, s, n);
    w->len += n;
    w->buf[w->len] = '\0';
}

static void vmdesc_puts(VMDescWriter *w, const char *s)
{
    vmdesc_append(w, s, strlen(s));
}

static void vmdesc_quoted(VMDescWriter *w, const char *s)
{
    vmdesc_puts(w, "\"");
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        char esc[8];
        switch (*p) {
        case '"': vmdesc_puts(w, "\\\""); break;
        case '\\': vmdesc_puts(w, "\\\\"); break;
        case '\b': vmdesc_puts(w, "\\b"); break;
        case '\f': vmdesc_puts(w, "\\f"); break;
        case '\n': vmdesc_puts(w, "\\n"); break;
        case '\r': vmdesc_puts(w, "\\r"); break;
        case '\t': vmdesc_puts(w, "\\t"); break;
        default:
            if (*p < 0x20 || *p >= 0x7f) {
                snprintf(esc, sizeof(esc), "\\u%04x", *p);
                vmdesc_puts(w, esc);
            } else {
                vmdesc_append(w, (const char *)p, 1);
            }
        }
    }
    vmdesc_puts(w, "\"");
}

/* Separator and key for the next member at the current level. */
static void vmdesc_member(VMDescWriter *w, const char *key)
{
    if (!w->first[w->depth]) {
        vmdesc_puts(w, ", ");
    }
    w->first[w->depth] = false;
    if (key) {
        vmdesc_quoted(w, key);
        vmdesc_puts(w, ": ");
    }
}

static void vmdesc_open(VMDescWriter *w, const char *key, const char *bracket)
{
    vmdesc_member(w, key);
    vmdesc_puts(w, bracket);
    if (w->depth + 1 < VMDESC_MAX_DEPTH) {
        w->depth++;
    } else {
        w->oom = true;           /* too deep to describe: treat as unusable */
    }
    w->first[w->depth] = true;
}

static void vmdesc_close(VMDescWriter *w, const char *bracket)
{
    if (w->depth > 0) {
        w->depth--;
    }
    vmdesc_puts(w, bracket);
}

void vmdesc_start_object(VMDescWriter *w, const char *key)
{
    vmdesc_open(w, key, "{");
}

void vmdesc_end_object(VMDescWriter *w)
{
    vmdesc_close(w, "}");
}

void vmdesc_start_array(VMDescWriter *w, const char *key)
{
    vmdesc_open(w, key, "[");
}

void vmdesc_end_array(VMDescWriter *w)
{
    vmdesc_close(w, "]");
}

void vmdesc_int(VMDescWriter *w, const char *key, int64_t v)
{
    char num[32];
    snprintf(num, sizeof(num), "%" PRId64, v);
    vmdesc_member(w, key);
    vmdesc_puts(w, num);
}

void vmdesc_str(VMDescWriter *w, const char *key, const char *s)
{
    vmdesc_member(w, key);
    vmdesc_quoted(w, s);
}

void vmdesc_pad(VMDescWriter *w, size_t n)
{
    while (n--) {
        vmdesc_append(w, " ", 1);
    }
}

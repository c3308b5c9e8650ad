/* The debug log: items, the mask, the output file, and the -d/-D options. */
#include "util/log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* QEMU's names and help texts for the items Amber has. */
const LogItem log_items[] = {
    { LOG_IN_ASM, "in_asm", "show target assembly code for each compiled TB" },
    { LOG_INT, "int", "show interrupts/exceptions in short format" },
    { LOG_EXEC, "exec", "show trace before each executed TB (lots of logs)" },
    { LOG_CPU, "cpu", "show CPU registers before entering a TB (lots of logs)" },
    { LOG_MMU, "mmu", "log MMU-related activities" },
    { LOG_UNIMP, "unimp", "log unimplemented functionality" },
    { LOG_GUEST_ERROR, "guest_errors",
      "log when the guest OS does something invalid (eg accessing a non-existent register)" },
    { 0, NULL, NULL },
};

const Log log_none = { 0, NULL, NULL };

static FILE *log_out(const Log *l)
{
    return l->file ? l->file : stderr;
}

void log_printf(const Log *l, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfprintf(log_out(l), fmt, ap);
    va_end(ap);
}

void log_write(const Log *l, const char *s)
{
    fputs(s, log_out(l));
}

void log_flush(const Log *l)
{
    fflush(log_out(l));
}

static const LogItem *log_find(const char *name, size_t len)
{
    for (const LogItem *it = log_items; it->mask; it++) {
        if (strlen(it->name) == len && !memcmp(it->name, name, len)) {
            return it;
        }
    }
    return NULL;
}

bool log_parse_items(const char *items, unsigned *mask, Error *err)
{
    if (!strcmp(items, "none")) {
        *mask = 0;
        return true;
    }
    unsigned m = 0;
    const char *p = items;
    for (;;) {
        size_t n = strcspn(p, ",");
        const LogItem *it = log_find(p, n);
        if (!it) {
            /* Long junk is cut in the message. */
            error_setf(err, "unknown log item '%.*s'", (int)(n > 64 ? 64 : n), p);
            return false;
        }
        m |= it->mask;
        if (!p[n]) {
            break;
        }
        p += n + 1;
    }
    *mask = m;
    return true;
}

void log_print_items(FILE *f)
{
    fprintf(f, "Log items (comma separated):\n");
    for (const LogItem *it = log_items; it->mask; it++) {
        fprintf(f, "%-15s %s", it->name, it->help);
        fputc('\n', f);
    }
}

unsigned log_set_mask(Log *l, unsigned mask)
{
    unsigned old = l->mask;
    l->mask = mask;
    log_flush(l);
    return old;
}

bool log_set_file(Log *l, const char *path, Error *err)
{
    FILE *f = NULL;
    char *copy = NULL;
    if (path) {
        f = fopen(path, "w");
        if (!f) {
            error_setf(err, "could not open '%s': %s", path, strerror(errno));
            return false;
        }
        copy = strdup(path);
        if (!copy) {
            fclose(f);
            error_setf(err, "could not open '%s': out of memory", path);
            return false;
        }
        /* A large buffer: exec/cpu logs write a line per block. */
        setvbuf(f, NULL, _IOFBF, 1 << 16);
    }
    if (l->file) {
        fclose(l->file);
    }
    free(l->path);
    l->file = f;
    l->path = copy;
    return true;
}

const char *log_file_name(const Log *l)
{
    return l->path;
}

void log_close(Log *l)
{
    if (l->file) {
        fclose(l->file);
    }
    free(l->path);
    l->file = NULL;
    l->path = NULL;
}

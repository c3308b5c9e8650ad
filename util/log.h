/* The debug log (QEMU's -d ITEMS / -D FILE, HMP log and logfile).
 *
 * A Log is one destination with its mask: the process's (system/ owns it;
 * -d/-D and HMP log/logfile change it) is handed to the machine, which hands
 * it to its harts and devices, so nothing below system/ holds a global. Each
 * item is a bit in the mask. A hook is one predictable test,
 * `if (unlikely(log->mask & LOG_X))`, so logging costs nothing when off. The per-block items (exec, cpu) cost not even that: the translator adds
 * a trace micro-op to a block only when they were on at translation time,
 * which is why changing the mask flushes the translation cache
 * (cpu_log_mask_changed). Nothing logged depends on the host (no host
 * pointers, no wall time), so the same run writes the same log. */
#ifndef UTIL_LOG_H
#define UTIL_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "util/error.h"

enum {
    LOG_IN_ASM       = 1u << 0,  /* guest code of each translated block */
    LOG_INT          = 1u << 1,  /* exceptions and interrupts taken */
    LOG_EXEC         = 1u << 2,  /* a line per executed block */
    LOG_CPU          = 1u << 3,  /* registers before each executed block */
    LOG_GUEST_ERROR  = 1u << 4,  /* invalid guest accesses (unmapped, refused) */
    LOG_UNIMP        = 1u << 5,  /* unimplemented CSRs and device registers */
    LOG_MMU          = 1u << 6,  /* failing page walks */
};

/* Items whose hooks are decided at translation time. */
#define LOG_TB_MASK (LOG_IN_ASM | LOG_EXEC | LOG_CPU)

typedef struct LogItem {
    unsigned mask;
    const char *name;
    const char *help;
} LogItem;

/* The items in QEMU's order, ended by a zero mask. */
extern const LogItem log_items[];

typedef struct Log {
    unsigned mask;               /* the items on */
    FILE *file;                  /* NULL: stderr */
    char *path;                  /* file's name, or NULL */
} Log;

/* A log with nothing on, for parts built without one (unit tests). */
extern const Log log_none;

#define log_unlikely(x) __builtin_expect(!!(x), 0)
/* True when any item of mask is being logged to l. */
#define log_enabled(l, m) log_unlikely((l)->mask & (m))

/* Writes to the log (stderr unless a file was set). */
void log_printf(const Log *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void log_write(const Log *l, const char *s);
/* log_printf only when an item of mask is on (the usual hook). */
#define log_mask_printf(l, m, ...) \
    do { \
        if (log_enabled(l, m)) { \
            log_printf(l, __VA_ARGS__); \
        } \
    } while (0)

/* Parses "in_asm,int" (QEMU's comma-separated items, "none" for nothing)
 * into *mask. On an unknown or empty item returns false with
 * "unknown log item 'X'" in err; *mask is untouched then. */
bool log_parse_items(const char *items, unsigned *mask, Error *err);
/* QEMU's list: "Log items (comma separated):" then one "%-15s %s" line per
 * item (what -d help prints). */
void log_print_items(FILE *f);
/* Sets the mask; returns the previous one. The caller flushes translated
 * code when LOG_TB_MASK bits changed (cpu_log_mask_changed does both). */
unsigned log_set_mask(Log *l, unsigned mask);
/* Sends the log to path (truncated), or back to stderr with NULL. The old
 * file is flushed and closed. On failure the log stays where it was and err
 * says why ("could not open 'PATH': REASON"). */
bool log_set_file(Log *l, const char *path, Error *err);
/* The current file name, or NULL for stderr. */
const char *log_file_name(const Log *l);
void log_flush(const Log *l);
/* Closes the file (back to stderr); the mask stays. */
void log_close(Log *l);

#endif

/* The debug log (QEMU's -d ITEMS / -D FILE, HMP log and logfile).
 *
 * Each item is a bit in log_mask. A hook is one predictable test of that
 * global, `if (unlikely(log_mask & LOG_X))`, so logging costs nothing when
 * off. The per-block items (exec, cpu) cost not even that: the translator adds
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

extern unsigned log_mask;

#define log_unlikely(x) __builtin_expect(!!(x), 0)
/* True when any item of mask is being logged. */
#define log_enabled(mask) log_unlikely(log_mask & (mask))

/* Writes to the log (stderr unless a file was set). */
void log_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_write(const char *s);
/* log_printf only when an item of mask is on (the usual hook). */
#define log_mask_printf(mask, ...) \
    do { \
        if (log_enabled(mask)) { \
            log_printf(__VA_ARGS__); \
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
unsigned log_set_mask(unsigned mask);
/* Sends the log to path (truncated), or back to stderr with NULL. The old
 * file is flushed and closed. On failure the log stays where it was and err
 * says why ("could not open 'PATH': REASON"). */
bool log_set_file(const char *path, Error *err);
/* The current file name, or NULL for stderr. */
const char *log_file_name(void);
void log_flush(void);

#endif

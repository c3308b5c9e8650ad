/* Sizes as QEMU writes them: "4096", "64k", "1.5G", and back to text.
 *
 * One parser for every place that reads a size (the monitor, migration
 * parameters, amber-img), so "64M" means the same thing everywhere. */
#ifndef UTIL_SIZE_H
#define UTIL_SIZE_H

#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

/* The power of two a suffix letter stands for (B 0, K 10, M 20, G 30, T 40,
 * P 50, E 60; either case), or -1 when c is not a size suffix. */
int size_suffix_shift(char c);

/* QEMU's qemu_strtosz(): a decimal number, optionally with a fraction, and
 * an optional one-letter suffix (above) in powers of 1024. Without a suffix,
 * default_suffix applies ('B' for bytes, 'M' where HMP means MiB). A fraction
 * needs a unit above bytes ("1.5" is not a byte count). Nothing may follow
 * the suffix. Returns 0, -EINVAL for malformed text or -ERANGE when the value
 * does not fit in 64 bits; err says which. */
int size_parse(const char *s, char default_suffix, uint64_t *out, Error *err);

/* QEMU's size_to_str(): three significant digits and a binary prefix,
 * "0 B", "1.01 KiB", "258 MiB". */
void size_to_str(uint64_t v, char *buf, size_t len);

#endif

/* A fixed-size error message carried down the savevm layers.
 *
 * The first error set wins: lower layers describe the precise failure, and
 * callers that want to add context use error_prependf(), which keeps the
 * original text after the new prefix. Passing a NULL Error is allowed
 * everywhere and discards the message.
 *
 * This is the one way code below system/ reports a failure: it fills an
 * Error and returns a negative errno (or false/NULL), and never prints. The
 * top floors (system/, monitor/, tools/) print what they get. Diagnostics
 * that are not failures (warnings, check findings) go up through a Reporter
 * (util/report.h). */
#ifndef UTIL_ERROR_H
#define UTIL_ERROR_H

#include <stdarg.h>
#include <stdbool.h>

typedef struct Error {
    bool set;
    char msg[512];
} Error;

void error_init(Error *err);
/* Sets the message unless one is already set. */
void error_setf(Error *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void error_vsetf(Error *err, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
/* Puts "prefix" before the current message (or sets it if none). */
void error_prependf(Error *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Copies src into dst when dst has no message yet. */
void error_propagate(Error *dst, const Error *src);
static inline bool error_is_set(const Error *err)
{
    return err && err->set;
}

#endif

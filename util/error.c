#include "util/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void error_init(Error *err)
{
    if (err) {
        err->set = false;
        err->msg[0] = '\0';
    }
}

void error_vsetf(Error *err, const char *fmt, va_list ap)
{
    if (!err || err->set) {
        return;
    }
    vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
    err->set = true;
}

void error_setf(Error *err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    error_vsetf(err, fmt, ap);
    va_end(ap);
}

void error_prependf(Error *err, const char *fmt, ...)
{
    if (!err) {
        return;
    }
    char prefix[sizeof(err->msg)];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof(prefix), fmt, ap);
    va_end(ap);
    /* Concatenate by hand: the result is cut at the buffer end. */
    size_t plen = strlen(prefix);
    size_t olen = err->set ? strlen(err->msg) : 0;
    if (plen + olen >= sizeof(err->msg)) {
        olen = sizeof(err->msg) - 1 - plen;
    }
    memmove(err->msg + plen, err->msg, olen);
    memcpy(err->msg, prefix, plen);
    err->msg[plen + olen] = '\0';
    err->set = true;
}

void error_propagate(Error *dst, const Error *src)
{
    if (dst && src && src->set && !dst->set) {
        memcpy(dst->msg, src->msg, sizeof(dst->msg));
        dst->set = true;
    }
}

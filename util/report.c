#include "util/report.h"

#include <stdarg.h>
#include <stdio.h>

void report_printf(const Reporter *r, const char *fmt, ...)
{
    if (!r || !r->fn) {
        return;
    }
    /* Longer than any line Amber reports (file names are capped at 1 KiB). */
    char msg[1536];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    r->fn(r->opaque, msg);
}

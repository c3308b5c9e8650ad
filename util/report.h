/* A sink for diagnostics that are not failures: warnings ("Marking image as
 * corrupt"), a check's findings ("Leaked cluster 5 refcount=1 reference=0").
 *
 * Library code never prints; it hands each line to the Reporter its caller
 * gave it, and the top floor (system/, monitor/, tools/) decides where the
 * line goes. A NULL Reporter, or one without a function, drops the text. */
#ifndef UTIL_REPORT_H
#define UTIL_REPORT_H

typedef struct Reporter {
    /* msg is one line without its newline. */
    void (*fn)(void *opaque, const char *msg);
    void *opaque;
} Reporter;

void report_printf(const Reporter *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif

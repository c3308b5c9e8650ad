/* The one table of transport schemes: "tcp:HOST:PORT", "unix:PATH",
 * "exec:CMD", ... Migration, the socket channel and the monitor/serial
 * back ends all split an address with uri_parse(); each accepts the subset
 * it supports and keeps its own error message for the rest. */
#ifndef UTIL_URI_H
#define UTIL_URI_H

#include <stdbool.h>

typedef enum UriScheme {
    URI_NONE = 0,                /* no scheme of the table */
    URI_TCP,
    URI_UNIX,
    URI_TELNET,                  /* tcp with telnet negotiation (monitor, serial) */
    URI_EXEC,
    URI_FD,
    URI_FILE,
    URI__MAX,
} UriScheme;

/* A set of schemes, for a caller to say which ones it takes. */
#define URI_BIT(s) (1u << (s))
#define URI_SOCKETS (URI_BIT(URI_TCP) | URI_BIT(URI_UNIX))

/* The scheme uri starts with, and in *rest (may be NULL) what follows its
 * colon; URI_NONE (and *rest = uri) when it starts with none of them. */
UriScheme uri_parse(const char *uri, const char **rest);
/* "tcp:", "unix:", ...; "" for URI_NONE. */
const char *uri_scheme_prefix(UriScheme s);
/* True when s is in the set (URI_BIT()s or'ed). */
static inline bool uri_scheme_in(UriScheme s, unsigned set)
{
    return s != URI_NONE && (set & URI_BIT(s));
}

#endif

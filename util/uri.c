#include "util/uri.h"

#include <string.h>

static const char *const uri_prefixes[URI__MAX] = {
    [URI_NONE] = "",
    [URI_TCP] = "tcp:",
    [URI_UNIX] = "unix:",
    [URI_TELNET] = "telnet:",
    [URI_EXEC] = "exec:",
    [URI_FD] = "fd:",
    [URI_FILE] = "file:",
};

UriScheme uri_parse(const char *uri, const char **rest)
{
    for (int s = URI_NONE + 1; s < URI__MAX; s++) {
        size_t n = strlen(uri_prefixes[s]);
        if (!strncmp(uri, uri_prefixes[s], n)) {
            if (rest) {
                *rest = uri + n;
            }
            return (UriScheme)s;
        }
    }
    if (rest) {
        *rest = uri;
    }
    return URI_NONE;
}

const char *uri_scheme_prefix(UriScheme s)
{
    return (unsigned)s < URI__MAX ? uri_prefixes[s] : "";
}

#include "util/size.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

int size_suffix_shift(char c)
{
    switch (toupper((unsigned char)c)) {
    case 'B': return 0;
    case 'K': return 10;
    case 'M': return 20;
    case 'G': return 30;
    case 'T': return 40;
    case 'P': return 50;
    case 'E': return 60;
    default: return -1;
    }
}

int size_parse(const char *s, char default_suffix, uint64_t *out, Error *err)
{
    const char *p = s;
    /* strtoull would take a sign, blanks and hex; a size takes none of them. */
    if (!isdigit((unsigned char)*p)) {
        error_setf(err, "'%s' is not a size", s);
        return -EINVAL;
    }
    char *end;
    errno = 0;
    unsigned long long whole = strtoull(p, &end, 10);
    if (errno == ERANGE) {
        error_setf(err, "size '%s' is too large", s);
        return -ERANGE;
    }
    p = end;
    double frac = 0;
    bool has_frac = false;
    if (*p == '.') {
        has_frac = true;
        const char *f = p;
        p++;
        while (isdigit((unsigned char)*p)) {
            p++;
        }
        /* "1." is as good as "1.0" (strtod agrees); the digits are parsed
         * on their own so that a huge whole part keeps its precision. */
        frac = strtod(f, NULL);
    }
    int shift;
    if (*p) {
        shift = size_suffix_shift(*p);
        if (shift < 0) {
            error_setf(err, "invalid size suffix '%c' in '%s' (use B, K, M, G, T, P or E)",
                       *p, s);
            return -EINVAL;
        }
        p++;
        if (*p) {
            error_setf(err, "trailing characters after the size in '%s'", s);
            return -EINVAL;
        }
    } else {
        shift = size_suffix_shift(default_suffix);
        shift = shift < 0 ? 0 : shift;
    }
    if (has_frac && shift == 0) {
        error_setf(err, "a fraction of a byte in '%s' (use a unit such as K or M)", s);
        return -EINVAL;
    }
    if (whole > (UINT64_MAX >> shift)) {
        error_setf(err, "size '%s' is too large", s);
        return -ERANGE;
    }
    uint64_t v = (uint64_t)whole << shift;
    uint64_t part = (uint64_t)(frac * ldexp(1.0, shift));
    if (v + part < v) {
        error_setf(err, "size '%s' is too large", s);
        return -ERANGE;
    }
    *out = v + part;
    return 0;
}

void size_to_str(uint64_t v, char *buf, size_t len)
{
    static const char *const prefixes[] = { "", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei" };
    int e;
    /* 1000 and not 1024 per step: QEMU moves to the next prefix once the
     * value needs four digits, so 1000 bytes is "0.977 KiB". */
    frexp((double)v / (1000.0 / 1024.0), &e);
    int i = (e - 1) / 10;
    i = i < 0 ? 0 : i > 6 ? 6 : i;
    snprintf(buf, len, "%0.3g %sB", (double)v / ldexp(1.0, i * 10), prefixes[i]);
}

#include "migration/xbzrle.h"

#include <string.h>

static int uleb_put(uint8_t *p, size_t room, size_t v)
{
    if (v < 0x80) {
        if (room < 1) {
            return -1;
        }
        p[0] = (uint8_t)v;
        return 1;
    }
    if (v >= 0x4000 || room < 2) {
        return -1;
    }
    p[0] = (uint8_t)(v | 0x80);
    p[1] = (uint8_t)(v >> 7);
    return 2;
}

static int uleb_get(const uint8_t *p, size_t avail, size_t *v)
{
    if (avail >= 1 && !(p[0] & 0x80)) {
        *v = p[0];
        return 1;
    }
    if (avail >= 2 && !(p[1] & 0x80)) {
        *v = (size_t)(p[0] & 0x7f) | ((size_t)p[1] << 7);
        return 2;
    }
    return -1;
}

int xbzrle_encode(const uint8_t *old, const uint8_t *new_, size_t len, uint8_t *dst,
                  size_t dlen)
{
    size_t i = 0, d = 0;
    while (i < len) {
        size_t z = i;
        /* Word steps over equal stretches: most of a page is unchanged. */
        while (i + 8 <= len && !memcmp(old + i, new_ + i, 8)) {
            i += 8;
        }
        while (i < len && old[i] == new_[i]) {
            i++;
        }
        if (i == len) {
            break;               /* trailing unchanged bytes are left out */
        }
        int n = uleb_put(dst + d, dlen - d, i - z);
        if (n < 0) {
            return -1;
        }
        d += (size_t)n;
        size_t c = i;
        while (i < len && old[i] != new_[i]) {
            i++;
        }
        n = uleb_put(dst + d, dlen - d, i - c);
        if (n < 0 || dlen - d - (size_t)n < i - c) {
            return -1;
        }
        d += (size_t)n;
        memcpy(dst + d, new_ + c, i - c);
        d += i - c;
    }
    return (int)d;
}

int xbzrle_decode(const uint8_t *src, size_t slen, uint8_t *dst, size_t dlen)
{
    size_t i = 0, d = 0;
    while (i < slen) {
        size_t count;
        int n = uleb_get(src + i, slen - i, &count);
        if (n < 0 || (i && !count)) {
            return -1;
        }
        i += (size_t)n;
        if (count > dlen - d) {
            return -1;
        }
        d += count;
        n = uleb_get(src + i, slen - i, &count);
        if (n < 0 || !count) {
            return -1;
        }
        i += (size_t)n;
        if (count > dlen - d || count > slen - i) {
            return -1;
        }
        memcpy(dst + d, src + i, count);
        d += count;
        i += count;
    }
    return (int)d;
}

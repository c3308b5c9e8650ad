/* Packet framing and hex helpers of the remote protocol (packet.h). */
#include "gdbstub/packet.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void gdb_packet_reader_init(GdbPacketReader *r)
{
    memset(r, 0, sizeof(*r));
}

int gdb_hexval(int c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

GdbPacketEvent gdb_packet_feed(GdbPacketReader *r, uint8_t c)
{
    switch (r->state) {
    case GDB_RD_IDLE:
        switch (c) {
        case '$':
            r->state = GDB_RD_DATA;
            r->len = 0;
            r->sum = 0;
            r->overflow = false;
            return GDB_EV_NONE;
        case 0x03:
            return GDB_EV_INTERRUPT;
        case '+':
            return GDB_EV_ACK;
        case '-':
            return GDB_EV_NACK;
        default:
            return GDB_EV_NONE;  /* noise between packets */
        }
    case GDB_RD_DATA:
        if (c == '#') {
            r->state = GDB_RD_CSUM1;
            return GDB_EV_NONE;
        }
        if (c == '$') {
            /* A new packet before the end of this one: gdb gave up on the
             * old one (a lost '#'); start over. */
            r->len = 0;
            r->sum = 0;
            r->overflow = false;
            return GDB_EV_NONE;
        }
        r->sum += c;
        if (r->len < GDB_PACKET_MAX) {
            r->buf[r->len++] = (char)c;
        } else {
            r->overflow = true;
        }
        return GDB_EV_NONE;
    case GDB_RD_CSUM1: {
        int v = gdb_hexval(c);
        r->csum = (uint8_t)((v < 0 ? 0 : v) << 4);
        r->state = v < 0 ? GDB_RD_IDLE : GDB_RD_CSUM2;
        return v < 0 ? GDB_EV_BAD : GDB_EV_NONE;
    }
    case GDB_RD_CSUM2: {
        int v = gdb_hexval(c);
        r->state = GDB_RD_IDLE;
        if (v < 0 || (uint8_t)(r->csum | v) != r->sum || r->overflow) {
            return GDB_EV_BAD;
        }
        r->buf[r->len] = '\0';
        return GDB_EV_PACKET;
    }
    }
    return GDB_EV_NONE;
}

/* ---- buffers ---- */

void gdb_buf_append(GdbBuf *b, const void *data, size_t len)
{
    if (b->len + len + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + len + 1) {
            cap *= 2;
        }
        char *n = realloc(b->data, cap);
        if (!n) {
            abort();
        }
        b->data = n;
        b->cap = cap;
    }
    memcpy(b->data + b->len, data, len);
    b->len += len;
    b->data[b->len] = '\0';
}

void gdb_buf_puts(GdbBuf *b, const char *s)
{
    gdb_buf_append(b, s, strlen(s));
}

void gdb_buf_printf(GdbBuf *b, const char *fmt, ...)
{
    char small[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof(small), fmt, ap);
    va_end(ap);
    if (n < 0) {
        return;
    }
    if ((size_t)n < sizeof(small)) {
        gdb_buf_append(b, small, (size_t)n);
        return;
    }
    char *big = malloc((size_t)n + 1);
    if (!big) {
        abort();
    }
    va_start(ap, fmt);
    vsnprintf(big, (size_t)n + 1, fmt, ap);
    va_end(ap);
    gdb_buf_append(b, big, (size_t)n);
    free(big);
}

void gdb_buf_hex(GdbBuf *b, const void *data, size_t len)
{
    static const char digits[] = "0123456789abcdef";
    const uint8_t *p = data;
    for (size_t i = 0; i < len; i++) {
        char two[2] = { digits[p[i] >> 4], digits[p[i] & 15] };
        gdb_buf_append(b, two, 2);
    }
}

void gdb_buf_consume(GdbBuf *b, size_t n)
{
    if (n >= b->len) {
        b->len = 0;
    } else {
        memmove(b->data, b->data + n, b->len - n);
        b->len -= n;
    }
    if (b->data) {
        b->data[b->len] = '\0';
    }
}

void gdb_buf_free(GdbBuf *b)
{
    free(b->data);
    memset(b, 0, sizeof(*b));
}

void gdb_packet_encode(GdbBuf *out, const char *data, size_t len)
{
    uint8_t sum = 0;
    gdb_buf_append(out, "$", 1);
    for (size_t i = 0; i < len; i++) {
        char c = data[i];
        if (c == '$' || c == '#' || c == '}' || c == '*') {
            char esc[2] = { '}', (char)(c ^ 0x20) };
            gdb_buf_append(out, esc, 2);
            sum += (uint8_t)esc[0] + (uint8_t)esc[1];
        } else {
            gdb_buf_append(out, &c, 1);
            sum += (uint8_t)c;
        }
    }
    gdb_buf_printf(out, "#%02x", sum);
}

/* ---- decoding ---- */

size_t gdb_unescape(char *data, size_t len)
{
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        if (data[i] == '}' && i + 1 < len) {
            data[o++] = (char)(data[++i] ^ 0x20);
        } else {
            data[o++] = data[i];
        }
    }
    return o;
}

bool gdb_hex_decode(const char *hex, uint8_t *out, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        int hi = gdb_hexval((unsigned char)hex[2 * i]);
        int lo = hi < 0 ? -1 : gdb_hexval((unsigned char)hex[2 * i + 1]);
        if (lo < 0) {
            return false;
        }
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    return true;
}

bool gdb_parse_hex(const char **p, uint64_t *v)
{
    const char *s = *p;
    uint64_t n = 0;
    int digits = 0, d;
    while ((d = gdb_hexval((unsigned char)*s)) >= 0) {
        if (++digits > 16) {
            return false;
        }
        n = n << 4 | (uint64_t)d;
        s++;
    }
    if (!digits) {
        return false;
    }
    *p = s;
    *v = n;
    return true;
}

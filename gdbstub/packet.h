/* The GDB remote serial protocol's framing: "$data#cs" packets with a
 * modulo-256 checksum, '+'/'-' acknowledgements (until QStartNoAckMode),
 * '}' escapes, and the interrupt byte 0x03 between packets. Bytes in,
 * events out: no I/O here, so the unit tests and the fuzzer drive it with
 * plain buffers. */
#ifndef GDBSTUB_PACKET_H
#define GDBSTUB_PACKET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The largest packet accepted (the PacketSize qSupported announces, in
 * bytes of packet data). A longer one is dropped whole and nacked. */
#define GDB_PACKET_MAX 16384

typedef enum GdbPacketEvent {
    GDB_EV_NONE,                 /* keep feeding */
    GDB_EV_PACKET,               /* a packet with a good checksum: r->buf, r->len */
    GDB_EV_BAD,                  /* bad checksum or too long: the peer should resend */
    GDB_EV_INTERRUPT,            /* 0x03 outside a packet (Ctrl-C) */
    GDB_EV_ACK,                  /* '+' */
    GDB_EV_NACK,                 /* '-': resend the last packet */
} GdbPacketEvent;

typedef struct GdbPacketReader {
    enum { GDB_RD_IDLE, GDB_RD_DATA, GDB_RD_CSUM1, GDB_RD_CSUM2 } state;
    char buf[GDB_PACKET_MAX + 1]; /* the packet's data (escapes kept), NUL-terminated */
    size_t len;
    uint8_t sum;                 /* running checksum of the data */
    uint8_t csum;                /* the checksum received */
    bool overflow;               /* the data outgrew buf: the packet is refused */
} GdbPacketReader;

void gdb_packet_reader_init(GdbPacketReader *r);
GdbPacketEvent gdb_packet_feed(GdbPacketReader *r, uint8_t c);

/* A growable byte buffer (replies, the output queue). */
typedef struct GdbBuf {
    char *data;
    size_t len, cap;
} GdbBuf;

void gdb_buf_append(GdbBuf *b, const void *data, size_t len);
void gdb_buf_puts(GdbBuf *b, const char *s);
void gdb_buf_printf(GdbBuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void gdb_buf_hex(GdbBuf *b, const void *data, size_t len);   /* two lower-case digits a byte */
void gdb_buf_consume(GdbBuf *b, size_t n);                     /* drops n bytes from the front */
void gdb_buf_free(GdbBuf *b);

/* Frames data as "$...#cs" at the end of out, escaping '$', '#', '}' and
 * '*' (gdb undoes '}' escapes in every packet it reads). */
void gdb_packet_encode(GdbBuf *out, const char *data, size_t len);

/* Undoes '}' escapes (X packets' binary data) in place; returns the new
 * length. */
size_t gdb_unescape(char *data, size_t len);
/* Hex digit value, or -1. */
int gdb_hexval(int c);
/* Decodes 2*len hex digits; false on a bad digit. */
bool gdb_hex_decode(const char *hex, uint8_t *out, size_t len);
/* Parses a hex number at *p (at least one digit, at most 16), advancing
 * *p; false when there is none or it overflows 64 bits. */
bool gdb_parse_hex(const char **p, uint64_t *v);

#endif

/* Telnet on a -monitor or -serial socket (telnet:HOST:PORT,server or
 * -chardev socket,...,telnet=on), as QEMU's chardev/char-socket.c: the
 * server asks the client not to echo and not to send go-aheads, and the
 * client's IAC sequences are removed from the input. */
#ifndef MONITOR_TELNET_H
#define MONITOR_TELNET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct Monitor Monitor;

typedef struct Telnet {
    int state;                   /* where in an IAC sequence the input is */
    bool cr;                     /* the last data byte was CR */
    /* the monitor's line, edited here: the client does not echo */
    char line[1024];
    size_t len;
} Telnet;

/* A client connected on fd: forgets the last one's state and sends
 * IAC WILL ECHO, IAC WILL SUPPRESS-GO-AHEAD. */
void telnet_start(Telnet *t, int fd);
/* Removes IAC sequences from buf in place (IAC IAC is a 0xff data byte);
 * returns the data length. Sequences may span calls. */
size_t telnet_strip(Telnet *t, uint8_t *buf, size_t len);
/* Monitor input from a telnet client: strips IAC, echoes to fd with
 * backspace editing, and hands each completed line to the monitor. */
void telnet_monitor_input(Telnet *t, int fd, Monitor *mon, uint8_t *buf, size_t len);

#endif

#include "monitor/telnet.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "monitor/monitor-int.h"

#define IAC  255
#define DONT 254
#define DO   253
#define WONT 252
#define WILL 251
#define SB   250
#define SE   240
#define OPT_ECHO 1
#define OPT_SGA  3

enum { TN_DATA, TN_IAC, TN_OPT, TN_SB, TN_SB_IAC };

/* Best effort: the echo of a client that stopped reading is lost, never
 * waited for. */
static void tn_send(int fd, const void *buf, size_t len)
{
    while (len) {
        ssize_t n = write(fd, buf, len);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            return;
        }
        buf = (const char *)buf + n;
        len -= (size_t)n;
    }
}

void telnet_start(Telnet *t, int fd)
{
    memset(t, 0, sizeof(*t));
    static const uint8_t init[] = { IAC, WILL, OPT_ECHO, IAC, WILL, OPT_SGA };
    tn_send(fd, init, sizeof(init));
}

size_t telnet_strip(Telnet *t, uint8_t *buf, size_t len)
{
    size_t j = 0;
    for (size_t i = 0; i < len; i++) {
        uint8_t c = buf[i];
        switch (t->state) {
        case TN_DATA:
            if (c == IAC) {
                t->state = TN_IAC;
            } else {
                buf[j++] = c;
            }
            break;
        case TN_IAC:
            if (c == IAC) {
                buf[j++] = IAC;  /* an escaped 0xff */
                t->state = TN_DATA;
            } else if (c >= WILL && c <= DONT) {
                t->state = TN_OPT;           /* the option byte follows */
            } else if (c == SB) {
                t->state = TN_SB;            /* until IAC SE */
            } else {
                t->state = TN_DATA;          /* NOP, BREAK, AYT, ...: dropped */
            }
            break;
        case TN_OPT:
            t->state = TN_DATA;
            break;
        case TN_SB:
            if (c == IAC) {
                t->state = TN_SB_IAC;
            }
            break;
        case TN_SB_IAC:
            t->state = c == SE ? TN_DATA : TN_SB;
            break;
        }
    }
    return j;
}

void telnet_monitor_input(Telnet *t, int fd, Monitor *mon, uint8_t *buf, size_t len)
{
    len = telnet_strip(t, buf, len);
    for (size_t i = 0; i < len; i++) {
        uint8_t c = buf[i];
        bool after_cr = t->cr;
        t->cr = c == '\r';
        if ((c == '\n' || c == '\0') && after_cr) {
            continue;            /* the rest of a CR LF or CR NUL */
        }
        if (c == '\r' || c == '\n') {
            tn_send(fd, "\r\n", 2);
            t->line[t->len++] = '\n';
            monitor_input(mon, t->line, t->len);
            t->len = 0;
        } else if (c == 0x7f || c == 0x08) {
            if (t->len) {
                t->len--;
                tn_send(fd, "\b \b", 3);
            }
        } else if (c >= 0x20 && t->len + 1 < sizeof(t->line)) {
            t->line[t->len++] = (char)c;
            tn_send(fd, &c, 1);
        }
    }
}

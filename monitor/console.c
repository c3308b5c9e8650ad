/* stdio as the serial console, alone or shared with a monitor (QEMU's mux).
 *
 * QEMU's keys: Ctrl-A h help, Ctrl-A x quit, Ctrl-A c switch between the
 * serial console and the monitor, Ctrl-A Ctrl-A a literal Ctrl-A. Alone, the
 * escapes work on a terminal only (a piped stdin is pure guest input); in the
 * mux they work on pipes too, so scripts can switch focus. The guest's
 * output keeps flowing to stdout whichever side has the focus. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "emu/loop.h"
#include "io/fd-watch.h"
#include "monitor/console.h"
#include "monitor/monitor-int.h"

typedef struct Console {
    CharBackend *be;             /* NULL: the serial console is elsewhere */
    Monitor *mon;                /* the muxed monitor, or NULL */
    bool mux;
    bool tty;
    bool raw;
    bool escape;                 /* Ctrl-A seen */
    bool focus_mon;
    bool banner_shown;
    struct termios saved;
} Console;

static Console console;

void console_init(CharBackend *serial, bool mux)
{
    console.be = serial;
    console.mux = mux;
    console.tty = isatty(0);
}

void console_set_monitor(Monitor *mon)
{
    console.mon = mon;
    mon->echo = !console.tty;
    mon->show_prompt = true;
    mon->hidden = true;          /* the serial console has the focus first */
    if (mon->kind == MON_KIND_READLINE) {
        monitor_readline_start(mon, true);
    }
}

void console_restore(void)
{
    if (console.raw) {
        tcsetattr(0, TCSANOW, &console.saved);
        console.raw = false;
    }
}

/* QEMU's -nographic terminal settings: no echo, no line editing, no signals
 * (Ctrl-C goes to the guest), output post-processing kept. */
static void console_set_raw(void)
{
    struct termios t;
    if (tcgetattr(0, &console.saved) < 0) {
        return;
    }
    t = console.saved;
    t.c_iflag &= ~(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR | IGNCR | ICRNL | IXON);
    t.c_oflag |= OPOST;
    t.c_lflag &= ~(ECHO | ECHONL | ICANON | IEXTEN | ISIG);
    t.c_cflag &= ~(CSIZE | PARENB);
    t.c_cflag |= CS8;
    t.c_cc[VMIN] = 1;
    t.c_cc[VTIME] = 0;
    if (tcsetattr(0, TCSANOW, &t) == 0) {
        console.raw = true;
        atexit(console_restore);
    }
}

static void console_print(const char *s)
{
    ssize_t r = write(1, s, strlen(s));
    (void)r;
}

static void console_focus(bool mon)
{
    Monitor *m = console.mon;
    console.focus_mon = mon;
    m->hidden = !mon;
    if (!mon) {
        if (m->kind == MON_KIND_READLINE) {
            monitor_readline_detach(m);
        }
        return;
    }
    if (!console.banner_shown) {
        console.banner_shown = true;
        console_print(console.raw ? "\r\n" : "\n");
        monitor_print_banner(m);
    }
    if (m->kind == MON_KIND_READLINE) {
        monitor_readline_attach(m);
    } else if (!m->suspended) {
        monitor_print_prompt(m);
    }
}

/* Bytes for the focused side. */
static void console_deliver(const uint8_t *buf, size_t n)
{
    if (!n) {
        return;
    }
    if (!console.focus_mon) {
        chardev_feed(console.be, buf, n);
        return;
    }
    Monitor *m = console.mon;
    if (m->suspended && memchr(buf, 0x03, n) && m->cancel_fn) {
        m->cancel_fn(m, m->cancel_opaque);     /* Ctrl-C: the terminal is raw */
        return;
    }
    if (m->kind == MON_KIND_READLINE) {
        monitor_readline_input(m, (const char *)buf, n);
    } else {
        monitor_input(m, (const char *)buf, n);
    }
}

static void console_escape(uint8_t c, uint8_t *out, size_t *n)
{
    switch (c) {
    case 'x':
    case 'X':
        console_print(console.raw ? "amber: Terminated\r\n" : "amber: Terminated\n");
        loop_quit(0);
        break;
    case 'h':
    case 'H':
    case '?':
        console_print(console.mux ? "\r\nC-a h    print this help\r\n"
                                    "C-a x    exit emulator\r\n"
                                    "C-a c    switch between console and monitor\r\n"
                                    "C-a C-a  sends C-a\r\n"
                                  : "\r\nC-a h    print this help\r\n"
                                    "C-a x    exit emulator\r\n"
                                    "C-a C-a  sends C-a\r\n");
        break;
    case 'c':
    case 'C':
        if (console.mux && console.mon) {
            console_deliver(out, *n);      /* what came before goes to the old side */
            *n = 0;
            console_focus(!console.focus_mon);
        }
        break;
    case 0x01:
        out[(*n)++] = 0x01;
        break;
    default:
        break;                   /* unknown escapes are dropped, as QEMU */
    }
}

static void console_read(void *opaque)
{
    uint8_t buf[256], out[256];
    size_t want = sizeof(buf);
    if (!console.focus_mon) {
        size_t room = sizeof(console.be->pending) - console.be->pending_len;
        if (room == 0) {
            return;              /* the guest is not reading: leave it in the pipe */
        }
        want = room < want ? room : want;
    }
    ssize_t len = read(0, buf, want);
    if (len < 0 && (errno == EINTR || errno == EAGAIN)) {
        return;
    }
    if (len <= 0) {
        /* EOF on a pipe or file: the guest keeps running and ends the run
         * itself through the finisher (or a monitor quits). */
        fd_watch_remove(0);
        if (console.focus_mon && console.mon->kind == MON_KIND_PLAIN) {
            monitor_input_eof(console.mon);
        }
        return;
    }
    bool escapes = console.mux || console.tty;
    size_t n = 0;
    for (ssize_t i = 0; i < len; i++) {
        if (console.escape) {
            console.escape = false;
            console_escape(buf[i], out, &n);
        } else if (escapes && buf[i] == 0x01) {
            console.escape = true;
        } else {
            out[n++] = buf[i];
        }
    }
    console_deliver(out, n);
}

void console_start(void)
{
    if (!console.be) {
        return;
    }
    if (console.tty) {
        console_set_raw();
    }
    fd_watch_add(0, console_read, NULL);
}

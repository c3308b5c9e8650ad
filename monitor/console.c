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

/* The hub's part (MonitorHub.console), made by console_init. */
typedef struct Console {
    Loop *loop;                  /* the hub's: stdin is watched there */
    CharBackend *be;             /* the guest's serial port */
    Monitor *mon;                /* the muxed monitor, or NULL */
    bool mux;
    bool tty;
    bool raw;
    bool escape;                 /* Ctrl-A seen */
    bool focus_mon;
    bool banner_shown;
    struct termios saved;
} Console;

void console_init(MonitorHub *hub, CharBackend *serial, bool mux)
{
    Console *c = calloc(1, sizeof(*c));
    c->be = serial;
    c->loop = hub->loop;
    c->mux = mux;
    c->tty = isatty(0);
    hub->console = c;
}

void console_set_monitor(MonitorHub *hub, Monitor *mon)
{
    Console *c = hub->console;
    c->mon = mon;
    mon->echo = !c->tty;
    mon->show_prompt = true;
    mon->hidden = true;          /* the serial console has the focus first */
    if (mon->kind == MON_KIND_READLINE) {
        monitor_tty_start(mon, true);
    }
}

void console_restore(MonitorHub *hub)
{
    Console *c = hub->console;
    if (c && c->raw) {
        tcsetattr(0, TCSANOW, &c->saved);
        c->raw = false;
    }
}

void console_free(MonitorHub *hub)
{
    console_restore(hub);
    free(hub->console);
    hub->console = NULL;
}

/* QEMU's -nographic terminal settings: no echo, no line editing, no signals
 * (Ctrl-C goes to the guest), output post-processing kept. Every way out
 * after console_start() passes monitor_cleanup(), which restores them. */
static void console_set_raw(Console *c)
{
    struct termios t;
    if (tcgetattr(0, &c->saved) < 0) {
        return;
    }
    t = c->saved;
    t.c_iflag &= ~(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR | IGNCR | ICRNL | IXON);
    t.c_oflag |= OPOST;
    t.c_lflag &= ~(ECHO | ECHONL | ICANON | IEXTEN | ISIG);
    t.c_cflag &= ~(CSIZE | PARENB);
    t.c_cflag |= CS8;
    t.c_cc[VMIN] = 1;
    t.c_cc[VTIME] = 0;
    if (tcsetattr(0, TCSANOW, &t) == 0) {
        c->raw = true;
    }
}

static void console_print(const char *s)
{
    ssize_t r = write(1, s, strlen(s));
    (void)r;
}

static void console_focus(Console *c, bool mon)
{
    Monitor *m = c->mon;
    c->focus_mon = mon;
    m->hidden = !mon;
    if (!mon) {
        if (m->kind == MON_KIND_READLINE) {
            monitor_tty_detach(m);
        }
        return;
    }
    if (!c->banner_shown) {
        c->banner_shown = true;
        console_print(c->raw ? "\r\n" : "\n");
        monitor_print_banner(m);
    }
    if (m->kind == MON_KIND_READLINE) {
        monitor_tty_attach(m);
    } else if (!m->suspended) {
        monitor_print_prompt(m);
    }
}

/* Bytes for the focused side. */
static void console_deliver(Console *c, const uint8_t *buf, size_t n)
{
    if (!n) {
        return;
    }
    if (!c->focus_mon) {
        chardev_feed(c->be, buf, n);
        return;
    }
    Monitor *m = c->mon;
    if (m->suspended && memchr(buf, 0x03, n) && m->cancel_fn) {
        m->cancel_fn(m, m->cancel_opaque);     /* Ctrl-C: the terminal is raw */
        return;
    }
    if (m->kind == MON_KIND_READLINE) {
        monitor_tty_input(m, (const char *)buf, n);
    } else {
        monitor_input(m, (const char *)buf, n);
    }
}

static void console_escape(Console *con, uint8_t c, uint8_t *out, size_t *n)
{
    switch (c) {
    case 'x':
    case 'X':
        console_print(con->raw ? "amber: Terminated\r\n" : "amber: Terminated\n");
        loop_quit(con->loop, 0);
        break;
    case 'h':
    case 'H':
    case '?':
        console_print(con->mux ? "\r\nC-a h    print this help\r\n"
                                    "C-a x    exit emulator\r\n"
                                    "C-a c    switch between console and monitor\r\n"
                                    "C-a C-a  sends C-a\r\n"
                                  : "\r\nC-a h    print this help\r\n"
                                    "C-a x    exit emulator\r\n"
                                    "C-a C-a  sends C-a\r\n");
        break;
    case 'c':
    case 'C':
        if (con->mux && con->mon) {
            console_deliver(con, out, *n);     /* what came before goes to the old side */
            *n = 0;
            console_focus(con, !con->focus_mon);
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
    Console *c = opaque;
    uint8_t buf[256], out[256];
    size_t want = sizeof(buf);
    if (!c->focus_mon) {
        size_t room = sizeof(c->be->pending) - c->be->pending_len;
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
        fd_watch_remove(&c->loop->fds, 0);
        if (c->focus_mon && c->mon->kind == MON_KIND_PLAIN) {
            monitor_input_eof(c->mon);
        }
        return;
    }
    bool escapes = c->mux || c->tty;
    size_t n = 0;
    for (ssize_t i = 0; i < len; i++) {
        if (c->escape) {
            c->escape = false;
            console_escape(c, buf[i], out, &n);
        } else if (escapes && buf[i] == 0x01) {
            c->escape = true;
        } else {
            out[n++] = buf[i];
        }
    }
    console_deliver(c, out, n);
}

void console_start(MonitorHub *hub)
{
    Console *c = hub->console;
    if (!c) {
        return;
    }
    if (c->tty) {
        console_set_raw(c);
    }
    fd_watch_add(&c->loop->fds, 0, console_read, c);
}

/* A monitor on the terminal: the Monitor side of monitor/readline.c. Lines
 * readline hands back run as commands, completion comes from the command
 * table, and the prompt hides while a command waits. One per process, as
 * GNU readline is: -monitor stdio on a tty, or the -nographic mux's monitor
 * on a tty (muxed: monitor/console.c feeds the bytes and the focus). */
#include <errno.h>
#include <unistd.h>

#include "emu/loop.h"
#include "io/fd-watch.h"
#include "monitor/monitor-int.h"
#include "monitor/readline.h"

static void tty_line(void *opaque, const char *line)
{
    Monitor *mon = opaque;
    MonReadline *rl = mon->opaque;
    if (!line) {
        /* Ctrl-D on an empty line: the end of this terminal's input. */
        mon_readline_detach(rl);
        monitor_puts(mon, "\n");
        if (!mon->tty_muxed) {
            monitor_request_quit(mon, 0);
        } else {
            monitor_tty_attach(mon);
        }
        return;
    }
    monitor_handle_line(mon, line);
    if (mon->hub->quitting) {
        mon_readline_detach(rl);
    }
}

static void tty_complete(void *opaque, const char *line, size_t end, MonReadlineAdd add,
                         void *add_opaque)
{
    Monitor *mon = opaque;
    mon_complete(mon->hub, line, end, add, add_opaque);
}

static const MonReadlineOps tty_rl_ops = { .line = tty_line, .complete = tty_complete };

/* A command waits: no prompt, and typed keys wait in readline's queue. */
static void tty_suspend(Monitor *mon)
{
    monitor_tty_detach(mon);
}

static void tty_resume(Monitor *mon)
{
    if (!mon->hidden) {
        monitor_tty_attach(mon);
    }
}

static const MonitorOps tty_ops = { .suspend = tty_suspend, .resume = tty_resume };

static void tty_fd_read(void *opaque)
{
    Monitor *mon = opaque;
    char buf[256];
    ssize_t n = read(0, buf, sizeof(buf));
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) {
        return;
    }
    if (n <= 0) {
        fd_watch_remove(&mon->hub->loop->fds, 0);
        monitor_tty_detach(mon);
        monitor_request_quit(mon, 0);
        return;
    }
    monitor_tty_input(mon, buf, (size_t)n);
}

void monitor_tty_start(Monitor *mon, bool muxed)
{
    mon->ops = &tty_ops;
    mon->tty_muxed = muxed;
    mon->opaque = mon_readline_new(MONITOR_PROMPT, muxed, &tty_rl_ops, mon);
    if (!muxed) {
        monitor_print_banner(mon);
        fd_watch_add(&mon->hub->loop->fds, 0, tty_fd_read, mon);
        monitor_tty_attach(mon);
    }
}

/* After monitor_tty_stop() (exit) the monitor has no line editor: the
 * terminal is the shell's again, and whatever still arrives is dropped. */
void monitor_tty_input(Monitor *mon, const char *buf, size_t len)
{
    if (mon->opaque) {
        mon_readline_input(mon->opaque, buf, len);
    }
}

void monitor_tty_attach(Monitor *mon)
{
    if (mon->opaque && !mon->suspended) {
        mon_readline_attach(mon->opaque);
    }
}

void monitor_tty_detach(Monitor *mon)
{
    if (mon->opaque) {
        mon_readline_detach(mon->opaque);
    }
}

void monitor_tty_stop(Monitor *mon)
{
    mon_readline_free(mon->opaque);
    mon->opaque = NULL;
}

/* The monitor on a terminal: GNU readline in callback mode, so the event
 * loop keeps running the guest while a person types. Bytes reach readline
 * through a queue (rl_getc_function): from stdin directly, or from the
 * -nographic mux when the monitor has the focus. History is kept in a file
 * ($AMBER_HISTORY, default ~/.amber_history; an empty value keeps none);
 * completion comes from the command table (monitor/complete.c). Readline is
 * process-global, so there is one such monitor; others fall back to plain
 * line input. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <readline/history.h>
#include <readline/readline.h>

#include "emu/loop.h"
#include "io/fd-watch.h"
#include "monitor/monitor-int.h"

#define RL_QUEUE 4096
#define RL_HISTORY_MAX 1000

static struct {
    Monitor *mon;
    bool muxed;                  /* the console owns the terminal */
    bool installed;              /* a prompt is shown, readline takes input */
    unsigned char q[RL_QUEUE];
    size_t qh, qt;
    char *histfile;
    char **cands;
    size_t ncands, capcands;
} rl;

static int rl_queue_getc(FILE *f)
{
    if (rl.qh < rl.qt) {
        return rl.q[rl.qh++];
    }
    if (!rl.muxed) {
        unsigned char c;
        ssize_t n;
        do {
            n = read(0, &c, 1);    /* readline wants the rest of a key sequence */
        } while (n < 0 && errno == EINTR);
        return n == 1 ? c : EOF;
    }
    return EOF;
}

static int rl_queue_avail(void)
{
    return rl.qh < rl.qt;
}

static void rl_term_noop(int meta)
{
}

static void rl_deprep_noop(void)
{
}

const char *monitor_history_path(void)
{
    return rl.histfile;
}

static void rl_line(char *line);

void monitor_readline_attach(Monitor *mon)
{
    if (rl.mon != mon || rl.installed || mon->suspended) {
        return;
    }
    rl.installed = true;
    rl_callback_handler_install(MONITOR_PROMPT, rl_line);
    /* Type-ahead that arrived while a command was waiting. */
    while (rl.installed && rl.qh < rl.qt) {
        rl_callback_read_char();
    }
}

void monitor_readline_detach(Monitor *mon)
{
    if (rl.mon != mon || !rl.installed) {
        return;
    }
    rl.installed = false;
    rl_callback_handler_remove();
}

static void rl_line(char *line)
{
    Monitor *mon = rl.mon;
    if (!line) {
        /* Ctrl-D on an empty line: the end of this terminal's input. */
        monitor_readline_detach(mon);
        monitor_puts(mon, "\n");
        if (!rl.muxed) {
            monitor_request_quit(mon, 0);
        } else {
            monitor_readline_attach(mon);
        }
        return;
    }
    if (*line) {
        HIST_ENTRY *last = history_length ? history_get(history_base + history_length - 1) : NULL;
        if (!last || strcmp(last->line, line)) {
            add_history(line);
            if (rl.histfile) {
                write_history(rl.histfile);   /* now, so a killed run keeps it */
            }
        }
    }
    monitor_handle_line(mon, line);
    free(line);
    if (monitor_quitting) {
        monitor_readline_detach(mon);
    }
}

void monitor_readline_input(Monitor *mon, const char *buf, size_t len)
{
    if (rl.qh == rl.qt) {
        rl.qh = rl.qt = 0;
    } else if (rl.qh > 0) {
        memmove(rl.q, rl.q + rl.qh, rl.qt - rl.qh);
        rl.qt -= rl.qh;
        rl.qh = 0;
    }
    size_t room = RL_QUEUE - rl.qt;
    if (len > room) {
        len = room;              /* pasting faster than commands run: the excess is lost */
    }
    memcpy(rl.q + rl.qt, buf, len);
    rl.qt += len;
    while (rl.installed && rl.qh < rl.qt && !monitor_quitting) {
        rl_callback_read_char();
    }
}

static void rl_fd_read(void *opaque)
{
    Monitor *mon = opaque;
    char buf[256];
    ssize_t n = read(0, buf, sizeof(buf));
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) {
        return;
    }
    if (n <= 0) {
        fd_watch_remove(0);
        monitor_readline_detach(mon);
        monitor_request_quit(mon, 0);
        return;
    }
    monitor_readline_input(mon, buf, (size_t)n);
}

/* ---- completion ---- */

static void rl_add_cand(void *opaque, const char *c)
{
    for (size_t i = 0; i < rl.ncands; i++) {
        if (!strcmp(rl.cands[i], c)) {
            return;
        }
    }
    if (rl.ncands == rl.capcands) {
        rl.capcands = rl.capcands ? rl.capcands * 2 : 32;
        rl.cands = realloc(rl.cands, rl.capcands * sizeof(*rl.cands));
    }
    rl.cands[rl.ncands++] = strdup(c);
}

static void rl_free_cands(void)
{
    for (size_t i = 0; i < rl.ncands; i++) {
        free(rl.cands[i]);
    }
    rl.ncands = 0;
}

static char *rl_generator(const char *text, int state)
{
    static size_t i;
    if (!state) {
        i = 0;
    }
    return i < rl.ncands ? strdup(rl.cands[i++]) : NULL;
}

static char **rl_attempt(const char *text, int start, int end)
{
    rl_attempted_completion_over = 1;    /* no fallback to readline's file names */
    rl_free_cands();
    mon_complete(rl_line_buffer, (size_t)end, rl_add_cand, NULL);
    if (rl.ncands == 1) {
        size_t l = strlen(rl.cands[0]);
        if (l && rl.cands[0][l - 1] == '/') {
            rl_completion_suppress_append = 1;   /* a directory: keep typing its path */
        }
    }
    return rl_completion_matches(text, rl_generator);
}

/* ---- start and stop ---- */

void monitor_readline_start(Monitor *mon, bool muxed)
{
    if (rl.mon) {
        return;
    }
    rl.mon = mon;
    rl.muxed = muxed;
    const char *h = getenv("AMBER_HISTORY");
    const char *home = getenv("HOME");
    if (h) {
        rl.histfile = *h ? strdup(h) : NULL;
    } else if (home && *home) {
        size_t n = strlen(home) + 32;
        rl.histfile = malloc(n);
        snprintf(rl.histfile, n, "%s/.amber_history", home);
    }
    rl_readline_name = "amber";
    rl_instream = stdin;
    rl_outstream = stdout;
    rl_getc_function = rl_queue_getc;
    rl_input_available_hook = rl_queue_avail;
    rl_catch_signals = 0;        /* SIGINT is the main loop's (it cancels expect) */
    rl_catch_sigwinch = 0;
    rl_attempted_completion_function = rl_attempt;
    rl_basic_word_break_characters = " \t";
    rl_completer_word_break_characters = " \t";
    rl_completion_query_items = 1000;
    if (muxed) {
        rl_prep_term_function = rl_term_noop;
        rl_deprep_term_function = rl_deprep_noop;
    }
    using_history();
    stifle_history(RL_HISTORY_MAX);
    if (rl.histfile) {
        read_history(rl.histfile);       /* a missing file is a fresh history */
    }
    if (!muxed) {
        monitor_print_banner(mon);
        fd_watch_add(0, rl_fd_read, mon);
        monitor_readline_attach(mon);
    }
}

void monitor_readline_cleanup(void)
{
    if (!rl.mon) {
        return;
    }
    if (rl.installed) {
        rl.installed = false;
        rl_callback_handler_remove();    /* restores the terminal */
    }
    if (rl.histfile) {
        write_history(rl.histfile);
    }
    rl_free_cands();
    free(rl.cands);
    rl.cands = NULL;
    free(rl.histfile);
    rl.histfile = NULL;
    rl.mon = NULL;
}

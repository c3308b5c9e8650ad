/* GNU readline in callback mode, so the event loop keeps running the guest
 * while a person types. Bytes reach readline through a queue
 * (rl_getc_function): from stdin directly, or from the -nographic mux when
 * the monitor has the focus. History is kept in a file; a finished line and
 * completion go to the owner's callbacks (monitor/readline.h). */
#include "monitor/readline.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <readline/history.h>
#include <readline/readline.h>

#define RL_QUEUE 4096
#define RL_HISTORY_MAX 1000

struct MonReadline {
    const MonReadlineOps *ops;
    void *opaque;
    char *prompt;
    bool muxed;                  /* the console owns the terminal */
    bool installed;              /* a prompt is shown, readline takes input */
    unsigned char q[RL_QUEUE];
    size_t qh, qt;
    char *histfile;
    char **cands;                /* the completion being offered */
    size_t ncands, capcands, next_cand;
};

/* GNU readline calls its hooks (getc, the line handler, completion) without
 * an argument, and keeps one global state of its own, so one MonReadline is
 * active at a time. This names the one readline is working for: set around
 * each call into readline that can call back, NULL otherwise. It is the
 * monitor's one mutable global; readline's API leaves no other place. */
static MonReadline *rl_current;

static int rl_queue_getc(FILE *f)
{
    MonReadline *rl = rl_current;
    if (!rl) {
        return EOF;
    }
    if (rl->qh < rl->qt) {
        return rl->q[rl->qh++];
    }
    if (!rl->muxed) {
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
    return rl_current && rl_current->qh < rl_current->qt;
}

static void rl_term_noop(int meta)
{
}

static void rl_deprep_noop(void)
{
}

/* One key through readline on rl's behalf (it may call any hook). */
static void rl_feed(MonReadline *rl)
{
    MonReadline *outer = rl_current;     /* a line handler may attach again */
    rl_current = rl;
    rl_callback_read_char();
    rl_current = outer;
}

static void rl_line(char *line);

void mon_readline_attach(MonReadline *rl)
{
    if (rl->installed) {
        return;
    }
    rl->installed = true;
    rl_callback_handler_install(rl->prompt, rl_line);
    /* Type-ahead that arrived while a command was waiting. */
    while (rl->installed && rl->qh < rl->qt) {
        rl_feed(rl);
    }
}

void mon_readline_detach(MonReadline *rl)
{
    if (!rl->installed) {
        return;
    }
    rl->installed = false;
    rl_callback_handler_remove();
}

static void rl_line(char *line)
{
    MonReadline *rl = rl_current;
    if (line && *line) {
        HIST_ENTRY *last = history_length ? history_get(history_base + history_length - 1) : NULL;
        if (!last || strcmp(last->line, line)) {
            add_history(line);
            if (rl->histfile) {
                write_history(rl->histfile);   /* now, so a killed run keeps it */
            }
        }
    }
    rl->ops->line(rl->opaque, line);
    free(line);
}

void mon_readline_input(MonReadline *rl, const char *buf, size_t len)
{
    if (rl->qh == rl->qt) {
        rl->qh = rl->qt = 0;
    } else if (rl->qh > 0) {
        memmove(rl->q, rl->q + rl->qh, rl->qt - rl->qh);
        rl->qt -= rl->qh;
        rl->qh = 0;
    }
    size_t room = RL_QUEUE - rl->qt;
    if (len > room) {
        len = room;              /* pasting faster than commands run: the excess is lost */
    }
    memcpy(rl->q + rl->qt, buf, len);
    rl->qt += len;
    while (rl->installed && rl->qh < rl->qt) {
        rl_feed(rl);
    }
}

/* ---- completion ---- */

static void rl_add_cand(void *opaque, const char *c)
{
    MonReadline *rl = opaque;
    for (size_t i = 0; i < rl->ncands; i++) {
        if (!strcmp(rl->cands[i], c)) {
            return;
        }
    }
    if (rl->ncands == rl->capcands) {
        rl->capcands = rl->capcands ? rl->capcands * 2 : 32;
        rl->cands = realloc(rl->cands, rl->capcands * sizeof(*rl->cands));
    }
    rl->cands[rl->ncands++] = strdup(c);
}

static void rl_free_cands(MonReadline *rl)
{
    for (size_t i = 0; i < rl->ncands; i++) {
        free(rl->cands[i]);
    }
    rl->ncands = 0;
}

static char *rl_generator(const char *text, int state)
{
    MonReadline *rl = rl_current;
    if (!state) {
        rl->next_cand = 0;
    }
    return rl->next_cand < rl->ncands ? strdup(rl->cands[rl->next_cand++]) : NULL;
}

static char **rl_attempt(const char *text, int start, int end)
{
    MonReadline *rl = rl_current;
    rl_attempted_completion_over = 1;    /* no fallback to readline's file names */
    rl_free_cands(rl);
    rl->ops->complete(rl->opaque, rl_line_buffer, (size_t)end, rl_add_cand, rl);
    if (rl->ncands == 1) {
        size_t l = strlen(rl->cands[0]);
        if (l && rl->cands[0][l - 1] == '/') {
            rl_completion_suppress_append = 1;   /* a directory: keep typing its path */
        }
    }
    return rl_completion_matches(text, rl_generator);
}

/* ---- start and stop ---- */

MonReadline *mon_readline_new(const char *prompt, bool muxed, const MonReadlineOps *ops,
                              void *opaque)
{
    MonReadline *rl = calloc(1, sizeof(*rl));
    rl->ops = ops;
    rl->opaque = opaque;
    rl->prompt = strdup(prompt);
    rl->muxed = muxed;
    const char *h = getenv("AMBER_HISTORY");
    const char *home = getenv("HOME");
    if (h) {
        rl->histfile = *h ? strdup(h) : NULL;
    } else if (home && *home) {
        size_t n = strlen(home) + 32;
        rl->histfile = malloc(n);
        snprintf(rl->histfile, n, "%s/.amber_history", home);
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
    if (rl->histfile) {
        read_history(rl->histfile);      /* a missing file is a fresh history */
    }
    return rl;
}

void mon_readline_free(MonReadline *rl)
{
    if (!rl) {
        return;
    }
    mon_readline_detach(rl);             /* restores the terminal */
    if (rl->histfile) {
        write_history(rl->histfile);
    }
    rl_free_cands(rl);
    free(rl->cands);
    free(rl->histfile);
    free(rl->prompt);
    free(rl);
}

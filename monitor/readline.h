/* Line editing on the terminal with GNU readline, in callback mode. It knows
 * no Monitor: a finished line and completion requests go to callbacks its
 * owner hands in (monitor/tty.c ties it to a monitor). */
#ifndef MONITOR_READLINE_H
#define MONITOR_READLINE_H

#include <stdbool.h>
#include <stddef.h>

typedef struct MonReadline MonReadline;

/* Same shape as MonCompleteAdd (monitor/hmp.h): one candidate. */
typedef void (*MonReadlineAdd)(void *opaque, const char *candidate);

typedef struct MonReadlineOps {
    /* A line was entered (NULL: Ctrl-D on an empty line). Owned by the
     * caller of the callback: valid until it returns. */
    void (*line)(void *opaque, const char *line);
    /* Candidates for the word that ends at `end` of line[0..end). */
    void (*complete)(void *opaque, const char *line, size_t end, MonReadlineAdd add,
                     void *add_opaque);
} MonReadlineOps;

/* muxed: the -nographic console owns the terminal and feeds the bytes (no
 * terminal mode changes here); else readline reads the rest of a key
 * sequence from fd 0 itself. Reads the history file ($AMBER_HISTORY, else
 * ~/.amber_history; an empty value keeps none). */
MonReadline *mon_readline_new(const char *prompt, bool muxed, const MonReadlineOps *ops,
                              void *opaque);
/* Bytes typed on the terminal; run through readline while it is attached,
 * else kept (up to a bound) for the next attach. */
void mon_readline_input(MonReadline *rl, const char *buf, size_t len);
/* Shows the prompt and takes input / hides it (a command waits, or the mux
 * gave the terminal to the serial console). */
void mon_readline_attach(MonReadline *rl);
void mon_readline_detach(MonReadline *rl);
/* Restores the terminal, writes the history and frees rl. */
void mon_readline_free(MonReadline *rl);

#endif

/* Monitor objects: line input (plain and batch), dispatch of one command
 * line through the table, failure accounting and the hub's history. Output
 * is monitor/output.c, the terminal monitor/tty.c, transports
 * monitor/setup.c. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "emu/loop.h"
#include "io/fd-watch.h"
#include "monitor/monitor-int.h"
#include "migration/migration.h"

/* Longest accepted input line; longer ones are refused as a whole. */
#define MON_MAX_LINE 65536

#ifndef AMBER_VERSION
#define AMBER_VERSION "0.0.0"
#endif

void monitor_history_add(MonitorHub *hub, const char *line)
{
    if (hub->history_len == MON_HISTORY_MAX) {
        free(hub->history[0]);
        memmove(hub->history, hub->history + 1, sizeof(hub->history[0]) * (MON_HISTORY_MAX - 1));
        hub->history_len--;
    }
    hub->history[hub->history_len++] = strdup(line);
}

void monitor_history_clear(MonitorHub *hub)
{
    for (int i = 0; i < hub->history_len; i++) {
        free(hub->history[i]);
    }
    hub->history_len = 0;
}

int monitor_history_count(const MonitorHub *hub)
{
    return hub->history_len;
}

const char *monitor_history_get(const MonitorHub *hub, int i)
{
    return i >= 0 && i < hub->history_len ? hub->history[i] : NULL;
}

Monitor *monitor_new(MonitorHub *hub, MonitorKind kind, const char *name, int fd_in, int fd_out)
{
    Monitor *mon = calloc(1, sizeof(*mon));
    mon->hub = hub;
    mon->kind = kind;
    snprintf(mon->name, sizeof(mon->name), "%s", name);
    mon->fd_in = fd_in;
    mon->fd_out = fd_out;
    mon->last_fmt.format = 'x';
    mon->last_fmt.size = 4;
    Monitor **pp = &hub->monitors;
    while (*pp) {
        pp = &(*pp)->next;       /* creation order, for info chardev */
    }
    *pp = mon;
    return mon;
}

Monitor *monitor_new_buffer(MonitorHub *hub)
{
    return monitor_new(hub, MON_KIND_BUFFER, "buffer", -1, -1);
}

const char *monitor_buffer(Monitor *mon)
{
    return mon->outbuf ? mon->outbuf : "";
}

void monitor_buffer_clear(Monitor *mon)
{
    mon->outlen = 0;
    if (mon->outbuf) {
        mon->outbuf[0] = '\0';
    }
}

void monitor_free(Monitor *mon)
{
    for (Monitor **pp = &mon->hub->monitors; *pp; pp = &(*pp)->next) {
        if (*pp == mon) {
            *pp = mon->next;
            break;
        }
    }
    if (mon->cancel_fn) {
        mon->cancel_fn(mon, mon->cancel_opaque);
    }
    if (mon->rd_cb) {
        fd_watch_remove(&mon->hub->loop->fds, mon->rd_fd);
    }
    if (mon->out_watched) {
        fd_watch_remove(&mon->hub->loop->fds, mon->fd_out);
    }
    free(mon->outbuf);
    free(mon->outq);
    free(mon->inbuf);
    free(mon);
}

bool monitor_is_interactive(const Monitor *mon)
{
    return mon->kind == MON_KIND_READLINE;
}


void monitor_set_last_format(Monitor *mon, const MonFormat *fmt)
{
    mon->last_fmt.format = fmt->format;
    mon->last_fmt.size = fmt->size;
}

void monitor_set_cancel(Monitor *mon, MonitorCancelFn fn, void *opaque)
{
    mon->cancel_fn = fn;
    mon->cancel_opaque = opaque;
}

/* Received by the socket transport (setup.c); the command takes it. */
int monitor_take_passed_fd(Monitor *mon)
{
    if (!mon || !mon->has_passed_fd) {
        return -1;
    }
    mon->has_passed_fd = false;
    return mon->passed_fd;
}

void monitor_suspend(Monitor *mon)
{
    mon->suspended = true;
    if (mon->ops && mon->ops->suspend) {
        mon->ops->suspend(mon);
    }
}

/* The exit status of a batch run so far. */
int monitor_exit_status(Monitor *mon)
{
    return mon->nr_failed && mon->errexit != MON_ERREXIT_IGNORE ? 1 : 0;
}

void monitor_request_quit(Monitor *mon, int status)
{
    mon->hub->quitting = true;
    loop_quit(mon->hub->loop, status);
}

void monitor_request_quit_after(Monitor *mon, uint64_t ns, int status)
{
    mon->hub->quitting = true;
    loop_quit_after(mon->hub->loop, ns, status);
}

static void monitor_command_done(Monitor *mon)
{
    if (mon->cmd_failed) {
        mon->nr_failed++;
        if (mon->errexit == MON_ERREXIT_ON && mon->batch) {
            monitor_puts(mon, "errexit: stopping at the first failed command\n");
            monitor_request_quit(mon, 1);
        }
    }
    mon->cmd_failed = false;
}

void monitor_resume(Monitor *mon)
{
    if (!mon->suspended) {
        return;
    }
    mon->suspended = false;
    monitor_command_done(mon);
    if (mon->rd_paused) {
        mon->rd_paused = false;
        monitor_update_fds(mon);
    }
    if (mon->ops && mon->ops->resume) {
        mon->ops->resume(mon);
    } else {
        /* plain, and the buffer kind (tests, fuzzing) alike */
        if (!mon->hidden && !mon->hub->quitting) {
            monitor_print_prompt(mon);
        }
        monitor_process_input(mon);
    }
}

static const char *trim(char *s)
{
    while (*s == ' ' || *s == '\t') {
        s++;
    }
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' || s[n - 1] == '\n')) {
        s[--n] = '\0';
    }
    return s;
}

/* A name as typed, safe to print: control and non-ASCII bytes as \xHH. */
static const char *printable(const char *s, char *buf, size_t len)
{
    size_t n = 0;
    for (; *s && n + 5 < len; s++) {
        unsigned char c = (unsigned char)*s;
        if (c < 32 || c >= 127) {
            n += (size_t)snprintf(buf + n, len - n, "\\x%02x", c);
        } else {
            buf[n++] = (char)c;
        }
    }
    buf[n] = '\0';
    return buf;
}

/* What answers while an incoming migration loads the machine on its loader
 * thread: the table's MON_CMD_WHILE_LOADING entries; for a command with
 * subcommands (info), the subcommand's flag decides, and the bare command
 * (which lists them) runs. */
static bool mon_allowed_while_loading(const MonCmd *cmd, const char *rest)
{
    if (!(cmd->flags & MON_CMD_WHILE_LOADING)) {
        return false;
    }
    if (!cmd->sub) {
        return true;
    }
    char subname[64];
    while (*rest == ' ' || *rest == '\t') {
        rest++;
    }
    mon_split_name(rest, subname, sizeof(subname));
    if (!subname[0]) {
        return true;
    }
    const MonCmd *sub = mon_find_cmd(cmd->sub, subname);
    return sub && (sub->flags & MON_CMD_WHILE_LOADING);
}

static void dispatch(Monitor *mon, const char *line)
{
    char name[64], shown[256];
    const char *rest = mon_split_name(line, name, sizeof(name));
    const MonCmd *cmd = mon_find_cmd(hmp_cmds, name);
    if (!cmd) {
        monitor_error(mon, "unknown command: '%s'", printable(name, shown, sizeof(shown)));
        return;
    }
    MigrationVM *vm = hmp_vm_or_null(mon->hub);
    if (vm && migration_incoming_loading(vm->mig) && !mon_allowed_while_loading(cmd, rest)) {
        monitor_error(mon, "'%s' is not available while the incoming migration is loading the "
                      "machine (see 'info migrate'); 'info status', 'info migrate' and 'quit' "
                      "answer meanwhile", name);
        return;
    }
    char prefix[80] = "";
    if (cmd->sub && *rest != '/') {
        const char *p = rest;
        while (*p == ' ' || *p == '\t') {
            p++;
        }
        if (*p) {
            char subname[64];
            const char *after = mon_split_name(p, subname, sizeof(subname));
            const MonCmd *sub = mon_find_cmd(cmd->sub, subname);
            if (!sub) {
                monitor_error(mon, "unknown %s subcommand: '%s'", name,
                              printable(subname, shown, sizeof(shown)));
                mon_print_help(mon, cmd->sub, "info ");
                return;
            }
            snprintf(prefix, sizeof(prefix), "%s ", name);
            cmd = sub;
            rest = after;
        }
    }
    MonParseCtx ctx = { hmp_reg_lookup, mon, mon->last_fmt };
    MonArgs args;
    Error err;
    error_init(&err);
    if (!mon_parse_args(cmd, rest, &ctx, &args, &err)) {
        monitor_error(mon, "%s", err.msg);
        mon_print_usage(mon, cmd, prefix);
        mon_args_free(&args);
        return;
    }
    cmd->handler(mon, &args);
    mon_args_free(&args);
}

void monitor_handle_line(Monitor *mon, const char *line)
{
    if (strlen(line) >= MON_MAX_LINE) {
        monitor_error(mon, "line too long (limit %d bytes)", MON_MAX_LINE - 1);
        monitor_command_done(mon);
        return;
    }
    char *copy = strdup(line);
    const char *l = trim(copy);
    if (*l) {
        monitor_history_add(mon->hub, l);
        dispatch(mon, l);
        if (!mon->suspended) {
            monitor_command_done(mon);
        }
    }
    free(copy);
}

/* ---- plain line input (pipes, files, sockets) ---- */

void monitor_print_banner(Monitor *mon)
{
    monitor_puts(mon, "Amber " AMBER_VERSION " monitor - type 'help' for more information\n");
    if (mon->hub->vm_name) {
        monitor_printf(mon, "VM name: %s\n", mon->hub->vm_name);   /* -name */
    }
}

void monitor_print_prompt(Monitor *mon)
{
    if (mon->show_prompt) {
        monitor_puts(mon, MONITOR_PROMPT);
    }
}

/* Runs the complete lines in the input buffer until a command waits. */
void monitor_process_input(Monitor *mon)
{
    mon->processing++;
    while (!mon->suspended && !mon->hub->quitting) {
        char *nl = mon->inbuf ? memchr(mon->inbuf, '\n', mon->inlen) : NULL;
        if (!nl) {
            break;
        }
        if (mon->outq_len > MON_MAX_OUTPUT) {
            /* More commands while the answers to the earlier ones are not
             * read: this client would make amber hold output without end. */
            monitor_output_overflow(mon, mon->outq_len);
            continue;            /* its input is gone with it (or runs unheard) */
        }
        size_t len = (size_t)(nl - mon->inbuf);
        char *line = strndup(mon->inbuf, len);
        bool had_nul = strlen(line) != len;
        memmove(mon->inbuf, nl + 1, mon->inlen - len - 1);
        mon->inlen -= len + 1;
        if (mon->overlong) {
            mon->overlong = false;     /* tail of a refused line */
            free(line);
            continue;
        }
        if (mon->echo) {
            monitor_printf(mon, "%s\n", line);
        }
        if (had_nul) {
            monitor_error(mon, "line contains a NUL byte");
            monitor_command_done(mon);
        } else {
            monitor_handle_line(mon, line);
        }
        free(line);
        if (!mon->suspended && !mon->hub->quitting && (mon->inlen || !mon->eof)) {
            monitor_print_prompt(mon);
        }
    }
    mon->processing--;
    if (mon->eof && !mon->suspended && !mon->hub->quitting && mon->ops && mon->ops->eof) {
        mon->ops->eof(mon);
    }
}

void monitor_watch_input(Monitor *mon, int fd, void (*cb)(void *opaque), void *opaque)
{
    if (!cb && mon->rd_cb) {
        fd_watch_remove(&mon->hub->loop->fds, mon->rd_fd);
        if (mon->rd_fd == mon->fd_out) {
            mon->out_watched = false;    /* re-registered below for what is queued */
        }
    }
    mon->rd_fd = fd;
    mon->rd_cb = cb;
    mon->rd_opaque = opaque;
    mon->rd_paused = false;
    monitor_update_fds(mon);
}

/* Input no fd holds back for us (the -nographic mux, the buffer kind), or
 * that arrives after quit: refused past MON_MAX_INPUT, so memory stays
 * bounded whatever is sent while a command waits. */
static bool input_refuse(Monitor *mon, size_t len)
{
    if (mon->hub->quitting) {
        return true;             /* nothing runs any more: keep nothing */
    }
    if (mon->inlen + len <= MON_MAX_INPUT) {
        return false;
    }
    if (!mon->input_refused) {
        mon->input_refused = true;
        monitor_error(mon, "input dropped: %zu bytes wait while a command runs (limit %u KiB)",
                      mon->inlen + len, MON_MAX_INPUT >> 10);
    }
    return true;
}

void monitor_input(Monitor *mon, const char *buf, size_t len)
{
    if (input_refuse(mon, len)) {
        return;
    }
    if (mon->inlen + len + 1 > mon->incap) {
        size_t cap = mon->incap ? mon->incap : 4096;
        while (cap < mon->inlen + len + 1) {
            cap *= 2;
        }
        mon->inbuf = realloc(mon->inbuf, cap);
        mon->incap = cap;
    }
    memcpy(mon->inbuf + mon->inlen, buf, len);
    mon->inlen += len;
    if (mon->inlen > MON_MAX_LINE && !memchr(mon->inbuf, '\n', mon->inlen)) {
        /* Refuse the whole line now and skip to its end (bounded memory). */
        if (!mon->overlong) {
            if (mon->echo) {
                monitor_puts(mon, "...\n");
            }
            monitor_error(mon, "line too long (limit %d bytes)", MON_MAX_LINE - 1);
            monitor_command_done(mon);
            monitor_print_prompt(mon);
        }
        mon->overlong = true;
        mon->inlen = 0;
        return;
    }
    monitor_process_input(mon);
    if (!mon->suspended) {
        mon->input_refused = false;
    }
    if (mon->suspended && mon->inlen > MON_MAX_PENDING && mon->rd_cb && !mon->rd_paused) {
        mon->rd_paused = true;   /* the rest waits in the fd until the command is done */
        monitor_update_fds(mon);
    }
}

void monitor_input_eof(Monitor *mon)
{
    if (mon->inlen && !memchr(mon->inbuf, '\n', mon->inlen)) {
        monitor_input(mon, "\n", 1);   /* a last line without its newline */
    }
    mon->eof = true;
    monitor_process_input(mon);
}

/* Main-loop callback for a plain input fd. */
void monitor_fd_read(void *opaque)
{
    Monitor *mon = opaque;
    char buf[4096];
    ssize_t n = read(mon->fd_in, buf, sizeof(buf));
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) {
        return;
    }
    if (n <= 0) {
        monitor_watch_input(mon, -1, NULL, NULL);
        monitor_input_eof(mon);
        return;
    }
    if (mon->suspended && memchr(buf, 0x03, (size_t)n) && mon->cancel_fn) {
        mon->cancel_fn(mon, mon->cancel_opaque);   /* Ctrl-C from a raw socket client */
        return;
    }
    monitor_input(mon, buf, (size_t)n);
}

/* The human monitor's command API: the table, parsed arguments, output and
 * errors, and commands that wait.
 *
 * Adding a command takes two steps, in files of your own plus one table line:
 *   1. An entry in monitor/commands.def (see there): names, argument spec,
 *      parameter text, one-line help, handler, and the doc text that goes to
 *      doc/monitor.md (output and errors). Parsing, `help`, completion and
 *      the reference follow from it. Regenerate the doc with
 *      `tests/unit/test-monitor-doc --update` (make check fails until then).
 *   2. The handler, `void hmp_NAME(Monitor *mon, const MonArgs *a)`, in
 *      monitor/hmp-TOPIC.c. Its prototype comes from the table (the
 *      X-macro at the end of this header), so no other file changes.
 *
 * In a handler:
 *   - arguments by their spec name: mon_arg_str(a, "file", NULL),
 *     mon_arg_int(a, "size", 0), mon_arg_present(a, "tag"),
 *     mon_arg_flag(a, 'f'); /FMT in a->fmt. They are already validated
 *     against the spec (a malformed line never reaches the handler).
 *   - output with monitor_printf()/monitor_puts(); failure with
 *     monitor_error(mon, "...") which prints "Error: ..." and marks the
 *     command failed (batch exit status, errexit). Print what QEMU prints.
 *   - hmp_machine(mon) for the machine (NULL after an error when there is
 *     none, as in unit tests and the fuzzer). Call it before any side
 *     effect (files, sockets, child processes): the parser fuzzer
 *     (tests/fuzz/fuzz-monitor.c) runs every command with random arguments
 *     and no machine, and must stay harmless.
 *   - a command that must wait for the machine (expect; a migration that
 *     ends later) calls monitor_suspend(mon) before returning, registers
 *     monitor_set_cancel(mon, fn, opaque) so Ctrl-C, a closing socket or
 *     amber's exit can end the wait, and later, from a main-loop callback
 *     (an fd, a timer), prints its result and calls monitor_resume(mon). The
 *     monitor reads no further lines meanwhile; other monitors and the guest
 *     keep running. See hmp_expect() in monitor/hmp-serial.c.
 *   - handlers run on the main-loop thread between CPU slices, so they may
 *     read and change any machine state. */
#ifndef MONITOR_HMP_H
#define MONITOR_HMP_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

typedef struct Monitor Monitor;
typedef struct MonitorHub MonitorHub;
typedef struct MonArgs MonArgs;

typedef void (*HmpHandler)(Monitor *mon, const MonArgs *args);

/* One command. `args` is the argument spec, a space-separated list of:
 *   name:T     required argument of type T
 *   name:T?    optional argument
 *   -x         flag (a word "-x" at that position)
 *   /fmt       QEMU's /FMT suffix on the command name (x, xp, print)
 * with T one of
 *   s  word or quoted string        S  the rest of the line
 *   i  integer expression           z  size (expression, K/M/G/T suffix)
 *   b  on|off                       F  file name (completes file names)
 *   I  info subcommand name         C  command name
 *   T  snapshot tag (completion hook)  P  capability/parameter name (hook) */
/* Runs while an incoming migration loads the machine on its loader thread:
 * the command does not touch the machine's state. */
#define MON_CMD_WHILE_LOADING 0x1u

typedef struct MonCmd {
    const char *name;            /* "cont|c": the first name is the main one */
    const char *args;
    const char *params;          /* parameter text shown by help */
    const char *help;            /* one line */
    HmpHandler handler;
    const struct MonCmd *sub;    /* subcommand table (info), NULL-terminated */
    unsigned flags;              /* MON_CMD_* */
    const char *doc;             /* longer text for doc/monitor.md: output, errors */
} MonCmd;

extern const MonCmd hmp_cmds[];
extern const MonCmd hmp_info_cmds[];

#define MON_MAX_ARGS 8

typedef enum MonArgType {
    MON_ARG_STR = 's',
    MON_ARG_REST = 'S',
    MON_ARG_INT = 'i',
    MON_ARG_SIZE = 'z',
    MON_ARG_BOOL = 'b',
    MON_ARG_FILE = 'F',
    MON_ARG_INFO = 'I',
    MON_ARG_CMD = 'C',
    MON_ARG_TAG = 'T',
    MON_ARG_PARAM = 'P',
    MON_ARG_FLAG = '-',
    MON_ARG_FMT = '/',
} MonArgType;

/* One element of a parsed spec. */
typedef struct MonArgSpec {
    char name[24];
    MonArgType type;
    bool optional;
    char flag;                   /* MON_ARG_FLAG: the letter */
} MonArgSpec;

typedef struct MonFormat {
    int count;
    char format;                 /* x d u o c s i */
    int size;                    /* 1 2 4 8 */
} MonFormat;

struct MonArgs {
    const MonCmd *cmd;
    int n;
    struct {
        MonArgSpec spec;
        bool present;
        char *str;               /* strings, files, rest-of-line (owned) */
        int64_t num;             /* integers, sizes, booleans */
    } v[MON_MAX_ARGS];
    MonFormat fmt;
};

/* Looks up $name values for expressions (registers, CSRs, pc). */
typedef bool (*MonRegLookup)(void *opaque, const char *name, uint64_t *val);

typedef struct MonParseCtx {
    MonRegLookup reg_lookup;     /* may be NULL: every $name is unknown */
    void *reg_opaque;
    MonFormat last_fmt;          /* defaults for /FMT (QEMU remembers the last one) */
} MonParseCtx;

/* ---- parse.c ---- */
/* Splits a spec; false (with message) on a malformed spec (a table bug). */
bool mon_spec_parse(const char *spec, MonArgSpec *out, int *n, Error *err);
/* Reads a word or quoted string at *p; advances *p. Double quotes take
 * escapes (\n \t \r \e \\ \" \xHH but not \x00; unknown ones are kept, backslash and
 * all, so regexes survive); single quotes are literal. Returns a malloc'd
 * string, or NULL with a message (unterminated string, bad escape). */
char *mon_parse_string(const char **p, Error *err);
/* Parses a /FMT suffix (without the '/'); defaults come from ctx->last_fmt. */
bool mon_parse_format(const char **p, MonFormat *fmt, const MonFormat *last, Error *err);
/* Parses the arguments of cmd from p into a. On error prints nothing and
 * returns false with the reason in err. */
bool mon_parse_args(const MonCmd *cmd, const char *p, const MonParseCtx *ctx, MonArgs *a,
                    Error *err);
void mon_args_free(MonArgs *a);
/* Accessors by argument name (the spec's name). */
bool mon_arg_present(const MonArgs *a, const char *name);
const char *mon_arg_str(const MonArgs *a, const char *name, const char *dflt);
int64_t mon_arg_int(const MonArgs *a, const char *name, int64_t dflt);
bool mon_arg_flag(const MonArgs *a, char flag);
/* A line split into command name and the rest: name is copied into buf
 * (up to '/', space or the end). Returns a pointer to what follows. */
const char *mon_split_name(const char *line, char *buf, size_t buflen);

/* ---- expr.c ---- */
/* Evaluates an integer expression at *p (C operators | ^ & << >> + - * / %
 * ~ ! unary -, parentheses, numbers in decimal, 0x hex, 0o octal, 0b binary,
 * 'c' characters, $name register values). Stops at the first character that
 * cannot continue the expression; advances *p. 64-bit wrap-around arithmetic;
 * a literal that does not fit 64 bits, division by zero or an unknown
 * register is an error. */
bool mon_eval_expr(const char **p, const MonParseCtx *ctx, int64_t *out, Error *err);

/* ---- commands.c ---- */
/* Finds a command by any of its names in a table; NULL if none. */
const MonCmd *mon_find_cmd(const MonCmd *table, const char *name);
/* True when name is one of "a|b|c". */
bool mon_name_matches(const char *names, const char *name);
/* The usage line: "x /fmt addr" style from params. */
void mon_print_usage(Monitor *mon, const MonCmd *cmd, const char *prefix);
void mon_print_help(Monitor *mon, const MonCmd *table, const char *prefix);

/* ---- complete.c ---- */
/* Completion candidates for the word ending at `end` of line[0..end): calls
 * add(opaque, candidate) for each. Pure (no readline), so it is unit-tested.
 * Snapshot tags come from hub's machine (none without one). */
typedef void (*MonCompleteAdd)(void *opaque, const char *candidate);
void mon_complete(MonitorHub *hub, const char *line, size_t end, MonCompleteAdd add,
                  void *opaque);
/* Per argument type: each calls add() for every name starting with prefix
 * (hmp-snapshot.c, hmp-migration.c). */
void hmp_complete_snapshot_tags(MonitorHub *hub, const char *prefix, MonCompleteAdd add,
                                void *opaque);
void hmp_complete_params(MonitorHub *hub, const char *prefix, MonCompleteAdd add, void *opaque);

/* ---- doc.c ---- */
/* The command reference (markdown) generated from the table, in a malloc'd
 * buffer (*buf, *len). */
void mon_doc_write_reference(char **buf, size_t *len);

/* ---- target/riscv/disas.c: disas_riscv(), disas_line() ---- */
#include "target/riscv/disas.h"

/* ---- monitor.c ---- */
void monitor_printf(Monitor *mon, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void monitor_vprintf(Monitor *mon, const char *fmt, va_list ap);
void monitor_puts(Monitor *mon, const char *s);
/* Prints "Error: ..." and marks the running command as failed. */
void monitor_error(Monitor *mon, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Runs one command line as if typed (no echo, no prompt). */
void monitor_handle_line(Monitor *mon, const char *line);
/* A handler that keeps waiting after it returns (expect) marks the monitor
 * busy; no further input is processed until monitor_resume(), which also
 * counts the command's failure (monitor_error since suspend) and prompts. */
void monitor_suspend(Monitor *mon);
void monitor_resume(Monitor *mon);
/* True on a terminal with readline (a person is typing), false for batch
 * files, sockets and buffers. */
bool monitor_is_interactive(const Monitor *mon);
/* A monitor that only collects output (unit tests, the fuzzer). */
Monitor *monitor_new_buffer(MonitorHub *hub);
const char *monitor_buffer(Monitor *mon);
void monitor_buffer_clear(Monitor *mon);
void monitor_free(Monitor *mon);
/* The command history of every monitor of the hub (info history); newest
 * last. */
int monitor_history_count(const MonitorHub *hub);
const char *monitor_history_get(const MonitorHub *hub, int i);
void monitor_history_add(MonitorHub *hub, const char *line);
void monitor_history_clear(MonitorHub *hub);
/* x and xp remember their last /FMT format and size, as QEMU. */
void monitor_set_last_format(Monitor *mon, const MonFormat *fmt);
/* How a suspended command is ended early: Ctrl-C (SIGINT, or byte 0x03 on a
 * raw terminal or socket) calls fn, which
 * must release what the command holds, print its error (monitor_error) and
 * call monitor_resume(). Clear it with monitor_set_cancel(mon, NULL, NULL)
 * when the command ends by itself. */
typedef void (*MonitorCancelFn)(Monitor *mon, void *opaque);
void monitor_set_cancel(Monitor *mon, MonitorCancelFn fn, void *opaque);

/* The descriptor that came with the current command over a unix monitor
 * socket (SCM_RIGHTS), handed over to the caller; -1 if none (getfd). */
int monitor_take_passed_fd(Monitor *mon);

/* ---- hmp-*.c handlers ---- */
struct Machine;
/* The machine, or NULL after printing "Error: no machine" (unit tests and the
 * fuzzer run without one). Handlers that touch the machine start with it. */
struct Machine *hmp_machine(Monitor *mon);
/* The same without an error: NULL when there is none. */
struct Machine *hmp_machine_or_null(const Monitor *mon);
struct MigrationVM;
struct MigrationVM *hmp_vm(Monitor *mon);
/* The hub's machine as migration sees it, without an error (completion):
 * NULL when there is none (or no hub). */
struct MigrationVM *hmp_vm_or_null(const MonitorHub *hub);
struct RISCVCPU;
/* The monitor's current hart (`cpu N`, hart 0 at first), or NULL after an
 * error when there is no machine. The choice is the monitor's: another
 * monitor, and the machine's saved state, do not see it. */
struct RISCVCPU *hmp_cpu_current(Monitor *mon);
/* $name lookup for expressions: pc, priv, x0..x31, ABI names, CSR names,
 * of the monitor's current hart. opaque is the Monitor (no machine: every
 * name is unknown). */
bool hmp_reg_lookup(void *opaque, const char *name, uint64_t *val);
struct CharBackend;
/* Starts logging the guest's serial output for expect (monitor start-up);
 * free stops it and ends a waiting expect without a word (exit). */
void hmp_serial_log_init(MonitorHub *hub, struct CharBackend *be);
void hmp_serial_free(MonitorHub *hub);

/* Every handler named in the table, declared from the table itself. */
#define HMP_CMD(names, args, params, help, handler, sub, flags, doc) \
    void handler(Monitor *mon, const MonArgs *a);
#define INFO_CMD(names, args, params, help, handler, flags, doc) \
    void handler(Monitor *mon, const MonArgs *a);
#include "monitor/commands.def"

/* Prints c as QEMU's monitor does: 'a', '\n', '\x01'. */
void hmp_printc(Monitor *mon, int c);

#endif

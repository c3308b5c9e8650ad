/* The Monitor object and the hub the monitors of one machine share, for
 * monitor.c (dispatch, plain input), output.c, tty.c (terminal input),
 * console.c and setup.c (transports) and hub.c (lifetime). Handlers use
 * the functions in hmp.h only. */
#ifndef MONITOR_MONITOR_INT_H
#define MONITOR_MONITOR_INT_H

#include "monitor/hmp.h"

#define MONITOR_PROMPT "(amber) "
/* Virtual time a running guest gets after a batch's end of input before
 * Amber quits (doc/monitor.md, Batch runs): 10 ms, some 10^6 instructions,
 * far more than a guest needs between its last output and its exit. */
#define MON_BATCH_END_GRACE_NS 10000000ull

typedef enum MonitorKind {
    MON_KIND_BUFFER,             /* output collected in memory (tests) */
    MON_KIND_PLAIN,              /* line input from a pipe, file or socket */
    MON_KIND_READLINE,           /* GNU readline on a terminal */
} MonitorKind;

/* What a failed command does to a batch run (command errexit). */
typedef enum MonErrexit {
    MON_ERREXIT_OFF,             /* go on; exit status 1 at the end */
    MON_ERREXIT_ON,              /* quit with status 1 at once */
    MON_ERREXIT_IGNORE,          /* go on; exit status 0 */
} MonErrexit;

/* Transport hooks; NULL ones get the default (plain and buffer kinds:
 * prompt and run buffered lines on resume). The terminal's (tty.c) hide
 * and show readline's prompt. */
typedef struct MonitorOps {
    void (*suspend)(Monitor *mon);   /* a command waits: stop showing a prompt */
    void (*resume)(Monitor *mon);    /* it finished: prompt again */
    void (*eof)(Monitor *mon);       /* input ended and every line ran */
    /* The client let more than MON_MAX_OUTPUT pile up: disconnect it (NULL:
     * its output is dropped from then on). */
    void (*overflow)(Monitor *mon);
} MonitorOps;

/* Output a client has not read, kept for it (fd monitors whose writes would
 * block). Checked when its next command line is about to run: a client
 * that sends commands and does not read the answers is disconnected there.
 * A single command's answer may go up to MON_MAX_OUTPUT_CMD (x/1000000xg
 * is legitimate; the client reads it afterwards). */
#define MON_MAX_OUTPUT (1u << 20)
#define MON_MAX_OUTPUT_CMD (64u << 20)
/* Input kept for a monitor while a command waits (its fd is not polled past
 * MON_MAX_PENDING), and the hard limit for input no fd can hold back (the
 * -nographic mux, the buffer kind): more is refused with an error. */
#define MON_MAX_PENDING (128u << 10)
#define MON_MAX_INPUT (1u << 20)

struct Monitor {
    MonitorHub *hub;             /* what this monitor shares with the others */
    char name[32];
    char desc[128];              /* "stdio", "unix:/tmp/m,server" (info chardev) */
    MonitorKind kind;
    const MonitorOps *ops;
    void *opaque;                /* transport's state (a socket's Endpoint, the MonReadline) */
    bool tty_muxed;              /* tty.c: the -nographic console owns the terminal */
    int fd_in, fd_out;
    bool show_prompt;            /* print "(amber) " before each command */
    bool echo;                   /* echo each command after the prompt (batch) */
    bool batch;                  /* input is a file: quit at its end, exit status */
    bool out_dropped;            /* the client is gone or over the bound: output discarded */
    bool crlf;                   /* newlines go out as CR LF (a telnet client) */
    bool hidden;                 /* muxed, and the serial console has the focus */
    /* plain input */
    char *inbuf;
    size_t inlen, incap;
    bool eof;
    bool overlong;               /* skipping the rest of a too-long line */
    /* the fd lines come from, so input can pause while a command waits */
    int rd_fd;
    void (*rd_cb)(void *opaque);
    void *rd_opaque;
    bool rd_paused;
    /* command state */
    bool suspended;
    bool cmd_failed;
    int nr_failed;
    MonErrexit errexit;
    MonFormat last_fmt;
    int cpu_index;               /* `cpu N`: the hart info registers, x, p use */
    MonitorCancelFn cancel_fn;
    void *cancel_opaque;
    bool has_passed_fd;          /* SCM_RIGHTS: the last fd received (getfd) */
    int passed_fd;
    int processing;              /* inside monitor_process_input (it ends with ops->eof) */
    bool input_refused;          /* input over MON_MAX_INPUT was dropped (said once) */
    /* output not yet taken by the client (output.c) */
    char *outq;
    size_t outq_len, outq_cap;
    bool out_watched;            /* fd_out is registered with the main loop for POLLOUT */
    void (*on_drained)(Monitor *mon);   /* once the queue is empty (close after EOF) */
    /* buffer kind */
    char *outbuf;
    size_t outlen, outcap;
    Monitor *next;
};

#define MON_HISTORY_MAX 1000

/* A migrate that waits for its end (hmp-migration.c); one per hub. */
typedef struct HmpMigrateWait {
    Monitor *mon;                /* NULL: none waits */
    int progress_fd;             /* terminal only: a progress line each 0.5 s */
    bool progress_shown;
    struct Migration *mig;       /* the migration it waits for */
    struct Loop *loop;           /* watches progress_fd */
} HmpMigrateWait;

/* What the monitors of one machine share: created by system/ with
 * monitor_hub_new() (hub.c) and freed at exit. Each part belongs to the
 * file named beside it; the parts behind pointers are that file's own
 * type, NULL until it needs one. */
struct MonitorHub {
    struct Loop *loop;           /* the main loop: fds, quit (emu/loop.h) */
    Monitor *monitors;           /* every monitor, in creation order (info chardev) */
    char *history[MON_HISTORY_MAX];   /* every monitor's commands, oldest first */
    int history_len;
    bool quitting;               /* quit was asked for: no further command runs */
    bool cleaned_up;             /* monitor_cleanup() ran */
    const char *vm_name;         /* -name, or NULL */
    struct Machine *machine;     /* NULL in unit tests and the fuzzer */
    struct MigrationVM *vm;      /* the machine as migration sees it */
    const char *serial_desc;     /* the serial back end as opened (info chardev) */
    struct MonitorSetup *setup;  /* setup.c: -monitor/-serial options and endpoints */
    struct Console *console;     /* console.c: stdio as the serial console */
    struct HmpSerial *serial;    /* hmp-serial.c: the serial log and expect */
    HmpMigrateWait mwait;        /* hmp-migration.c */
    struct GdbStub *gdb;         /* hmp-gdb.c: the gdbserver command's stub */
    struct Replay *replay;       /* record/replay: logs or refuses guest-changing commands */
    struct Reverse *reverse;     /* -reverse's checkpoints (info replay), or NULL */
};
/* Record/replay's word on a command that changes the guest (hmp-run.c):
 * true to go on (logged when recording); false after printing why not. */
bool hmp_replay_input(Monitor *mon, int kind, const void *data, size_t len);

Monitor *monitor_new(MonitorHub *hub, MonitorKind kind, const char *name, int fd_in, int fd_out);
void monitor_write(Monitor *mon, const char *buf, size_t len);
/* output.c: bytes queued for the client; forget them and the dropped state
 * (a new client); the main-loop callback for POLLOUT; a last flush at exit. */
size_t monitor_output_pending(const Monitor *mon);
void monitor_output_reset(Monitor *mon);
void monitor_output_ready(void *opaque);
void monitor_output_overflow(Monitor *mon, size_t pending);
void monitor_output_flush_all(MonitorHub *hub, int timeout_ms);
/* (Re)registers the monitor's fds with the main loop: input unless paused,
 * POLLOUT while output is queued (output.c). */
void monitor_update_fds(Monitor *mon);
void monitor_print_prompt(Monitor *mon);
/* "Amber 0.1.0 monitor - type 'help' for more information" (QEMU's words). */
void monitor_print_banner(Monitor *mon);
void monitor_process_input(Monitor *mon);
void monitor_input(Monitor *mon, const char *buf, size_t len);
/* Registers (cb != NULL) or forgets (cb == NULL) the fd a plain monitor
 * reads lines from. While a command waits and more than MON_MAX_PENDING
 * bytes are buffered, the fd is not polled (memory stays bounded). */
void monitor_watch_input(Monitor *mon, int fd, void (*cb)(void *opaque), void *opaque);
void monitor_input_eof(Monitor *mon);
void monitor_fd_read(void *opaque);
int monitor_exit_status(Monitor *mon);
void monitor_request_quit(Monitor *mon, int status);
/* Quits once the running guest has had ns more of virtual time. */
void monitor_request_quit_after(Monitor *mon, uint64_t ns, int status);

/* tty.c: a monitor read through GNU readline (one per process: readline is
 * process-global). muxed: the -nographic console owns the terminal and
 * feeds the bytes. Sets the monitor's ops; stop frees the line editor. */
void monitor_tty_start(Monitor *mon, bool muxed);
/* Bytes typed on the terminal (from the -nographic mux). */
void monitor_tty_input(Monitor *mon, const char *buf, size_t len);
/* Hands the terminal to / takes it from readline (mux focus changes). */
void monitor_tty_attach(Monitor *mon);
void monitor_tty_detach(Monitor *mon);
void monitor_tty_stop(Monitor *mon);

/* setup.c: the hub's options and endpoints; removes the socket files. */
struct MonitorSetup *monitor_setup_new(void);
void monitor_setup_free(struct MonitorSetup *setup);
void monitor_setup_cleanup(MonitorHub *hub);

#endif

/* The guest's serial console from the monitor: type and sendkey put bytes
 * into UART0's input; expect waits for its output to match a PCRE2 regex.
 *
 * Serial output is logged from the moment the monitor starts (a chardev tap),
 * and each match consumes the log up to its end, so a batch file's expect
 * sees output that arrived before the command ran. The tap only appends and
 * flags work; matching runs from the event loop (an eventfd), never inside
 * the CPU, and at most once per CPU slice. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "emu/clock.h"
#include "hw/riscv/machine.h"
#include "emu/loop.h"
#include "io/fd-watch.h"
#include "emu/runstate.h"
#include "monitor/monitor-int.h"


#define SERIAL_LOG_MAX (64 * 1024)
#define EXPECT_DEFAULT_TIMEOUT 30
#define EXPECT_MATCH_LIMIT 10000000

typedef struct Expect {
    Monitor *mon;                /* NULL: no expect waiting */
    pcre2_code *re;
    pcre2_match_data *md;
    pcre2_match_context *mctx;
    char *pattern;
    int64_t timeout;
    bool virt;
    int timer_fd;                /* host-time timeout */
    Timer vtimer;                /* virtual-time timeout */
} Expect;

typedef struct SerialLog {
    CharBackend *be;             /* tapped; NULL when the tap could not be set */
    char buf[SERIAL_LOG_MAX];
    size_t len;
    int event_fd;                /* readable when new output awaits matching */
    bool event_pending;
} SerialLog;

/* The hub's part (MonitorHub.serial): one log of the guest's serial output
 * and at most one expect waiting on it. */
typedef struct HmpSerial {
    MonitorHub *hub;
    SerialLog log;
    Expect expect;
} HmpSerial;

static void serial_tap(void *opaque, const uint8_t *buf, size_t len)
{
    HmpSerial *hs = opaque;
    SerialLog *log = &hs->log;
    if (len >= SERIAL_LOG_MAX) {
        buf += len - SERIAL_LOG_MAX;
        len = SERIAL_LOG_MAX;
    }
    if (log->len + len > SERIAL_LOG_MAX) {
        size_t drop = log->len + len - SERIAL_LOG_MAX;
        memmove(log->buf, log->buf + drop, log->len - drop);
        log->len -= drop;
    }
    memcpy(log->buf + log->len, buf, len);
    log->len += len;
    if (hs->expect.mon && !log->event_pending) {
        uint64_t one = 1;
        log->event_pending = write(log->event_fd, &one, sizeof(one)) == sizeof(one);
        if (hs->hub->machine) {
            machine_request_exit(hs->hub->machine);   /* match soon, not at slice end */
        }
    }
}

/* s with newlines, quotes and non-printing bytes escaped (malloc'd). */
static char *escaped(const char *s, size_t len)
{
    char *out = malloc(len * 4 + 1);
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '\n') {
            n += (size_t)sprintf(out + n, "\\n");
        } else if (c == '\r') {
            n += (size_t)sprintf(out + n, "\\r");
        } else if (c == '\t') {
            n += (size_t)sprintf(out + n, "\\t");
        } else if (c == '\'') {
            n += (size_t)sprintf(out + n, "\\'");
        } else if (c < 32 || c >= 127) {
            n += (size_t)sprintf(out + n, "\\x%02x", c);
        } else {
            out[n++] = (char)c;
        }
    }
    out[n] = '\0';
    return out;
}

/* Frees the waiting state; the monitor is not resumed. */
static void expect_release(HmpSerial *hs)
{
    Expect *e = &hs->expect;
    e->mon = NULL;
    if (e->timer_fd >= 0) {
        fd_watch_remove(&hs->hub->loop->fds, e->timer_fd);
        close(e->timer_fd);
        e->timer_fd = -1;
    }
    if (e->vtimer.cb) {
        timer_del(&e->vtimer);
    }
    pcre2_match_data_free(e->md);
    pcre2_match_context_free(e->mctx);
    pcre2_code_free(e->re);
    free(e->pattern);
    e->md = NULL;
    e->mctx = NULL;
    e->re = NULL;
    e->pattern = NULL;
}

static void expect_finish(HmpSerial *hs)
{
    Monitor *mon = hs->expect.mon;
    if (!mon) {
        return;
    }
    expect_release(hs);
    monitor_set_cancel(mon, NULL, NULL);
    monitor_resume(mon);
}

/* Returns true when the expect is over (matched or failed). */
static bool expect_try(HmpSerial *hs)
{
    Expect *e = &hs->expect;
    SerialLog *log = &hs->log;
    int rc = pcre2_match(e->re, (PCRE2_SPTR)log->buf, log->len, 0, 0, e->md, e->mctx);
    if (rc == PCRE2_ERROR_NOMATCH) {
        return false;
    }
    if (rc < 0) {
        PCRE2_UCHAR msg[256];
        pcre2_get_error_message(rc, msg, sizeof(msg));
        monitor_error(e->mon, "expect: %s", (const char *)msg);
        return true;
    }
    PCRE2_SIZE *ov = pcre2_get_ovector_pointer(e->md);
    char *text = escaped(log->buf + ov[0], ov[1] - ov[0]);
    monitor_printf(e->mon, "expect: matched '%s'\n", text);
    free(text);
    size_t end = ov[1];
    memmove(log->buf, log->buf + end, log->len - end);
    log->len -= end;
    return true;
}

static void serial_event(void *opaque)
{
    HmpSerial *hs = opaque;
    uint64_t v;
    if (read(hs->log.event_fd, &v, sizeof(v)) < 0 && errno != EAGAIN) {
        return;
    }
    hs->log.event_pending = false;
    if (hs->expect.mon && expect_try(hs)) {
        expect_finish(hs);
    }
}

/* The hub's serial state, made on first use. */
static HmpSerial *hmp_serial(MonitorHub *hub)
{
    if (!hub->serial) {
        HmpSerial *hs = calloc(1, sizeof(*hs));
        hs->hub = hub;
        hs->log.event_fd = -1;
        hs->expect.timer_fd = -1;
        hub->serial = hs;
    }
    return hub->serial;
}

void hmp_serial_log_init(MonitorHub *hub, CharBackend *be)
{
    HmpSerial *hs = hmp_serial(hub);
    SerialLog *log = &hs->log;
    if (log->be) {
        return;
    }
    if (log->event_fd < 0) {
        log->event_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    }
    if (log->event_fd < 0 || !chardev_add_tap(be, serial_tap, hs)) {
        return;
    }
    fd_watch_add(&hs->hub->loop->fds, log->event_fd, serial_event, hs);
    log->be = be;
}

void hmp_serial_free(MonitorHub *hub)
{
    HmpSerial *hs = hub->serial;
    if (!hs) {
        return;
    }
    expect_release(hs);
    if (hs->log.be) {
        chardev_remove_tap(hs->log.be, serial_tap, hs);
        fd_watch_remove(&hs->hub->loop->fds, hs->log.event_fd);
    }
    if (hs->log.event_fd >= 0) {
        close(hs->log.event_fd);
    }
    free(hs);
    hub->serial = NULL;
}

static void expect_timeout(HmpSerial *hs)
{
    Expect *e = &hs->expect;
    if (!e->mon) {
        return;
    }
    /* Output that arrived in the last slice still counts. */
    if (expect_try(hs)) {
        expect_finish(hs);
        return;
    }
    char *pat = escaped(e->pattern, strlen(e->pattern));
    monitor_error(e->mon, "expect: timeout after %lld s%s waiting for '%s'", (long long)e->timeout,
                  e->virt ? " of virtual time" : "", pat);
    free(pat);
    expect_finish(hs);
}

static void expect_timer_fd(void *opaque)
{
    HmpSerial *hs = opaque;
    uint64_t n;
    if (read(hs->expect.timer_fd, &n, sizeof(n)) < 0 && errno == EAGAIN) {
        return;
    }
    expect_timeout(hs);
}

static void expect_vtimer(void *opaque)
{
    expect_timeout(opaque);
}

static void expect_cancel(Monitor *mon, void *opaque)
{
    HmpSerial *hs = opaque;
    if (hs->expect.mon == mon) {
        monitor_error(mon, "expect: cancelled%s",
                      hs->hub->machine && runstate_get(&hs->hub->machine->run) == RUN_STATE_SHUTDOWN
                          ? " (the machine has shut down)" : "");
        expect_finish(hs);
    }
}

void hmp_expect(Monitor *mon, const MonArgs *a)
{
    Machine *m = hmp_machine(mon);
    if (!m) {
        return;
    }
    HmpSerial *hs = hmp_serial(mon->hub);
    Expect *e = &hs->expect;
    if (e->mon) {
        monitor_error(mon, "expect: another monitor is already waiting");
        return;
    }
    const char *pattern = mon_arg_str(a, "regex", "");
    int64_t timeout = mon_arg_int(a, "timeout", EXPECT_DEFAULT_TIMEOUT);
    if (timeout <= 0 || timeout > 86400) {
        monitor_error(mon, "expect: timeout must be 1 to 86400 seconds");
        return;
    }
    int errcode;
    PCRE2_SIZE erroff;
    pcre2_code *re = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED, 0, &errcode,
                                   &erroff, NULL);
    if (!re) {
        PCRE2_UCHAR msg[256];
        pcre2_get_error_message(errcode, msg, sizeof(msg));
        monitor_error(mon, "bad regex at offset %zu: %s", (size_t)erroff, (const char *)msg);
        return;
    }
    hmp_serial_log_init(mon->hub, &m->serial0);
    e->mon = mon;
    e->re = re;
    e->md = pcre2_match_data_create_from_pattern(re, NULL);
    e->mctx = pcre2_match_context_create(NULL);
    /* A pathological pattern fails with an error instead of hanging. */
    pcre2_set_match_limit(e->mctx, EXPECT_MATCH_LIMIT);
    e->pattern = strdup(pattern);
    e->timeout = timeout;
    e->virt = mon_arg_flag(a, 'v');
    if (expect_try(hs)) {
        expect_release(hs);      /* already in the log: done without waiting */
        return;
    }
    /* Waiting on a stopped guest would only time out: let it run. */
    RunState rs = runstate_get(&m->run);
    if (rs == RUN_STATE_PAUSED || rs == RUN_STATE_PRELAUNCH) {
        runstate_set(&m->run, RUN_STATE_RUNNING);
    } else if (rs != RUN_STATE_RUNNING) {
        monitor_error(mon, "expect: the machine cannot run (state %s)", runstate_name(rs));
        expect_release(hs);
        return;
    }
    if (e->virt) {
        timer_init(&e->vtimer, &m->clock, "expect", expect_vtimer, hs);
        timer_mod(&e->vtimer, clock_ns(&m->clock) + (uint64_t)timeout * 1000000000ull);
    } else {
        e->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
        struct itimerspec its = { .it_value = { .tv_sec = timeout } };
        if (e->timer_fd < 0 || timerfd_settime(e->timer_fd, 0, &its, NULL) < 0) {
            monitor_error(mon, "expect: timerfd: %s", strerror(errno));
            if (e->timer_fd >= 0) {
                close(e->timer_fd);
                e->timer_fd = -1;
            }
            expect_release(hs);
            return;
        }
        fd_watch_add(&hs->hub->loop->fds, e->timer_fd, expect_timer_fd, hs);
    }
    monitor_set_cancel(mon, expect_cancel, hs);
    monitor_suspend(mon);
}

/* ---- typing into the guest ---- */

void hmp_type(Monitor *mon, const MonArgs *a)
{
    Machine *m = hmp_machine(mon);
    if (!m) {
        return;
    }
    const char *text = mon_arg_str(a, "text", "");
    size_t len = strlen(text);
    size_t room = sizeof(m->serial0.pending) - m->serial0.pending_len;
    if (len > room) {
        monitor_error(mon, "type: the guest has not read its input: %zu bytes fit, %zu given",
                      room, len);
        return;
    }
    chardev_feed(&m->serial0, (const uint8_t *)text, len);
}

typedef struct KeyName {
    const char *name;
    const char *bytes;
} KeyName;

static const KeyName key_names[] = {
    { "ret", "\r" }, { "kp_enter", "\r" }, { "spc", " " }, { "tab", "\t" },
    { "esc", "\x1b" }, { "backspace", "\x7f" }, { "delete", "\x1b[3~" },
    { "up", "\x1b[A" }, { "down", "\x1b[B" }, { "right", "\x1b[C" }, { "left", "\x1b[D" },
    { "home", "\x1b[H" }, { "end", "\x1b[F" }, { "minus", "-" }, { "equal", "=" },
    { "comma", "," }, { "dot", "." }, { "slash", "/" }, { "semicolon", ";" },
    { "apostrophe", "'" }, { "backslash", "\\" }, { "bracket_left", "[" },
    { "bracket_right", "]" }, { "grave_accent", "`" }, { "asterisk", "*" },
    { NULL, NULL },
};

/* Bytes for one QEMU key combination ("ctrl-c", "shift-a", "ret"). */
static bool key_bytes(const char *combo, char *out, size_t *len)
{
    bool ctrl = false, shift = false;
    const char *p = combo;
    for (;;) {
        if (!strncmp(p, "ctrl-", 5)) {
            ctrl = true;
            p += 5;
        } else if (!strncmp(p, "shift-", 6)) {
            shift = true;
            p += 6;
        } else {
            break;
        }
    }
    if (strlen(p) == 1 && ((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9'))) {
        char c = *p;
        if (ctrl) {
            if (c < 'a') {
                return false;
            }
            c = (char)(c & 0x1f);
        } else if (shift && c >= 'a') {
            c = (char)(c - 'a' + 'A');
        }
        out[0] = c;
        *len = 1;
        return true;
    }
    if (ctrl || shift) {
        return false;
    }
    for (const KeyName *k = key_names; k->name; k++) {
        if (!strcmp(k->name, p)) {
            *len = strlen(k->bytes);
            memcpy(out, k->bytes, *len);
            return true;
        }
    }
    return false;
}

void hmp_sendkey(Monitor *mon, const MonArgs *a)
{
    Machine *m = hmp_machine(mon);
    if (!m) {
        return;
    }
    const char *keys = mon_arg_str(a, "keys", "");
    char bytes[16];
    size_t len;
    if (!key_bytes(keys, bytes, &len)) {
        monitor_error(mon, "unknown key: '%s'", keys);
        return;
    }
    chardev_feed(&m->serial0, (const uint8_t *)bytes, len);
}

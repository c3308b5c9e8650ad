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

static struct {
    CharBackend *be;
    char buf[SERIAL_LOG_MAX];
    size_t len;
    int event_fd;                /* readable when new output awaits matching */
    bool event_pending;
} serial_log = { .event_fd = -1 };

static Expect expect_state = { .timer_fd = -1 };

static void serial_tap(void *opaque, const uint8_t *buf, size_t len)
{
    if (len >= SERIAL_LOG_MAX) {
        buf += len - SERIAL_LOG_MAX;
        len = SERIAL_LOG_MAX;
    }
    if (serial_log.len + len > SERIAL_LOG_MAX) {
        size_t drop = serial_log.len + len - SERIAL_LOG_MAX;
        memmove(serial_log.buf, serial_log.buf + drop, serial_log.len - drop);
        serial_log.len -= drop;
    }
    memcpy(serial_log.buf + serial_log.len, buf, len);
    serial_log.len += len;
    if (expect_state.mon && !serial_log.event_pending) {
        uint64_t one = 1;
        serial_log.event_pending = write(serial_log.event_fd, &one, sizeof(one)) == sizeof(one);
        if (current_machine) {
            cpu_request_exit(&current_machine->harts[0]);   /* match soon, not at slice end */
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
static void expect_release(void)
{
    Expect *e = &expect_state;
    e->mon = NULL;
    if (e->timer_fd >= 0) {
        fd_watch_remove(e->timer_fd);
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

static void expect_finish(void)
{
    Monitor *mon = expect_state.mon;
    if (!mon) {
        return;
    }
    expect_release();
    monitor_set_cancel(mon, NULL, NULL);
    monitor_resume(mon);
}

/* Returns true when the expect is over (matched or failed). */
static bool expect_try(void)
{
    Expect *e = &expect_state;
    int rc = pcre2_match(e->re, (PCRE2_SPTR)serial_log.buf, serial_log.len, 0, 0, e->md, e->mctx);
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
    char *text = escaped(serial_log.buf + ov[0], ov[1] - ov[0]);
    monitor_printf(e->mon, "expect: matched '%s'\n", text);
    free(text);
    size_t end = ov[1];
    memmove(serial_log.buf, serial_log.buf + end, serial_log.len - end);
    serial_log.len -= end;
    return true;
}

static void serial_event(void *opaque)
{
    uint64_t v;
    if (read(serial_log.event_fd, &v, sizeof(v)) < 0 && errno != EAGAIN) {
        return;
    }
    serial_log.event_pending = false;
    if (expect_state.mon && expect_try()) {
        expect_finish();
    }
}

void hmp_serial_log_init(CharBackend *be)
{
    if (serial_log.be) {
        return;
    }
    serial_log.event_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (serial_log.event_fd < 0 || !chardev_add_tap(be, serial_tap, NULL)) {
        return;
    }
    fd_watch_add(serial_log.event_fd, serial_event, NULL);
    serial_log.be = be;
}

static void expect_timeout(void)
{
    Expect *e = &expect_state;
    if (!e->mon) {
        return;
    }
    /* Output that arrived in the last slice still counts. */
    if (expect_try()) {
        expect_finish();
        return;
    }
    char *pat = escaped(e->pattern, strlen(e->pattern));
    monitor_error(e->mon, "expect: timeout after %lld s%s waiting for '%s'", (long long)e->timeout,
                  e->virt ? " of virtual time" : "", pat);
    free(pat);
    expect_finish();
}

static void expect_timer_fd(void *opaque)
{
    uint64_t n;
    if (read(expect_state.timer_fd, &n, sizeof(n)) < 0 && errno == EAGAIN) {
        return;
    }
    expect_timeout();
}

static void expect_vtimer(void *opaque)
{
    expect_timeout();
}

static void expect_cancel(Monitor *mon, void *opaque)
{
    if (expect_state.mon == mon) {
        monitor_error(mon, "expect: cancelled%s",
                      current_machine && runstate_get(&current_machine->run) == RUN_STATE_SHUTDOWN
                          ? " (the machine has shut down)" : "");
        expect_finish();
    }
}

void hmp_expect(Monitor *mon, const MonArgs *a)
{
    Machine *m = hmp_machine(mon);
    if (!m) {
        return;
    }
    Expect *e = &expect_state;
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
    hmp_serial_log_init(&m->serial0);
    e->mon = mon;
    e->re = re;
    e->md = pcre2_match_data_create_from_pattern(re, NULL);
    e->mctx = pcre2_match_context_create(NULL);
    /* A pathological pattern fails with an error instead of hanging. */
    pcre2_set_match_limit(e->mctx, EXPECT_MATCH_LIMIT);
    e->pattern = strdup(pattern);
    e->timeout = timeout;
    e->virt = mon_arg_flag(a, 'v');
    if (expect_try()) {
        expect_release();        /* already in the log: done without waiting */
        return;
    }
    /* Waiting on a stopped guest would only time out: let it run. */
    RunState rs = runstate_get(&m->run);
    if (rs == RUN_STATE_PAUSED || rs == RUN_STATE_PRELAUNCH) {
        runstate_set(&m->run, RUN_STATE_RUNNING);
    } else if (rs != RUN_STATE_RUNNING) {
        monitor_error(mon, "expect: the machine cannot run (state %s)", runstate_name(rs));
        expect_release();
        return;
    }
    if (e->virt) {
        timer_init(&e->vtimer, &m->clock, "expect", expect_vtimer, NULL);
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
            expect_release();
            return;
        }
        fd_watch_add(e->timer_fd, expect_timer_fd, NULL);
    }
    monitor_set_cancel(mon, expect_cancel, NULL);
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

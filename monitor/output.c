/* Monitor output: the in-memory buffer of the buffer kind, and for fd
 * monitors a bounded queue of what a non-blocking client (a socket) has not
 * taken yet, flushed from the main loop's poll (the monitor's fds are
 * registered here, input and output together, as they may share one fd). A write never waits for the
 * client, so a client that stops reading cannot stall the guest; one that
 * lets too much pile up is disconnected instead (doc/monitor.md). */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "emu/loop.h"
#include "io/fd-watch.h"
#include "monitor/monitor-int.h"

/* The buffer kind's cap, so a fuzzed "x/1000000xg" cannot eat memory. */
#define MON_BUFFER_MAX (64u << 20)

static void buffer_append(Monitor *mon, const char *buf, size_t len)
{
    if (mon->outlen + len + 1 > mon->outcap) {
        size_t cap = mon->outcap ? mon->outcap : 4096;
        while (cap < mon->outlen + len + 1 && cap < MON_BUFFER_MAX) {
            cap *= 2;
        }
        if (cap < mon->outlen + len + 1) {
            return;
        }
        mon->outbuf = realloc(mon->outbuf, cap);
        mon->outcap = cap;
    }
    memcpy(mon->outbuf + mon->outlen, buf, len);
    mon->outlen += len;
    mon->outbuf[mon->outlen] = '\0';
}

/* Writes what the fd takes now; returns how much, or -1 when the client is
 * gone (its output is then dropped: the machine goes on). */
static ssize_t out_try_write(Monitor *mon, const char *buf, size_t len)
{
    size_t done = 0;
    while (done < len) {
        ssize_t w = write(mon->fd_out, buf + done, len - done);
        if (w < 0 && errno == EINTR) {
            continue;
        }
        if (w < 0 && errno == EAGAIN) {
            break;
        }
        if (w <= 0) {
            return -1;
        }
        done += (size_t)w;
    }
    return (ssize_t)done;
}

static void out_drop(Monitor *mon)
{
    mon->outq_len = 0;
    mon->out_dropped = true;
    monitor_update_fds(mon);
}

/* The client is over the bound: say so on amber's stderr (the client would
 * not read it) and let the transport disconnect it. */
void monitor_output_overflow(Monitor *mon, size_t pending)
{
    fprintf(stderr, "amber: %s (%s): %s: the client did not read its output "
            "(%zu bytes waiting, limit %u KiB)\n", mon->name, mon->desc,
            mon->ops && mon->ops->overflow ? "client disconnected" : "output dropped",
            pending, MON_MAX_OUTPUT >> 10);
    out_drop(mon);
    if (mon->ops && mon->ops->overflow) {
        mon->ops->overflow(mon);
    }
}

static void out_enqueue(Monitor *mon, const char *buf, size_t len)
{
    if (mon->outq_len + len > MON_MAX_OUTPUT_CMD) {
        monitor_output_overflow(mon, mon->outq_len + len);
        return;
    }
    if (mon->outq_len + len > mon->outq_cap) {
        size_t cap = mon->outq_cap ? mon->outq_cap : 4096;
        while (cap < mon->outq_len + len) {
            cap *= 2;
        }
        mon->outq = realloc(mon->outq, cap);
        mon->outq_cap = cap;
    }
    memcpy(mon->outq + mon->outq_len, buf, len);
    mon->outq_len += len;
    if (mon->outq_len == len) {
        monitor_update_fds(mon);     /* poll for POLLOUT from now on */
    }
}

static void out_write(Monitor *mon, const char *buf, size_t len)
{
    if (mon->kind == MON_KIND_BUFFER) {
        buffer_append(mon, buf, len);
        return;
    }
    if (mon->fd_out < 0 || mon->out_dropped || !len) {
        return;
    }
    if (mon->outq_len) {
        out_enqueue(mon, buf, len);      /* behind what is queued, in order */
        return;
    }
    ssize_t w = out_try_write(mon, buf, len);
    if (w < 0) {
        out_drop(mon);
        return;
    }
    if ((size_t)w < len) {
        out_enqueue(mon, buf + w, len - (size_t)w);
    }
}

void monitor_write(Monitor *mon, const char *buf, size_t len)
{
    /* A telnet client shows a bare LF as a staircase; QEMU's monitor
     * always sends CR LF. */
    const char *nl;
    while (mon->crlf && len && (nl = memchr(buf, '\n', len)) != NULL) {
        out_write(mon, buf, (size_t)(nl - buf));
        out_write(mon, "\r\n", 2);
        len -= (size_t)(nl - buf) + 1;
        buf = nl + 1;
    }
    out_write(mon, buf, len);
}

size_t monitor_output_pending(const Monitor *mon)
{
    return mon->outq_len;
}

void monitor_output_reset(Monitor *mon)
{
    mon->outq_len = 0;
    mon->out_dropped = false;
    mon->on_drained = NULL;
}

/* The main loop holds one opaque per fd: the monitor, which knows both
 * the input callback and its own output queue. */
static void mon_read_ready(void *opaque)
{
    Monitor *mon = opaque;
    if (mon->rd_cb) {
        mon->rd_cb(mon->rd_opaque);
    }
}

void monitor_update_fds(Monitor *mon)
{
    bool writing = mon->outq_len && mon->fd_out >= 0 && mon->kind != MON_KIND_BUFFER;
    bool reading = mon->rd_cb && !mon->rd_paused;
    if (mon->rd_cb) {
        bool same = mon->rd_fd == mon->fd_out;
        /* A paused input stays registered without callbacks (not polled). */
        fd_watch_add_rw(&mon->hub->loop->fds, mon->rd_fd, reading ? mon_read_ready : NULL,
                        same && writing ? monitor_output_ready : NULL, mon);
        if (same) {
            mon->out_watched = writing;
            return;
        }
    }
    if (writing) {
        fd_watch_add_rw(&mon->hub->loop->fds, mon->fd_out, NULL, monitor_output_ready, mon);
        mon->out_watched = true;
    } else if (mon->out_watched) {
        if (mon->fd_out >= 0) {
            fd_watch_remove(&mon->hub->loop->fds, mon->fd_out);
        }
        mon->out_watched = false;
    }
}

/* Main-loop callback: the client's fd takes output again. */
void monitor_output_ready(void *opaque)
{
    Monitor *mon = opaque;
    if (mon->outq_len && mon->fd_out >= 0) {
        ssize_t w = out_try_write(mon, mon->outq, mon->outq_len);
        if (w < 0) {
            out_drop(mon);
        } else {
            memmove(mon->outq, mon->outq + w, mon->outq_len - (size_t)w);
            mon->outq_len -= (size_t)w;
        }
    }
    if (mon->outq_len) {
        return;
    }
    monitor_update_fds(mon);
    if (mon->on_drained) {
        void (*fn)(Monitor *) = mon->on_drained;
        mon->on_drained = NULL;
        fn(mon);
    }
}

/* On the way out: what is queued gets a short chance to leave, so the answer
 * to a command sent just before "quit" arrives; a client that does not read
 * costs at most timeout_ms in total. */
void monitor_output_flush_all(MonitorHub *hub, int timeout_ms)
{
    struct timespec start;
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (Monitor *m = hub->monitors; m; m = m->next) {
        while (m->outq_len && m->fd_out >= 0 && !m->out_dropped) {
            struct timespec now;
            clock_gettime(CLOCK_MONOTONIC, &now);
            long spent = (now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000;
            struct pollfd p = { .fd = m->fd_out, .events = POLLOUT };
            if (spent >= timeout_ms || poll(&p, 1, (int)(timeout_ms - spent)) <= 0) {
                return;
            }
            ssize_t w = out_try_write(m, m->outq, m->outq_len);
            if (w < 0) {
                break;
            }
            memmove(m->outq, m->outq + w, m->outq_len - (size_t)w);
            m->outq_len -= (size_t)w;
        }
    }
}

void monitor_vprintf(Monitor *mon, const char *fmt, va_list ap)
{
    char small[1024];
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(small, sizeof(small), fmt, ap);
    if (n < 0) {
        va_end(ap2);
        return;
    }
    if ((size_t)n < sizeof(small)) {
        monitor_write(mon, small, (size_t)n);
    } else {
        char *big = malloc((size_t)n + 1);
        vsnprintf(big, (size_t)n + 1, fmt, ap2);
        monitor_write(mon, big, (size_t)n);
        free(big);
    }
    va_end(ap2);
}

void monitor_printf(Monitor *mon, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    monitor_vprintf(mon, fmt, ap);
    va_end(ap);
}

void monitor_puts(Monitor *mon, const char *s)
{
    monitor_write(mon, s, strlen(s));
}

void monitor_error(Monitor *mon, const char *fmt, ...)
{
    va_list ap;
    monitor_puts(mon, "Error: ");
    va_start(ap, fmt);
    monitor_vprintf(mon, fmt, ap);
    va_end(ap);
    monitor_puts(mon, "\n");
    mon->cmd_failed = true;
}

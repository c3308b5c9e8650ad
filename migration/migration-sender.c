/* The sender thread of an outgoing migration (see migration-sender.h). */
#include "migration/migration-sender.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "migration/migration-rp.h"
#include "savevm/savevm.h"

#define SENDER_WINDOW_NS 100000000ull   /* the bandwidth window (QEMU's BUFFER_DELAY) */

struct MigSender {
    pthread_t tid;
    bool running;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    MigSenderJob job;            /* requested, NONE when idle (under lock) */
    bool job_rp;
    char job_uri[1024];
    bool exit;
    MigSenderResult result;      /* of the last finished job (under lock) */
    bool result_ready;
    atomic_bool cancel;
    int wake_fd;                 /* main -> thread: stop waiting */
    int event_fd;                /* thread -> main loop: a job ended */
    /* owned by the thread while a job runs */
    int fd;
    char what[128];
    QEMUFile *f;                 /* the main thread's writer, into q */
    QEMUFile *fdf;               /* the rounds' writer, straight to fd */
    ChannelBuffer *q;
    SaveVMState *sections;       /* the machine's, whose passes it sends */
    uint64_t window_start_ns, window_bytes;
    _Atomic uint64_t rate;
    _Atomic uint64_t written, produced;
};

MigSender *mig_sender_new(void)
{
    MigSender *s = calloc(1, sizeof(*s));
    if (!s) {
        return NULL;
    }
    pthread_mutex_init(&s->lock, NULL);
    pthread_cond_init(&s->cond, NULL);
    s->wake_fd = s->event_fd = s->fd = -1;
    return s;
}

void mig_sender_free(MigSender *s)
{
    if (!s) {
        return;
    }
    mig_sender_stop(s);
    pthread_cond_destroy(&s->cond);
    pthread_mutex_destroy(&s->lock);
    free(s);
}

static uint64_t sender_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void sender_drain_wake(MigSender *s)
{
    uint64_t v;
    while (read(s->wake_fd, &v, sizeof(v)) > 0) {
    }
}

/* Waits until the transport is ready for events (none: only the timeout,
 * -1 = no timeout, or a wake-up). 1 ready, 0 timeout or woken,
 * -ECANCELED when cancelled, or a negative errno. */
static int sender_wait(MigSender *s, short events, int64_t timeout_ns)
{
    for (;;) {
        if (atomic_load(&s->cancel)) {
            return -ECANCELED;
        }
        struct pollfd p[2] = { { .fd = s->wake_fd, .events = POLLIN },
                               { .fd = s->fd, .events = events } };
        int ms = timeout_ns < 0 ? -1 : (int)((timeout_ns + 999999) / 1000000);
        int r = poll(p, events ? 2 : 1, ms);
        if (r < 0) {
            if (errno == EINTR) {
                continue;
            }
            return -errno;
        }
        if (atomic_load(&s->cancel)) {
            return -ECANCELED;
        }
        if (r == 0) {
            return 0;
        }
        if (events && p[1].revents) {
            return 1;
        }
        sender_drain_wake(s);
        if (!events) {
            return 0;
        }
    }
}

static void sender_fail(MigSenderResult *res, const char *fmt, const char *a, const char *b)
{
    res->outcome = MIG_SENDER_ERROR;
    snprintf(res->msg, sizeof(res->msg), fmt, a, b);
}

/* The rounds write pages straight from guest RAM to the transport (the
 * QEMUFile queues them by reference): no copy through the queue. */
static int sender_writev(void *opaque, const struct iovec *iov, int iovcnt, Error *err)
{
    MigSender *s = opaque;
    int i = 0;
    size_t off = 0;
    while (i < iovcnt) {
        struct iovec v[64];
        int n = 0;
        for (int k = i; k < iovcnt && n < 64; k++, n++) {
            size_t skip = k == i ? off : 0;
            v[n].iov_base = (uint8_t *)iov[k].iov_base + skip;
            v[n].iov_len = iov[k].iov_len - skip;
        }
        ssize_t w = writev(s->fd, v, n);
        if (w < 0) {
            if (errno == EINTR) {
                continue;
            }
            int e = errno;
            if (e == EAGAIN || e == EWOULDBLOCK) {
                int r = sender_wait(s, POLLOUT, -1);
                if (r >= 0) {
                    continue;
                }
                e = -r;
            }
            if (e == ECANCELED) {
                error_setf(err, "migration cancelled");
            } else {
                error_setf(err, "Unable to write to %s: %s", s->what, strerror(e));
            }
            return -e;
        }
        atomic_fetch_add(&s->written, (uint64_t)w);
        size_t left = (size_t)w;
        while (left && i < iovcnt) {
            size_t here = iov[i].iov_len - off;
            if (left < here) {
                off += left;
                left = 0;
            } else {
                left -= here;
                i++;
                off = 0;
            }
        }
    }
    return 0;
}

static const IOChannelOps sender_fd_ops = { .writev = sender_writev };

/* Writes out what the main thread queued. 0, or -1 with res filled in. */
static int sender_flush_queue(MigSender *s, MigSenderResult *res)
{
    ChannelBuffer *q = s->q;
    if (q->len == 0) {
        return 0;
    }
    struct iovec v = { .iov_base = q->data, .iov_len = q->len };
    Error err;
    error_init(&err);
    int r = sender_writev(s, &v, 1, &err);
    q->len = 0;
    if (r == -ECANCELED) {
        res->outcome = MIG_SENDER_CANCELLED;
        return -1;
    }
    if (r < 0) {
        sender_fail(res, "%s%s", err.msg, "");
        return -1;
    }
    return 0;
}

/* Keeps the long-run rate within max-bandwidth: a window of 100 ms may take
 * rate/10 bytes; an overshoot (one PART) is carried into the next window. */
static int sender_rate_limit(MigSender *s, MigSenderResult *res)
{
    for (;;) {
        uint64_t rate = atomic_load(&s->rate);
        uint64_t now = sender_now_ns();
        uint64_t budget = rate / (1000000000ull / SENDER_WINDOW_NS);
        while (now - s->window_start_ns >= SENDER_WINDOW_NS) {
            s->window_start_ns += SENDER_WINDOW_NS;
            s->window_bytes = budget && s->window_bytes > budget ? s->window_bytes - budget : 0;
            if (now - s->window_start_ns >= SENDER_WINDOW_NS && s->window_bytes == 0) {
                s->window_start_ns = now;   /* idle for a while: no credit piles up */
            }
        }
        if (!budget || s->window_bytes < budget) {
            return 0;
        }
        int r = sender_wait(s, 0, (int64_t)(s->window_start_ns + SENDER_WINDOW_NS - now));
        if (r == -ECANCELED) {
            res->outcome = MIG_SENDER_CANCELLED;
            return -1;
        }
    }
}

static void sender_round(MigSender *s, MigSenderResult *res)
{
    for (;;) {
        if (sender_flush_queue(s, res) < 0 || sender_rate_limit(s, res) < 0) {
            return;
        }
        if (atomic_load(&s->cancel)) {
            res->outcome = MIG_SENDER_CANCELLED;
            return;
        }
        uint64_t before = qemu_file_transferred(s->fdf);
        Error err;
        error_init(&err);
        int r = savevm_save_iterate(s->sections, s->fdf, &err);
        uint64_t n = qemu_file_transferred(s->fdf) - before;
        atomic_fetch_add(&s->produced, n);
        s->window_bytes += n;
        if (r < 0 && atomic_load(&s->cancel)) {
            res->outcome = MIG_SENDER_CANCELLED;
            return;
        }
        if (r < 0) {
            sender_fail(res, "%s%s", err.set ? err.msg : "writing the stream failed", "");
            return;
        }
        if (r > 0) {
            return;              /* the pass is out (each PART is flushed) */
        }
    }
}

/* The destination's verdict on the whole stream (migration-rp.c). */
static void sender_await_rp(MigSender *s, MigSenderResult *res)
{
    uint8_t buf[MIG_RP_SHUT_LEN];
    size_t len = 0;
    for (;;) {
        int r = sender_wait(s, POLLIN, -1);
        if (r == -ECANCELED) {
            res->outcome = MIG_SENDER_CANCELLED;
            return;
        }
        if (r < 0) {
            sender_fail(res, "return path: waiting on %s failed: %s", s->what, strerror(-r));
            return;
        }
        ssize_t n = read(s->fd, buf + len, sizeof(buf) - len);
        if (n < 0) {
            if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK) {
                continue;
            }
            sender_fail(res, "return path: read from %s failed: %s", s->what, strerror(errno));
            return;
        }
        if (n == 0) {
            sender_fail(res, "return path: the destination closed the connection before "
                        "acknowledging the migration%s%s", "", "");
            return;
        }
        len += (size_t)n;
        uint32_t status = 0;
        Error err;
        error_init(&err);
        int p = migration_rp_parse(buf, len, &status, &err);
        if (p < 0) {
            sender_fail(res, "%s%s", err.msg, "");
            return;
        }
        if (p > 0) {
            if (status != 0) {
                res->outcome = MIG_SENDER_ERROR;
                snprintf(res->msg, sizeof(res->msg), "return path: the destination failed "
                         "to load the migration (status %u)", (unsigned)status);
            }
            return;
        }
    }
}

static void sender_connect(MigSender *s, MigSenderResult *res)
{
    Error err;
    error_init(&err);
    int fd = channel_socket_connect_wake(s->job_uri, s->wake_fd, &err);
    if (fd < 0) {
        if (atomic_load(&s->cancel)) {
            res->outcome = MIG_SENDER_CANCELLED;
        } else {
            sender_fail(res, "%s%s", err.msg, "");
        }
        return;
    }
    int fl = fcntl(fd, F_GETFL);
    if (fl >= 0) {
        fcntl(fd, F_SETFL, fl | O_NONBLOCK);
    }
    s->fd = fd;                 /* read by the main thread once idle */
}

static void *sender_main(void *opaque)
{
    MigSender *s = opaque;
    pthread_mutex_lock(&s->lock);
    for (;;) {
        while (s->job == MIG_JOB_NONE && !s->exit) {
            pthread_cond_wait(&s->cond, &s->lock);
        }
        if (s->exit) {
            break;
        }
        MigSenderJob job = s->job;
        bool rp = s->job_rp;
        pthread_mutex_unlock(&s->lock);

        MigSenderResult res = { .job = job, .outcome = MIG_SENDER_OK };
        if (job == MIG_JOB_CONNECT) {
            sender_connect(s, &res);
        } else if (job == MIG_JOB_ROUND) {
            sender_round(s, &res);
        } else if (sender_flush_queue(s, &res) == 0 && rp) {
            sender_await_rp(s, &res);
        }

        pthread_mutex_lock(&s->lock);
        s->result = res;
        s->result_ready = true;
        s->job = MIG_JOB_NONE;
        pthread_cond_broadcast(&s->cond);
        uint64_t one = 1;
        ssize_t w = write(s->event_fd, &one, sizeof(one));
        (void)w;
    }
    pthread_mutex_unlock(&s->lock);
    return NULL;
}

int mig_sender_start(MigSender *s, SaveVMState *sections, int fd, const char *what,
                     QEMUFile *f, ChannelBuffer *q)
{
    if (s->running) {
        return -EBUSY;
    }
    s->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    s->event_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (s->wake_fd < 0 || s->event_fd < 0) {
        int e = errno;
        mig_sender_stop(s);
        return -e;
    }
    int fl = fd >= 0 ? fcntl(fd, F_GETFL) : -1;
    if (fl >= 0) {
        fcntl(fd, F_SETFL, fl | O_NONBLOCK);
    }
    s->fd = fd;
    s->sections = sections;
    snprintf(s->what, sizeof(s->what), "%s", what);
    s->fdf = qemu_file_new(&sender_fd_ops, s, true);
    if (!s->fdf) {
        mig_sender_stop(s);
        return -ENOMEM;
    }
    s->f = f;
    s->q = q;
    s->job = MIG_JOB_NONE;
    s->exit = false;
    s->result_ready = false;
    s->window_start_ns = sender_now_ns();
    s->window_bytes = 0;
    atomic_store(&s->cancel, false);
    atomic_store(&s->written, 0);
    atomic_store(&s->produced, 0);
    int r = pthread_create(&s->tid, NULL, sender_main, s);
    if (r != 0) {
        mig_sender_stop(s);
        return -r;
    }
    s->running = true;
    return 0;
}

void mig_sender_quiesce(MigSender *s)
{
    if (!s->running) {
        return;
    }
    atomic_store(&s->cancel, true);
    uint64_t one = 1;
    ssize_t w = write(s->wake_fd, &one, sizeof(one));
    (void)w;
    pthread_mutex_lock(&s->lock);
    while (s->job != MIG_JOB_NONE) {
        pthread_cond_wait(&s->cond, &s->lock);
    }
    s->result_ready = false;    /* a cancelled job reports nothing */
    pthread_mutex_unlock(&s->lock);
    sender_drain_wake(s);
    uint64_t v;
    while (read(s->event_fd, &v, sizeof(v)) > 0) {
    }
    atomic_store(&s->cancel, false);
}

void mig_sender_stop(MigSender *s)
{
    if (s->running) {
        mig_sender_quiesce(s);
        pthread_mutex_lock(&s->lock);
        s->exit = true;
        pthread_cond_broadcast(&s->cond);
        pthread_mutex_unlock(&s->lock);
        pthread_join(s->tid, NULL);
        s->running = false;
    }
    if (s->wake_fd >= 0) {
        close(s->wake_fd);
    }
    if (s->event_fd >= 0) {
        close(s->event_fd);
    }
    s->wake_fd = s->event_fd = -1;
    if (s->fdf) {
        qemu_file_close(s->fdf, NULL);   /* nothing left in it: rounds flush */
        s->fdf = NULL;
    }
    s->fd = -1;
    s->f = NULL;
    s->q = NULL;
}

static void sender_post(MigSender *s, MigSenderJob job, bool rp)
{
    pthread_mutex_lock(&s->lock);
    s->job = job;
    s->job_rp = rp;
    s->result_ready = false;
    pthread_cond_broadcast(&s->cond);
    pthread_mutex_unlock(&s->lock);
}

void mig_sender_connect(MigSender *s, const char *uri)
{
    snprintf(s->job_uri, sizeof(s->job_uri), "%s", uri);
    sender_post(s, MIG_JOB_CONNECT, false);
}

int mig_sender_fd(MigSender *s)
{
    pthread_mutex_lock(&s->lock);
    int fd = s->job == MIG_JOB_NONE ? s->fd : -1;
    pthread_mutex_unlock(&s->lock);
    return fd;
}

void mig_sender_round(MigSender *s)
{
    sender_post(s, MIG_JOB_ROUND, false);
}

void mig_sender_drain(MigSender *s, bool with_rp)
{
    sender_post(s, MIG_JOB_DRAIN, with_rp);
}

int mig_sender_event_fd(MigSender *s)
{
    return s->event_fd;
}

bool mig_sender_take_result(MigSender *s, MigSenderResult *out)
{
    uint64_t v;
    while (s->event_fd >= 0 && read(s->event_fd, &v, sizeof(v)) > 0) {
    }
    pthread_mutex_lock(&s->lock);
    bool ready = s->result_ready && s->job == MIG_JOB_NONE;
    if (ready) {
        *out = s->result;
        s->result_ready = false;
    }
    pthread_mutex_unlock(&s->lock);
    return ready;
}

void mig_sender_set_rate(MigSender *s, uint64_t bytes_per_second)
{
    atomic_store(&s->rate, bytes_per_second);
}

uint64_t mig_sender_written(MigSender *s)
{
    return atomic_load(&s->written);
}

uint64_t mig_sender_produced(MigSender *s)
{
    return atomic_load(&s->produced);
}

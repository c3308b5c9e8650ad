/* The sender thread of an outgoing migration (see migration-sender.h). */
#include "migration/migration-sender.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "migration/migration-rp.h"
#include "savevm/savevm.h"

#define SENDER_WINDOW_NS 100000000ull   /* the bandwidth window (QEMU's BUFFER_DELAY) */

typedef struct MigSender {
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
} MigSender;

static MigSender snd = { .lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER,
                         .wake_fd = -1, .event_fd = -1, .fd = -1 };

static uint64_t sender_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void sender_drain_wake(void)
{
    uint64_t v;
    while (read(snd.wake_fd, &v, sizeof(v)) > 0) {
    }
}

/* Waits until the transport is ready for events (none: only the timeout,
 * -1 = no timeout, or a wake-up). 1 ready, 0 timeout or woken,
 * -ECANCELED when cancelled, or a negative errno. */
static int sender_wait(short events, int64_t timeout_ns)
{
    for (;;) {
        if (atomic_load(&snd.cancel)) {
            return -ECANCELED;
        }
        struct pollfd p[2] = { { .fd = snd.wake_fd, .events = POLLIN },
                               { .fd = snd.fd, .events = events } };
        int ms = timeout_ns < 0 ? -1 : (int)((timeout_ns + 999999) / 1000000);
        int r = poll(p, events ? 2 : 1, ms);
        if (r < 0) {
            if (errno == EINTR) {
                continue;
            }
            return -errno;
        }
        if (atomic_load(&snd.cancel)) {
            return -ECANCELED;
        }
        if (r == 0) {
            return 0;
        }
        if (events && p[1].revents) {
            return 1;
        }
        sender_drain_wake();
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
        ssize_t w = writev(snd.fd, v, n);
        if (w < 0) {
            if (errno == EINTR) {
                continue;
            }
            int e = errno;
            if (e == EAGAIN || e == EWOULDBLOCK) {
                int r = sender_wait(POLLOUT, -1);
                if (r >= 0) {
                    continue;
                }
                e = -r;
            }
            if (e == ECANCELED) {
                error_setf(err, "migration cancelled");
            } else {
                error_setf(err, "Unable to write to %s: %s", snd.what, strerror(e));
            }
            return -e;
        }
        atomic_fetch_add(&snd.written, (uint64_t)w);
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

static const QEMUFileOps sender_fd_ops = { .writev = sender_writev };

/* Writes out what the main thread queued. 0, or -1 with res filled in. */
static int sender_flush_queue(MigSenderResult *res)
{
    ChannelBuffer *q = snd.q;
    if (q->len == 0) {
        return 0;
    }
    struct iovec v = { .iov_base = q->data, .iov_len = q->len };
    Error err;
    error_init(&err);
    int r = sender_writev(NULL, &v, 1, &err);
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
static int sender_rate_limit(MigSenderResult *res)
{
    for (;;) {
        uint64_t rate = atomic_load(&snd.rate);
        uint64_t now = sender_now_ns();
        uint64_t budget = rate / (1000000000ull / SENDER_WINDOW_NS);
        while (now - snd.window_start_ns >= SENDER_WINDOW_NS) {
            snd.window_start_ns += SENDER_WINDOW_NS;
            snd.window_bytes = budget && snd.window_bytes > budget ? snd.window_bytes - budget : 0;
            if (now - snd.window_start_ns >= SENDER_WINDOW_NS && snd.window_bytes == 0) {
                snd.window_start_ns = now;   /* idle for a while: no credit piles up */
            }
        }
        if (!budget || snd.window_bytes < budget) {
            return 0;
        }
        int r = sender_wait(0, (int64_t)(snd.window_start_ns + SENDER_WINDOW_NS - now));
        if (r == -ECANCELED) {
            res->outcome = MIG_SENDER_CANCELLED;
            return -1;
        }
    }
}

static void sender_round(MigSenderResult *res)
{
    for (;;) {
        if (sender_flush_queue(res) < 0 || sender_rate_limit(res) < 0) {
            return;
        }
        if (atomic_load(&snd.cancel)) {
            res->outcome = MIG_SENDER_CANCELLED;
            return;
        }
        uint64_t before = qemu_file_transferred(snd.fdf);
        Error err;
        error_init(&err);
        int r = savevm_save_iterate(snd.sections, snd.fdf, &err);
        uint64_t n = qemu_file_transferred(snd.fdf) - before;
        atomic_fetch_add(&snd.produced, n);
        snd.window_bytes += n;
        if (r < 0 && atomic_load(&snd.cancel)) {
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
static void sender_await_rp(MigSenderResult *res)
{
    uint8_t buf[MIG_RP_SHUT_LEN];
    size_t len = 0;
    for (;;) {
        int r = sender_wait(POLLIN, -1);
        if (r == -ECANCELED) {
            res->outcome = MIG_SENDER_CANCELLED;
            return;
        }
        if (r < 0) {
            sender_fail(res, "return path: waiting on %s failed: %s", snd.what, strerror(-r));
            return;
        }
        ssize_t n = read(snd.fd, buf + len, sizeof(buf) - len);
        if (n < 0) {
            if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK) {
                continue;
            }
            sender_fail(res, "return path: read from %s failed: %s", snd.what, strerror(errno));
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

static void sender_connect(MigSenderResult *res)
{
    Error err;
    error_init(&err);
    int fd = channel_socket_connect_wake(snd.job_uri, snd.wake_fd, &err);
    if (fd < 0) {
        if (atomic_load(&snd.cancel)) {
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
    snd.fd = fd;                 /* read by the main thread once idle */
}

static void *sender_main(void *opaque)
{
    pthread_mutex_lock(&snd.lock);
    for (;;) {
        while (snd.job == MIG_JOB_NONE && !snd.exit) {
            pthread_cond_wait(&snd.cond, &snd.lock);
        }
        if (snd.exit) {
            break;
        }
        MigSenderJob job = snd.job;
        bool rp = snd.job_rp;
        pthread_mutex_unlock(&snd.lock);

        MigSenderResult res = { .job = job, .outcome = MIG_SENDER_OK };
        if (job == MIG_JOB_CONNECT) {
            sender_connect(&res);
        } else if (job == MIG_JOB_ROUND) {
            sender_round(&res);
        } else if (sender_flush_queue(&res) == 0 && rp) {
            sender_await_rp(&res);
        }

        pthread_mutex_lock(&snd.lock);
        snd.result = res;
        snd.result_ready = true;
        snd.job = MIG_JOB_NONE;
        pthread_cond_broadcast(&snd.cond);
        uint64_t one = 1;
        ssize_t w = write(snd.event_fd, &one, sizeof(one));
        (void)w;
    }
    pthread_mutex_unlock(&snd.lock);
    return NULL;
}

int mig_sender_start(SaveVMState *sections, int fd, const char *what, QEMUFile *f,
                     ChannelBuffer *q)
{
    if (snd.running) {
        return -EBUSY;
    }
    snd.wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    snd.event_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (snd.wake_fd < 0 || snd.event_fd < 0) {
        int e = errno;
        mig_sender_stop();
        return -e;
    }
    int fl = fd >= 0 ? fcntl(fd, F_GETFL) : -1;
    if (fl >= 0) {
        fcntl(fd, F_SETFL, fl | O_NONBLOCK);
    }
    snd.fd = fd;
    snd.sections = sections;
    snprintf(snd.what, sizeof(snd.what), "%s", what);
    snd.fdf = qemu_file_new(&sender_fd_ops, NULL, true);
    if (!snd.fdf) {
        mig_sender_stop();
        return -ENOMEM;
    }
    snd.f = f;
    snd.q = q;
    snd.job = MIG_JOB_NONE;
    snd.exit = false;
    snd.result_ready = false;
    snd.window_start_ns = sender_now_ns();
    snd.window_bytes = 0;
    atomic_store(&snd.cancel, false);
    atomic_store(&snd.written, 0);
    atomic_store(&snd.produced, 0);
    int r = pthread_create(&snd.tid, NULL, sender_main, NULL);
    if (r != 0) {
        mig_sender_stop();
        return -r;
    }
    snd.running = true;
    return 0;
}

void mig_sender_quiesce(void)
{
    if (!snd.running) {
        return;
    }
    atomic_store(&snd.cancel, true);
    uint64_t one = 1;
    ssize_t w = write(snd.wake_fd, &one, sizeof(one));
    (void)w;
    pthread_mutex_lock(&snd.lock);
    while (snd.job != MIG_JOB_NONE) {
        pthread_cond_wait(&snd.cond, &snd.lock);
    }
    snd.result_ready = false;    /* a cancelled job reports nothing */
    pthread_mutex_unlock(&snd.lock);
    sender_drain_wake();
    uint64_t v;
    while (read(snd.event_fd, &v, sizeof(v)) > 0) {
    }
    atomic_store(&snd.cancel, false);
}

void mig_sender_stop(void)
{
    if (snd.running) {
        mig_sender_quiesce();
        pthread_mutex_lock(&snd.lock);
        snd.exit = true;
        pthread_cond_broadcast(&snd.cond);
        pthread_mutex_unlock(&snd.lock);
        pthread_join(snd.tid, NULL);
        snd.running = false;
    }
    if (snd.wake_fd >= 0) {
        close(snd.wake_fd);
    }
    if (snd.event_fd >= 0) {
        close(snd.event_fd);
    }
    snd.wake_fd = snd.event_fd = -1;
    if (snd.fdf) {
        qemu_file_close(snd.fdf, NULL);   /* nothing left in it: rounds flush */
        snd.fdf = NULL;
    }
    snd.fd = -1;
    snd.f = NULL;
    snd.q = NULL;
}

static void sender_post(MigSenderJob job, bool rp)
{
    pthread_mutex_lock(&snd.lock);
    snd.job = job;
    snd.job_rp = rp;
    snd.result_ready = false;
    pthread_cond_broadcast(&snd.cond);
    pthread_mutex_unlock(&snd.lock);
}

void mig_sender_connect(const char *uri)
{
    snprintf(snd.job_uri, sizeof(snd.job_uri), "%s", uri);
    sender_post(MIG_JOB_CONNECT, false);
}

int mig_sender_fd(void)
{
    pthread_mutex_lock(&snd.lock);
    int fd = snd.job == MIG_JOB_NONE ? snd.fd : -1;
    pthread_mutex_unlock(&snd.lock);
    return fd;
}

void mig_sender_round(void)
{
    sender_post(MIG_JOB_ROUND, false);
}

void mig_sender_drain(bool with_rp)
{
    sender_post(MIG_JOB_DRAIN, with_rp);
}

int mig_sender_event_fd(void)
{
    return snd.event_fd;
}

bool mig_sender_take_result(MigSenderResult *out)
{
    uint64_t v;
    while (snd.event_fd >= 0 && read(snd.event_fd, &v, sizeof(v)) > 0) {
    }
    pthread_mutex_lock(&snd.lock);
    bool ready = snd.result_ready && snd.job == MIG_JOB_NONE;
    if (ready) {
        *out = snd.result;
        snd.result_ready = false;
    }
    pthread_mutex_unlock(&snd.lock);
    return ready;
}

void mig_sender_set_rate(uint64_t bytes_per_second)
{
    atomic_store(&snd.rate, bytes_per_second);
}

uint64_t mig_sender_written(void)
{
    return atomic_load(&snd.written);
}

uint64_t mig_sender_produced(void)
{
    return atomic_load(&snd.produced);
}

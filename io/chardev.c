#include "io/chardev.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

static void chardev_fd_write(CharBackend *be, const uint8_t *buf, size_t len)
{
    while (len > 0 && be->fd_out >= 0) {
        ssize_t n = write(be->fd_out, buf, len);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            if (errno == EAGAIN) {
                usleep(100);
                continue;
            }
            return;     /* output lost: the guest must not stall on a dead terminal */
        }
        buf += n;
        len -= (size_t)n;
    }
}

void chardev_init_fd(CharBackend *be, const char *name, int fd_in, int fd_out)
{
    memset(be, 0, sizeof(*be));
    be->name = name;
    be->fd_in = fd_in;
    be->fd_out = fd_out;
    be->host_write = chardev_fd_write;
}

void chardev_init_null(CharBackend *be, const char *name)
{
    memset(be, 0, sizeof(*be));
    be->name = name;
    be->fd_in = -1;
    be->fd_out = -1;
}

void chardev_attach(CharBackend *be, int (*can_receive)(void *fe),
                    void (*receive)(void *fe, const uint8_t *buf, size_t len), void *fe)
{
    be->can_receive = can_receive;
    be->receive = receive;
    be->fe = fe;
}

void chardev_write(CharBackend *be, const uint8_t *buf, size_t len)
{
    if (be->host_write) {
        be->host_write(be, buf, len);
    }
    for (int i = 0; i < CHARDEV_MAX_TAPS; i++) {
        if (be->taps[i].fn) {
            be->taps[i].fn(be->taps[i].opaque, buf, len);
        }
    }
}

void chardev_hold_input(CharBackend *be, bool hold)
{
    be->input_held = hold;
}

void chardev_accept_input(CharBackend *be)
{
    if (be->input_held || !be->receive || be->pending_len == 0) {
        return;
    }
    int room = be->can_receive ? be->can_receive(be->fe) : (int)be->pending_len;
    if (room <= 0) {
        return;
    }
    size_t n = (size_t)room < be->pending_len ? (size_t)room : be->pending_len;
    be->receive(be->fe, be->pending, n);
    memmove(be->pending, be->pending + n, be->pending_len - n);
    be->pending_len -= n;
}

void chardev_feed(CharBackend *be, const uint8_t *buf, size_t len)
{
    if (be->input_filter) {
        be->input_filter(be->input_filter_opaque, be, buf, len);
        return;
    }
    chardev_feed_direct(be, buf, len);
}

void chardev_feed_direct(CharBackend *be, const uint8_t *buf, size_t len)
{
    size_t room = sizeof(be->pending) - be->pending_len;
    if (len > room) {
        len = room;     /* host typed faster than the guest reads: drop the excess */
    }
    memcpy(be->pending + be->pending_len, buf, len);
    be->pending_len += len;
    chardev_accept_input(be);
}

bool chardev_add_tap(CharBackend *be, void (*fn)(void *, const uint8_t *, size_t), void *opaque)
{
    for (int i = 0; i < CHARDEV_MAX_TAPS; i++) {
        if (!be->taps[i].fn) {
            be->taps[i].fn = fn;
            be->taps[i].opaque = opaque;
            return true;
        }
    }
    return false;
}

void chardev_remove_tap(CharBackend *be, void (*fn)(void *, const uint8_t *, size_t), void *opaque)
{
    for (int i = 0; i < CHARDEV_MAX_TAPS; i++) {
        if (be->taps[i].fn == fn && be->taps[i].opaque == opaque) {
            be->taps[i].fn = NULL;
            be->taps[i].opaque = NULL;
        }
    }
}

/* Character back ends: the host side of a serial port (stdio, a file, a
 * socket, null). A device (front end) attaches with chardev_attach(); host
 * input is delivered to it by chardev_feed(); guest output goes through
 * chardev_write(), which also feeds any taps (the monitor's expect command
 * watches serial output through a tap). */
#ifndef IO_CHARDEV_H
#define IO_CHARDEV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct CharBackend CharBackend;

typedef struct CharTap {
    void (*fn)(void *opaque, const uint8_t *buf, size_t len);
    void *opaque;
} CharTap;

#define CHARDEV_MAX_TAPS 4

struct CharBackend {
    const char *name;
    /* Host side: writes guest output somewhere (may be NULL: discard). */
    void (*host_write)(CharBackend *be, const uint8_t *buf, size_t len);
    void *host_opaque;
    int fd_in;                   /* fd polled for input, or -1 */
    int fd_out;                  /* fd written by the default host_write, or -1 */
    /* Front end (device) side. */
    int (*can_receive)(void *fe);            /* bytes the device can take now */
    void (*receive)(void *fe, const uint8_t *buf, size_t len);
    void *fe;
    bool input_held;             /* input waits in pending (an incoming load runs) */
    /* Record/replay (replay/replay.h): host input goes to the filter
     * instead, which logs it and passes it on with chardev_feed_direct, or
     * drops it while a log drives the machine. NULL: no filter. */
    void (*input_filter)(void *opaque, CharBackend *be, const uint8_t *buf, size_t len);
    void *input_filter_opaque;
    CharTap taps[CHARDEV_MAX_TAPS];
    /* Input that arrived while the device could not take it. */
    uint8_t pending[4096];
    size_t pending_len;
};

void chardev_init_fd(CharBackend *be, const char *name, int fd_in, int fd_out);
void chardev_init_null(CharBackend *be, const char *name);
void chardev_attach(CharBackend *be, int (*can_receive)(void *fe),
                    void (*receive)(void *fe, const uint8_t *buf, size_t len), void *fe);
void chardev_write(CharBackend *be, const uint8_t *buf, size_t len);
/* Queues host input for the device; delivers what the device can take now.
 * With an input filter set, the input goes to it instead. */
void chardev_feed(CharBackend *be, const uint8_t *buf, size_t len);
/* Queues input past the filter (the filter itself, a replayed input). */
void chardev_feed_direct(CharBackend *be, const uint8_t *buf, size_t len);
/* Retries delivery of queued input (called when the device drains its FIFO). */
/* While held (an incoming migration is loading the devices), input stays
 * in the back ends' pending buffers; chardev_accept_input delivers it
 * after release. */
void chardev_hold_input(CharBackend *be, bool hold);
void chardev_accept_input(CharBackend *be);
bool chardev_add_tap(CharBackend *be, void (*fn)(void *, const uint8_t *, size_t), void *opaque);
void chardev_remove_tap(CharBackend *be, void (*fn)(void *, const uint8_t *, size_t), void *opaque);

#endif

/* QEMUFile and its channels: round trips, sticky errors, truncation, EPIPE,
 * exec exit status, 64-bit counters. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>
#include <netinet/in.h>

#include "io/channel.h"
#include "savevm/qemu-file.h"
#include "tests/unit/unit.h"

static void put_sample(QEMUFile *f)
{
    qemu_file_put_u8(f, 0xab);
    qemu_file_put_be16(f, 0x1234);
    qemu_file_put_be32(f, 0xdeadbeef);
    qemu_file_put_be64(f, 0x0102030405060708ull);
    qemu_file_put_str8(f, "hello");
    qemu_file_put_buffer(f, "xyz", 3);
}

#define SAMPLE_LEN (1 + 2 + 4 + 8 + 6 + 3)

static void check_sample(QEMUFile *f)
{
    char s[256];
    uint8_t b[3];
    CU_ASSERT_EQUAL(qemu_file_get_u8(f), 0xab);
    CU_ASSERT_EQUAL(qemu_file_get_be16(f), 0x1234);
    CU_ASSERT_EQUAL(qemu_file_get_be32(f), 0xdeadbeef);
    CU_ASSERT_EQUAL(qemu_file_get_be64(f), 0x0102030405060708ull);
    CU_ASSERT_EQUAL(qemu_file_get_str8(f, s), 5);
    CU_ASSERT_STRING_EQUAL(s, "hello");
    CU_ASSERT_EQUAL(qemu_file_get_buffer(f, b, 3), 3);
    CU_ASSERT_EQUAL(memcmp(b, "xyz", 3), 0);
    CU_ASSERT_EQUAL(qemu_file_get_error(f), 0);
    CU_ASSERT_EQUAL(qemu_file_tell(f), SAMPLE_LEN);
}

static void test_buffer_round_trip(void)
{
    ChannelBuffer b = { 0 };
    QEMUFile *f = qemu_file_buffer_writer(&b);
    put_sample(f);
    CU_ASSERT_EQUAL(qemu_file_tell(f), SAMPLE_LEN);
    CU_ASSERT_EQUAL(qemu_file_transferred(f), 0);    /* still buffered */
    CU_ASSERT_EQUAL(qemu_file_flush(f), 0);
    CU_ASSERT_EQUAL(qemu_file_transferred(f), SAMPLE_LEN);
    CU_ASSERT_EQUAL(qemu_file_close(f, NULL), 0);
    CU_ASSERT_EQUAL(b.len, SAMPLE_LEN);
    CU_ASSERT_EQUAL(b.data[1], 0x12);                /* big-endian */

    f = qemu_file_buffer_reader(b.data, b.len);
    uint8_t peek[3];
    CU_ASSERT_EQUAL(qemu_file_peek(f, peek, 3, 1), 3);
    CU_ASSERT_EQUAL(peek[0], 0x12);
    CU_ASSERT_EQUAL(qemu_file_tell(f), 0);
    check_sample(f);
    /* Reading past the end: zeros, -EIO, truncated. */
    CU_ASSERT_EQUAL(qemu_file_get_be32(f), 0);
    CU_ASSERT_EQUAL(qemu_file_get_error(f), -EIO);
    CU_ASSERT_TRUE(qemu_file_is_truncated(f));
    CU_ASSERT_PTR_NOT_NULL(strstr(qemu_file_error_msg(f), "end of stream"));
    Error err;
    error_init(&err);
    CU_ASSERT_EQUAL(qemu_file_close(f, &err), -EIO);
    CU_ASSERT_TRUE(err.set);
    channel_buffer_free(&b);
}

static void test_large_buffer(void)
{
    /* More than the internal buffer and iovec limits, copied and by reference. */
    size_t n = 3 * QEMU_FILE_BUF_SIZE + 123;
    uint8_t *src = malloc(n);
    for (size_t i = 0; i < n; i++) {
        src[i] = (uint8_t)(i * 7);
    }
    ChannelBuffer b = { 0 };
    QEMUFile *f = qemu_file_buffer_writer(&b);
    qemu_file_put_buffer(f, src, n);
    for (int i = 0; i < 100; i++) {
        qemu_file_put_u8(f, (uint8_t)i);
        qemu_file_put_buffer_ref(f, src, 4096);
    }
    CU_ASSERT_EQUAL(qemu_file_close(f, NULL), 0);
    CU_ASSERT_EQUAL(b.len, n + 100 * 4097);
    f = qemu_file_buffer_reader(b.data, b.len);
    uint8_t *dst = malloc(n);
    CU_ASSERT_EQUAL(qemu_file_get_buffer(f, dst, n), n);
    CU_ASSERT_EQUAL(memcmp(src, dst, n), 0);
    for (int i = 0; i < 100; i++) {
        CU_ASSERT_EQUAL(qemu_file_get_u8(f), (uint8_t)i);
        qemu_file_get_buffer(f, dst, 4096);
        CU_ASSERT_EQUAL(memcmp(src, dst, 4096), 0);
    }
    CU_ASSERT_EQUAL(qemu_file_close(f, NULL), 0);
    free(src);
    free(dst);
    channel_buffer_free(&b);
}

static void test_sticky_write_error(void)
{
    ChannelBuffer b = { .limit = 10 };
    QEMUFile *f = qemu_file_buffer_writer(&b);
    put_sample(f);
    CU_ASSERT_EQUAL(qemu_file_flush(f), -ENOSPC);
    /* Later writes are dropped and the first error stays. */
    qemu_file_put_be32(f, 1);
    qemu_file_set_error(f, -EINVAL, "later");
    CU_ASSERT_EQUAL(qemu_file_flush(f), -ENOSPC);
    CU_ASSERT_PTR_NOT_NULL(strstr(qemu_file_error_msg(f), "No space"));
    Error err;
    error_init(&err);
    CU_ASSERT_EQUAL(qemu_file_close(f, &err), -ENOSPC);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "No space"));
    CU_ASSERT_EQUAL(b.len, 0);
    channel_buffer_free(&b);
}

static void test_str8_too_long(void)
{
    char s[300];
    memset(s, 'a', sizeof(s) - 1);
    s[sizeof(s) - 1] = '\0';
    ChannelBuffer b = { 0 };
    QEMUFile *f = qemu_file_buffer_writer(&b);
    qemu_file_put_str8(f, s);
    CU_ASSERT_EQUAL(qemu_file_get_error(f), -EINVAL);
    qemu_file_close(f, NULL);
    channel_buffer_free(&b);
}

/* A channel that swallows everything: the position counters can pass 4 GiB
 * in a second because by-reference blocks are never copied. */
static int null_writev(void *opaque, const struct iovec *iov, int iovcnt, Error *err)
{
    return 0;
}

static const IOChannelOps null_ops = { .writev = null_writev };

static void test_counters_64bit(void)
{
    static uint8_t block[1 << 20];
    QEMUFile *f = qemu_file_new(&null_ops, NULL, true);
    uint64_t total = 0;
    for (int i = 0; i < 4200; i++) {
        qemu_file_put_buffer_ref(f, block, sizeof(block));
        qemu_file_put_u8(f, 1);
        total += sizeof(block) + 1;
    }
    CU_ASSERT_EQUAL(qemu_file_flush(f), 0);
    CU_ASSERT_TRUE(total > (1ull << 32));
    CU_ASSERT_EQUAL(qemu_file_tell(f), total);
    CU_ASSERT_EQUAL(qemu_file_transferred(f), total);
    CU_ASSERT_EQUAL(qemu_file_close(f, NULL), 0);
}

static void test_fd_pipe_round_trip(void)
{
    int p[2];
    CU_ASSERT_EQUAL_FATAL(pipe(p), 0);
    QEMUFile *w = qemu_file_open_fd(p[1], true, true, NULL);
    put_sample(w);
    CU_ASSERT_EQUAL(qemu_file_close(w, NULL), 0);
    QEMUFile *r = qemu_file_open_fd(p[0], false, true, NULL);
    check_sample(r);
    qemu_file_get_u8(r);
    CU_ASSERT_TRUE(qemu_file_is_truncated(r));
    qemu_file_close(r, NULL);
}

static void test_fd_nonblocking(void)
{
    /* A non-blocking pipe fuller than its capacity: EAGAIN waits in poll
     * while a child drains it. */
    int p[2];
    CU_ASSERT_EQUAL_FATAL(pipe(p), 0);
    pid_t pid = fork();
    if (pid == 0) {
        close(p[1]);
        char buf[4096];
        size_t total = 0;
        ssize_t n;
        while ((n = read(p[0], buf, sizeof(buf))) > 0) {
            total += (size_t)n;
        }
        _exit(total == 1 << 20 ? 0 : 1);
    }
    close(p[0]);
    fcntl(p[1], F_SETFL, O_NONBLOCK);
    QEMUFile *w = qemu_file_open_fd(p[1], true, true, NULL);
    static uint8_t block[1 << 20];
    qemu_file_put_buffer(w, block, sizeof(block));
    CU_ASSERT_EQUAL(qemu_file_close(w, NULL), 0);
    int status;
    waitpid(pid, &status, 0);
    CU_ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static void test_fd_epipe(void)
{
    int p[2];
    CU_ASSERT_EQUAL_FATAL(pipe(p), 0);
    close(p[0]);
    QEMUFile *w = qemu_file_open_fd(p[1], true, true, NULL);
    put_sample(w);
    /* We are still alive: SIGPIPE was not delivered as a kill. */
    CU_ASSERT_EQUAL(qemu_file_flush(w), -EPIPE);
    CU_ASSERT_PTR_NOT_NULL(strstr(qemu_file_error_msg(w), "Broken pipe"));
    qemu_file_put_u8(w, 1);
    CU_ASSERT_EQUAL(qemu_file_close(w, NULL), -EPIPE);
}

static void test_socket_epipe(void)
{
    int sv[2];
    CU_ASSERT_EQUAL_FATAL(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    close(sv[1]);
    QEMUFile *w = qemu_file_open_fd(sv[0], true, true, NULL);
    put_sample(w);
    CU_ASSERT_EQUAL(qemu_file_flush(w), -EPIPE);
    qemu_file_close(w, NULL);
}

static void test_exec_round_trip(void)
{
    char path[] = "/tmp/amber-test-qf-XXXXXX";
    int fd = mkstemp(path);
    close(fd);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "cat > %s", path);
    Error err;
    error_init(&err);
    QEMUFile *w = qemu_file_open_exec(cmd, true, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(w);
    put_sample(w);
    CU_ASSERT_EQUAL(qemu_file_close(w, &err), 0);
    snprintf(cmd, sizeof(cmd), "cat %s", path);
    QEMUFile *r = qemu_file_open_exec(cmd, false, &err);
    check_sample(r);
    CU_ASSERT_EQUAL(qemu_file_close(r, &err), 0);
    /* The file channel reads the same bytes. */
    r = qemu_file_open_path(path, false, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    check_sample(r);
    CU_ASSERT_EQUAL(qemu_file_close(r, NULL), 0);
    unlink(path);
}

static void test_exec_exit_status(void)
{
    Error err;
    error_init(&err);
    QEMUFile *w = qemu_file_open_exec("cat >/dev/null; exit 3", true, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(w);
    put_sample(w);
    CU_ASSERT_EQUAL(qemu_file_close(w, &err), -EIO);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "exited with status 3"));

    /* A reader whose command fails before writing: truncated, then status. */
    error_init(&err);
    QEMUFile *r = qemu_file_open_exec("exit 4", false, &err);
    qemu_file_get_be32(r);
    CU_ASSERT_TRUE(qemu_file_is_truncated(r));
    CU_ASSERT_TRUE(qemu_file_close(r, &err) < 0);

    /* A writer whose command exits without reading: EPIPE, not death. */
    error_init(&err);
    w = qemu_file_open_exec("exit 0", true, &err);
    static uint8_t block[1 << 20];
    qemu_file_put_buffer(w, block, sizeof(block));
    CU_ASSERT_EQUAL(qemu_file_close(w, &err), -EPIPE);
}

static void test_file_errors(void)
{
    Error err;
    error_init(&err);
    CU_ASSERT_PTR_NULL(qemu_file_open_path("/nonexistent/dir/x", false, &err));
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "/nonexistent/dir/x"));
}

static void test_socket_unix_and_tcp(void)
{
    char path[64];
    snprintf(path, sizeof(path), "unix:/tmp/amber-test-sock-%d", (int)getpid());
    Error err;
    error_init(&err);
    int l = channel_socket_listen(path, &err);
    CU_ASSERT_TRUE_FATAL(l >= 0);
    int c = channel_socket_connect(path, &err);
    CU_ASSERT_TRUE_FATAL(c >= 0);
    int a = channel_socket_accept(l, &err);
    CU_ASSERT_TRUE_FATAL(a >= 0);
    QEMUFile *w = qemu_file_open_fd(c, true, true, NULL);
    QEMUFile *r = qemu_file_open_fd(a, false, true, NULL);
    put_sample(w);
    CU_ASSERT_EQUAL(qemu_file_close(w, NULL), 0);
    check_sample(r);
    qemu_file_close(r, NULL);
    close(l);
    unlink(path + 5);

    l = channel_socket_listen("tcp:127.0.0.1:0", &err);
    CU_ASSERT_TRUE_FATAL(l >= 0);
    struct sockaddr_in sa;
    socklen_t sl = sizeof(sa);
    getsockname(l, (struct sockaddr *)&sa, &sl);
    char uri[64];
    snprintf(uri, sizeof(uri), "tcp:127.0.0.1:%d", ntohs(sa.sin_port));
    c = channel_socket_connect(uri, &err);
    CU_ASSERT_TRUE_FATAL(c >= 0);
    a = channel_socket_accept(l, &err);
    w = qemu_file_open_fd(c, true, true, NULL);
    r = qemu_file_open_fd(a, false, true, NULL);
    put_sample(w);
    CU_ASSERT_EQUAL(qemu_file_close(w, NULL), 0);
    check_sample(r);
    qemu_file_close(r, NULL);
    close(l);

    error_init(&err);
    CU_ASSERT_EQUAL(channel_socket_connect("bogus:1", &err), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "bogus:1"));
}

static const UnitTest tests[] = {
    { "buffer round trip, peek, truncation", test_buffer_round_trip },
    { "large buffers and by-reference blocks", test_large_buffer },
    { "sticky write error (ENOSPC)", test_sticky_write_error },
    { "counted string too long", test_str8_too_long },
    { "64-bit position counters", test_counters_64bit },
    { "fd pipe round trip", test_fd_pipe_round_trip },
    { "fd non-blocking writes wait in poll", test_fd_nonblocking },
    { "EPIPE on a closed pipe", test_fd_epipe },
    { "EPIPE on a closed socket", test_socket_epipe },
    { "exec channel round trip and file channel", test_exec_round_trip },
    { "exec exit status and early exit", test_exec_exit_status },
    { "file open errors", test_file_errors },
    { "unix and tcp sockets", test_socket_unix_and_tcp },
    { NULL, NULL },
};

int main(void)
{
    return unit_run("qemu-file", tests);
}

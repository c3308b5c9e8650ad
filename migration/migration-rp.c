/* The return path of socket transports (tcp:, unix:, fd: on a socket): the
 * destination answers on the same connection once it has loaded the whole
 * stream, so the source learns whether the destination took over before it
 * gives the guest up. The message is QEMU's MIG_RP_MSG_SHUT: be16 type,
 * be16 length, be32 status (0 = loaded, else failed). exec: and file: have
 * no way back; their source completes once the stream is written. */
#include "migration/migration-rp.h"

#include <errno.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "migration/migration.h"

bool migration_rp_usable(const Migration *mig, int fd)
{
    struct stat st;
    return migrate_cap(mig, MIGRATION_CAP_RETURN_PATH) && fd >= 0 && fstat(fd, &st) == 0 &&
           S_ISSOCK(st.st_mode);
}

void migration_rp_encode_shut(uint8_t out[MIG_RP_SHUT_LEN], uint32_t status)
{
    out[0] = 0;
    out[1] = MIG_RP_MSG_SHUT;
    out[2] = 0;
    out[3] = 4;
    out[4] = (uint8_t)(status >> 24);
    out[5] = (uint8_t)(status >> 16);
    out[6] = (uint8_t)(status >> 8);
    out[7] = (uint8_t)status;
}

int migration_rp_send_shut(int fd, uint32_t status)
{
    uint8_t msg[MIG_RP_SHUT_LEN];
    migration_rp_encode_shut(msg, status);
    size_t off = 0;
    while (off < sizeof(msg)) {
        ssize_t n = send(fd, msg + off, sizeof(msg) - off, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            return -errno;
        }
        off += (size_t)n;
    }
    return 0;
}

int migration_rp_parse(const uint8_t *buf, size_t len, uint32_t *status, Error *err)
{
    if (len < 4) {
        return 0;
    }
    unsigned type = (unsigned)buf[0] << 8 | buf[1];
    unsigned mlen = (unsigned)buf[2] << 8 | buf[3];
    if (type != MIG_RP_MSG_SHUT || mlen != 4) {
        error_setf(err, "return path: unexpected message type %u length %u", type, mlen);
        return -EINVAL;
    }
    if (len < MIG_RP_SHUT_LEN) {
        return 0;
    }
    *status = (uint32_t)buf[4] << 24 | (uint32_t)buf[5] << 16 | (uint32_t)buf[6] << 8 | buf[7];
    return 1;
}

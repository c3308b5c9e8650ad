/* The migration return path (see migration-rp.c). */
#ifndef MIGRATION_MIGRATION_RP_H
#define MIGRATION_MIGRATION_RP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "migration/vm.h"
#include "util/error.h"

#define MIG_RP_MSG_SHUT 1        /* QEMU's number */
#define MIG_RP_SHUT_LEN 8

/* mig's return-path capability is on and fd is a socket. */
bool migration_rp_usable(const Migration *mig, int fd);
void migration_rp_encode_shut(uint8_t out[MIG_RP_SHUT_LEN], uint32_t status);
/* Destination: 0 or a negative errno (the source may be gone). */
int migration_rp_send_shut(int fd, uint32_t status);
/* Source: 1 with *status once a whole SHUT is in buf, 0 when more bytes
 * are needed, -EINVAL (err set) for any other message. */
int migration_rp_parse(const uint8_t *buf, size_t len, uint32_t *status, Error *err);

#endif

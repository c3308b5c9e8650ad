/* The transports of migration URIs as plain fds, for the cooperative
 * (non-blocking) source and the incoming side:
 *   tcp:HOST:PORT, unix:PATH  sockets (source connects, destination listens)
 *   exec:CMD                  /bin/sh -c CMD, its stdin (source) or stdout
 *   fd:NAME                   a descriptor passed with getfd
 *   file:PATH                 a regular file */
#ifndef MIGRATION_MIGRATION_TRANSPORT_H
#define MIGRATION_MIGRATION_TRANSPORT_H

#include <stdbool.h>
#include <sys/types.h>

#include "migration/vm.h"
#include "util/error.h"

typedef struct MigrationTransport {
    int fd;
    bool listening;              /* incoming socket: fd accepts */
    pid_t pid;                   /* exec: the command, else 0 */
    char what[160];              /* the URI, for messages */
    char unix_path[108];         /* incoming unix: removed at close */
} MigrationTransport;

/* Checks the URI form only (no I/O): 0 or -EINVAL with QEMU-like text. */
int migration_transport_check(const char *uri, Error *err);
/* Source: an fd to write the stream to. Destination (incoming): an fd to
 * read it from, or a listening socket (t->listening). fd:NAME takes mig's
 * named fd. -1 with err set. */
int migration_transport_open(Migration *mig, MigrationTransport *t, const char *uri,
                             bool incoming, Error *err);
/* Closes the fd and reaps an exec: command; its failure (non-zero exit,
 * death by signal) is an error naming the command. abort: kill it first. */
int migration_transport_close(MigrationTransport *t, bool abort, Error *err);

#endif

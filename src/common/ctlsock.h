/* SPDX-License-Identifier: ISC */
/* The daemons' control sockets (the collector's, the broker's): a unix socket where the
 * CLI writes one line and reads the answer until the daemon closes. Both sides here. */
#ifndef VMM_COMMON_CTLSOCK_H
#define VMM_COMMON_CTLSOCK_H

#include <stddef.h>
#include <sys/types.h>

/* How long a client that neither writes its line nor reads its answer may hold the
 * daemon's loop. */
#define CTLSOCK_TIMEOUT_MS 2000

/* A listening socket at path (any old one removed), made under umask mask, non-blocking:
 * the fd, or -1 with err. */
int ctlsock_listen(const char *path, mode_t mask, char *err, size_t errlen);
/* The request line of an accepted client, without its newline, within CTLSOCK_TIMEOUT_MS:
 * 0, or -1 when no whole line came (line holds what did). */
int ctlsock_read_line(int fd, char *line, size_t cap);
/* The whole answer, however long; a client that stops reading costs CTLSOCK_TIMEOUT_MS.
 * -1 with errno when it went away. */
int ctlsock_send(int fd, const char *p, size_t len);
/* The CLI: send line to the daemon at path and copy its answer to stdout. The exit
 * status: 0, or 1 when it could not be asked, did not answer, or answered "error:";
 * who names the daemon in the message, hint says what to check. */
int ctlsock_ask(const char *path, const char *line, const char *who, const char *hint);

#endif

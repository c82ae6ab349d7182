/* SPDX-License-Identifier: ISC */
/* The control socket: a unix socket with a line protocol, served from the event loop,
 * and the client side used by `vmmanage status|reload|ACTION`. */
#ifndef VMM_CONTROL_H
#define VMM_CONTROL_H

#include <stddef.h>
#include <stdio.h>

struct ev_loop;

/* Answers one request line into out; the last line it writes is "OK" or "ERR ...". */
typedef void (*control_handler)(const char *line, FILE *out, void *arg);

/* Serves path on loop. */
int control_listen(struct ev_loop *loop, const char *path, control_handler h, void *arg,
    char *err, size_t errlen);
void control_close(void);

/* Client: send `line`, print the answer (less the final line) to out; the final line's
 * message goes to errout on ERR. Returns 0 for OK, 1 for ERR, 2 when the daemon cannot
 * be reached (err says why). */
int control_request(const char *path, const char *line, double timeout_s, FILE *out,
    FILE *errout, char *err, size_t errlen);

#endif

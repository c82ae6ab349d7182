/* SPDX-License-Identifier: ISC */
/* Running the agent as a daemon: readiness, pid file, signals, the control handler. */
#ifndef VMM_DAEMON_H
#define VMM_DAEMON_H

/* Returns the process's exit status. Without foreground, the parent returns only once
 * the daemon is ready (0) or has failed (1, with the reason on stderr). */
int daemon_run(const char *config, int foreground, int debug);

#endif

/* SPDX-License-Identifier: ISC */
/* Becoming a daemon, the same way for the agent and the collector: the parent waits on a
 * readiness pipe, so that an init script sees a failed start; the pid file. */
#ifndef VMM_DAEMONIZE_H
#define VMM_DAEMONIZE_H

#include <stddef.h>

/* Forks; the child calls setsid, changes to / and puts /dev/null on 0, 1 and 2. The
 * parent never returns: it exits 0 once the child calls daemonize_ready, else 1 after
 * printing the child's reason on stderr (or that it exited first, see syslog) and
 * removing pid_file (if not NULL) when it names the child, which may no longer be
 * allowed to remove it itself. Returns, in the child, the readiness fd (fatal messages
 * also go to it, see log_set_ready_fd); -1 with errno set if it could not fork. */
int daemonize(const char *pid_file);
/* The child is ready: the parent exits 0 (fd < 0, in the foreground: none waits), and a
 * service manager that asked hears READY=1 (common/notify.h). */
void daemonize_ready(int fd);
/* The child cannot start: the parent prints "ident: reason" and exits 1. */
void daemonize_failed(int fd, const char *reason);

/* Creates path anew (O_EXCL, O_NOFOLLOW) with this process's pid: nothing another user
 * put at its name is ever written to. An existing file naming a live process is an error
 * ("already running"); a stale one (a regular file of this user) is removed first. */
int pidfile_create(const char *path, char *err, size_t errlen);

#endif

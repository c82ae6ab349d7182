/* SPDX-License-Identifier: ISC */
/* Daemon logging: stderr while in the foreground, syslog(3) once daemonized. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "common/log.h"

/* Set at start-up; log_debugging and log_ready_fd may change while worker threads log. */
static const char *log_name = "vmmanage";
static int log_foreground = 1;
static _Atomic int log_debugging;
static _Atomic int log_ready_fd = -1; /* the parent still waits: fatal messages go to it too */

void
log_init(const char *ident, int foreground, int debug)
{
	log_name = ident;
	log_foreground = foreground;
	log_debugging = debug;
	if (!foreground)
		openlog(ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

void
log_set_debug(int debug)
{
	log_debugging = debug;
}

void
log_set_ready_fd(int fd)
{
	log_ready_fd = fd;
}

const char *
log_ident(void)
{
	return log_name;
}

/* with_errno: append ": strerror(errno)", errno as it was on entry (and is on return). */
static void __attribute__((format(printf, 4, 0)))
log_emit(int prio, int with_errno, int to_ready, const char *fmt, va_list ap)
{
	char buf[2048];
	int saved = errno;

	if (prio == LOG_DEBUG && !log_debugging)
		return;
	int n = vsnprintf(buf, sizeof(buf), fmt, ap);
	if (with_errno && n >= 0 && (size_t)n < sizeof(buf))
		snprintf(buf + n, sizeof(buf) - (size_t)n, ": %s", strerror(saved));
	if (log_foreground)
		/* one write per message, so lines from the worker threads never interleave */
		fprintf(stderr, "%s: %s\n", log_name, buf);
	else
		syslog(prio, "%s", buf);
	int ready_fd = log_ready_fd;
	if (to_ready && ready_fd >= 0)
		dprintf(ready_fd, "%s: %s\n", log_name, buf);
	errno = saved;
}

void
log_vmsg(int prio, const char *fmt, va_list ap)
{
	log_emit(prio, 0, 0, fmt, ap);
}

void
log_msg(int prio, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_emit(prio, 0, 0, fmt, ap);
	va_end(ap);
}

#define LOG_FN(name, prio, with_errno)				\
	void							\
	name(const char *fmt, ...)				\
	{							\
		va_list ap;					\
								\
		va_start(ap, fmt);				\
		log_emit(prio, with_errno, 0, fmt, ap);		\
		va_end(ap);					\
	}

LOG_FN(log_warn, LOG_WARNING, 1)
LOG_FN(log_warnx, LOG_WARNING, 0)
LOG_FN(log_info, LOG_INFO, 0)
LOG_FN(log_debug, LOG_DEBUG, 0)

void
fatal(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_emit(LOG_CRIT, 1, 1, fmt, ap);
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_emit(LOG_CRIT, 0, 1, fmt, ap);
	va_end(ap);
	exit(1);
}

/* Collector logging: stderr in the foreground, syslog(3) once daemonized. */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "collector.h"

static int log_foreground = 1;
static int log_debugging;
static int log_ready_fd = -1; /* the parent still waits: failures go to it too */

void
collector_log_ready_fd(int fd)
{
	log_ready_fd = fd;
}

void
collector_log_init(int foreground, int debug)
{
	log_foreground = foreground;
	log_debugging = debug;
	if (!foreground)
		openlog("vmmanage-collector", LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

static void __attribute__((format(printf, 3, 0)))
collector_vlog(int prio, int with_errno, const char *fmt, va_list ap)
{
	char buf[2048];
	int saved = errno;

	if (prio == LOG_DEBUG && !log_debugging)
		return;
	vsnprintf(buf, sizeof(buf), fmt, ap);
	if (log_foreground)
		/* one write per message so concurrent writers never interleave a line */
		fprintf(stderr, "vmmanage-collector: %s%s%s\n", buf, with_errno ? ": " : "",
		    with_errno ? strerror(saved) : "");
	else
		syslog(prio, "%s%s%s", buf, with_errno ? ": " : "", with_errno ? strerror(saved) : "");
	if (prio == LOG_CRIT && log_ready_fd >= 0)
		dprintf(log_ready_fd, "vmmanage-collector: %s%s%s\n", buf, with_errno ? ": " : "",
		    with_errno ? strerror(saved) : "");
	errno = saved;
}

#define COLLECTOR_LOGFN(name, prio, with_errno)		\
	void name(const char *fmt, ...)			\
	{						\
		va_list ap;				\
		va_start(ap, fmt);			\
		collector_vlog(prio, with_errno, fmt, ap); \
		va_end(ap);				\
	}

COLLECTOR_LOGFN(collector_warn, LOG_WARNING, 1)
COLLECTOR_LOGFN(collector_warnx, LOG_WARNING, 0)
COLLECTOR_LOGFN(collector_info, LOG_INFO, 0)
COLLECTOR_LOGFN(collector_debug, LOG_DEBUG, 0)

void
collector_fatal(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	collector_vlog(LOG_CRIT, 1, fmt, ap);
	va_end(ap);
	exit(1);
}

void
collector_fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	collector_vlog(LOG_CRIT, 0, fmt, ap);
	va_end(ap);
	exit(1);
}

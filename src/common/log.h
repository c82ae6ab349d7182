/* SPDX-License-Identifier: ISC */
/* Daemon logging in the style of OpenBSD's ntpd, for the agent and the collector:
 * stderr in the foreground, syslog(3) once daemonized. Thread-safe: each message is one
 * write, so lines from worker threads never interleave. */
#ifndef VMM_LOG_H
#define VMM_LOG_H

#include <stdarg.h>

/* ident names the daemon: the prefix on stderr ("ident: message") and the syslog ident.
 * Until it is called, messages go to stderr with the prefix "vmmanage". */
void log_init(const char *ident, int foreground, int debug);
void log_set_debug(int debug);
/* While a parent waits for the daemon to be ready (see daemonize.h), fatal messages also
 * go to its readiness pipe, so that the parent can say why the start failed; -1 stops it. */
void log_set_ready_fd(int fd);
/* The prefix for stderr, e.g. for a message the parent prints itself. */
const char *log_ident(void);

void log_msg(int prio, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void log_vmsg(int prio, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));   /* adds strerror(errno) */
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* LOG_CRIT, then exit(1); fatal adds strerror(errno). */
void fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
void fatalx(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

#endif

/* SPDX-License-Identifier: ISC */
/* Detach with a readiness pipe, and the pid file: see daemonize.h. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/daemonize.h"
#include "common/notify.h"
#include "common/log.h"

#define DAEMONIZE_READY "ready\n"

/* The pid a pid file holds; 0 if none. */
static long
pidfile_pid(int fd)
{
	char buf[32];
	ssize_t n = read(fd, buf, sizeof(buf) - 1);

	buf[n > 0 ? n : 0] = '\0';
	return strtol(buf, NULL, 10);
}

/* A pid file, never through a symbolic link; -1 (errno) if none, or if it is no regular
 * file of this user. */
static int
pidfile_open(const char *path, int *not_ours)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);

	*not_ours = 0;
	if (fd >= 0 && (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid())) {
		close(fd);
		*not_ours = 1;
		return -1;
	}
	return fd;
}

/* The parent: the child's verdict, then exit. */
static void __attribute__((noreturn))
daemonize_wait(int fd, const char *pid_file, pid_t child)
{
	char buf[4096];
	size_t used = 0;
	ssize_t n;

	while (used < sizeof(buf) - 1 &&
	    ((n = read(fd, buf + used, sizeof(buf) - 1 - used)) > 0 || (n < 0 && errno == EINTR))) {
		if (n < 0)
			continue;
		used += (size_t)n;
		buf[used] = '\0';
		if (strcmp(buf, DAEMONIZE_READY) == 0)
			_exit(0);
	}
	buf[used] = '\0';
	int pfd, not_ours;
	if (pid_file != NULL && (pfd = pidfile_open(pid_file, &not_ours)) >= 0) {
		if (pidfile_pid(pfd) == (long)child)
			unlink(pid_file);
		close(pfd);
	}
	if (used > 0)
		fputs(buf, stderr);
	else
		fprintf(stderr, "%s: the daemon exited before it was ready (see syslog)\n",
		    log_ident());
	_exit(1);
}

int
daemonize(const char *pid_file)
{
	int p[2];

	if (pipe2(p, O_CLOEXEC) < 0)
		return -1;
	pid_t pid = fork();
	if (pid < 0) {
		int saved = errno;
		close(p[0]);
		close(p[1]);
		errno = saved;
		return -1;
	}
	if (pid > 0) {
		close(p[1]);
		daemonize_wait(p[0], pid_file, pid);
	}
	close(p[0]);
	setsid();
	if (chdir("/") < 0)
		return -1;
	int nul = open("/dev/null", O_RDWR);
	if (nul >= 0) {
		dup2(nul, 0);
		dup2(nul, 1);
		dup2(nul, 2);
		if (nul > 2)
			close(nul);
	}
	log_set_ready_fd(p[1]);
	return p[1];
}

void
daemonize_ready(int fd)
{
	notify_ready(NULL);
	if (fd < 0)
		return;
	log_set_ready_fd(-1);
	if (write(fd, DAEMONIZE_READY, strlen(DAEMONIZE_READY)) < 0)
		log_warn("cannot tell the parent it is ready");
	close(fd);
}

void
daemonize_failed(int fd, const char *reason)
{
	if (fd < 0)
		return;
	log_set_ready_fd(-1);
	dprintf(fd, "%s: %s\n", log_ident(), reason);
	close(fd);
}

/* An existing pid file: refuse to start over the live daemon it names; remove it when
 * stale. Read only if it is a regular file of our user, never through a symbolic link. */
static int
pidfile_stale(const char *path, char *err, size_t errlen)
{
	int not_ours;
	int fd = pidfile_open(path, &not_ours);

	if (not_ours) {
		snprintf(err, errlen, "pid_file %s is not a regular file of this daemon's user: "
		    "remove it", path);
		return -1;
	}
	if (fd < 0) {
		if (errno == ENOENT)
			return 0; /* gone meanwhile */
		snprintf(err, errlen, errno == ELOOP ? "pid_file %s is a symbolic link: remove it" :
		    "pid_file %s: %s", path, strerror(errno));
		return -1;
	}
	long pid = pidfile_pid(fd);
	close(fd);
	if (pid > 0 && pid != getpid() && kill((pid_t)pid, 0) == 0) {
		snprintf(err, errlen, "already running as pid %ld (%s)", pid, path);
		return -1;
	}
	if (unlink(path) < 0 && errno != ENOENT) {
		snprintf(err, errlen, "pid_file %s: cannot remove the stale file: %s", path,
		    strerror(errno));
		return -1;
	}
	return 0;
}

int
pidfile_create(const char *path, char *err, size_t errlen)
{
	for (int tries = 0; tries < 3; tries++) {
		int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
		if (fd < 0 && errno == EEXIST) {
			if (pidfile_stale(path, err, errlen) < 0)
				return -1;
			continue;
		}
		if (fd < 0) {
			snprintf(err, errlen, "pid_file %s: %s", path, strerror(errno));
			return -1;
		}
		int bad = dprintf(fd, "%ld\n", (long)getpid()) < 0;
		if (close(fd) < 0 || bad) {
			snprintf(err, errlen, "pid_file %s: %s", path, strerror(errno));
			unlink(path);
			return -1;
		}
		return 0;
	}
	snprintf(err, errlen, "pid_file %s: another process keeps creating it", path);
	return -1;
}

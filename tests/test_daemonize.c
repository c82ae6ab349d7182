/* SPDX-License-Identifier: ISC */
/* src/common/daemonize.c: the pid file (created anew, a live one refuses, a stale one is
 * replaced, a link is never followed) and the readiness pipe (the parent's exit status
 * and message say how the start went, and a failed start leaves no pid file). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/daemonize.h"
#include "common/log.h"
#include "tap.h"

static char dir[] = "/tmp/test_daemonize.XXXXXX";
static char pidpath[256], outpath[256];

static long
file_pid(const char *path)
{
	char buf[32] = "";
	FILE *f = fopen(path, "r");

	if (f == NULL)
		return -1;
	if (fgets(buf, sizeof(buf), f) == NULL)
		buf[0] = '\0';
	fclose(f);
	return strtol(buf, NULL, 10);
}

static void
put_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (f == NULL || fputs(text, f) < 0 || fclose(f) != 0)
		abort();
}

static void
test_pidfile(void)
{
	char err[512], text[64];

	unlink(pidpath);
	TAP_OK(pidfile_create(pidpath, err, sizeof(err)) == 0, "a pid file is created");
	TAP_OK(file_pid(pidpath) == (long)getpid(), "it holds our pid");

	/* a live process named: refused, file untouched */
	pid_t live = fork();
	if (live == 0) {
		pause();
		_exit(0);
	}
	snprintf(text, sizeof(text), "%ld\n", (long)live);
	unlink(pidpath);
	put_file(pidpath, text);
	err[0] = '\0';
	TAP_OK(pidfile_create(pidpath, err, sizeof(err)) < 0, "a live pid refuses the start");
	TAP_CONTAINS(err, "already running", "the reason");
	TAP_OK(file_pid(pidpath) == (long)live, "the live daemon's pid file is left alone");
	kill(live, SIGKILL);
	waitpid(live, NULL, 0);

	/* the same process gone: stale, replaced */
	TAP_OK(pidfile_create(pidpath, err, sizeof(err)) == 0, "a stale pid file is replaced (%s)", err);
	TAP_OK(file_pid(pidpath) == (long)getpid(), "it holds our pid now");

	/* a symbolic link: refused, its target untouched */
	char target[300];
	snprintf(target, sizeof(target), "%s/target", dir);
	put_file(target, "keep\n");
	unlink(pidpath);
	if (symlink(target, pidpath) < 0)
		abort();
	TAP_OK(pidfile_create(pidpath, err, sizeof(err)) < 0, "a symbolic link refuses the start");
	TAP_CONTAINS(err, "symbolic link", "the reason");
	TAP_OK(file_pid(target) == -1 || file_pid(target) == 0, "the link's target is not written");
	unlink(pidpath);
	unlink(target);
}

/* Runs a start in a child with stderr to outpath: how = 0 ready, 1 daemonize_failed,
 * 2 fatalx, 3 exits silently; every failure after the pid file is written. Returns the
 * starting process's exit status. */
static int
start(int how)
{
	pid_t launcher = fork();

	if (launcher == 0) {
		int fd = open(outpath, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		dup2(fd, 2);
		log_init("test_daemonize", 1, 0);
		int ready = daemonize(pidpath);
		char err[256];
		if (ready < 0 || pidfile_create(pidpath, err, sizeof(err)) < 0)
			_exit(9);
		switch (how) {
		case 0: daemonize_ready(ready); _exit(0);
		case 1: daemonize_failed(ready, "cannot start: no good"); _exit(1);
		case 2: fatalx("a fatal error");
		default: _exit(1);
		}
	}
	int st;
	waitpid(launcher, &st, 0);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

static const char *
start_output(void)
{
	static char buf[512];
	FILE *f = fopen(outpath, "r");
	size_t n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;

	buf[n] = '\0';
	if (f)
		fclose(f);
	return buf;
}

static void
test_daemonize(void)
{
	unlink(pidpath);
	TAP_OK(start(0) == 0, "ready: the parent exits 0");
	TAP_STR(start_output(), "", "and says nothing");
	unlink(pidpath);   /* the daemon exited without cleaning up */

	TAP_OK(start(1) == 1, "a failed start: the parent exits 1");
	TAP_STR(start_output(), "test_daemonize: cannot start: no good\n", "with the child's reason");
	TAP_OK(access(pidpath, F_OK) < 0 && errno == ENOENT, "and no pid file is left");

	TAP_OK(start(2) == 1, "a fatal error before ready: the parent exits 1");
	TAP_STR(start_output(), "test_daemonize: a fatal error\n", "with the fatal message");
	TAP_OK(access(pidpath, F_OK) < 0 && errno == ENOENT, "and no pid file is left");

	TAP_OK(start(3) == 1, "a silent exit before ready: the parent exits 1");
	TAP_CONTAINS(start_output(), "exited before it was ready", "saying so");
	TAP_OK(access(pidpath, F_OK) < 0 && errno == ENOENT, "and no pid file is left");
}

int
main(void)
{
	if (mkdtemp(dir) == NULL)
		abort();
	snprintf(pidpath, sizeof(pidpath), "%s/d.pid", dir);
	snprintf(outpath, sizeof(outpath), "%s/stderr", dir);
	test_pidfile();
	test_daemonize();
	unlink(pidpath);
	unlink(outpath);
	rmdir(dir);
	return tap_done();
}

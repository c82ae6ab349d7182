/* SPDX-License-Identifier: ISC */
/* Run a program without a shell: posix_spawnp with pipes, a deadline, and the whole
 * process group killed when it passes. Safe to call from the worker threads. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/worker.h"
#include "core/subproc.h"

extern char **environ;

struct spawn_io {
	int in, out, err;   /* our ends; -1 when closed */
	const char *in_data;
	size_t in_left;
	char *buf;
	size_t len, cap;
	char *errbuf;
	size_t errlen, errcap;
};

static void
spawn_close(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* The child starts with default signal handling, an empty mask and its own process
 * group, so a deadline kill reaches its children too. */
static int
spawn_attrs(posix_spawnattr_t *attr)
{
	sigset_t none, all;

	sigemptyset(&none);
	sigfillset(&all);
	sigdelset(&all, SIGKILL);
	sigdelset(&all, SIGSTOP);
	if (posix_spawnattr_init(attr) != 0)
		return -1;
	posix_spawnattr_setsigmask(attr, &none);
	posix_spawnattr_setsigdefault(attr, &all);
	posix_spawnattr_setpgroup(attr, 0);
	return posix_spawnattr_setflags(attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF |
	    POSIX_SPAWN_SETPGROUP);
}

static int
spawn_start(const char *const argv[], int have_stdin, struct spawn_io *io, pid_t *pid,
    char *err, size_t errlen)
{
	int pin[2] = { -1, -1 }, pout[2], perr[2];
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	int rc;

	if ((have_stdin && pipe2(pin, O_CLOEXEC) < 0) || pipe2(pout, O_CLOEXEC) < 0 ||
	    pipe2(perr, O_CLOEXEC) < 0) {
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		return -1;
	}
	posix_spawn_file_actions_init(&fa);
	if (have_stdin)
		posix_spawn_file_actions_adddup2(&fa, pin[0], 0);
	else
		posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, pout[1], 1);
	posix_spawn_file_actions_adddup2(&fa, perr[1], 2);
	spawn_attrs(&attr);
	rc = posix_spawnp(pid, argv[0], &fa, &attr, (char *const *)(uintptr_t)argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	if (have_stdin)
		close(pin[0]);
	close(pout[1]);
	close(perr[1]);
	io->in = pin[1];
	io->out = pout[0];
	io->err = perr[0];
	if (rc != 0) {
		snprintf(err, errlen, "cannot run %s: %s", argv[0], strerror(rc));
		spawn_close(&io->in);
		spawn_close(&io->out);
		spawn_close(&io->err);
		return -1;
	}
	if (io->in >= 0)
		fcntl(io->in, F_SETFL, O_NONBLOCK);
	return 0;
}

/* Append what fd has; past `cap` the bytes are drained and dropped so the child never
 * blocks on a full pipe. Returns 0 on EOF or error (fd closed), 1 to keep going. */
static int
spawn_drain(int *fd, char *buf, size_t *len, size_t cap)
{
	char tmp[4096];
	ssize_t n = read(*fd, tmp, sizeof(tmp));

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return 1;
	if (n <= 0) {
		spawn_close(fd);
		return 0;
	}
	size_t take = (size_t)n;
	if (*len + take > cap)
		take = cap - *len;
	memcpy(buf + *len, tmp, take);
	*len += take;
	buf[*len] = '\0';
	return 1;
}

static void
spawn_feed(struct spawn_io *io)
{
	ssize_t n = write(io->in, io->in_data, io->in_left);

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n < 0) {
		spawn_close(&io->in);
		return;
	}
	io->in_data += n;
	io->in_left -= (size_t)n;
	if (io->in_left == 0)
		spawn_close(&io->in);
}

/* Move data until both output pipes close (0), the deadline passes (-1) or the worker
 * is told to give up (-2: cancel, from worker_cancel_fd, readable). */
static int
spawn_pump(struct spawn_io *io, double deadline, int cancel)
{
	while (io->out >= 0 || io->err >= 0) {
		struct pollfd p[4];
		int n = 0, iin = -1, iout = -1, ierr = -1, icancel = -1;
		if (io->in >= 0)
			iin = n, p[n++] = (struct pollfd){ .fd = io->in, .events = POLLOUT };
		if (io->out >= 0)
			iout = n, p[n++] = (struct pollfd){ .fd = io->out, .events = POLLIN };
		if (io->err >= 0)
			ierr = n, p[n++] = (struct pollfd){ .fd = io->err, .events = POLLIN };
		if (cancel >= 0)
			icancel = n, p[n++] = (struct pollfd){ .fd = cancel, .events = POLLIN };
		double left = deadline - vmm_mono_now();
		if (left <= 0)
			return -1;
		int r = poll(p, (nfds_t)n, (int)(left * 1000) + 1);
		if (r < 0 && errno != EINTR)
			return -1;
		if (r <= 0)
			continue;
		if (icancel >= 0 && p[icancel].revents)
			return -2;
		if (iin >= 0 && p[iin].revents)
			spawn_feed(io);
		if (iout >= 0 && p[iout].revents)
			spawn_drain(&io->out, io->buf, &io->len, io->cap);
		if (ierr >= 0 && p[ierr].revents)
			spawn_drain(&io->err, io->errbuf, &io->errlen, io->errcap);
	}
	return 0;
}

/* Wait for the exit until the deadline; the pipes closing does not mean it has ended.
 * A pidfd becomes readable at the exit itself (the child's pipes often close a few
 * hundred microseconds before it): every sample taken by a command waited up to 5 ms
 * for the next look of the polling below, which stays for a kernel without pidfds. */
static int
spawn_reap(pid_t pid, double deadline, int cancel, int *status)
{
	int fd = pidfd_open(pid, 0);

	while (fd >= 0) {
		pid_t r = waitpid(pid, status, WNOHANG);
		if (r == pid || (r < 0 && errno != EINTR)) {
			close(fd);
			return r == pid ? 0 : -1;
		}
		double left = deadline - vmm_mono_now();
		if (left <= 0) {
			close(fd);
			return -1;
		}
		struct pollfd p[2] = { { .fd = fd, .events = POLLIN }, { .fd = cancel, .events = POLLIN } };
		if (poll(p, cancel >= 0 ? 2 : 1, (int)(left * 1000) + 1) < 0 && errno != EINTR) {
			close(fd);
			break; /* the look below still works */
		}
		if (cancel >= 0 && p[1].revents) {
			close(fd);
			return -2;
		}
	}
	for (;;) {
		pid_t r = waitpid(pid, status, WNOHANG);
		if (r == pid)
			return 0;
		if (r < 0 && errno != EINTR)
			return -1;
		if (vmm_mono_now() >= deadline)
			return -1;
		struct pollfd p = { .fd = cancel, .events = POLLIN };
		if (poll(&p, 1, 5) > 0 && cancel >= 0)
			return -2;
	}
}

int
spawn_run(const char *const argv[], const char *stdin_data, double timeout_s, size_t out_cap,
    struct vmm_run_result *res)
{
	struct spawn_io io = { .in = -1, .out = -1, .err = -1 };
	double deadline = vmm_mono_now() + timeout_s;
	pid_t pid;
	int status;

	memset(res, 0, sizeof(*res));
	res->status = -1;
	io.cap = out_cap;
	io.buf = res->out = calloc(1, out_cap + 1);
	io.errbuf = res->err;
	io.errcap = sizeof(res->err) - 1;
	if (res->out == NULL) {
		snprintf(res->err, sizeof(res->err), "out of memory");
		return -1;
	}
	io.in_data = stdin_data;
	io.in_left = stdin_data ? strlen(stdin_data) : 0;
	if (spawn_start(argv, stdin_data != NULL, &io, &pid, res->err, sizeof(res->err)) < 0)
		return -1;
	if (io.in >= 0 && io.in_left == 0)
		spawn_close(&io.in);
	int cancel = worker_cancel_fd();
	int pumped = spawn_pump(&io, deadline, cancel);
	spawn_close(&io.in);
	spawn_close(&io.out);
	spawn_close(&io.err);
	res->out_len = io.len;
	if (pumped == 0)
		pumped = spawn_reap(pid, deadline, cancel, &status);
	if (pumped < 0) {
		kill(-pid, SIGKILL);
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		res->timed_out = pumped == -1;
		if (pumped == -1)
			snprintf(res->err, sizeof(res->err), "%s: no answer within %.1f s, killed",
			    argv[0], timeout_s);
		else
			snprintf(res->err, sizeof(res->err), "%s: killed, the daemon is stopping",
			    argv[0]);
		return -1;
	}
	if (WIFEXITED(status))
		res->status = WEXITSTATUS(status);
	else if (WIFSIGNALED(status))
		snprintf(res->err, sizeof(res->err), "%s: killed by signal %d", argv[0],
		    WTERMSIG(status));
	return 0;
}

void
spawn_result_free(struct vmm_run_result *res)
{
	free(res->out);
	res->out = NULL;
}

int
spawn_alert(const char *const argv[], double timeout_s, char *err, size_t errlen)
{
	struct vmm_run_result res;
	int rc = spawn_run(argv, NULL, timeout_s, 4096, &res);

	if (rc < 0)
		snprintf(err, errlen, "%s", res.err);
	else if (res.status != 0)
		snprintf(err, errlen, "it exited with status %d", res.status);
	int failed = rc < 0 || res.status != 0;
	spawn_result_free(&res);
	return failed ? -1 : 0;
}

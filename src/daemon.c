/* Daemon life: load the config, detach (the parent waits until the child is ready, so
 * an init script sees a failed start), pid file, signals as flags, the event loop. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agent.h"
#include "control.h"
#include "daemon.h"
#include "ev.h"
#include "host.h"
#include "common/log.h"
#include "setup.h"
#include "state.h"

static volatile sig_atomic_t got_hup, got_term;
static int sig_pipe[2] = { -1, -1 };
static struct agent *the_agent;
static char *the_pid_file;

static void
daemon_signal(int sig)
{
	int saved = errno;

	if (sig == SIGHUP)
		got_hup = 1;
	else
		got_term = 1;
	if (write(sig_pipe[1], "", 1) < 0) {
		/* the pipe is full: a wake-up is already pending */
	}
	errno = saved;
}

static void
daemon_signal_ready(int fd, int revents, void *arg)
{
	char buf[64];
	char err[2048];

	(void)revents;
	(void)arg;
	while (read(fd, buf, sizeof(buf)) > 0)
		;
	if (got_term) {
		log_info("terminating on signal");
		ev_stop();
		return;
	}
	if (got_hup) {
		got_hup = 0;
		agent_reopen_logs(the_agent);
		if (agent_reload(the_agent, err, sizeof(err)) < 0)
			log_warnx("reload failed, keeping the running configuration: %s", err);
	}
}

static int
daemon_signals(char *err, size_t errlen)
{
	struct sigaction sa;

	if (pipe2(sig_pipe, O_NONBLOCK | O_CLOEXEC) < 0) {
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		return -1;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = daemon_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	return ev_fd_add(sig_pipe[0], POLLIN, daemon_signal_ready, NULL);
}

/* One line per request; see control.h. */
static void
daemon_control(const char *line, FILE *out, void *arg)
{
	char reply[1024];

	(void)arg;
	if (strcmp(line, "status") == 0) {
		agent_status(the_agent, out);
		fprintf(out, "OK\n");
		return;
	}
	if (strcmp(line, "resume") == 0) {
		agent_resume(the_agent, reply, sizeof(reply));
		fprintf(out, "%s\nOK\n", reply);
		return;
	}
	if (strcmp(line, "reload") == 0) {
		if (agent_reload(the_agent, reply, sizeof(reply)) < 0)
			fprintf(out, "ERR reload failed, the running configuration stays: %s\n", reply);
		else
			fprintf(out, "reloaded\nOK\n");
		return;
	}
	for (int act = VMM_ACT_MOVE; act < VMM_ACT__COUNT; act++) {
		if (strcmp(line, vmm_action_name(act)) != 0)
			continue;
		int rc = agent_request(the_agent, act, "cli", "administrator", reply, sizeof(reply));
		fprintf(out, rc < 0 ? "ERR %s\n" : "%s\nOK\n", reply);
		return;
	}
	fprintf(out, "ERR unknown command '%.64s': status, reload, resume, move, move_up, move_down, move_to_base, move_from_home, move_to_home\n",
	    line);
}

/* An existing pid file: refuse to start over the live daemon it names; remove it when
 * stale. Read only if it is a regular file of our user, never through a symbolic link. */
static int
daemon_pidfile_stale(const char *path, char *err, size_t errlen)
{
	char buf[32];
	struct stat st;
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);

	if (fd < 0) {
		if (errno == ENOENT)
			return 0; /* gone meanwhile */
		snprintf(err, errlen, errno == ELOOP ? "pid_file %s is a symbolic link: remove it" :
		    "pid_file %s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid()) {
		snprintf(err, errlen, "pid_file %s is not a regular file of this daemon's user: "
		    "remove it", path);
		close(fd);
		return -1;
	}
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	long pid = strtol(buf, NULL, 10);
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

/* The pid file is created anew (O_EXCL, O_NOFOLLOW): nothing another user put at its
 * name is ever written to. */
static int
daemon_pidfile(const char *path, char *err, size_t errlen)
{
	char dir[4096];

	snprintf(dir, sizeof(dir), "%s", path);
	char *slash = strrchr(dir, '/');
	if (slash != NULL && slash != dir) {
		*slash = '\0';
		if (state_mkdirs(dir, 0755, err, errlen) < 0)
			return -1;
	}
	for (int tries = 0; tries < 3; tries++) {
		int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
		if (fd < 0 && errno == EEXIST) {
			if (daemon_pidfile_stale(path, err, errlen) < 0)
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
		the_pid_file = strdup(path);
		return 0;
	}
	snprintf(err, errlen, "pid_file %s: another process keeps creating it", path);
	return -1;
}

/* Detach; the parent waits on `ready` for one status byte and any error text. */
static int
daemon_detach(int *ready_fd)
{
	int p[2];

	if (pipe2(p, O_CLOEXEC) < 0)
		return -1;
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid > 0) {
		char buf[2048];
		close(p[1]);
		ssize_t n = read(p[0], buf, sizeof(buf) - 1);
		if (n <= 0) {
			fprintf(stderr, "vmmanage: the daemon died while starting (see syslog)\n");
			_exit(1);
		}
		buf[n] = '\0';
		if (buf[0] != '0')
			fprintf(stderr, "vmmanage: %s\n", buf + 1);
		_exit(buf[0] == '0' ? 0 : 1);
	}
	close(p[0]);
	setsid();
	if (fork() > 0)
		_exit(0);
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
	*ready_fd = p[1];
	return 0;
}

static void
daemon_ready(int fd, const char *err)
{
	if (fd < 0)
		return;
	if (err == NULL) {
		if (write(fd, "0", 1) < 0)
			log_warn("ready pipe");
	} else
		dprintf(fd, "1%s", err);
	close(fd);
}

/* Workers inherit the mask: signals go to the loop thread only. */
static struct agent *
daemon_start_agent(struct setup *su, const char *config, char *err, size_t errlen)
{
	sigset_t all, old;

	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	struct agent *a = agent_new(su, config, err, errlen);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return a;
}

int
daemon_run(const char *config, int foreground, int debug)
{
	char err[2048];
	int ready = -1;
	struct setup *su = setup_load(config, NULL, err, sizeof(err));

	if (su == NULL) {
		fprintf(stderr, "vmmanage: %s\n", err);
		return 1;
	}
	if (!foreground && daemon_detach(&ready) < 0) {
		fprintf(stderr, "vmmanage: cannot detach: %s\n", strerror(errno));
		return 1;
	}
	log_init("vmmanage", foreground, debug);
	umask(027);
	ev_init();
	/* the control socket before the agent's threads: its umask is the process's */
	if (daemon_pidfile(su->set.pid_file, err, sizeof(err)) < 0 ||
	    daemon_signals(err, sizeof(err)) < 0 ||
	    control_listen(su->set.control_socket, daemon_control, NULL, err, sizeof(err)) < 0) {
		setup_free(su);
		goto fail;
	}
	if ((the_agent = daemon_start_agent(su, config, err, sizeof(err))) == NULL)
		goto fail;
	daemon_ready(ready, NULL);
	int rc = ev_run() < 0 ? 1 : 0;
	control_close();
	agent_free(the_agent);
	unlink(the_pid_file);
	free(the_pid_file);
	ev_free();
	return rc;
fail:
	/* clean up before the parent hears of the failure: when it returns, an init script
	 * may look for the pid file at once */
	log_warnx("cannot start: %s", err);
	control_close();
	agent_free(the_agent);
	if (the_pid_file)
		unlink(the_pid_file);
	free(the_pid_file);
	the_pid_file = NULL;
	daemon_ready(ready, err);
	ev_free();
	return 1;
}

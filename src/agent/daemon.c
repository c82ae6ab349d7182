/* SPDX-License-Identifier: ISC */
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
#include <unistd.h>

#include "agent/agent.h"
#include "common/daemonize.h"
#include "agent/control.h"
#include "agent/daemon.h"
#include "common/ev.h"
#include "common/notify.h"
#include "core/host.h"
#include "common/log.h"
#include "core/setup.h"
#include "core/state.h"

static struct ev_loop *the_loop;
static struct agent *the_agent;
static char *the_pid_file;

static void
daemon_on_term(int sig, void *arg)
{
	(void)sig;
	(void)arg;
	log_info("terminating on signal");
	ev_stop(the_loop);
}

static void
daemon_on_hup(int sig, void *arg)
{
	char err[2048];

	(void)sig;
	(void)arg;
	agent_reopen_logs(the_agent);
	if (agent_reload(the_agent, err, sizeof(err)) < 0)
		log_warnx("reload failed, keeping the running configuration: %s", err);
}

static int
daemon_signals(char *err, size_t errlen)
{
	signal(SIGPIPE, SIG_IGN);
	if (ev_signal_add(the_loop, SIGHUP, daemon_on_hup, NULL) < 0 ||
	    ev_signal_add(the_loop, SIGTERM, daemon_on_term, NULL) < 0 ||
	    ev_signal_add(the_loop, SIGINT, daemon_on_term, NULL) < 0) {
		snprintf(err, errlen, "signals: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/* One line per request; see control.h. */
static void
daemon_control(const char *line, FILE *out, void *arg)
{
	char reply[1024];

	(void)arg;
	if (strcmp(line, "status") == 0 || strcmp(line, "status --json") == 0) {
		agent_status(the_agent, out, line[6] != '\0');
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
	enum vmm_action act = vmm_action_named(line, strlen(line));
	if (act != VMM_ACT_NONE) {
		int rc = agent_request(the_agent, act, "cli", "administrator", reply, sizeof(reply));
		fprintf(out, rc < 0 ? "ERR %s\n" : "%s\nOK\n", reply);
		return;
	}
	fprintf(out, "ERR unknown command '%.64s': status [--json], reload, resume, move, move_up, move_down, move_to_base, move_from_home, move_to_home\n",
	    line);
}

/* The pid file's directory is made if missing; the file itself, see pidfile_create. */
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
	if (pidfile_create(path, err, errlen) < 0)
		return -1;
	the_pid_file = strdup(path);
	return 0;
}

/* Workers inherit the mask: signals go to the loop thread only. */
static struct agent *
daemon_start_agent(struct setup *su, const char *config, char *err, size_t errlen)
{
	sigset_t all, old;

	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	struct agent *a = agent_new(the_loop, su, config, err, errlen);
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
	if (!foreground && (ready = daemonize(su->set.pid_file)) < 0) {
		fprintf(stderr, "vmmanage: cannot detach: %s\n", strerror(errno));
		return 1;
	}
	log_init("vmmanage", foreground, debug);
	umask(027);
	/* the control socket before the agent's threads: its umask is the process's */
	if ((the_loop = ev_loop_new()) == NULL) {
		snprintf(err, sizeof(err), "out of memory");
		setup_free(su);
		goto fail;
	}
	if (daemon_pidfile(su->set.pid_file, err, sizeof(err)) < 0 ||
	    daemon_signals(err, sizeof(err)) < 0 ||
	    control_listen(the_loop, su->set.control_socket, daemon_control, NULL, err, sizeof(err)) < 0) {
		setup_free(su);
		goto fail;
	}
	if ((the_agent = daemon_start_agent(su, config, err, sizeof(err))) == NULL)
		goto fail;
	daemonize_ready(ready);
	if (notify_watchdog_start(the_loop) < 0)
		goto fail;
	int rc = ev_run(the_loop) < 0 ? 1 : 0;
	notify_stopping();
	control_close();
	agent_free(the_agent);
	unlink(the_pid_file);
	free(the_pid_file);
	ev_loop_free(the_loop);
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
	daemonize_failed(ready, err);
	ev_loop_free(the_loop);
	return 1;
}

/* SPDX-License-Identifier: ISC */
/* The agent's life: new, open, free, the shared helpers, reload and swap, the -t checks. */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/agent_priv.h"
#include "common/log.h"
#include "common/ev.h"
#include "common/notify.h"
#include "core/host.h"
#include "logship/logship.h"
#include "core/setup.h"
#include "common/worker.h"
#include "common/alertq.h"
#include "core/subproc.h"

void
agent_save(struct agent *a)
{
	char err[512];

	if (state_save(a->su->set.state_dir, &a->st, err, sizeof(err)) < 0)
		log_warnx("state: %s", err);
}

struct topology
agent_topology(const struct setup *su)
{
	const struct settings *s = &su->set;

	return (struct topology){ .hosts = s->hosts, .nhosts = s->nhosts, .base = s->base,
		.home = s->home, .nhome = s->nhome, .away = s->away, .naway = s->naway };
}

struct decider
agent_decider(struct agent *a)
{
	const struct settings *s = &a->su->set;

	return (struct decider){ .policy = setup_policy(a->su), .policy_state = a->su->policy.state,
		.topo = agent_topology(a->su), .guard = &a->guard, .known = &a->learning.known,
		.choice = (enum target_choice)s->target_choice, .interval = s->interval,
		.base = s->base, .damp = &a->learning.damp, .eff = &a->learning.eff, .fc = &a->learning.fc,
		.direction = s->direction,
		.hold = { .c = &s->hold, .offset = splay_offset(host_hostname(), s->hold.splay),
		.st = &a->learning.hold },
		.rules = &s->targets, .seed = decide_seed(host_hostname()) };
}

void
agent_save_known(struct agent *a)
{
	char err[512];

	a->learning.known_saved = ev_now();
	if (hosts_save(&a->learning.known, a->su->set.state_dir, err, sizeof(err)) < 0)
		log_warnx("host table: %s", err);
}

/* ---- reload ---- */

static void
agent_warn_line(const char *msg)
{
	log_warnx("%s", msg);
}

static void
agent_swap(struct agent *a, struct setup *neu)
{
	struct setup *old = a->su;
	const void *running = old->policy.state;
	char err[512];

	/* adoption swaps the instances: compare with the state that ran before it */
	setup_adopt(neu, old);
	int kept = neu->policy.state == running;
	a->su = neu;
	host_set_hostname(neu->set.hostname);
	guard_configure(&a->guard, neu->set.cooldown, neu->set.max_moves_per_hour);
	hosts_configure(&a->learning.known, neu->set.host_memory, neu->set.retry_backoff,
	    neu->set.retry_backoff_max, neu->set.direction);
	damper_configure(&a->learning.damp, &neu->set.damping);
	efficacy_configure(&a->learning.eff, (size_t)neu->set.efficacy_window, neu->set.direction);
	forecast_configure(&a->learning.fc, neu->set.anticipate);
	if (strcmp(old->set.log_file, neu->set.log_file) != 0 ||
	    (old->set.json_log_file == NULL) != (neu->set.json_log_file == NULL) ||
	    (neu->set.json_log_file && strcmp(old->set.json_log_file, neu->set.json_log_file) != 0)) {
		struct cyclelog nl;
		if (cyclelog_open(&nl, neu->set.log_file, neu->set.json_log_file, err, sizeof(err)) < 0)
			log_warnx("reload: keeping the old log files: %s", err);
		else {
			cyclelog_close(&a->logging.log);
			a->logging.log = nl;
		}
	}
	if (strcmp(old->set.control_socket, neu->set.control_socket) != 0 ||
	    strcmp(old->set.pid_file, neu->set.pid_file) != 0 ||
	    strcmp(old->set.state_dir, neu->set.state_dir) != 0)
		log_warnx("reload: control_socket, pid_file and state_dir change only at a restart");
	if (old->set.interval != neu->set.interval)
		ev_timer_set(a->tick, neu->set.interval);
	if (agent_ship_update(a, err, sizeof(err)) < 0)
		log_warnx("reload: collector: %s", err);
	if (!kept) /* status shows the new policy's counters now, not from the next cycle */
		setup_policy(neu)->counters(neu->policy.state, &a->sampling.counters);
	agent_note(a, "reload", "Reloaded %s: policy %s, sensor %s, endpoint %s%s", a->config_path,
	    neu->set.policy, neu->set.sensor, neu->set.endpoint,
	    kept ? "" : " (policy counters start again)");
	setup_free(old);
}

/* Modules are swapped only between jobs: a worker may be inside the old sensor or endpoint. */
void
agent_apply_pending(struct agent *a)
{
	if (a->pending == NULL || worker_busy(a->sensor_w) || worker_busy(a->endpoint_w))
		return;
	struct setup *neu = a->pending;
	a->pending = NULL;
	agent_swap(a, neu);
}

int
agent_reload(struct agent *a, char *err, size_t errlen)
{
	notify_reloading();
	struct setup *neu = setup_load(a->config_path, agent_warn_line, err, errlen);

	if (neu == NULL) {
		agent_note(a, "reload", "Reload of %s failed, keeping the running configuration: %s",
		    a->config_path, err);
		notify_ready("reload failed, running the configuration it had");
		return -1;
	}
	setup_free(a->pending);
	a->pending = neu;
	agent_apply_pending(a);
	notify_ready("reloaded");
	return 0;
}

void
agent_resume(struct agent *a, char *reply, size_t len)
{
	if (damper_resume(&a->learning.damp)) {
		agent_note(a, "breaker", "Resumed by the administrator: acting on its own again");
		snprintf(reply, len, "resumed: acting on its own again");
	} else
		snprintf(reply, len, "nothing to resume: the breaker is not tripped (mode %s)",
		    damper_mode_name(a->learning.damp.c.mode));
	a->learning.recommended[0] = '\0';
}

void
agent_reopen_logs(struct agent *a)
{
	char err[512];

	if (cyclelog_reopen(&a->logging.log, err, sizeof(err)) < 0)
		log_warnx("log: %s", err);
}

const char *
agent_control_socket(const struct agent *a)
{
	return a->su->set.control_socket;
}

const char *
agent_pid_file(const struct agent *a)
{
	return a->su->set.pid_file;
}

/* The request record (agent_send): one newer than the state file is a request made just
 * before a crash, pending now. Made at the start if missing, so that the first request
 * costs one block's write too. A record with no state file beside it is not trusted. */
static int
agent_open_request(struct agent *a, int fresh, char *err, size_t errlen)
{
	const char *dir = a->su->set.state_dir;
	struct state_request r;
	int rc = state_request_load(dir, &r, err, errlen);

	if (rc < 0)
		return -1;
	if (rc == 0 && !fresh && state_request_apply(&a->st, &r))
		log_info("state: request %" PRIu64 " (%s to %s) was made after the state file was last written",
		    r.number, r.action, r.target);
	if (rc == 0)
		return 0;
	r = (struct state_request){ .action = "-", .target = "-" };
	return state_request_write(dir, &r, err, errlen);
}

static int
agent_open(struct agent *a, char *err, size_t errlen)
{
	const struct settings *s = &a->su->set;
	char dir[4096];

	if (state_mkdirs(s->state_dir, 0750, err, errlen) < 0)
		return -1;
	snprintf(dir, sizeof(dir), "%s", s->log_file);
	char *slash = strrchr(dir, '/');
	if (slash != NULL && slash != dir) {
		*slash = '\0';
		if (state_mkdirs(dir, 0750, err, errlen) < 0)
			return -1;
	}
	if (cyclelog_open(&a->logging.log, s->log_file, s->json_log_file, err, errlen) < 0)
		return -1;
	int fresh = state_load(s->state_dir, &a->st, err, errlen);
	if (fresh < 0 || agent_open_request(a, fresh, err, errlen) < 0)
		return -1;
	hosts_init(&a->learning.known, s->host_memory, s->retry_backoff, s->retry_backoff_max, s->direction);
	size_t skipped = 0;
	if (hosts_load(&a->learning.known, s->state_dir, &skipped, err, errlen) < 0)
		log_warnx("host table: %s; starting with nothing learned", err);
	if (skipped > 0)
		log_warnx("host table: %s/hosts: %zu damaged line%s skipped", s->state_dir, skipped,
		    skipped == 1 ? "" : "s");
	err[0] = '\0';
	return 0;
}

/* One directory for -t: 0 ready or to be made at the start, -1 unusable (why says), -2
 * not for this user (another may run the daemon). */
static int
agent_check_dir(const char *dir, char *verdict, size_t len)
{
	char up[4096];
	struct stat st;

	if (stat(dir, &st) == 0) {
		if (!S_ISDIR(st.st_mode)) {
			snprintf(verdict, len, "exists and is not a directory");
			return -1;
		}
		if (access(dir, W_OK | X_OK) < 0) {
			snprintf(verdict, len, "not writable by this user");
			return -2;
		}
		snprintf(verdict, len, "ready (mode %04o)%s", (unsigned)st.st_mode & 07777,
		    st.st_mode & S_IWOTH ? "; warning: writable by others" : "");
		return 0;
	}
	/* missing: the start makes it when its nearest existing parent lets it */
	snprintf(up, sizeof(up), "%s", dir);
	for (;;) {
		char *slash = strrchr(up, '/');
		if (slash == NULL) {
			snprintf(up, sizeof(up), ".");
			break;
		}
		if (slash == up) {
			up[1] = '\0';
			break;
		}
		*slash = '\0';
		if (stat(up, &st) == 0)
			break;
	}
	if (stat(up, &st) == 0 && S_ISDIR(st.st_mode) && access(up, W_OK | X_OK) == 0) {
		snprintf(verdict, len, "missing; made at the start");
		return 0;
	}
	snprintf(verdict, len, "missing, and %s does not let this user make it", up);
	return -2;
}

int
agent_check_dirs(const struct setup *su, FILE *out)
{
	const struct settings *s = &su->set;
	const char *const files[] = { s->log_file, s->pid_file, s->control_socket };
	const char *const what[] = { "state_dir", "log_file", "pid_file", "control_socket" };
	char dirs[4][4096], verdict[4400];
	int rc = 0;

	snprintf(dirs[0], sizeof(dirs[0]), "%s", s->state_dir);
	for (size_t i = 0; i < 3; i++) {
		snprintf(dirs[i + 1], sizeof(dirs[i + 1]), "%s", files[i]);
		char *slash = strrchr(dirs[i + 1], '/');
		if (slash == NULL)
			snprintf(dirs[i + 1], sizeof(dirs[i + 1]), ".");
		else if (slash != dirs[i + 1])
			*slash = '\0';
		else
			slash[1] = '\0';
	}
	for (size_t i = 0; i < 4; i++) {
		int v = agent_check_dir(dirs[i], verdict, sizeof(verdict));
		/* the daemon runs as root: an administrator's check as another user only notes
		 * what that user may not do */
		int bad = v == -1 || (v == -2 && geteuid() == 0);
		fprintf(out, "%s: %s %s: %s%s\n", v == 0 ? "ok" : bad ? "error" : "note", what[i],
		    dirs[i], verdict, v == -2 && !bad ? " (the daemon runs as root)" : "");
		if (bad)
			rc = -1;
	}
	return rc;
}

struct agent *
agent_new(struct ev_loop *loop, struct setup *su, const char *config_path, char *err, size_t errlen)
{
	struct agent *a = calloc(1, sizeof(*a));

	if (a == NULL || (a->config_path = strdup(config_path)) == NULL) {
		free(a);
		setup_free(su);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	err[0] = '\0';
	a->loop = loop;
	a->su = su;
	a->sampling.prev_known = -1;
	host_set_hostname(su->set.hostname);
	guard_init(&a->guard, su->set.cooldown, su->set.max_moves_per_hour);
	/* the start counts as an arrival: a service just started is cold too */
	damper_init(&a->learning.damp, &su->set.damping, ev_now());
	efficacy_init(&a->learning.eff, (size_t)su->set.efficacy_window, su->set.direction);
	forecast_init(&a->learning.fc, su->set.anticipate);
	if (agent_open(a, err, errlen) < 0 || agent_ship_update(a, err, errlen) < 0 ||
	    (a->sensor_w = worker_new(a->loop, "sensor")) == NULL ||
	    (a->endpoint_w = worker_new(a->loop, "endpoint")) == NULL ||
	    (a->alerts.q = alertq_new(a->loop, spawn_alert, agent_alert_done, a)) == NULL ||
	    (a->tick = ev_timer_add(a->loop, 0, agent_tick, a)) == NULL) {
		if (!*err)
			snprintf(err, errlen, "cannot start the workers");
		agent_free(a);
		return NULL;
	}
	/* status and metrics show the policy's threshold before its first cycle, not 0 */
	setup_policy(su)->counters(su->policy.state, &a->sampling.counters);
	agent_event(a, &(struct journal_event){ .kind = JOURNAL_START, .u.start = {
	    .version = PACKAGE_VERSION, .policy = su->set.policy, .sensor = su->set.sensor,
	    .endpoint = su->set.endpoint } });
	agent_reconcile(a);
	return a;
}

void
agent_free(struct agent *a)
{
	if (a == NULL)
		return;
	/* a sample is worth nothing after the stop: its command need not hold it for up to
	 * sensor_timeout (a move in flight is waited for, up to endpoint_timeout) */
	if (a->sensor_w != NULL && worker_busy(a->sensor_w)) {
		log_info("stopping: the sample in progress is abandoned");
		worker_cancel(a->sensor_w);
	}
	if (a->logging.log.log != NULL) {
		/* a state said once and counted since ends with the agent: its count is said */
		struct episode *open[] = { &a->logging.ep_queue, &a->logging.ep_process,
			&a->logging.ep_metrics, &a->alerts.ep_command };
		for (size_t i = 0; i < sizeof(open) / sizeof(open[0]); i++)
			agent_episode_end(a, open[i]);
		said_close(&a->logging.said, agent_episode_emit, a);
		agent_event(a, &(struct journal_event){ .kind = JOURNAL_STOP });
		agent_save_known(a);
	}
	worker_free(a->sensor_w);
	worker_free(a->endpoint_w);
	alertq_free(a->alerts.q);
	logship_free(a->logging.ship);
	free(a->logging.ship_fp);
	ev_timer_del(a->tick);
	cyclelog_close(&a->logging.log);
	hosts_free(&a->learning.known);
	setup_free(a->pending);
	setup_free(a->su);
	free(a->config_path);
	free(a);
}

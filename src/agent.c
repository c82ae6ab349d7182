/* SPDX-License-Identifier: ISC */
/* The agent's cycle. Every daemon_interval (CLOCK_MONOTONIC) the sensor is sampled on a
 * worker thread; its reading goes to the policy on the loop thread; an action goes
 * through the guard to the endpoint, also on a worker; every step is logged. */
#include "config.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <inttypes.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "agent.h"
#include "common/localtime.h"
#include "conf.h"
#include "cyclelog.h"
#include "decide.h"
#include "ev.h"
#include "guard.h"
#include "hosts.h"
#include "common/log.h"
#include "journal.h"
#include "logship.h"
#include "setup.h"
#include "state.h"
#include "targets.h"
#include "worker.h"

#define AGENT_RECENT 10
#define AGENT_KNOWN_SAVE 300.0 /* seconds between writes of state_dir/hosts */

/* A message that would otherwise repeat every cycle while a state lasts (the queue
 * processed where the VM is, "Already at base"): said when the state starts, with a count
 * when it ends. */
struct agent_episode {
	char kind[16];
	char msg[256];
	uint64_t repeats;            /* times it came again after it was said */
};

struct agent {
	struct ev_loop *loop;
	struct setup *su;
	struct setup *pending;       /* a reload waiting for the workers to go idle */
	char *config_path;
	struct guard guard;
	struct agent_state st;
	struct cyclelog log;
	struct worker *sensor_w, *endpoint_w;
	struct ev_timer *tick;
	/* the sample being taken, or the sensor's work being done */
	struct vmm_sensor_reading reading;
	int process_rc;
	char process_err[256];
	int64_t sample_time;
	uint64_t overruns;
	/* what status shows */
	struct vmm_sample recent[AGENT_RECENT];
	size_t nrecent;
	struct vmm_policy_counters counters;
	int prev_known;              /* -1 before the first sample */
	char prev_why[256];
	/* the request with the endpoint */
	enum vmm_action req_action;
	char req_source[128], req_target[128], req_origin[16];
	struct vmm_move_request req;
	struct vmm_move_result res;
	double req_started;
	int locating;                /* the endpoint worker is asking where the VM runs */
	char located[128], locate_err[256];
	int locate_rc;
	int locate_failing;          /* the last answer was an error: say so once */
	double next_locate;          /* monotonic: when to ask again; 0: at the next cycle */
	/* what was learned of each host (state_dir/hosts) */
	struct host_table known;
	double known_saved;          /* monotonic: when it was last written */
	/* damping and efficacy (decide.c applies them) */
	struct damper damp;
	struct efficacy eff;
	char recommended[JOURNAL_RECOMMENDATION]; /* the last recommendation (mode recommend, breaker) */
	int64_t recommended_at;
	/* what the policy keeps deciding, said once per episode */
	struct agent_episode ep_queue;   /* "Would process: at home now" */
	struct agent_episode ep_nothing; /* "Already at base" */
	struct agent_episode ep_process; /* "Processing failed: ..." */
	/* the central log */
	struct logship *ship;
	char *ship_fp;               /* its settings, to restart it only when they change */
};

static int64_t
agent_wall(void)
{
	return (int64_t)time(NULL);
}

/* One event, in the journal's words: syslog or stderr, the local log and the collector. */
static void
agent_event(struct agent *a, const struct journal_event *e)
{
	char msg[JOURNAL_MSG];

	journal_message(e, msg, sizeof(msg));
	log_info("%s", msg);
	cyclelog_event(&a->log, agent_wall(), host_hostname(), journal_name(e), msg);
	if (a->ship != NULL && logship_submit(a->ship, (time_t)agent_wall(), msg) < 0)
		log_warn("collector: cannot spool");
}

static void agent_note(struct agent *a, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* An event of free text: the journal has no kind for it (reload, sensor, queue...). */
static void
agent_note(struct agent *a, const char *name, const char *fmt, ...)
{
	char text[JOURNAL_MSG];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	agent_event(a, &(struct journal_event){ .kind = JOURNAL_NOTE, .name = name,
	    .u.note.text = text });
}

static void
agent_warning(struct agent *a, const char *name, const char *text)
{
	agent_event(a, &(struct journal_event){ .kind = JOURNAL_WARNING, .name = name,
	    .u.note.text = text });
}

/* A state's message: said when it starts or changes, counted while it lasts. */
static void
agent_episode(struct agent *a, struct agent_episode *e, const char *kind, const char *msg)
{
	if (e->msg[0] && strcmp(e->msg, msg) == 0) {
		e->repeats++;
		return;
	}
	if (e->msg[0] && e->repeats > 0)
		agent_note(a, e->kind, "%s: %" PRIu64 " times in all", e->msg, e->repeats + 1);
	agent_note(a, kind, "%s", msg);
	snprintf(e->kind, sizeof(e->kind), "%s", kind);
	snprintf(e->msg, sizeof(e->msg), "%s", msg);
	e->repeats = 0;
}

/* The state is over: how often it came, when more than once. */
static void
agent_episode_end(struct agent *a, struct agent_episode *e)
{
	if (e->msg[0] && e->repeats > 0)
		agent_note(a, e->kind, "%s: %" PRIu64 " times in all", e->msg, e->repeats + 1);
	e->msg[0] = '\0';
	e->repeats = 0;
}

/* The cycle's values for the collector, compact: the block itself stays local. */
static void
agent_ship_cycle(struct agent *a, const struct vmm_sample *s, enum vmm_action act)
{
	const struct vmm_policy_counters *c = &a->counters;
	char msg[JOURNAL_MSG];

	if (a->ship == NULL)
		return;
	journal_message(&(struct journal_event){ .kind = JOURNAL_CYCLE, .u.cycle = {
	    .sensor = a->su->set.sensor, .location = a->st.location, .known = s->known,
	    .value = s->value, .count = c->count, .threshold = c->threshold, .has_low = c->has_low,
	    .lowcount = c->lowcount, .lowthreshold = c->lowthreshold, .action = act } },
	    msg, sizeof(msg));
	if (logship_submit(a->ship, (time_t)s->time, msg) < 0)
		log_warn("collector: cannot spool");
}

static char *
agent_ship_fingerprint(const struct settings *s)
{
	char *fp = NULL;

	if (s->collector == NULL)
		return NULL;
	if (asprintf(&fp, "%s|%d|%s|%lld|%s|%s", s->collector, s->collector_syslog,
	    s->collector_key_file ? s->collector_key_file : "", (long long)s->spool_max_bytes,
	    host_hostname(), s->state_dir) < 0)
		return NULL;
	return fp;
}

/* The log path's own troubles (an unauthenticated collector, a full spool) go to the log. */
static void
agent_ship_warn(const char *msg)
{
	log_warnx("%s", msg);
}

/* Start, restart or stop the central log to match the settings. The spool lives in
 * state_dir, so a restart loses nothing. */
static int
agent_ship_update(struct agent *a, char *err, size_t errlen)
{
	const struct settings *s = &a->su->set;
	char *fp = agent_ship_fingerprint(s);

	if ((fp == NULL && a->ship_fp == NULL) || (fp && a->ship_fp && strcmp(fp, a->ship_fp) == 0)) {
		free(fp);
		return 0;
	}
	logship_free(a->ship);
	a->ship = NULL;
	free(a->ship_fp);
	a->ship_fp = fp;
	if (fp == NULL)
		return 0;
	struct logship_conf lc = { .collector = s->collector,
		.protocol = s->collector_syslog ? LOGSHIP_SYSLOG : LOGSHIP_VMMANAGE,
		.hostname = host_hostname(), .state_dir = s->state_dir,
		.spool_max_bytes = (uint64_t)s->spool_max_bytes, .key_file = s->collector_key_file,
		.warn = agent_ship_warn, .loop = a->loop };
	if ((a->ship = logship_new(&lc, err, errlen)) == NULL)
		return -1;
	return 0;
}

static void
agent_save(struct agent *a)
{
	char err[512];

	if (state_save(a->su->set.state_dir, &a->st, err, sizeof(err)) < 0)
		log_warnx("state: %s", err);
}

static struct topology
agent_topology(const struct setup *su)
{
	const struct settings *s = &su->set;

	return (struct topology){ .hosts = s->hosts, .nhosts = s->nhosts, .base = s->base,
		.home = s->home, .nhome = s->nhome, .away = s->away, .naway = s->naway };
}

static struct decider
agent_decider(struct agent *a)
{
	const struct settings *s = &a->su->set;

	return (struct decider){ .policy = setup_policy(a->su), .policy_state = a->su->policy.state,
		.topo = agent_topology(a->su), .guard = &a->guard, .known = &a->known,
		.choice = (enum target_choice)s->target_choice, .interval = s->interval,
		.base = s->base, .damp = &a->damp, .eff = &a->eff, .direction = s->direction };
}

static void
agent_save_known(struct agent *a)
{
	char err[512];

	a->known_saved = ev_now();
	if (hosts_save(&a->known, a->su->set.state_dir, err, sizeof(err)) < 0)
		log_warnx("host table: %s", err);
}

/* The thesis's location test: the broadcast address of an interface equals the home
 * array's. 1, 0, or -1 when the interfaces cannot be read. */
static int
agent_broadcast_is(const char *want)
{
	struct ifaddrs *ifs, *i;
	char buf[INET6_ADDRSTRLEN];
	int found = 0;

	if (getifaddrs(&ifs) < 0)
		return -1;
	for (i = ifs; i != NULL && !found; i = i->ifa_next) {
		if (i->ifa_broadaddr == NULL || !(i->ifa_flags & IFF_BROADCAST) ||
		    i->ifa_addr == NULL || i->ifa_addr->sa_family != AF_INET)
			continue;
		const struct sockaddr_in *b = (const struct sockaddr_in *)(const void *)i->ifa_broadaddr;
		if (inet_ntop(AF_INET, &b->sin_addr, buf, sizeof(buf)) && strcmp(buf, want) == 0)
			found = 1;
	}
	freeifaddrs(ifs);
	return found;
}

static int
agent_at_home(const struct agent *a)
{
	struct topology t = agent_topology(a->su);

	if (a->su->set.home_broadcast != NULL)
		return agent_broadcast_is(a->su->set.home_broadcast);
	return target_at_home(&t, a->st.location);
}

/* ---- the endpoint side ---- */

static const char *
agent_outcome_name(enum vmm_move_outcome o)
{
	return o == VMM_MOVE_CONFIRMED ? "confirmed" : o == VMM_MOVE_UNCONFIRMED ? "unconfirmed" : "failed";
}

static void agent_apply_pending(struct agent *a);
static void agent_maybe_locate(struct agent *a);

/* Worker thread: the endpoint's blocking move. */
static void
agent_move_job(void *arg)
{
	struct agent *a = arg;
	const struct vmm_endpoint_ops *eo = setup_endpoint(a->su);

	memset(&a->res, 0, sizeof(a->res));
	eo->move(a->su->endpoint.state, &a->req, &a->res);
}

/* What the endpoint saw of the hosts while it worked: the target choice's hints. */
static void
agent_take_hints(struct agent *a)
{
	const struct vmm_endpoint_ops *eo = setup_endpoint(a->su);
	struct vmm_host_hint h[32];

	if (eo->hints == NULL)
		return;
	size_t n = eo->hints(a->su->endpoint.state, h, sizeof(h) / sizeof(h[0]));
	for (size_t i = 0; i < n && i < sizeof(h) / sizeof(h[0]); i++)
		if (h[i].host != NULL)
			hosts_hint(&a->known, h[i].host, h[i].free_memory, h[i].cpu_idle, (double)agent_wall());
}

/* The move's outcome: decide_moved() does the bookkeeping the simulator does too; here
 * what the daemon keeps and says of it. */
static void
agent_move_outcome(struct agent *a)
{
	const struct vmm_move_result *r = &a->res;
	const char *target = a->req_target;
	double took = r->duration > 0 ? r->duration : ev_now() - a->req_started;
	struct decider d = agent_decider(a);
	struct decide_move m = { .outcome = r->outcome, .from = a->req_source, .target = target,
		.location = r->location, .took = took, .failure = r->failure, .permanent = r->permanent,
		.detail = r->detail, .cross_site = a->req.cross_site, .mono = ev_now(),
		.wall = (double)agent_wall() };
	struct decide_moved o;

	decide_moved(&d, &m, &o);
	if (o.warn)
		agent_warning(a, "pingpong", o.why);
	if (o.located) {
		snprintf(a->st.location, sizeof(a->st.location), "%s", o.location);
		a->st.location_confirmed = o.confirmed;
	}
	if (r->outcome == VMM_MOVE_CONFIRMED) {
		a->st.confirmed++;
		agent_event(a, &(struct journal_event){ .kind = JOURNAL_CONFIRMED, .u.confirmed = {
		    .target = target, .seconds = took, .detail = r->detail } });
	} else if (r->outcome == VMM_MOVE_UNCONFIRMED) {
		/* accepted: like the thesis, assume it went where it was sent, but say so */
		a->st.unconfirmed++;
		agent_event(a, &(struct journal_event){ .kind = JOURNAL_UNCONFIRMED, .u.unconfirmed = {
		    .target = target, .detail = r->detail } });
	} else {
		a->st.failed++;
		agent_event(a, &(struct journal_event){ .kind = JOURNAL_FAILED, .u.failed = {
		    .target = target, .detail = r->detail, .failure = r->failure, .wait = o.wait,
		    .failures = o.failures } });
	}
	/* the endpoint's word on where the VM is, soon, unless it just confirmed it */
	if (r->outcome != VMM_MOVE_CONFIRMED)
		a->next_locate = 0;
	agent_take_hints(a);
	agent_save_known(a);
}

/* Loop thread: the move came back. */
static void
agent_move_done(void *arg)
{
	struct agent *a = arg;
	const struct vmm_move_result *r = &a->res;

	agent_move_outcome(a);
	snprintf(a->st.last_outcome, sizeof(a->st.last_outcome), "%s", agent_outcome_name(r->outcome));
	snprintf(a->st.last_detail, sizeof(a->st.last_detail), "%s", r->detail);
	a->st.last_duration = r->duration > 0 ? r->duration : ev_now() - a->req_started;
	a->st.pending_action[0] = a->st.pending_target[0] = '\0';
	a->st.pending_since = 0;
	agent_save(a);
	agent_apply_pending(a);
}

/* The thesis's words for each action (Appendix A.2), so old log readers still match. */
static void
agent_announce(struct agent *a, enum vmm_action act, const char *target, const char *why)
{
	struct journal_event ev[2];
	size_t n = journal_request(act, target, why, ev);

	for (size_t i = 0; i < n; i++)
		agent_event(a, &ev[i]);
}

static void
agent_send(struct agent *a, enum vmm_action act, const char *target, int cross_site,
    const char *origin)
{
	/* a move ends what the policy kept deciding where the VM was */
	agent_episode_end(a, &a->ep_queue);
	agent_episode_end(a, &a->ep_nothing);
	a->req_action = act;
	snprintf(a->req_source, sizeof(a->req_source), "%s", a->st.location);
	snprintf(a->req_target, sizeof(a->req_target), "%s", target);
	snprintf(a->req_origin, sizeof(a->req_origin), "%s", origin);
	a->req = (struct vmm_move_request){ .action = act, .source = a->req_source,
		.target = a->req_target, .cross_site = cross_site };
	/* persisted before the call: the agent lives in the VM it moves, and a cold move
	 * stops it mid-call; the next start reconciles */
	snprintf(a->st.pending_action, sizeof(a->st.pending_action), "%s", vmm_action_name(act));
	snprintf(a->st.pending_target, sizeof(a->st.pending_target), "%s", target);
	a->st.pending_since = agent_wall();
	snprintf(a->st.last_action, sizeof(a->st.last_action), "%s", vmm_action_name(act));
	snprintf(a->st.last_target, sizeof(a->st.last_target), "%s", target);
	snprintf(a->st.last_outcome, sizeof(a->st.last_outcome), "in flight");
	a->st.last_detail[0] = '\0';
	a->st.last_request_time = a->st.pending_since;
	a->st.requests++;
	agent_save(a);
	a->req_started = ev_now();
	struct decider d = agent_decider(a);
	struct decide_input in = { .mono = a->req_started, .cli = strcmp(origin, "cli") == 0 };
	char why[256];
	if (decide_sent(&d, &in, why, sizeof(why))) {
		log_warnx("%s", why);
		agent_warning(a, "breaker", why);
	}
	worker_submit(a->endpoint_w, agent_move_job, agent_move_done, a);
}

static struct decide_input
agent_input(struct agent *a, const struct vmm_sample *s)
{
	struct decide_input in = { .location = a->st.location, .at_home = agent_at_home(a),
		.mono = ev_now(), .wall = (double)agent_wall() };

	if (s != NULL) {
		in.sample = *s;
		vmm_local_time_of(s->time, &in.local);
	}
	if (a->locating) {
		in.busy = 1;
		in.busy_why = "the endpoint is still being asked where the VM runs";
	} else if (worker_busy(a->endpoint_w)) {
		in.busy = 1;
		in.busy_why = "a move is in flight";
	}
	return in;
}

/* What would have been requested: logged (and shipped) in mode recommend and while the
 * breaker is tripped, kept for status in mode manual too. */
static void
agent_recommend(struct agent *a, const struct decide_result *d)
{
	struct journal_event e = { .kind = JOURNAL_RECOMMEND, .u.recommend = { .action = d->action,
		.target = d->target, .reason = d->reason, .choice = d->choice, .why = d->why } };

	journal_recommendation(&e, a->recommended, sizeof(a->recommended));
	a->recommended_at = agent_wall();
	if (a->damp.c.mode == VMM_MODE_MANUAL && a->damp.tripped < 0)
		log_debug("the policy would ask for %s; mode manual", a->recommended);
	else
		agent_event(a, &e);
}

/* Carry out a decision: 0 sent to the endpoint, 1 nothing to do, -1 refused. */
static int
agent_carry_out(struct agent *a, const struct decide_result *d, const char *origin,
    const char *reason, char *reply, size_t len)
{
	const char *act = vmm_action_name(d->action);

	switch (d->kind) {
	case DECIDE_REQUEST:
		break;
	case DECIDE_RECOMMEND:
		agent_recommend(a, d);
		snprintf(reply, len, "recommended only (%s)", d->why);
		return -1;
	case DECIDE_NOTHING:
	case DECIDE_ERROR:
		/* the policy asks again every few cycles while idle: say it once */
		if (d->kind == DECIDE_NOTHING && strcmp(origin, "policy") == 0)
			agent_episode(a, &a->ep_nothing, "nothing", d->why);
		else
			agent_note(a, d->kind == DECIDE_NOTHING ? "nothing" : "error", "%s", d->why);
		snprintf(reply, len, "%s: %s", d->kind == DECIDE_NOTHING ? "nothing to do" : "refused", d->why);
		return d->kind == DECIDE_NOTHING ? 1 : -1;
	default:
		if (worker_busy(a->endpoint_w) && !a->locating) {
			snprintf(reply, len, "refused: a move to %s is in flight; try again when it has ended",
			    a->req_target);
			agent_event(a, &(struct journal_event){ .kind = JOURNAL_SUPPRESSED, .u.suppressed = {
			    .action = d->action, .origin = origin, .in_flight = 1 } });
		} else {
			agent_event(a, &(struct journal_event){ .kind = JOURNAL_SUPPRESSED, .u.suppressed = {
			    .action = d->action, .target = d->target, .origin = origin, .why = d->why } });
			snprintf(reply, len, "refused: %s", d->why);
		}
		return -1;
	}
	if (d->choice[0])
		agent_event(a, &(struct journal_event){ .kind = JOURNAL_CHOICE,
		    .u.choice = { .target = d->target, .why = d->choice } });
	agent_announce(a, d->action, d->target, reason && *reason ? reason : origin);
	const struct move_time *tm = hosts_move_time_get(&a->known, a->st.location, d->target);
	if (tm != NULL)
		agent_note(a, "request", "Moves %s -> %s took %.1f s on average (%" PRIu64 " so far)",
		    tm->from, tm->to, tm->mean, tm->count);
	agent_send(a, d->action, d->target, d->cross_site, origin);
	snprintf(reply, len, "requested %s to %s; `vmmanage status` shows the outcome", act, d->target);
	return 0;
}

int
agent_request(struct agent *a, enum vmm_action act, const char *origin, const char *reason,
    char *reply, size_t len)
{
	struct decider d = agent_decider(a);
	struct decide_input in = agent_input(a, NULL);
	struct decide_result r;

	in.cli = strcmp(origin, "cli") == 0;
	decide_action(&d, act, &in, &r);
	return agent_carry_out(a, &r, origin, reason, reply, len);
}

/* ---- the sensor side ---- */

static void
agent_sample_job(void *arg)
{
	struct agent *a = arg;
	const struct vmm_sensor_ops *so = setup_sensor(a->su);

	memset(&a->reading, 0, sizeof(a->reading));
	so->sample(a->su->sensor.state, &a->reading);
}

/* A sensor that cannot read says so once when it starts failing, again when the reason
 * changes, and once when it reads again: not every cycle. */
static void
agent_sensor_transition(struct agent *a)
{
	const struct vmm_sensor_reading *r = &a->reading;
	const char *name = a->su->set.sensor;

	if (r->known) {
		if (a->prev_known == 0)
			agent_note(a, "sensor", "Sensor %s reads again", name);
	} else if (a->prev_known != 0 || strcmp(a->prev_why, r->why) != 0) {
		agent_note(a, "sensor", "Sensor %s: unknown: %s", name, r->why[0] ? r->why : "no reason given");
	}
	a->prev_known = r->known;
	snprintf(a->prev_why, sizeof(a->prev_why), "%s", r->known ? "" : r->why);
}

static void
agent_remember(struct agent *a, const struct vmm_sample *s)
{
	if (a->nrecent == AGENT_RECENT) {
		memmove(&a->recent[0], &a->recent[1], (AGENT_RECENT - 1) * sizeof(a->recent[0]));
		a->nrecent--;
	}
	a->recent[a->nrecent++] = *s;
}

/* Worker thread: the sensor's own work (the queue sensor runs its jobs), bounded so the
 * next sample is not held up for long. */
static void
agent_process_job(void *arg)
{
	struct agent *a = arg;

	a->process_err[0] = '\0';
	a->process_rc = setup_sensor(a->su)->process(a->su->sensor.state, a->su->set.interval * 0.8,
	    a->process_err, sizeof(a->process_err));
}

static void
agent_process_done(void *arg)
{
	struct agent *a = arg;
	char msg[320];

	if (a->process_rc < 0) {
		snprintf(msg, sizeof(msg), "Processing failed: %s", a->process_err);
		agent_episode(a, &a->ep_process, "queue", msg);
	} else
		agent_episode_end(a, &a->ep_process);
	/* 2: there was nothing to run, which is no news */
	if (a->process_rc == 1)
		agent_note(a, "queue", "Queue processed");
	agent_apply_pending(a);
}

static void
agent_process(struct agent *a)
{
	if (setup_sensor(a->su)->process == NULL) {
		log_debug("sensor %s has nothing to process", a->su->set.sensor);
		return;
	}
	if (worker_submit(a->sensor_w, agent_process_job, agent_process_done, a) < 0)
		log_warnx("sensor %s: busy, processing waits for the next cycle", a->su->set.sensor);
}

/* Returns 1 when a request went out: the next sample then waits for the cooldown too. */
static int
agent_decide(struct agent *a, const struct vmm_sample *s)
{
	struct decider d = agent_decider(a);
	struct decide_input in = agent_input(a, s);
	struct decide_result r;
	char reply[512];

	decide_cycle(&d, &in, &r);
	a->counters = r.counters;
	struct cycle_record rec = { .host = host_hostname(), .sensor = a->su->set.sensor,
		.label = setup_sensor(a->su)->label, .sample = *s, .reading = &a->reading,
		.counters = &a->counters, .action = r.decision.action, .reason = r.decision.reason,
		.location = a->st.location };
	cyclelog_cycle(&a->log, &rec);
	agent_ship_cycle(a, s, r.decision.action);
	if (r.decision.process_queue) {
		if (r.decision.reason[0])
			agent_episode(a, &a->ep_queue, "queue", r.decision.reason);
		agent_process(a);
	}
	if (r.measured)
		agent_event(a, &(struct journal_event){ .kind = JOURNAL_EFFICACY, .u.efficacy = {
		    .from = r.efficacy.from, .to = r.efficacy.to, .before = r.efficacy.before,
		    .after = r.efficacy.after, .gain = r.efficacy.gain } });
	if (ev_now() - a->known_saved >= AGENT_KNOWN_SAVE)
		agent_save_known(a);
	if (r.action == VMM_ACT_NONE)
		return 0;
	return agent_carry_out(a, &r, "policy", r.reason, reply, sizeof(reply)) == 0;
}

static void
agent_sample_done(void *arg)
{
	struct agent *a = arg;
	struct vmm_sample s = { .known = a->reading.known, .value = a->reading.value,
		.time = a->sample_time };

	agent_sensor_transition(a);
	agent_remember(a, &s);
	/* the thesis slept `cooldown` after a request before sampling again */
	if (agent_decide(a, &s))
		ev_timer_set(a->tick, a->su->set.cooldown + a->su->set.interval);
	agent_apply_pending(a);
	agent_maybe_locate(a);
}

static double
agent_tick(void *arg)
{
	struct agent *a = arg;

	a->sample_time = agent_wall();
	if (a->counters.skip_sensor) {
		/* resting with rest_monitoring = false: the policy still sees the time pass */
		memset(&a->reading, 0, sizeof(a->reading));
		snprintf(a->reading.why, sizeof(a->reading.why), "resting: not monitoring");
		struct vmm_sample s = { .known = 0, .time = a->sample_time };
		if (agent_decide(a, &s))
			return a->su->set.cooldown + a->su->set.interval;
	} else if (worker_submit(a->sensor_w, agent_sample_job, agent_sample_done, a) < 0) {
		a->overruns++;
		log_warnx("sensor %s: the previous sample is still running (%" PRIu64 " overruns)",
		    a->su->set.sensor, a->overruns);
	}
	return a->su->set.interval;
}

/* ---- where the VM runs: asked of the endpoint at start, when it can tell ---- */

static void
agent_locate_job(void *arg)
{
	struct agent *a = arg;
	const struct vmm_endpoint_ops *eo = setup_endpoint(a->su);

	a->located[0] = a->locate_err[0] = '\0';
	a->locate_rc = eo->locate(a->su->endpoint.state, a->located, sizeof(a->located),
	    a->locate_err, sizeof(a->locate_err));
}

/* The answer to a locate: at start, periodically, and after a move that went wrong. An
 * endpoint that cannot answer is reported when it starts failing, not every time. */
static void
agent_located(struct agent *a)
{
	const double every = a->su->set.locate_interval;

	a->next_locate = ev_now() + (every > 0 ? every : 1e12);
	if (a->locate_rc < 0) {
		if (!a->locate_failing)
			agent_note(a, "location", "Cannot ask the endpoint where the VM runs: %s; keeping %s",
			    a->locate_err, a->st.location[0] ? a->st.location : "no location");
		a->locate_failing = 1;
		return;
	}
	if (a->locate_failing)
		agent_note(a, "location", "The endpoint answers again: the VM is on %s", a->located);
	else if (strcmp(a->located, a->st.location) != 0)
		agent_event(a, &(struct journal_event){ .kind = JOURNAL_LOCATION,
		    .u.location = { .host = a->located, .cached = a->st.location } });
	a->locate_failing = 0;
	snprintf(a->st.location, sizeof(a->st.location), "%s", a->located);
	a->st.location_confirmed = 1;
	hosts_succeeded(&a->known, a->located);
	agent_take_hints(a);
}

static void
agent_locate_done(void *arg)
{
	struct agent *a = arg;

	a->locating = 0;
	agent_located(a);
	if (a->st.pending_action[0]) {
		agent_note(a, "reconcile", "A %s to %s requested before the restart: the VM is %s%s",
		    a->st.pending_action, a->st.pending_target,
		    a->locate_rc < 0 ? "somewhere unknown" : "on ", a->locate_rc < 0 ? "" : a->st.location);
		snprintf(a->st.last_outcome, sizeof(a->st.last_outcome), "%s",
		    a->locate_rc < 0 ? "unknown" : strcmp(a->st.location, a->st.pending_target) == 0 ? "confirmed" : "failed");
		a->st.pending_action[0] = a->st.pending_target[0] = '\0';
	}
	agent_save(a);
	agent_apply_pending(a);
}

static void
agent_locate(struct agent *a)
{
	a->locating = 1;
	if (worker_submit(a->endpoint_w, agent_locate_job, agent_locate_done, a) < 0)
		a->locating = 0;
}

/* Right after a cycle's decision, so that the answer is in before the next one. */
static void
agent_maybe_locate(struct agent *a)
{
	if (setup_endpoint(a->su)->locate == NULL || a->locating || a->pending != NULL ||
	    worker_busy(a->endpoint_w) || ev_now() < a->next_locate)
		return;
	agent_locate(a);
}

/* The state file is a cache; where the endpoint can tell, its answer wins. */
static void
agent_reconcile(struct agent *a)
{
	const struct settings *s = &a->su->set;

	if (a->st.location[0] == '\0') {
		const char *start = s->location ? s->location : s->nhosts ? s->hosts[0] : "";
		snprintf(a->st.location, sizeof(a->st.location), "%s", start);
		a->st.location_confirmed = 0;
	}
	if (setup_endpoint(a->su)->locate != NULL) {
		agent_locate(a);
		return;
	}
	if (a->st.pending_action[0]) {
		agent_note(a, "reconcile", "A %s to %s requested at %" PRId64 " had no answer before the restart; the endpoint cannot say where the VM runs, assuming %s",
		    a->st.pending_action, a->st.pending_target, a->st.pending_since, a->st.pending_target);
		snprintf(a->st.location, sizeof(a->st.location), "%s", a->st.pending_target);
		a->st.location_confirmed = 0;
		snprintf(a->st.last_outcome, sizeof(a->st.last_outcome), "unknown");
		a->st.pending_action[0] = a->st.pending_target[0] = '\0';
	}
	agent_save(a);
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
	hosts_configure(&a->known, neu->set.host_memory, neu->set.retry_backoff,
	    neu->set.retry_backoff_max, neu->set.direction);
	damper_configure(&a->damp, &neu->set.damping);
	efficacy_configure(&a->eff, (size_t)neu->set.efficacy_window, neu->set.direction);
	if (strcmp(old->set.log_file, neu->set.log_file) != 0 ||
	    (old->set.json_log_file == NULL) != (neu->set.json_log_file == NULL) ||
	    (neu->set.json_log_file && strcmp(old->set.json_log_file, neu->set.json_log_file) != 0)) {
		struct cyclelog nl;
		if (cyclelog_open(&nl, neu->set.log_file, neu->set.json_log_file, err, sizeof(err)) < 0)
			log_warnx("reload: keeping the old log files: %s", err);
		else {
			cyclelog_close(&a->log);
			a->log = nl;
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
		setup_policy(neu)->counters(neu->policy.state, &a->counters);
	agent_note(a, "reload", "Reloaded %s: policy %s, sensor %s, endpoint %s%s", a->config_path,
	    neu->set.policy, neu->set.sensor, neu->set.endpoint,
	    kept ? "" : " (policy counters start again)");
	setup_free(old);
}

/* Modules are swapped only between jobs: a worker may be inside the old sensor or endpoint. */
static void
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
	struct setup *neu = setup_load(a->config_path, agent_warn_line, err, errlen);

	if (neu == NULL) {
		agent_note(a, "reload", "Reload of %s failed, keeping the running configuration: %s",
		    a->config_path, err);
		return -1;
	}
	setup_free(a->pending);
	a->pending = neu;
	agent_apply_pending(a);
	return 0;
}

void
agent_resume(struct agent *a, char *reply, size_t len)
{
	if (damper_resume(&a->damp)) {
		agent_note(a, "breaker", "Resumed by the administrator: acting on its own again");
		snprintf(reply, len, "resumed: acting on its own again");
	} else
		snprintf(reply, len, "nothing to resume: the breaker is not tripped (mode %s)",
		    damper_mode_name(a->damp.c.mode));
	a->recommended[0] = '\0';
}

void
agent_reopen_logs(struct agent *a)
{
	char err[512];

	if (cyclelog_reopen(&a->log, err, sizeof(err)) < 0)
		log_warnx("log: %s", err);
}

/* ---- status, start, stop ---- */

static void
agent_status_samples(struct agent *a, FILE *out)
{
	fprintf(out, "last samples:");
	if (a->nrecent == 0)
		fprintf(out, " none yet");
	for (size_t i = 0; i < a->nrecent; i++) {
		if (a->recent[i].known)
			fprintf(out, " %g", a->recent[i].value);
		else
			fprintf(out, " unknown");
	}
	fprintf(out, " (oldest first)\n");
	if (a->prev_known == 0)
		fprintf(out, "sensor state: unknown: %s\n", a->prev_why);
}

static void
agent_status_request(struct agent *a, FILE *out)
{
	char date[64];

	if (a->st.last_action[0] == '\0') {
		fprintf(out, "last request: none\n");
		return;
	}
	journal_date(a->st.last_request_time, date, sizeof(date));
	fprintf(out, "last request: %s to %s at %s: %s", a->st.last_action, a->st.last_target,
	    date, a->st.last_outcome);
	if (strcmp(a->st.last_outcome, "in flight") != 0 && a->st.last_duration > 0)
		fprintf(out, " after %.1f s", a->st.last_duration);
	if (a->st.last_detail[0])
		fprintf(out, " (%s)", a->st.last_detail);
	fprintf(out, "\nrequests: %" PRIu64 " (confirmed %" PRIu64 ", unconfirmed %" PRIu64 ", failed %" PRIu64 ")\n",
	    a->st.requests, a->st.confirmed, a->st.unconfirmed, a->st.failed);
}

/* The mode, the damping rules now, pending recommendations and the moves' efficacy. */
static void
agent_status_damping(struct agent *a, FILE *out)
{
	double now = ev_now(), warm = damper_warming(&a->damp, now);
	char why[256], date[64];

	fprintf(out, "mode: %s\n", damper_mode_name(a->damp.c.mode));
	if (warm > 0)
		fprintf(out, "warming up: %.0f s before samples count\n", warm);
	if (damper_staying(&a->damp, now, why, sizeof(why)))
		fprintf(out, "staying: %s\n", why);
	if (damper_tripped(&a->damp, now, why, sizeof(why)))
		fprintf(out, "breaker: %s\n", why);
	if (a->recommended[0]) {
		journal_date(a->recommended_at, date, sizeof(date));
		fprintf(out, "recommendation: %s, at %s\n", a->recommended, date);
	}
	for (size_t i = 0; i < a->eff.ndone; i++) {
		const struct efficacy_result *e = &a->eff.done[i];
		fprintf(out, "efficacy %s -> %s: mean %g before, %g after, gain %g\n", e->from, e->to,
		    e->before, e->after, e->gain);
	}
	if (a->eff.measured)
		fprintf(out, "efficacy: mean gain %g over %" PRIu64 " moves\n", efficacy_mean_gain(&a->eff),
		    a->eff.measured);
}

/* What was learned of each host, and the measured T_M of each move. */
static void
agent_status_hosts(struct agent *a, FILE *out)
{
	double wall = (double)agent_wall();
	char why[320];

	fprintf(out, "target choice: %s\n", a->su->set.target_choice ? "round_robin" : "learned");
	for (size_t i = 0; i < a->known.nhosts; i++) {
		const struct host_info *h = &a->known.hosts[i];
		fprintf(out, "host %s:", h->name);
		if (h->weight > 0)
			fprintf(out, " mean %g over %.1f h, last %.0f s ago", h->mean, h->seconds / 3600,
			    wall - h->last_seen);
		else
			fprintf(out, " nothing learned");
		if (h->hint_time > 0 && h->cpu_idle >= 0)
			fprintf(out, ", CPU %.0f%% idle", h->cpu_idle * 100);
		if (h->hint_time > 0 && h->free_memory >= 0)
			fprintf(out, ", %.1f GiB free", (double)h->free_memory / (1 << 30));
		if (!hosts_available(&a->known, h->name, wall, why, sizeof(why)))
			fprintf(out, "; %s", why);
		fprintf(out, "\n");
	}
	for (size_t i = 0; i < a->known.npairs; i++) {
		const struct move_time *m = &a->known.pairs[i];
		fprintf(out, "move time %s -> %s: %.1f s mean over %" PRIu64 ", last %.1f s\n",
		    m->from, m->to, m->mean, m->count, m->last);
	}
}

static void
agent_status_collector(struct agent *a, FILE *out)
{
	struct logship_status ls;

	if (a->ship == NULL) {
		fprintf(out, "collector: none\n");
		return;
	}
	logship_status(a->ship, &ls);
	fprintf(out, "collector: %s (%s%s%s), %" PRIu64 " messages spooled, %" PRIu64 " dropped\n",
	    a->su->set.collector, ls.connected ? "connected" : "not connected",
	    !ls.connected && ls.last_error[0] ? ": " : "", !ls.connected ? ls.last_error : "",
	    ls.spooled, ls.dropped);
}

void
agent_status(struct agent *a, FILE *out)
{
	const struct settings *s = &a->su->set;
	const struct vmm_policy_counters *c = &a->counters;
	double now = ev_now();

	fprintf(out, "host: %s\npolicy: %s\nsensor: %s (%s)\nendpoint: %s\ninterval: %g s\n",
	    host_hostname(), s->policy, s->sensor,
	    s->direction == VMM_HIGHER_IS_WORSE ? "higher_is_worse" : "lower_is_worse",
	    s->endpoint, s->interval);
	agent_status_samples(a, out);
	fprintf(out, "count: %" PRId64 "\nthreshold: %g\n", c->count, c->threshold);
	if (c->has_low)
		fprintf(out, "lowcount: %" PRId64 "\nlowthreshold: %g\n", c->lowcount, c->lowthreshold);
	if (c->resting)
		fprintf(out, "resting: yes (outside working hours)\n");
	fprintf(out, "location: %s (%s)\n", a->st.location[0] ? a->st.location : "unknown",
	    a->st.location_confirmed ? "confirmed by the endpoint" : "assumed");
	agent_status_request(a, out);
	fprintf(out, "in flight: %s\n", worker_busy(a->endpoint_w) && !a->locating ? a->req_target : "no");
	fprintf(out, "guard: cooldown %g s, %zu requests in the last hour (limit %lld), %" PRIu64 " suppressed\n",
	    a->guard.cooldown, guard_requests_last_hour(&a->guard, now),
	    (long long)a->guard.max_per_hour, a->guard.suppressed);
	if (a->overruns)
		fprintf(out, "sensor overruns: %" PRIu64 "\n", a->overruns);
	agent_status_damping(a, out);
	agent_status_hosts(a, out);
	agent_status_collector(a, out);
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
	if (cyclelog_open(&a->log, s->log_file, s->json_log_file, err, errlen) < 0)
		return -1;
	if (state_load(s->state_dir, &a->st, err, errlen) < 0)
		return -1;
	hosts_init(&a->known, s->host_memory, s->retry_backoff, s->retry_backoff_max, s->direction);
	size_t skipped = 0;
	if (hosts_load(&a->known, s->state_dir, &skipped, err, errlen) < 0)
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
	a->prev_known = -1;
	host_set_hostname(su->set.hostname);
	guard_init(&a->guard, su->set.cooldown, su->set.max_moves_per_hour);
	/* the start counts as an arrival: a service just started is cold too */
	damper_init(&a->damp, &su->set.damping, ev_now());
	efficacy_init(&a->eff, (size_t)su->set.efficacy_window, su->set.direction);
	if (agent_open(a, err, errlen) < 0 || agent_ship_update(a, err, errlen) < 0 ||
	    (a->sensor_w = worker_new(a->loop, "sensor")) == NULL ||
	    (a->endpoint_w = worker_new(a->loop, "endpoint")) == NULL ||
	    (a->tick = ev_timer_add(a->loop, 0, agent_tick, a)) == NULL) {
		if (!*err)
			snprintf(err, errlen, "cannot start the workers");
		agent_free(a);
		return NULL;
	}
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
	if (a->log.log != NULL) {
		agent_event(a, &(struct journal_event){ .kind = JOURNAL_STOP });
		agent_save_known(a);
	}
	worker_free(a->sensor_w);
	worker_free(a->endpoint_w);
	logship_free(a->ship);
	free(a->ship_fp);
	ev_timer_del(a->tick);
	cyclelog_close(&a->log);
	hosts_free(&a->known);
	setup_free(a->pending);
	setup_free(a->su);
	free(a->config_path);
	free(a);
}

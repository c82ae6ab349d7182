/* SPDX-License-Identifier: ISC */
/* The cycle: sample on the sensor worker -> decide on the loop -> carry out. */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "agent/agent_priv.h"
#include "common/localtime.h"
#include "common/log.h"
#include "common/ev.h"
#include "core/host.h"
#include "core/setup.h"
#include "common/worker.h"

static struct decide_input
agent_input(struct agent *a, const struct vmm_sample *s)
{
	struct decide_input in = { .location = a->st.location, .at_home = agent_at_home(a),
		.mono = ev_now(), .wall = (double)agent_wall() };

	if (s != NULL)
		in.sample = *s;
	/* the provider drains this host: leave it, whatever the policy says; believed as long
	 * as any hint of the endpoint's */
	if (a->where.drain_host[0] && strcmp(a->where.drain_host, a->st.location) == 0 &&
	    in.mono - a->where.drain_seen <= TARGET_HINT_MAX_AGE) {
		double left = a->where.drain_leave_in < 0 ? -1 :
		    a->where.drain_leave_in - (in.mono - a->where.drain_seen);
		journal_drain_why(a->where.drain_why, sizeof(a->where.drain_why), a->st.location,
		    left < 0 && a->where.drain_leave_in >= 0 ? 0 : left);
		in.leave = a->where.drain_why;
	}
	/* the quiet windows read it for the CLI's actions too */
	vmm_local_time_of(s != NULL ? s->time : agent_wall(), &in.local);
	if (a->where.locating) {
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

	journal_recommendation(&e, a->learning.recommended, sizeof(a->learning.recommended));
	a->learning.recommended_at = agent_wall();
	if (a->learning.damp.c.mode == VMM_MODE_MANUAL && a->learning.damp.tripped < 0)
		log_debug("the policy would ask for %s; mode manual", a->learning.recommended);
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
			said_nothing(&a->logging.said, d->why, agent_episode_emit, a);
		else
			agent_note(a, d->kind == DECIDE_NOTHING ? "nothing" : "error", "%s", d->why);
		snprintf(reply, len, "%s: %s", d->kind == DECIDE_NOTHING ? "nothing to do" : "refused", d->why);
		return d->kind == DECIDE_NOTHING ? 1 : -1;
	default:
		if (worker_busy(a->endpoint_w) && !a->where.locating) {
			snprintf(reply, len, "refused: a move to %s is in flight; try again when it has ended",
			    a->moving.req_target);
			agent_event(a, &(struct journal_event){ .kind = JOURNAL_SUPPRESSED, .u.suppressed = {
			    .action = d->action, .origin = origin, .in_flight = 1 } });
		} else {
			struct journal_event e = { .kind = JOURNAL_SUPPRESSED, .u.suppressed = {
			    .action = d->action, .target = d->target, .origin = origin, .why = d->why } };
			/* the policy asks again every few cycles while its reason lasts: said once
			 * per episode; an administrator's request is answered every time */
			if (strcmp(origin, "policy") == 0)
				said_suppressed(&a->logging.said, d, &e, agent_episode_emit, a);
			else
				agent_event(a, &e);
			snprintf(reply, len, "refused: %s", d->why);
		}
		return -1;
	}
	if (d->through[0]) {
		char note[512];
		journal_quiet_through(note, sizeof(note), d->action, d->target, d->through);
		agent_note(a, "quiet", "%s", note);
	}
	if (d->choice[0])
		agent_event(a, &(struct journal_event){ .kind = JOURNAL_CHOICE,
		    .u.choice = { .target = d->target, .why = d->choice } });
	agent_announce(a, d->action, d->target, reason && *reason ? reason : origin);
	const struct move_time *tm = hosts_move_time_get(&a->learning.known, a->st.location, d->target);
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
	struct agent_sample_job *j = arg;

	memset(&j->reading, 0, sizeof(j->reading));
	j->ops->sample(j->state, &j->reading);
}

/* A sensor that cannot read says so once when it starts failing, again when the reason
 * changes, and once when it reads again: not every cycle. */
static void
agent_sensor_transition(struct agent *a)
{
	const struct vmm_sensor_reading *r = &a->sampling.reading;
	const char *name = a->su->set.sensor;

	if (r->known) {
		if (a->sampling.prev_known == 0)
			agent_note(a, "sensor", "Sensor %s reads again", name);
	} else if (a->sampling.prev_known != 0 || strcmp(a->sampling.prev_why, r->why) != 0) {
		agent_note(a, "sensor", "Sensor %s: unknown: %s", name, r->why[0] ? r->why : "no reason given");
	}
	a->sampling.prev_known = r->known;
	snprintf(a->sampling.prev_why, sizeof(a->sampling.prev_why), "%s", r->known ? "" : r->why);
}

static void
agent_remember(struct agent *a, const struct vmm_sample *s)
{
	a->sampling.samples++;
	a->sampling.unknowns += !s->known;
	a->sampling.unknown_run = s->known ? 0 : a->sampling.unknown_run + 1;
	if (a->sampling.nrecent == AGENT_RECENT) {
		memmove(&a->sampling.recent[0], &a->sampling.recent[1], (AGENT_RECENT - 1) * sizeof(a->sampling.recent[0]));
		a->sampling.nrecent--;
	}
	a->sampling.recent[a->sampling.nrecent++] = *s;
}

/* Worker thread: the sensor's own work (the queue sensor runs its jobs), bounded so the
 * next sample is not held up for long. */
static void
agent_process_job(void *arg)
{
	struct agent_process_job *j = arg;

	j->err[0] = '\0';
	j->rc = j->ops->process(j->state, j->budget, j->err, sizeof(j->err));
}

static void
agent_process_done(void *arg)
{
	struct agent_process_job *j = arg;
	struct agent *a = AGENT_OF(j, jobs.process);
	char msg[320];

	a->sampling.process_rc = j->rc;
	snprintf(a->sampling.process_err, sizeof(a->sampling.process_err), "%s", j->err);
	if (a->sampling.process_rc < 0) {
		snprintf(msg, sizeof(msg), "Processing failed: %s", a->sampling.process_err);
		agent_episode(a, &a->logging.ep_process, "queue", msg);
	} else
		agent_episode_end(a, &a->logging.ep_process);
	/* 2: there was nothing to run, which is no news */
	if (a->sampling.process_rc == 1)
		agent_note(a, "queue", "Queue processed");
	agent_apply_pending(a);
}

/* The sensor's work's job record: the sensor and the budget copied in. -1 while busy. */
static int
agent_process_submit(struct agent *a)
{
	struct agent_process_job *j = &a->jobs.process;

	if (worker_busy(a->sensor_w))
		return -1;
	j->ops = setup_sensor(a->su);
	j->state = a->su->sensor.state;
	j->budget = a->su->set.interval * 0.8;
	return worker_submit(a->sensor_w, agent_process_job, agent_process_done, j);
}

static void
agent_process(struct agent *a)
{
	if (setup_sensor(a->su)->process == NULL) {
		log_debug("sensor %s has nothing to process", a->su->set.sensor);
		return;
	}
	if (agent_process_submit(a) < 0)
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
	said_cycle(&a->logging.said, &r, &a->su->set.hold, &in.local, agent_episode_emit, a);
	a->sampling.counters = r.counters;
	struct cycle_record rec = { .host = host_hostname(), .sensor = a->su->set.sensor,
		.label = setup_sensor(a->su)->label, .sample = *s, .reading = &a->sampling.reading,
		.counters = &a->sampling.counters, .action = r.decision.action, .reason = r.decision.reason,
		.location = a->st.location };
	cyclelog_cycle(&a->logging.log, &rec);
	agent_ship_cycle(a, s, r.decision.action);
	if (r.decision.process_queue) {
		if (r.decision.reason[0])
			agent_episode(a, &a->logging.ep_queue, "queue", r.decision.reason);
		agent_process(a);
	}
	if (r.measured)
		agent_event(a, &(struct journal_event){ .kind = JOURNAL_EFFICACY, .u.efficacy = {
		    .from = r.efficacy.from, .to = r.efficacy.to, .before = r.efficacy.before,
		    .after = r.efficacy.after, .gain = r.efficacy.gain } });
	if (ev_now() - a->learning.known_saved >= AGENT_KNOWN_SAVE)
		agent_save_known(a);
	if (r.action == VMM_ACT_NONE)
		return 0;
	return agent_carry_out(a, &r, "policy", r.reason, reply, sizeof(reply)) == 0;
}

static void
agent_sample_done(void *arg)
{
	struct agent_sample_job *j = arg;
	struct agent *a = AGENT_OF(j, jobs.sample);

	a->sampling.reading = j->reading;
	struct vmm_sample s = { .known = a->sampling.reading.known, .value = a->sampling.reading.value,
		.time = a->sampling.sample_time };

	agent_sensor_transition(a);
	agent_remember(a, &s);
	/* the thesis slept `cooldown` after a request before sampling again */
	if (agent_decide(a, &s))
		ev_timer_set(a->tick, a->su->set.cooldown + a->su->set.interval);
	agent_apply_pending(a);
	agent_maybe_locate(a);
	agent_metrics_write(a);
	agent_alerts_check(a);
}

/* The sample's job record: the sensor copied in. -1 while the sensor worker is busy. */
static int
agent_sample_submit(struct agent *a)
{
	struct agent_sample_job *j = &a->jobs.sample;

	if (worker_busy(a->sensor_w))
		return -1;
	j->ops = setup_sensor(a->su);
	j->state = a->su->sensor.state;
	return worker_submit(a->sensor_w, agent_sample_job, agent_sample_done, j);
}

double
agent_tick(void *arg)
{
	struct agent *a = arg;

	if (!a->sampling.splayed) {
		/* a fleet started together does not sample (and move) in the same second */
		double wait = splay_offset(host_hostname(), a->su->set.hold.splay);
		a->sampling.splayed = 1;
		if (wait > 0) {
			log_info("splay: first sample in %.1f s", wait);
			return wait;
		}
	}
	a->sampling.sample_time = agent_wall();
	if (a->sampling.counters.skip_sensor) {
		/* resting with rest_monitoring = false: the policy still sees the time pass */
		memset(&a->sampling.reading, 0, sizeof(a->sampling.reading));
		snprintf(a->sampling.reading.why, sizeof(a->sampling.reading.why), "resting: not monitoring");
		struct vmm_sample s = { .known = 0, .time = a->sampling.sample_time };
		if (agent_decide(a, &s))
			return a->su->set.cooldown + a->su->set.interval;
	} else if (agent_sample_submit(a) < 0) {
		a->sampling.overruns++;
		log_warnx("sensor %s: the previous sample is still running (%" PRIu64 " overruns)",
		    a->su->set.sensor, a->sampling.overruns);
	}
	return a->su->set.interval;
}

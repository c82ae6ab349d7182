/* SPDX-License-Identifier: ISC */
/* `vmmanage status`: the agent's values taken into a snapshot, and the one renderer of it. */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <math.h>
#include <string.h>

#include "agent/agent_priv.h"
#include "agent/agent_status.h"
#include "common/ev.h"
#include "common/localtime.h"
#include "core/host.h"
#include "core/setup.h"
#include "common/worker.h"

_Static_assert(AGENT_STATUS_SAMPLES >= AGENT_RECENT, "status holds every recent sample");

/* ---- the snapshot: values only, taken on the loop thread ---- */

static void
agent_status_take_request(struct agent *a, struct agent_status_snapshot *s)
{
	const struct agent_state *st = &a->st;

	snprintf(s->location, sizeof(s->location), "%s", st->location);
	s->location_confirmed = st->location_confirmed;
	snprintf(s->last_action, sizeof(s->last_action), "%s", st->last_action);
	snprintf(s->last_target, sizeof(s->last_target), "%s", st->last_target);
	snprintf(s->last_outcome, sizeof(s->last_outcome), "%s", st->last_outcome);
	snprintf(s->last_detail, sizeof(s->last_detail), "%s", st->last_detail);
	s->last_request_time = st->last_request_time;
	s->last_duration = st->last_duration;
	s->requests = st->requests;
	s->confirmed = st->confirmed;
	s->unconfirmed = st->unconfirmed;
	s->refused = st->refused;
	s->failed = st->failed;
	s->in_flight = worker_busy(a->endpoint_w) && !a->where.locating;
	snprintf(s->in_flight_target, sizeof(s->in_flight_target), "%s", a->moving.req_target);
}

static void
agent_status_take_damping(struct agent *a, struct agent_status_snapshot *s, double now)
{
	const struct agent_learning *l = &a->learning;

	s->mode = l->damp.c.mode;
	s->warming = damper_warming(&l->damp, now);
	s->staying = damper_staying(&l->damp, now, s->staying_why, sizeof(s->staying_why));
	s->tripped = damper_tripped(&a->learning.damp, now, s->breaker_why, sizeof(s->breaker_why));
	struct vmm_local_time lt;
	const char *window;
	vmm_local_time_of(agent_wall(), &lt);
	if ((s->quiet = quiet_now(&a->su->set.hold, &lt, &window, s->quiet_until, sizeof(s->quiet_until))))
		snprintf(s->quiet_window, sizeof(s->quiet_window), "%s", window);
	snprintf(s->recommended, sizeof(s->recommended), "%s", l->recommended);
	s->recommended_at = l->recommended_at;
	s->nefficacy = l->eff.ndone;
	memcpy(s->efficacy, l->eff.done, l->eff.ndone * sizeof(s->efficacy[0]));
	s->measured = l->eff.measured;
	s->mean_gain = l->eff.measured ? efficacy_mean_gain(&l->eff) : 0;
}

/* The base's quarter hours remembered over the threshold (base_recall), as the rules
 * in decide.c read them. */
static void
agent_status_take_base_day(struct agent *a, struct agent_status_snapshot *s, double wall)
{
	const struct settings *set = &a->su->set;
	const struct host_day *day = a->learning.known.day;
	double thr = a->sampling.counters.threshold;

	if (!(set->targets.base_recall > 0) || set->base == NULL || day == NULL ||
	    strcmp(day->host, set->base) != 0)
		return;
	for (int i = 0; i < HOSTDAY_SLOTS; i++) {
		int over = set->direction == VMM_LOWER_IS_WORSE ? day->worst[i] < thr :
		    day->worst[i] > thr;
		if (!(day->when[i] > 0) || wall - day->when[i] > set->targets.base_recall || !over)
			continue;
		s->base_day[s->nbase_day++] = (struct agent_status_slot){
			.minute = i * HOSTDAY_SLOT_MINUTES, .worst = day->worst[i],
			.before = day->before[i], .ago = wall - day->when[i] };
	}
}

static int
agent_status_take_hosts(struct agent *a, struct agent_status_snapshot *s)
{
	const struct host_table *t = &a->learning.known;
	double wall = (double)agent_wall();

	s->round_robin = a->su->set.target_choice != 0;
	if (t->nhosts > 0 && (s->hosts = calloc(t->nhosts, sizeof(s->hosts[0]))) == NULL)
		return -1;
	if (t->npairs > 0 && (s->moves = calloc(t->npairs, sizeof(s->moves[0]))) == NULL)
		return -1;
	for (size_t i = 0; i < t->nhosts; i++) {
		const struct host_info *h = &t->hosts[i];
		struct agent_status_host *o = &s->hosts[i];
		snprintf(o->name, sizeof(o->name), "%s", h->name);
		o->learned = h->weight > 0;
		o->mean = h->mean;
		o->hours = h->seconds / 3600;
		o->ago = wall - h->last_seen;
		o->has_cpu = h->hint_time > 0 && h->cpu_idle >= 0;
		o->cpu_idle = h->cpu_idle;
		o->has_memory = h->hint_time > 0 && h->free_memory >= 0;
		o->free_memory = h->free_memory;
		o->incoming = h->hint_time > 0 ? h->incoming : -1;
		o->available = hosts_available(t, h->name, wall, o->why, sizeof(o->why));
	}
	s->nhosts = t->nhosts;
	if (t->npairs > 0)
		memcpy(s->moves, t->pairs, t->npairs * sizeof(s->moves[0]));
	s->nmoves = t->npairs;
	agent_status_take_base_day(a, s, wall);
	return 0;
}

int
agent_status_take(struct agent *a, struct agent_status_snapshot *s)
{
	const struct settings *set = &a->su->set;
	double now = ev_now();

	memset(s, 0, sizeof(*s));
	snprintf(s->host, sizeof(s->host), "%s", host_hostname());
	snprintf(s->policy, sizeof(s->policy), "%s", set->policy);
	snprintf(s->sensor, sizeof(s->sensor), "%s", set->sensor);
	snprintf(s->endpoint, sizeof(s->endpoint), "%s", set->endpoint);
	s->direction = set->direction;
	s->interval = set->interval;
	s->nsamples = a->sampling.nrecent;
	memcpy(s->samples, a->sampling.recent, a->sampling.nrecent * sizeof(s->samples[0]));
	s->sensor_unknown = a->sampling.prev_known == 0;
	snprintf(s->sensor_why, sizeof(s->sensor_why), "%s", a->sampling.prev_why);
	s->overruns = a->sampling.overruns;
	s->nsampled = a->sampling.samples;
	s->nunknown = a->sampling.unknowns;
	s->counters = a->sampling.counters;
	agent_status_take_request(a, s);
	s->cooldown = a->guard.cooldown;
	s->requests_last_hour = guard_requests_last_hour(&a->guard, now);
	s->max_per_hour = (long long)a->guard.max_per_hour;
	s->suppressed = a->guard.suppressed;
	agent_status_take_damping(a, s, now);
	if (a->logging.ship != NULL) {
		s->has_collector = 1;
		snprintf(s->collector, sizeof(s->collector), "%s", set->collector);
		logship_status(a->logging.ship, &s->collector_status);
	}
	return agent_status_take_hosts(a, s);
}

void
agent_status_snapshot_free(struct agent_status_snapshot *s)
{
	free(s->hosts);
	free(s->moves);
	s->hosts = NULL;
	s->moves = NULL;
	s->nhosts = s->nmoves = 0;
}

/* ---- the renderer: the CLI's output is a function of the snapshot alone ---- */

static void
agent_status_samples(const struct agent_status_snapshot *s, FILE *out)
{
	fprintf(out, "last samples:");
	if (s->nsamples == 0)
		fprintf(out, " none yet");
	for (size_t i = 0; i < s->nsamples; i++) {
		if (s->samples[i].known)
			fprintf(out, " %g", s->samples[i].value);
		else
			fprintf(out, " unknown");
	}
	fprintf(out, " (oldest first)\n");
	if (s->sensor_unknown)
		fprintf(out, "sensor state: unknown: %s\n", s->sensor_why);
}

static void
agent_status_request(const struct agent_status_snapshot *s, FILE *out)
{
	char date[64];

	if (s->last_action[0] == '\0') {
		fprintf(out, "last request: none\n");
		return;
	}
	journal_date(s->last_request_time, date, sizeof(date));
	fprintf(out, "last request: %s to %s at %s: %s", s->last_action, s->last_target,
	    date, s->last_outcome);
	if (strcmp(s->last_outcome, "in flight") != 0 && s->last_duration > 0)
		fprintf(out, " after %.1f s", s->last_duration);
	if (s->last_detail[0])
		fprintf(out, " (%s)", s->last_detail);
	fprintf(out, "\nrequests: %" PRIu64 " (confirmed %" PRIu64 ", unconfirmed %" PRIu64 ", failed %" PRIu64 ")\n",
	    s->requests, s->confirmed, s->unconfirmed, s->failed);
	if (s->refused > 0)
		fprintf(out, "refused by the provider: %" PRIu64 " (no move; each held until its retry-after)\n",
		    s->refused);
}

/* The mode, the damping rules now, pending recommendations and the moves' efficacy. */
static void
agent_status_damping(const struct agent_status_snapshot *s, FILE *out)
{
	char date[64];

	fprintf(out, "mode: %s\n", damper_mode_name(s->mode));
	if (s->warming > 0)
		fprintf(out, "warming up: %.0f s before samples count\n", s->warming);
	if (s->staying)
		fprintf(out, "staying: %s\n", s->staying_why);
	if (s->tripped)
		fprintf(out, "breaker: %s\n", s->breaker_why);
	if (s->recommended[0]) {
		journal_date(s->recommended_at, date, sizeof(date));
		fprintf(out, "recommendation: %s, at %s\n", s->recommended, date);
	}
	for (size_t i = 0; i < s->nefficacy; i++) {
		const struct efficacy_result *e = &s->efficacy[i];
		fprintf(out, "efficacy %s -> %s: mean %g before, %g after, gain %g\n", e->from, e->to,
		    e->before, e->after, e->gain);
	}
	if (s->measured)
		fprintf(out, "efficacy: mean gain %g over %" PRIu64 " moves\n", s->mean_gain,
		    s->measured);
}

/* What was learned of each host, and the measured T_M of each move. */
static void
agent_status_hosts(const struct agent_status_snapshot *s, FILE *out)
{
	fprintf(out, "target choice: %s\n", s->round_robin ? "round_robin" : "learned");
	for (size_t i = 0; i < s->nhosts; i++) {
		const struct agent_status_host *h = &s->hosts[i];
		fprintf(out, "host %s:", h->name);
		if (h->learned)
			fprintf(out, " mean %g over %.1f h, last %.0f s ago", h->mean, h->hours, h->ago);
		else
			fprintf(out, " nothing learned");
		if (h->has_cpu)
			fprintf(out, ", CPU %.0f%% idle", h->cpu_idle * 100);
		if (h->has_memory)
			fprintf(out, ", %.1f GiB free", (double)h->free_memory / (1 << 30));
		if (h->incoming >= 0)
			fprintf(out, ", %d migration%s arriving", h->incoming, h->incoming == 1 ? "" : "s");
		if (!h->available)
			fprintf(out, "; %s", h->why);
		fprintf(out, "\n");
	}
	for (size_t i = 0; i < s->nmoves; i++) {
		const struct move_time *m = &s->moves[i];
		fprintf(out, "move time %s -> %s: %.1f s mean over %" PRIu64 ", last %.1f s\n",
		    m->from, m->to, m->mean, m->count, m->last);
	}
	for (size_t i = 0; i < s->nbase_day; i++) {
		const struct agent_status_slot *b = &s->base_day[i];
		fprintf(out, "base at %02d:%02d: %g, %.0f h ago", b->minute / 60, b->minute % 60,
		    b->worst, b->ago / 3600);
		if (!isnan(b->before))
			fprintf(out, "; %g the day before", b->before);
		fprintf(out, "\n");
	}
}

static void
agent_status_collector(const struct agent_status_snapshot *s, FILE *out)
{
	const struct logship_status *ls = &s->collector_status;

	if (!s->has_collector) {
		fprintf(out, "collector: none\n");
		return;
	}
	fprintf(out, "collector: %s (%s%s%s), %" PRIu64 " messages spooled, %" PRIu64 " dropped\n",
	    ls->current, ls->connected ? "connected" : "not connected",
	    !ls->connected && ls->last_error[0] ? ": " : "", !ls->connected ? ls->last_error : "",
	    ls->spooled, ls->dropped);
}

void
agent_status_render(const struct agent_status_snapshot *s, FILE *out)
{
	const struct vmm_policy_counters *c = &s->counters;

	fprintf(out, "host: %s\npolicy: %s\nsensor: %s (%s)\nendpoint: %s\ninterval: %g s\n",
	    s->host, s->policy, s->sensor,
	    s->direction == VMM_HIGHER_IS_WORSE ? "higher_is_worse" : "lower_is_worse",
	    s->endpoint, s->interval);
	agent_status_samples(s, out);
	fprintf(out, "count: %" PRId64 "\nthreshold: %g\n", c->count, c->threshold);
	if (c->has_low)
		fprintf(out, "lowcount: %" PRId64 "\nlowthreshold: %g\n", c->lowcount, c->lowthreshold);
	if (c->resting)
		fprintf(out, "resting: yes (outside working hours)\n");
	if (s->quiet)
		fprintf(out, "quiet: until %s (window %s): the policy's requests are held\n",
		    s->quiet_until, s->quiet_window);
	fprintf(out, "location: %s (%s)\n", s->location[0] ? s->location : "unknown",
	    s->location_confirmed ? "confirmed by the endpoint" : "assumed");
	agent_status_request(s, out);
	fprintf(out, "in flight: %s\n", s->in_flight ? s->in_flight_target : "no");
	fprintf(out, "guard: cooldown %g s, %zu requests in the last hour (limit %lld), %" PRIu64 " suppressed\n",
	    s->cooldown, s->requests_last_hour, s->max_per_hour, s->suppressed);
	if (s->overruns)
		fprintf(out, "sensor overruns: %" PRIu64 "\n", s->overruns);
	agent_status_damping(s, out);
	agent_status_hosts(s, out);
	agent_status_collector(s, out);
}

void
agent_status(struct agent *a, FILE *out, int json)
{
	struct agent_status_snapshot s;

	if (agent_status_take(a, &s) < 0)
		fprintf(out, "status: out of memory\n");
	else if (json)
		agent_status_render_json(&s, out);
	else
		agent_status_render(&s, out);
	agent_status_snapshot_free(&s);
}

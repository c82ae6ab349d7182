/* SPDX-License-Identifier: ISC */
/* `vmmanage status`: what the agent knows, rendered for the control socket. */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "agent_priv.h"
#include "ev.h"
#include "host.h"
#include "logship.h"
#include "setup.h"
#include "worker.h"

/* ---- status, start, stop ---- */

static void
agent_status_samples(struct agent *a, FILE *out)
{
	fprintf(out, "last samples:");
	if (a->sampling.nrecent == 0)
		fprintf(out, " none yet");
	for (size_t i = 0; i < a->sampling.nrecent; i++) {
		if (a->sampling.recent[i].known)
			fprintf(out, " %g", a->sampling.recent[i].value);
		else
			fprintf(out, " unknown");
	}
	fprintf(out, " (oldest first)\n");
	if (a->sampling.prev_known == 0)
		fprintf(out, "sensor state: unknown: %s\n", a->sampling.prev_why);
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
	double now = ev_now(), warm = damper_warming(&a->learning.damp, now);
	char why[256], date[64];

	fprintf(out, "mode: %s\n", damper_mode_name(a->learning.damp.c.mode));
	if (warm > 0)
		fprintf(out, "warming up: %.0f s before samples count\n", warm);
	if (damper_staying(&a->learning.damp, now, why, sizeof(why)))
		fprintf(out, "staying: %s\n", why);
	if (damper_tripped(&a->learning.damp, now, why, sizeof(why)))
		fprintf(out, "breaker: %s\n", why);
	if (a->learning.recommended[0]) {
		journal_date(a->learning.recommended_at, date, sizeof(date));
		fprintf(out, "recommendation: %s, at %s\n", a->learning.recommended, date);
	}
	for (size_t i = 0; i < a->learning.eff.ndone; i++) {
		const struct efficacy_result *e = &a->learning.eff.done[i];
		fprintf(out, "efficacy %s -> %s: mean %g before, %g after, gain %g\n", e->from, e->to,
		    e->before, e->after, e->gain);
	}
	if (a->learning.eff.measured)
		fprintf(out, "efficacy: mean gain %g over %" PRIu64 " moves\n", efficacy_mean_gain(&a->learning.eff),
		    a->learning.eff.measured);
}

/* What was learned of each host, and the measured T_M of each move. */
static void
agent_status_hosts(struct agent *a, FILE *out)
{
	double wall = (double)agent_wall();
	char why[320];

	fprintf(out, "target choice: %s\n", a->su->set.target_choice ? "round_robin" : "learned");
	for (size_t i = 0; i < a->learning.known.nhosts; i++) {
		const struct host_info *h = &a->learning.known.hosts[i];
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
		if (!hosts_available(&a->learning.known, h->name, wall, why, sizeof(why)))
			fprintf(out, "; %s", why);
		fprintf(out, "\n");
	}
	for (size_t i = 0; i < a->learning.known.npairs; i++) {
		const struct move_time *m = &a->learning.known.pairs[i];
		fprintf(out, "move time %s -> %s: %.1f s mean over %" PRIu64 ", last %.1f s\n",
		    m->from, m->to, m->mean, m->count, m->last);
	}
}

static void
agent_status_collector(struct agent *a, FILE *out)
{
	struct logship_status ls;

	if (a->logging.ship == NULL) {
		fprintf(out, "collector: none\n");
		return;
	}
	logship_status(a->logging.ship, &ls);
	fprintf(out, "collector: %s (%s%s%s), %" PRIu64 " messages spooled, %" PRIu64 " dropped\n",
	    a->su->set.collector, ls.connected ? "connected" : "not connected",
	    !ls.connected && ls.last_error[0] ? ": " : "", !ls.connected ? ls.last_error : "",
	    ls.spooled, ls.dropped);
}

void
agent_status(struct agent *a, FILE *out)
{
	const struct settings *s = &a->su->set;
	const struct vmm_policy_counters *c = &a->sampling.counters;
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
	fprintf(out, "in flight: %s\n", worker_busy(a->endpoint_w) && !a->where.locating ? a->moving.req_target : "no");
	fprintf(out, "guard: cooldown %g s, %zu requests in the last hour (limit %lld), %" PRIu64 " suppressed\n",
	    a->guard.cooldown, guard_requests_last_hour(&a->guard, now),
	    (long long)a->guard.max_per_hour, a->guard.suppressed);
	if (a->sampling.overruns)
		fprintf(out, "sensor overruns: %" PRIu64 "\n", a->sampling.overruns);
	agent_status_damping(a, out);
	agent_status_hosts(a, out);
	agent_status_collector(a, out);
}
